import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

let api: TestApi;
let componentId: string;
beforeAll(async () => {
  api = await startTestApi();
  ({ componentId } = await seedComponent(api, ['15.4.0', '16.0.0', '16.1.0']));
});
afterAll(() => api.stop());

/** A fresh tenant with an operator and a viewer token. */
async function tenantTokens() {
  const tenant = unique('acme');
  return {
    tenant,
    operator: await api.token({ tenant, roles: ['operator'], user: 'olivia' }),
    viewer: await api.token({ tenant, roles: ['viewer'], user: 'victor' }),
  };
}

const servicesPath = (tenant: string, project = 'dev-project') => `/v1/tenants/${tenant}/projects/${project}/services`;

describe('services', () => {
  it('creates a service with defaults and reads it back', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: {
        name: 'orders-db',
        componentId,
        version: '16.0.0',
        instances: [{ id: 'i-1', healthUrl: 'https://orders-db-1.internal/health' }, { id: 'i-2' }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      tenantId: tenant,
      project: 'dev-project',
      name: 'orders-db',
      version: '16.0.0',
      powered: true,
      target: { type: 'simulated' },
      autoUpgradeChannel: 'none',
    });
    const read = await api.request('GET', `${servicesPath(tenant)}/orders-db`, { token: viewer });
    expect(read.body).toEqual(created.body);
  });

  it('never returns a webhook secret', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const secret = 'super-secret-signing-key-0123456789';
    const created = await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: {
        name: 'hooked',
        componentId,
        version: '16.0.0',
        target: { type: 'webhook', url: 'https://deploy.example.com/sluice', secret },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.target).toEqual({ type: 'webhook', url: 'https://deploy.example.com/sluice', secretConfigured: true });
    for (const response of [
      created,
      await api.request('GET', `${servicesPath(tenant)}/hooked`, { token: viewer }),
      await api.request('GET', servicesPath(tenant), { token: viewer }),
    ]) {
      expect(response.text).not.toContain(secret);
    }
  });

  it('answers 422 for a version or component not in the catalog, and writes nothing', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const unknownVersion = await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: { name: 'svc', componentId, version: '9.9.9' },
    });
    expect(unknownVersion.status).toBe(422);
    expect(unknownVersion.body.errors[0].field).toBe('body.version');
    const unknownComponent = await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: { name: 'svc', componentId: 'cmp_nope', version: '16.0.0' },
    });
    expect(unknownComponent.status).toBe(422);
    expect((await api.request('GET', servicesPath(tenant), { token: viewer })).body.items).toEqual([]);
  });

  it.each([
    ['duplicate instance ids', { instances: [{ id: 'a' }, { id: 'a' }] }, 'body.instances[1].id'],
    ['a name with a path separator', { name: '../etc' }, 'body.name'],
    ['an unknown field', { color: 'blue' }, 'body.color'],
    ['a plain-http webhook', { target: { type: 'webhook', url: 'http://x.example.com', secret: 'a'.repeat(20) } }, 'body.target.url'],
    [
      'a webhook URL with credentials',
      { target: { type: 'webhook', url: 'https://user:pass@x.example.com', secret: 'a'.repeat(20) } },
      'body.target.url',
    ],
    ['a short webhook secret', { target: { type: 'webhook', url: 'https://x.example.com', secret: 'short' } }, 'body.target.secret'],
    ['an unknown channel', { autoUpgradeChannel: 'nightly' }, 'body.autoUpgradeChannel'],
    [
      'a window hour of 24',
      { maintenanceWindow: { dayOfWeek: 'sunday', startHour: 24, durationHours: 2 } },
      'body.maintenanceWindow.startHour',
    ],
    ['a batch size of 0 in defaultUpgrade', { defaultUpgrade: { strategy: 'ROLLING', batchSize: 0 } }, 'body.defaultUpgrade.batchSize'],
    ['an unknown strategy', { defaultUpgrade: { strategy: 'YOLO' } }, 'body.defaultUpgrade.strategy'],
  ])('answers 422 for %s', async (_case, override, field) => {
    const { tenant, operator } = await tenantTokens();
    const response = await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: { name: 'svc', componentId, version: '16.0.0', ...override },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('answers 409 for a second service of the same name in a project, but allows it in another project', async () => {
    const { tenant, operator } = await tenantTokens();
    const body = { name: 'cache', componentId, version: '16.0.0' };
    expect((await api.request('POST', servicesPath(tenant), { token: operator, body })).status).toBe(201);
    expect((await api.request('POST', servicesPath(tenant), { token: operator, body })).status).toBe(409);
    expect((await api.request('POST', servicesPath(tenant, 'prod-project'), { token: operator, body })).status).toBe(201);
  });

  it('patches power, instances, target, channel and window; null clears the window', async () => {
    const { tenant, operator } = await tenantTokens();
    await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: { name: 'web', componentId, version: '16.0.0', maintenanceWindow: { dayOfWeek: 'sunday', startHour: 2, durationHours: 3 } },
    });
    const patched = await api.request('PATCH', `${servicesPath(tenant)}/web`, {
      token: operator,
      body: {
        powered: false,
        instances: [{ id: 'w-1' }],
        autoUpgradeChannel: 'stable',
        target: { type: 'simulated', failInstances: ['w-1'] },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      powered: false,
      instances: [{ id: 'w-1' }],
      autoUpgradeChannel: 'stable',
      maintenanceWindow: { dayOfWeek: 'sunday' },
    });
    const cleared = await api.request('PATCH', `${servicesPath(tenant)}/web`, { token: operator, body: { maintenanceWindow: null } });
    expect(cleared.body.maintenanceWindow).toBeUndefined();
  });

  it.each([
    ['name', { name: 'other' }],
    ['componentId', { componentId: 'cmp_other' }],
    ['version', { version: '16.1.0' }],
  ])('answers 422 naming %s when a patch tries to change it, and changes nothing', async (field, body) => {
    const { tenant, operator, viewer } = await tenantTokens();
    await api.request('POST', servicesPath(tenant), { token: operator, body: { name: 'immutable', componentId, version: '16.0.0' } });
    const response = await api.request('PATCH', `${servicesPath(tenant)}/immutable`, {
      token: operator,
      body: { ...body, powered: false },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: `body.${field}` })]);
    expect((await api.request('GET', `${servicesPath(tenant)}/immutable`, { token: viewer })).body).toMatchObject({
      powered: true,
      version: '16.0.0',
    });
  });

  it('answers 422 for an empty patch and 404 for an unknown service', async () => {
    const { tenant, operator } = await tenantTokens();
    await api.request('POST', servicesPath(tenant), { token: operator, body: { name: 'p', componentId, version: '16.0.0' } });
    expect((await api.request('PATCH', `${servicesPath(tenant)}/p`, { token: operator, body: {} })).status).toBe(422);
    expect((await api.request('PATCH', `${servicesPath(tenant)}/nope`, { token: operator, body: { powered: false } })).status).toBe(404);
    expect((await api.request('GET', `${servicesPath(tenant)}/nope`, { token: operator })).status).toBe(404);
  });

  it('lets concurrent patches of one service each either win or get 409, never lose an update silently', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    await api.request('POST', servicesPath(tenant), { token: operator, body: { name: 'racy', componentId, version: '16.0.0' } });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        api.request('PATCH', `${servicesPath(tenant)}/racy`, { token: operator, body: { instances: [{ id: `only-${index}` }] } }),
      ),
    );
    const winners = results.filter((result) => result.status === 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(results.every((result) => result.status === 200 || result.status === 409)).toBe(true);
    const final = await api.request('GET', `${servicesPath(tenant)}/racy`, { token: viewer });
    // The stored state is exactly what one of the winners answered.
    expect(winners.map((winner) => JSON.stringify(winner.body.instances))).toContain(JSON.stringify(final.body.instances));
  });

  it('deletes a service: 204, then 404', async () => {
    const { tenant, operator } = await tenantTokens();
    await api.request('POST', servicesPath(tenant), { token: operator, body: { name: 'gone', componentId, version: '16.0.0' } });
    const deleted = await api.request('DELETE', `${servicesPath(tenant)}/gone`, { token: operator });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await api.request('DELETE', `${servicesPath(tenant)}/gone`, { token: operator })).status).toBe(404);
  });

  it('lists only the project’s services, paginated', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const names = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (const name of names)
      await api.request('POST', servicesPath(tenant), { token: operator, body: { name, componentId, version: '16.0.0' } });
    await api.request('POST', servicesPath(tenant, 'other'), {
      token: operator,
      body: { name: 'elsewhere', componentId, version: '16.0.0' },
    });
    const first = await api.request('GET', `${servicesPath(tenant)}?limit=2`, { token: viewer });
    expect(first.body.items).toHaveLength(2);
    const seen = [...first.body.items];
    let token = first.body.nextToken as string | undefined;
    while (token) {
      const page = await api.request('GET', `${servicesPath(tenant)}?limit=2&nextToken=${token}`, { token: viewer });
      seen.push(...page.body.items);
      token = page.body.nextToken;
    }
    expect(seen.map((service) => service.name)).toEqual(names);
  });

  it('keeps tenants apart: a service name in one tenant is invisible in another', async () => {
    const a = await tenantTokens();
    const b = await tenantTokens();
    await api.request('POST', servicesPath(a.tenant), { token: a.operator, body: { name: 'shared-name', componentId, version: '16.0.0' } });
    expect((await api.request('GET', `${servicesPath(b.tenant)}/shared-name`, { token: b.viewer })).status).toBe(404);
    expect((await api.request('GET', `${servicesPath(a.tenant)}/shared-name`, { token: b.viewer })).status).toBe(404);
  });

  it('answers 400 for invalid path parameters', async () => {
    const { tenant, operator } = await tenantTokens();
    const response = await api.request('GET', `/v1/tenants/${tenant}/projects/Bad_Project/services`, { token: operator });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('path.projectName');
  });
});

describe('deleting a service that something depends on', () => {
  it('answers 409 while the service has an active upgrade, and deletes it once that ended', async () => {
    const { tenant, operator } = await tenantTokens();
    await api.request('POST', servicesPath(tenant), {
      token: operator,
      body: { name: 'busy', componentId, version: '16.0.0', instances: [{ id: 'i-1' }] },
    });
    const upgrade = await api.request('POST', `/v1/tenants/${tenant}/upgrades`, {
      token: operator,
      body: { project: 'dev-project', service: 'busy', toVersion: '16.1.0' },
    });
    expect(upgrade.status).toBe(201);
    const refused = await api.request('DELETE', `${servicesPath(tenant)}/busy`, { token: operator });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(upgrade.body.executionId);
    await api.request('POST', `/v1/tenants/${tenant}/upgrades/${upgrade.body.executionId}/cancel`, { token: operator });
    expect((await api.request('DELETE', `${servicesPath(tenant)}/busy`, { token: operator })).status).toBe(204);
  });

  it('answers 409 while the service is a step of an upgrade pipeline', async () => {
    const { tenant, operator } = await tenantTokens();
    for (const name of ['dev', 'prod'])
      await api.request('POST', servicesPath(tenant), { token: operator, body: { name, componentId, version: '16.0.0' } });
    const step = await api.request('POST', `/v1/tenants/${tenant}/upgrade-pipeline/steps`, {
      token: operator,
      body: {
        sourceProjectName: 'dev-project',
        sourceServiceName: 'dev',
        destinationProjectName: 'dev-project',
        destinationServiceName: 'prod',
      },
    });
    expect(step.status).toBe(201);
    for (const name of ['dev', 'prod']) {
      const refused = await api.request('DELETE', `${servicesPath(tenant)}/${name}`, { token: operator });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('pipeline');
    }
    await api.request('DELETE', `/v1/tenants/${tenant}/upgrade-pipeline/steps/${step.body.stepId}`, { token: operator });
    expect((await api.request('DELETE', `${servicesPath(tenant)}/prod`, { token: operator })).status).toBe(204);
  });
});
