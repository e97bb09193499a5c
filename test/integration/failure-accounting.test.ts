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

describe('the end of a failed or rolled-back upgrade', () => {
  /** Reads the execution without pause until it ends, then the service at once. */
  const endAndService = async (id: string, service: string) => {
    for (;;) {
      const execution = await world.get(id);
      if (done(execution)) {
        const read = await api.request('GET', `${world.base}/projects/p/services/${service}`, { token: world.viewer });
        return { execution, service: read.body };
      }
    }
  };
  const versionsOf = (service: { instances: { id: string; version: string }[] }) =>
    Object.fromEntries(service.instances.map((instance) => [instance.id, instance.version]));

  it('already records the instance versions the moment it reads FAILED, so a PATCH right after wins', async () => {
    await world.service('ends-failed', 4, { type: 'simulated', failInstances: ['i-3'] });
    const id = await startUpgrade(world, 'ends-failed', {
      batchSize: 2,
      maxUnavailablePercentage: 50,
      batchDelaySeconds: 0,
      failureThreshold: 1,
    });
    const { execution, service } = await endAndService(id, 'ends-failed');
    expect(execution.status).toBe('FAILED');
    expect(versionsOf(service)).toEqual({ 'i-0': '1.1.0', 'i-1': '1.1.0', 'i-2': '1.1.0', 'i-3': '1.0.0' });
    const patched = await api.request('PATCH', `${world.base}/projects/p/services/ends-failed`, {
      token: world.operator,
      body: { target: { type: 'simulated' } },
    });
    expect(patched.status).toBe(200);
    // Nothing of the ended upgrade writes the service after its end: the PATCH stays.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = await api.request('GET', `${world.base}/projects/p/services/ends-failed`, { token: world.viewer });
    expect(later.body.target).toEqual({ type: 'simulated' });
  });

  it('already records the instance versions the moment it reads ROLLED_BACK', async () => {
    await world.service('ends-rolled-back', 4);
    // An earlier cancelled upgrade left i-0 and i-1 on 1.1.0: the rollback moves them back, on the service too.
    const first = await startUpgrade(world, 'ends-rolled-back', { batchSize: 2, maxUnavailablePercentage: 50, batchDelaySeconds: 2000 });
    await world.waitFor(first, (execution) => execution.completedBatches >= 1);
    expect((await world.act(first, 'cancel')).status).toBe(200);
    await api.request('PATCH', `${world.base}/projects/p/services/ends-rolled-back`, {
      token: world.operator,
      body: { target: { type: 'simulated', failInstances: ['i-3'] } },
    });
    const id = await startUpgrade(world, 'ends-rolled-back', { batchSize: 4, autoRollbackEnabled: true, failureThreshold: 1 });
    const { execution, service } = await endAndService(id, 'ends-rolled-back');
    expect(execution.status).toBe('ROLLED_BACK');
    expect(versionsOf(service)).toEqual({ 'i-0': '1.0.0', 'i-1': '1.0.0', 'i-2': '1.0.0', 'i-3': '1.0.0' });
  });
});
