import { BUNDLE_BUDGET_BYTES } from '../lib/constructs/sluice-function.js';
import { runApiBench } from './api-bench.js';
import { measureBundleSizes } from './bundle-sizes.js';

/**
 * `npm run bench`: prints every figure the README reports, each against a baseline
 * measured in the same run. Never part of `npm test`: figures, not assertions.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const line = (text = '') => process.stdout.write(`${text}\n`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

line('# Sluice benchmarks');
line(`node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`);
line();

line(`## Lambda bundles (minified ESM, as cdk deploy uploads them; target < ${BUNDLE_BUDGET_BYTES / 1024} kB)`);
for (const [group, bytes] of Object.entries(await measureBundleSizes()))
  line(`  ${group.padEnd(10)} ${kb(bytes)}${bytes < BUNDLE_BUDGET_BYTES ? '' : '  OVER TARGET'}`);
line();

{
  const { runInitBench } = await import('./init-bench.js');
  const f = await runInitBench();
  line(`## Module init per function (each bundle from cdk synth imported in a fresh process, best of ${f.runs}; target <= 80 ms)`);
  line(`  baseline: import('node:util') best ${f.baseline.bestMs} ms, median ${f.baseline.medianMs} ms`);
  line('  function              bundle    best ms  median ms   cpu ms  best / baseline');
  for (const fn of f.functions)
    line(
      `  ${fn.name.padEnd(20)} ${kb(fn.bytes ?? 0).padStart(9)} ${fn.bestMs.toFixed(1).padStart(10)} ${fn.medianMs.toFixed(1).padStart(10)} ${fn.cpuMs.toFixed(1).padStart(8)} ${`${(fn.bestMs / f.baseline.bestMs).toFixed(1)}x`.padStart(16)}${fn.bestMs <= 80 ? '' : '  OVER TARGET'}`,
    );
  line('  single packages, for reading the figures above:');
  for (const p of f.packages) line(`  ${p.name.padEnd(30)} best ${p.bestMs.toFixed(1)} ms (cpu ${p.cpuMs.toFixed(1)} ms)`);
  line();
}

{
  const { runDynamoDbCallsBench } = await import('./ddb-calls-bench.js');
  const rows = await runDynamoDbCallsBench();
  line("## DynamoDB calls per request, every route (one request each, in a state where it succeeds; the invocation's own calls)");
  line('  route                          method status calls  by operation');
  for (const row of rows)
    line(
      `  ${row.route.padEnd(30)} ${row.method.padEnd(6)} ${String(row.status).padStart(6)} ${String(row.calls).padStart(5)}  ${Object.entries(
        row.byOperation,
      )
        .map(([operation, n]) => `${operation} ${n}`)
        .join(', ')}`,
    );
  const reads = rows.filter((row) => row.method === 'GET');
  line(
    `  read routes: at most ${Math.max(...reads.map((row) => row.calls))} calls, ${reads.filter((row) => row.calls <= 2).length} of ${reads.length} at 2 or fewer`,
  );
  line();
}

line('## GET one service: local API vs raw DynamoDB Local GetItem (same run, same DynamoDB Local)');
const api = await runApiBench();
line('  path                 clients  requests   p50 ms   p99 ms    req/s');
const row = (name: string, figures: (typeof api.api)[number]) =>
  line(
    `  ${name.padEnd(20)} ${String(figures.concurrency).padStart(7)} ${String(figures.requests).padStart(9)} ${figures.p50Ms.toFixed(2).padStart(8)} ${figures.p99Ms.toFixed(2).padStart(8)} ${String(figures.requestsPerSecond).padStart(8)}`,
  );
api.api.forEach((figures, index) => {
  const raw = api.rawDynamoDb[index];
  if (raw) row('raw GetItem', raw);
  row('API GET service', figures);
});
line(`  p99 ratio (API / raw) at ${api.api[api.api.length - 1]?.concurrency} clients: ${api.p99Ratio}x (target <= 1.5x)`);
line();

{
  const { runEngineBench } = await import('./engine-bench.js');
  line('## Embedded Step Functions engine');
  for (const [name, value] of Object.entries(await runEngineBench())) line(`  ${name}: ${value}`);
  line();
}

{
  const { runBigBatchBench } = await import('./big-batch-bench.js');
  const figures = await runBigBatchBench();
  line(
    `## A RECREATE of ${figures.instances} instances behind an HTTPS webhook answering after ${figures.latencyMs} ms (maxConcurrentActions 50)`,
  );
  line('  task timeout   wall s   startBatch invocations   longest invocation s   batch child events');
  for (const run of figures.runs)
    line(
      `  ${`${run.timeoutSeconds} s`.padEnd(12)} ${run.wallSeconds.toFixed(1).padStart(8)} ${String(run.invocations).padStart(24)} ${run.longestInvocationSeconds.toFixed(1).padStart(22)} ${String(run.batchEvents).padStart(20)}`,
    );
  const [single, bounded] = figures.runs;
  if (single && bounded) line(`  wall time, bounded / single invocation: ${(bounded.wallSeconds / single.wallSeconds).toFixed(2)}x`);
  line();
}

{
  const { runHistoryBench } = await import('./history-bench.js');
  const figures = await runHistoryBench();
  line('## Execution history of a 10,000-instance ROLLING upgrade (batchSize 50; real ASL files, stand-in tasks)');
  line(`  batches: ${figures.batches}, health polls per batch: ${figures.healthPollsPerBatch}`);
  line(
    `  parent history events: ${figures.parentEvents} of the ${figures.historyLimit} limit (${((figures.parentEvents / figures.historyLimit) * 100).toFixed(1)}%), ${figures.parentEventsPerInstance} per instance`,
  );
  line(`  largest child (one batch) history: ${figures.largestChildEvents} events`);
  line(`  state transitions, parent and children: ${figures.stateTransitions}`);
  line();
}

{
  const { runCanaryMonitoringBench } = await import('./history-bench.js');
  const figures = await runCanaryMonitoringBench();
  line('## A canary monitored for 7 days at 30 s checks, then promoted (real ASL files, stand-in tasks)');
  line(
    `  health checks: ${figures.checks} in ${figures.monitorChildren} monitor chunks (largest chunk history: ${figures.largestChildEvents} events)`,
  );
  line(
    `  canary flow history events: ${figures.parentEvents} of the ${figures.historyLimit} limit (${((figures.parentEvents / figures.historyLimit) * 100).toFixed(1)}%)`,
  );
  line();
}

{
  const { runFleetBench } = await import('./fleet-bench.js');
  const f = await runFleetBench();
  line(
    `## A fleet update run of ${f.members} members (${f.stages} stages × ${f.members / f.stages}, maxConcurrency 25, simulated target) against one ROLLING upgrade of ${f.rollingInstances} instances (batchSize 50)`,
  );
  line(`  run wall time: ${f.wallSeconds.toFixed(1)} s (1000x time)`);
  line(
    `  run parent history events: ${f.runParentEvents} of the ${f.historyLimit} limit (${((f.runParentEvents / f.historyLimit) * 100).toFixed(1)}%); largest stage child: ${f.largestStageEvents}`,
  );
  line(`  ROLLING parent history events: ${f.rollingParentEvents}`);
  line(
    `  state transitions: run flows ${f.runTransitions} (${f.runTransitionsPerMember} per member) vs ROLLING flows ${f.rollingTransitions} (${f.rollingTransitionsPerInstance} per instance): ${(f.runTransitionsPerMember / f.rollingTransitionsPerInstance).toFixed(2)}x`,
  );
  line();
}

{
  const { runFeedBench } = await import('./feed-bench.js');
  const f = await runFeedBench();
  line(`## Events feed: a long poll woken by a new event (${f.rounds} rounds, local stack, poll every ${f.pollMs} ms)`);
  line(`  wake-up after the event's time: p50 ${f.wakeP50Ms} ms, p99 ${f.wakeP99Ms} ms, max ${f.wakeMaxMs} ms (target <= 100 ms)`);
  line(
    `  one read of the feed without a wait (same run): p50 ${f.readP50Ms} ms; wake-up p50 / read p50: ${(f.wakeP50Ms / f.readP50Ms).toFixed(2)}x`,
  );
  line();
}

{
  const { runConsoleBench, consoleBenchLines } = await import('./console-bench.js');
  for (const text of consoleBenchLines(await runConsoleBench())) line(text);
  line();
}

{
  const { runCliBench } = await import('./cli-bench.js');
  const f = await runCliBench();
  line(`## The sluice CLI: start and answer \`--help\` (${f.runs} runs each, interleaved; bundle ${f.bundleKb} kB)`);
  line(`  node -e 0 (baseline): p50 ${f.nodeMs.p50} ms, best ${f.nodeMs.best} ms`);
  line(
    `  sluice --help:        p50 ${f.helpMs.p50} ms, best ${f.helpMs.best} ms (${(f.helpMs.p50 / f.nodeMs.p50).toFixed(2)}x node's own start)`,
  );
  line();
}
