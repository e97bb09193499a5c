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
  runtime = await startRuntime({
    port: 0,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    devKey,
    logLevel: 'silent',
    tableName: 'sluice-walkthrough',
  });
});
afterAll(async () => {
  await runtime.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('the README walkthrough', () => {
  it('runs as written and shows what the README says it shows', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block ?? ''], {
      cwd: ROOT,
      env: { ...process.env, BASE: runtime.url, SLUICE_DEV_KEY_FILE: join(keyDir, 'key.json') },
      timeout: 60_000,
    });
    const lines = stdout.trim().split('\n');
    const versions = JSON.parse(lines[0] ?? '');
    expect(versions.items.map((item: { version: string }) => item.version)).toEqual(['16.2.0', '16.1.0']);
    expect(versions.nextToken).toBeDefined();
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ allowed: true, blockers: [] });
    const skip = JSON.parse(lines[2] ?? '');
    expect(skip).toMatchObject({ allowed: false, blockers: [{ code: 'MINOR_SKIP' }] });
    expect(skip.blockers[0].reason).toContain('16.1.0');
    expect(JSON.parse(lines[3] ?? '')).toMatchObject({
      name: 'orders-db',
      version: '16.0.0',
      instances: [{ id: 'i-1' }, { id: 'i-2' }, { id: 'i-3' }],
    });
    expect(lines[4]).toBe('stable');
    const problem = JSON.parse(lines[5] ?? '');
    expect(problem).toMatchObject({ status: 422, errors: [{ field: 'body.version' }] });
    expect(lines[6]).toBe('VALIDATING');
    expect(lines[7]).toBe('COMPLETED');
    const timeline = (lines[8] ?? '').split(' ');
    expect(timeline[0]).toBe('UpgradeCreated');
    expect(timeline.filter((type) => type === 'BatchCompleted')).toHaveLength(2);
    expect(timeline.at(-1)).toBe('UpgradeCompleted');
  });
});
