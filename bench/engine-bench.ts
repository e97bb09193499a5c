/**
 * Throughput of the embedded Step Functions engine. Prints figures and a
 * ratio against a baseline measured in the same run (one execution of the
 * 10-state flow at a time); it asserts nothing.
 *
 * Run: npx tsx bench/engine-bench.ts
 */
import { pathToFileURL } from 'node:url';
import { createEngine, type SfnEngine } from '../local/engine/index.js';

const MAP_ITEMS = 1000;
const CONCURRENT = 100;
const FLOW_STATES = 10;

function tenStateFlow(): string {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < FLOW_STATES; i += 1) {
    states[`S${i}`] =
      i === FLOW_STATES - 1
        ? { Type: 'Pass', End: true }
        : { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: `S${i + 1}` };
  }
  return JSON.stringify({ StartAt: 'S0', States: states });
}

const mapFlow = JSON.stringify({
  StartAt: 'M',
  States: {
    M: {
      Type: 'Map',
      MaxConcurrency: 0,
      ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'v.$': '$' }, End: true } } },
      End: true,
    },
  },
});

async function transitions(engine: SfnEngine, executionArn: string): Promise<number> {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await engine.getExecutionHistory({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    count += page.events.filter((e) => e.type.endsWith('StateEntered')).length;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return count;
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
}

/** Runs the benchmark and returns its figures. */
export async function runEngineBench(): Promise<Record<string, number | string>> {
  const engine = await createEngine();
  const heapBefore = heapMb();

  // Map of 1,000 Pass iterations.
  const map = await engine.createStateMachine({ name: 'bench-map', definition: mapFlow });
  const items = JSON.stringify(Array.from({ length: MAP_ITEMS }, (_, i) => ({ i })));
  let t = performance.now();
  const mapRun = await engine.startExecution({ stateMachineArn: map.stateMachineArn, input: items });
  const mapDone = await engine.waitForExecution(mapRun.executionArn);
  const mapMs = performance.now() - t;
  const mapTransitions = await transitions(engine, mapRun.executionArn);

  // Baseline: the 10-state flow, one execution at a time.
  const flow = await engine.createStateMachine({ name: 'bench-flow', definition: tenStateFlow() });
  t = performance.now();
  let baselineTransitions = 0;
  for (let i = 0; i < CONCURRENT; i += 1) {
    const { executionArn } = await engine.startExecution({ stateMachineArn: flow.stateMachineArn, name: `seq-${i}`, input: '{"n":0}' });
    await engine.waitForExecution(executionArn);
    baselineTransitions += FLOW_STATES;
  }
  const baselineMs = performance.now() - t;

  // 100 concurrent executions of the 10-state flow.
  t = performance.now();
  const started = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      engine.startExecution({ stateMachineArn: flow.stateMachineArn, name: `par-${i}`, input: '{"n":0}' }),
    ),
  );
  const finished = await Promise.all(started.map((s) => engine.waitForExecution(s.executionArn)));
  const concurrentMs = performance.now() - t;
  let concurrentTransitions = 0;
  for (const s of started) concurrentTransitions += await transitions(engine, s.executionArn);

  const heapAfter = heapMb();
  await engine.close();

  const perSecond = (n: number, ms: number): number => Math.round((n / ms) * 1000);
  const concurrentRate = perSecond(concurrentTransitions, concurrentMs);
  const baselineRate = perSecond(baselineTransitions, baselineMs);
  return {
    mapStatus: mapDone.status,
    mapTransitions,
    mapMs: Math.round(mapMs),
    mapTransitionsPerSecond: perSecond(mapTransitions, mapMs),
    concurrentStatus: finished.every((f) => f.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED',
    concurrentTransitions,
    concurrentMs: Math.round(concurrentMs),
    concurrentTransitionsPerSecond: concurrentRate,
    baselineSequentialTransitionsPerSecond: baselineRate,
    concurrentVsSequentialRatio: Math.round((concurrentRate / baselineRate) * 100) / 100,
    heapUsedBeforeMb: heapBefore,
    heapUsedAfterMb: heapAfter,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await runEngineBench();
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(40)} ${v}`);
}
