import { generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTenantScoped, ROLES, ROUTES, type RouteDefinition } from '../../functions/domain/routes.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKey, signDevToken } from '../../local/dev-auth.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

const tenant = unique('matrix');
const fill = (route: RouteDefinition, tenantId: string) =>
  route.path
    .replace('{tenantId}', tenantId)
    .replace('{componentId}', 'cmp_none')
    .replace('{projectName}', 'proj')
    .replace('{serviceName}', 'svc')
    .replace('{executionId}', 'upg_0000000000')
    .replace('{stepId}', 'stp_0000000000')
    .replace('{runId}', 'run_0000000000')
    .replace('{gateId}', 'gate-1')
    .replace('{strategyName}', 'strategy')
    .replace('{profileName}', 'profile');

const protectedRoutes = (ROUTES as readonly RouteDefinition[]).filter((route) => route.access !== 'public');

describe('authentication and authorization on every route', () => {
  it.each(protectedRoutes.map((route) => [route.id, route] as const))('%s answers 401 problem+json without a token', async (_id, route) => {
    const response = await api.request(route.method, fill(route, tenant));
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it.each(protectedRoutes.map((route) => [route.id, route] as const))(
    '%s answers 401 to a token signed with another key, expired, or alg none',
    async (_id, route) => {
      const foreign = await signDevToken(await generateDevKey(), { tenant, roles: [...ROLES], user: 'mallory' });
      const expired = await api.token({ tenant, roles: [...ROLES], ttlSeconds: -60 });
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({
          sub: 'mallory',
          tenant,
          roles: [...ROLES],
          iss: 'sluice-local',
          aud: 'sluice',
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
      ).toString('base64url');
      for (const token of [foreign, expired, `${header}.${payload}.`]) {
        const response = await api.request(route.method, fill(route, tenant), { token });
        expect(response.status).toBe(401);
      }
    },
  );

  // Tokens API Gateway's JWT authorizer refuses (RSA algorithms only, a `kid` of the
  // issuer's key set, `exp` required and after now, `nbf`/`iat` not after now): the
  // local gateway must refuse them too, even signed with the right key.
  const refusedByTheAuthorizer = async (): Promise<Array<[string, string]>> => {
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = { sub: 'mallory', tenant, roles: [...ROLES], iss: DEV_ISSUER, aud: DEV_AUDIENCE, iat: now, exp: now + 600 };
    const sign = (payload: JWTPayload, header: Record<string, unknown> = { alg: 'RS256', kid: api.devKey.kid }) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header }).sign(api.devKey.privateKey);
    const { exp: _exp, ...noExp } = claims;
    const ec = await generateKeyPair('ES256');
    return [
      ['no exp', await sign(noExp)],
      ['iat in the future', await sign({ ...claims, iat: now + 300 })],
      ['nbf in the future', await sign({ ...claims, nbf: now + 300 })],
      ['no kid', await sign(claims, { alg: 'RS256' })],
      ['another kid', await sign(claims, { alg: 'RS256', kid: `${api.devKey.kid}x` })],
      ['ES256', await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: api.devKey.kid }).sign(ec.privateKey)],
    ];
  };

  it.each(protectedRoutes.map((route) => [route.id, route] as const))(
    '%s answers 401 to a token the JWT authorizer refuses: no exp, iat or nbf in the future, no or another kid, ES256',
    async (_id, route) => {
      for (const [label, token] of await refusedByTheAuthorizer()) {
        const response = await api.request(route.method, fill(route, tenant), { token });
        expect(response.status, label).toBe(401);
      }
    },
  );

  it('accepts a token the JWT authorizer accepts: RS256, the dev kid, exp after now, iat and nbf now', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tenant, roles: ['viewer'] })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: api.devKey.kid })
      .setSubject('alice')
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .sign(api.devKey.privateKey);
    const response = await api.request('GET', `/v1/tenants/${tenant}/upgrades`, { token });
    expect(response.status, response.text).toBe(200);
  });

  // A role is one array element as written: a separator inside an element makes no roles.
  const separated = ['readonly,operator', 'viewer operator', 'viewer,operator,approver,platform-admin', ' operator', '[operator]'];
  it.each(protectedRoutes.map((route) => [route.id, route] as const))(
    '%s answers 403 to roles hidden in one element with a separator',
    async (_id, route) => {
      for (const element of separated) {
        const token = await signDevToken(api.devKey, {
          ...(isTenantScoped(route) ? { tenant } : {}),
          roles: [element],
          user: 'mallory',
        });
        const response = await api.request(route.method, fill(route, tenant), { token });
        expect(response.status, JSON.stringify(element)).toBe(403);
      }
    },
  );

  const catalogWrites = protectedRoutes.filter((route) => route.access.includes('platform-admin') && route.method !== 'GET');
  it.each(catalogWrites.map((route) => [route.id, route] as const))(
    '%s answers 403 to a token that names a tenant and claims platform-admin',
    async (_id, route) => {
      for (const roles of [['platform-admin'], [...ROLES]] as const) {
        const token = await api.token({ tenant, roles });
        const response = await api.request(route.method, fill(route, tenant), { token, body: { name: unique('cmp') } });
        expect(response.status, roles.join(',')).toBe(403);
        expect(response.body).toMatchObject({ status: 403, title: 'Forbidden' });
      }
    },
  );

  const tenantRoutes = protectedRoutes.filter((route) => route.path.includes('{tenantId}'));
  it.each(tenantRoutes.map((route) => [route.id, route] as const))(
    '%s answers 404 to a token of another tenant, whatever its roles',
    async (_id, route) => {
      const token = await api.token({ tenant: unique('other'), roles: [...ROLES] });
      const response = await api.request(route.method, fill(route, tenant), { token });
      expect(response.status).toBe(404);
      expect(response.body.type).toMatch(/not-found$/);
    },
  );

  const tokenTenantRoutes = protectedRoutes.filter((route) => route.tenantFromToken === true);
  it.each(tokenTenantRoutes.map((route) => [route.id, route] as const))(
    "%s takes the token's tenant: 404 to a token without one, whatever its roles",
    async (_id, route) => {
      const token = await api.token({ roles: [...ROLES] });
      const response = await api.request(route.method, fill(route, tenant), { token });
      expect(response.status).toBe(404);
      expect(response.body.type).toMatch(/not-found$/);
    },
  );

  const denied = protectedRoutes.flatMap((route) =>
    ROLES.filter((role) => !(route.access as readonly string[]).includes(role)).map((role) => [route.id, role, route] as const),
  );
  it.each(denied)('%s answers 403 to a %s', async (_id, role, route) => {
    const token = await api.token({ tenant, roles: [role] });
    const response = await api.request(route.method, fill(route, tenant), { token });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ status: 403, title: 'Forbidden' });
  });

  it('serves /health and /openapi.json without a token', async () => {
    expect((await api.request('GET', '/health')).body).toMatchObject({ status: 'ok' });
    const openapi = await api.request('GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    for (const route of ROUTES) {
      expect(openapi.body.paths[route.path][route.method.toLowerCase()].operationId).toBe(route.id);
    }
  });

  it('answers 404 problem+json for an unknown route', async () => {
    const response = await api.request('GET', '/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('sluice:jwtScopes (SLUICE_JWT_SCOPES locally)', () => {
  let scoped: TestApi;
  beforeAll(async () => {
    scoped = await startTestApi({ jwtScopes: ['sluice/api', 'sluice/admin'] });
  });
  afterAll(() => scoped.stop());
  const scopedTenant = unique('scoped');
  const listUpgrades = `/v1/tenants/${scopedTenant}/upgrades`;

  it('answers 403 to a token without one of the scopes (an ID token carries none)', async () => {
    for (const scopes of [undefined, ['openid', 'profile'], ['sluice/api/extra']]) {
      const token = await scoped.token({ tenant: scopedTenant, roles: ['viewer'], ...(scopes ? { scopes } : {}) });
      const response = await scoped.request('GET', listUpgrades, { token });
      expect(response.status, JSON.stringify(scopes)).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('lets a token with one of the scopes in `scope` or `scp` through, and keeps public routes public', async () => {
    const token = await scoped.token({ tenant: scopedTenant, roles: ['viewer'], scopes: ['openid', 'sluice/admin'] });
    expect((await scoped.request('GET', listUpgrades, { token })).status).toBe(200);
    const scp = await new SignJWT({ tenant: scopedTenant, roles: ['viewer'], scp: ['sluice/api'] })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: scoped.devKey.kid })
      .setSubject('alice')
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(scoped.devKey.privateKey);
    expect((await scoped.request('GET', listUpgrades, { token: scp })).status).toBe(200);
    expect((await scoped.request('GET', '/health')).status).toBe(200);
  });

  it('answers 401, not 403, to an invalid token', async () => {
    const expired = await scoped.token({ tenant: scopedTenant, roles: ['viewer'], scopes: ['sluice/api'], ttlSeconds: -60 });
    expect((await scoped.request('GET', listUpgrades, { token: expired })).status).toBe(401);
  });
});
