import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { startUpgrade, TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

let api: TestApi;
let world: UpgradeWorld;
beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
});
afterAll(() => api.stop());

const done = (execution: { status: string }) => TERMINAL.includes(execution.status);

describe('ROLLING and RECREATE upgrades on the embedded engine', () => {
  it('upgrades 20 instances in 4 batches of 5 and sets the service version', async () => {
    await world.service('web', 20);
    const id = await startUpgrade(world, 'web', { batchSize: 5, maxUnavailablePercentage: 25 });
    const execution = await world.waitFor(id, done);
    expect(execution).toMatchObject({
      status: 'COMPLETED',
      effectiveBatchSize: 5,
      totalBatches: 4,
      completedBatches: 4,
      progress: { total: 20, completed: 20, failed: 0 },
    });
    expect(execution.preChecks.map((check: { name: string; passed: boolean }) => [check.name, check.passed])).toEqual([
      ['version-compatibility', true],
      ['resource-availability', true],
      ['backup-verification', true],
      ['health-endpoints', true],
      ['dependency-check', true],
    ]);
    const instances = await world.instances(id);
    expect(instances.map((instance) => instance.status)).toEqual(Array(20).fill('COMPLETED'));
    expect(instances.map((instance) => instance.batch)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    const events = await world.events(id);
    expect(events.filter((event) => event.type === 'BatchCompleted').map((event) => event.detail.batch)).toEqual([0, 1, 2, 3]);
    expect(events.at(-1)).toMatchObject({ type: 'UpgradeCompleted', actor: 'sluice' });
    expect(events[0]).toMatchObject({ type: 'UpgradeCreated', actor: 'olga' });
    const service = await api.request('GET', `${world.base}/projects/p/services/web`, { token: world.viewer });
    expect(service.body.version).toBe('1.1.0');
  });

  it('bounds batches by maxUnavailablePercentage: 12 instances at 25% roll in batches of 3', async () => {
    await world.service('api12', 12);
    const id = await startUpgrade(world, 'api12', { batchSize: 5, maxUnavailablePercentage: 25 });
    const execution = await world.waitFor(id, done);
    expect(execution).toMatchObject({ status: 'COMPLETED', effectiveBatchSize: 3, totalBatches: 4 });
    const events = await world.events(id);
    expect(events.filter((event) => event.type === 'BatchStarted').map((event) => event.detail.instances)).toEqual([3, 3, 3, 3]);
  });

  it('RECREATE upgrades every instance in one batch', async () => {
    await world.service('recreate', 7);
    const id = await startUpgrade(world, 'recreate', { strategy: 'RECREATE' });
    const execution = await world.waitFor(id, done);
    expect(execution).toMatchObject({ status: 'COMPLETED', strategy: 'RECREATE', totalBatches: 1, effectiveBatchSize: 7 });
  });

  it('auto-rolls back when failures reach the threshold, and every touched instance ends ROLLED_BACK', async () => {
    await world.service('flaky', 20, { type: 'simulated', failInstances: ['i-1', 'i-2', 'i-3'] });
    const id = await startUpgrade(world, 'flaky', { batchSize: 5, autoRollbackEnabled: true, failureThreshold: 3 });
    const execution = await world.waitFor(id, done);
    expect(execution.status).toBe('ROLLED_BACK');
    expect(execution.rollbackInfo).toMatchObject({
      autoRollbackEnabled: true,
      failureThreshold: 3,
      currentFailures: 3,
      rollbackInitiatedBy: 'sluice (auto-rollback)',
    });
    expect(execution.rollbackInfo.rollbackReason).toContain('3 instance(s) failed');
    const instances = await world.instances(id);
    const touched = instances.filter((instance) => instance.batch === 0);
    expect(touched.map((instance) => instance.status)).toEqual(Array(5).fill('ROLLED_BACK'));
    expect(instances.filter((instance) => instance.batch > 0).every((instance) => instance.status === 'PENDING')).toBe(true);
    expect([...execution.rollbackInfo.rolledBackInstances].sort()).toEqual(['i-0', 'i-1', 'i-2', 'i-3', 'i-4']);
    const failed = (await world.events(id)).filter((event) => event.type === 'InstanceFailed');
    expect(failed.map((event) => event.detail.instanceId).sort()).toEqual(['i-1', 'i-2', 'i-3']);
    const service = await api.request('GET', `${world.base}/projects/p/services/flaky`, { token: world.viewer });
    expect(service.body.version).toBe('1.0.0');
  });

  it('stops in FAILED at the threshold when auto-rollback is off', async () => {
    await world.service('flaky-no-rollback', 20, { type: 'simulated', failInstances: ['i-1', 'i-2', 'i-3'] });
    const id = await startUpgrade(world, 'flaky-no-rollback', { batchSize: 5, autoRollbackEnabled: false, failureThreshold: 3 });
    const execution = await world.waitFor(id, done);
    expect(execution).toMatchObject({ status: 'FAILED', progress: { failed: 3, completed: 2 }, completedBatches: 1 });
    expect(execution.statusReason).toContain('failure threshold is 3');
  });

  it('goes on past failures below the threshold, retries them once at the end, and fails when one still fails', async () => {
    await world.service('one-bad', 10, { type: 'simulated', failInstances: ['i-7'] });
    const id = await startUpgrade(world, 'one-bad', { batchSize: 5, maxUnavailablePercentage: 50, failureThreshold: 3 });
    const execution = await world.waitFor(id, done);
    expect(execution).toMatchObject({ status: 'FAILED', progress: { total: 10, completed: 9, failed: 1 } });
    expect(execution.statusReason).toBe('1 instance(s) still not on 1.1.0 after the retry pass');
    const events = await world.events(id);
    expect(events.filter((event) => event.type === 'BatchStarted').map((event) => event.detail)).toEqual([
      { batch: 0, instances: 5 },
      { batch: 1, instances: 5 },
      { batch: 2, instances: 1, retryPass: true },
    ]);
    expect(events.some((event) => event.type.startsWith('Rollback'))).toBe(false);
    const failed = (await world.instances(id)).find((instance) => instance.instanceId === 'i-7');
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 6 });
    // The service tells the truth: nine instances run 1.1.0, i-7 still runs 1.0.0.
    const service = (await api.request('GET', `${world.base}/projects/p/services/one-bad`, { token: world.viewer })).body;
    expect(service).toMatchObject({ version: '1.0.0', mixedVersions: true });
    expect(service.instances.filter((instance: { version: string }) => instance.version === '1.1.0')).toHaveLength(9);
    expect(service.instances.find((instance: { id: string }) => instance.id === 'i-7').version).toBe('1.0.0');
    expect(service.lastUpgrade).toBeUndefined();
  });

  it('completes once the retry pass brings a failed instance up, and only then records the new version', async () => {
    await world.service('flaky-once', 10, { type: 'simulated', failInstances: ['i-7'] });
    // A long delay before the retry pass (3 s at the test's time scale) lets the target recover first.
    const id = await startUpgrade(world, 'flaky-once', {
      batchSize: 5,
      maxUnavailablePercentage: 50,
      failureThreshold: 3,
      batchDelaySeconds: 3000,
    });
    await world.waitFor(id, (execution) => execution.completedBatches === 2);
    const patched = await api.request('PATCH', `${world.base}/projects/p/services/flaky-once`, {
      token: world.operator,
      body: { target: { type: 'simulated' } },
    });
    expect(patched.status).toBe(200);
    const execution = await world.waitFor(id, done);
    expect(execution).toMatchObject({ status: 'COMPLETED', progress: { total: 10, completed: 10, failed: 0 } });
    expect((await world.instances(id)).find((instance) => instance.instanceId === 'i-7')).toMatchObject({
      status: 'COMPLETED',
      attempts: 4,
    });
    const service = (await api.request('GET', `${world.base}/projects/p/services/flaky-once`, { token: world.viewer })).body;
    expect(service).toMatchObject({
      version: '1.1.0',
      mixedVersions: false,
      lastUpgrade: { executionId: id, fromVersion: '1.0.0', toVersion: '1.1.0' },
    });
    expect(service.instances.every((instance: { version: string }) => instance.version === '1.1.0')).toBe(true);
  });

  it('fails the pre-checks of a dependency that is not satisfied and never touches an instance', async () => {
    const admin = await api.token({ roles: ['platform-admin'] });
    await api.request('POST', `/v1/components/${world.componentId}/versions`, {
      token: admin,
      body: { version: '1.0.2', requires: { kafka: '>=3.6' } },
    });
    await world.service('needs-kafka', 4);
    const created = await world.create({ service: 'needs-kafka', toVersion: '1.0.2', installedComponents: { kafka: '3.5.1' } });
    expect(created.status).toBe(201);
    await world.act(created.body.executionId, 'start');
    const execution = await world.waitFor(created.body.executionId, done);
    expect(execution.status).toBe('FAILED');
    expect(execution.preChecks.find((check: { name: string }) => check.name === 'dependency-check')).toMatchObject({ passed: false });
    expect(execution.statusReason).toContain('dependency-check');
    expect((await world.instances(created.body.executionId)).every((instance) => instance.status === 'PENDING')).toBe(true);
  });
});
