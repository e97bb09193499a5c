import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrCreateDevKey } from '../../local/dev-auth.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

let runtime: Runtime;
let keyDir: string;
beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'sluice-key-'));
  const devKey = await loadOrCreateDevKey(join(keyDir, 'key.json'));
  // Real time, as `npm start` runs by default.
  runtime = await startRuntime({
    port: 0,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    devKey,
    logLevel: 'silent',
    tableName: 'sluice-fleet-walkthrough',
  });
});
afterAll(async () => {
  await runtime.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

describe("the README's fleet update run example", () => {
  it('runs as written and shows what the README says it shows', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- fleet-walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- fleet-walkthrough:end -->/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const { stdout, stderr } = await run('bash', ['-euo', 'pipefail', '-c', block ?? ''], {
      cwd: ROOT,
      env: { ...process.env, BASE: runtime.url, SLUICE_DEV_KEY_FILE: join(keyDir, 'key.json') },
      timeout: 120_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('nonprod-then-prod');
    expect(lines[1]).toMatch(
      /^nonprod: dev-cache from \d\d:\d\d:\d\d, test-cache from \d\d:\d\d:\d\d \| prod: cart-cache from \d\d:\d\d:\d\d, session-cache from \d\d:\d\d:\d\d$/,
    );
    const [cart, session] = [...(lines[1] ?? '').matchAll(/cache from (\d\d:\d\d:\d\d)/g)].slice(2).map((m) => m[1] ?? '');
    expect((session ?? '') > (cart ?? '')).toBe(true);
    expect(lines[2]).toBe('RUNNING');
    expect(lines[3]).toBe('waiting at gate-1');
    expect(lines[4]).toBe('APPROVED');
    expect(lines[5]).toBe('COMPLETED');
    const timeline = (lines[6] ?? '').split(' ');
    expect(timeline.slice(0, 3)).toEqual(['UpdateRunCreated', 'UpdateRunStarted', 'StageStarted']);
    expect(timeline).toEqual(expect.arrayContaining(['GateWaiting', 'GateApproved', 'StageCompleted']));
    expect(timeline.at(-1)).toBe('UpdateRunCompleted');
    expect(lines[7]).toBe('100% of services, 8/8 instances');
    // The watch printed progress as it went, ending at the waiting gate.
    const progress = stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('nonprod'));
    expect(progress.at(-1)).toBe('nonprod CC, prod PP, prod gate WAITING');
  }, 150_000);
});
