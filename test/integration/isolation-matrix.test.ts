import { generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTenantScoped, ROLES, ROUTES, type Role, type RouteDefinition, routeKey } from '../../functions/domain/routes.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKey, signDevToken } from '../../local/dev-auth.js';
import { type ApiResponse, startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

/**
 * The isolation matrix, walked from the OpenAPI document the running runtime serves
 * (not from `ROUTES`), so that an operation the document shows cannot be missed, and
 * checked against `ROUTES` both ways, so that neither list can grow alone.
 *
 * For every operation: no token, an expired token, a token signed with another key,
 * an `alg: none` token, and the tokens API Gateway's JWT authorizer refuses though
 * signed with the dev key (no `exp`, `iat` in the future, no `kid`, another `kid`,
 * ES256) (401 each); roles hidden in one array element with a separator (403); a token
 * of another tenant (404 on tenant routes; on the platform-wide catalog it is just a
 * token, whose platform-admin claim counts for nothing; on a route that takes the token's
 * tenant it addresses that other tenant: 404 for this tenant's execution ids, else an
 * answer about its own tenant that shows nothing of this one); each role alone (403 unless the
 * route's `access` lists it). Reads use real resources of the tenant, so an allowed
 * role must get 200 and another tenant must get 404 for something that exists.
 * Mutations point at resources that do not exist and send a body with an unknown
 * field, so that an allowed role is refused (404/422) without changing anything.
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly isPublic: boolean;
  readonly hasBody: boolean;
  readonly requiredQuery: readonly string[];
}

// Vitest collects `it.each` rows before `beforeAll` runs, so the runtime starts and the
// document is read at module load.
const api: TestApi = await startTestApi();
const document = (await api.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, any>> };
const operations: Operation[] = Object.entries(document.paths).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method] !== undefined).map((method) => {
    const operation = item[method];
    const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string; required?: boolean }>;
    return {
      operationId: String(operation.operationId),
      method: method.toUpperCase(),
      path,
      isPublic: Array.isArray(operation.security) && operation.security.length === 0,
      hasBody: operation.requestBody !== undefined,
      requiredQuery: parameters.filter((parameter) => parameter.in === 'query' && parameter.required).map((parameter) => parameter.name),
    };
  }),
);
afterAll(() => api.stop());

const routeById = new Map((ROUTES as readonly RouteDefinition[]).map((route) => [route.id, route]));
const protectedOps = operations.filter((operation) => !operation.isPublic);

const tenant = unique('iso');
const otherTenant = unique('iso-other');
const ids: Record<string, string> = { tenantId: tenant, projectName: 'proj', serviceName: unique('svc') };
/** Values that name nothing: mutations point here so that an allowed call changes nothing. */
const MISSING: Record<string, string> = {
  componentId: 'cmp_missing',
  projectName: 'nowhere',
  serviceName: 'nobody',
  executionId: 'upg_0000000000',
  stepId: 'stp_0000000000',
  runId: 'run_0000000000',
  gateId: 'gate-999',
  strategyName: 'no-strategy',
  profileName: 'no-profile',
};
const QUERY_SAMPLES: Record<string, string> = { from: '1.0.0', to: '1.0.1' };
/** Identifiers of the tenant that must never show in an answer to anyone else. */
let secrets: string[] = [];

beforeAll(async () => {
  const { componentId } = await seedComponent(api, ['1.0.0', '1.0.1']);
  ids.componentId = componentId;
  const operator = await api.token({ tenant, roles: ['operator'], user: 'olga' });
  const destination = unique('dst');
  for (const name of [ids.serviceName, destination]) {
    const created = await api.request('POST', `/v1/tenants/${tenant}/projects/proj/services`, {
      token: operator,
      body: { name, componentId, version: '1.0.0', instances: [{ id: 'i-0' }] },
    });
    expect(created.status, created.text).toBe(201);
  }
  const step = await api.request('POST', `/v1/tenants/${tenant}/upgrade-pipeline/steps`, {
    token: operator,
    body: {
      sourceProjectName: 'proj',
      sourceServiceName: ids.serviceName,
      destinationProjectName: 'proj',
      destinationServiceName: destination,
    },
  });
  expect(step.status, step.text).toBe(201);
  ids.stepId = step.body.stepId;
  const upgrade = await api.request('POST', `/v1/tenants/${tenant}/upgrades`, {
    token: operator,
    body: { project: 'proj', service: ids.serviceName, toVersion: '1.0.1' },
  });
  expect(upgrade.status, upgrade.text).toBe(201);
  ids.executionId = upgrade.body.executionId;
  const strategy = await api.request('POST', `/v1/tenants/${tenant}/update-strategies`, {
    token: operator,
    body: {
      name: unique('strategy'),
      stages: [
        {
          name: 's',
          beforeGates: [{ type: 'approval', name: 'go' }],
          groups: [{ name: 'g', services: [{ project: 'proj', name: destination }] }],
        },
      ],
    },
  });
  expect(strategy.status, strategy.text).toBe(201);
  ids.strategyName = strategy.body.name;
  const run = await api.request('POST', `/v1/tenants/${tenant}/update-runs`, {
    token: operator,
    body: { name: 'isolation', componentId, toVersion: '1.0.1', strategyName: ids.strategyName },
  });
  expect(run.status, run.text).toBe(201);
  ids.runId = run.body.runId;
  ids.gateId = run.body.stages[0].beforeGates[0].gateId;
  const profile = await api.request('POST', `/v1/tenants/${tenant}/auto-upgrade-profiles`, {
    token: operator,
    body: { name: unique('profile'), componentId, channel: 'patch', strategyName: ids.strategyName },
  });
  expect(profile.status, profile.text).toBe(201);
  ids.profileName = profile.body.name;
  secrets = [
    ids.serviceName ?? '',
    destination,
    ids.stepId ?? '',
    ids.executionId ?? '',
    ids.runId ?? '',
    ids.strategyName ?? '',
    ids.profileName ?? '',
  ];
});

const isRead = (operation: Operation) => operation.method === 'GET';
const isTenantRoute = (operation: Operation) => operation.path.includes('{tenantId}');
/** The route acts on the token's tenant though its path names none (`tenantFromToken`). */
const takesTokenTenant = (operation: Operation) => routeById.get(operation.operationId)?.tenantFromToken === true;
const isTenantScopedOperation = (operation: Operation) => {
  const route = routeById.get(operation.operationId);
  return route !== undefined && isTenantScoped(route);
};

function urlOf(operation: Operation, tenantId = tenant): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (name === 'tenantId') return tenantId;
    const value = isRead(operation) ? ids[name] : MISSING[name];
    if (value === undefined) throw new Error(`no sample for path parameter ${name} of ${operation.operationId}`);
    return encodeURIComponent(value);
  });
  const query = operation.requiredQuery.map((name) => `${name}=${encodeURIComponent(QUERY_SAMPLES[name] ?? ids[name] ?? 'x')}`).join('&');
  return query ? `${path}?${query}` : path;
}

const call = (operation: Operation, token: string | undefined, tenantId = tenant): Promise<ApiResponse> =>
  api.request(operation.method, urlOf(operation, tenantId), {
    ...(token === undefined ? {} : { token }),
    ...(operation.hasBody ? { body: { isolationProbe: true } } : {}),
  });

function expectProblem(response: ApiResponse, status: number, label: string): void {
  expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBe(status);
  expect(response.headers.get('content-type'), label).toBe('application/problem+json');
  expect(response.body?.status, label).toBe(status);
}

/** An allowed role: reads of real resources succeed; mutations are refused for what they name, never for who calls. */
function expectAllowed(operation: Operation, response: ApiResponse, label: string): void {
  if (isRead(operation)) {
    expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBe(200);
  } else {
    expect([401, 403], `${label}: ${response.text.slice(0, 300)}`).not.toContain(response.status);
    expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
  }
}

/** Nothing of the tenant shows, except what the caller itself put in the URL (a 404 may echo it). */
function expectNoLeak(operation: Operation, response: ApiResponse, tenantInPath: string): void {
  const asked = decodeURIComponent(urlOf(operation, tenantInPath));
  for (const secret of [tenant, ...secrets]) {
    if (!asked.includes(secret)) expect(response.text, `${operation.operationId} leaks ${secret}`).not.toContain(secret);
  }
}

export const CASES = [
  'no token',
  'expired token',
  'token signed with another key',
  'alg none token',
  'token without exp',
  'token with iat in the future',
  'token without kid',
  'token with another kid',
  'ES256 token',
  'roles with separators',
  'token of another tenant',
  ...ROLES.map((role) => `${role} alone`),
] as const;

describe('the OpenAPI document and ROUTES', () => {
  it('list the same operations, each with the same method and path', () => {
    const fromDocument = operations.map((operation) => `${operation.operationId} ${operation.method} ${operation.path}`).sort();
    const fromRoutes = (ROUTES as readonly RouteDefinition[]).map((route) => `${route.id} ${routeKey(route)}`).sort();
    expect(
      fromDocument.filter((entry) => !fromRoutes.includes(entry)),
      'in the OpenAPI document but not in ROUTES',
    ).toEqual([]);
    expect(
      fromRoutes.filter((entry) => !fromDocument.includes(entry)),
      'in ROUTES but not in the OpenAPI document',
    ).toEqual([]);
  });

  it('mark exactly the public routes as needing no token', () => {
    for (const operation of operations)
      expect(operation.isPublic, operation.operationId).toBe(routeById.get(operation.operationId)?.access === 'public');
  });
});

describe('isolation matrix over every operation of /openapi.json', () => {
  it.each(operations.filter((operation) => operation.isPublic).map((operation) => [operation.operationId, operation] as const))(
    '%s is public: answers without a token',
    async (_id, operation) => {
      const { status } = await call(operation, undefined);
      // A decision link's token is its credential (docs/decisions/0029-notifications-and-decision-links.md):
      // without one it is refused as input (no token, no link), never as a missing bearer.
      if (routeById.get(operation.operationId)?.group === 'decisions') expect([400, 404, 422]).toContain(status);
      else expect(status).toBe(200);
    },
  );

  it.each(protectedOps.map((operation) => [operation.operationId, operation] as const))(
    '%s: 401 ×9, separator roles, tenant isolation, and the role table',
    async (_id, operation) => {
      const route = routeById.get(operation.operationId);
      expect(route, `${operation.operationId} is not in ROUTES`).toBeDefined();
      const access = (route?.access ?? []) as readonly Role[];
      const scope = isTenantScopedOperation(operation) ? { tenant } : {};

      // 1-4: not authenticated. Every credential below would carry every role.
      const expired = await api.token({ ...scope, roles: [...ROLES], ttlSeconds: -60 });
      const foreign = await signDevToken(await generateDevKey(), { ...scope, roles: [...ROLES], user: 'mallory' });
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({
          sub: 'mallory',
          ...scope,
          roles: [...ROLES],
          iss: 'sluice-local',
          aud: 'sluice',
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 600,
        }),
      ).toString('base64url');
      const unauthenticated: Array<[string, string | undefined]> = [
        ['no token', undefined],
        ['expired token', expired],
        ['token signed with another key', foreign],
        ['alg none token', `${header}.${payload}.`],
      ];
      // 5-9: tokens the JWT authorizer refuses, signed with the dev key where the check allows.
      const now = Math.floor(Date.now() / 1000);
      const claims: JWTPayload = {
        sub: 'mallory',
        ...scope,
        roles: [...ROLES],
        iss: DEV_ISSUER,
        aud: DEV_AUDIENCE,
        iat: now,
        exp: now + 600,
      };
      const { exp: _exp, ...noExp } = claims;
      const sign = (body: JWTPayload, header: Record<string, unknown> = { kid: api.devKey.kid }) =>
        new SignJWT(body).setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header }).sign(api.devKey.privateKey);
      const ec = await generateKeyPair('ES256');
      unauthenticated.push(
        ['token without exp', await sign(noExp)],
        ['token with iat in the future', await sign({ ...claims, iat: now + 300 })],
        ['token without kid', await sign(claims, {})],
        ['token with another kid', await sign(claims, { kid: `${api.devKey.kid}x` })],
        [
          'ES256 token',
          await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: api.devKey.kid }).sign(ec.privateKey),
        ],
      );
      for (const [label, token] of unauthenticated) expectProblem(await call(operation, token), 401, `${operation.operationId} / ${label}`);

      // 10: every role, each hidden in one element with a separator, is no role.
      const separated = await signDevToken(api.devKey, { ...scope, roles: [ROLES.join(','), ROLES.join(' ')], user: 'mallory' });
      expectProblem(await call(operation, separated), 403, `${operation.operationId} / roles with separators`);

      // 11: another tenant's token, with every role.
      const stranger = await api.token({ tenant: otherTenant, roles: [...ROLES], user: 'eve' });
      const foreignAnswer = await call(operation, stranger);
      if (isTenantRoute(operation) || (takesTokenTenant(operation) && isRead(operation) && operation.path.includes('{executionId}'))) {
        expectProblem(foreignAnswer, 404, `${operation.operationId} / token of another tenant`);
        expect(foreignAnswer.body.type).toMatch(/not-found$/);
      } else if (takesTokenTenant(operation)) {
        // The stranger's own tenant: refused for what it names (mutations), or its own,
        // empty figures (statistics of a platform-wide component).
        expectAllowed(operation, foreignAnswer, `${operation.operationId} / token of another tenant`);
        if (isRead(operation) && foreignAnswer.body?.totalExecutions !== undefined) expect(foreignAnswer.body.totalExecutions).toBe(0);
      } else if (access.includes('platform-admin') && !isRead(operation)) {
        // A catalog write: platform-admin counts only on a token without a tenant.
        expectProblem(foreignAnswer, 403, `${operation.operationId} / token of another tenant`);
      } else {
        // The catalog is platform-wide: a tenant's token is just a token.
        expectAllowed(operation, foreignAnswer, `${operation.operationId} / token of another tenant`);
      }
      expectNoLeak(operation, foreignAnswer, tenant);

      // 12-15: each role alone, for the tenant (catalog routes: with no tenant claim).
      for (const role of ROLES) {
        const token = await api.token({ ...scope, roles: [role], user: `only-${role}` });
        const response = await call(operation, token);
        const label = `${operation.operationId} / ${role} alone`;
        if (access.includes(role)) expectAllowed(operation, response, label);
        else expectProblem(response, 403, label);
      }
    },
  );

  // Beyond the table: a stranger who uses their own tenant path with this tenant's ids.
  const readsWithIds = protectedOps.filter(
    (operation) => isRead(operation) && isTenantRoute(operation) && /\{(?!tenantId)\w+\}/.test(operation.path),
  );
  it.each(readsWithIds.map((operation) => [operation.operationId, operation] as const))(
    "%s: another tenant's own path with this tenant's ids reveals nothing",
    async (_id, operation) => {
      const stranger = await api.token({ tenant: otherTenant, roles: [...ROLES], user: 'eve' });
      const response = await call(operation, stranger, otherTenant);
      expect([200, 404], response.text).toContain(response.status);
      expectNoLeak(operation, response, otherTenant);
      if (response.status === 200 && Array.isArray(response.body.items)) expect(response.body.items).toEqual([]);
    },
  );

  it('covers every operation: routes × cases', () => {
    expect(protectedOps.length * CASES.length).toBeGreaterThan(0);
    // The figure the README reports.
    console.info(
      `isolation matrix: ${protectedOps.length} protected operations × ${CASES.length} cases = ${protectedOps.length * CASES.length} requests, + ${operations.length - protectedOps.length} public operations, + ${readsWithIds.length} cross-tenant id probes`,
    );
  });
});
