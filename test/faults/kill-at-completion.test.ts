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
  dir = mkdtempSync(join(tmpdir(), 'sluice-kill-'));
  keyFile = join(dir, 'key.json');
  key = await loadOrCreateDevKey(keyFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm start --persist DIR` in a process group of its own. A day passes in 0.86 s. */
async function start(port: number, data: string): Promise<ChildProcess> {
  return startRuntimeProcess({
    port,
    persistDir: data,
    detached: true,
    env: { SLUICE_TIME_SCALE: '100000', SLUICE_DEV_KEY_FILE: keyFile },
  });
}

async function killGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-(child.pid ?? 0), signal);
  await exited;
  // The JVM of DynamoDB Local is in the group too: give it a moment to be gone from its port.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe('a kill (SIGKILL of the process group) the moment an upgrade reads COMPLETED', () => {
  it('loses none of its consequences: after a restart the destination gets its auto-validation (3 tries)', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const tenant = `kill-${attempt}`;
      const admin = await signDevToken(key, { roles: ['platform-admin'], user: 'root' });
      const operator = await signDevToken(key, { tenant, roles: ['operator', 'viewer'], user: 'olga' });
      const call = apiCaller(base);
      const data = join(dir, `data-${attempt}`);
      let runtime = await start(port, data);
      try {
        const component = await call('POST', '/v1/components', admin, { name: `kill-db-${attempt}` });
        for (const version of ['1.0.0', '1.0.1'])
          await call('POST', `/v1/components/${component.body.componentId}/versions`, admin, { version });
        for (const name of ['src', 'dst']) {
          const service = { name, componentId: component.body.componentId, version: '1.0.0', instances: [{ id: 'i-0' }, { id: 'i-1' }] };
          expect((await call('POST', `/v1/tenants/${tenant}/projects/p/services`, operator, service)).status).toBe(201);
        }
        const step = await call('POST', `/v1/tenants/${tenant}/upgrade-pipeline/steps`, operator, {
          sourceProjectName: 'p',
          sourceServiceName: 'src',
          destinationProjectName: 'p',
          destinationServiceName: 'dst',
          autoValidationDelayDays: 1,
        });
        expect(step.status, JSON.stringify(step.body)).toBe(201);
        const created = await call('POST', `/v1/tenants/${tenant}/upgrades`, operator, {
          project: 'p',
          service: 'src',
          toVersion: '1.0.1',
        });
        const id = created.body.executionId as string;
        expect((await call('POST', `/v1/tenants/${tenant}/upgrades/${id}/start`, operator)).status).toBe(200);
        for (const deadline = Date.now() + 30_000; ; ) {
          const { body } = await call('GET', `/v1/tenants/${tenant}/upgrades/${id}`, operator);
          if (body?.status === 'COMPLETED') break;
          if (Date.now() > deadline) throw new Error(`the upgrade did not complete: ${body?.status}`);
        }
        await killGroup(runtime, 'SIGKILL');
        runtime = await start(port, data);

        const source = (await call('GET', `/v1/tenants/${tenant}/projects/p/services/src`, operator)).body;
        expect(source, `try ${attempt}`).toMatchObject({ version: '1.0.1', lastUpgrade: { executionId: id } });
        // The auto-validation a day after the completion fires, and lifts the destination's ceiling.
        for (const deadline = Date.now() + 30_000; ; ) {
          const { body } = await call('GET', `/v1/tenants/${tenant}/upgrade-pipeline/steps/${step.body.stepId}`, operator);
          if (body?.lastValidation?.version === '1.0.1') break;
          if (Date.now() > deadline) {
            const view = (await call('GET', `/v1/tenants/${tenant}/upgrade-pipeline`, operator)).body;
            const health = await (await fetch(`${base}/health`)).json();
            throw new Error(
              `try ${attempt}: the auto-validation never fired (${JSON.stringify(body)} ${JSON.stringify(view)} ${JSON.stringify(health)})`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // Then the destination's ceiling rises to the validated version.
        for (const deadline = Date.now() + 10_000; ; ) {
          const destination = (await call('GET', `/v1/tenants/${tenant}/projects/p/services/dst`, operator)).body;
          if (destination.validatedVersion === '1.0.1') break;
          if (Date.now() > deadline) throw new Error(`try ${attempt}: the destination stays at ${destination.validatedVersion}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await killGroup(runtime, 'SIGTERM');
      }
    }
  }, 240_000);
});
