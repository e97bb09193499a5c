/**
 * `sluice completion bash|zsh|fish`: a script that completes commands and their flags,
 * generated from the command tree itself, so it cannot fall behind a new command.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** Every command path (`sluice`, `sluice upgrade create`, …) with what may follow it. */
export function completionTree(program: Command): Map<string, string[]> {
  const tree = new Map<string, string[]>();
  const walk = (command: Command, path: string) => {
    const flags = command.options.map((option) => option.long).filter((flag): flag is string => flag !== undefined);
    tree.set(path, [...command.commands.map((child) => child.name()), ...flags, '--help']);
    for (const child of command.commands) walk(child, `${path} ${child.name()}`);
  };
  walk(program, 'sluice');
  return tree;
}

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

export function completionScript(program: Command, shell: string): string {
  const tree = completionTree(program);
  if (shell === 'bash' || shell === 'zsh') {
    const entries = [...tree].map(([path, words]) => `  [${quote(path)}]=${quote(words.join(' '))}`).join('\n');
    // A bash associative array takes no empty key, so the paths begin with the command's name.
    const body = `_sluice() {
  local cur="${'$'}{COMP_WORDS[COMP_CWORD]}" path=sluice word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${'$'}{COMP_WORDS[i]}"
    [[ $word == -* ]] && continue
    [[ -n "${'$'}{_sluice_tree["$path $word"]+x}" ]] && path="$path $word"
  done
  COMPREPLY=($(compgen -W "${'$'}{_sluice_tree["$path"]}" -- "$cur"))
}
declare -gA _sluice_tree=(
${entries}
)
complete -F _sluice sluice`;
    // zsh runs the bash function through its bash-completion layer.
    return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${body}\n` : `${body}\n`;
  }
  if (shell === 'fish') {
    const lines = ['complete -c sluice -f'];
    for (const [path, words] of tree) {
      const seen = path.split(' ').slice(1);
      const condition =
        seen.length === 0 ? '__fish_use_subcommand' : seen.map((word) => `__fish_seen_subcommand_from ${word}`).join('; and ');
      const commands = words.filter((word) => !word.startsWith('-'));
      if (commands.length > 0) lines.push(`complete -c sluice -n ${quote(condition)} -a ${quote(commands.join(' '))}`);
      for (const flag of words.filter((word) => word.startsWith('--')))
        lines.push(`complete -c sluice -n ${quote(condition)} -l ${flag.slice(2)}`);
    }
    return `${lines.join('\n')}\n`;
  }
  throw new UsageError(`completion: no shell ${shell} (bash, zsh or fish)`);
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('Print a completion script for bash, zsh or fish.')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', '\nExample:\n  source <(sluice completion bash)\n')
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
}
