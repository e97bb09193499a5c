import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_FUNCTIONS } from '../../local/lambdas.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

/**
 * A RECREATE of 300 instances behind a webhook that answers every call after 1 s, with
 * the task function's timeout at 10 s: one invocation cannot start the whole batch, so
 * the batch flow calls startBatch again until every instance has started.
 */
const TIMEOUT_SECONDS = 10;
const CERT = new URL('fixtures/loopback-cert.pem', import.meta.url).pathname;
const KEY = new URL('fixtures/loopback-key.pem', import.meta.url).pathname;
const INSTANCES = 300;
let api: TestApi;
let world: UpgradeWorld;
let server: Server;
let url: string;
const previousTimeout = process.env.SLUICE_TASK_TIMEOUT_SECONDS;
/** Every delivery the receiver got: instance, action, the task's attempt, the adapter's delivery. */
let deliveries: { instanceId: string; action: string; attempt: number; deliveryAttempt: number }[] = [];
/** First deliveries of these `instanceId:action` pairs answer 503 (a transient failure). */
const flaky = new Set<string>();
/** First deliveries of these `instanceId:action` pairs answer only after 12 s: past the timeout. */
const stuck = new Set<string>();
const TASKS = 'sluice-upgrade-tasks';
const original = LOCAL_FUNCTIONS[TASKS];
/** startBatch invocations of the execution under test, with how long each took. */
let invocations: number[] = [];
let watched: string | undefined;

beforeAll(async () => {
  process.env.SLUICE_TASK_TIMEOUT_SECONDS = String(TIMEOUT_SECONDS);
  // The receiver's certificate (for 127.0.0.1, made for this test) is what the task trusts.
  process.env.SLUICE_WEBHOOK_CA_FILE = CERT;
  api = await startTestApi();
  world = await upgradeWorld(api);
  server = createServer({ key: readFileSync(KEY, 'utf8'), cert: readFileSync(CERT, 'utf8') }, (req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text) as { instanceId: string; action: string; attempt: number; deliveryAttempt: number };
      deliveries.push({ instanceId: body.instanceId, action: body.action, attempt: body.attempt, deliveryAttempt: body.deliveryAttempt });
      const key = `${body.instanceId}:${body.action}`;
      const fail = flaky.delete(key);
      const slow = stuck.delete(key);
      setTimeout(() => res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' }).end('{}'), slow ? 12_000 : 1000);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  LOCAL_FUNCTIONS[TASKS] = async (event, context) => {
    const payload = (event ?? {}) as Record<string, unknown>;
    if (payload.task !== 'startBatch' || payload.executionId !== watched) return (original as NonNullable<typeof original>)(event, context);
    const began = Date.now();
    try {
      return await (original as NonNullable<typeof original>)(event, context);
    } finally {
      invocations.push(Date.now() - began);
    }
  };
});
afterEach(() => {
  deliveries = [];
  invocations = [];
  flaky.clear();
  stuck.clear();
});
afterAll(async () => {
  if (original) LOCAL_FUNCTIONS[TASKS] = original;
  if (previousTimeout === undefined) delete process.env.SLUICE_TASK_TIMEOUT_SECONDS;
  else process.env.SLUICE_TASK_TIMEOUT_SECONDS = previousTimeout;
  await new Promise((closed) => server.close(closed));
  await api.stop();
});

async function recreate(name: string, count = INSTANCES): Promise<any> {
  const instances = Array.from({ length: count }, (_, index) => ({ id: `n-${index}` }));
  const created = await api.request('POST', `${world.base}/projects/p/services`, {
    token: world.operator,
    body: {
      name,
      componentId: world.componentId,
      version: '1.0.0',
      instances,
      target: { type: 'webhook', url, secret: 'a-secret-of-sixteen-chars' },
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const upgrade = await world.create({
    service: name,
    toVersion: '1.1.0',
    strategy: 'RECREATE',
    maxConcurrentActions: 50,
    healthCheckIntervalSeconds: 1,
  });
  expect(upgrade.status, JSON.stringify(upgrade.body)).toBe(201);
  watched = upgrade.body.executionId;
  expect((await world.act(upgrade.body.executionId, 'start')).status).toBe(200);
  return world.waitFor(upgrade.body.executionId, (execution) => TERMINAL.includes(execution.status), 180_000);
}

describe('a batch larger than one invocation can start', () => {
  it(`upgrades ${INSTANCES} instances over several bounded invocations, each action delivered once`, async () => {
    const finished = await recreate('big');
    expect(finished).toMatchObject({
      status: 'COMPLETED',
      totalBatches: 1,
      progress: { total: INSTANCES, completed: INSTANCES, failed: 0 },
    });
    expect(invocations.length).toBeGreaterThanOrEqual(2);
    for (const ms of invocations) expect(ms).toBeLessThan(TIMEOUT_SECONDS * 1000);
    for (const action of ['drain', 'upgrade']) {
      const of = deliveries.filter((delivery) => delivery.action === action);
      expect(of, action).toHaveLength(INSTANCES);
      expect(new Set(of.map((delivery) => delivery.instanceId)).size, action).toBe(INSTANCES);
    }
    const started = (await world.events(finished.executionId)).filter((event) => event.type === 'BatchStarted');
    expect(started).toHaveLength(1);
  }, 200_000);

  it('with a few transient failures: each retried delivery is a new attempt, none is sent twice', async () => {
    for (const index of [3, 77, 150, 299]) flaky.add(`n-${index}:upgrade`);
    const finished = await recreate('big-flaky');
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completed: INSTANCES, failed: 0 } });
    for (const ms of invocations) expect(ms).toBeLessThan(TIMEOUT_SECONDS * 1000);
    const keys = deliveries.map((delivery) => `${delivery.instanceId}:${delivery.action}:${delivery.attempt}:${delivery.deliveryAttempt}`);
    expect(new Set(keys).size).toBe(keys.length);
    const upgrades = deliveries.filter((delivery) => delivery.action === 'upgrade');
    expect(upgrades).toHaveLength(INSTANCES + 4);
  }, 200_000);

  it('an invocation killed by the timeout mid-batch is resumed by the next one, which repeats no finished instance', async () => {
    // Three upgrades hang past the 10 s timeout on their first delivery: the invocation
    // running them is failed with Sandbox.Timedout and the batch flow retries startBatch.
    for (const index of [0, 1, 2]) stuck.add(`n-${index}:upgrade`);
    const finished = await recreate('killed', 60);
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { total: 60, completed: 60, failed: 0 } });
    expect(invocations.length).toBeGreaterThanOrEqual(2);
    // The batch child's history shows the kill: a startBatch that failed at its timeout and
    // was retried. middy ends the invocation a few ms before Lambda would (TimeoutError);
    // the local runtime's own Sandbox.Timedout is the backstop.
    const sfn = new SFNClient({
      endpoint: api.runtime.endpoints.stepfunctions,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const batchArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:sluice-batch';
    const children = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: batchArn, maxResults: 1000 }))).executions ?? [];
    let timedOut = 0;
    for (const child of children) {
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: child.executionArn, maxResults: 1000 }));
      if (!JSON.stringify(history.events).includes(finished.executionId)) continue;
      timedOut += (history.events ?? []).filter(
        (event) => event.type === 'TaskFailed' && ['TimeoutError', 'Sandbox.Timedout'].includes(event.taskFailedEventDetails?.error ?? ''),
      ).length;
    }
    sfn.destroy();
    expect(timedOut).toBeGreaterThanOrEqual(1);
    const upgradesOf = (id: string) => deliveries.filter((delivery) => delivery.action === 'upgrade' && delivery.instanceId === id);
    // The hung ones were sent again by the next invocation; every finished one exactly once.
    for (const index of [0, 1, 2]) expect(upgradesOf(`n-${index}`).length, `n-${index}`).toBeGreaterThanOrEqual(2);
    for (let index = 3; index < 60; index += 1) expect(upgradesOf(`n-${index}`), `n-${index}`).toHaveLength(1);
    for (let index = 0; index < 60; index += 1)
      expect(
        deliveries.filter((d) => d.action === 'drain' && d.instanceId === `n-${index}`),
        `drain n-${index}`,
      ).toHaveLength(1);
  }, 200_000);
});
