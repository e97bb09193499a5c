import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKey, loadOrCreateDevKey, signDevToken } from '../../local/dev-auth.js';
import { freePort } from '../../local/dynamodb-local.js';
import { startRuntimeProcess } from '../support/runtime-process.js';

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
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
    };
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
