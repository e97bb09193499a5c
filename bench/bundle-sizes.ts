import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { SluiceStack } from '../lib/sluice-stack.js';

/**
 * The minified bundle of each Lambda exactly as `cdk deploy` would upload it: the
 * stack is synthesized into a temporary folder and each function's asset is measured.
 */
export function measureBundleSizes(): Record<string, number> {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-synth-'));
  try {
    const app = new App({ outdir, context: { 'sluice:jwtIssuer': 'https://issuer.example.com', 'sluice:jwtAudience': 'sluice' } });
    const stack = new SluiceStack(app, 'SluiceBench');
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const sizes: Record<string, number> = {};
    for (const [group, fn] of Object.entries(stack.functions)) {
      const logicalId = stack.getLogicalId(fn.lambda.node.defaultChild as never);
      const s3Key = ((template.Resources[logicalId]?.Properties?.Code ?? {}) as { S3Key?: string }).S3Key ?? '';
      const dir = join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
      sizes[group] = readdirSync(dir)
        .filter((file) => file.endsWith('.mjs'))
        .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    }
    return sizes;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
