import * as z from 'zod';
import { deferred } from '../domain/deferred.js';
import { BadRequestError } from './errors.js';

/** The `limit` and `nextToken` query parameters every list accepts. */
export const PageQuery = deferred(() =>
  z.object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    nextToken: z.string().min(1).max(2048).optional(),
  }),
);
export type PageQuery = z.infer<typeof PageQuery>;

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

type Key = Record<string, string>;

/**
 * The exact shape of one list's `LastEvaluatedKey`: every attribute it has, each with
 * the value it must have (a string) or the prefix it must start with. A base-table
 * list's key is `pk`/`sk`; a GSI list's key adds the index's own two attributes.
 */
export type TokenShape = Readonly<Record<string, string | { readonly prefix: string }>>;

/**
 * Encodes DynamoDB's LastEvaluatedKey as an opaque token. The token is not a secret,
 * but it is checked on the way back in (`decodeNextToken`): a token can only resume
 * the very list it came from, so a crafted one cannot reach another tenant or another
 * list of the same partition.
 */
export function encodeNextToken(key: Record<string, unknown> | undefined): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a `nextToken` and checks it belongs to the list being resumed: exactly the
 * attributes of `shape`, all strings, each equal to (or starting with) what the shape
 * says. Anything else is 400: DynamoDB would refuse a start key outside the query's
 * key condition, or of another index, with a ValidationException (a 500).
 * @param shape the list's key, e.g. `{ pk: 'TENANT#acme', sk: { prefix: 'SERVICE#p#' } }`
 */
export function decodeNextToken(token: string | undefined, shape: TokenShape): Key | undefined {
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
  const names = Object.keys(key);
  const expected = Object.keys(shape);
  if (names.length !== expected.length || names.some((name) => !Object.hasOwn(shape, name))) throw invalid();
  for (const name of expected) {
    const value = (key as Record<string, unknown>)[name];
    const rule = shape[name];
    if (typeof value !== 'string' || value.length === 0) throw invalid();
    if (typeof rule === 'string' ? value !== rule : !value.startsWith(rule?.prefix ?? '')) throw invalid();
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
