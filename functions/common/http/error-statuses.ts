import { acceptsIdempotencyKey, type RouteDefinition } from '../../domain/routes.js';
import type { Contract } from './api-handler.js';

/**
 * Every error status the API answers, in one place: its title (the problem's `title`),
 * when it happens, and who writes the body. `handler` is Sluice's own
 * `application/problem+json` (the handlers, or the local gateway playing API Gateway);
 * `gateway` is API Gateway itself in AWS, which answers before or instead of a function
 * with its own `{"message": "…"}` in `application/json` (its JWT authorizer, its
 * throttling, a function that crashed or timed out).
 *
 * {@link errorStatusesOf} picks the ones a route can answer; the OpenAPI document lists
 * those and only those.
 */
export const ERROR_STATUSES = {
  400: {
    title: 'Bad request',
    when: 'Malformed JSON or invalid UTF-8; invalid path or query parameters, Idempotency-Key or nextToken; a query parameter or body the route does not take.',
    from: ['handler'],
  },
  401: { title: 'Unauthorized', when: 'No bearer token, or one that is not valid.', from: ['handler', 'gateway'] },
  403: {
    title: 'Forbidden',
    when: "The token has none of the route's roles (or, with required scopes, none of the scopes); the initiator deciding a gate without allowSelfApproval.",
    from: ['handler', 'gateway'],
  },
  404: {
    title: 'Not found',
    when: "The resource does not exist, or belongs to another tenant than the token's (tenants cannot be probed).",
    from: ['handler'],
  },
  409: {
    title: 'Conflict',
    when: 'An illegal transition (with currentStatus), a taken name, an active upgrade already running, a concurrent change; or the first request with this Idempotency-Key is still running.',
    from: ['handler'],
  },
  410: {
    title: 'Gone',
    when: 'An events cursor of the tenant feed older than its retention (6 days): what followed it may have expired. Read again without one.',
    from: ['handler'],
  },
  413: { title: 'Payload too large', when: 'The request body is over 256 KiB.', from: ['handler'] },
  415: { title: 'Unsupported media type', when: 'The request body is not sent as application/json.', from: ['handler'] },
  422: {
    title: 'Unprocessable content',
    when: 'Valid JSON that breaks the schema (wrong types, missing or unknown fields) or a domain rule; or an Idempotency-Key already used for a different request.',
    from: ['handler'],
  },
  429: {
    title: 'Too many requests',
    when: "Throttled by API Gateway: the stage's rate or burst limit is reached. Retry with backoff.",
    from: ['gateway'],
  },
  500: {
    title: 'Internal server error',
    when: 'Anything unexpected: a generic problem that carries no stack or message (the detail is logged); API Gateway answers for a function that crashed or timed out.',
    from: ['handler', 'gateway'],
  },
  503: {
    title: 'Service unavailable',
    when: 'The local runtime is still starting (Retry-After says when to ask again). A deployed stack never answers it.',
    from: ['handler'],
  },
} as const satisfies Record<number, { title: string; when: string; from: readonly ('handler' | 'gateway')[] }>;

export type ErrorStatus = keyof typeof ERROR_STATUSES;

/**
 * The error statuses one route can answer, derived from what it is and takes (its
 * method, access, path and contract) plus its contract's `alsoFails`:
 * - 429 and 500 everywhere: API Gateway throttles the whole stage, and anything may fail;
 * - 400 where the request carries something that can be invalid (path or query
 *   parameters, a body, an Idempotency-Key);
 * - 401 and 403 on every route that is not public;
 * - 404 where the route addresses something: a path parameter (the tenant's too), or the
 *   token's tenant;
 * - 409 and 422 on every mutation (an Idempotency-Key still running, or reused for
 *   another request; and each mutation's own conflicts and rules);
 * - 413, 415 and 422 where the route takes a body.
 */
export function errorStatusesOf(
  route: Pick<RouteDefinition, 'method' | 'path' | 'access' | 'tenantFromToken'>,
  contract: Pick<Contract, 'params' | 'query' | 'body' | 'alsoFails'>,
): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>([429, 500, ...(contract.alsoFails ?? [])]);
  const mutates = acceptsIdempotencyKey(route);
  if (contract.params || contract.query || contract.body || mutates) statuses.add(400);
  if (route.access !== 'public') {
    statuses.add(401);
    statuses.add(403);
  }
  if (route.path.includes('{') || route.tenantFromToken) statuses.add(404);
  if (mutates) {
    statuses.add(409);
    statuses.add(422);
  }
  if (contract.body) {
    statuses.add(413);
    statuses.add(415);
    statuses.add(422);
  }
  return [...statuses].sort((a, b) => a - b);
}
