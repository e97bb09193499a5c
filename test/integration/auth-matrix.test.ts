import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, ROUTES, type RouteDefinition } from '../../functions/domain/routes.js';
import { generateDevKey, signDevToken } from '../../local/dev-auth.js';
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
    .replace('{stepId}', 'stp_0000000000');

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
