import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ROLES, type Role } from '../../domain/routes.js';

/** Who is calling, as read from the verified JWT claims. */
export interface Principal {
  /** The token subject: who the audit trail names. */
  readonly subject: string;
  /** The tenant the token is for; absent for platform-wide tokens (platform-admin). */
  readonly tenantId?: string;
  /**
   * The roles the token grants. `platform-admin` is honoured only on a token without a
   * tenant claim: a tenant's token that claims it gets no platform rights.
   */
  readonly roles: ReadonlySet<Role>;
}

type Claims = Record<string, string | number | boolean | string[]>;

/**
 * The roles of a roles claim. The one rule, for both worlds:
 *
 * - **An array** (the claim as the token carries it): each element is one role, exactly
 *   as written. Elements are never split, trimmed or case-folded, so `["viewer operator"]`
 *   or `["readonly,operator"]` is one unknown role, not `operator`.
 * - **A string**: roles separated by whitespace, as OAuth scopes are (`"viewer operator"`).
 *   A comma is never a separator: `"readonly,operator"` is one unknown role.
 *
 * Unknown roles are ignored. API Gateway's flattened form of an array claim (`"[a b]"`)
 * is not parsed here: it cannot tell `["a b"]` from `["a", "b"]`, so
 * {@link principalFromEvent} reads the array from the token instead.
 */
export function parseRoles(value: unknown): Set<Role> {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : [];
  const known = new Set<string>(ROLES);
  return new Set(raw.filter((role): role is Role => typeof role === 'string' && known.has(role)));
}

/** API Gateway's (and the local gateway's) string form of a claim value. */
export function flattenClaim(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'string' ? value : JSON.stringify(value);
}

/** Claims that tie the bearer token of the request to the claims the authorizer verified. */
const BINDING_CLAIMS = ['sub', 'iss', 'iat', 'exp', 'nbf', 'jti'] as const;

/**
 * The payload of the request's bearer token, when it is the token the authorizer
 * verified: the JWT authorizer's identity source is the `Authorization` header, which
 * reaches the Lambda unchanged, and every binding claim and the tenant claim must match
 * the verified ones. Only used to read the roles claim in its original (array) form.
 */
function verifiedPayload(event: APIGatewayProxyEventV2, claims: Claims, tenantClaim: string): Record<string, unknown> | undefined {
  const match = /^Bearer [A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/.exec(event.headers?.authorization ?? '');
  if (!match?.[1]) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const record = payload as Record<string, unknown>;
  for (const name of [...BINDING_CLAIMS, tenantClaim]) {
    const verified = claims[name];
    const carried = record[name];
    if (verified === undefined && carried === undefined) continue;
    if (verified === undefined || carried === undefined || String(verified) !== flattenClaim(carried)) return undefined;
  }
  return record;
}

/**
 * The principal of a request, or undefined when no verified claims are present.
 * Claims come from the authorizer context: in AWS the HTTP API's JWT authorizer
 * puts them there, locally the gateway does after verifying the token, so the handler
 * never verifies a token itself.
 *
 * Roles: the authorizer flattens an array claim to `"[a b]"`, which loses the element
 * boundaries, so an array roles claim is read from the payload of the bearer token the
 * authorizer verified (bound to it by {@link verifiedPayload}) and parsed with
 * {@link parseRoles}. A flattened array claim that cannot be bound to the token grants no
 * role (fail closed); a plain string claim is parsed as it is.
 */
export function principalFromEvent(event: APIGatewayProxyEventV2, claimNames: { tenant: string; roles: string }): Principal | undefined {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Claims } } }).authorizer?.jwt?.claims;
  if (!claims || typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
  const tenant = claims[claimNames.tenant];
  const tenantId = typeof tenant === 'string' && tenant.length > 0 ? tenant : undefined;
  const roles = parseRoles(rolesClaim(event, claims, claimNames));
  // platform-admin is a platform-wide role: a tenant's token gets no platform rights.
  if (tenantId !== undefined) roles.delete('platform-admin');
  return { subject: claims.sub, ...(tenantId === undefined ? {} : { tenantId }), roles };
}

function rolesClaim(event: APIGatewayProxyEventV2, claims: Claims, claimNames: { tenant: string; roles: string }): unknown {
  const value = claims[claimNames.roles];
  if (typeof value !== 'string' || !/^\[.*\]$/s.test(value)) return value;
  // A flattened array: only the token itself tells its elements apart.
  const payload = verifiedPayload(event, claims, claimNames.tenant);
  const carried = payload?.[claimNames.roles];
  return Array.isArray(carried) && flattenClaim(carried) === value ? carried : undefined;
}
