import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { generateDevKey, signDevToken } from '../local/dev-auth.js';
import { LOCAL_ACCOUNT, LOCAL_FUNCTIONS, LOCAL_REGION } from '../local/lambdas.js';
import { startRuntime } from '../local/runtime.js';

export interface BigBatchFigures {
  readonly instances: number;
  readonly latencyMs: number;
  readonly runs: readonly {
    timeoutSeconds: number;
    wallSeconds: number;
    invocations: number;
    longestInvocationSeconds: number;
    batchEvents: number;
  }[];
}

const CERT = new URL('../test/scale/fixtures/loopback-cert.pem', import.meta.url).pathname;
const KEY = new URL('../test/scale/fixtures/loopback-key.pem', import.meta.url).pathname;

/**
 * A RECREATE of `instances` instances behind an HTTPS webhook that answers every call after
 * `latencyMs`: once with the task function's deployed timeout (300 s: the whole batch
 * starts in one invocation, as before) and once with a 10 s timeout (it spans several).
 * Wall time, startBatch invocations and the batch child's history events of each.
 */
export async function runBigBatchBench({ instances = 2000, latencyMs = 200, concurrency = 50 } = {}): Promise<BigBatchFigures> {
  process.env.SLUICE_WEBHOOK_CA_FILE = CERT;
  const receiver = createServer({ key: readFileSync(KEY, 'utf8'), cert: readFileSync(CERT, 'utf8') }, (req, res) => {
    req.resume().on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), latencyMs));
  });
  receiver.keepAliveTimeout = 60_000;
  await new Promise<void>((ready) => receiver.listen(0, '127.0.0.1', ready));
  const url = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const devKey = await generateDevKey();
  const runtime = await startRuntime({ port: 0, devKey, logLevel: 'silent', timeScale: 1000 });
  const tasks = LOCAL_FUNCTIONS['sluice-upgrade-tasks'];
  if (!tasks) throw new Error('no task function');
  const durations: number[] = [];
  LOCAL_FUNCTIONS['sluice-upgrade-tasks'] = async (event, context) => {
    const began = Date.now();
    try {
      return await tasks(event, context);
    } finally {
      if ((event as { task?: string }).task === 'startBatch') durations.push(Date.now() - began);
    }
  };
  const sfn = new SFNClient({
    endpoint: runtime.endpoints.stepfunctions,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const admin = await signDevToken(devKey, { roles: ['platform-admin'], user: 'bench' });
    const operator = await signDevToken(devKey, { tenant: 'bench', roles: ['operator', 'viewer'], user: 'bench' });
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await response.json()) as any;
    };
    const component = await call('POST', '/v1/components', admin, { name: 'big-batch-bench' });
    await call('POST', `/v1/components/${component.componentId}/versions`, admin, { version: '1.0.0' });
    await call('POST', `/v1/components/${component.componentId}/versions`, admin, { version: '1.1.0' });
    const runs: BigBatchFigures['runs'][number][] = [];
    for (const timeoutSeconds of [300, 10]) {
      process.env.SLUICE_TASK_TIMEOUT_SECONDS = String(timeoutSeconds);
      durations.length = 0;
      const name = `fleet-${timeoutSeconds}`;
      await call('POST', '/v1/tenants/bench/projects/p/services', operator, {
        name,
        componentId: component.componentId,
        version: '1.0.0',
        instances: Array.from({ length: instances }, (_, index) => ({ id: `n-${index}` })),
        target: { type: 'webhook', url, secret: 'a-secret-of-sixteen-chars' },
      });
      const upgrade = await call('POST', '/v1/tenants/bench/upgrades', operator, {
        project: 'p',
        service: name,
        toVersion: '1.1.0',
        strategy: 'RECREATE',
        maxConcurrentActions: concurrency,
        healthCheckIntervalSeconds: 1,
      });
      const since = new Date();
      const began = Date.now();
      await call('POST', `/v1/tenants/bench/upgrades/${upgrade.executionId}/start`, operator);
      for (;;) {
        const execution = await call('GET', `/v1/tenants/bench/upgrades/${upgrade.executionId}`, operator);
        if (['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(execution.status)) {
          if (execution.status !== 'COMPLETED') throw new Error(`the bench upgrade ended ${execution.status}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const wallSeconds = (Date.now() - began) / 1000;
      const batchArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:sluice-batch`;
      const children = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: batchArn, maxResults: 1000 }))).executions ?? [];
      let batchEvents = 0;
      for (const child of children.filter((execution) => (execution.startDate ?? new Date(0)) >= since)) {
        batchEvents +=
          (await sfn.send(new GetExecutionHistoryCommand({ executionArn: child.executionArn, maxResults: 1000 }))).events?.length ?? 0;
      }
      runs.push({
        timeoutSeconds,
        wallSeconds,
        invocations: durations.length,
        longestInvocationSeconds: Math.max(...durations) / 1000,
        batchEvents,
      });
    }
    return { instances, latencyMs, runs };
  } finally {
    LOCAL_FUNCTIONS['sluice-upgrade-tasks'] = tasks;
    sfn.destroy();
    await runtime.stop();
    await new Promise((closed) => receiver.close(closed));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await runBigBatchBench(), null, 2));
