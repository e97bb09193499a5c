/**
 * `npm start` and `npm run token` as a user types them, each in its own process: `--help`
 * prints the usage and exits 0; a mistake is one line on stderr (no stack trace) and exit
 * code 2. None of these starts the runtime: every mistake is caught before anything starts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const keyDir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

/** Runs `local/<script>` as `npm start` / `npm run token` do (tsx), with `env` over a clean environment. */
function command(script: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'local', script), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', SLUICE_DEV_KEY_FILE: join(keyDir, 'key.json'), ...env },
        timeout: 20_000,
      },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const expectMistake = (result: { code: number | null; stdout: string; stderr: string }, message: string) => {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`sluice: ${message} (see --help)\n`);
};

describe('npm start (local/main.ts)', () => {
  it('--help prints every option with its environment variable and default, and an example', async () => {
    const result = await command('main.ts', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const text of [
      '--port N',
      'env PORT, default 3000',
      '--host',
      'env HOST, default 127.0.0.1',
      '--persist DIR',
      'env SLUICE_DATA_DIR',
    ]) {
      expect(result.stdout).toContain(text);
    }
    expect(result.stdout).toMatch(/Example:\n {2}npm start -- --port \d+/);
  });

  it('refuses an unknown option, a missing value and a bad port in one line, exit code 2', async () => {
    const [unknown, missing, bad, badEnv, tooBig] = await Promise.all([
      command('main.ts', ['--foo']),
      command('main.ts', ['--port']),
      command('main.ts', ['--port', 'abc']),
      command('main.ts', [], { PORT: 'abc' }),
      command('main.ts', ['--port=70000']),
    ]);
    expectMistake(unknown, 'unknown option --foo');
    expectMistake(missing, 'option --port needs a value');
    expectMistake(bad, '--port must be a whole number from 0 to 65535, not "abc"');
    expectMistake(badEnv, 'PORT must be a whole number from 0 to 65535, not "abc"');
    expectMistake(tooBig, '--port must be a whole number from 0 to 65535, not "70000"');
  });

  it('refuses a LOG_LEVEL the handlers could not read', async () => {
    expectMistake(
      await command('main.ts', [], { LOG_LEVEL: 'verbose' }),
      'LOG_LEVEL must be one of debug, info, warn, error, silent, not "verbose"',
    );
  });
});

describe('npm run token (local/token-cli.ts)', () => {
  it('--help prints every option with its default, --ttl-seconds included, and an example', async () => {
    const result = await command('token-cli.ts', ['--help']);
    expect(result.code).toBe(0);
    for (const text of [
      '--tenant T',
      '--roles',
      'default viewer',
      '--user NAME',
      'default dev',
      '--ttl-seconds N',
      'default 43200',
      '--scopes',
    ]) {
      expect(result.stdout).toContain(text);
    }
    expect(result.stdout).toMatch(/Example:\n {2}TOKEN=\$\(npm run --silent token -- --tenant/);
  });

  it('refuses an unknown option, a missing value and a bad --ttl-seconds in one line, exit code 2', async () => {
    const tenant = ['--tenant', 'acme'];
    const [unknown, missing, notNumber, zero, role] = await Promise.all([
      command('token-cli.ts', [...tenant, '--foo']),
      command('token-cli.ts', [...tenant, '--ttl-seconds']),
      command('token-cli.ts', [...tenant, '--ttl-seconds', 'abc']),
      command('token-cli.ts', [...tenant, '--ttl-seconds', '0']),
      command('token-cli.ts', [...tenant, '--roles', 'viewer,admin']),
    ]);
    expectMistake(unknown, 'unknown option --foo');
    expectMistake(missing, 'option --ttl-seconds needs a value');
    expectMistake(notNumber, '--ttl-seconds must be a whole number of at least 1, not "abc"');
    expectMistake(zero, '--ttl-seconds must be a whole number of at least 1, not "0"');
    expectMistake(role, 'unknown role(s) admin; roles are viewer, operator, approver, platform-admin');
  });

  it('mints a token that lives --ttl-seconds', async () => {
    const result = await command('token-cli.ts', ['--tenant', 'acme', '--roles', 'viewer', '--ttl-seconds', '60']);
    expect(result.code, result.stderr).toBe(0);
    const payload = JSON.parse(Buffer.from(result.stdout.trim().split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number;
      iat: number;
    };
    expect(payload.exp - payload.iat).toBe(60);
  });
});
