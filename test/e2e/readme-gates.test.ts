/**
 * The README's alarm gate block (## Alarm and metric gates), run as written: the AWS CLI
 * against the runtime's CloudWatch endpoint and `sluice` on PATH (the bundle built from the
 * sources now), at real time. Skipped where `aws` is not installed.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasAwsCli } from '../support/aws-cli.js';
import { cliBundle, sluiceShimDir } from '../support/cli.js';
import { readmeRuntime, runReadmeBlock } from '../support/readme.js';

describe.skipIf(!hasAwsCli)('the README alarm gate (skipped when `aws` is not installed)', () => {
  let readme: Awaited<ReturnType<typeof readmeRuntime>>;
  let bin = '';
  beforeAll(async () => {
    const [started, bundle] = await Promise.all([readmeRuntime('sluice-readme-gates'), cliBundle()]);
    readme = started;
    bin = sluiceShimDir(bundle);
  });
  afterAll(async () => {
    await readme?.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it('rolls the upgrade back once set-alarm-state puts its alarm in ALARM, and prints what the README says', async () => {
    const { stdout } = await runReadmeBlock('alarm-gates', readme, 100_000, {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      SLUICE_ENDPOINT: readme.runtime.url,
      SLUICE_CONFIG: join(bin, 'no-config.json'),
      SLUICE_PROFILE: undefined,
      SLUICE_TOKEN: undefined,
      SLUICE_TENANT: undefined,
      SLUICE_OUTPUT: undefined,
      // Nothing of the machine's own AWS set-up.
      AWS_CONFIG_FILE: join(bin, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(bin, 'no-aws-credentials'),
      AWS_PROFILE: undefined,
    });
    expect(stdout.trim().split('\n')).toEqual(['checkout', 'VALIDATING', 'exit code 3', 'ROLLED_BACK', 'alarm']);
  }, 120_000);
});
