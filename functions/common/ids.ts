import { randomUUID } from 'node:crypto';

/** A new opaque identifier with a readable prefix (`cmp_…`, `ver_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}
