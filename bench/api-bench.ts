import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_TABLE_NAME } from '../functions/domain/table-schema.js';
import { loadOrCreateDevKey, signDevToken } from '../local/dev-auth.js';
import { freePort } from '../local/dynamodb-local.js';
import { figuresOf, type LoadFigures, measure, sample } from './stats.js';

export interface ApiBenchFigures {
  readonly api: readonly LoadFigures[];
  readonly rawDynamoDb: readonly LoadFigures[];
  /** Our p99 over raw DynamoDB Local's p99 at the highest concurrency. */
  readonly p99Ratio: number;
}

const ROOT = join(import.meta.dirname, '..');

/**
 * GET of one service through the whole local stack (HTTP, gateway event, JWT check,
 * handler, DynamoDB Local) against raw `GetItem` on the same DynamoDB Local through the
 * SDK, at 1 and 32 concurrent clients, in `rounds` interleaved rounds per concurrency. The
 * runtime runs in its own process, as with `npm start`, so the load generator does not
 * steal its event loop.
 */
export async function runApiBench({ requests = 4000, concurrencies = [1, 32], rounds = 8 } = {}): Promise<ApiBenchFigures> {
  const port = await freePort();
  // SLUICE_BENCH_NODE_ARGS: extra Node flags for the runtime, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under this load.
  const nodeArgs = (process.env.SLUICE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'local/main.ts'), '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    const health = await waitForHealth(base);
    const key = await loadOrCreateDevKey();
    const admin = await signDevToken(key, { roles: ['platform-admin'], user: 'bench' });
    const operator = await signDevToken(key, { tenant: 'bench', roles: ['operator'], user: 'bench' });
    const post = async (path: string, token: string, body: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, string>;
    };
    const component = await post('/v1/components', admin, { name: `bench-${Date.now()}` });
    await post(`/v1/components/${component.componentId}/versions`, admin, { version: '1.0.0' });
    const instances = Array.from({ length: 20 }, (_, index) => ({ id: `i-${index}` }));
    await post('/v1/tenants/bench/projects/bench/services', operator, {
      name: 'svc',
      componentId: component.componentId,
      version: '1.0.0',
      instances,
    });

    // Plain node:http with keep-alive: the lightest client, so the load generator
    // takes as little CPU as possible from the server on a two-core machine.
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const getService = () =>
      new Promise<void>((done, fail) => {
        const call = request(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/tenants/bench/projects/bench/services/svc',
            agent,
            headers: { authorization: `Bearer ${operator}` },
          },
          (response) => {
            response.resume();
            response.on('end', () =>
              response.statusCode === 200 ? done() : fail(new Error(`GET service answered ${response.statusCode}`)),
            );
          },
        );
        call.on('error', fail);
        call.end();
      });
    const ddb = new DynamoDBClient({
      endpoint: health.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const getItem = async () => {
      const { Item } = await ddb.send(
        new GetItemCommand({
          TableName: LOCAL_TABLE_NAME,
          Key: { pk: { S: 'TENANT#bench' }, sk: { S: 'SERVICE#bench#svc' } },
          ConsistentRead: true,
        }),
      );
      if (!Item) throw new Error('raw GetItem found nothing');
    };

    // Warm both paths (JIT, connection pools, DynamoDB Local's own warm-up).
    await measure(8, 500, getService);
    await measure(8, 500, getItem);
    const api: LoadFigures[] = [];
    const rawDynamoDb: LoadFigures[] = [];
    for (const concurrency of concurrencies) {
      const count = concurrency === 1 ? Math.min(1000, requests) : requests;
      // Interleaved rounds, alternating which path goes first, pooled per path: whatever
      // else the machine does meanwhile hits both paths alike.
      const pooled = { raw: { latencies: [] as number[], seconds: 0 }, api: { latencies: [] as number[], seconds: 0 } };
      const perRound = Math.ceil(count / rounds);
      for (let round = 0; round < rounds; round += 1) {
        const order = round % 2 === 0 ? (['raw', 'api'] as const) : (['api', 'raw'] as const);
        for (const path of order) {
          const taken = await sample(concurrency, perRound, path === 'raw' ? getItem : getService);
          pooled[path].latencies.push(...taken.latencies);
          pooled[path].seconds += taken.seconds;
        }
      }
      rawDynamoDb.push(figuresOf(concurrency, pooled.raw.latencies, pooled.raw.seconds));
      api.push(figuresOf(concurrency, pooled.api.latencies, pooled.api.seconds));
    }
    ddb.destroy();
    agent.destroy();
    const top = (figures: LoadFigures[]) => figures[figures.length - 1]?.p99Ms ?? Number.NaN;
    return { api, rawDynamoDb, p99Ratio: Math.round((top(api) / top(rawDynamoDb)) * 100) / 100 };
  } finally {
    child.kill('SIGINT');
    await new Promise((done) => child.once('exit', done));
  }
}

export async function waitForHealth(base: string): Promise<{ endpoints: { dynamodb: string } }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok) return (await response.json()) as { endpoints: { dynamodb: string } };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the runtime did not become healthy within 60 s');
    await new Promise((done) => setTimeout(done, 200));
  }
}
