import { describe, expect, it } from 'vitest';
import type { SfnEngine } from '../../local/engine/index.js';
import { inTurn, type StandIn, withFlows } from './flow-harness.js';

/**
 * An upgrade's child executions are named after it — `<executionId>-b<batch>-<UUID>` for a
 * batch, `-monitor-` and `-rollout-` for the canary's — so the Step Functions console
 * lists them together; the UUID is drawn at each start, as Step Functions draws a name
 * when none is given, so a batch run again (held by a pause) gets a name of its own: a
 * closed execution's name cannot be taken again.
 */
const EXECUTION_ID = 'upg_0mi6k2x3a0f9d8c7b6a5e4d3c';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function childrenOf(engine: SfnEngine, flow: string): Promise<string[]> {
  const { stateMachines } = await engine.listStateMachines({});
  const machine = stateMachines.find((candidate) => candidate.name === `test-${flow}`);
  const { executions } = await engine.listExecutions({ stateMachineArn: machine?.stateMachineArn ?? '' });
  return executions.map((execution) => execution.name).reverse();
}
const shapes = (names: readonly string[]) => names.map((name) => name.replace(UUID, '<uuid>'));

/** What DecideNextMove reads of `control`'s answer. */
const move = (action: string, batch: number) => ({ action, batch, batchDelaySeconds: 0, gate: 0, gateTimeoutSeconds: 60 });
const batchUp = { startBatch: () => ({ pending: 0, intervalSeconds: 1, more: false }) };

describe('child executions', () => {
  it('of a rolling upgrade are named after it and their batch; a held batch run again gets a new name', async () => {
    // Batch 0, batch 1 held by a pause (it runs, begins nothing, and the boundary sees the pause), batch 1 again, done.
    const standIns: Record<string, StandIn> = {
      ...batchUp,
      preChecks: () => ({ passed: true }),
      control: inTurn(...[0, 1, 1].map((batch) => move('run', batch)), move('complete', 2)),
      finishBatch: inTurn({ action: 'continue' }, { action: 'held' }, { action: 'continue' }),
      complete: () => ({ action: 'done' }),
    };
    await withFlows(standIns, async (run) => {
      const arn = await run.start('rolling', { executionId: EXECUTION_ID });
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      const names = await childrenOf(run.engine, 'batch');
      expect(shapes(names)).toEqual([`${EXECUTION_ID}-b0-<uuid>`, `${EXECUTION_ID}-b1-<uuid>`, `${EXECUTION_ID}-b1-<uuid>`]);
      expect(new Set(names).size).toBe(3);
      // Within Step Functions' limits: at most 80 characters of [A-Za-z0-9-_].
      for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    });
  });

  it('of a canary upgrade: its canary batch, its monitor chunks and its rollout', async () => {
    const standIns: Record<string, StandIn> = {
      ...batchUp,
      // The canary flow's, then the rollout child's (rolling), whose pre-checks end it.
      preChecks: inTurn({ passed: true }, { passed: false }),
      finishCanary: () => ({ action: 'monitor' }),
      // Two chunks: the first ends after its 200 checks, the second promotes at its first.
      monitorCanary: inTurn(...Array(200).fill({ decision: 'continue', intervalSeconds: 1 }), { decision: 'promoted', intervalSeconds: 1 }),
    };
    await withFlows(standIns, async (run) => {
      expect((await run.finished(await run.start('canary', { executionId: EXECUTION_ID }))).status).toBe('SUCCEEDED');
      expect(shapes(await childrenOf(run.engine, 'batch'))).toEqual([`${EXECUTION_ID}-b0-<uuid>`]);
      expect(shapes(await childrenOf(run.engine, 'canary-monitor'))).toEqual([
        `${EXECUTION_ID}-monitor-<uuid>`,
        `${EXECUTION_ID}-monitor-<uuid>`,
      ]);
      expect(shapes(await childrenOf(run.engine, 'rolling'))).toEqual([`${EXECUTION_ID}-rollout-<uuid>`]);
    });
  });

  it('of a blue-green upgrade: its green batch', async () => {
    await withFlows(
      { ...batchUp, preChecks: () => ({ passed: true }), finishGreen: () => ({ action: 'stop', gateTimeoutSeconds: 60 }) },
      async (run) => {
        expect((await run.finished(await run.start('blue-green', { executionId: EXECUTION_ID }))).status).toBe('SUCCEEDED');
        expect(shapes(await childrenOf(run.engine, 'batch'))).toEqual([`${EXECUTION_ID}-b0-<uuid>`]);
      },
    );
  });
});
