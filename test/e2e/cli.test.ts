import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { type CliResult, cliBundle, sluice } from '../support/cli.js';
import { seedComponent } from '../support/fixtures.js';

/**
 * The `sluice` CLI as a user runs it: the bundle built from the sources, a process of its
 * own, against the local runtime over HTTP. Exit codes, stdout and stderr are the contract.
 */
let api: TestApi;
let tenant: string;
let componentId: string;
let operator: string;
let approver: string;
let admin: string;
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-e2e-'));

beforeAll(async () => {
  api = await startTestApi();
  ({ componentId, admin } = await seedComponent(api, ['1.0.0', '1.0.1', '1.1.0']));
  tenant = unique('cli');
  operator = await api.token({ tenant, roles: ['operator', 'viewer'], user: 'olga' });
  approver = await api.token({ tenant, roles: ['approver', 'viewer'], user: 'anna' });
});
afterAll(() => api.stop());

/** `sluice --endpoint <runtime> --token <token> …` */
const as = (token: string, ...args: string[]) => sluice(['--endpoint', api.url, '--token', token, ...args]);
const json = (result: CliResult) => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};
const service = async (name: string, project: string, extra: string[] = []) =>
  json(
    await as(
      operator,
      '-o',
      'json',
      'service',
      'create',
      name,
      '--project',
      project,
      '--component-id',
      componentId,
      '--version',
      '1.0.0',
      '--instances',
      '[{id: i-0}, {id: i-1}]',
      ...extra,
    ),
  );

describe('sluice against the local runtime', () => {
  it('builds the three-environment pipeline of the Aiven docs with step create, validates with a comment, and shows it', async () => {
    for (const [name, project] of [
      ['pg-dev', 'dev'],
      ['pg-staging', 'staging'],
      ['pg-prod', 'prod'],
    ] as const)
      await service(name, project);
    const first = await as(
      operator,
      'upgrade-pipeline',
      'step',
      'create',
      '--source-project',
      'dev',
      'pg-dev',
      '--destination-project',
      'staging',
      'pg-staging',
      '--auto-validation-delay-days',
      '3',
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/stepId:\s+stp_/);
    const second = json(
      await as(
        operator,
        '-o',
        'json',
        'upgrade-pipeline',
        'step',
        'create',
        '--source-project',
        'staging',
        'pg-staging',
        '--destination-project',
        'prod',
        'pg-prod',
      ),
    );
    expect(second).toMatchObject({ sourceServiceName: 'pg-staging', destinationServiceName: 'pg-prod' });
    const list = json(await as(operator, '-o', 'json', 'upgrade-pipeline', 'step', 'list'));
    expect(list.items).toHaveLength(2);

    const validated = await as(
      approver,
      '-o',
      'json',
      'upgrade-pipeline',
      'step',
      'validate-for-service',
      '--project',
      'dev',
      'pg-dev',
      '--comment',
      'soaked a week',
    );
    expect(json(validated)).toMatchObject({ version: '1.0.0', validatedByUser: 'anna', comment: 'soaked a week' });

    const tree = await as(operator, 'upgrade-pipeline', 'show');
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout.split('\n')).toEqual([
      'dev/pg-dev  1.0.0',
      '└── after 3d: staging/pg-staging  1.0.0, ceiling 1.0.0',
      '    └── after 7d: prod/pg-prod  1.0.0, ceiling 1.0.0',
      '',
    ]);
    const mermaid = await as(operator, 'upgrade-pipeline', 'show', '--format', 'mermaid');
    expect(mermaid.stdout).toContain('flowchart LR');
    expect(mermaid.stdout.split('\n').slice(-3)).toEqual(['  s0 -->|"3d"| s2', '  s2 -->|"7d"| s1', '']);
  });

  it('watches an upgrade to the end: exit 0 on COMPLETED, 3 on FAILED, with one plain line per event off a terminal', async () => {
    await service('watched', 'p');
    const created = json(
      await as(operator, '-o', 'json', 'upgrade', 'create', 'watched', '--project', 'p', '--to-version', '1.1.0', '--batch-size', '1'),
    );
    expect(created).toMatchObject({ status: 'PENDING', batchSize: 1, service: 'watched' });
    expect((await as(operator, 'upgrade', 'start', created.executionId)).code).toBe(0);
    const watched = await as(operator, 'upgrade', 'watch', created.executionId);
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines[0]).toContain(`${created.executionId}  p/watched  1.0.0 -> 1.1.0  ROLLING`);
    expect(lines.filter((line) => / BatchStarted /.test(line))).toHaveLength(2);
    expect(lines.at(-2)).toMatch(/UpgradeCompleted/);
    expect(lines.at(-1)).toBe(`upgrade ${created.executionId} COMPLETED`);

    await service('doomed', 'p', ['--target', '{type: simulated, failInstances: [i-0]}']);
    const failing = json(
      await as(
        operator,
        '-o',
        'json',
        'upgrade',
        'create',
        'doomed',
        '--project',
        'p',
        '--to-version',
        '1.1.0',
        '--batch-size',
        '2',
        '--failure-threshold',
        '1',
      ),
    );
    await as(operator, 'upgrade', 'start', failing.executionId);
    const failed = await as(operator, 'upgrade', 'watch', failing.executionId);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toMatch(/InstanceFailed .*instanceId=i-0/);
    expect(failed.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^upgrade ${failing.executionId} FAILED`));
  });

  it('on a terminal, redraws one block in place: status, batches, the instance bar, then the latest events', async () => {
    await service('on-a-tty', 'p');
    const created = json(
      await as(operator, '-o', 'json', 'upgrade', 'create', 'on-a-tty', '--project', 'p', '--to-version', '1.1.0', '--batch-size', '1'),
    );
    await as(operator, 'upgrade', 'start', created.executionId);
    // util-linux `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const bundle = await cliBundle();
    const command = [process.execPath, bundle, '--endpoint', api.url, '--token', operator, 'upgrade', 'watch', created.executionId]
      .map((part) => `'${part}'`)
      .join(' ');
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(
        'script',
        ['-q', '-e', '-c', command, '/dev/null'],
        { env: { ...process.env, TERM: 'xterm' }, timeout: 60_000 },
        (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout }),
      );
    });
    expect(result.code).toBe(0);
    // Drawn, then redrawn: the cursor goes up over the block and clears it each time.
    const redraw = new RegExp(`${String.fromCharCode(27)}\\[\\d+A${String.fromCharCode(27)}\\[0J`);
    expect(result.out).toMatch(redraw);
    const last = result.out.split(redraw).at(-1) ?? '';
    expect(last).toContain(`${created.executionId}  p/on-a-tty  1.0.0 -> 1.1.0  ROLLING  COMPLETED`);
    expect(last).toContain(`batches 2/2   instances [${'#'.repeat(30)}] 2/2`);
    expect(last).toMatch(/UpgradeCompleted/);
  });

  it('approves a STAGED gate from the CLI: the watch shows how, and ends COMPLETED', async () => {
    await service('staged', 'p');
    const created = json(
      await as(
        operator,
        '-o',
        'json',
        'upgrade',
        'create',
        'staged',
        '--project',
        'p',
        '--to-version',
        '1.1.0',
        '--strategy',
        'STAGED',
        '--stages',
        '[{name: one, percentage: 50}, {name: two}]',
      ),
    );
    await as(operator, 'upgrade', 'start', created.executionId);
    const watching = as(operator, 'upgrade', 'watch', created.executionId);
    for (let round = 0; ; round += 1) {
      const upgrade = json(await as(operator, '-o', 'json', 'upgrade', 'get', created.executionId));
      if (upgrade.waitingFor) break;
      if (round > 200) throw new Error('the gate never waited');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const approved = await as(approver, '-o', 'json', 'upgrade', 'approve', created.executionId, '--comment', 'stage one is fine');
    expect(approved.code, approved.stderr).toBe(0);
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`approve: sluice upgrade approve ${created.executionId}`);
    expect(watched.stdout).toMatch(/GateApproved .*comment=stage one is fine.*\(anna\)/);
    expect(watched.stdout.trim().split('\n').at(-1)).toBe(`upgrade ${created.executionId} COMPLETED`);
  });

  it('watches a fleet run through its approval gate, approved from the CLI, to COMPLETED', async () => {
    for (const name of ['ring-a', 'ring-b'])
      await as(
        operator,
        'service',
        'create',
        name,
        '--project',
        'fleet',
        '--component-id',
        componentId,
        '--version',
        '1.0.0',
        '--instances',
        '[{id: i-0}]',
        '--labels',
        `{ring: ${name}}`,
        '--default-upgrade',
        '{batchDelaySeconds: 1, healthCheckIntervalSeconds: 1}',
      );
    const stages =
      '[{name: a, groups: [{name: a, selector: {matchLabels: {ring: ring-a}}}], afterGates: [{type: approval, name: a is fine}]}, {name: b, groups: [{name: b, selector: {matchLabels: {ring: ring-b}}}]}]';
    const run = json(
      await as(
        operator,
        '-o',
        'json',
        'run',
        'create',
        'rings',
        '--component-id',
        componentId,
        '--to-version',
        '1.1.0',
        '--stages',
        stages,
      ),
    );
    expect(run.status).toBe('NOT_STARTED');
    expect((await as(operator, 'run', 'start', run.runId)).code).toBe(0);
    const watching = as(operator, 'run', 'watch', run.runId);
    let gateId: string | undefined;
    for (let round = 0; !gateId; round += 1) {
      const current = json(await as(operator, '-o', 'json', 'run', 'get', run.runId));
      gateId = current.stages[0].afterGates.find((gate: { status: string }) => gate.status === 'WAITING')?.gateId;
      if (round > 400) throw new Error('the gate never waited');
      if (!gateId) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const approved = await as(approver, 'run', 'approve', run.runId, gateId, '--comment', 'ring a is fine');
    expect(approved.code, approved.stderr).toBe(0);
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`gate ${gateId} waits for approval: sluice run approve ${run.runId} ${gateId}`);
    expect(watched.stdout).toMatch(/GateApproved .*\(anna\)/);
    expect(watched.stdout.trim().split('\n').at(-1)).toBe(`run ${run.runId} COMPLETED`);
  });

  it('keeps profiles: configure saves endpoint and token, --profile uses them', async () => {
    const env = { SLUICE_CONFIG: join(dir, 'config.json') };
    const saved = await sluice(['--profile', 'ci', '--endpoint', api.url, '--token', operator, 'configure'], { env });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain('saved profile ci');
    const listed = await sluice(['--profile', 'ci', '-o', 'json', 'upgrade', 'list'], { env });
    expect(json(listed).items.length).toBeGreaterThan(0);
    const unknown = await sluice(['--profile', 'nope', 'upgrade', 'list'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no profile nope .*\(profiles: ci\)/);
    expect((await import('node:fs')).statSync(env.SLUICE_CONFIG).mode & 0o777).toBe(0o600);
  });

  it('applies a file: the plan, the changes; a second apply changes nothing; --dry-run changes nothing', async () => {
    const file = join(dir, 'fleet.yaml');
    writeFileSync(
      file,
      [
        'services:',
        '  - project: shop',
        '    name: cart',
        `    componentId: ${componentId}`,
        '    version: 1.0.0',
        '    instances: [{id: i-0}, {id: i-1}]',
        '    labels: {tier: web}',
        '  - project: shop',
        '    name: orders',
        `    componentId: ${componentId}`,
        '    version: 1.0.0',
        '    instances: [{id: i-0}]',
        'steps:',
        '  - {sourceProjectName: shop, sourceServiceName: cart, destinationProjectName: shop, destinationServiceName: orders, autoValidationDelayDays: 2}',
        'strategies:',
        '  - name: two-rings',
        '    stages:',
        '      - {name: first, groups: [{name: web, selector: {matchLabels: {tier: web}}}]}',
        '      - {name: rest, groups: [{name: orders, services: [{project: shop, name: orders}]}]}',
        'profiles:',
        `  - {name: nightly, componentId: ${componentId}, channel: stable, strategyName: two-rings}`,
        '',
      ].join('\n'),
    );
    const dry = await as(operator, 'apply', '-f', file, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('+ create    service shop/cart');
    expect(dry.stdout).toContain('Plan: 5 to create, 0 to update, 0 unchanged.');
    expect((await as(operator, 'service', 'get', 'cart', '--project', 'shop')).code).toBe(1);

    const applied = await as(operator, 'apply', '-f', file);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Applied.');
    const again = await as(operator, 'apply', '-f', file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('= unchanged service shop/cart');
    expect(again.stdout).toContain('No changes.');

    writeFileSync(
      file,
      (await import('node:fs'))
        .readFileSync(file, 'utf8')
        .replace('tier: web}', 'tier: shop}')
        .replace('autoValidationDelayDays: 2', 'autoValidationDelayDays: 4'),
    );
    const changed = await as(operator, '-o', 'json', 'apply', '-f', file);
    const { changes } = json(changed);
    expect(changes.filter((change: { action: string }) => change.action === 'update')).toEqual([
      { action: 'update', kind: 'service', key: 'shop/cart', fields: ['labels'] },
      { action: 'update', kind: 'step', key: 'shop/cart -> shop/orders', fields: ['autoValidationDelayDays'] },
    ]);
    expect(json(await as(operator, '-o', 'json', 'service', 'get', 'cart', '--project', 'shop')).labels).toEqual({ tier: 'shop' });
  });

  it('exits 2 with one line for bad flags, and 1 with the field errors for a 422', async () => {
    const bundlePath = await cliBundle();
    for (const args of [
      ['upgrade', 'list', '--bogus'],
      ['upgrade', 'create', 'x', '--project', 'p', '--batch-size', 'many'],
      ['upgrade', 'create', 'x', '--project', 'p', '--strategy', 'SIDEWAYS'],
      ['upgrade', 'frobnicate'],
      ['--output', 'xml', 'upgrade', 'list'],
      ['upgrade', 'get'],
    ]) {
      const result = await as(operator, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(/^sluice: /);
      expect(result.stdout).toBe('');
    }
    await service('invalid', 'p');
    const refused = await as(operator, 'upgrade', 'create', 'invalid', '--project', 'p', '--to-version', '1.1.0', '--batch-size', '0');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error 422 Unprocessable content: /);
    expect(refused.stderr).toMatch(/ {2}body\.batchSize: .* \(too_small\)/);
    const asJson = await as(
      operator,
      '-o',
      'json',
      'upgrade',
      'create',
      'invalid',
      '--project',
      'p',
      '--to-version',
      '1.1.0',
      '--batch-size',
      '0',
    );
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stderr)).toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'body.batchSize', code: 'too_small' })],
    });
    const group = await as(operator, 'upgrade');
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('Usage: sluice upgrade');
    const piped = await new Promise<{ stderr: string }>((resolve) =>
      execFile('sh', ['-c', `'${process.execPath}' "$0" --help | head -1`, bundlePath], (_error, _stdout, stderr) => resolve({ stderr })),
    );
    expect(piped.stderr).toBe('');
    const missing = await as(operator, 'upgrade', 'get', 'upg_0000000000000000000000');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error 404 Not found/);
    const unreachable = await sluice(['--endpoint', 'http://127.0.0.1:9', '--token', operator, 'upgrade', 'list']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the API/);
  });

  it('answers JSON and YAML with --output, lists every page with --all, and reaches the catalog as a platform admin', async () => {
    const components = json(await as(admin, '-o', 'json', 'component', 'get', componentId));
    expect(components.componentId).toBe(componentId);
    const yaml = await as(operator, '-o', 'yaml', 'service', 'get', 'watched', '--project', 'p');
    expect(yaml.stdout).toMatch(/^tenantId: /m);
    const paged = json(await as(operator, '-o', 'json', 'service', 'list', '--project', 'p', '--limit', '1', '--all'));
    expect(paged.items.length).toBeGreaterThan(1);
    const onePage = await as(operator, 'service', 'list', '--project', 'p', '--limit', '1');
    expect(onePage.stdout.trim().split('\n')).toHaveLength(2);
    expect(onePage.stderr).toMatch(/^more: --all/);
    const table = await as(operator, 'upgrade', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^EXECUTIONID\s+PROJECT\s+SERVICE\s+STRATEGY\s+STATUS/);
    const events = json(await as(operator, '-o', 'json', 'events', '--types', 'UpgradeCompleted'));
    expect(events.items.length).toBeGreaterThan(0);
    expect(events.items.every((event: { type: string }) => event.type === 'UpgradeCompleted')).toBe(true);
  });
});
