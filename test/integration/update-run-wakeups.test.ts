/**
 * The run learns that a member upgrade ended from the upgrade's own terminal transition,
 * not by polling (docs/decisions/0021-update-runs-wake-a-parked-flow.md). At real time a
 * parked stage rechecks only every 300 s, so a run whose second member can only start
 * once the first ended finishes within seconds only if the first one's end woke it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECHECK_WHILE_RUNNING_SECONDS } from '../../functions/fleet/run-tasks.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { fleetWorld } from '../support/fleet.js';

let api: TestApi;
beforeAll(async () => {
  // Real time: nothing here may pass faster than in AWS.
  api = await startTestApi({ timeScale: 1 });
});
afterAll(() => api?.stop());

const ref = (name: string) => ({ project: 'p', name });

describe('waking a parked run', () => {
  it('starts the next member as soon as the previous one’s upgrade ends, far inside the recheck', async () => {
    const world = await fleetWorld(api);
    await world.services([
      { name: 'one', instances: 1 },
      { name: 'two', instances: 1 },
    ]);
    const created = await world.createRun({
      name: 'one at a time',
      stages: [{ name: 's', groups: [{ name: 'g', services: [ref('one'), ref('two')], maxConcurrency: 1 }] }],
    });
    const runId = created.body.runId;
    const began = Date.now();
    expect((await world.act(runId, 'start')).status).toBe(200);
    const done = await world.waitForRun(runId, (run) => run.status === 'COMPLETED', 'COMPLETED', 60_000);
    const seconds = (Date.now() - began) / 1000;
    expect(seconds).toBeLessThan(RECHECK_WHILE_RUNNING_SECONDS / 5);
    expect(world.members(done).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED']);
  }, 90_000);

  it('a member whose service has another active upgrade WAITs service-busy, with no upgrade of its own', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'busy', instances: 1 }]);
    const other = await api.request('POST', `${world.base}/upgrades`, {
      token: world.operator,
      body: { project: 'p', service: 'busy', toVersion: '1.0.1' },
    });
    expect(other.status).toBe(201);
    const created = await world.createRun({ name: 'busy', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('busy')] }] }] });
    const runId = created.body.runId;
    await world.act(runId, 'start');
    const waiting = await world.waitForRun(runId, (run) => world.members(run)[0].status === 'WAITING', 'the member to wait');
    expect(world.members(waiting)[0].reason).toBe('service-busy');
    expect(world.members(waiting)[0].executionId).toBeUndefined();
    // The other upgrade is cancelled; the run finds the service free at its next look.
    expect((await api.request('POST', `${world.base}/upgrades/${other.body.executionId}/cancel`, { token: world.operator })).status).toBe(
      200,
    );
    const types = (await world.events(runId)).map((event: any) => event.type);
    expect(types).toContain('MemberWaiting');
  }, 90_000);
});
