/**
 * `npm start` as a user runs it, in its own process: what it says while it starts (on
 * stderr) and the banner it prints once ready (on stdout), which links the API reference,
 * names the tables and says that any credentials reach them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_IDEMPOTENCY_TABLE_NAME, LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { freePort } from '../../local/dynamodb-local.js';

const ROOT = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'sluice-start-'));
const children: ChildProcess[] = [];
afterAll(() => {
  // The whole process group: a runtime killed mid-start must not leave its DynamoDB Local behind.
  for (const child of children) if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/** `npm start` (tsx local/main.ts) with `args`, its output collected as it comes. */
function npmStart(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, SLUICE_DEV_KEY_FILE: join(scratch, 'key.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output, exited };
}

describe('npm start', () => {
  it('tells its progress on stderr while it starts, then prints a banner naming the tables and the credentials to use', async () => {
    const port = await freePort();
    const { child, output, exited } = npmStart(['--port', String(port)], { LOG_LEVEL: 'info' });
    const deadline = Date.now() + 60_000;
    while (!output.stdout.includes('Ctrl-C stops everything.')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not start:\n${output.stderr}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    const progress = output.stderr.trimEnd().split('\n');
    expect(progress[0]).toBe('Starting Sluice: DynamoDB Local…');
    expect(progress.slice(1).map((line) => line.replace(/\(\d+\.\d s\)$/, '(…)'))).toEqual([
      '  DynamoDB Local ready (…)',
      '  tables ready (…)',
      '  Step Functions engine ready (…)',
      '  scheduler ready (…)',
      '  CloudWatch alarms ready (…)',
      '  table stream reader ready (…)',
    ]);

    const banner = output.stdout;
    expect(banner.startsWith(`Sluice is running at http://127.0.0.1:${port}`)).toBe(true);
    expect(banner.split('\n')[1]).toBe(
      `  console:       http://127.0.0.1:${port}/console/   (sign in with a token from \`npm run --silent token -- --tenant acme --roles viewer,operator,approver\`)`,
    );
    expect(banner.split('\n')[2]).toBe(
      `  API reference: http://127.0.0.1:${port}/docs   (the OpenAPI document: http://127.0.0.1:${port}/openapi.json)`,
    );
    // The link answers with the console's page (built by npm install's prepare, as on a fresh clone).
    const page = await fetch(`http://127.0.0.1:${port}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"></div>');
    const dynamodb = /dynamodb: +(http:\/\/127\.0\.0\.1:\d+) +tables (\S+) \(the data\), (\S+) \(Idempotency-Key records\)/.exec(banner);
    expect(dynamodb?.slice(2)).toEqual([LOCAL_TABLE_NAME, LOCAL_IDEMPOTENCY_TABLE_NAME]);
    expect(banner).toMatch(/\n {2}cloudwatch: +http:\/\/127\.0\.0\.1:\d+ +alarms only/);
    expect(banner).toContain('any credentials and region work');
    expect(banner).toContain(`aws dynamodb list-tables --region us-east-1 --endpoint-url ${dynamodb?.[1]}`);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('says so when DynamoDB Local has to be fetched first, and a failed fetch is one line', async () => {
    // An empty cache and a registry that refuses connections: the fetch begins, and fails at once.
    const closed = await freePort();
    const { output, exited } = npmStart(['--port', '0'], {
      SLUICE_CACHE_DIR: join(scratch, 'cache'),
      npm_config_cache: join(scratch, 'npm-cache'),
      npm_config_registry: `http://127.0.0.1:${closed}/`,
      npm_config_fetch_retries: '0',
    });
    expect(await exited).toBe(1);
    const lines = output.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      'Starting Sluice: DynamoDB Local…',
      "  DynamoDB Local's jar is not cached yet: fetching amplify-dynamodb-simulator@2.9.30 from the npm registry (once, a few seconds)…",
      expect.stringMatching(/^sluice: Could not fetch DynamoDB Local \(amplify-dynamodb-simulator@2\.9\.30\) from the npm registry: /),
    ]);
    expect(output.stdout).toBe('');
  });
});
