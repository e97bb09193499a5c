import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withSynthesizedBundles } from './bundle-sizes.js';

/** One function's module init, measured in fresh processes. */
export interface InitFigure {
  readonly name: string;
  readonly bytes?: number;
  /** Best of the runs: what the machine can do when nothing else gets in the way. */
  readonly bestMs: number;
  readonly medianMs: number;
  /** CPU time (user + system) of the best run's process during the import: steadier than wall time on a busy machine. */
  readonly cpuMs: number;
}

export interface InitBenchFigures {
  readonly runs: number;
  /** `import('node:util')` in the same kind of process: the floor every figure stands on. */
  readonly baseline: InitFigure;
  readonly functions: readonly InitFigure[];
  /** Single packages on their own, for reading the functions' figures. */
  readonly packages: readonly InitFigure[];
}

const REPO = resolve(import.meta.dirname, '..');

/** Environment values CloudFormation fills in at deploy time, given plausible stand-ins. */
function standIn(name: string): string {
  if (name.endsWith('_ARN')) return `arn:aws:states:us-east-1:123456789012:stateMachine:${name.toLowerCase()}`;
  if (name.endsWith('_URL')) return 'https://api.example.com';
  return 'bench';
}

/**
 * How long each function's bundle takes to load: the module init Lambda pays on every
 * cold start before the first request. Each bundle from `cdk synth` is imported in a
 * fresh Node process, `runs` times interleaved with a bare built-in import (the
 * baseline), and the best and median kept. The bundles are copied under `.cache/` so
 * the SDK clients they leave to the runtime (decision 0034: all but DynamoDB's, loaded on
 * first use) resolve from the repository's node_modules as from the runtime's in Lambda.
 */
export async function runInitBench({ runs = 9, context = {} as Record<string, string> } = {}): Promise<InitBenchFigures> {
  const work = join(REPO, '.cache', 'init-bench');
  rmSync(work, { recursive: true, force: true });
  try {
    const functions = await withSynthesizedBundles(
      (bundles) =>
        Object.entries(bundles).map(([name, bundle]) => {
          const dir = join(work, name);
          mkdirSync(dir, { recursive: true });
          for (const file of readdirSync(bundle.dir)) copyFileSync(join(bundle.dir, file), join(dir, file));
          const environment: Record<string, string> = { ...bundle.environment };
          return { name, bytes: bundle.bytes, module: pathToFileURL(join(dir, 'index.mjs')).href, environment };
        }),
      context,
    );
    const packages = [
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/lib-dynamodb',
      '@aws-sdk/client-sfn',
      '@aws-sdk/client-scheduler',
      '@aws-sdk/client-cloudwatch',
      'zod',
    ].map((name) => ({ name, module: name, environment: {} as Record<string, string> }));

    const time = (module: string, environment: Record<string, string>, cwd: string) => {
      const script = `const t = performance.now(), u = process.cpuUsage(); await import(${JSON.stringify(module)}); const c = process.cpuUsage(u); process.stdout.write(JSON.stringify([performance.now() - t, (c.user + c.system) / 1000]));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          TABLE_NAME: 'bench',
          ...Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value || standIn(key)])),
          // Lambda starts Node with this; measured as deployed.
          NODE_OPTIONS: environment.NODE_OPTIONS ?? '',
        },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return JSON.parse(out.toString()) as [wallMs: number, cpuMs: number];
    };

    const samples = new Map<string, [number, number][]>();
    const record = (name: string, ms: [number, number]) => samples.set(name, [...(samples.get(name) ?? []), ms]);
    for (let run = 0; run < runs; run += 1) {
      record('node:util', time('node:util', {}, REPO));
      for (const f of functions) record(f.name, time(f.module, f.environment, REPO));
      for (const p of packages) record(p.name, time(p.module, p.environment, REPO));
    }
    const figure = (name: string, bytes?: number): InitFigure => {
      const sorted = [...(samples.get(name) ?? [])].sort((a, b) => a[0] - b[0]);
      const round = (ms: number) => Math.round(ms * 10) / 10;
      return {
        name,
        bytes,
        bestMs: round(sorted[0]?.[0] ?? Number.NaN),
        medianMs: round(sorted[Math.floor(sorted.length / 2)]?.[0] ?? Number.NaN),
        cpuMs: round(sorted[0]?.[1] ?? Number.NaN),
      };
    };
    return {
      runs,
      baseline: figure('node:util'),
      functions: functions.map((f) => figure(f.name, f.bytes)),
      packages: packages.map((p) => figure(p.name)),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await runInitBench({
    runs: Number(process.env.RUNS ?? 9),
    context: process.env.BUNDLE_SDK ? { 'sluice:bundleAwsSdk': 'true' } : {},
  });
  console.log(JSON.stringify(figures, null, 2));
}
