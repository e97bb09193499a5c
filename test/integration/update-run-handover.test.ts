/**
 * A long stage spreads its history over several stage children: each hands over after
 * SLUICE_STAGE_CHILD_LOOKS looks (1,500 in AWS; 2 here) to a fresh child with a new
 * attempt in its name, which carries on where the stage stands. Nothing is done twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/lambdas.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { fleetWorld } from '../support/fleet.js';

let api: TestApi;
beforeAll(async () => {
  process.env.SLUICE_STAGE_CHILD_LOOKS = '2';
  api = await startTestApi();
});
afterAll(async () => {
  await api?.stop();
  delete process.env.SLUICE_STAGE_CHILD_LOOKS;
});

describe('stage children hand over', () => {
  it('runs one stage over several children and upgrades every member exactly once', async () => {
    const world = await fleetWorld(api);
    const names = ['a', 'b', 'c', 'd'];
    await world.services(names.map((name) => ({ name, target: { type: 'simulated', upgradeSeconds: 200 } })));
    const created = await world.createRun({
      name: 'handover',
      stages: [{ name: 'only', groups: [{ name: 'g', services: names.map((name) => ({ project: 'p', name })), maxConcurrency: 1 }] }],
    });
    const runId = created.body.runId;
    await world.act(runId, 'start');
    const done = await world.waitForRun(runId, (run) => run.status === 'COMPLETED', 'COMPLETED', 60_000);
    expect(world.members(done).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    const types = (await world.events(runId)).map((event: any) => event.type);
    expect(types.filter((type: string) => type === 'MemberStarted')).toHaveLength(4);

    // Several children of that one stage, named by attempt, each ended well.
    const machine = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:sluice-update-run-stage`;
    const listed = await fetch(api.runtime.endpoints.stepfunctions, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListExecutions' },
      body: JSON.stringify({ stateMachineArn: machine, maxResults: 1000 }),
    }).then((response) => response.json() as Promise<{ executions: { name: string; status: string }[] }>);
    const children = listed.executions.filter((execution) => execution.name.startsWith(`${runId}-`));
    expect(children.length).toBeGreaterThan(1);
    expect(children.every((child) => child.status === 'SUCCEEDED')).toBe(true);
    expect(new Set(children.map((child) => child.name)).size).toBe(children.length);
  });
});
