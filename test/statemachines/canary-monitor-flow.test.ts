import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/engine/index.js';
import { inTurn, throwing, withFlows } from './flow-harness.js';

/**
 * The deployed canary-monitor.asl.json, one chunk of canary monitoring, run as it is
 * on the embedded engine with a stand-in monitorCanary task. The canary flow starts
 * it with `checks: 0`, as these tests do.
 */

const healthy = { decision: 'continue', intervalSeconds: 1 };

describe('canary-monitor.asl.json', () => {
  it('checks the canaries until a check decides something else than continue, and returns that decision', async () => {
    await withFlows({ monitorCanary: inTurn(healthy, healthy, { decision: 'promoted', intervalSeconds: 1 }) }, async (run) => {
      const arn = await run.start('canary-monitor', { checks: 0 });
      const result = await run.finished(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(JSON.parse(result.output ?? 'null')).toEqual({ decision: 'promoted' });
      expect(run.tasks()).toEqual(['monitorCanary', 'monitorCanary', 'monitorCanary']);
      expect(run.calls[0]).toEqual({ task: 'monitorCanary', tenantId: 't', executionId: 'e' });
      expect(await run.entered(arn)).toEqual([
        'CheckCanaries',
        'IsChunkOver',
        'CountCheck',
        'WaitForNextCheck',
        'CheckCanaries',
        'IsChunkOver',
        'CountCheck',
        'WaitForNextCheck',
        'CheckCanaries',
        'IsChunkOver',
        'ReturnDecision',
      ]);
    });
  });

  it.each(['promoted', 'rollback', 'stopped'])('ends the chunk at the first check that decides %s', async (decision) => {
    await withFlows({ monitorCanary: () => ({ decision, intervalSeconds: 1 }) }, async (run) => {
      const arn = await run.start('canary-monitor', { checks: 0 });
      const result = await run.finished(arn);
      expect(JSON.parse(result.output ?? 'null')).toEqual({ decision });
      expect(run.tasks()).toEqual(['monitorCanary']);
      expect(await run.entered(arn)).toEqual(['CheckCanaries', 'IsChunkOver', 'ReturnDecision']);
    });
  });

  it('ends a chunk after exactly 200 checks while the canaries stay healthy, returning continue for the parent to start the next', async () => {
    await withFlows({ monitorCanary: () => healthy }, async (run) => {
      const arn = await run.start('canary-monitor', { checks: 0 });
      const result = await run.finished(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(JSON.parse(result.output ?? 'null')).toEqual({ decision: 'continue' });
      expect(run.tasks()).toHaveLength(200);
      const entered = await run.entered(arn);
      expect(entered.filter((state) => state === 'WaitForNextCheck')).toHaveLength(199);
      expect(entered.slice(-3)).toEqual(['CheckCanaries', 'IsChunkOver', 'ReturnDecision']);
    });
  });

  it('waits intervalSeconds (as the last check answered) between two checks', async () => {
    const clock = new ManualClock();
    await withFlows(
      {
        monitorCanary: inTurn(
          { decision: 'continue', intervalSeconds: 30 },
          { decision: 'continue', intervalSeconds: 5 },
          { decision: 'rollback', intervalSeconds: 5 },
        ),
      },
      async (run) => {
        const arn = await run.start('canary-monitor', { checks: 0 });
        await run.called('monitorCanary');
        await clock.advance(29_999);
        expect(run.tasks()).toHaveLength(1);
        await clock.advance(1);
        await run.called('monitorCanary', 2);
        await clock.advance(4_999);
        expect(run.tasks()).toHaveLength(2);
        await clock.advance(1);
        await run.called('monitorCanary', 3);
        expect(JSON.parse((await run.finished(arn)).output ?? 'null')).toEqual({ decision: 'rollback' });
      },
      { clock },
    );
  });

  it('fails the chunk (no Catch: the parent handles it) when the check keeps throwing after its retries', async () => {
    await withFlows({ monitorCanary: throwing(new TypeError('the target adapter blew up')) }, async (run) => {
      const arn = await run.start('canary-monitor', { checks: 0 });
      const result = await run.finished(arn);
      expect(result).toMatchObject({ status: 'FAILED', error: 'TypeError' });
      // 1 attempt + 3 retries of States.TaskFailed.
      expect(run.tasks()).toEqual(['monitorCanary', 'monitorCanary', 'monitorCanary', 'monitorCanary']);
    });
  });
});
