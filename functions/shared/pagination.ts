import * as z from 'zod';
import { BadRequestError } from './errors.js';

/** The `limit` and `nextToken` query parameters every list accepts. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  nextToken: z.string().min(1).max(2048).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

type Key = Record<string, string>;
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);

/**
 * Encodes DynamoDB's LastEvaluatedKey as an opaque token. The token is not a secret,
 * but it is checked on the way back in (`decodeNextToken`): a token can only resume
 * the very partition it came from, so a crafted one cannot reach another tenant.
 */
export function encodeNextToken(key: Record<string, unknown> | undefined): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a `nextToken` and checks it belongs to the query being resumed.
 * @param expected the partition attribute and value the query reads, e.g. `{ pk: 'TENANT#acme' }`
 */
export function decodeNextToken(token: string | undefined, expected: Key): Key | undefined {
  if (token === undefined) return undefined;
  const invalid = () =>
    new BadRequestError('The nextToken is not valid for this list.', { errors: [{ field: 'query.nextToken', message: 'invalid token' }] });
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key);
  if (entries.length === 0 || entries.some(([name, value]) => !KEY_ATTRIBUTES.has(name) || typeof value !== 'string')) throw invalid();
  for (const [name, value] of Object.entries(expected)) {
    if ((key as Key)[name] !== value) throw invalid();
  }
  return key as Key;
}

/**
 * A page of items with the token that resumes after `lastKey`, if any; or with a
 * token already encoded (when re-mapping the items of a page).
 */
export function toPage<T>(items: readonly T[], lastKey: Record<string, unknown> | undefined, encoded?: string): Page<T> {
  const nextToken = encoded ?? encodeNextToken(lastKey);
  return nextToken === undefined ? { items } : { items, nextToken };
}
