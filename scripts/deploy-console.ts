/**
 * `npm run deploy:console [-- --stack Sluice]`: after `cdk deploy`, puts the console's
 * files where the stack serves them: builds `console/dist/`, reads the stack's outputs
 * (ConsoleBucketName, ConsoleDistributionId, ConsoleUrl) with the AWS CLI, syncs the
 * files to `s3://<bucket>/console/` (hashed assets cached for a year, the page never) and
 * invalidates the page. `config.json` is not uploaded: the distribution answers it from
 * the stack's settings. Uses the AWS CLI's own credentials and region.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildConsole, CONSOLE_DIST } from '../console/build.js';

const run = promisify(execFile);

async function aws(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('aws', args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string; code?: string };
    if (failed.code === 'ENOENT') throw new Error('the AWS CLI (aws) is not installed', { cause: error });
    throw new Error(`aws ${args.slice(0, 2).join(' ')} failed: ${(failed.stderr ?? failed.message).trim()}`, { cause: error });
  }
}

const stackIndex = process.argv.indexOf('--stack');
const stack = stackIndex === -1 ? 'Sluice' : (process.argv[stackIndex + 1] ?? 'Sluice');

const described = JSON.parse(await aws('cloudformation', 'describe-stacks', '--stack-name', stack, '--output', 'json')) as {
  Stacks: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
};
const outputs = new Map((described.Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
const bucket = outputs.get('ConsoleBucketName');
const distribution = outputs.get('ConsoleDistributionId');
if (!bucket || !distribution) throw new Error(`stack ${stack} has no ConsoleBucketName / ConsoleDistributionId output: deploy it first`);

await buildConsole();
const target = `s3://${bucket}/console`;
await aws('s3', 'sync', `${CONSOLE_DIST}/assets`, `${target}/assets`, '--cache-control', 'public, max-age=31536000, immutable');
await aws(
  's3',
  'cp',
  `${CONSOLE_DIST}/index.html`,
  `${target}/index.html`,
  '--cache-control',
  'no-cache',
  '--content-type',
  'text/html; charset=utf-8',
);
// Old assets are removed last, so that a page loaded a moment ago still finds its script.
await aws('s3', 'sync', CONSOLE_DIST, target, '--delete', '--exclude', 'config.json');
await aws('cloudfront', 'create-invalidation', '--distribution-id', distribution, '--paths', '/console/', '/console/index.html');
process.stdout.write(`console deployed: ${outputs.get('ConsoleUrl') ?? target}\n`);
