/**
 * The README's "Walkthrough with the CLI", run as written: `sluice` on PATH is the bundle
 * built from the sources now (test/support/cli.ts), against a runtime at real time with a
 * dev key of its own. What the prose after the block promises is checked here.
 */
import { rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundle, sluiceShimDir } from '../support/cli.js';
import { readmeRuntime, runReadmeBlock } from '../support/readme.js';

let readme: Awaited<ReturnType<typeof readmeRuntime>>;
let bin = '';
beforeAll(async () => {
  const [started, bundle] = await Promise.all([readmeRuntime('sluice-readme-cli'), cliBundle()]);
  readme = started;
  bin = sluiceShimDir(bundle);
});
afterAll(async () => {
  await readme?.stop();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

/** `key: value` lines of an object printed as a table. */
const fields = (lines: readonly string[]) =>
  Object.fromEntries(lines.map((line) => /^(\w+):\s+(.*)$/.exec(line)?.slice(1, 3) ?? [line, undefined]));

describe('the README walkthrough with the CLI', () => {
  it('runs as written and prints what the README says it prints', async () => {
    const { stdout, stderr } = await runReadmeBlock('cli-walkthrough', readme, 100_000, {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      SLUICE_ENDPOINT: readme.runtime.url,
      // Nothing of the machine's own CLI set-up: no saved profile, no token, tenant, user or output.
      SLUICE_CONFIG: join(bin, 'no-config.json'),
      SLUICE_PROFILE: undefined,
      SLUICE_TOKEN: undefined,
      SLUICE_TENANT: undefined,
      SLUICE_USER: undefined,
      SLUICE_OUTPUT: undefined,
    });
    const out = stdout.split('\n');
    let at = 0;
    const take = (count: number) => {
      const part = out.slice(at, at + count);
      at += count;
      return part;
    };
    /** The lines up to (not including) the first from here that `end` accepts. */
    const until = (end: (line: string) => boolean, what: string) => {
      const index = out.findIndex((line, i) => i >= at && end(line));
      expect(index, `${what} in\n${stdout}`).toBeGreaterThanOrEqual(0);
      return take(index - at);
    };

    // 1. The versions, newest first, two of three, and how to get the rest.
    const [header, newest, next] = take(3);
    expect(header).toMatch(/^VERSION\s+CHANNEL\s+SECURITY\s+PUBLISHEDAT\s+NOTES$/);
    expect(newest).toMatch(/^16\.2\.0\s+stable\s+false\s+\S+Z\s+release 16\.2\.0$/);
    expect(next).toMatch(/^16\.1\.0\s+stable\s+false\s+\S+Z\s+release 16\.1\.0$/);
    // How to get the rest goes to stderr, so that stdout stays the table.
    expect(stderr).toMatch(/^more: --all for every page/m);

    // 2. One minor at a time: allowed, then a refusal that is an answer (exit 0).
    expect(take(1)).toEqual(['true']);
    const path = fields(until((line) => line.startsWith('tenantId:'), 'the service'));
    expect(path.allowed).toBe('false');
    const blockers = JSON.parse(path.blockers ?? '');
    expect(blockers).toMatchObject([{ code: 'MINOR_SKIP' }]);
    expect(blockers[0].reason).toContain('Upgrade to 16.1.0 (the newest 16.1.x) first.');

    // 3. The service as a table, then its channel.
    const service = fields(until((line) => line === 'stable', 'the channel'));
    expect(service).toMatchObject({ tenantId: 'dev', project: 'dev-project', name: 'orders-db', version: '16.0.0' });
    expect(service.componentId).toMatch(/^cmp_/);
    expect(JSON.parse(service.instances ?? '')).toEqual(['i-1', 'i-2', 'i-3'].map((id) => ({ id, version: '16.0.0' })));
    expect(JSON.parse(service.target ?? '')).toEqual({ type: 'simulated' });
    expect(JSON.parse(service.maintenanceWindow ?? '')).toEqual({ dayOfWeek: 'sunday', startHour: 2, durationHours: 3 });
    expect(take(1)).toEqual(['stable']);

    // 4. The 422 on stderr, its field named; exit 1.
    expect(take(1)).toEqual(['exit code 1']);
    const errors = stderr.split('\n');
    const invalid = errors.indexOf('Error 422 Unprocessable content: The request body is not valid.');
    expect(invalid, stderr).toBeGreaterThanOrEqual(0);
    expect(errors[invalid + 1]).toMatch(/^ {2}body\.version: must be a semantic version such as 16\.1\.0( \(\w+\))?$/);

    // 5. Started, watched to COMPLETED (exit 0), then the whole timeline.
    expect(take(1)).toEqual(['VALIDATING']);
    const [watchHeader] = take(1);
    const id = /^(upg_\w+) {2}dev-project\/orders-db {2}16\.0\.0 -> 16\.1\.0 {2}ROLLING {2}[A-Z_]+$/.exec(watchHeader ?? '')?.[1];
    expect(id, watchHeader).toBeDefined();
    const watched = until((line) => line === `upgrade ${id} COMPLETED`, 'the end of the watch');
    expect(
      watched.every((line) => /^\d\d:\d\d:\d\d {2}[A-Z][A-Za-z]+/.test(line)),
      watched.join('\n'),
    ).toBe(true);
    expect(watched[0]).toMatch(/^\S+ {2}UpgradeCreated /);
    expect(watched.filter((line) => /^\S+ {2}BatchStarted +batch=0 instances=2$/.test(line))).toHaveLength(1);
    for (const instance of ['i-1', 'i-2', 'i-3'])
      expect(watched.filter((line) => / InstanceUpgraded +batch=\d instanceId=(\S+)$/.exec(line)?.[1] === instance)).toHaveLength(1);
    expect(take(1)).toEqual([`upgrade ${id} COMPLETED`]);
    expect(take(1)).toEqual(['exit code 0']);
    expect(take(1)[0]).toMatch(/^AT\s+TYPE\s+ACTOR\s+DETAIL$/);
    const timeline = until((line) => line === '16.1.0', 'the pipeline').map((row) => row.split(/\s+/)[1]);
    expect(timeline.slice(0, 4)).toEqual(['UpgradeCreated', 'UpgradeStarted', 'PreChecksPassed', 'BatchStarted']);
    expect(timeline.filter((type) => type === 'InstanceUpgraded')).toHaveLength(3);
    expect(timeline.filter((type) => type === 'BatchCompleted')).toHaveLength(2);
    expect(timeline.at(-1)).toBe('UpgradeCompleted');

    // 6. The pipeline: three services, two steps, a validation, the graph, prod held at its ceiling.
    expect(take(3)).toEqual(['16.1.0', '16.0.0', '16.0.0']);
    const steps = take(2);
    for (const step of steps) expect(step).toMatch(/^stp_\w+$/);
    const validation = fields(until((line) => line.startsWith('dev/orders-db'), 'the graph'));
    expect(validation).toMatchObject({
      project: 'dev',
      service: 'orders-db',
      version: '16.1.0',
      validatedByUser: userInfo().username || 'dev',
      comment: 'soaked a week on dev',
    });
    expect(JSON.parse(validation.stepIds ?? '')).toEqual([steps[0]]);
    expect(take(3)).toEqual([
      'dev/orders-db  16.1.0',
      '└── after 3d: staging/orders-db  16.0.0, ceiling 16.1.0',
      '    └── after 7d: prod/orders-db  16.0.0, ceiling 16.0.0',
    ]);
    expect(take(1)).toEqual(['exit code 1']);
    const ceiling = errors.findIndex((line) => line.startsWith('Error 422 Unprocessable content: prod/orders-db may not go above'));
    expect(ceiling, stderr).toBeGreaterThan(invalid);
    expect(errors[ceiling]).toContain('may not go above its validated version 16.0.0: ');
    expect(errors[ceiling + 1]).toBe('  body.toVersion: above the validated version 16.0.0 (ABOVE_VALIDATED_VERSION)');
    expect(out.slice(at)).toEqual(['']);
  }, 150_000);
});
