import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ROLES, type Role } from '../../domain/routes.js';

/** Who is calling, as read from the verified JWT claims. */
export interface Principal {
  /** The token subject: who the audit trail names. */
  readonly subject: string;
  /** The tenant the token is for; absent for platform-wide tokens (platform-admin). */
  readonly tenantId?: string;
  readonly roles: ReadonlySet<Role>;
}

type Claims = Record<string, string | number | boolean | string[]>;

/**
 * API Gateway's JWT authorizer passes claims as strings, flattening an array claim to
 * `"[a b c]"`; other callers may pass a real array or a comma list. All three parse.
 */
export function parseRoles(value: unknown): Set<Role> {
  const raw = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.replace(/^\[|\]$/g, '').split(/[\s,]+/) : [];
  const known = new Set<string>(ROLES);
  return new Set(raw.filter((role): role is Role => known.has(role)));
}

/**
 * The principal of a request, or undefined when no verified claims are present.
 * Claims come only from the authorizer context: in AWS the HTTP API's JWT authorizer
 * puts them there, locally the server does after verifying the token, so the handler
 * never sees or parses a raw token.
 */
export function principalFromEvent(event: APIGatewayProxyEventV2, claimNames: { tenant: string; roles: string }): Principal | undefined {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Claims } } }).authorizer?.jwt?.claims;
  if (!claims || typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
  const tenant = claims[claimNames.tenant];
  return {
    subject: claims.sub,
    ...(typeof tenant === 'string' && tenant.length > 0 ? { tenantId: tenant } : {}),
    roles: parseRoles(claims[claimNames.roles]),
  };
}
