import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../cli/client/operations.js';
import { covers, planText } from '../../cli/commands/apply.js';
import { completionScript } from '../../cli/commands/completion.js';
import { pipelineMermaid, pipelineTree } from '../../cli/commands/pipeline-show.js';
import { COMMANDS } from '../../cli/commands/table.js';
import { bar, eventLine, runBlock, upgradeBlock } from '../../cli/commands/watch.js';
import { createContext, DEFAULT_LOCAL_ENDPOINT, readConfig, saveProfile } from '../../cli/context.js';
import { generateClient } from '../../cli/generate.js';
import { buildProgram } from '../../cli/main.js';
import { moreHint, render } from '../../cli/output.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every command of the tree with its full name, groups included. */
function walk(command: Command, path: string[] = []): { path: string; command: Command }[] {
  return command.commands.flatMap((child) => [
    { path: [...path, child.name()].join(' '), command: child },
    ...walk(child, [...path, child.name()]),
  ]);
}

describe('the generated client', () => {
  it('is in step with the OpenAPI document the API serves (npm run generate:client writes it)', async () => {
    const { schema, operations } = await generateClient();
    expect(readFileSync(join(ROOT, 'cli/client/schema.ts'), 'utf8'), 'cli/client/schema.ts is stale: npm run generate:client').toBe(schema);
    expect(readFileSync(join(ROOT, 'cli/client/operations.ts'), 'utf8'), 'cli/client/operations.ts is stale: npm run generate:client').toBe(
      operations,
    );
  });
});

describe('the command tree', () => {
  const program = buildProgram();
  const commands = walk(program);

  it('has a command for every operation of the document, and each operation once', () => {
    const covered = COMMANDS.map((command) => command.op);
    expect(new Set(covered).size).toBe(covered.length);
    expect([...covered].sort()).toEqual(OPERATIONS.map((operation) => operation.id).sort());
  });

  it('gives every command and group an example in its help', () => {
    const missing = commands.filter(({ command }) => !helpOf(command).includes('Example'));
    expect(missing.map(({ path }) => path)).toEqual([]);
    expect(helpOf(program)).toContain('Examples:');
  });

  it('names request fields as kebab-case flags (the words users type)', () => {
    const create = commands.find(({ path }) => path === 'upgrade create')?.command;
    const flags = create?.options.map((option) => option.long) ?? [];
    expect(flags).toEqual(
      expect.arrayContaining([
        '--to-version',
        '--batch-size',
        '--auto-rollback-enabled',
        '--no-auto-rollback-enabled',
        '--project',
        '--body',
      ]),
    );
    const step = commands.find(({ path }) => path === 'upgrade-pipeline step create')?.command;
    expect(step?.registeredArguments.map((argument) => argument.name())).toEqual(['source-service-name', 'destination-service-name']);
    expect(step?.options.map((option) => option.long)).toEqual(
      expect.arrayContaining(['--source-project', '--destination-project', '--auto-validation-delay-days']),
    );
  });
});

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => void (text += chunk), writeErr: (chunk) => void (text += chunk) });
  command.outputHelp();
  return text;
}

describe('completion', () => {
  it('completes commands and flags in bash, from the tree itself', () => {
    const script = completionScript(buildProgram(), 'bash');
    const complete = (...words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _sluice; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete('sluice', 'upg').split(' ')).toEqual(['upgrade', 'upgrade-pipeline']);
    expect(complete('sluice', 'upgrade', 'wa')).toBe('watch');
    expect(complete('sluice', 'upgrade-pipeline', 'step', 'create', '--source-p')).toBe('--source-project');
  });

  it('writes fish completions for every level, and zsh through its bash layer', () => {
    const fish = completionScript(buildProgram(), 'fish');
    expect(fish).toContain("complete -c sluice -n '__fish_use_subcommand' -a");
    expect(fish).toContain("complete -c sluice -n '__fish_seen_subcommand_from upgrade' -a");
    expect(completionScript(buildProgram(), 'zsh')).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n/);
    expect(() => completionScript(buildProgram(), 'tcsh')).toThrow(/bash, zsh or fish/);
  });
});

describe('what watch shows', () => {
  it('draws the instance bar: completed, then failed, then what is left', () => {
    expect(bar(3, 1, 10, 10)).toBe('[###x------]');
    expect(bar(0, 0, 0, 4)).toBe('[----]');
    expect(bar(10, 0, 10, 4)).toBe('[####]');
  });

  it('shows the waiting gate with the command that approves it', () => {
    const lines = upgradeBlock(<never>{
      executionId: 'upg_1',
      project: 'p',
      service: 'web',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      strategy: 'STAGED',
      status: 'IN_PROGRESS',
      completedBatches: 1,
      totalBatches: 2,
      progress: { total: 4, completed: 2, failed: 0 },
      waitingFor: {
        gate: 'stage',
        stage: 'two',
        since: '2026-01-01T00:00:00.000Z',
        timeoutAt: '2026-01-02T00:00:00.000Z',
        onTimeout: 'reject',
      },
    });
    expect(lines[1]).toBe(`batches 1/2   instances [${'#'.repeat(15)}${'-'.repeat(15)}] 2/4`);
    expect(lines[2]).toContain('waiting for approval: stage (stage two)');
    expect(lines[3]).toContain('approve: sluice upgrade approve upg_1');
  });

  it("shows a run's stages and the approval gates that wait", () => {
    const lines = runBlock(<never>{
      runId: 'run_1',
      name: 'r',
      toVersion: '1.1.0',
      status: 'RUNNING',
      counts: { PENDING: 1, WAITING: 0, RUNNING: 1, COMPLETED: 2, FAILED: 0, SKIPPED: 0 },
      stages: [
        {
          name: 'canary',
          status: 'COMPLETED',
          groups: [{ members: [{ status: 'COMPLETED' }, { status: 'COMPLETED' }], beforeGates: [], afterGates: [] }],
          beforeGates: [],
          afterGates: [{ gateId: 'gate-1', type: 'approval', status: 'WAITING' }],
        },
      ],
    });
    expect(lines[1]).toContain('2/4 completed, 1 running');
    expect(lines).toContain('  stage canary: COMPLETED 2/2');
    expect(lines.at(-1)).toContain('sluice run approve run_1 gate-1');
  });

  it('prints an event on one line, its detail compacted', () => {
    const line = eventLine({
      cursor: 'c',
      type: 'PreChecksPassed',
      at: '2026-01-01T12:04:05.000Z',
      actor: 'olga',
      detail: { preChecks: [{ name: 'a' }, { name: 'b' }], note: 'x'.repeat(200), batch: 2 },
    });
    expect(line).toMatch(/^12:04:05 {2}PreChecksPassed {9}preChecks=2 items note=x{79}… batch=2 {2}\(olga\)$/);
  });
});

describe('upgrade-pipeline show', () => {
  const graph = {
    services: [
      { project: 'dev', name: 'db', version: '1.1.0', powered: true, ceilingEnforced: true, exists: true },
      { project: 'prod', name: 'db"x', version: '1.0.0', ceiling: '1.1.0', powered: false, ceilingEnforced: true, exists: true },
    ],
    steps: [
      {
        stepId: 'stp_1',
        sourceProjectName: 'dev',
        sourceServiceName: 'db',
        destinationProjectName: 'prod',
        destinationServiceName: 'db"x',
        autoValidationDelayDays: 2,
      },
    ],
  } as never;

  it('draws a tree from the roots, with the facts of each service and the delay of each step', () => {
    expect(pipelineTree(graph).split('\n')).toEqual(['dev/db  1.1.0', '└── after 2d: prod/db"x  1.0.0, ceiling 1.1.0, powered off']);
  });

  it('writes Mermaid whose labels cannot be broken by a quote in a name', () => {
    expect(pipelineMermaid(graph).split('\n')).toEqual([
      'flowchart LR',
      '  s0["dev/db<br/>1.1.0"]',
      '  s1["prod/db#quot;x<br/>1.0.0, ceiling 1.1.0"]',
      '  s0 -->|"2d"| s1',
    ]);
  });
});

describe('apply', () => {
  it('compares only what the file says: the API adds ids and defaults', () => {
    expect(covers({ id: 'i-0', version: '1.0.0' }, { id: 'i-0' })).toBe(true);
    expect(covers([{ id: 'i-0', version: '1.0.0' }], [{ id: 'i-0' }, { id: 'i-1' }])).toBe(false);
    expect(covers({ tier: 'web', zone: 'a' }, { tier: 'web' })).toBe(true);
    expect(covers({ tier: 'web' }, { tier: 'shop' })).toBe(false);
    expect(covers(undefined, { tier: 'web' })).toBe(false);
  });

  it('prints the plan with a summary', () => {
    expect(
      planText([
        { action: 'create', kind: 'service', key: 'p/a' },
        { action: 'update', kind: 'step', key: 'p/a -> p/b', fields: ['autoValidationDelayDays'] },
        { action: 'unchanged', kind: 'profile', key: 'nightly' },
      ]),
    ).toBe(
      [
        '+ create    service p/a',
        '~ update    step p/a -> p/b (autoValidationDelayDays)',
        '= unchanged profile nightly',
        'Plan: 1 to create, 1 to update, 1 unchanged.',
      ].join('\n'),
    );
    expect(planText([{ action: 'unchanged', kind: 'service', key: 'p/a' }])).toBe('= unchanged service p/a\nNo changes.');
  });
});

describe('output', () => {
  it('renders a list as a table with the columns its resource is known by (the hint of more pages goes to stderr)', () => {
    const text = render(
      {
        items: [
          {
            executionId: 'upg_1',
            project: 'p',
            service: 'web',
            strategy: 'ROLLING',
            status: 'COMPLETED',
            progress: { total: 4, completed: 3, failed: 1 },
          },
        ],
        nextToken: 't',
      },
      'table',
    );
    expect(text.split('\n')).toEqual([
      'EXECUTIONID  PROJECT  SERVICE  STRATEGY  STATUS     PROGRESS',
      'upg_1        p        web      ROLLING   COMPLETED  3/4 (1 failed)',
    ]);
    expect(moreHint({ items: [], nextToken: 't' })).toMatch(/^more: --all/);
    expect(moreHint({ items: [] })).toBeUndefined();
    expect(JSON.parse(render({ a: 1 }, 'json'))).toEqual({ a: 1 });
    expect(render({ a: [1, 2] }, 'yaml')).toBe('a:\n  - 1\n  - 2');
  });
});

describe('where a command goes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-context-'));
  const env = { SLUICE_CONFIG: join(dir, 'config.json') };

  it('--local means this machine: a default profile (perhaps production) lends it no endpoint or token', () => {
    saveProfile('default', { endpoint: 'https://prod.example.com', token: 'prod-token', tenant: 'acme' }, env);
    const local = createContext({ local: true }, { env });
    expect(local.endpoint).toBe(DEFAULT_LOCAL_ENDPOINT);
    expect(local.tenant()).toBe('acme');
    const remote = createContext({}, { env });
    expect(remote.endpoint).toBe('https://prod.example.com');
  });

  it('configure merges into the profile: a field not given stays', () => {
    saveProfile('dev', { local: true, tenant: 't1' }, env);
    saveProfile('dev', { endpoint: 'http://127.0.0.1:4000' }, env);
    expect(readConfig(env).profiles.dev).toEqual({ local: true, tenant: 't1', endpoint: 'http://127.0.0.1:4000' });
  });

  it('refuses what cannot work with a usage error', () => {
    expect(() => createContext({ endpoint: 'ftp://x' }, { env })).toThrow(/http\(s\) URL/);
    expect(() => createContext({ profile: 'nope' }, { env })).toThrow(/no profile nope/);
    expect(() => createContext({ endpoint: 'http://x', output: 'xml' }, { env })).toThrow(/table, json, yaml/);
  });
});
