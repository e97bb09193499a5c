import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../cli/build.js';
import { percentile } from './stats.js';

export interface CliBenchFigures {
  readonly runs: number;
  readonly nodeMs: { p50: number; best: number };
  readonly helpMs: { p50: number; best: number };
  readonly bundleKb: number;
}

/**
 * How long `sluice --help` takes to start and answer, against `node -e 0` (Node's own
 * start) in the same run, interleaved so that whatever else the machine does hits both.
 */
export async function runCliBench({ runs = 21 } = {}): Promise<CliBenchFigures> {
  const bundle = await buildCli(join(mkdtempSync(join(tmpdir(), 'sluice-cli-bench-')), 'sluice.mjs'));
  const time = (args: string[]) => {
    const started = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    return performance.now() - started;
  };
  const node: number[] = [];
  const help: number[] = [];
  time([bundle, '--help']);
  for (let run = 0; run < runs; run += 1) {
    node.push(time(['-e', '0']));
    help.push(time([bundle, '--help']));
  }
  const figures = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50) * 10) / 10, best: Math.round((sorted[0] ?? 0) * 10) / 10 };
  };
  const { statSync } = await import('node:fs');
  return { runs, nodeMs: figures(node), helpMs: figures(help), bundleKb: Math.round(statSync(bundle).size / 102.4) / 10 };
}
