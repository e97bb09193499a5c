import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKey, loadOrCreateDevKey, signDevToken } from '../../local/dev-auth.js';
import { freePort } from '../../local/dynamodb-local.js';
import { apiCaller, startRuntimeProcess } from '../support/runtime-process.js';

let dir: string;
let key: DevKey;
let keyFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  keyFile = join(dir, 'key.json');
  key = await loadOrCreateDevKey(keyFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(port: number): Promise<ChildProcess> {
  return startRuntimeProcess({ port, persistDir: join(dir, 'data'), env: { SLUICE_TIME_SCALE: '1000', SLUICE_DEV_KEY_FILE: keyFile } });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('a restart while an execution waits at a gate (--persist)', () => {
  it('keeps the execution, its gate and its token: after the restart it can be approved and completes', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const admin = await signDevToken(key, { roles: ['platform-admin'], user: 'root' });
    const operator = await signDevToken(key, { tenant: 'acme', roles: ['operator', 'viewer'], user: 'olga' });
    const approver = await signDevToken(key, { tenant: 'acme', roles: ['approver'], user: 'anna' });
    const call = apiCaller(base);
    const poll = async (id: string, predicate: (execution: any) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { body } = await call('GET', `/v1/tenants/acme/upgrades/${id}`, operator);
        if (predicate(body)) return body;
        if (Date.now() > deadline) throw new Error(`timed out in ${body?.status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    let runtime = await start(port);
    try {
      const component = await call('POST', '/v1/components', admin, { name: 'restart-db' });
      for (const version of ['1.0.0', '1.1.0'])
        await call('POST', `/v1/components/${component.body.componentId}/versions`, admin, { version });
      const instances = Array.from({ length: 4 }, (_, index) => ({ id: `i-${index}` }));
      expect(
        (
          await call('POST', '/v1/tenants/acme/projects/p/services', operator, {
            name: 'db',
            componentId: component.body.componentId,
            version: '1.0.0',
            instances,
          })
        ).status,
      ).toBe(201);
      const created = await call('POST', '/v1/tenants/acme/upgrades', operator, {
        project: 'p',
        service: 'db',
        toVersion: '1.1.0',
        strategy: 'STAGED',
        stages: [{ name: 'first', percentage: 50 }, { name: 'rest' }],
      });
      expect(created.status).toBe(201);
      const id = created.body.executionId as string;
      await call('POST', `/v1/tenants/acme/upgrades/${id}/start`, operator);
      await poll(id, (execution) => execution.waitingFor?.stage === 'first');

      await stop(runtime);
      runtime = await start(port);

      const waiting = await poll(id, (execution) => execution.status === 'IN_PROGRESS');
      expect(waiting.waitingFor).toMatchObject({ gate: 'stage-approval', stage: 'first' });
      expect((await call('POST', `/v1/tenants/acme/upgrades/${id}/approve`, approver, { comment: 'after the restart' })).status).toBe(200);
      const finished = await poll(id, (execution) => ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(execution.status));
      expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completed: 4, failed: 0 } });
    } finally {
      await stop(runtime);
    }
  }, 120_000);
});

describe('a restart in the middle of a fleet update run (--persist)', () => {
  it('loses nothing and does nothing twice: the run resumes, its gate can be approved after a second restart, and it completes', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const admin = await signDevToken(key, { roles: ['platform-admin'], user: 'root' });
    const operator = await signDevToken(key, { tenant: 'fleet-co', roles: ['operator', 'viewer'], user: 'olga' });
    const approver = await signDevToken(key, { tenant: 'fleet-co', roles: ['approver'], user: 'anna' });
    const call = apiCaller(base);
    const members = (run: any) => run.stages.flatMap((stage: any) => stage.groups.flatMap((group: any) => group.members));
    const poll = async (id: string, predicate: (run: any) => boolean) => {
      const deadline = Date.now() + 40_000;
      for (;;) {
        const { body } = await call('GET', `/v1/tenants/fleet-co/update-runs/${id}`, operator);
        if (body?.stages && predicate(body)) return body;
        if (Date.now() > deadline) {
          const upgrades = await call('GET', '/v1/tenants/fleet-co/upgrades?limit=100', operator);
          const states = upgrades.body?.items?.map((u: any) => `${u.service}:${u.status}:${u.completedBatches}/${u.totalBatches}`);
          throw new Error(`timed out in ${body?.status}: ${JSON.stringify(body?.counts)}; upgrades ${JSON.stringify(states)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    let runtime = await start(port);
    try {
      const component = await call('POST', '/v1/components', admin, { name: 'restart-fleet' });
      for (const version of ['1.0.0', '1.1.0'])
        await call('POST', `/v1/components/${component.body.componentId}/versions`, admin, { version });
      const names = ['a', 'b', 'c', 'd'];
      for (const name of names) {
        const created = await call('POST', '/v1/tenants/fleet-co/projects/p/services', operator, {
          name,
          componentId: component.body.componentId,
          version: '1.0.0',
          instances: [{ id: 'i-0' }, { id: 'i-1' }],
          target: { type: 'simulated', upgradeSeconds: 400 },
          defaultUpgrade: { batchDelaySeconds: 1, healthCheckIntervalSeconds: 1 },
        });
        expect(created.status).toBe(201);
      }
      const created = await call('POST', '/v1/tenants/fleet-co/update-runs', operator, {
        name: 'across a restart',
        componentId: component.body.componentId,
        toVersion: '1.1.0',
        stages: [
          {
            name: 'first',
            groups: [{ name: 'g', services: ['a', 'b', 'c'].map((name) => ({ project: 'p', name })), maxConcurrency: 1 }],
            afterGates: [{ type: 'approval', name: 'check' }],
          },
          { name: 'second', groups: [{ name: 'g', services: [{ project: 'p', name: 'd' }] }] },
        ],
      });
      expect(created.status).toBe(201);
      const id = created.body.runId as string;
      expect((await call('POST', `/v1/tenants/fleet-co/update-runs/${id}/start`, operator)).status).toBe(200);
      // Mid-stage: the second member runs.
      await poll(id, (run) => members(run)[1].status === 'RUNNING');

      await stop(runtime);
      runtime = await start(port);

      const atGate = await poll(id, (run) => run.stages[0].afterGates[0].status === 'WAITING');
      expect(members(atGate).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'PENDING']);

      await stop(runtime);
      runtime = await start(port);

      const gateId = atGate.stages[0].afterGates[0].gateId;
      expect((await call('POST', `/v1/tenants/fleet-co/update-runs/${id}/gates/${gateId}/approve`, approver, {})).status).toBe(200);
      const done = await poll(id, (run) => ['COMPLETED', 'FAILED'].includes(run.status));
      expect(done.status).toBe('COMPLETED');
      expect(members(done).map((m: any) => m.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
      // Nothing twice: one upgrade per member, each of this run.
      const upgrades = await call('GET', '/v1/tenants/fleet-co/upgrades?limit=100', operator);
      const ofRun = upgrades.body.items.filter((upgrade: any) => upgrade.updateRunId === id);
      expect(ofRun.map((upgrade: any) => upgrade.service).sort()).toEqual(names);
      expect(ofRun.every((upgrade: any) => upgrade.status === 'COMPLETED')).toBe(true);
      const events = await call('GET', `/v1/tenants/fleet-co/update-runs/${id}/events?limit=100`, operator);
      expect(events.body.items.filter((event: any) => event.type === 'MemberStarted')).toHaveLength(4);
    } finally {
      await stop(runtime);
    }
  }, 180_000);
});
