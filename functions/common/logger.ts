import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logging behind one small interface. Keys that may carry secrets are
 * redacted before writing, so a careless `logger.info('x', { target })` cannot leak a
 * webhook secret or task token.
 *
 * Two implementations: {@link functionLogger}, what every Lambda function logs with
 * (Powertools Logger: the Lambda context and the invocation's keys on every line,
 * docs/architecture.md#logs-and-metrics), and {@link createLogger}, a plain JSON logger
 * for the local runtime's own lines and for tests that read what was logged.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEYS = /secret|token|password|authorization|signature/i;
/**
 * A decision link's token (functions/notify/decision-links.ts) wherever it sits in a
 * string (a URL, an error message, a receiver's echo): it decides a gate, so it is
 * redacted like a secret-named key's value.
 */
const LINK_TOKEN = /sdl_[A-Za-z0-9_-]{43}/g;
const scrubString = (text: string) => (text.includes('sdl_') ? text.replace(LINK_TOKEN, 'sdl_[redacted]') : text);

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: scrubString(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_KEYS.test(key) ? '[redacted]' : redact(item, depth + 1)]),
  );
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const emit = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[at] < ORDER[level]) return;
    write(
      JSON.stringify({
        level: at.toUpperCase(),
        message: scrubString(message),
        timestamp: new Date().toISOString(),
        ...(redact(fields ?? {}) as object),
      }),
    );
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** Keys Powertools writes itself and drops (with a warning) from a line's fields. */
const POWERTOOLS_OWN_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

let powertools: PowertoolsLogger | undefined;

/**
 * The function's one Powertools Logger. Made on first use, not when a handler module is
 * imported: the local runtime and the tests import handlers before they set the
 * environment (`LOG_LEVEL`) that Lambda sets before the import. In Lambda, the function's
 * application log level (advanced logging controls) takes precedence over `LOG_LEVEL`.
 */
export function powertoolsLogger(): PowertoolsLogger {
  powertools ??= new PowertoolsLogger({
    serviceName: 'sluice',
    logLevel: levelOf(process.env.LOG_LEVEL).toUpperCase() as 'INFO',
    // The last line of defence: a secret-looking key is redacted wherever it sits in a
    // line, the appended keys and the Lambda context included.
    jsonReplacerFn: (key, value) => (SECRET_KEYS.test(key) ? '[redacted]' : typeof value === 'string' ? scrubString(value) : value),
  });
  return powertools;
}

/**
 * What a function logs with: {@link Logger} over {@link powertoolsLogger}. Each line
 * carries the Lambda context and the keys the invocation appended (`observe`, in
 * functions/common/observe.ts), so callers pass only what the line is about. Fields are
 * redacted as {@link createLogger} redacts them (an error is its name and message); a
 * field named like a key Powertools writes itself (`service`) is written as
 * `<name>Field` rather than dropped.
 */
export function functionLogger(): Logger {
  const logger = powertoolsLogger();
  const fieldsOf = (fields: Record<string, unknown> | undefined): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(redact(fields ?? {}) as Record<string, unknown>).map(([key, value]) => [
        POWERTOOLS_OWN_KEYS.has(key) ? `${key}Field` : key,
        value,
      ]),
    );
  return {
    debug: (message, fields) => logger.debug(message, fieldsOf(fields)),
    info: (message, fields) => logger.info(message, fieldsOf(fields)),
    warn: (message, fields) => logger.warn(message, fieldsOf(fields)),
    error: (message, fields) => logger.error(message, fieldsOf(fields)),
  };
}

function levelOf(raw: string | undefined): LogLevel {
  const level = raw?.toLowerCase() as LogLevel | undefined;
  return level !== undefined && LEVELS.includes(level) ? level : 'info';
}
