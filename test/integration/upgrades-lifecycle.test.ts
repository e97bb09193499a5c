import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Status, TRANSITIONS } from '../../functions/domain/status.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { describeFlow, recordTaskCalls } from '../support/tasks.js';
import { startUpgrade, TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

const tasks = recordTaskCalls();

let api: TestApi;
let world: UpgradeWorld;
beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
});
afterAll(() => api.stop());

const done = (execution: { status: string }) => TERMINAL.includes(execution.status);
/** Batches of 2 with a long delay (2,000 s: 2 s at the test's 1000x) that holds the flow between batches. */
const SLOW = { batchSize: 2, maxUnavailablePercentage: 50, batchDelaySeconds: 2000 };

describe('creating an upgrade', () => {
  it('applies the default knobs and records the initiator from the token', async () => {
    await world.service('defaults', 4);
    const created = await world.create({ service: 'defaults', toVersion: '1.1.0', initiatedBy: undefined });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'PENDING',
      strategy: 'ROLLING',
      canaryPercentage: 10,
      batchSize: 5,
      batchDelaySeconds: 60,
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 300,
      maxUnavailablePercentage: 25,
      autoRollbackEnabled: false,
      failureThreshold: 3,
      effectiveBatchSize: 1,
      initiatedBy: 'olga',
      fromVersion: '1.0.0',
      progress: { total: 4, completed: 0, failed: 0 },
    });
    expect((await world.act(created.body.executionId, 'cancel')).status).toBe(200);
  });

  it('refuses initiatedBy in the body: it comes from the token', async () => {
    await world.service('spoof', 2);
    const response = await world.create({ service: 'spoof', toVersion: '1.1.0', initiatedBy: 'mallory' });
    expect(response.status).toBe(422);
    expect(response.body.errors[0].field).toBe('body.initiatedBy');
  });

  it('answers 409 for a second active execution of the same service', async () => {
    await world.service('busy', 2);
    const first = await world.create({ service: 'busy', toVersion: '1.1.0' });
    const second = await world.create({ service: 'busy', toVersion: '1.0.1' });
    expect(second.status).toBe(409);
    await world.act(first.body.executionId, 'cancel');
    // Once the first is terminal, the service is free again.
    expect((await world.create({ service: 'busy', toVersion: '1.0.1' })).status).toBe(201);
  });

  it('lets exactly one of 10 concurrent creations for one service win', async () => {
    await world.service('race', 2);
    const results = await Promise.all(Array.from({ length: 10 }, () => world.create({ service: 'race', toVersion: '1.1.0' })));
    expect(results.filter((result) => result.status === 201)).toHaveLength(1);
    expect(results.filter((result) => result.status === 409)).toHaveLength(9);
  });

  it('answers 422 listing the blockers of a path the policy refuses, and for a version outside the component', async () => {
    const w = await upgradeWorld(api, ['1.0.0', '1.1.0', '1.2.0']);
    await w.service('skip', 2);
    const skip = await w.create({ service: 'skip', toVersion: '1.2.0' });
    expect(skip.status).toBe(422);
    expect(skip.body.blockers).toEqual([expect.objectContaining({ code: 'MINOR_SKIP' })]);
    expect(skip.body.errors[0]).toMatchObject({ field: 'body.toVersion', code: 'MINOR_SKIP' });
    const unknown = await w.create({ service: 'skip', toVersion: '7.0.0' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.blockers[0].code).toBe('UNKNOWN_VERSION');
    const list = await api.request('GET', `${w.base}/upgrades`, { token: w.viewer });
    expect(list.body.items).toEqual([]);
  });

  it('answers 404 for an unknown service and 409 for a powered-off one', async () => {
    expect((await world.create({ service: 'nope', toVersion: '1.1.0' })).status).toBe(404);
    await world.service('off', 2);
    await api.request('PATCH', `${world.base}/projects/p/services/off`, { token: world.operator, body: { powered: false } });
    expect((await world.create({ service: 'off', toVersion: '1.1.0' })).status).toBe(409);
  });
});

describe('lifecycle actions', () => {
  it('pauses at the next batch boundary and resumes where it left off', async () => {
    await world.service('pausable', 6);
    const id = await startUpgrade(world, 'pausable', SLOW);
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);
    expect((await world.act(id, 'pause')).body.status).toBe('PAUSED');
    const paused = await world.get(id);
    // Held: no batch runs while paused, even after the batch delay has passed. The flow
    // goes from the delay to `park`, which stores its resume token and leaves the flow
    // waiting on it: once park has returned, nothing but a resume can move it.
    await tasks.until(id, (calls) => calls.some((call) => call.task === 'park' && call.settled && call.error === undefined));
    const still = await world.get(id);
    expect(still.status).toBe('PAUSED');
    expect(still.completedBatches).toBe(paused.completedBatches);
    expect((await world.act(id, 'resume')).body.status).toBe('IN_PROGRESS');
    const finished = await world.waitFor(id, done);
    expect(finished).toMatchObject({ status: 'COMPLETED', completedBatches: 3, progress: { completed: 6 } });
    const types = (await world.events(id)).map((event) => event.type);
    const pausedAt = types.indexOf('UpgradePaused');
    const resumedAt = types.indexOf('UpgradeResumed');
    expect(pausedAt).toBeGreaterThan(-1);
    expect(resumedAt).toBeGreaterThan(pausedAt);
    expect(types.slice(pausedAt, resumedAt)).not.toContain('BatchStarted');
  });

  it('cancels a running upgrade: CANCELLED, and the flow stops', async () => {
    await world.service('cancellable', 6);
    const id = await startUpgrade(world, 'cancellable', SLOW);
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);
    const cancelled = await world.act(id, 'cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    // The flow stops (ABORTED on the engine: it runs no further state) and any task it had
    // in flight has returned, so nothing is left that could still change the execution.
    expect((await describeFlow(api.runtime.endpoints.stepfunctions, 'rolling', id))?.status).toBe('ABORTED');
    await tasks.settled(id);
    const after = await world.get(id);
    expect(after.status).toBe('CANCELLED');
    expect(after.completedBatches).toBe(1);
  });

  it('rolls back on request with a reason, filling rollbackInfo', async () => {
    await world.service('manual-rollback', 6);
    const id = await startUpgrade(world, 'manual-rollback', SLOW);
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);
    const requested = await world.act(id, 'rollback', { reason: 'latency regression' });
    expect(requested.status).toBe(202);
    const execution = await world.waitFor(id, done);
    expect(execution.status).toBe('ROLLED_BACK');
    expect(execution.rollbackInfo).toMatchObject({ rollbackReason: 'latency regression', rollbackInitiatedBy: 'olga' });
    expect([...execution.rollbackInfo.rolledBackInstances].sort()).toEqual(['i-0', 'i-1']);
    expect((await world.act(id, 'rollback', { reason: 'again' })).status).toBe(409);
    expect((await world.act(id, 'rollback', {})).status).toBe(422);
  });

  const ACTIONS: Record<string, Status> = {
    start: 'VALIDATING',
    pause: 'PAUSED',
    resume: 'IN_PROGRESS',
    cancel: 'CANCELLED',
    rollback: 'ROLLING_BACK',
  };
  const legal = (from: Status, action: string) =>
    action === 'resume' ? from === 'PAUSED' : TRANSITIONS[from].includes(ACTIONS[action] as Status);

  it('answers 409 with the current status to every illegal action, from every status it can be held in', async () => {
    await world.service('table', 4);
    const patch = async (body: Record<string, unknown>) =>
      expect((await api.request('PATCH', `${world.base}/projects/p/services/table`, { token: world.operator, body })).status).toBe(200);
    const reach: Record<string, () => Promise<string>> = {
      PENDING: async () => (await world.create({ service: 'table', toVersion: '1.1.0' })).body.executionId,
      PAUSED: async () => {
        const id = await startUpgrade(world, 'table', SLOW);
        await world.waitFor(id, (execution) => execution.status === 'IN_PROGRESS');
        await world.act(id, 'pause');
        return id;
      },
      CANCELLED: async () => {
        const id = (await world.create({ service: 'table', toVersion: '1.1.0' })).body.executionId;
        await world.act(id, 'cancel');
        return id;
      },
      IN_PROGRESS: async () => {
        const id = await startUpgrade(world, 'table', SLOW);
        await world.waitFor(id, (execution) => execution.status === 'IN_PROGRESS');
        return id;
      },
      FAILED: async () => {
        const id = (await world.create({ service: 'table', toVersion: '1.1.0', batchSize: 1 })).body.executionId;
        await patch({ powered: false });
        await world.act(id, 'start');
        await world.waitFor(id, done);
        await patch({ powered: true });
        return id;
      },
      ROLLED_BACK: async () => {
        await patch({ target: { type: 'simulated', failInstances: ['i-0'] } });
        const id = await startUpgrade(world, 'table', { batchSize: 4, autoRollbackEnabled: true, failureThreshold: 1 });
        await world.waitFor(id, done);
        await patch({ target: { type: 'simulated' } });
        return id;
      },
      COMPLETED: async () => {
        const id = await startUpgrade(world, 'table', { batchSize: 4 });
        await world.waitFor(id, done);
        return id;
      },
    };
    for (const [status, make] of Object.entries(reach)) {
      const id = await make();
      const reached = await world.get(id);
      expect(reached.status, `reaching ${status}: ${reached.statusReason ?? ''}`).toBe(status);
      for (const action of Object.keys(ACTIONS)) {
        if (legal(status as Status, action)) continue;
        const response = await world.act(id, action, action === 'rollback' ? { reason: 'x' } : undefined);
        expect(response.status, `${action} from ${status}`).toBe(409);
        expect(response.body.currentStatus).toBe(status);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
      }
      if (!TERMINAL.includes(status)) await world.act(id, 'cancel');
    }
  });

  it('lets exactly one of 20 simultaneous pause/resume/cancel calls win each race and ends in a legal state', async () => {
    await world.service('contended', 6);
    const id = await startUpgrade(world, 'contended', SLOW);
    await world.waitFor(id, (execution) => execution.status === 'IN_PROGRESS');
    const pauses = await Promise.all(Array.from({ length: 20 }, () => world.act(id, 'pause')));
    expect(pauses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(pauses.filter((response) => response.status === 409)).toHaveLength(19);
    const resumes = await Promise.all(Array.from({ length: 20 }, () => world.act(id, 'resume')));
    expect(resumes.filter((response) => response.status === 200)).toHaveLength(1);
    const mixed = await Promise.all(
      Array.from({ length: 20 }, (_, index) => world.act(id, ['pause', 'resume', 'cancel'][index % 3] ?? 'cancel')),
    );
    expect(mixed.every((response) => response.status === 200 || response.status === 409)).toBe(true);
    const cancels = mixed.filter((response, index) => index % 3 === 2 && response.status === 200);
    expect(cancels).toHaveLength(1);
    const final = await world.get(id);
    expect(final.status).toBe('CANCELLED');
    // Every winner's answer is a state the table allows, in an order the table allows.
    const statuses = (await world.events(id)).map((event) => event.type);
    expect(statuses.filter((type) => type === 'UpgradeCancelled')).toHaveLength(1);
  });
});

describe('reading upgrades', () => {
  it('lists by status and component, shows the active executions and counts statistics', async () => {
    const w = await upgradeWorld(api);
    await w.service('a', 2);
    await w.service('b', 2);
    const running = await startUpgrade(w, 'a', SLOW);
    const pending = (await w.create({ service: 'b', toVersion: '1.1.0' })).body.executionId;
    await w.waitFor(running, (execution) => execution.status === 'IN_PROGRESS');
    const active = await api.request('GET', `${w.base}/components/${w.componentId}/upgrades/active`, { token: w.viewer });
    expect(active.body.items.map((item: { executionId: string }) => item.executionId).sort()).toEqual([running, pending].sort());
    const byStatus = await api.request('GET', `${w.base}/upgrades?status=PENDING`, { token: w.viewer });
    expect(byStatus.body.items.map((item: { executionId: string }) => item.executionId)).toEqual([pending]);
    const byComponent = await api.request('GET', `${w.base}/upgrades?componentId=${w.componentId}`, { token: w.viewer });
    expect(byComponent.body.items.map((item: { executionId: string }) => item.executionId)).toEqual([pending, running]);
    await w.act(running, 'cancel');
    await w.act(pending, 'cancel');
    const third = await startUpgrade(w, 'a', { batchSize: 2 });
    await w.waitFor(third, done);
    const stats = await api.request('GET', `${w.base}/components/${w.componentId}/upgrade-statistics`, { token: w.viewer });
    expect(stats.body).toMatchObject({ componentId: w.componentId, totalExecutions: 3, successfulExecutions: 1, failedExecutions: 0 });
    expect(stats.body.successRate).toBeCloseTo(33.33, 1);
    expect((await api.request('GET', `${w.base}/components/${w.componentId}/upgrades/active`, { token: w.viewer })).body.items).toEqual([]);
  });

  it('keeps tenants apart: another tenant’s execution id answers 404', async () => {
    await world.service('private', 2);
    const id = (await world.create({ service: 'private', toVersion: '1.1.0' })).body.executionId;
    const other = await upgradeWorld(api);
    expect((await api.request('GET', `${other.base}/upgrades/${id}`, { token: other.viewer })).status).toBe(404);
    expect((await api.request('POST', `${other.base}/upgrades/${id}/cancel`, { token: other.operator })).status).toBe(404);
    await world.act(id, 'cancel');
  });
});
