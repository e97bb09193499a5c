import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, inject } from 'vitest';
import { loadOrCreateDevKey } from '../../local/dev-auth.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/**
 * A runtime at real time (as `npm start` runs by default) on the run's DynamoDB Local, with a
 * dev key of its own, for running a README block as written.
 */
export async function readmeRuntime(tableName: string): Promise<{ runtime: Runtime; keyFile: string; stop(): Promise<void> }> {
  const keyDir = mkdtempSync(join(tmpdir(), 'sluice-key-'));
  const keyFile = join(keyDir, 'key.json');
  const devKey = await loadOrCreateDevKey(keyFile);
  const runtime = await startRuntime({ port: 0, dynamodbEndpoint: inject('dynamodbEndpoint'), devKey, logLevel: 'silent', tableName });
  return {
    runtime,
    keyFile,
    async stop() {
      await runtime.stop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the README's bash block between `<!-- {marker}:start -->` and `<!-- {marker}:end -->` against `runtime`
 * (`env` adds to the environment, or with `undefined` removes a variable).
 */
export async function runReadmeBlock(
  marker: string,
  target: { runtime: Runtime; keyFile: string },
  timeout = 60_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = new RegExp(`<!-- ${marker}:start -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${marker}:end -->`).exec(readme)?.[1];
  expect(block, `the README has a ${marker} block`).toBeDefined();
  return run('bash', ['-euo', 'pipefail', '-c', block ?? ''], {
    cwd: ROOT,
    env: { ...process.env, BASE: target.runtime.url, SLUICE_DEV_KEY_FILE: target.keyFile, ...env },
    timeout,
  });
}
