import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { recordTaskCalls } from '../support/tasks.js';
import { type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

const tasks = recordTaskCalls();

let api: TestApi;
let world: UpgradeWorld;
beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
});
afterAll(() => api.stop());

describe('cancelling mid-batch', () => {
  // Found by the soak: a cancel during UPGRADING once left the batch's instances in
  // HEALTH_CHECKING for good. Cancel now settles them FAILED, and no task may move an
  // instance of an ended execution.
  it('leaves no instance DRAINING, UPGRADING or HEALTH_CHECKING once the execution is CANCELLED', async () => {
    await world.service('cancel-mid-batch', 3, { type: 'simulated', upgradeSeconds: 2000 });
    const created = await world.create({ service: 'cancel-mid-batch', toVersion: '1.1.0', strategy: 'RECREATE' });
    expect(created.status).toBe(201);
    const id = created.body.executionId as string;
    expect((await world.act(id, 'start')).status).toBe(200);
    await waitFor(async () => (await world.instances(id)).some((instance) => instance.status === 'UPGRADING'), {
      timeout: 15_000,
      message: 'an instance UPGRADING',
    });
    // Mid-batch: the batch's task is in flight, inside the 2 s upgrade of the simulated target.
    expect(tasks.running(id).map((call) => call.task)).toContain('startBatch');
    expect((await world.act(id, 'cancel')).body.status).toBe('CANCELLED');
    // The stopped flow starts no task; the one in flight finishes its upgrade and returns.
    // Once it has, nothing is left that could move an instance.
    await tasks.settled(id);
    expect((await world.get(id)).status).toBe('CANCELLED');
    const stranded = (await world.instances(id)).filter((instance) =>
      ['DRAINING', 'UPGRADING', 'HEALTH_CHECKING'].includes(instance.status),
    );
    expect(stranded).toEqual([]);
  });
});
