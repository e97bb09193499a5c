/**
 * Fleet update runs end to end (docs/architecture.md#fleet-update-runs): the API, the
 * update-run flows on the embedded engine (1000x time) and ordinary member upgrades on
 * simulated targets, against DynamoDB Local.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { type FleetWorld, fleetWorld } from '../support/fleet.js';
import { waitFor } from '../support/wait.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.stop());

const ref = (name: string) => ({ project: 'p', name });
/** The simulated upgrade takes this many (scaled) seconds per instance: long enough to overlap. */
const SLOW = { type: 'simulated', upgradeSeconds: 150 };

/** Every member's upgrade, as the upgrades API shows it. */
async function upgradesOf(world: FleetWorld, run: any) {
  const members = world.members(run).filter((member: any) => member.executionId);
  return Promise.all(
    members.map(async (member: any) => {
      const response = await api.request('GET', `${world.base}/upgrades/${member.executionId}`, { token: world.viewer });
      expect(response.status).toBe(200);
      return response.body;
    }),
  );
}

/** The most upgrades that ran at the same time among `executions` (from their own start and end times). */
function maxOverlap(executions: readonly { createdAt: string; finishedAt?: string }[]): number {
  const points = executions.flatMap((e) => [
    { at: Date.parse(e.createdAt), delta: 1 },
    { at: Date.parse(e.finishedAt ?? new Date().toISOString()), delta: -1 },
  ]);
  // An end and a start at the same millisecond do not overlap.
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const point of points) {
    current += point.delta;
    most = Math.max(most, current);
  }
  return most;
}

describe('a three-stage run over twelve services in five groups', () => {
  let world: FleetWorld;
  let run: any;
  let executions: any[];

  beforeAll(async () => {
    world = await fleetWorld(api);
    await world.services([
      { name: 'dev-1', labels: { env: 'dev' }, target: SLOW },
      { name: 'dev-2', labels: { env: 'dev' }, target: SLOW },
      { name: 'test-1', labels: { env: 'test', region: 'eu' }, target: SLOW },
      { name: 'test-2', labels: { env: 'test', region: 'eu' }, target: SLOW },
      { name: 'test-3', labels: { env: 'test', region: 'us' }, target: SLOW },
      { name: 'prod-1', labels: { env: 'prod' }, target: SLOW },
      { name: 'prod-2', labels: { env: 'prod' }, target: SLOW },
      { name: 'prod-3', labels: { env: 'prod' }, target: SLOW },
      { name: 'prod-4', labels: { env: 'prod' }, target: SLOW },
      { name: 'prod-5', labels: { env: 'prod' }, target: SLOW },
      { name: 'edge-1', labels: { env: 'edge' }, target: SLOW },
      { name: 'edge-2', labels: { env: 'edge' }, target: SLOW },
    ]);
    const strategy = await api.request('POST', `${world.base}/update-strategies`, {
      token: world.operator,
      body: {
        name: 'three-stages',
        stages: [
          {
            name: 'dev',
            groups: [{ name: 'dev', selector: { matchLabels: { env: 'dev' } } }],
            afterGates: [{ type: 'approval', name: 'dev ok' }],
          },
          {
            name: 'test',
            groups: [
              { name: 'eu', selector: { matchLabels: { env: 'test', region: 'eu' } } },
              { name: 'us', services: [ref('test-3')] },
            ],
            afterStageWaitSeconds: 30,
          },
          {
            name: 'prod',
            groups: [
              { name: 'prod', selector: { matchLabels: { env: 'prod' } }, maxConcurrency: 2 },
              { name: 'edge', services: [ref('edge-1'), ref('edge-2')], maxConcurrency: '50%' },
            ],
          },
        ],
      },
    });
    expect(strategy.status, JSON.stringify(strategy.body)).toBe(201);
    const created = await world.createRun({ name: 'rollout 1.1.0', strategyName: 'three-stages' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runId = created.body.runId;
    expect((await world.act(runId, 'start')).status).toBe(200);

    // Concurrency observed from the members while the run goes, every 25 ms.
    const gate = await world.waitForRun(runId, (r) => r.stages[0].afterGates[0].status === 'WAITING', 'the dev gate to wait');
    // While the dev gate waits, nothing of the later stages has started.
    expect(gate.stages.slice(1).flatMap((stage: any) => stage.groups.flatMap((g: any) => g.members.map((m: any) => m.status)))).toEqual(
      Array(10).fill('PENDING'),
    );
    const approved = await world.act(runId, `gates/${gate.stages[0].afterGates[0].gateId}/approve`, world.approver, {
      comment: 'dev looks good',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    let mostRunningInProd = 0;
    run = await world.waitForRun(
      runId,
      (r) => {
        const prod = r.stages[2].groups[0].members;
        mostRunningInProd = Math.max(mostRunningInProd, prod.filter((m: any) => m.status === 'RUNNING').length);
        return r.status === 'COMPLETED';
      },
      'COMPLETED',
      60_000,
    );
    expect(mostRunningInProd).toBeLessThanOrEqual(2);
    executions = await upgradesOf(world, run);
  });

  it('completes with every member upgraded by an ordinary upgrade execution of the run', () => {
    expect(run.status).toBe('COMPLETED');
    const members = world.members(run);
    expect(members).toHaveLength(12);
    expect(members.every((member: any) => member.status === 'COMPLETED')).toBe(true);
    expect(executions).toHaveLength(12);
    for (const execution of executions) {
      expect(execution.status).toBe('COMPLETED');
      expect(execution.updateRunId).toBe(run.runId);
      expect(execution.toVersion).toBe('1.1.0');
    }
    expect(run.counts).toMatchObject({ COMPLETED: 12, FAILED: 0, SKIPPED: 0 });
    expect(run.stages.map((stage: any) => stage.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('resolves groups by labels and lists, in the stages given', () => {
    const names = run.stages.map((stage: any) => stage.groups.map((group: any) => group.members.map((m: any) => m.service)));
    expect(names).toEqual([
      [['dev-1', 'dev-2']],
      [['test-1', 'test-2'], ['test-3']],
      [
        ['prod-1', 'prod-2', 'prod-3', 'prod-4', 'prod-5'],
        ['edge-1', 'edge-2'],
      ],
    ]);
    expect(run.stages[2].groups.map((group: any) => group.maxConcurrency)).toEqual([2, 1]);
  });

  it('starts no member of a stage before the stage before it, its gate and its wait have ended', () => {
    const byService = new Map(executions.map((e: any) => [e.service, e]));
    const stageOf = (stage: number) => run.stages[stage].groups.flatMap((g: any) => g.members.map((m: any) => byService.get(m.service)));
    const gate = run.stages[0].afterGates[0];
    expect(gate).toMatchObject({ status: 'APPROVED', decidedBy: 'avery', comment: 'dev looks good' });
    const lastEnd = (stage: number) => Math.max(...stageOf(stage).map((e: any) => Date.parse(e.finishedAt)));
    const firstStart = (stage: number) => Math.min(...stageOf(stage).map((e: any) => Date.parse(e.createdAt)));
    expect(firstStart(1)).toBeGreaterThanOrEqual(lastEnd(0));
    expect(firstStart(1)).toBeGreaterThanOrEqual(Date.parse(gate.decidedAt));
    // 30 s of after-stage wait at 1000x is 30 ms.
    expect(firstStart(2)).toBeGreaterThanOrEqual(lastEnd(1) + 30);
  });

  it('never runs more member upgrades of a group at once than its maxConcurrency, and does run that many', () => {
    const prod = executions.filter((e: any) => e.service.startsWith('prod-'));
    const edge = executions.filter((e: any) => e.service.startsWith('edge-'));
    expect(maxOverlap(prod)).toBe(2);
    expect(maxOverlap(edge)).toBe(1);
  });

  it('records run, stage, gate and member changes on the run timeline', async () => {
    const types = (await world.events(run.runId)).map((event: any) => event.type);
    for (const type of ['UpdateRunCreated', 'UpdateRunStarted', 'StageStarted', 'GroupStarted', 'MemberStarted', 'MemberCompleted']) {
      expect(types).toContain(type);
    }
    for (const type of ['GateWaiting', 'GateApproved', 'GroupCompleted', 'StageCompleted', 'UpdateRunCompleted'])
      expect(types).toContain(type);
    expect(types.filter((type: string) => type === 'MemberStarted')).toHaveLength(12);
    expect(types.at(-1)).toBe('UpdateRunCompleted');
  });
});

describe('approval gates', () => {
  it('wait; refuse a viewer and the initiator; accept an approver; a reject fails the run', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'one' }, { name: 'two' }]);
    const created = await world.createRun({
      name: 'gated',
      stages: [
        { name: 'first', groups: [{ name: 'g', services: [ref('one')] }] },
        { name: 'second', beforeGates: [{ type: 'approval', name: 'go' }], groups: [{ name: 'g', services: [ref('two')] }] },
      ],
    });
    expect(created.status).toBe(201);
    const runId = created.body.runId;
    const gateId = created.body.stages[1].beforeGates[0].gateId;
    expect(created.body.stages[1].beforeGates[0]).toMatchObject({ type: 'approval', name: 'go', status: 'PENDING' });
    // Not reached yet: nothing to decide.
    expect((await world.act(runId, `gates/${gateId}/approve`, world.approver)).status).toBe(409);
    await world.act(runId, 'start');
    const waiting = await world.waitForRun(runId, (r) => r.stages[1].beforeGates[0].status === 'WAITING', 'the gate to wait');
    expect(waiting.stages[1].beforeGates[0].waitingSince).toEqual(expect.any(String));
    expect(world.members(waiting)[1].status).toBe('PENDING');

    const viewer = await world.act(runId, `gates/${gateId}/approve`, world.viewer);
    expect(viewer.status).toBe(403);
    const initiatorAsApprover = await api.token({ tenant: world.tenant, roles: ['approver', 'operator'], user: 'olga' });
    const self = await world.act(runId, `gates/${gateId}/approve`, initiatorAsApprover);
    expect(self.status).toBe(403);
    expect(self.body.detail).toMatch(/allowSelfApproval/);
    expect((await world.act(runId, 'gates/gate-99/approve', world.approver)).status).toBe(404);
    expect((await world.run(runId)).stages[1].beforeGates[0].status).toBe('WAITING');

    const approved = await world.act(runId, `gates/${gateId}/approve`, world.approver, { comment: 'ship it' });
    expect(approved.status).toBe(200);
    expect((await world.act(runId, `gates/${gateId}/reject`, world.approver)).status).toBe(409);
    const done = await world.waitForRun(runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    expect(done.stages[1].beforeGates[0]).toMatchObject({ status: 'APPROVED', decidedBy: 'avery', comment: 'ship it' });

    // A second run: the reject ends it FAILED and its second stage never starts.
    const other = await fleetWorld(api);
    await other.services([{ name: 'one' }, { name: 'two' }]);
    const second = await other.createRun({
      name: 'rejected',
      stages: [
        { name: 'first', groups: [{ name: 'g', services: [ref('one')] }], afterGates: [{ type: 'approval', name: 'check' }] },
        { name: 'second', groups: [{ name: 'g', services: [ref('two')] }] },
      ],
    });
    const secondId = second.body.runId;
    await other.act(secondId, 'start');
    const atGate = await other.waitForRun(secondId, (r) => r.stages[0].afterGates[0].status === 'WAITING', 'the gate to wait');
    const rejected = await other.act(secondId, `gates/${atGate.stages[0].afterGates[0].gateId}/reject`, other.approver, {
      comment: 'errors up',
    });
    expect(rejected.status).toBe(200);
    const failed = await other.waitForRun(secondId, (r) => r.status === 'FAILED', 'FAILED');
    expect(failed.statusReason).toMatch(/Rejected at gate check by avery: errors up/);
    expect(other.members(failed).map((m: any) => m.status)).toEqual(['COMPLETED', 'PENDING']);
    expect((await other.act(secondId, 'start')).status).toBe(409);
  });
});

describe('schedule gates', () => {
  it('hold a stage until their time, then complete by themselves', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'one' }]);
    const startAt = new Date(Date.now() + 1500).toISOString();
    const created = await world.createRun({
      name: 'scheduled',
      stages: [
        {
          name: 'only',
          beforeGates: [{ type: 'schedule', name: 'after-hours', startAt }],
          groups: [{ name: 'g', services: [ref('one')] }],
        },
      ],
    });
    const runId = created.body.runId;
    await world.act(runId, 'start');
    const waiting = await world.waitForRun(runId, (r) => r.stages[0].beforeGates[0].status === 'WAITING', 'the schedule gate to wait');
    expect(world.members(waiting)[0].status).toBe('PENDING');
    expect(world.members(waiting)[0].estimatedStartAt >= startAt).toBe(true);
    // A person cannot decide a schedule gate.
    expect((await world.act(runId, `gates/${waiting.stages[0].beforeGates[0].gateId}/approve`, world.approver)).status).toBe(409);
    const done = await world.waitForRun(runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    const [execution] = await upgradesOf(world, done);
    expect(Date.parse(execution.createdAt)).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect(done.stages[0].beforeGates[0].status).toBe('COMPLETED');
  });
});

describe('maxFailedMembers', () => {
  it('0 with one failing service: no new member starts and the run ends FAILED', async () => {
    const world = await fleetWorld(api);
    await world.services([
      { name: 'bad', instances: 1, target: { type: 'simulated', failInstances: ['i-0'] } },
      { name: 'good-1' },
      { name: 'good-2' },
    ]);
    const created = await world.createRun({
      name: 'fails',
      stages: [
        { name: 'first', groups: [{ name: 'g', services: [ref('bad'), ref('good-1')], maxConcurrency: 1 }] },
        { name: 'second', groups: [{ name: 'g', services: [ref('good-2')] }] },
      ],
    });
    const runId = created.body.runId;
    await world.act(runId, 'start');
    const failed = await world.waitForRun(runId, (r) => r.status === 'FAILED', 'FAILED');
    expect(failed.statusReason).toMatch(/1 members failed; the run allows 0/);
    expect(world.members(failed).map((m: any) => `${m.service}:${m.status}`)).toEqual(['bad:FAILED', 'good-1:WAITING', 'good-2:PENDING']);
    expect(world.members(failed)[0].reason).toEqual(expect.any(String));
    expect(world.members(failed)[1].executionId).toBeUndefined();
  });
});

describe('stop and start', () => {
  it('stop lets the running member finish and starts no new one; start continues with the rest', async () => {
    const world = await fleetWorld(api);
    await world.services([
      { name: 's1', target: { type: 'simulated', upgradeSeconds: 400 } },
      { name: 's2', target: { type: 'simulated', upgradeSeconds: 400 } },
      { name: 's3', target: { type: 'simulated', upgradeSeconds: 400 } },
    ]);
    const created = await world.createRun({
      name: 'stoppable',
      stages: [{ name: 'only', groups: [{ name: 'g', services: [ref('s1'), ref('s2'), ref('s3')], maxConcurrency: 1 }] }],
    });
    const runId = created.body.runId;
    // Stopping before start is illegal.
    const early = await world.act(runId, 'stop');
    expect(early.status).toBe(409);
    expect(early.body.currentStatus).toBe('NOT_STARTED');
    await world.act(runId, 'start');
    await world.waitForRun(runId, (r) => world.members(r)[0].status === 'RUNNING', 's1 to run');
    const stopping = await world.act(runId, 'stop');
    expect(stopping.status, JSON.stringify(stopping.body)).toBe(200);
    expect(stopping.body.status).toBe('STOPPING');
    const stopped = await world.waitForRun(runId, (r) => r.status === 'STOPPED', 'STOPPED');
    expect(world.members(stopped).map((m: any) => m.status)).toEqual(['COMPLETED', 'WAITING', 'WAITING']);
    // Cancel is allowed from STOPPED, but here we go on.
    const again = await world.act(runId, 'start');
    expect(again.status).toBe(200);
    const done = await world.waitForRun(runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    expect(world.members(done).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const types = (await world.events(runId)).map((e: any) => e.type);
    expect(types).toEqual(expect.arrayContaining(['UpdateRunStopRequested', 'UpdateRunStopped', 'UpdateRunResumed']));
    expect(types.filter((t: string) => t === 'MemberStarted')).toHaveLength(3);
  });
});

describe('one running run per component', () => {
  it('refuses a second start with 409 naming the running run, and frees the component when the first ends', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'x', target: { type: 'simulated', upgradeSeconds: 300 } }, { name: 'y' }]);
    const first = await world.createRun({ name: 'first', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('x')] }] }] });
    const second = await world.createRun({ name: 'second', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('y')] }] }] });
    await world.act(first.body.runId, 'start');
    const refused = await world.act(second.body.runId, 'start');
    expect(refused.status).toBe(409);
    expect(refused.body.runningRunId).toBe(first.body.runId);
    expect((await world.run(second.body.runId)).status).toBe('NOT_STARTED');
    await world.waitForRun(first.body.runId, (r) => r.status === 'COMPLETED', 'the first to complete');
    expect((await world.act(second.body.runId, 'start')).status).toBe(200);
    await world.waitForRun(second.body.runId, (r) => r.status === 'COMPLETED', 'the second to complete');
  });
});

describe('maintenance windows and pipeline ceilings', () => {
  const closedNow = () => {
    const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
    const tomorrow = new Date(Date.now() + 2 * 86_400_000);
    return { dayOfWeek: days[tomorrow.getUTCDay()], startHour: 3, durationHours: 1 };
  };
  const openNow = () => {
    const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
    const now = new Date();
    return { dayOfWeek: days[now.getUTCDay()], startHour: now.getUTCHours(), durationHours: 2 };
  };

  it('a member in a closed window WAITs and starts when it opens', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'windowed', maintenanceWindow: closedNow() }]);
    const created = await world.createRun({
      name: 'windows',
      stages: [{ name: 's', groups: [{ name: 'g', services: [ref('windowed')] }] }],
    });
    const runId = created.body.runId;
    await world.act(runId, 'start');
    const waiting = await world.waitForRun(runId, (r) => world.members(r)[0].status === 'WAITING', 'the member to wait');
    expect(world.members(waiting)[0].reason).toBe('maintenance-window');
    expect(Date.parse(world.members(waiting)[0].estimatedStartAt)).toBeGreaterThan(Date.now() + 86_400_000);
    const patched = await api.request('PATCH', `${world.base}/projects/p/services/windowed`, {
      token: world.operator,
      body: { maintenanceWindow: openNow() },
    });
    expect(patched.status).toBe(200);
    const done = await world.waitForRun(runId, (r) => r.status === 'COMPLETED', 'COMPLETED after the window opened', 30_000);
    expect(world.members(done)[0].status).toBe('COMPLETED');
  });

  it('a pipeline destination waits for validation; an emergency run bypasses windows and ceilings, with events', async () => {
    const world = await fleetWorld(api, ['1.0.0', '1.0.1', '1.1.0']);
    const published = await api.request('POST', `/v1/components/${world.componentId}/versions`, {
      token: world.admin,
      body: { version: '1.1.1', channel: 'stable', security: true },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    await world.services([{ name: 'src', version: '1.1.0' }, { name: 'dst' }, { name: 'closed', maintenanceWindow: closedNow() }]);
    const step = await api.request('POST', `${world.base}/upgrade-pipeline/steps`, {
      token: world.operator,
      body: { sourceProjectName: 'p', sourceServiceName: 'src', destinationProjectName: 'p', destinationServiceName: 'dst' },
    });
    expect(step.status, JSON.stringify(step.body)).toBe(201);

    const normal = await world.createRun({ name: 'capped', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('dst')] }] }] });
    await world.act(normal.body.runId, 'start');
    const held = await world.waitForRun(normal.body.runId, (r) => world.members(r)[0].status === 'WAITING', 'dst to wait');
    expect(world.members(held)[0].reason).toBe('awaiting-validation');
    const validated = await api.request('POST', `${world.base}/projects/p/services/src/upgrade-validation`, {
      token: world.approver,
      body: {},
    });
    expect(validated.status, JSON.stringify(validated.body)).toBe(200);
    await world.waitForRun(normal.body.runId, (r) => r.status === 'COMPLETED', 'COMPLETED after validation', 30_000);

    // Emergency: 1.1.1 is flagged security; src runs 1.1.0, so dst's ceiling (1.1.0) holds a normal run.
    const refusedEmergency = await world.createRun({
      name: 'not security',
      toVersion: '1.1.0',
      emergency: true,
      stages: [{ name: 's', groups: [{ name: 'g', services: [ref('closed')] }] }],
    });
    expect(refusedEmergency.status).toBe(422);
    expect(refusedEmergency.body.errors[0].field).toBe('body.emergency');
    const emergency = await world.createRun({
      name: 'cve',
      toVersion: '1.1.1',
      emergency: true,
      stages: [{ name: 's', groups: [{ name: 'g', services: [ref('dst'), ref('closed')] }] }],
    });
    expect(emergency.status, JSON.stringify(emergency.body)).toBe(201);
    await world.act(emergency.body.runId, 'start');
    const done = await world.waitForRun(emergency.body.runId, (r) => r.status === 'COMPLETED', 'the emergency run', 30_000);
    expect(world.members(done).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED']);
    const events = await world.events(emergency.body.runId);
    expect(events.find((e: any) => e.type === 'MaintenanceWindowOverride')?.detail).toMatchObject({ service: 'closed', emergency: true });
    expect(events.find((e: any) => e.type === 'SecurityOverride')?.detail).toMatchObject({ service: 'dst', ceiling: '1.1.0' });
  });
});

describe('members', () => {
  it('skips one already current and one powered off at creation; a run of nothing but skips completes at once', async () => {
    const world = await fleetWorld(api);
    await world.services([
      { name: 'current', version: '1.1.0' },
      { name: 'off', powered: false },
    ]);
    const created = await world.createRun({
      name: 'nothing',
      stages: [{ name: 's', groups: [{ name: 'g', services: [ref('current'), ref('off')] }] }],
    });
    expect(created.status).toBe(201);
    expect(world.members(created.body).map((m: any) => `${m.status}:${m.reason}`)).toEqual([
      'SKIPPED:already-current',
      'SKIPPED:powered-off',
    ]);
    await world.act(created.body.runId, 'start');
    const done = await world.waitForRun(created.body.runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    expect(done.counts.SKIPPED).toBe(2);
  });

  it('an operator skips a PENDING member (not a finished one); unknown members are 404', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'a' }, { name: 'b' }]);
    const created = await world.createRun({
      name: 'skip',
      stages: [
        { name: 's1', groups: [{ name: 'g', services: [ref('a')] }], afterGates: [{ type: 'approval', name: 'hold' }] },
        { name: 's2', groups: [{ name: 'g', services: [ref('b')] }] },
      ],
    });
    const runId = created.body.runId;
    expect((await world.act(runId, 'members/p/nobody/skip')).status).toBe(404);
    expect((await world.act(runId, 'members/p/b/skip', world.viewer)).status).toBe(403);
    await world.act(runId, 'start');
    const atGate = await world.waitForRun(runId, (r) => r.stages[0].afterGates[0].status === 'WAITING', 'the gate');
    const finished = await world.act(runId, 'members/p/a/skip');
    expect(finished.status).toBe(409);
    expect(finished.body.currentStatus).toBe('COMPLETED');
    const skipped = await world.act(runId, 'members/p/b/skip', world.operator, { comment: 'decommissioned' });
    expect(skipped.status).toBe(200);
    expect(world.members(skipped.body)[1]).toMatchObject({ status: 'SKIPPED', reason: 'skipped by olga' });
    await world.act(runId, `gates/${atGate.stages[0].afterGates[0].gateId}/approve`, world.approver);
    const done = await world.waitForRun(runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    expect(world.members(done)[1].executionId).toBeUndefined();
  });
});

describe('service-busy', () => {
  it('a member whose service has another active upgrade waits, and starts at the next look once that upgrade ended', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'busy' }]);
    const other = await api.request('POST', `${world.base}/upgrades`, {
      token: world.operator,
      body: { project: 'p', service: 'busy', toVersion: '1.0.1' },
    });
    expect(other.status).toBe(201);
    const created = await world.createRun({ name: 'busy', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('busy')] }] }] });
    await world.act(created.body.runId, 'start');
    const waiting = await world.waitForRun(created.body.runId, (r) => world.members(r)[0].status === 'WAITING', 'the member to wait');
    expect(world.members(waiting)[0].reason).toBe('service-busy');
    expect((await api.request('POST', `${world.base}/upgrades/${other.body.executionId}/cancel`, { token: world.operator })).status).toBe(
      200,
    );
    const done = await world.waitForRun(created.body.runId, (r) => r.status === 'COMPLETED', 'COMPLETED after the other upgrade ended');
    expect(world.members(done)[0]).toMatchObject({ status: 'COMPLETED', executionId: expect.any(String) });
    expect(world.members(done)[0].executionId).not.toBe(other.body.executionId);
  });
});

describe('cancel', () => {
  it('cancels a run not started, and refuses to cancel a running one (stop it first)', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'a', target: { type: 'simulated', upgradeSeconds: 300 } }]);
    const idle = await world.createRun({ name: 'idle', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('a')] }] }] });
    const cancelled = await world.act(idle.body.runId, 'cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect((await world.act(idle.body.runId, 'start')).status).toBe(409);
    const busy = await world.createRun({ name: 'busy', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('a')] }] }] });
    await world.act(busy.body.runId, 'start');
    const refused = await world.act(busy.body.runId, 'cancel');
    expect(refused.status).toBe(409);
    expect(refused.body.currentStatus).toBe('RUNNING');
    await world.waitForRun(busy.body.runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
  });
});

describe('the plan', () => {
  it('a dry run answers the run with pre-checks and estimates, in order, and writes nothing', async () => {
    const world = await fleetWorld(api);
    await world.services([
      { name: 'a', instances: 10 },
      { name: 'b', instances: 10 },
      { name: 'c', instances: 10 },
      { name: 'd', version: '1.1.0' },
    ]);
    const body = {
      name: 'planned',
      upgrade: { batchSize: 5, batchDelaySeconds: 60, installedComponents: { openssl: '3.0.0' } },
      stages: [
        { name: 'one', groups: [{ name: 'g', services: [ref('a'), ref('b')], maxConcurrency: 1 }], afterStageWaitSeconds: 600 },
        { name: 'two', groups: [{ name: 'g', services: [ref('c'), ref('d')] }] },
      ],
    };
    const before = Date.now();
    const plan = await world.createRun(body, '?dryRun=true');
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    const [a, b, c, d] = world.members(plan.body);
    expect(a.preChecks.map((check: any) => check.name)).toEqual([
      'version-compatibility',
      'resource-availability',
      'backup-verification',
      'health-endpoints',
      'dependency-check',
    ]);
    expect(a.preChecks.every((check: any) => check.passed)).toBe(true);
    expect(d).toMatchObject({ status: 'SKIPPED', reason: 'already-current' });
    expect(d.estimatedStartAt).toBeUndefined();
    // No statistics yet: 300 s per batch plus the 60 s delay; 10 instances in 2 batches of 5 (maxUnavailable 25% → 2).
    const seconds = (member: any) => (Date.parse(member.estimatedEndAt) - Date.parse(member.estimatedStartAt)) / 1000;
    expect(seconds(a)).toBe(5 * 360);
    expect(Date.parse(a.estimatedStartAt)).toBeGreaterThanOrEqual(before);
    expect(b.estimatedStartAt).toBe(a.estimatedEndAt);
    expect(Date.parse(c.estimatedStartAt) - Date.parse(b.estimatedEndAt)).toBe(600_000);
    const list = await api.request('GET', `${world.base}/update-runs`, { token: world.viewer });
    expect(list.body.items).toEqual([]);
    // The estimates show on the created run too, and the §4 knobs (installedComponents among them) are kept.
    const created = await world.createRun(body);
    expect(created.body.upgrade).toEqual({ batchSize: 5, batchDelaySeconds: 60, installedComponents: { openssl: '3.0.0' } });
    expect(world.members(created.body)[1].estimatedStartAt).toEqual(expect.any(String));
  });
});

describe('refusals', () => {
  let world: FleetWorld;
  beforeAll(async () => {
    world = await fleetWorld(api);
    await world.services([
      { name: 'a', labels: { tier: 'web' } },
      { name: 'b', labels: { tier: 'web' } },
    ]);
  });
  const stages = [{ name: 's', groups: [{ name: 'g', services: [ref('a')] }] }];

  it('422 names the field for bad stages, unknown strategies, duplicate names, a service in two groups', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', stages: [] }, 'body.stages'],
      [{ name: 'x', strategyName: 'nope' }, 'body.strategyName'],
      [{ name: 'x', stages, strategyName: 'nope' }, 'body.strategyName'],
      [{ name: 'x', stages: [stages[0], stages[0]] }, 'body.stages[1].name'],
      [{ name: 'x', stages: [{ name: 's', groups: [{ name: 'g', services: [ref('nobody')] }] }] }, 'body.stages[0].groups[0].services[0]'],
      [
        {
          name: 'x',
          stages: [
            { name: 's', groups: [{ name: 'by-label', selector: { matchLabels: { tier: 'web' } } }] },
            { name: 't', groups: [{ name: 'listed', services: [ref('a')] }] },
          ],
        },
        'body.stages[1].groups[0]',
      ],
      [{ name: 'x', stages, toVersion: '9.9.9' }, 'body.toVersion'],
      [{ name: 'x', stages, componentId: 'cmp_missing' }, 'body.componentId'],
      [{ name: 'x', stages, upgrade: { strategy: 'STAGED' } }, 'body.upgrade'],
    ];
    for (const [body, field] of cases) {
      const response = await world.createRun(body);
      expect(response.status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`).toBe(422);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(response.body.errors.map((e: any) => e.field).join(' ')).toContain(field);
    }
    const twoGroups = await world.createRun(cases[5]?.[0] ?? {});
    expect(twoGroups.body.errors[0].message).toBe('p/a is in two groups: s/by-label and t/listed');
    expect((await api.request('GET', `${world.base}/update-runs`, { token: world.viewer })).body.items).toEqual([]);
  });

  it('404 for unknown runs, gates and members, and for another tenant', async () => {
    const created = await world.createRun({ name: 'mine', stages });
    const runId = created.body.runId;
    expect((await api.request('GET', `${world.base}/update-runs/run_0000000000000`, { token: world.viewer })).status).toBe(404);
    expect((await world.act(runId, 'gates/gate-1/approve', world.approver)).status).toBe(404);
    expect((await world.act(runId, 'members/p/zzz/skip')).status).toBe(404);
    const other = await fleetWorld(api);
    for (const [method, path, token] of [
      ['GET', `/v1/tenants/${other.tenant}/update-runs/${runId}`, other.viewer],
      ['POST', `/v1/tenants/${other.tenant}/update-runs/${runId}/start`, other.operator],
      ['POST', `/v1/tenants/${other.tenant}/update-runs/${runId}/cancel`, other.operator],
      ['GET', `${world.base}/update-runs/${runId}`, other.viewer],
    ] as const) {
      const response = await api.request(method, path, { token });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    expect((await world.run(runId)).status).toBe('NOT_STARTED');
  });

  it('lists runs newest first, filtered by status and component', async () => {
    const list = await api.request('GET', `${world.base}/update-runs?status=NOT_STARTED&componentId=${world.componentId}`, {
      token: world.viewer,
    });
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    expect(list.body.items.every((run: any) => run.status === 'NOT_STARTED' && run.componentId === world.componentId)).toBe(true);
    expect(list.body.items[0].stages).toBeUndefined();
    const none = await api.request('GET', `${world.base}/update-runs?status=COMPLETED`, { token: world.viewer });
    expect(none.body.items).toEqual([]);
    const wrongComponent = await api.request('GET', `${world.base}/update-runs?componentId=cmp_other`, { token: world.viewer });
    expect(wrongComponent.body.items).toEqual([]);
  });
});

describe('compliance', () => {
  it('before and after a run', async () => {
    const world = await fleetWorld(api);
    await world.services([{ name: 'a' }, { name: 'b' }, { name: 'c', version: '1.1.0' }]);
    const compliance = async () =>
      (await api.request('GET', `${world.base}/compliance?componentId=${world.componentId}&version=1.1.0`, { token: world.viewer })).body;
    const before = await compliance();
    expect(before.services).toEqual({ total: 3, compliant: 1, percent: 33.33 });
    const created = await world.createRun({
      name: 'comply',
      stages: [{ name: 's', groups: [{ name: 'g', services: [ref('a'), ref('b'), ref('c')] }] }],
    });
    await world.act(created.body.runId, 'start');
    await world.waitForRun(created.body.runId, (r) => r.status === 'COMPLETED', 'COMPLETED');
    const after = await waitFor(async () => {
      const value = await compliance();
      return value.services.compliant === 3 ? value : undefined;
    });
    expect(after.services).toEqual({ total: 3, compliant: 3, percent: 100 });
    expect(after.laggards).toEqual([]);
  });
});
