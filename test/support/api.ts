import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { Logger, LogLevel } from '../../functions/common/logger.js';
import type { Role } from '../../functions/domain/routes.js';
import { type DevKey, generateDevKey, signDevToken } from '../../local/dev-auth.js';
import { type LocalNotifyOptions, type Runtime, startRuntime } from '../../local/runtime.js';

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, without JSON encoding. */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export interface TestApi {
  readonly runtime: Runtime;
  readonly url: string;
  readonly devKey: DevKey;
  token(claims: {
    tenant?: string;
    roles: readonly Role[];
    user?: string;
    ttlSeconds?: number;
    scopes?: readonly string[];
  }): Promise<string>;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

/**
 * The local runtime in-process, on the run's shared DynamoDB Local, reached over real
 * HTTP: tests exercise the same gateway, handlers and table as `npm start`.
 */
export async function startTestApi(
  options: {
    timeScale?: number;
    jwtScopes?: readonly string[];
    /** A table of the file's own (created on the run's DynamoDB Local); default: the run's shared one. */
    tableName?: string;
    /** Read the table's stream (the auto-upgrade fan-out). @default false: on the shared table every reader would act on every file's publishes. */
    tableEvents?: boolean;
    /** The runtime's logger (a test reads what it logged). @default silent */
    logger?: Logger;
    /** The functions' LOG_LEVEL (what they write to stdout and stderr, read with captureLogStream). @default silent */
    logLevel?: LogLevel;
    /**
     * Whether the functions write their metrics (EMF lines on stdout, as in Lambda). @default
     * false: every file's upgrades would fill the test output with them.
     */
    metrics?: boolean;
    /** Post timeline events to a webhook, as `SLUICE_NOTIFY_*` does (needs `tableEvents` and a table of the file's own). */
    notify?: LocalNotifyOptions;
    /** The console signs in by OIDC against this issuer (local/console.ts). */
    consoleOidc?: { issuer: string; clientId: string; scopes?: string };
  } = {},
): Promise<TestApi> {
  const devKey = await generateDevKey();
  // Powertools' own switch, read when a function first records a metric.
  process.env.POWERTOOLS_METRICS_DISABLED = options.metrics ? 'false' : 'true';
  // Time runs 1000x faster by default: a 60 s batch delay takes 60 ms.
  const runtime = await startRuntime({
    port: 0,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    devKey,
    logLevel: options.logLevel ?? 'silent',
    timeScale: options.timeScale ?? 1000,
    // Only what a test asks for: SLUICE_JWT_SCOPES in the environment must not leak in.
    jwtScopes: options.jwtScopes ?? [],
    tableEvents: options.tableEvents ?? false,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.tableName === undefined ? {} : { tableName: options.tableName }),
    ...(options.notify === undefined ? {} : { notify: options.notify }),
    ...(options.consoleOidc === undefined ? {} : { consoleOidc: options.consoleOidc }),
  });
  return {
    runtime,
    url: runtime.url,
    devKey,
    token: ({ tenant, roles, user, ttlSeconds, scopes }) =>
      signDevToken(devKey, {
        ...(tenant === undefined ? {} : { tenant }),
        roles,
        user: user ?? 'tester',
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
        ...(scopes === undefined ? {} : { scopes }),
      }),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | Buffer | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${runtime.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed as never, text };
    },
    stop: () => runtime.stop(),
  };
}

/** A name no other test uses: tests share one table and run in parallel. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
