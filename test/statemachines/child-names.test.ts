import { describe, expect, it } from 'vitest';
import type { SfnEngine } from '../../local/engine/index.js';
import { inTurn, type StandIn, withFlows } from './flow-harness.js';

/**
 * Batch children are named after their upgrade, `<executionId>-b<batch>-<32 hex>` (the MD5
 * of the RunBatch state's entry time), so the Step Functions console lists an upgrade's
 * children together; a batch run again gets a name of its own, as a closed execution's
 * name cannot be taken again.
 */
const EXECUTION_ID = 'upg_0mi6k2x3a0f9d8c7b6a5e4d3c';

async function batchChildren(engine: SfnEngine): Promise<string[]> {
  const { stateMachines } = await engine.listStateMachines({});
  const batch = stateMachines.find((machine) => machine.name === 'test-batch');
  const { executions } = await engine.listExecutions({ stateMachineArn: batch?.stateMachineArn ?? '' });
  return executions.map((execution) => execution.name).reverse();
}

/** What DecideNextMove reads of `control`'s answer. */
const move = (action: string, batch: number) => ({ action, batch, batchDelaySeconds: 0, gate: 0, gateTimeoutSeconds: 60 });

describe('child executions', () => {
  it('of a rolling upgrade are named after it and their batch; a held batch run again gets a new name', async () => {
    // Batch 0, batch 1 held by a pause (it runs, begins nothing, and the boundary sees the pause), batch 1 again, done.
    const standIns: Record<string, StandIn> = {
      preChecks: () => ({ passed: true }),
      control: inTurn(...[0, 1, 1].map((batch) => move('run', batch)), move('complete', 2)),
      startBatch: () => ({ pending: 0, intervalSeconds: 1, more: false }),
      finishBatch: inTurn({ action: 'continue' }, { action: 'held' }, { action: 'continue' }),
      complete: () => ({ action: 'done' }),
    };
    await withFlows(standIns, async (run) => {
      const arn = await run.start('rolling', { executionId: EXECUTION_ID });
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      const names = await batchChildren(run.engine);
      expect(names).toHaveLength(3);
      expect(names.map((name) => name.replace(/[0-9a-f]{32}$/, '<hash>'))).toEqual([
        `${EXECUTION_ID}-b0-<hash>`,
        `${EXECUTION_ID}-b1-<hash>`,
        `${EXECUTION_ID}-b1-<hash>`,
      ]);
      expect(new Set(names).size).toBe(3);
      // Within Step Functions' limits: at most 80 characters of [A-Za-z0-9-_].
      for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    });
  });

  it('of canary and blue-green upgrades are named after them and batch 0', async () => {
    const batchZero = (id: string) => [`${id}-b0-<hash>`];
    const upToBatchZero = { startBatch: () => ({ pending: 0, intervalSeconds: 1, more: false }) };
    // The canaries, then the rollout child (rolling), whose pre-checks end it.
    await withFlows(
      { ...upToBatchZero, preChecks: inTurn({ passed: true }, { passed: false }), finishCanary: () => ({ action: 'rollout' }) },
      async (run) => {
        expect((await run.finished(await run.start('canary', { executionId: EXECUTION_ID }))).status).toBe('SUCCEEDED');
        expect((await batchChildren(run.engine)).map((name) => name.replace(/[0-9a-f]{32}$/, '<hash>'))).toEqual(batchZero(EXECUTION_ID));
      },
    );
    // Green comes up, then the flow sees the execution ended.
    await withFlows(
      { ...upToBatchZero, preChecks: () => ({ passed: true }), finishGreen: () => ({ action: 'stop', gateTimeoutSeconds: 60 }) },
      async (run) => {
        expect((await run.finished(await run.start('blue-green', { executionId: EXECUTION_ID }))).status).toBe('SUCCEEDED');
        expect((await batchChildren(run.engine)).map((name) => name.replace(/[0-9a-f]{32}$/, '<hash>'))).toEqual(batchZero(EXECUTION_ID));
      },
    );
  });
});
