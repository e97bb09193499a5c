import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * `npm start --persist DIR` as a user runs it: its own process (with `detached`, its own
 * process group, so a SIGKILL of the group takes its DynamoDB Local along), answered on
 * `port` once `/health` says ready.
 */
export async function startRuntimeProcess(options: {
  port: number;
  persistDir: string;
  env: Record<string, string>;
  detached?: boolean;
}): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'local/main.ts'), '--port', String(options.port), '--persist', options.persistDir],
    {
      cwd: ROOT,
      ...(options.detached ? { detached: true } : {}),
      env: { ...process.env, LOG_LEVEL: 'error', ...options.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const healthy = await fetch(`http://127.0.0.1:${options.port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return child;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the runtime did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A JSON call to a runtime at `base` with a bearer token: what the fault tests drive it with. */
export function apiCaller(base: string) {
  return async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
  };
}
