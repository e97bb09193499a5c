import type { Command } from 'commander';
import { configPath, type GlobalOptions, saveProfile } from '../context.js';
import { UsageError } from '../errors.js';

/** `sluice configure`: saves the global options given (endpoint, token, tenant, --local) as a profile. */
export function registerConfigure(program: Command): void {
  program
    .command('configure')
    .description(`Save --endpoint, --token, --tenant and --local as a profile (--profile, default "default") in ${configPath()}.`)
    .addHelpText('after', '\nExample:\n  sluice --profile prod --endpoint https://api.example.com --token "$TOKEN" configure\n')
    .action((_options: unknown, cmd: Command) => {
      const global = cmd.optsWithGlobals() as GlobalOptions;
      if (!global.endpoint && !global.local) throw new UsageError('configure needs --endpoint URL or --local');
      const name = global.profile ?? 'default';
      const file = saveProfile(name, {
        ...(global.endpoint ? { endpoint: global.endpoint } : {}),
        ...(global.token ? { token: global.token } : {}),
        ...(global.tenant ? { tenant: global.tenant } : {}),
        ...(global.local ? { local: true } : {}),
      });
      process.stdout.write(`saved profile ${name} in ${file}\n`);
    });
}
