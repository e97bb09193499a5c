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

/**
 * DynamoDB stores numbers of up to 38 significant digits with a magnitude from 1e-130
 * to 9.9999…e125, or 0; anything else fails the write (a 500 after the request was
 * accepted). A JavaScript number has at most 17 significant digits, so the range is
 * the whole rule. Request numbers are refused at the schema (422), never rounded.
 */
export const DYNAMODB_MIN_MAGNITUDE = 1e-130;
export const DYNAMODB_MAX_MAGNITUDE = 9.99e125;

export function isStorableNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= DYNAMODB_MIN_MAGNITUDE && magnitude <= DYNAMODB_MAX_MAGNITUDE);
}

/** A number DynamoDB can store: 0, or a magnitude from 1e-130 to 9.99e125. Chain bounds after it. */
export const StorableNumber = () =>
  z.number().refine(isStorableNumber, 'a number DynamoDB can store: 0, or a magnitude from 1e-130 to 9.99e125');

/**
 * Keys a map built from user input may not have: the DynamoDB marshaller reads
 * `.constructor` of every map it writes (an own `constructor` key makes the write
 * throw), and `__proto__`/`prototype` are the prototype-pollution keys. Refused (422)
 * wherever a request carries a map with keys of its own (`installedComponents`,
 * `requires`), rather than stored under a null prototype.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The keys of a user-keyed map: `key`, minus the prototype keys. */
export const SafeKey = <T extends z.ZodString>(key: T) =>
  key.refine((name) => !PROTOTYPE_KEYS.has(name), 'the keys __proto__, constructor and prototype are not allowed');
