/**
 * Alarm and metric gates (docs/architecture.md#alarm-and-metric-gates), end to end on the
 * local runtime: real CloudWatch alarms on the embedded endpoint, set with SetAlarmState
 * through @aws-sdk/client-cloudwatch; a real local HTTP receiver as the metric webhook;
 * the flows on the embedded engine, 1000 times faster than real time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeLocalFunction } from '../../local/lambdas.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { sluice } from '../support/cli.js';
import { fleetWorld } from '../support/fleet.js';
import { startUpgrade, TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

let api: TestApi;
let world: UpgradeWorld;
let cloudwatch: CloudWatchClient;

/** A metric webhook: answers in turn what `answers` says (the last one from then on), counting the calls. */
interface Receiver {
  readonly url: string;
  readonly calls: () => number;
  close(): Promise<void>;
}
type Answer = { status: number; body: string } | 'hang';
async function receiver(answers: readonly Answer[]): Promise<Receiver> {
  let calls = 0;
  const server: Server = createServer((_request, response) => {
    const answer = answers[Math.min(calls, answers.length - 1)] ?? { status: 500, body: '' };
    calls += 1;
    if (answer === 'hang') return; // never answers: the measurement times out
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    calls: () => calls,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

const json = (value: unknown): Answer => ({ status: 200, body: JSON.stringify(value) });

async function alarm(state: 'OK' | 'ALARM' = 'OK'): Promise<string> {
  const name = unique('gate-alarm');
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'Orders',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await setAlarm(name, state);
  return name;
}
const setAlarm = (name: string, state: 'OK' | 'ALARM') =>
  cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'set by the test' }));

const types = async (executionId: string) => (await world.events(executionId)).map((event) => event.type);

beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
  cloudwatch = new CloudWatchClient({
    endpoint: api.runtime.endpoints.cloudwatch,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  cloudwatch.destroy();
  await api.stop();
});

/** Four instances one at a time, an hour (3.6 s here) between batches: time to set an alarm after the first. */
const SLOW_ROLLING = { batchSize: 1, maxUnavailablePercentage: 100, batchDelaySeconds: 3600, healthCheckIntervalSeconds: 1 };

describe('alarm gates', () => {
  it('an alarm set to ALARM mid-rollout rolls the upgrade back before the next batch, with the reason on record', async () => {
    const name = await alarm();
    await world.service('gated-rollback', 4);
    const id = await startUpgrade(world, 'gated-rollback', { ...SLOW_ROLLING, alarms: [name] });
    const created = await world.get(id);
    expect(created).toMatchObject({ alarms: [name], onAlarm: 'rollback' });
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);
    await setAlarm(name, 'ALARM');
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.completedBatches).toBeLessThan(4);
    expect(done.rollbackInfo.trigger).toMatchObject({ reason: 'alarm', action: 'rollback' });
    expect(done.rollbackInfo.rollbackReason).toContain(name);
    const events = await world.events(id);
    const triggered = events.find((event) => event.type === 'AlarmTriggered');
    expect(triggered.detail).toMatchObject({ alarms: [name], action: 'rollback' });
    expect(events.map((event) => event.type)).toContain('UpgradeRolledBack');

    // The events feed filters on the new types like on any other.
    const feed = await api.request('GET', `${world.base}/upgrades/${id}/events?types=AlarmTriggered,ProgressDeadlineExceeded`, {
      token: world.viewer,
    });
    expect(feed.status).toBe(200);
    expect(feed.body.items.map((event: any) => event.type)).toEqual(['AlarmTriggered']);
  });

  it('with onAlarm pause it pauses with the reason; a resume while still in ALARM pauses again, once OK it completes', async () => {
    const name = await alarm();
    await world.service('gated-pause', 3);
    const id = await startUpgrade(world, 'gated-pause', { ...SLOW_ROLLING, alarms: [name], onAlarm: 'pause' });
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);
    await setAlarm(name, 'ALARM');
    const paused = await world.waitFor(id, (execution) => execution.status === 'PAUSED', 30_000);
    expect(paused.statusReason).toContain(name);
    expect(paused.rollbackInfo.trigger).toMatchObject({ reason: 'alarm', action: 'pause' });
    const batches = paused.completedBatches;

    // Resume re-checks: still in ALARM, so it pauses again at the same boundary.
    expect((await world.act(id, 'resume')).status).toBe(200);
    await world.waitFor(id, (execution) => execution.status === 'PAUSED', 30_000);
    await waitFor(async () => (await types(id)).filter((type) => type === 'AlarmTriggered').length === 2, { message: 'a second trip' });
    expect((await world.get(id)).completedBatches).toBe(batches);

    await setAlarm(name, 'OK');
    // The flow may still be on its way to park; resume as soon as it is PAUSED.
    expect((await world.act(id, 'resume')).status).toBe(200);
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
    expect(done.status).toBe('COMPLETED');
  });

  it('with onAlarm fail it fails the upgrade', async () => {
    const name = await alarm();
    await world.service('gated-fail', 3);
    const id = await startUpgrade(world, 'gated-fail', { ...SLOW_ROLLING, alarms: [name], onAlarm: 'fail' });
    await world.waitFor(id, (execution) => execution.completedBatches >= 1);
    await setAlarm(name, 'ALARM');
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
    expect(done.status).toBe('FAILED');
    expect(done.statusReason).toContain(name);
    expect(done.rollbackInfo.trigger).toMatchObject({ reason: 'alarm', action: 'fail' });
    expect(await types(id)).toContain('AlarmTriggered');
  });

  it('an alarm already in ALARM fails the pre-check, and nothing rolls', async () => {
    const quiet = await alarm('OK');
    const firing = await alarm('ALARM');
    await world.service('gated-precheck', 2);
    const id = await startUpgrade(world, 'gated-precheck', { alarms: [quiet, firing], onAlarm: 'pause' });
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('FAILED');
    expect(done.preChecks.find((check: any) => check.name === 'alarms')).toEqual({
      name: 'alarms',
      passed: false,
      detail: `in ALARM: ${firing}`,
    });
    expect(done.rollbackInfo.trigger).toMatchObject({ reason: 'alarm', action: 'fail' });
    expect(done.progress.completed).toBe(0);
    expect((await world.instances(id)).every((instance) => instance.status === 'PENDING')).toBe(true);
    expect(await types(id)).toEqual(expect.arrayContaining(['PreChecksFailed', 'AlarmTriggered']));
  });

  it('passes the alarms pre-check when none is in ALARM (a sixth check, only when alarms are watched)', async () => {
    const quiet = await alarm('OK');
    await world.service('gated-ok', 2);
    const id = await startUpgrade(world, 'gated-ok', { alarms: [quiet], batchDelaySeconds: 1 });
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('COMPLETED');
    expect(done.preChecks.map((check: any) => check.name)).toContain('alarms');

    await world.service('ungated', 1);
    const plain = await world.waitFor(await startUpgrade(world, 'ungated'), (execution) => TERMINAL.includes(execution.status));
    expect(plain.preChecks).toHaveLength(5);
    expect(plain.onAlarm).toBe('rollback');
    expect(plain.alarms).toBeUndefined();
  });
});

const CANARY = {
  strategy: 'CANARY',
  canaryPercentage: 50,
  healthCheckIntervalSeconds: 30,
  batchDelaySeconds: 1,
  canaryAutoPromoteSeconds: 600,
};

describe('alarm gates of CANARY and BLUE_GREEN', () => {
  it('an alarm in ALARM while the canary is monitored rolls it back', async () => {
    const name = await alarm();
    await world.service('canary-alarm', 4);
    const id = await startUpgrade(world, 'canary-alarm', { ...CANARY, canaryAutoPromoteSeconds: undefined, alarms: [name] });
    await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
    await setAlarm(name, 'ALARM');
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.rollbackInfo.trigger).toMatchObject({ reason: 'alarm', action: 'rollback' });
    const triggered = (await world.events(id)).find((event) => event.type === 'AlarmTriggered');
    expect(triggered.detail).toMatchObject({ where: 'while the canary was monitored', action: 'rollback' });
  });

  it('with onAlarm pause an alarm holds the auto-promotion until it is OK again', async () => {
    const name = await alarm();
    await world.service('canary-hold', 2);
    // 3000 s (3 s here): time to set the alarm before the promotion is due.
    const id = await startUpgrade(world, 'canary-hold', { ...CANARY, canaryAutoPromoteSeconds: 3000, alarms: [name], onAlarm: 'pause' });
    await world.waitFor(id, (execution) => ['CANARY_MONITORING', ...TERMINAL].includes(execution.status));
    await setAlarm(name, 'ALARM');
    await waitFor(async () => (await types(id)).includes('AlarmTriggered'), { message: 'AlarmTriggered' });
    const held = await world.get(id);
    expect(held.status).toBe('CANARY_MONITORING');
    expect(held.rollbackInfo.trigger).toMatchObject({ reason: 'alarm', action: 'pause' });
    // Held past the promotion time: at every look still monitored.
    const since = Date.parse((await world.events(id)).find((event) => event.type === 'CanaryMonitoring').at);
    await waitFor(
      async () => {
        expect((await world.get(id)).status).toBe('CANARY_MONITORING');
        return Date.now() - since > 4_000;
      },
      { message: 'past the auto-promotion time' },
    );
    await setAlarm(name, 'OK');
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('COMPLETED');
    expect(await types(id)).toContain('CanaryPromoted');
  });

  it('an alarm in ALARM at the blue-green switch keeps traffic on blue and rolls back', async () => {
    const name = await alarm();
    await world.service('bg-alarm', 2);
    const id = await startUpgrade(world, 'bg-alarm', { strategy: 'BLUE_GREEN', scaleDownDelaySeconds: 60, alarms: [name] });
    await world.waitFor(id, (execution) => execution.waitingFor?.gate === 'traffic-switch');
    await setAlarm(name, 'ALARM');
    const approver = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'anna' });
    const approved = await api.request('POST', `${world.base}/upgrades/${id}/approve`, { token: approver, body: {} });
    expect(approved.status).toBe(200);
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('ROLLED_BACK');
    const events = await world.events(id);
    expect(events.find((event) => event.type === 'AlarmTriggered').detail).toMatchObject({ where: 'before the traffic switch' });
    expect(events.map((event) => event.type)).not.toContain('TrafficSwitched');
    expect(events.find((event) => event.type === 'GreenRetired').detail).toMatchObject({ trafficWasSwitched: false });
  });
});

describe('the metric analysis of a monitored canary', () => {
  it('rolls back once more than failureLimit measurements answer above the threshold (failureLimit + 1 calls)', async () => {
    const webhook = await receiver([json({ errorRate: 0.2 })]);
    try {
      await world.service('analysis-bad', 2);
      const id = await startUpgrade(world, 'analysis-bad', {
        ...CANARY,
        analysis: { url: webhook.url, intervalSeconds: 60, count: 5, successCondition: '$.errorRate < 0.01', failureLimit: 1 },
      });
      const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
      expect(done.status).toBe('ROLLED_BACK');
      expect(done.analysisProgress).toMatchObject({ taken: 2, failed: 2, inconclusive: 0 });
      expect(done.analysisProgress.last.detail).toContain('$.errorRate = 0.2');
      expect(webhook.calls()).toBe(2);
      expect(done.rollbackInfo.trigger).toMatchObject({ reason: 'analysis', action: 'rollback' });
      const failed = (await world.events(id)).find((event) => event.type === 'AnalysisFailed');
      expect(failed.detail).toMatchObject({ failed: 2, inconclusive: 0, failureLimit: 1, action: 'rollback' });
      expect(await types(id)).not.toContain('CanaryPromoted');
    } finally {
      await webhook.close();
    }
  });

  it('promotes on schedule when every measurement answers below the threshold', async () => {
    const webhook = await receiver([json({ errorRate: 0.001 })]);
    try {
      await world.service('analysis-good', 2);
      const id = await startUpgrade(world, 'analysis-good', {
        ...CANARY,
        analysis: { url: webhook.url, intervalSeconds: 60, count: 3, successCondition: '$.errorRate < 0.01', failureLimit: 0 },
      });
      const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
      expect(done.status).toBe('COMPLETED');
      expect(done.analysisProgress).toMatchObject({ taken: 3, failed: 0, inconclusive: 0, last: { outcome: 'passed' } });
      expect(webhook.calls()).toBe(3);
      const promoted = (await world.events(id)).find((event) => event.type === 'CanaryPromoted');
      expect(promoted.detail).toMatchObject({ automatic: true });
    } finally {
      await webhook.close();
    }
  });

  it('counts a 500, an answer that is not JSON and a timeout as inconclusive, never a crash', async () => {
    const webhook = await receiver([{ status: 500, body: '{"errorRate":0}' }, { status: 200, body: '<html>ok</html>' }, 'hang']);
    try {
      await world.service('analysis-flaky', 2);
      const id = await startUpgrade(world, 'analysis-flaky', {
        ...CANARY,
        analysis: { url: webhook.url, intervalSeconds: 60, count: 5, successCondition: '$.errorRate < 0.01', failureLimit: 2 },
      });
      const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 40_000);
      expect(done.status).toBe('ROLLED_BACK');
      expect(done.analysisProgress).toMatchObject({
        taken: 3,
        failed: 0,
        inconclusive: 3,
        last: { outcome: 'inconclusive', detail: 'timed out' },
      });
      const failed = (await world.events(id)).find((event) => event.type === 'AnalysisFailed');
      expect(failed.detail).toMatchObject({ failed: 0, inconclusive: 3, failureLimit: 2 });
      expect(await types(id)).not.toContain('UpgradeFailed');
    } finally {
      await webhook.close();
    }
  });

  it('counts one measurement once, and trips once, when the monitoring task runs several times at once (a retried or duplicated task)', async () => {
    // The webhook holds every request until five are in (or a second passed): the flow's own
    // tick and four extra invocations all measure before any of them records.
    const held: (() => void)[] = [];
    let calls = 0;
    const server: Server = createServer((_request, response) => {
      calls += 1;
      const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"errorRate":0.5}');
      held.push(answer);
      if (held.length >= 5) for (const release of held.splice(0)) release();
      else setTimeout(() => held.includes(answer) && held.splice(held.indexOf(answer), 1) && answer(), 1_000);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      await world.service('analysis-once', 2);
      const id = await startUpgrade(world, 'analysis-once', {
        ...CANARY,
        canaryAutoPromoteSeconds: undefined,
        analysis: {
          url: `http://127.0.0.1:${port}/m`,
          intervalSeconds: 3600,
          count: 3,
          successCondition: '$.errorRate < 0.01',
          failureLimit: 0,
        },
      });
      await world.waitFor(id, (execution) => execution.status === 'CANARY_MONITORING');
      const extra = await Promise.all(
        Array.from({ length: 4 }, () =>
          invokeLocalFunction('sluice-upgrade-tasks', { task: 'monitorCanary', tenantId: world.tenant, executionId: id }),
        ),
      );
      expect(extra.every((result: any) => ['continue', 'rollback'].includes(result.decision))).toBe(true);
      expect(calls).toBeGreaterThanOrEqual(4);
      const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
      expect(done.status).toBe('ROLLED_BACK');
      expect(done.analysisProgress).toMatchObject({ taken: 1, failed: 1, inconclusive: 0 });
      const events = await types(id);
      expect(events.filter((type) => type === 'AnalysisFailed')).toHaveLength(1);
      expect(events.filter((type) => type === 'RollbackStarted')).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  it('with onAlarm pause a failed analysis withholds the auto-promotion; a person still promotes', async () => {
    const webhook = await receiver([json({ errorRate: 0.5 })]);
    try {
      await world.service('analysis-hold', 2);
      const id = await startUpgrade(world, 'analysis-hold', {
        ...CANARY,
        canaryAutoPromoteSeconds: 300,
        onAlarm: 'pause',
        analysis: { url: webhook.url, intervalSeconds: 60, count: 2, successCondition: '$.errorRate < 0.01', failureLimit: 0 },
      });
      await waitFor(async () => (await types(id)).includes('AnalysisFailed'), { message: 'AnalysisFailed' });
      const held = await world.get(id);
      expect(held.status).toBe('CANARY_MONITORING');
      expect(held.rollbackInfo.trigger).toMatchObject({ reason: 'analysis', action: 'pause' });
      // Monitoring goes on past the auto-promotion time (300 s: 0.3 s here), at every look still monitored.
      const since = Date.parse((await world.events(id)).find((event) => event.type === 'CanaryMonitoring').at);
      await waitFor(
        async () => {
          expect((await world.get(id)).status).toBe('CANARY_MONITORING');
          return Date.now() - since > 1_000;
        },
        { message: 'three auto-promotion periods' },
      );
      expect((await world.act(id, 'promote-canary')).status).toBe(200);
      const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
      expect(done.status).toBe('COMPLETED');
    } finally {
      await webhook.close();
    }
  });
});

describe('progressDeadlineSeconds', () => {
  it('a rollout whose target never becomes healthy hits the deadline inside the health polling and rolls back', async () => {
    await world.service('stuck', 3, { type: 'simulated', unhealthyInstances: ['i-1'] });
    const id = await startUpgrade(world, 'stuck', {
      batchSize: 1,
      maxUnavailablePercentage: 100,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 86_400,
      progressDeadlineSeconds: 2000,
    });
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.progressDeadlineSeconds).toBe(2000);
    expect(done.rollbackInfo.trigger).toMatchObject({ reason: 'progress-deadline', action: 'rollback' });
    expect(done.rollbackInfo.rollbackReason).toMatch(/^progress-deadline/);
    const exceeded = (await world.events(id)).find((event) => event.type === 'ProgressDeadlineExceeded');
    expect(exceeded.detail).toMatchObject({ seconds: 2000, where: 'during batch 1', action: 'rollback' });
  });

  it('with onAlarm pause the stuck rollout pauses with reason progress-deadline, once, and a cancel ends it', async () => {
    await world.service('stuck-pause', 2, { type: 'simulated', unhealthyInstances: ['i-0'] });
    const id = await startUpgrade(world, 'stuck-pause', {
      batchSize: 1,
      maxUnavailablePercentage: 100,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 86_400,
      progressDeadlineSeconds: 2000,
      onAlarm: 'pause',
    });
    const paused = await world.waitFor(id, (execution) => execution.status === 'PAUSED');
    expect(paused.statusReason).toMatch(/^progress-deadline/);
    expect(paused.rollbackInfo.trigger).toMatchObject({ reason: 'progress-deadline', action: 'pause' });
    // The batch goes on polling (a pause takes effect at the batch boundary) without tripping again.
    await waitFor(async () => (await world.instances(id)).some((instance) => instance.status === 'HEALTH_CHECKING'), {
      message: 'the batch still polling',
    });
    expect((await types(id)).filter((type) => type === 'ProgressDeadlineExceeded')).toHaveLength(1);
    // The status table has no PAUSED -> ROLLING_BACK edge: a person resumes or cancels.
    expect((await world.act(id, 'cancel')).status).toBe(200);
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('CANCELLED');
  });

  it('does not count a wait for a person: a STAGED gate held past the deadline, then approved, completes', async () => {
    await world.service('deadline-gate', 2);
    const id = await startUpgrade(world, 'deadline-gate', {
      strategy: 'STAGED',
      stages: [{ name: 'one', instances: ['i-0'] }, { name: 'two' }],
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 10,
      progressDeadlineSeconds: 1000,
    });
    const waiting = await world.waitFor(id, (execution) => execution.waitingFor?.gate === 'stage-approval');
    // Held at the gate past the deadline (1000 s: 1 s here), at every look still waiting and IN_PROGRESS.
    await waitFor(
      async () => {
        expect((await world.get(id)).status).toBe('IN_PROGRESS');
        return Date.now() - Date.parse(waiting.waitingFor.since) > 2_000;
      },
      { message: 'past the deadline at the gate' },
    );
    const approver = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'anna' });
    expect((await api.request('POST', `${world.base}/upgrades/${id}/approve`, { token: approver, body: {} })).status).toBe(200);
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status));
    expect(done.status).toBe('COMPLETED');
    expect(await types(id)).not.toContain('ProgressDeadlineExceeded');
  });

  it('with onAlarm fail the stuck rollout fails', async () => {
    await world.service('stuck-fail', 2, { type: 'simulated', unhealthyInstances: ['i-0'] });
    const id = await startUpgrade(world, 'stuck-fail', {
      batchSize: 1,
      maxUnavailablePercentage: 100,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 86_400,
      progressDeadlineSeconds: 2000,
      onAlarm: 'fail',
    });
    const done = await world.waitFor(id, (execution) => TERMINAL.includes(execution.status), 30_000);
    expect(done.status).toBe('FAILED');
    expect(done.statusReason).toMatch(/^progress-deadline/);
  });
});

describe('creating a gated upgrade', () => {
  const listOf = async (service: string) => {
    const response = await api.request('GET', `${world.base}/upgrades?limit=100`, { token: world.viewer });
    return response.body.items.filter((item: any) => item.service === service);
  };

  it('answers 422 naming the unknown alarms, and writes nothing', async () => {
    const known = await alarm();
    const missing = [unique('no-such-alarm'), unique('no-such-alarm')];
    await world.service('refused-alarms', 1);
    const response = await world.create({ service: 'refused-alarms', toVersion: '1.1.0', alarms: [known, ...missing] });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors).toEqual([
      { field: 'body.alarms', message: `no such CloudWatch alarm: ${missing.join(', ')}`, code: 'UNKNOWN_ALARM' },
    ]);
    expect(response.body.unknownAlarms).toEqual(missing);
    expect(await listOf('refused-alarms')).toEqual([]);
  });

  it('answers 422 for an analysis URL the SSRF guard refuses', async () => {
    await world.service('refused-url', 2);
    const response = await world.create({
      service: 'refused-url',
      toVersion: '1.1.0',
      ...CANARY,
      analysis: { url: 'http://169.254.169.254/latest/meta-data', intervalSeconds: 60, count: 3, successCondition: '$.x < 1' },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors[0]).toMatchObject({ field: 'body.analysis.url', code: 'URL_REFUSED' });
    expect(response.body.errors[0].message).toContain('metadata');
    expect(await listOf('refused-url')).toEqual([]);
  });

  it.each([
    ['$.errorRate <', 'a value must follow the operator'],
    ['errorRate < 0.01', 'must start with $'],
    ['$.errorRate ~ 1', 'expected one of'],
    ['$.status > "up"', 'compares numbers only'],
  ])('answers 422 naming the field for the successCondition %s', async (successCondition, message) => {
    await world.service(unique('bad-cond'), 2);
    const response = await world.create({
      service: 'refused-url',
      toVersion: '1.1.0',
      ...CANARY,
      analysis: { url: 'https://metrics.example.com/q', intervalSeconds: 60, count: 3, successCondition },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.analysis.successCondition' })]);
    expect(response.body.errors[0].message).toContain(message);
  });

  it('answers 422 for an analysis outside CANARY, a deadline within the batch delay, and onAlarm alone', async () => {
    await world.service('refused-misc', 2);
    const analysis = { url: 'https://metrics.example.com/q', intervalSeconds: 60, count: 3, successCondition: '$.x < 1' };
    const rolling = await world.create({ service: 'refused-misc', toVersion: '1.1.0', analysis });
    expect(rolling.status).toBe(422);
    expect(rolling.body.errors).toEqual([expect.objectContaining({ field: 'body.analysis' })]);
    const short = await world.create({ service: 'refused-misc', toVersion: '1.1.0', batchDelaySeconds: 60, progressDeadlineSeconds: 60 });
    expect(short.status).toBe(422);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'body.progressDeadlineSeconds' })]);
    const alone = await world.create({ service: 'refused-misc', toVersion: '1.1.0', onAlarm: 'pause' });
    expect(alone.status).toBe(422);
    expect(alone.body.errors).toEqual([expect.objectContaining({ field: 'body.onAlarm' })]);
    const many = await world.create({
      service: 'refused-misc',
      toVersion: '1.1.0',
      alarms: Array.from({ length: 11 }, (_, i) => `a-${i}`),
    });
    expect(many.status).toBe(422);
    expect(await listOf('refused-misc')).toEqual([]);
  });
});

describe("an update run's upgrade", () => {
  it('answers 422 at the run create for unknown alarms or an SSRF-refused analysis URL, and writes nothing', async () => {
    const fleet = await fleetWorld(api);
    await fleet.services([{ name: 'fleet-refused' }]);
    const stages = [{ name: 'all', groups: [{ name: 'g', services: [{ project: 'p', name: 'fleet-refused' }] }] }];
    const missing = unique('no-such-alarm');
    const unknown = await fleet.createRun({ name: unique('refused-run'), stages, upgrade: { alarms: [missing] } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([
      { field: 'body.upgrade.alarms', message: `no such CloudWatch alarm: ${missing}`, code: 'UNKNOWN_ALARM' },
    ]);
    const analysis = { url: 'http://[::ffff:169.254.169.254]/', intervalSeconds: 60, count: 2, successCondition: '$.x < 1' };
    const refused = await fleet.createRun({ name: unique('refused-run'), stages, upgrade: { strategy: 'CANARY', analysis } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0]).toMatchObject({ field: 'body.upgrade.analysis.url', code: 'URL_REFUSED' });
    const alone = await fleet.createRun({ name: unique('refused-run'), stages, upgrade: { onAlarm: 'fail' } });
    expect(alone.status).toBe(422);
    expect(alone.body.errors).toEqual([expect.objectContaining({ field: 'body.upgrade.onAlarm' })]);
    const listed = await api.request('GET', `${fleet.base}/update-runs?limit=100`, { token: fleet.viewer });
    expect(listed.body.items).toEqual([]);
  });

  it('hands its alarms, onAlarm and progress deadline to every member upgrade', async () => {
    const name = await alarm();
    const fleet = await fleetWorld(api);
    await fleet.services([{ name: 'fleet-a' }, { name: 'fleet-b' }]);
    const created = await fleet.createRun({
      name: unique('gated-run'),
      stages: [
        {
          name: 'all',
          groups: [
            {
              name: 'g',
              services: [
                { project: 'p', name: 'fleet-a' },
                { project: 'p', name: 'fleet-b' },
              ],
            },
          ],
        },
      ],
      upgrade: { alarms: [name], onAlarm: 'fail', progressDeadlineSeconds: 3600 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.upgrade).toMatchObject({ alarms: [name], onAlarm: 'fail', progressDeadlineSeconds: 3600 });
    expect((await fleet.act(created.body.runId, 'start')).status).toBe(200);
    const run = await fleet.waitForRun(created.body.runId, (r) => r.status === 'COMPLETED', 'the gated run');
    for (const member of fleet.members(run)) {
      const upgrade = await api.request('GET', `${fleet.base}/upgrades/${member.executionId}`, { token: fleet.viewer });
      expect(upgrade.body).toMatchObject({ alarms: [name], onAlarm: 'fail', progressDeadlineSeconds: 3600, status: 'COMPLETED' });
      expect(upgrade.body.preChecks.map((check: any) => check.name)).toContain('alarms');
    }
  });
});

describe('the CLI', () => {
  it('creates a gated upgrade with --alarms, --on-alarm, --progress-deadline-seconds and --analysis (JSON), and refuses an unknown alarm', async () => {
    const name = await alarm();
    await world.service('cli-gated', 2);
    const cli = (...args: string[]) => sluice(['--endpoint', api.url, '--token', world.operator, '-o', 'json', ...args]);
    const analysis = JSON.stringify({
      url: 'https://metrics.example.com/q',
      intervalSeconds: 60,
      count: 3,
      successCondition: '$.errorRate < 0.01',
    });
    const created = await cli(
      'upgrade',
      'create',
      'cli-gated',
      '--project',
      'p',
      '--to-version',
      '1.1.0',
      '--strategy',
      'CANARY',
      '--alarms',
      name,
      '--on-alarm',
      'pause',
      '--progress-deadline-seconds',
      '900',
      '--analysis',
      analysis,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      alarms: [name],
      onAlarm: 'pause',
      progressDeadlineSeconds: 900,
      analysis: { url: 'https://metrics.example.com/q', count: 3, failureLimit: 0, successCondition: '$.errorRate < 0.01' },
      analysisProgress: { taken: 0, failed: 0, inconclusive: 0 },
    });
    expect((await world.act(JSON.parse(created.stdout).executionId, 'cancel')).status).toBe(200);

    const refused = await cli(
      'upgrade',
      'create',
      'cli-gated',
      '--project',
      'p',
      '--to-version',
      '1.1.0',
      '--alarms',
      `${name},nope-${name}`,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`no such CloudWatch alarm: nope-${name}`);
  });
});
