import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { settleVersions } from '../../functions/services/service.js';
import { createServiceRepository } from '../../functions/services/service-repository.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';
import { TERMINAL } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

/**
 * `GET /v1/tenants/{t}/compliance` over a seeded fleet. Tenant A runs the component C on
 * seven services:
 *
 * | service         | instances                  | version | at 1.2.3 (the default)       |
 * | --------------- | -------------------------- | ------- | ---------------------------- |
 * | a/api           | 1.3.0 ×2                   | 1.3.0   | compliant                    |
 * | a/web           | 1.2.3 ×3                   | 1.2.3   | compliant                    |
 * | a/ahead         | 1.2.3, 1.3.0               | 1.2.3   | compliant (mixed)            |
 * | a/half-done     | 1.2.3 ×3, 1.2.0 ×2         | 1.2.0   | lags: a failed real upgrade  |
 * | b/legacy        | 1.0.0, powered off         | 1.0.0   | lags                         |
 * | b/empty         | none                       | 1.1.0   | lags                         |
 * | b/split         | 1.1.0, 1.2.0               | 1.1.0   | lags (mixed, none compliant) |
 *
 * and one service of another component; tenant B runs C on a service of its own.
 * Neither of those may count.
 */

let api: TestApi;
let db: DynamoDBDocumentClient;
let componentId: string;
let admin: string;
const tenant = unique('comply');
const other = unique('comply-other');
const tokens = { operator: '', viewer: '' };
const compliance = (query: string, forTenant = tenant) => `/v1/tenants/${forTenant}/compliance?${query}`;

beforeAll(async () => {
  api = await startTestApi();
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: api.runtime.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  // 2.0.0-rc.1 (rapid) is the newest and 1.3.0 the newest release; 1.2.3 is the security fix.
  ({ componentId, admin } = await seedComponent(api, ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '2.0.0-rc.1']));
  const security = await api.request('POST', `/v1/components/${componentId}/versions`, {
    token: admin,
    body: { version: '1.2.3', channel: 'stable', security: true },
  });
  expect(security.status, security.text).toBe(201);
  tokens.operator = await api.token({ tenant, roles: ['operator'], user: 'olivia' });
  tokens.viewer = await api.token({ tenant, roles: ['viewer'], user: 'victor' });
  await seedFleet();
});
afterAll(async () => {
  db?.destroy();
  await api?.stop();
});

async function createService(project: string, name: string, version: string, instances: number, options: Record<string, unknown> = {}) {
  const created = await api.request('POST', `/v1/tenants/${tenant}/projects/${project}/services`, {
    token: tokens.operator,
    body: {
      name,
      componentId,
      version,
      instances: Array.from({ length: instances }, (_, index) => ({ id: `i-${index}` })),
      ...options,
    },
  });
  expect(created.status, created.text).toBe(201);
}

/**
 * Records that the instances of `project/name` run `versions`, as an upgrade that moved
 * only some of them leaves it (settled by the same function the upgrades use).
 */
async function runInstancesAt(project: string, name: string, versions: readonly string[]) {
  const repository = createServiceRepository(db, LOCAL_TABLE_NAME);
  const current = await repository.get({ tenantId: tenant, project, name });
  if (!current) throw new Error(`no service ${project}/${name}`);
  const instances = current.instances.map((instance, index) => ({ ...instance, version: versions[index] }));
  await repository.replace({ ...current, ...settleVersions(instances, current.version), revision: current.revision + 1 });
}

/** A real upgrade to 1.2.3 in which i-3 and i-4 fail: it ends FAILED with three of five instances moved. */
async function halfDoneUpgrade() {
  await createService('a', 'half-done', '1.2.0', 5, { target: { type: 'simulated', failInstances: ['i-3', 'i-4'] } });
  const base = `/v1/tenants/${tenant}/upgrades`;
  const created = await api.request('POST', base, {
    token: tokens.operator,
    body: { project: 'a', service: 'half-done', toVersion: '1.2.3', batchSize: 5, failureThreshold: 3, autoRollbackEnabled: false },
  });
  expect(created.status, created.text).toBe(201);
  const id = created.body.executionId as string;
  expect((await api.request('POST', `${base}/${id}/start`, { token: tokens.operator })).status).toBe(200);
  const ended = await waitFor(
    async () => {
      const execution = (await api.request('GET', `${base}/${id}`, { token: tokens.viewer })).body;
      return TERMINAL.includes(execution.status) && execution;
    },
    { timeout: 60_000, message: `the upgrade ${id} to end` },
  );
  expect(ended.status).toBe('FAILED');
  const service = (await api.request('GET', `/v1/tenants/${tenant}/projects/a/services/half-done`, { token: tokens.viewer })).body;
  expect(service).toMatchObject({ version: '1.2.0', mixedVersions: true });
  expect(service.instances.map((instance: { version: string }) => instance.version)).toEqual(['1.2.3', '1.2.3', '1.2.3', '1.2.0', '1.2.0']);
}

async function seedFleet() {
  await createService('a', 'api', '1.3.0', 2);
  await createService('a', 'web', '1.2.3', 3);
  await createService('a', 'ahead', '1.2.3', 2);
  await runInstancesAt('a', 'ahead', ['1.2.3', '1.3.0']);
  await createService('b', 'legacy', '1.0.0', 1, { powered: false });
  await createService('b', 'empty', '1.1.0', 0);
  await createService('b', 'split', '1.1.0', 2);
  await runInstancesAt('b', 'split', ['1.1.0', '1.2.0']);
  await halfDoneUpgrade();

  // Must not count: a service of another component in the tenant, and tenant B's service of C.
  const { componentId: another } = await seedComponent(api, ['0.1.0']);
  const elsewhere = await api.request('POST', `/v1/tenants/${tenant}/projects/a/services`, {
    token: tokens.operator,
    body: { name: 'not-this-component', componentId: another, version: '0.1.0', instances: [{ id: 'x' }] },
  });
  expect(elsewhere.status).toBe(201);
  const otherOperator = await api.token({ tenant: other, roles: ['operator'], user: 'oscar' });
  const theirs = await api.request('POST', `/v1/tenants/${other}/projects/a/services`, {
    token: otherOperator,
    body: { name: 'theirs', componentId, version: '1.0.0', instances: [{ id: 'x' }, { id: 'y' }] },
  });
  expect(theirs.status).toBe(201);
}

describe('compliance', () => {
  it('measures against the newest security release by default and counts every service and instance', async () => {
    const response = await api.request('GET', compliance(`componentId=${componentId}`), { token: tokens.viewer });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({
      componentId,
      version: '1.2.3',
      // api, web, ahead of 7.
      services: { total: 7, compliant: 3, percent: 42.86 },
      // api 2 + web 3 + ahead 2 + half-done 3 of 15 (empty has none).
      instances: { total: 15, compliant: 10, percent: 66.67 },
      byVersion: { '1.0.0': 1, '1.1.0': 2, '1.2.0': 1, '1.2.3': 2, '1.3.0': 1 },
      laggards: [
        { project: 'b', service: 'legacy', version: '1.0.0', reason: 'runs 1.0.0, older than 1.2.3; powered off' },
        { project: 'b', service: 'empty', version: '1.1.0', reason: 'runs 1.1.0, older than 1.2.3' },
        { project: 'b', service: 'split', version: '1.1.0', reason: '0 of 2 instances run 1.2.3 or newer (mixed)' },
        { project: 'a', service: 'half-done', version: '1.2.0', reason: '3 of 5 instances run 1.2.3 or newer (mixed)' },
      ],
    });
    expect(Object.keys(response.body.byVersion)).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.2.3', '1.3.0']);
  });

  it('measures against the version asked for', async () => {
    const older = await api.request('GET', compliance(`componentId=${componentId}&version=1.1.0`), { token: tokens.viewer });
    expect(older.status, older.text).toBe(200);
    expect(older.body).toMatchObject({
      version: '1.1.0',
      services: { total: 7, compliant: 6, percent: 85.71 },
      instances: { total: 15, compliant: 14, percent: 93.33 },
      laggards: [{ project: 'b', service: 'legacy', version: '1.0.0', reason: 'runs 1.0.0, older than 1.1.0; powered off' }],
    });

    const newest = await api.request('GET', compliance(`componentId=${componentId}&version=1.3.0`), { token: tokens.viewer });
    expect(newest.body).toMatchObject({
      version: '1.3.0',
      services: { total: 7, compliant: 1, percent: 14.29 },
      // api 2 + ahead's 1.3.0 instance.
      instances: { total: 15, compliant: 3, percent: 20 },
    });
    expect(newest.body.laggards.map((laggard: { service: string; reason: string }) => [laggard.service, laggard.reason])).toEqual([
      ['legacy', 'runs 1.0.0, older than 1.3.0; powered off'],
      ['empty', 'runs 1.1.0, older than 1.3.0'],
      ['split', '0 of 2 instances run 1.3.0 or newer (mixed)'],
      ['half-done', '0 of 5 instances run 1.3.0 or newer (mixed)'],
      ['ahead', '1 of 2 instances run 1.3.0 or newer (mixed)'],
      ['web', 'runs 1.2.3, older than 1.3.0'],
    ]);

    const candidate = await api.request('GET', compliance(`componentId=${componentId}&version=2.0.0-rc.1`), { token: tokens.viewer });
    expect(candidate.body).toMatchObject({ services: { total: 7, compliant: 0, percent: 0 }, instances: { compliant: 0, percent: 0 } });
  });

  it('counts only the tenant’s own services: tenant B sees its one service, at 0 percent', async () => {
    const viewer = await api.token({ tenant: other, roles: ['viewer'], user: 'vera' });
    const response = await api.request('GET', compliance(`componentId=${componentId}`, other), { token: viewer });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({
      services: { total: 1, compliant: 0, percent: 0 },
      instances: { total: 2, compliant: 0, percent: 0 },
      byVersion: { '1.0.0': 1 },
      laggards: [{ project: 'a', service: 'theirs', version: '1.0.0', reason: 'runs 1.0.0, older than 1.2.3' }],
    });
  });

  it('defaults to the newest release when none is flagged security, and answers 100 percent for no services', async () => {
    const { componentId: plain } = await seedComponent(api, ['3.1.0', '3.10.0', '3.2.0', '4.0.0-beta.1']);
    const response = await api.request('GET', compliance(`componentId=${plain}`), { token: tokens.viewer });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({
      componentId: plain,
      version: '3.10.0',
      services: { total: 0, compliant: 0, percent: 100 },
      instances: { total: 0, compliant: 0, percent: 100 },
      byVersion: {},
      laggards: [],
    });
  });

  it('answers 404 for an unknown component', async () => {
    const response = await api.request('GET', compliance('componentId=cmp_nope'), { token: tokens.viewer });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 422 naming query.version for a version not published in the catalog', async () => {
    for (const version of ['9.9.9', '1.2.4', '1.3.0-rc.1']) {
      const response = await api.request('GET', compliance(`componentId=${componentId}&version=${version}`), { token: tokens.viewer });
      expect(response.status, version).toBe(422);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.version' })]);
    }
  });

  it('answers 422 naming query.version for a component without any published version', async () => {
    const created = await api.request('POST', '/v1/components', { token: admin, body: { name: unique('bare') } });
    expect(created.status).toBe(201);
    const response = await api.request('GET', compliance(`componentId=${created.body.componentId}`), { token: tokens.viewer });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'query.version' })]);
  });

  it('answers 400 for a query that is not well-formed', async () => {
    for (const query of ['', `componentId=${componentId}&version=latest`, `componentId=${componentId}&colour=blue`]) {
      expect((await api.request('GET', compliance(query), { token: tokens.viewer })).status, query).toBe(400);
    }
  });

  it('answers 404 to another tenant’s token, whatever its roles, before looking at the query', async () => {
    for (const roles of [['viewer'], ['operator', 'approver']] as const) {
      const stranger = await api.token({ tenant: other, roles, user: 'mallory' });
      for (const query of [`componentId=${componentId}`, 'componentId=cmp_nope', `componentId=${componentId}&version=9.9.9`]) {
        const response = await api.request('GET', compliance(query), { token: stranger });
        expect(response.status, `${roles} ${query}`).toBe(404);
        expect(response.text).not.toContain('half-done');
      }
    }
  });

  it('lets every reader role in and refuses a token without one with 403', async () => {
    for (const role of ['viewer', 'operator', 'approver'] as const) {
      const token = await api.token({ tenant, roles: [role], user: `reader-${role}` });
      expect((await api.request('GET', compliance(`componentId=${componentId}`), { token })).status, role).toBe(200);
    }
    for (const roles of [[], ['platform-admin']] as const) {
      const token = await api.token({ tenant, roles, user: 'no-reader' });
      const response = await api.request('GET', compliance(`componentId=${componentId}`), { token });
      expect(response.status, `${roles}`).toBe(403);
      expect(response.text).not.toContain('half-done');
    }
    expect((await api.request('GET', compliance(`componentId=${componentId}`))).status).toBe(401);
  });
});
