import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_FUNCTIONS } from '../../local/lambdas.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

let api: TestApi;
let world: UpgradeWorld;
let server: Server;
let base: string;
/** Instances whose health URL answers 503; every other one answers 200. */
const sick = new Set<string>();
const asked = new Map<string, number>();
const done = (execution: { status: string }) => TERMINAL.includes(execution.status);
const TASKS = 'sluice-upgrade-tasks';
const original = LOCAL_FUNCTIONS[TASKS];

beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api);
  server = createServer((req, res) => {
    const id = (req.url ?? '/').slice(1);
    asked.set(id, (asked.get(id) ?? 0) + 1);
    res.writeHead(sick.has(id) ? 503 : 200).end();
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  sick.clear();
  asked.clear();
  if (original) LOCAL_FUNCTIONS[TASKS] = original;
});
afterAll(async () => {
  await new Promise((closed) => server.close(closed));
  await api.stop();
});

/** A service whose instances all have a health URL on the local server. */
async function serviceWithUrls(name: string, count: number, prefix: string): Promise<void> {
  const instances = Array.from({ length: count }, (_, index) => ({ id: `i-${index}`, healthUrl: `${base}/${prefix}-i-${index}` }));
  const response = await api.request('POST', `${world.base}/projects/p/services`, {
    token: world.operator,
    body: { name, componentId: world.componentId, version: '1.0.0', instances },
  });
  expect(response.status).toBe(201);
}

/** Turns the given health URLs 503 once the pre-checks passed, just before the first batch. */
function sickenAfterPreChecks(executionId: () => string | undefined, ids: string[]) {
  LOCAL_FUNCTIONS[TASKS] = async (event, context) => {
    const payload = (event ?? {}) as Record<string, unknown>;
    if (payload.task === 'startBatch' && payload.executionId === executionId()) for (const id of ids) sick.add(id);
    return (original as NonNullable<typeof original>)(event, context);
  };
}

describe('health URLs during the rollout', () => {
  it('fails an instance whose health URL answers 503 after its upgrade, though the target calls it healthy', async () => {
    await serviceWithUrls('urls', 4, 'urls');
    let id: string | undefined;
    sickenAfterPreChecks(() => id, ['urls-i-1']);
    const created = await world.create({
      service: 'urls',
      toVersion: '1.1.0',
      batchSize: 4,
      maxUnavailablePercentage: 100,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
    });
    id = created.body.executionId;
    expect((await world.act(created.body.executionId, 'start')).status).toBe(200);
    const finished = await world.waitFor(created.body.executionId, done);
    expect(finished.preChecks.find((check: { name: string }) => check.name === 'health-endpoints')).toMatchObject({ passed: true });
    expect(finished).toMatchObject({ status: 'FAILED', progress: { completed: 3, failed: 1 } });
    const instances = await world.instances(created.body.executionId);
    const bad = instances.find((instance) => instance.instanceId === 'i-1');
    expect(bad.status).toBe('FAILED');
    expect(bad.detail).toContain('health URL answered HTTP 503');
    expect(asked.get('urls-i-1')).toBeGreaterThan(1);
    for (const other of ['urls-i-0', 'urls-i-2', 'urls-i-3']) expect(asked.get(other), other).toBeGreaterThanOrEqual(2);
  });

  it('does not complete an upgrade whose every health URL answers 503', async () => {
    await serviceWithUrls('all-sick', 3, 'all');
    let id: string | undefined;
    sickenAfterPreChecks(() => id, ['all-i-0', 'all-i-1', 'all-i-2']);
    const created = await world.create({
      service: 'all-sick',
      toVersion: '1.1.0',
      batchSize: 3,
      maxUnavailablePercentage: 100,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
    });
    id = created.body.executionId;
    expect((await world.act(created.body.executionId, 'start')).status).toBe(200);
    const finished = await world.waitFor(created.body.executionId, done);
    expect(finished.status).toBe('FAILED');
    expect(finished.progress.completed).toBe(0);
  });

  it('rolls back a canary whose health URL turns 503 while it is monitored', async () => {
    await serviceWithUrls('canary-url', 10, 'canary');
    const created = await world.create({
      service: 'canary-url',
      toVersion: '1.1.0',
      strategy: 'CANARY',
      canaryPercentage: 10,
      autoRollbackEnabled: true,
      healthCheckIntervalSeconds: 1,
    });
    expect((await world.act(created.body.executionId, 'start')).status).toBe(200);
    await world.waitFor(created.body.executionId, (execution) => execution.status === 'CANARY_MONITORING');
    sick.add('canary-i-0');
    const finished = await world.waitFor(created.body.executionId, done);
    expect(finished).toMatchObject({
      status: 'ROLLED_BACK',
      rollbackInfo: { currentFailures: 1, rollbackReason: 'canary i-0 unhealthy while monitoring' },
    });
  });
});
