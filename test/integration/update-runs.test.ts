import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { type FleetWorld, fleetWorld } from '../support/fleet.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.stop());

describe('update runs', () => {
  let world: FleetWorld;
  beforeAll(async () => {
    world = await fleetWorld(api);
  });

  it('rolls a version across services stage by stage and completes', async () => {
    await world.services([{ name: 'a1' }, { name: 'a2' }, { name: 'b1' }]);
    const created = await world.createRun({
      name: 'smoke',
      stages: [
        { name: 'dev', groups: [{ name: 'g', services: [{ project: 'p', name: 'a1' }, { project: 'p', name: 'a2' }] }] },
        { name: 'prod', groups: [{ name: 'g', services: [{ project: 'p', name: 'b1' }] }] },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.status).toBe('NOT_STARTED');
    const runId = created.body.runId;
    const started = await world.act(runId, 'start');
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const run = await world.waitForRun(runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    expect(world.members(run).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });
});
