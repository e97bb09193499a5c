import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadOrCreateDevKey, signDevToken } from '../local/dev-auth.js';
import { freePort } from '../local/dynamodb-local.js';
import { waitForHealth } from './api-bench.js';
import { percentile } from './stats.js';

export interface FeedBenchFigures {
  readonly rounds: number;
  /** From the event's own time (taken just before its transaction) to the long poll's answer, on the same clock. */
  readonly wakeP50Ms: number;
  readonly wakeP99Ms: number;
  readonly wakeMaxMs: number;
  /** One read of the feed without a wait, measured in the same run: the floor of any answer. */
  readonly readP50Ms: number;
  readonly pollMs: number;
}

const ROOT = join(import.meta.dirname, '..');

/**
 * How fast a long poll of the tenant feed answers a new event (DESIGN: within 100 ms),
 * through the whole local stack as `npm start` runs it: in each round a client holds
 * `GET …/events?after=<cursor>&waitSeconds=10` and, 20–120 ms later, another creates or
 * cancels an upgrade (one event each). The wake-up is the answer's arrival minus the
 * event's `at`, both on this machine's clock.
 */
export async function runFeedBench({ rounds = 40 } = {}): Promise<FeedBenchFigures> {
  const port = await freePort();
  const pollMs = 25;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local/main.ts'), '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'error', SLUICE_FEED_POLL_MS: String(pollMs) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base);
    const key = await loadOrCreateDevKey();
    const admin = await signDevToken(key, { roles: ['platform-admin'], user: 'bench' });
    const operator = await signDevToken(key, { tenant: 'feed-bench', roles: ['operator', 'viewer'], user: 'bench' });
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, any>;
    };
    const component = await call('POST', '/v1/components', admin, { name: `feed-bench-${Date.now()}` });
    for (const version of ['1.0.0', '1.1.0']) await call('POST', `/v1/components/${component.componentId}/versions`, admin, { version });
    await call('POST', '/v1/tenants/feed-bench/projects/p/services', operator, {
      name: 'svc',
      componentId: component.componentId,
      version: '1.0.0',
      instances: [{ id: 'i-0' }],
    });
    const feed = '/v1/tenants/feed-bench/events';
    let cursor = (await call('GET', feed, operator)).cursor as string;
    const reads: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const before = performance.now();
      cursor = (await call('GET', `${feed}?after=${cursor}`, operator)).cursor;
      reads.push(performance.now() - before);
    }
    const wakes: number[] = [];
    let executionId: string | undefined;
    for (let round = 0; round < rounds; round += 1) {
      const polled = call('GET', `${feed}?after=${cursor}&waitSeconds=10`, operator).then((page) => ({ page, at: Date.now() }));
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 100));
      if (executionId === undefined) {
        executionId = (
          await call('POST', '/v1/tenants/feed-bench/upgrades', operator, { project: 'p', service: 'svc', toVersion: '1.1.0' })
        ).executionId as string;
      } else {
        await call('POST', `/v1/tenants/feed-bench/upgrades/${executionId}/cancel`, operator);
        executionId = undefined;
      }
      const { page, at } = await polled;
      const event = page.items[0];
      if (!event) throw new Error('the long poll answered without the event');
      wakes.push(at - Date.parse(event.at));
      cursor = page.cursor;
    }
    wakes.sort((a, b) => a - b);
    reads.sort((a, b) => a - b);
    const round = (value: number) => Math.round(value * 10) / 10;
    return {
      rounds,
      wakeP50Ms: round(percentile(wakes, 50)),
      wakeP99Ms: round(percentile(wakes, 99)),
      wakeMaxMs: round(wakes[wakes.length - 1] ?? Number.NaN),
      readP50Ms: round(percentile(reads, 50)),
      pollMs,
    };
  } finally {
    child.kill('SIGINT');
    await new Promise((done) => child.once('exit', done));
  }
}
