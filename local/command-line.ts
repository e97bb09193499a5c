import { parseArgs } from 'node:util';

/**
 * What `npm start` (local/main.ts) and `npm run token` (local/token-cli.ts) share about
 * their command line: node's parseArgs, `--help` / `-h` printing the usage and exiting 0,
 * and every mistake (an unknown option, a missing value, a bad value) told in one line on
 * stderr with exit code 2. parseArgs throws a TypeError whose stack would otherwise be
 * the whole answer, and whose message can run over three lines.
 */

/** A mistake on the command line, with a message fit to print after `sluice: `. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What the command line said: `--help`, or the value of each option given (every option takes a value). */
export type CommandLine<Option extends string> =
  | { readonly help: true }
  | { readonly help: false; readonly values: Partial<Record<Option, string>> };

/**
 * Parses `args` for `options` (each takes a value), strictly: no positional arguments.
 * Throws a {@link UsageError} for what parseArgs refuses.
 */
export function parseCommandLine<Option extends string>(args: readonly string[], options: readonly Option[]): CommandLine<Option> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(options.map((option) => [option, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error), { cause: error });
  }
  if (parsed.values.help === true) return { help: true };
  return { help: false, values: parsed.values as Partial<Record<Option, string>> };
}

/**
 * parseArgs' errors in one short line. Its messages quote the offending argument (`Unknown
 * option '--foo'`, `Option '--port <value>' argument missing`); the code says which kind.
 */
function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error);
  const quoted = /'([^']*)'/.exec(text)?.[1] ?? '';
  const option = quoted.replace(/ <value>$/, '').replace(/^-\w, /, '');
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // A value-less option, or one whose "value" is the next option (`--port --persist x`).
      if (/argument missing|ambiguous/.test(text)) return `option ${option} needs a value`;
      if (/does not take an argument/.test(text)) return `option ${option} takes no value`;
      return text.split('\n')[0] ?? text;
    default:
      return text.split('\n')[0] ?? text;
  }
}

/**
 * An integer option's value, or a {@link UsageError} naming where the value came from
 * (`source`: the option, or the environment variable that gave its default).
 */
export function integerValue(raw: string, source: string, range: { readonly min: number; readonly max?: number }): number {
  const value = /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < range.min || value > max) {
    const wanted = range.max === undefined ? `a whole number of at least ${range.min}` : `a whole number from ${range.min} to ${range.max}`;
    throw new UsageError(`${source} must be ${wanted}, not ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Reads the process's command line for a command: prints `usage` and exits 0 on `--help`;
 * hands the values to `read`, which turns them into the command's settings and throws a
 * {@link UsageError} for a bad one. Any UsageError is one line on stderr and exit code 2.
 */
export function readCommandLine<Option extends string, Settings>(
  command: { readonly usage: string; readonly options: readonly Option[] },
  read: (values: Partial<Record<Option, string>>) => Settings,
  args: readonly string[] = process.argv.slice(2),
): Settings {
  try {
    const parsed = parseCommandLine(args, command.options);
    if (parsed.help) {
      process.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      process.exit(0);
    }
    return read(parsed.values);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`sluice: ${error.message} (see --help)\n`);
    process.exit(2);
  }
}
