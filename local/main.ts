import { parseArgs } from 'node:util';
import { RuntimePrerequisiteError } from './dynamodb-local.js';
import { PortInUseError, startRuntime } from './runtime.js';

/**
 * `npm start`: the whole system on this machine. Options: `--port N` (or PORT),
 * `--persist DIR` (or SLUICE_DATA_DIR) to keep data across restarts.
 */
// Lambda runs a current Node.js; locally Node 20 is supported, so the SDK's notice about
// its future Node 22 floor would only be noise at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    persist: { type: 'string', ...(process.env.SLUICE_DATA_DIR ? { default: process.env.SLUICE_DATA_DIR } : {}) },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
  },
  strict: true,
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`Invalid port: ${values.port}\n`);
  process.exit(2);
}

try {
  const runtime = await startRuntime({
    port,
    host: values.host,
    ...(values.persist ? { persistDir: values.persist } : {}),
    logLevel: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info',
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
      `Sluice is running at ${runtime.url}  (time scale ${process.env.SLUICE_TIME_SCALE ?? '1'})`,
      `  data:          ${values.persist ? `kept in ${values.persist}` : 'in memory (use --persist DIR to keep it)'}`,
      ...Object.entries(runtime.endpoints)
        .filter(([name]) => name !== 'api')
        .map(([name, url]) => `  ${`${name}:`.padEnd(15)}${url}   (point the AWS SDK or CLI here)`),
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
