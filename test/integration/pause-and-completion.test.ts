import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_FUNCTIONS } from '../../local/lambdas.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { pipelineWorld } from '../support/pipeline.js';
import { TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

let api: TestApi;
let world: UpgradeWorld;
const done = (execution: { status: string }) => TERMINAL.includes(execution.status);
const TASKS = 'sluice-upgrade-tasks';
const original = LOCAL_FUNCTIONS[TASKS];

/**
 * Runs `before` once, just ahead of the first call of `task` for `executionId` (when
 * `when` holds for its payload): an action that lands exactly between two steps of a flow.
 */
function beforeTask(
  executionId: () => string | undefined,
  task: string,
  before: () => Promise<void>,
  when: (payload: Record<string, unknown>) => boolean = () => true,
) {
  let fired = false;
  LOCAL_FUNCTIONS[TASKS] = async (event, context) => {
    const payload = (event ?? {}) as Record<string, unknown>;
    if (!fired && payload.task === task && payload.executionId === executionId() && when(payload)) {
      fired = true;
      await before();
    }
    return (original as NonNullable<typeof original>)(event, context);
  };
}

beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
});
afterEach(() => {
  if (original) LOCAL_FUNCTIONS[TASKS] = original;
});
afterAll(() => api.stop());

async function created(service: string, knobs: Record<string, unknown>): Promise<string> {
  const response = await world.create({ service, toVersion: '1.1.0', ...knobs });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.executionId;
}

describe('a pause right after the upgrade turns IN_PROGRESS', () => {
  it('holds the first batch: nothing moves until the resume, then the same batch runs', async () => {
    await world.service('pause-early', 4);
    const id = await created('pause-early', {
      batchSize: 2,
      maxUnavailablePercentage: 50,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
    });
    let pause: { status: number } | undefined;
    beforeTask(
      () => id,
      'startBatch',
      async () => {
        pause = await world.act(id, 'pause');
      },
    );
    expect((await world.act(id, 'start')).status).toBe(200);
    // The flow's own answer to the pause: the batch it was about to start is held.
    await waitFor(async () => (await world.events(id)).some((event) => event.type === 'BatchHeld'), { message: 'BatchHeld' });
    expect(pause?.status).toBe(200);
    const paused = await world.get(id);
    expect(paused).toMatchObject({ status: 'PAUSED', completedBatches: 0 });
    expect((await world.instances(id)).every((instance) => instance.status === 'PENDING')).toBe(true);
    const before = (await world.events(id)).map((event) => event.type);
    expect(before.slice(before.indexOf('UpgradePaused'))).toEqual(['UpgradePaused', 'BatchHeld']);

    expect((await world.act(id, 'resume')).status).toBe(200);
    const finished = await world.waitFor(id, done);
    expect(finished).toMatchObject({ status: 'COMPLETED', completedBatches: 2, progress: { completed: 4, failed: 0 } });
    const types = (await world.events(id)).map((event) => event.type);
    expect(types.filter((type) => type === 'BatchStarted')).toHaveLength(2);
    expect(types.indexOf('BatchStarted')).toBeGreaterThan(types.indexOf('UpgradeResumed'));
  });
});

describe('a CANARY paused while CANARY_RUNNING', () => {
  it('before the canaries began: resumes to CANARY_RUNNING, runs them, monitors, and waits for the promotion', async () => {
    await world.service('canary-held', 10);
    const id = await created('canary-held', { strategy: 'CANARY', canaryPercentage: 20, healthCheckIntervalSeconds: 1 });
    let paused: { status: number; body: unknown } | undefined;
    beforeTask(
      () => id,
      'startBatch',
      async () => {
        paused = await world.act(id, 'pause');
      },
    );
    expect((await world.act(id, 'start')).status).toBe(200);
    await world.waitFor(id, (execution) => execution.status === 'PAUSED');
    expect(paused?.status, JSON.stringify(paused?.body)).toBe(200);
    expect((await world.get(id)).status).toBe('PAUSED');
    const resumed = await world.act(id, 'resume');
    expect(resumed.body.status).toBe('CANARY_RUNNING');
    const monitoring = await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
    expect(monitoring.progress.completed).toBe(2);
    expect((await world.act(id, 'promote-canary')).status).toBe(200);
    expect((await world.waitFor(id, done)).status).toBe('COMPLETED');
    const types = (await world.events(id)).map((event) => event.type);
    expect(types.indexOf('CanaryMonitoring')).toBeGreaterThan(types.indexOf('UpgradeResumed'));
    expect(types.indexOf('CanaryPromoted')).toBeGreaterThan(types.indexOf('CanaryMonitoring'));
  });

  it('while the canaries ran: parks after them, and after the resume monitors instead of rolling the rest', async () => {
    await world.service('canary-paused', 10);
    const id = await created('canary-paused', { strategy: 'CANARY', canaryPercentage: 20, healthCheckIntervalSeconds: 1 });
    beforeTask(
      () => id,
      'checkBatchHealth',
      async () => {
        expect((await world.act(id, 'pause')).status).toBe(200);
      },
    );
    expect((await world.act(id, 'start')).status).toBe(200);
    await world.waitFor(id, (execution) => execution.status === 'PAUSED' && execution.progress.completed === 2);
    expect((await world.act(id, 'resume')).body.status).toBe('CANARY_RUNNING');
    const monitoring = await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
    expect(monitoring.progress.completed).toBe(2);
    expect((await world.act(id, 'promote-canary')).status).toBe(200);
    const finished = await world.waitFor(id, done);
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completed: 10 } });
  });
});

describe('completion is seen with its consequences', () => {
  it('a reader that sees COMPLETED sees the new service version and the pending validation (8 tries)', async () => {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const pipe = await pipelineWorld(api);
      await pipe.service('p', 'src');
      await pipe.service('p', 'dst');
      expect((await pipe.step('p/src', 'p/dst')).status).toBe(201);
      const upgrade = await pipe.upgrade('p/src', '1.0.1', { batchDelaySeconds: 0, healthCheckIntervalSeconds: 1 });
      const id = upgrade.body.executionId;
      expect((await api.request('POST', `${pipe.base}/upgrades/${id}/start`, { token: pipe.operator })).status).toBe(200);
      await pipe.until(
        () => pipe.execution(id),
        (execution) => execution.status === 'COMPLETED',
      );
      const [service, view] = await Promise.all([pipe.getService('p/src'), pipe.view()]);
      expect(service, `try ${attempt}`).toMatchObject({ version: '1.0.1', lastUpgrade: { executionId: id } });
      // The source's validation of 1.0.1 is pending for its destination.
      const source = view.services.find((node: { project: string; name: string }) => node.project === 'p' && node.name === 'src');
      expect(source.pendingValidation, `try ${attempt}`).toMatchObject({ version: '1.0.1' });
      // Creating the next upgrade at once starts from the new version.
      const next = await pipe.upgrade('p/src', '1.1.0');
      expect(next.body.fromVersion, `try ${attempt}`).toBe('1.0.1');
    }
  });
});
