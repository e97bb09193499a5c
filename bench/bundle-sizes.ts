import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { SluiceFunction } from '../lib/constructs/sluice-function.js';
import { SluiceStack } from '../lib/sluice-stack.js';

/** `UpgradeTasksFunction` → `upgrade-tasks`: the construct id without its suffix, kebab-case. */
const groupName = (id: string) =>
  id
    .replace(/Function$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();

/** One function's asset exactly as `cdk deploy` would upload it. */
export interface SynthesizedBundle {
  /** The folder holding the minified `index.mjs` (and its source map). */
  readonly dir: string;
  /** The `.mjs` bytes in that folder. */
  readonly bytes: number;
  /** The function's environment in the template; values CloudFormation resolves at deploy are left out. */
  readonly environment: Record<string, string>;
}

/**
 * Synthesizes the stack into a temporary folder and hands `use` the bundle of every
 * function in it (API groups and task functions alike); the folder is removed when
 * `use` returns.
 */
export async function withSynthesizedBundles<T>(
  use: (bundles: Record<string, SynthesizedBundle>) => Promise<T> | T,
  context: Record<string, string> = {},
): Promise<T> {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-synth-'));
  try {
    const app = new App({
      outdir,
      context: { 'sluice:jwtIssuer': 'https://issuer.example.com', 'sluice:jwtAudience': 'sluice', ...context },
    });
    const stack = new SluiceStack(app, 'SluiceBench');
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const bundles: Record<string, SynthesizedBundle> = {};
    const functions = stack.node
      .findAll()
      .filter((construct): construct is SluiceFunction => construct instanceof SluiceFunction)
      .map((fn) => [groupName(fn.node.id === 'Function' ? (fn.node.scope?.node.id ?? 'function') : fn.node.id), fn] as const);
    for (const [group, fn] of functions) {
      const properties = template.Resources[stack.getLogicalId(fn.lambda.node.defaultChild as never)]?.Properties ?? {};
      const s3Key = ((properties.Code ?? {}) as { S3Key?: string }).S3Key ?? '';
      const dir = join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
      const bytes = readdirSync(dir)
        .filter((file) => file.endsWith('.mjs'))
        .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
      const variables = ((properties.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
      const environment = Object.fromEntries(
        Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      bundles[group] = { dir, bytes, environment };
    }
    return await use(bundles);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The minified bundle size of each Lambda exactly as `cdk deploy` would upload it. */
export function measureBundleSizes(): Promise<Record<string, number>> {
  return withSynthesizedBundles((bundles) => Object.fromEntries(Object.entries(bundles).map(([group, b]) => [group, b.bytes])));
}
