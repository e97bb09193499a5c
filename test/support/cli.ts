import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../../cli/build.js';

let built: Promise<string> | undefined;

/** The CLI bundled from the sources as they are now (not a `cli/dist` an earlier install left). */
export function cliBundle(): Promise<string> {
  built ??= buildCli(join(mkdtempSync(join(tmpdir(), 'sluice-cli-')), 'sluice.mjs'));
  return built;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `sluice …args` as a process of its own: its exit code, stdout and stderr. */
export async function sluice(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const bundle = await cliBundle();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        SLUICE_CONFIG: join(tmpdir(), 'sluice-test-no-config.json'),
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A fresh folder holding `sluice`, a shim that runs `bundle`: first on PATH, README blocks run as written. */
export function sluiceShimDir(bundle: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'sluice-bin-'));
  const shim = join(bin, 'sluice');
  writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' '${bundle}' "$@"\n`);
  chmodSync(shim, 0o755);
  return bin;
}
