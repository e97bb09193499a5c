import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { CONTRACTS } from '../../functions/api/contracts.js';
import { isTenantScoped, ROUTES, type Role, type RouteDefinition } from '../../functions/domain/routes.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

const tenant = unique('badinput');
const routes = (ROUTES as readonly RouteDefinition[]).filter((route) => route.access !== 'public');
const contractOf = (route: RouteDefinition) => CONTRACTS[route.id as keyof typeof CONTRACTS] as { body?: unknown; params?: unknown };
const tokenFor = (route: RouteDefinition) => api.token({ ...(isTenantScoped(route) ? { tenant } : {}), roles: route.access as Role[] });
const VALID: Record<string, string> = {
  componentId: 'cmp_none',
  projectName: 'proj',
  serviceName: 'svc',
  executionId: 'upg_0000000000',
  stepId: 'stp_0000000000',
  runId: 'run_0000000000',
  gateId: 'gate-1',
  strategyName: 'strategy',
  profileName: 'profile',
};
const fill = (route: RouteDefinition, overrides: Record<string, string> = {}) =>
  route.path.replace(/\{(\w+)\}/g, (_match, name: string) => overrides[name] ?? (name === 'tenantId' ? tenant : (VALID[name] ?? 'x')));
const valid = (route: RouteDefinition) => fill(route);
/** The route's path with its required query parameters (a rollback's `reason`), so that the body is what is judged. */
const QUERY_SAMPLES: Record<string, string> = { reason: 'bad input', componentId: 'cmp_none' };
const withRequiredQuery = (route: RouteDefinition) => {
  const query = (contractOf(route) as { query?: z.ZodType }).query;
  const required = query
    ? ((z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }) as { required?: string[] }).required ?? [])
    : [];
  const pairs = required.map((name) => `${name}=${encodeURIComponent(QUERY_SAMPLES[name] ?? 'x')}`).join('&');
  return pairs ? `${valid(route)}?${pairs}` : valid(route);
};

describe('bad input on every route answers 4xx problem+json', () => {
  const withBody = routes.filter((route) => contractOf(route).body);
  it.each(withBody.map((route) => [route.id, route] as const))(
    '%s: 413 above 256 KiB, 400 for malformed JSON, 422 for an unknown field',
    async (_id, route) => {
      const token = await tokenFor(route);
      const headers = { 'content-type': 'application/json' };
      const huge = await api.request(route.method, withRequiredQuery(route), {
        token,
        headers,
        rawBody: JSON.stringify({ pad: 'x'.repeat(257 * 1024) }),
      });
      expect(huge.status).toBe(413);
      const malformed = await api.request(route.method, withRequiredQuery(route), { token, headers, rawBody: '{"a":' });
      expect(malformed.status).toBe(400);
      const unknown = await api.request(route.method, withRequiredQuery(route), { token, body: { definitelyNotAField: true } });
      expect(unknown.status).toBe(422);
      for (const response of [huge, malformed, unknown]) expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(unknown.body.errors.map((error: { field: string }) => error.field)).toContain('body.definitelyNotAField');
    },
  );

  // A route whose only parameter is the tenant answers 404 to any tenant but the token's
  // (the auth matrix checks that); every other parameter must be validated.
  const lastParam = (route: RouteDefinition) => [...route.path.matchAll(/\{(\w+)\}/g)].pop()?.[1];
  const withParams = routes.filter((route) => lastParam(route) !== undefined && lastParam(route) !== 'tenantId');
  it.each(withParams.map((route) => [route.id, route] as const))('%s: 400 naming a malformed path parameter', async (_id, route) => {
    const token = await tokenFor(route);
    // The tenant must match the token (else 404, as the auth matrix checks), so break the
    // last parameter of the path, which is never the tenant.
    const last = lastParam(route) ?? '';
    const broken = fill(route, { [last]: encodeURIComponent('Not Valid!') });
    const response = await api.request(route.method, broken, { token, ...(contractOf(route).body ? { body: {} } : {}) });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(`path.${last}`);
  });

  it.each(routes.map((route) => [route.id, route] as const))('%s: 400 for an unknown query parameter', async (_id, route) => {
    const token = await tokenFor(route);
    const response = await api.request(route.method, `${valid(route)}?bogus=1`, { token, ...(contractOf(route).body ? { body: {} } : {}) });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
