import { ROLES, ROUTES, type Role } from '../../functions/domain/routes.js';

/**
 * Who is signed in: the bearer token and what its claims say (tenant, roles, subject).
 * No DOM here, so that the unit tests read tokens with it in Node. The claims are read, not verified: the API verifies every call, and the page only uses
 * them to choose what to show (a button a role may not use is not drawn; if one were, the
 * API would refuse it with 403).
 */
export interface Session {
  readonly token: string;
  readonly tenant: string;
  readonly roles: readonly Role[];
  readonly user: string;
  /** Seconds since the epoch. */
  readonly expiresAt?: number;
}

/** A route's id, as the route list names it (`approveGate`, `pauseUpgrade`, …). */
export type RouteId = (typeof ROUTES)[number]['id'];

/** Which claims hold the tenant and the roles (the stack's `tenantClaim` and `rolesClaim`). */
export interface ClaimNames {
  readonly tenant: string;
  readonly roles: string;
}

export const DEFAULT_CLAIMS: ClaimNames = { tenant: 'tenant', roles: 'roles' };

/** The claims of a JWT, or an error saying why the text is not one. */
export function readToken(token: string, names: ClaimNames = DEFAULT_CLAIMS): Session {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new Error('A token has three parts separated by dots (header.payload.signature).');
  let claims: Record<string, unknown>;
  try {
    const base64 = (parts[1] as string).replaceAll('-', '+').replaceAll('_', '/');
    const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (char) => char.charCodeAt(0));
    claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new Error('The token’s payload is not base64url-encoded JSON.');
  }
  const rawTenant = claims[names.tenant];
  const tenant = typeof rawTenant === 'string' ? rawTenant : undefined;
  if (!tenant) throw new Error('The token has no tenant claim: the console works within one tenant.');
  const claimed = claims[names.roles];
  const rawRoles: unknown[] = Array.isArray(claimed) ? claimed : typeof claimed === 'string' ? claimed.split(/[\s,]+/) : [];
  const roles = rawRoles.filter((role): role is Role => (ROLES as readonly unknown[]).includes(role));
  const expiresAt = typeof claims.exp === 'number' ? claims.exp : undefined;
  if (expiresAt !== undefined && expiresAt * 1000 <= Date.now()) throw new Error('The token has expired: mint a new one.');
  return {
    token: token.trim(),
    tenant,
    roles,
    user: typeof claims.sub === 'string' ? claims.sub : 'unknown',
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** Whether the session's roles may call the route (the API's own access list). */
export function may(session: Session, route: RouteId): boolean {
  const found = ROUTES.find((candidate) => candidate.id === route);
  if (!found || found.access === 'public') return true;
  return (found.access as readonly Role[]).some((role) => session.roles.includes(role));
}
