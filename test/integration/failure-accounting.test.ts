import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { startUpgrade, TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

let api: TestApi;
let world: UpgradeWorld;
const done = (execution: { status: string }) => TERMINAL.includes(execution.status);

beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
});
afterAll(() => api.stop());

describe('failure accounting', () => {
  it("records every attempt of an instance's action: a failed instance shows the attempts its detail names", async () => {
    await world.service('flaky', 3, { type: 'simulated', failInstances: ['i-1'] });
    const id = await startUpgrade(world, 'flaky', {
      batchSize: 3,
      maxUnavailablePercentage: 100,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
    });
    await world.waitFor(id, done);
    const instances = await world.instances(id);
    const failed = instances.find((instance) => instance.instanceId === 'i-1');
    // Three tries in its batch, three more in the retry pass; the detail names the last action's.
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 6 });
    expect(failed.detail).toContain('upgrade failed after 3 attempts');
    for (const instance of instances.filter((i) => i.instanceId !== 'i-1'))
      expect(instance).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it('counts a canary found unhealthy while monitored in rollbackInfo.currentFailures', async () => {
    await world.service('canary-turns', 10);
    const id = await startUpgrade(world, 'canary-turns', {
      strategy: 'CANARY',
      canaryPercentage: 20,
      autoRollbackEnabled: true,
      healthCheckIntervalSeconds: 1,
    });
    await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
    await api.request('PATCH', `${world.base}/projects/p/services/canary-turns`, {
      token: world.operator,
      body: { target: { type: 'simulated', unhealthyInstances: ['i-1'] } },
    });
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('ROLLED_BACK');
    expect(finished.rollbackInfo).toMatchObject({ currentFailures: 1, rollbackReason: 'canary i-1 unhealthy while monitoring' });
    expect(finished.progress).toMatchObject({ completed: 1, failed: 1 });
    const events = await world.events(id);
    expect(events.find((event) => event.type === 'CanaryUnhealthy')).toMatchObject({ detail: { instances: ['i-1'] } });
  });
});
