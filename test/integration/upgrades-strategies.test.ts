import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedTraffic } from '../../functions/targets/simulated-target.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { recordTaskCalls, type TaskCall } from '../support/tasks.js';
import { TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

const tasks = recordTaskCalls();

let api: TestApi;
let world: UpgradeWorld;
let approver: string;
let approver2: string;
beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
  approver = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'anna' });
  approver2 = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'ben' });
});
afterAll(() => api.stop());

const done = (execution: { status: string }) => TERMINAL.includes(execution.status);
const decide = (id: string, decision: 'approve' | 'reject', token: string, body: Record<string, unknown> = {}) =>
  api.request('POST', `${world.base}/upgrades/${id}/${decision}`, { token, body });

async function create(service: string, knobs: Record<string, unknown>): Promise<string> {
  const created = await world.create({ service, toVersion: '1.1.0', ...knobs });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await world.act(created.body.executionId, 'start')).status).toBe(200);
  return created.body.executionId;
}

describe('STAGED', () => {
  const stages = [{ name: 'one', percentage: 20 }, { name: 'two', percentage: 30 }, { name: 'three' }];

  it('waits at a gate after each stage but the last; approve, approve completes', async () => {
    await world.service('staged-ok', 10);
    const id = await create('staged-ok', { strategy: 'STAGED', stages });
    const first = await world.waitFor(id, (execution) => execution.waitingFor !== undefined);
    expect(first.waitingFor).toMatchObject({ gate: 'stage-approval', stage: 'one', onTimeout: 'reject' });
    expect(first.stages).toEqual([
      { name: 'one', instances: 2 },
      { name: 'two', instances: 3 },
      { name: 'three', instances: 5 },
    ]);
    expect(first.progress.completed).toBe(2);
    expect((await decide(id, 'approve', approver, { comment: 'stage one looks good' })).status).toBe(200);
    const second = await world.waitFor(id, (execution) => execution.waitingFor?.stage === 'two');
    expect(second.progress.completed).toBe(5);
    expect((await decide(id, 'approve', approver2)).status).toBe(200);
    const finished = await world.waitFor(id, done);
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completed: 10 } });
    const events = await world.events(id);
    const approvals = events.filter((event) => event.type === 'GateApproved');
    expect(approvals.map((event) => [event.actor, event.detail.stage, event.detail.comment])).toEqual([
      ['anna', 'one', 'stage one looks good'],
      ['ben', 'two', undefined],
    ]);
    const waiting = events.filter((event) => event.type === 'GateWaiting');
    expect(waiting).toHaveLength(2);
    expect(waiting[0].detail.approveUrl).toBe(`${api.url}${world.base}/upgrades/${id}/approve`);
  });

  it('approve then reject rolls back stages one and two', async () => {
    await world.service('staged-reject', 10);
    const id = await create('staged-reject', { strategy: 'STAGED', stages });
    await world.waitFor(id, (execution) => execution.waitingFor?.stage === 'one');
    await decide(id, 'approve', approver);
    await world.waitFor(id, (execution) => execution.waitingFor?.stage === 'two');
    const rejected = await decide(id, 'reject', approver, { comment: 'error rate up' });
    expect(rejected.status).toBe(202);
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('ROLLED_BACK');
    expect(finished.rollbackInfo.rollbackReason).toContain('error rate up');
    const instances = await world.instances(id);
    expect(instances.filter((instance) => instance.batch < 2).every((instance) => instance.status === 'ROLLED_BACK')).toBe(true);
    expect(instances.filter((instance) => instance.batch === 2).every((instance) => instance.status === 'PENDING')).toBe(true);
  });

  it('a gate timeout with onGateTimeout reject rolls back and records the cause', async () => {
    await world.service('staged-timeout', 4);
    const id = await create('staged-timeout', {
      strategy: 'STAGED',
      stages: [{ name: 'a', percentage: 50 }, { name: 'b' }],
      gateTimeoutSeconds: 2000,
      onGateTimeout: 'reject',
    });
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('ROLLED_BACK');
    const timedOut = (await world.events(id)).find((event) => event.type === 'GateTimedOut');
    expect(timedOut).toMatchObject({ actor: 'sluice', detail: { outcome: 'reject', stage: 'a' } });
    expect(timedOut.detail.cause).toContain('gateTimeoutSeconds (2000s)');
  });

  it('refuses viewers and operators (403), other tenants (404), and the initiator of an upgrade not created with allowSelfApproval', async () => {
    await world.service('staged-auth', 4);
    const id = await create('staged-auth', { strategy: 'STAGED', stages: [{ name: 'a', percentage: 50 }, { name: 'b' }] });
    await world.waitFor(id, (execution) => execution.waitingFor !== undefined);
    expect((await decide(id, 'approve', world.viewer)).status).toBe(403);
    expect((await decide(id, 'approve', world.operator)).status).toBe(403);
    expect((await decide(id, 'reject', world.operator)).status).toBe(403);
    const stranger = await api.token({ tenant: 'someone-else', roles: ['approver'] });
    expect((await decide(id, 'approve', stranger)).status).toBe(404);
    const initiator = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'olga' });
    const self = await decide(id, 'approve', initiator);
    expect(self.status).toBe(403);
    expect(self.body.detail).toContain('allowSelfApproval');
    // The decision body cannot grant it: the field is unknown there (422), and nothing moved.
    const claimed = await decide(id, 'approve', initiator, { allowSelfApproval: true });
    expect(claimed.status).toBe(422);
    expect(claimed.body.errors.map((error: { field: string }) => error.field)).toContain('body.allowSelfApproval');
    expect((await world.get(id)).waitingFor).toBeDefined();
    expect((await world.events(id)).some((event) => event.type === 'GateApproved')).toBe(false);
    const other = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'petra' });
    expect((await decide(id, 'approve', other)).status).toBe(200);
    await world.waitFor(id, done);
  });

  it('lets the initiator decide the gates of an upgrade created with allowSelfApproval: true, on record', async () => {
    await world.service('staged-self', 4);
    const id = await create('staged-self', {
      strategy: 'STAGED',
      stages: [{ name: 'a', percentage: 50 }, { name: 'b' }],
      allowSelfApproval: true,
    });
    const waiting = await world.waitFor(id, (execution) => execution.waitingFor !== undefined);
    expect(waiting.allowSelfApproval).toBe(true);
    const initiator = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'olga' });
    expect((await decide(id, 'approve', initiator, { comment: 'on call alone tonight' })).status).toBe(200);
    const events = await world.events(id);
    expect(events.find((event) => event.type === 'UpgradeCreated')).toMatchObject({ actor: 'olga', detail: { allowSelfApproval: true } });
    expect(events.find((event) => event.type === 'GateApproved')).toMatchObject({
      actor: 'olga',
      detail: { selfApproved: true, comment: 'on call alone tonight' },
    });
    await world.waitFor(id, done);
  });
});

describe('CANARY', () => {
  it('upgrades exactly 2 of 20 at 10%, waits in CANARY_MONITORING, and promote finishes all 20', async () => {
    await world.service('canary-ok', 20);
    const id = await create('canary-ok', { strategy: 'CANARY', canaryPercentage: 10, batchSize: 5 });
    const monitoring = await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
    expect(monitoring.progress.completed).toBe(2);
    // It keeps monitoring and rolls nothing else out: three health checks of the canaries
    // decide to carry on, and still only the 2 canaries are done.
    const decisions = (calls: readonly TaskCall[]) =>
      calls
        .filter((call) => call.task === 'monitorCanary' && call.settled)
        .map((call) => (call.result as { decision?: string } | undefined)?.decision);
    const checked = decisions(await tasks.until(id, (calls) => decisions(calls).length >= 3));
    expect(
      checked.every((decision) => decision === 'continue'),
      JSON.stringify(checked),
    ).toBe(true);
    expect((await world.get(id)).progress.completed).toBe(2);
    const promoted = await world.act(id, 'promote-canary');
    expect(promoted.status).toBe(200);
    expect(promoted.body.status).toBe('IN_PROGRESS');
    const finished = await world.waitFor(id, done);
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completed: 20 } });
    expect((await world.events(id)).find((event) => event.type === 'CanaryPromoted')).toMatchObject({ actor: 'olga' });
  });

  it('rolls back only the canaries when a canary turns unhealthy while monitored (auto-rollback)', async () => {
    await world.service('canary-sick', 20);
    const id = await create('canary-sick', { strategy: 'CANARY', canaryPercentage: 10, autoRollbackEnabled: true });
    await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
    await api.request('PATCH', `${world.base}/projects/p/services/canary-sick`, {
      token: world.operator,
      body: { target: { type: 'simulated', unhealthyInstances: ['i-1'] } },
    });
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('ROLLED_BACK');
    const instances = await world.instances(id);
    expect(
      instances
        .filter((instance) => instance.status === 'ROLLED_BACK')
        .map((instance) => instance.instanceId)
        .sort(),
    ).toEqual(['i-0', 'i-1']);
    expect(instances.filter((instance) => instance.status === 'PENDING')).toHaveLength(18);
  });

  it('promotes by itself after canaryAutoPromoteSeconds of healthy monitoring', async () => {
    await world.service('canary-auto', 10);
    const id = await create('canary-auto', { strategy: 'CANARY', canaryPercentage: 10, canaryAutoPromoteSeconds: 600 });
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('COMPLETED');
    expect((await world.events(id)).find((event) => event.type === 'CanaryPromoted')).toMatchObject({
      actor: 'sluice',
      detail: { automatic: true },
    });
  });
});

describe('BLUE_GREEN', () => {
  it('keeps traffic 100/0 until approval, 0/100 after; a rollback inside the scale-down window restores 100/0', async () => {
    await world.service('bg', 4);
    const id = await create('bg', { strategy: 'BLUE_GREEN', scaleDownDelaySeconds: 60_000 });
    const waiting = await world.waitFor(id, (execution) => execution.waitingFor?.gate === 'traffic-switch');
    expect(waiting.progress.completed).toBe(4);
    const fleet = simulatedTraffic.get(world.tenant, 'p', 'bg');
    expect(fleet.weights).toEqual({ blue: 100, green: 0 });
    expect(fleet.versions['i-0-green']).toBe('1.1.0');
    expect((await decide(id, 'approve', approver)).status).toBe(200);
    // The switch task moves the traffic first and records TrafficSwitched after: wait for
    // the task to have returned, not for the weights alone, before looking for the event.
    await tasks.until(id, (calls) => calls.some((call) => call.task === 'switchTraffic' && call.settled));
    expect(simulatedTraffic.get(world.tenant, 'p', 'bg').weights).toEqual({ blue: 0, green: 100 });
    expect((await world.events(id)).some((event) => event.type === 'TrafficSwitched')).toBe(true);
    const rollback = await world.act(id, 'rollback', { reason: 'checkout errors on green' });
    expect(rollback.status).toBe(202);
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('ROLLED_BACK');
    const after = simulatedTraffic.get(world.tenant, 'p', 'bg');
    expect(after.weights).toEqual({ blue: 100, green: 0 });
    expect(after.versions['i-0-green']).toBe('1.1.0');
    expect(after.versions['i-0'] ?? '1.0.0').toBe('1.0.0');
  });

  it('a pause while green comes up holds the flow; after resume it waits at the switch and completes', async () => {
    await world.service('bg-pause', 2, { type: 'simulated', upgradeSeconds: 1500 });
    const id = await create('bg-pause', { strategy: 'BLUE_GREEN', scaleDownDelaySeconds: 10 });
    await world.waitFor(id, (execution) => execution.status === 'IN_PROGRESS');
    expect((await world.act(id, 'pause')).status).toBe(200);
    // Green finishes coming up, then the flow parks on its resume token: held there, it
    // cannot reach the switch gate until a resume.
    await tasks.until(id, (calls) => calls.some((call) => call.task === 'park' && call.settled && call.error === undefined));
    const held = await world.get(id);
    expect(held.status).toBe('PAUSED');
    expect(held.waitingFor).toBeUndefined();
    expect((await world.act(id, 'resume')).status).toBe(200);
    await world.waitFor(id, (execution) => execution.waitingFor?.gate === 'traffic-switch');
    expect((await decide(id, 'approve', approver)).status).toBe(200);
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('COMPLETED');
    expect(simulatedTraffic.get(world.tenant, 'p', 'bg-pause').weights).toEqual({ blue: 0, green: 100 });
  });

  it('aborting before the switch retires green and leaves blue untouched', async () => {
    await world.service('bg-abort', 3);
    const id = await create('bg-abort', { strategy: 'BLUE_GREEN' });
    await world.waitFor(id, (execution) => execution.waitingFor?.gate === 'traffic-switch');
    expect((await decide(id, 'reject', approver, { comment: 'not today' })).status).toBe(202);
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('ROLLED_BACK');
    const fleet = simulatedTraffic.get(world.tenant, 'p', 'bg-abort');
    expect(fleet.weights).toEqual({ blue: 100, green: 0 });
    expect([...fleet.retired].sort()).toEqual(['i-0-green', 'i-1-green', 'i-2-green']);
  });
});

describe('task tokens stay server-side', () => {
  it('never appear in any response, and a holder of the raw token can answer the gate directly', async () => {
    const { DynamoDBClient, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const { SFNClient, SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
    await world.service('token-check', 4);
    const created = await world.create({
      service: 'token-check',
      toVersion: '1.1.0',
      strategy: 'STAGED',
      stages: [{ name: 'a', percentage: 50 }, { name: 'b' }],
    });
    const id = created.body.executionId as string;
    const started = await world.act(id, 'start');
    await world.waitFor(id, (execution) => execution.waitingFor !== undefined);

    const ddb = new DynamoDBClient({
      endpoint: api.runtime.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const stored = await ddb.send(
      new GetItemCommand({ TableName: 'sluice', Key: { pk: { S: `TENANT#${world.tenant}` }, sk: { S: `UPGRADE#${id}` } } }),
    );
    ddb.destroy();
    const token = stored.Item?.gateToken?.S;
    expect(token).toBeDefined();

    const responses = [
      created,
      started,
      await api.request('GET', `${world.base}/upgrades/${id}`, { token: world.viewer }),
      await api.request('GET', `${world.base}/upgrades`, { token: world.viewer }),
      await api.request('GET', `${world.base}/upgrades?status=IN_PROGRESS`, { token: world.viewer }),
      await api.request('GET', `${world.base}/upgrades/${id}/instances`, { token: world.viewer }),
      await api.request('GET', `${world.base}/upgrades/${id}/events?limit=100`, { token: world.viewer }),
      await api.request('GET', `${world.base}/components/${world.componentId}/upgrades/active`, { token: world.viewer }),
      await api.request('GET', `${world.base}/components/${world.componentId}/upgrade-statistics`, { token: world.viewer }),
      await world.act(id, 'pause'),
      await world.act(id, 'resume'),
      await decide(id, 'approve', world.viewer),
    ];
    for (const response of responses) expect(response.text).not.toContain(token);
    expect(JSON.stringify(await world.events(id))).not.toContain(token);

    const sfn = new SFNClient({
      endpoint: api.runtime.endpoints.stepfunctions,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: 'chatops-bot' }) }));
    sfn.destroy();
    const finished = await world.waitFor(id, done);
    expect(finished.status).toBe('COMPLETED');
    const approval = (await world.events(id)).find((event) => event.type === 'GateApproved');
    expect(approval).toMatchObject({ actor: 'chatops-bot', detail: { via: 'SendTaskSuccess' } });
    const after = await api.request('GET', `${world.base}/upgrades/${id}`, { token: world.viewer });
    expect(after.text).not.toContain(token);
  });
});
