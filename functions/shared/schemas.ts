import * as z from 'zod';

/**
 * Names that appear in paths and keys: lower-case DNS-label style, so they can never
 * carry a path separator, a key delimiter (`#`) or anything that needs escaping.
 */
export const Slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'use 1-63 lower-case letters, digits and dashes, not starting or ending with a dash');

export const TenantId = Slug;
export const ProjectName = Slug;
export const ServiceName = Slug;

export const Timestamp = z.iso.datetime();
