import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { BadRequestError } from '../errors.js';

/** The request header a client sends (HTTP API lower-cases header names). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set to `true` on an answer that was replayed from the first request with the same key. */
export const IDEMPOTENCY_REPLAYED_HEADER = 'idempotency-replayed';
/** How long a successful answer is replayed for (the records' TTL). */
export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

/** 1–255 printable ASCII characters (space to tilde), e.g. a UUID the client generates per intent. */
export const IdempotencyKey = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[\x20-\x7E]*$/, 'use printable ASCII characters only')
  .meta({
    description:
      'Makes the request safe to retry for 24 h: a request repeating the key, route and input gets the first 2xx answer again (header `idempotency-replayed: true`) without the work being done twice. ' +
      'Reusing the key for a different request answers 422; a retry while the first request runs answers 409. ' +
      'Error answers are not kept, so a request that failed may be retried with the same key. Keys are scoped to the tenant (the platform for catalog routes) and the token subject.',
    example: '4f9c2a7e-1d3b-4c55-9a0e-6b8f2d1c7e90',
  });

/**
 * The caller's `Idempotency-Key`, or `undefined` when the header is absent.
 *
 * @throws {BadRequestError} naming `header.idempotency-key` when the value is malformed
 */
export function readIdempotencyKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const raw = headers[IDEMPOTENCY_KEY_HEADER];
  if (raw === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(raw);
  if (!parsed.success) {
    throw new BadRequestError('The Idempotency-Key header is not valid.', {
      errors: parsed.error.issues.map((issue) => ({ field: `header.${IDEMPOTENCY_KEY_HEADER}`, message: issue.message })),
    });
  }
  return parsed.data;
}

/** One request made idempotent: who owns the key, and what must match for a replay. */
export interface IdempotentRequest {
  /** `tenant/<tenantId>`, or `platform` for the catalog routes, which have no tenant. */
  readonly scope: string;
  /** The token subject: two callers of one tenant never share keys. */
  readonly subject: string;
  readonly key: string;
  /**
   * The parsed request, so JSON key order, whitespace and defaults filled in by the
   * schemas do not make two equal requests differ. Another route or path is another request.
   */
  readonly request: { readonly routeKey: string; readonly params: unknown; readonly query: unknown; readonly body: unknown };
}

/**
 * The port `createApiHandler` uses to make a mutation idempotent; `createDynamoDbIdempotency`
 * implements it over the idempotency table.
 */
export interface Idempotency {
  /**
   * Runs `execute` once per (scope, subject, key) within the retention and returns its
   * answer, or the stored answer of the first run (marked with {@link IDEMPOTENCY_REPLAYED_HEADER}).
   * Only what `execute` returns is stored: when it throws, the key is freed and the error
   * propagates, so error answers are never replayed.
   *
   * @throws {ConflictError} while a request with the same key is in flight
   * @throws {ValidationError} when the key was used for a different request
   */
  run(
    request: IdempotentRequest,
    context: Context,
    execute: () => Promise<APIGatewayProxyStructuredResultV2>,
  ): Promise<APIGatewayProxyStructuredResultV2>;
}
