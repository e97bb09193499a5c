/**
 * `sluice`: every API operation as a command (cli/commands/table.ts), plus what a person
 * at a terminal needs on top: `watch`, `upgrade-pipeline show`, `apply`, `configure`,
 * `completion`. Exit codes: 0 ok, 1 an API or network error, 2 a usage error, 3 a watched
 * rollout that ended FAILED, ROLLED_BACK or CANCELLED.
 */
import { Command, CommanderError, Option } from 'commander';
import { ApiError } from './client/index.js';
import { registerApply } from './commands/apply.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfigure } from './commands/configure.js';
import { addOperationCommand } from './commands/operations.js';
import { registerPipelineShow } from './commands/pipeline-show.js';
import { COMMANDS, GROUPS } from './commands/table.js';
import { registerWatch } from './commands/watch.js';
import { type Context, createContext, type GlobalOptions, OUTPUTS } from './context.js';
import { EXIT, ExitCode, UsageError } from './errors.js';
import { describeProblem } from './output.js';

export function buildProgram(io: { context?: (options: GlobalOptions) => Context } = {}): Command {
  const program = new Command('sluice')
    .description('Sluice: upgrade pipelines, upgrade executions and fleet update runs, from the command line.')
    .addOption(new Option('--endpoint <url>', 'the API (or SLUICE_ENDPOINT, or the profile)'))
    .addOption(new Option('--token <jwt>', 'a bearer token (or SLUICE_TOKEN, or the profile)'))
    .addOption(new Option('--tenant <id>', "the tenant (or SLUICE_TENANT; default: the token's tenant claim)"))
    .addOption(new Option('--profile <name>', 'a saved profile (sluice configure; or SLUICE_PROFILE)'))
    .addOption(new Option('--local', 'talk to `npm start` on this machine, with dev tokens signed here'))
    .addOption(new Option('--user <name>', 'who --local tokens name (default: your login)'))
    .addOption(new Option('-o, --output <format>', 'table, json or yaml (or SLUICE_OUTPUT)').choices([...OUTPUTS]))
    .addOption(new Option('--query <path>', 'print only this field of the answer, e.g. executionId, status or items.version'))
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  program.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  sluice --local upgrade create web --project shop --to-version 1.1.0 --batch-size 2',
      '  sluice --local upgrade watch upg_0123',
      '  sluice --local apply -f fleet.yaml --dry-run',
      '  UPGRADE=$(sluice --local upgrade create web --project shop --to-version 1.1.0 --query executionId)',
      '',
      'Exit codes: 0 ok, 1 API or network error, 2 usage error, 3 a watched rollout did not complete.',
      '',
    ].join('\n'),
  );
  const context = (cmd: Command) => (io.context ?? createContext)(cmd.optsWithGlobals() as GlobalOptions);
  const groups = new Map<string, Command>();
  const groupOf = (words: readonly string[]): Command => {
    let parent = program;
    for (let depth = 1; depth < words.length; depth += 1) {
      const key = words.slice(0, depth).join(' ');
      let group = groups.get(key);
      if (!group) {
        const about = GROUPS[key];
        group = parent.command(words[depth - 1] ?? key).description(about?.description ?? key);
        if (about) group.addHelpText('after', `\nExample:\n  ${about.example}\n`);
        groups.set(key, group);
      }
      parent = group;
    }
    return parent;
  };
  const operations = new Set<Command>();
  for (const command of COMMANDS) {
    if (command.op === 'getUpgradePipeline') continue;
    operations.add(addOperationCommand(groupOf(command.words), command, context));
  }
  // --query selects from an API answer: the other commands (watch, show, apply, …) print no such answer.
  program.hook('preAction', (_program, action) => {
    if ((action.optsWithGlobals() as GlobalOptions).query === undefined || operations.has(action)) return;
    const words: string[] = [];
    for (let cmd: Command | null = action; cmd?.parent; cmd = cmd.parent) words.unshift(cmd.name());
    throw new UsageError(`--query works with the API's commands, not with ${words.join(' ')}`);
  });
  registerWatch(groupOf(['upgrade', 'watch']), groupOf(['run', 'watch']), context);
  registerPipelineShow(groupOf(['upgrade-pipeline', 'show']), context);
  registerApply(program, context);
  registerConfigure(program);
  registerCompletion(program);
  // Every command ends the same way on bad input: a one-line usage error, exit 2.
  const forEvery = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ outputError: () => undefined });
    for (const child of cmd.commands) forEvery(child);
  };
  forEvery(program);
  return program;
}

/** Runs the CLI; answers the exit code (the bin exits with it). */
export async function main(
  argv: readonly string[],
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      // A group without its command (`sluice upgrade`): commander printed the group's help on stderr.
      if (error.code === 'commander.help') return EXIT.usage;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.ok;
      stderr(`sluice: ${error.message.replace(/^error: /, '')} (see --help)\n`);
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      stderr(`sluice: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      const output = (program.opts() as { output?: string }).output ?? process.env.SLUICE_OUTPUT;
      stderr(`${describeProblem(error, output === 'json' || output === 'yaml' ? output : 'table')}\n`);
      return EXIT.api;
    }
    if (error instanceof ExitCode) return error.code;
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is in its cause.
    const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    if (error instanceof Error && error.message === 'fetch failed') {
      const code = cause?.code ?? cause?.errors?.[0]?.code ?? 'no answer';
      stderr(`sluice: cannot reach the API (${code}); is it running? (--endpoint, or npm start for --local)\n`);
      return EXIT.api;
    }
    stderr(`sluice: ${(error as Error).message}\n`);
    return EXIT.api;
  }
}
