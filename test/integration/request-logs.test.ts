/**
 * The functions' log lines as the local runtime writes them (docs/architecture.md#logs-and-metrics):
 * every line of one API request or task invocation carries its keys, appended once by the
 * function, while other requests and the flows' tasks run in the same process; none
 * carries another invocation's keys or a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { captureLogStream, type LogStream } from '../support/log-stream.js';
import { recordTaskCalls } from '../support/tasks.js';
import { TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

const tasks = recordTaskCalls();

let stream: LogStream;
let api: TestApi;
let world: UpgradeWorld;
/** The local gateway's own lines: its `request` line is the local twin of API Gateway's access log. */
const gateway: Record<string, any>[] = [];
beforeAll(async () => {
  stream = captureLogStream();
  api = await startTestApi({
    logLevel: 'debug',
    logger: createLogger('debug', (line) => gateway.push(JSON.parse(line) as Record<string, any>)),
  });
  world = await upgradeWorld(api);
});
afterAll(async () => {
  await api?.stop();
  stream.stop();
});

/** The lines a function wrote in one invocation: Powertools puts Lambda's request id on each. */
const invocationLines = (awsRequestId: string) => stream.records().filter((line) => line.function_request_id === awsRequestId);

describe('an API request', () => {
  it('writes lines that all carry its requestId (the gateway’s, as in its access line), tenantId, sub and route', async () => {
    const response = await api.request('GET', `${world.base}/upgrades`, { token: world.viewer });
    expect(response.status).toBe(200);
    // The gateway sends the event's requestContext.requestId back as x-request-id (and locally the Lambda context has the same id).
    const requestId = response.headers.get('x-request-id') ?? '';
    expect(requestId).not.toBe('');
    const lines = invocationLines(requestId);
    expect(lines.map((line) => line.message)).toContain('request');
    for (const line of lines) {
      expect(line).toMatchObject({
        requestId,
        tenantId: world.tenant,
        sub: 'vic',
        route: 'listUpgrades',
        function_name: 'sluice-upgrades',
      });
    }
    // The gateway writes its line once the answer is sent.
    const access = await waitFor(() => gateway.find((line) => line.message === 'request' && line.requestId === requestId), {
      message: 'the gateway’s request line',
    });
    expect(access).toMatchObject({ method: 'GET', status: 200 });
  });

  it('keeps its keys to itself: the next request’s lines carry only their own', async () => {
    const first = await api.request('GET', `${world.base}/upgrades`, { token: world.operator });
    const second = await api.request('GET', '/health');
    expect([first.status, second.status]).toEqual([200, 200]);
    const lines = invocationLines(second.headers.get('x-request-id') ?? '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ requestId: second.headers.get('x-request-id'), route: 'getHealth', function_name: 'sluice-system' });
      expect(line).not.toHaveProperty('tenantId');
      expect(line).not.toHaveProperty('sub');
    }
  });
});

describe('a task invocation', () => {
  it('writes lines that carry its task and executionId, never a task token or a webhook secret', async () => {
    const secret = `whsec-${unique('s')}-do-not-log`;
    const created = await api.request('POST', `${world.base}/projects/p/services`, {
      token: world.operator,
      body: {
        name: unique('hooked'),
        componentId: world.componentId,
        version: '1.0.0',
        instances: [{ id: 'i-0' }],
        target: { type: 'webhook', url: 'https://deploy.example.com/sluice', secret },
      },
    });
    expect(created.status).toBe(201);

    // A STAGED upgrade: its flow hands the upgrade tasks a task token at the gate.
    await world.service('staged-logs', 2);
    const upgrade = await world.create({
      service: 'staged-logs',
      toVersion: '1.1.0',
      strategy: 'STAGED',
      stages: [{ name: 'a', percentage: 50 }, { name: 'b' }],
      allowSelfApproval: true,
    });
    expect(upgrade.status).toBe(201);
    const executionId = upgrade.body.executionId as string;
    expect((await world.act(executionId, 'start')).status).toBe(200);
    const [openGate] = (await tasks.until(executionId, (calls) => calls.some((call) => call.task === 'openGate' && call.settled))).filter(
      (call) => call.task === 'openGate',
    );
    const token = String(openGate?.payload.taskToken);
    expect(token.length).toBeGreaterThan(10);
    const approver = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'olga' });
    expect((await api.request('POST', `${world.base}/upgrades/${executionId}/approve`, { token: approver, body: {} })).status).toBe(200);
    expect((await world.waitFor(executionId, (execution) => TERMINAL.includes(execution.status))).status).toBe('COMPLETED');
    // Each task writes its last line as it returns.
    await tasks.settled(executionId);

    const taskLines = stream.records().filter((line) => line.function_name === 'sluice-upgrade-tasks' && line.executionId === executionId);
    expect(taskLines.map((line) => line.task)).toEqual(
      expect.arrayContaining(['preChecks', 'startBatch', 'openGate', 'gatePassed', 'complete']),
    );
    // Every line of each of those invocations carries the same task and execution.
    for (const id of new Set(taskLines.map((line) => line.function_request_id as string))) {
      const lines = invocationLines(id);
      const [task] = new Set(lines.map((line) => line.task));
      for (const line of lines) expect(line).toMatchObject({ task, executionId, tenantId: world.tenant });
    }
    expect(stream.text()).not.toContain(token);
    expect(stream.text()).not.toContain(secret);
    expect(JSON.stringify(gateway)).not.toContain(secret);
  });
});
