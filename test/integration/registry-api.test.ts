import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryUpgradeExecution } from '../../functions/registry/schemas.js';
import { type ApiResponse, type RequestOptions, startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';
import { TERMINAL } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

/**
 * The orchestrator-style API (`/api/v1/registry`): the same executions as the native
 * `/v1/tenants/{t}/upgrades` routes, addressed by catalog ids and answered with the
 * orchestrator's field names (README, "The orchestrator-style API").
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

const REGISTRY = '/api/v1/registry';

interface World {
  readonly tenant: string;
  readonly componentId: string;
  /** versionId by version. */
  readonly ids: Record<string, string>;
  readonly operator: string;
  readonly viewer: string;
  service(name: string, count: number, options?: { project?: string; componentId?: string; version?: string }): Promise<void>;
  create(body: Record<string, unknown>, options?: RequestOptions): Promise<ApiResponse>;
  act(executionId: string, action: string, options?: RequestOptions): Promise<ApiResponse>;
  get(executionId: string, token?: string): Promise<ApiResponse>;
  waitFor(executionId: string, predicate: (execution: any) => boolean): Promise<any>;
  /** The request fields every create needs: the component and both version ids. */
  upgrade(from: string, to: string, extra?: Record<string, unknown>): Record<string, unknown>;
}

/** A fresh tenant and component (1.0.0, 1.0.1, 1.1.0, 1.2.0), so figures are this world's alone. */
async function registryWorld(versions: readonly string[] = ['1.0.0', '1.0.1', '1.1.0', '1.2.0']): Promise<World> {
  const { componentId, admin } = await seedComponent(api, versions);
  const listed = await api.request('GET', `/v1/components/${componentId}/versions?limit=100`, { token: admin });
  const ids = Object.fromEntries(listed.body.items.map((v: { version: string; versionId: string }) => [v.version, v.versionId]));
  const tenant = unique('reg');
  const operator = await api.token({ tenant, roles: ['operator'], user: 'olga' });
  const viewer = await api.token({ tenant, roles: ['viewer'], user: 'vic' });
  const world: World = {
    tenant,
    componentId,
    ids,
    operator,
    viewer,
    async service(name, count, options = {}) {
      const response = await api.request('POST', `/v1/tenants/${tenant}/projects/${options.project ?? 'p'}/services`, {
        token: operator,
        body: {
          name,
          componentId: options.componentId ?? componentId,
          version: options.version ?? versions[0],
          instances: Array.from({ length: count }, (_, index) => ({ id: `i-${index}` })),
        },
      });
      expect(response.status, response.text).toBe(201);
    },
    create: (body, options = {}) => api.request('POST', `${REGISTRY}/tenants/${tenant}/upgrades`, { token: operator, body, ...options }),
    act: (executionId, action, options = {}) =>
      api.request('POST', `${REGISTRY}/upgrades/${executionId}/${action}`, { token: operator, ...options }),
    get: (executionId, token = viewer) => api.request('GET', `${REGISTRY}/upgrades/${executionId}`, { token }),
    waitFor: (executionId, predicate) =>
      waitFor(
        async () => {
          const response = await world.get(executionId);
          expect(response.status, response.text).toBe(200);
          return predicate(response.body) ? response.body : undefined;
        },
        { timeout: 30_000, interval: 50, message: `execution ${executionId}` },
      ),
    upgrade: (from, to, extra = {}) => ({ componentId, fromVersionId: ids[from], toVersionId: ids[to], ...extra }),
  };
  return world;
}

function expectProblem(response: ApiResponse, status: number): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body.status).toBe(status);
}

/** Slow enough to catch between batches: 2,000 s apart (2 s at the test's 1000x). */
const SLOW = { batchSize: 1, maxUnavailablePercentage: 25, batchDelaySeconds: 2000, healthCheckIntervalSeconds: 1 };

describe("the orchestrator's curl example", () => {
  it('creates an upgrade with exactly its body (ids that exist), and the registry routes drive it to COMPLETED', async () => {
    const world = await registryWorld();
    await world.service('orders', 20);
    // The example's body byte for byte, but for the three catalog ids.
    const body = `{
"componentId": "${world.componentId}",
"fromVersionId": "${world.ids['1.0.0']}",
"toVersionId": "${world.ids['1.1.0']}",
"strategy": "CANARY",
"canaryPercentage": 10,
"batchSize": 5,
"batchDelaySeconds": 60,
"healthCheckIntervalSeconds": 30,
"healthCheckTimeoutSeconds": 300,
"maxUnavailablePercentage": 25,
"totalInstances": 20,
"autoRollbackEnabled": true,
"failureThreshold": 3,
"initiatedBy": "admin@matih.ai",
"installedComponents": {
"kafka": "3.6.0",
"postgresql": "16.1"
}
}`;
    const created = await api.request('POST', `${REGISTRY}/tenants/${world.tenant}/upgrades`, {
      token: world.operator,
      headers: { 'Content-Type': 'application/json' },
      rawBody: body,
    });
    expect(created.status, created.text).toBe(201);
    expect(RegistryUpgradeExecution.safeParse(created.body).error).toBeUndefined();
    expect(created.body).toMatchObject({
      tenantId: world.tenant,
      componentId: world.componentId,
      service: 'p/orders',
      fromVersionId: world.ids['1.0.0'],
      toVersionId: world.ids['1.1.0'],
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      strategy: 'CANARY',
      status: 'PENDING',
      canaryPercentage: 10,
      batchSize: 5,
      batchDelaySeconds: 60,
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 300,
      maxUnavailablePercentage: 25,
      totalInstances: 20,
      autoRollbackEnabled: true,
      failureThreshold: 3,
      // The token's subject, not the body's initiatedBy.
      initiatedBy: 'olga',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1' },
      completedInstances: 0,
      failedInstances: 0,
      rollbackInfo: { autoRollbackEnabled: true, failureThreshold: 3, currentFailures: 0, rolledBackInstances: [] },
    });
    const id = created.body.executionId as string;

    // The native view of the very same execution.
    const native = await api.request('GET', `/v1/tenants/${world.tenant}/upgrades/${id}`, { token: world.viewer });
    expect(native.body).toMatchObject({ executionId: id, project: 'p', service: 'orders', initiatedBy: 'olga', toVersion: '1.1.0' });

    const read = await world.get(id);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const active = await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/components/${world.componentId}/upgrades/active`, {
      token: world.viewer,
    });
    expect(active.status, active.text).toBe(200);
    expect(active.body.executionId).toBe(id);

    const started = await world.act(id, 'start');
    expect(started.status, started.text).toBe(200);
    expect(started.body.status).toBe('VALIDATING');

    const monitoring = await world.waitFor(
      id,
      (execution) => execution.status === 'CANARY_MONITORING' || TERMINAL.includes(execution.status),
    );
    expect(monitoring.status).toBe('CANARY_MONITORING');
    expect(monitoring.completedInstances).toBe(2); // 10 % of 20
    expect(monitoring.preChecks.map((check: { name: string; passed: boolean }) => [check.name, check.passed])).toEqual([
      ['version-compatibility', true],
      ['resource-availability', true],
      ['backup-verification', true],
      ['health-endpoints', true],
      ['dependency-check', true],
    ]);

    const promoted = await world.act(id, 'promote-canary');
    expect(promoted.status, promoted.text).toBe(200);
    expect(promoted.body.status).toBe('IN_PROGRESS');

    const finished = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(finished).toMatchObject({ status: 'COMPLETED', completedInstances: 20, failedInstances: 0 });
    expect(finished.finishedAt).toEqual(expect.any(String));

    const none = await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/components/${world.componentId}/upgrades/active`, {
      token: world.viewer,
    });
    expectProblem(none, 404);

    const list = await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/upgrades`, { token: world.viewer });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([finished]);

    const stats = await api.request('GET', `${REGISTRY}/components/${world.componentId}/upgrade-statistics`, { token: world.viewer });
    expect(stats.status, stats.text).toBe(200);
    expect(stats.body).toMatchObject({
      componentId: world.componentId,
      totalExecutions: 1,
      successfulExecutions: 1,
      failedExecutions: 0,
      successRate: 100,
    });
    expect(stats.body.averageDurationSeconds).toBeGreaterThan(0);
    // The same figures as the native route.
    const nativeStats = await api.request('GET', `/v1/tenants/${world.tenant}/components/${world.componentId}/upgrade-statistics`, {
      token: world.viewer,
    });
    expect(stats.body).toEqual(nativeStats.body);
  });
});

describe('the lifecycle routes', () => {
  it('pause, resume and cancel a rolling upgrade; an illegal action is 409 with currentStatus', async () => {
    const world = await registryWorld();
    await world.service('slow', 4);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1', SLOW));
    expect(created.status, created.text).toBe(201);
    const id = created.body.executionId as string;
    expectProblem(await world.act(id, 'resume'), 409);
    expect((await world.act(id, 'start')).status).toBe(200);
    await world.waitFor(id, (execution) => execution.status === 'IN_PROGRESS');

    const paused = await world.act(id, 'pause');
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.status).toBe('PAUSED');
    const resumed = await world.act(id, 'resume');
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.status).toBe('IN_PROGRESS');
    const cancelled = await world.act(id, 'cancel');
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const again = await world.act(id, 'cancel');
    expectProblem(again, 409);
    expect(again.body.currentStatus).toBe('CANCELLED');
  });

  it('cancels a PENDING upgrade; start, promote-canary on the wrong status are 409', async () => {
    const world = await registryWorld();
    await world.service('pending', 2);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1'));
    const id = created.body.executionId as string;
    expectProblem(await world.act(id, 'promote-canary'), 409);
    expect((await world.act(id, 'cancel')).body.status).toBe('CANCELLED');
    expectProblem(await world.act(id, 'start'), 409);
  });

  it('rolls back with ?reason=…: 202, the reason and the initiator in rollbackInfo, then ROLLED_BACK', async () => {
    const world = await registryWorld();
    await world.service('back', 4);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1', SLOW));
    const id = created.body.executionId as string;
    expect((await world.act(id, 'start')).status).toBe(200);
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);

    const missing = await world.act(id, 'rollback');
    expectProblem(missing, 400);
    expect(missing.body.errors.map((error: { field: string }) => error.field)).toContain('query.reason');

    const rolling = await world.act(id, 'rollback?reason=Manual+rollback');
    expect(rolling.status, rolling.text).toBe(202);
    expect(rolling.body.status).toBe('ROLLING_BACK');
    expect(rolling.body.rollbackInfo).toMatchObject({ rollbackReason: 'Manual rollback', rollbackInitiatedBy: 'olga' });
    expect(rolling.body.rollbackInfo.rollbackInitiatedAt).toEqual(expect.any(String));
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.rollbackInfo.rolledBackInstances.length).toBeGreaterThan(0);
  });
});

describe('componentId names the tenant’s service of that component', () => {
  it('404 when the tenant has no service of it, or the catalog no such component', async () => {
    const world = await registryWorld();
    const none = await world.create(world.upgrade('1.0.0', '1.0.1'));
    expectProblem(none, 404);
    expect(none.body.detail).toContain(world.componentId);
    const unknown = await world.create({ ...world.upgrade('1.0.0', '1.0.1'), componentId: 'cmp_nosuch' });
    expectProblem(unknown, 404);
  });

  it('409 naming the services when there are several; "service" (project/name) chooses one', async () => {
    const world = await registryWorld();
    await world.service('alpha', 2, { project: 'p' });
    await world.service('beta', 2, { project: 'q' });
    const ambiguous = await world.create(world.upgrade('1.0.0', '1.0.1'));
    expectProblem(ambiguous, 409);
    expect(ambiguous.body.services).toEqual(['p/alpha', 'q/beta']);
    expect(ambiguous.body.detail).toContain('p/alpha');
    expect(ambiguous.body.detail).toContain('q/beta');
    expect(ambiguous.body.errors[0]).toMatchObject({ field: 'body.service', code: 'AMBIGUOUS_COMPONENT' });

    const chosen = await world.create(world.upgrade('1.0.0', '1.0.1', { service: 'q/beta' }));
    expect(chosen.status, chosen.text).toBe(201);
    expect(chosen.body.service).toBe('q/beta');
    expectProblem(await world.create(world.upgrade('1.0.0', '1.0.1', { service: 'p/nobody' })), 404);
    const malformed = await world.create(world.upgrade('1.0.0', '1.0.1', { service: 'beta' }));
    expectProblem(malformed, 422);
    expect(malformed.body.errors[0].field).toBe('body.service');
    // A service of another component is not one of this component's.
    const other = await seedComponent(api, ['2.0.0']);
    await world.service('gamma', 1, { componentId: other.componentId, version: '2.0.0' });
    expectProblem(await world.create(world.upgrade('1.0.0', '1.0.1', { service: 'p/gamma' })), 404);
  });

  it('refuses versions outside the component (422), a stale fromVersionId (409) and a blocked path (422, blockers)', async () => {
    const world = await registryWorld();
    const foreign = await registryWorld(['9.0.0']);
    await world.service('solo', 2);
    const outside = await world.create({
      ...world.upgrade('1.0.0', '1.0.1'),
      toVersionId: foreign.ids['9.0.0'],
      fromVersionId: 'ver_nosuch',
    });
    expectProblem(outside, 422);
    expect(outside.body.errors.map((error: { field: string; code: string }) => [error.field, error.code])).toEqual([
      ['body.fromVersionId', 'UNKNOWN_VERSION'],
      ['body.toVersionId', 'UNKNOWN_VERSION'],
    ]);

    const stale = await world.create(world.upgrade('1.0.1', '1.1.0'));
    expectProblem(stale, 409);
    expect(stale.body).toMatchObject({ currentVersion: '1.0.0', currentVersionId: world.ids['1.0.0'] });
    expect(stale.body.errors[0]).toMatchObject({ field: 'body.fromVersionId', code: 'FROM_VERSION_MISMATCH' });

    const skip = await world.create(world.upgrade('1.0.0', '1.2.0'));
    expectProblem(skip, 422);
    expect(skip.body.blockers).toEqual([expect.objectContaining({ code: 'MINOR_SKIP' })]);
    expect(skip.body.errors[0]).toMatchObject({ field: 'body.toVersionId', code: 'MINOR_SKIP' });

    const list = await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/upgrades`, { token: world.viewer });
    expect(list.body.items).toEqual([]);
  });

  it('keeps the native rules: one active upgrade per service (409), stages only and always for STAGED (422)', async () => {
    const world = await registryWorld();
    await world.service('staged', 4);
    const noStages = await world.create(world.upgrade('1.0.0', '1.0.1', { strategy: 'STAGED' }));
    expectProblem(noStages, 422);
    expect(noStages.body.errors[0].field).toBe('body.stages');
    const stray = await world.create(world.upgrade('1.0.0', '1.0.1', { stages: [{ name: 'a' }, { name: 'b' }] }));
    expectProblem(stray, 422);
    const staged = await world.create(
      world.upgrade('1.0.0', '1.0.1', { strategy: 'STAGED', stages: [{ name: 'first', percentage: 25 }, { name: 'rest' }] }),
    );
    expect(staged.status, staged.text).toBe(201);
    expect(staged.body).toMatchObject({ strategy: 'STAGED', totalBatches: 2 });
    const second = await world.create(world.upgrade('1.0.0', '1.0.1'));
    expectProblem(second, 409);
  });

  it('ignores initiatedBy and totalInstances: the token subject is recorded, every instance of the service counts', async () => {
    const world = await registryWorld();
    await world.service('who', 3);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1', { initiatedBy: 'mallory', totalInstances: 99 }));
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ initiatedBy: 'olga', totalInstances: 3 });
    const events = await api.request('GET', `/v1/tenants/${world.tenant}/upgrades/${created.body.executionId}/events`, {
      token: world.viewer,
    });
    expect(events.body.items[0]).toMatchObject({ type: 'UpgradeCreated', actor: 'olga' });
    expect(events.text).not.toContain('mallory');
  });
});

describe('GET …/components/{componentId}/upgrades/active', () => {
  it('answers the newest of several services’ active executions; ?service= picks one; none is 404', async () => {
    const world = await registryWorld();
    const url = (query = '') => `${REGISTRY}/tenants/${world.tenant}/components/${world.componentId}/upgrades/active${query}`;
    expectProblem(await api.request('GET', url(), { token: world.viewer }), 404);
    await world.service('first', 1, { project: 'p' });
    await world.service('second', 1, { project: 'q' });
    const first = await world.create(world.upgrade('1.0.0', '1.0.1', { service: 'p/first' }));
    const second = await world.create(world.upgrade('1.0.0', '1.0.1', { service: 'q/second' }));
    expect([first.status, second.status]).toEqual([201, 201]);

    const newest = await api.request('GET', url(), { token: world.viewer });
    expect(newest.status, newest.text).toBe(200);
    expect(newest.body.executionId).toBe(second.body.executionId);
    const picked = await api.request('GET', url('?service=p/first'), { token: world.viewer });
    expect(picked.body.executionId).toBe(first.body.executionId);
    expectProblem(await api.request('GET', url('?service=p/nobody'), { token: world.viewer }), 404);
    expectProblem(await api.request('GET', url('?service=Not%20Valid'), { token: world.viewer }), 400);

    await world.act(second.body.executionId, 'cancel');
    const remaining = await api.request('GET', url(), { token: world.viewer });
    expect(remaining.body.executionId).toBe(first.body.executionId);
  });
});

describe('tenant isolation and roles', () => {
  it("answers 404 to another tenant's token for this tenant's executions, and changes nothing", async () => {
    const world = await registryWorld();
    await world.service('mine', 2);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1'));
    const id = created.body.executionId as string;
    const stranger = await api.token({ tenant: unique('reg-other'), roles: ['viewer', 'operator', 'approver'], user: 'olga' });

    expectProblem(await world.get(id, stranger), 404);
    for (const action of ['start', 'pause', 'resume', 'cancel', 'promote-canary', 'rollback?reason=x'])
      expectProblem(await world.act(id, action, { token: stranger }), 404);
    expectProblem(await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/upgrades`, { token: stranger }), 404);
    expectProblem(await world.create(world.upgrade('1.0.0', '1.0.1'), { token: stranger }), 404);
    const stats = await api.request('GET', `${REGISTRY}/components/${world.componentId}/upgrade-statistics`, { token: stranger });
    expect(stats.body).toMatchObject({ totalExecutions: 0 });

    expect((await world.get(id)).body.status).toBe('PENDING');
  });

  it('answers 404 to a token without a tenant on the routes that take the token’s', async () => {
    const world = await registryWorld();
    await world.service('untenanted', 1);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1'));
    const noTenant = await api.token({ roles: ['viewer', 'operator', 'approver', 'platform-admin'], user: 'root' });
    expectProblem(await world.get(created.body.executionId, noTenant), 404);
    expectProblem(await world.act(created.body.executionId, 'start', { token: noTenant }), 404);
    expectProblem(await api.request('GET', `${REGISTRY}/components/${world.componentId}/upgrade-statistics`, { token: noTenant }), 404);
  });

  it("scopes an Idempotency-Key to the token's tenant: the same subject and key in another tenant is not a replay", async () => {
    const world = await registryWorld();
    await world.service('keyed', 2);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1'));
    const id = created.body.executionId as string;
    const headers = { 'idempotency-key': unique('key') };
    const cancelled = await world.act(id, 'cancel', { headers });
    expect(cancelled.status).toBe(200);
    const replay = await world.act(id, 'cancel', { headers });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    // Same subject ("olga"), same key, same request, another tenant.
    const twin = await api.token({ tenant: unique('reg-twin'), roles: ['operator'], user: 'olga' });
    expectProblem(await world.act(id, 'cancel', { token: twin, headers }), 404);
  });

  it('refuses roles the native equivalents refuse (403): operator for mutations, a reader for reads', async () => {
    const world = await registryWorld();
    await world.service('roles', 1);
    const created = await world.create(world.upgrade('1.0.0', '1.0.1'));
    const id = created.body.executionId as string;
    const approver = await api.token({ tenant: world.tenant, roles: ['approver'] });
    const admin = await api.token({ tenant: world.tenant, roles: ['platform-admin'] });
    expectProblem(await world.create(world.upgrade('1.0.0', '1.0.1'), { token: world.viewer }), 403);
    for (const action of ['start', 'pause', 'resume', 'cancel', 'promote-canary', 'rollback?reason=x']) {
      expectProblem(await world.act(id, action, { token: world.viewer }), 403);
      expectProblem(await world.act(id, action, { token: approver }), 403);
    }
    expectProblem(await world.get(id, admin), 403);
    expect((await world.get(id, approver)).status).toBe(200);
    expect((await world.get(id, world.operator)).status).toBe(200);
    expectProblem(await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/upgrades`, { token: admin }), 403);
    expect((await world.get(id)).body.status).toBe('PENDING');
  });
});

describe('bad input is problem+json', () => {
  it('422 for unknown fields and wrong types, 400 for malformed JSON and bad parameters, 415 for a non-JSON body', async () => {
    const world = await registryWorld();
    await world.service('bad', 1);
    const unknown = await world.create(world.upgrade('1.0.0', '1.0.1', { toVersion: '1.0.1', rollbackOf: 'upg_0000000000' }));
    expectProblem(unknown, 422);
    expect(unknown.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['body.rollbackOf', 'body.toVersion']);
    const wrongType = await world.create(world.upgrade('1.0.0', '1.0.1', { batchSize: '5', strategy: 'SIDEWAYS' }));
    expectProblem(wrongType, 422);
    expect(wrongType.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['body.batchSize', 'body.strategy']);
    const missing = await world.create({ componentId: world.componentId });
    expectProblem(missing, 422);
    expect(missing.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['body.fromVersionId', 'body.toVersionId']);
    expectProblem(
      await api.request('POST', `${REGISTRY}/tenants/${world.tenant}/upgrades`, {
        token: world.operator,
        headers: { 'content-type': 'application/json' },
        rawBody: '{"componentId":',
      }),
      400,
    );
    expectProblem(
      await api.request('POST', `${REGISTRY}/tenants/${world.tenant}/upgrades`, {
        token: world.operator,
        headers: { 'content-type': 'text/plain' },
        rawBody: JSON.stringify(world.upgrade('1.0.0', '1.0.1')),
      }),
      415,
    );

    const badId = await world.get('not-an-id');
    expectProblem(badId, 400);
    expect(badId.body.errors[0].field).toBe('path.executionId');
    expectProblem(await api.request('GET', `${REGISTRY}/tenants/${world.tenant}/upgrades?bogus=1`, { token: world.viewer }), 400);

    const created = await world.create(world.upgrade('1.0.0', '1.0.1'));
    const id = created.body.executionId as string;
    const withField = await world.act(id, 'cancel', { body: { comment: 'no fields here' } });
    expectProblem(withField, 422);
    expect(withField.body.errors[0].field).toBe('body.comment');
    // No body and an empty object are both fine.
    expect((await world.act(id, 'cancel', { body: {} })).status).toBe(200);
  });

  it('is described by the served OpenAPI document with the orchestrator field names', async () => {
    const document = (await api.request('GET', '/openapi.json')).body;
    const create = document.paths[`${REGISTRY}/tenants/{tenantId}/upgrades`].post;
    expect(create.operationId).toBe('registryCreateUpgrade');
    const schema = JSON.stringify(create.requestBody.content['application/json'].schema);
    const resolved = schema.includes('$ref') ? JSON.stringify(document.components.schemas.RegistryUpgradeRequest) : schema;
    for (const field of ['componentId', 'fromVersionId', 'toVersionId', 'totalInstances', 'initiatedBy', 'installedComponents', 'service'])
      expect(resolved).toContain(`"${field}"`);
    expect(document.paths[`${REGISTRY}/upgrades/{executionId}/rollback`].post.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'reason', required: true })]),
    );
  });
});
