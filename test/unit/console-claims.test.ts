import { describe, expect, it } from 'vitest';
import { may, readToken } from '../../console/src/claims.js';
import { ROUTES } from '../../functions/domain/routes.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: Record<string, unknown>) => `${encode({ alg: 'RS256' })}.${encode(claims)}.signature`;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('the console reading a token', () => {
  it('takes tenant, roles and subject from the claims, by the names the stack configures', () => {
    expect(readToken(token({ tenant: 'acme', roles: ['viewer', 'approver'], sub: 'alice', exp: inAnHour() }))).toMatchObject({
      tenant: 'acme',
      roles: ['viewer', 'approver'],
      user: 'alice',
    });
    const custom = token({ 'custom:tenant': 'acme', groups: 'operator viewer', sub: 'bob' });
    expect(readToken(custom, { tenant: 'custom:tenant', roles: 'groups' })).toMatchObject({
      tenant: 'acme',
      roles: ['operator', 'viewer'],
    });
  });

  it('keeps only the roles the API knows, so an invented one draws no button', () => {
    expect(readToken(token({ tenant: 'acme', roles: ['admin', 'approver ', 'operator'] })).roles).toEqual(['operator']);
  });

  it('refuses text that is not a JWT, a token without a tenant, and an expired token, each saying why', () => {
    expect(() => readToken('abc')).toThrow(/three parts/);
    expect(() => readToken('a.%%%.c')).toThrow(/base64url/);
    expect(() => readToken(token({ roles: ['platform-admin'] }))).toThrow(/no tenant claim/);
    expect(() => readToken(token({ tenant: 'acme', exp: 1 }))).toThrow(/expired/);
  });
});

describe('which actions the console offers', () => {
  const session = (roles: string[]) => readToken(token({ tenant: 'acme', roles }));

  it('follows the API’s own access list: operators act on upgrades, approvers decide gates, viewers neither', () => {
    expect(may(session(['operator']), 'pauseUpgrade')).toBe(true);
    expect(may(session(['operator']), 'approveGate')).toBe(false);
    expect(may(session(['approver']), 'approveGate')).toBe(true);
    expect(may(session(['approver']), 'validateUpgrade')).toBe(true);
    expect(may(session(['approver']), 'rollbackUpgrade')).toBe(false);
    const viewer = session(['viewer']);
    // Public routes (a decision link's token is its authentication) are no console action.
    const actions = ROUTES.filter((route) => route.method !== 'GET' && route.access !== 'public' && may(viewer, route.id));
    expect(actions).toEqual([]);
  });
});
