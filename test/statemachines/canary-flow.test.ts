import { describe, expect, it } from 'vitest';
import { inTurn, type StandIn, throwing, withFlows } from './flow-harness.js';

/**
 * The deployed canary.asl.json, with its children as deployed (batch.asl.json for the
 * canaries, canary-monitor.asl.json for monitoring, rolling.asl.json for the rest),
 * run on the embedded engine with stand-in tasks: what is tested is the wiring.
 */

const boundary = (action: string, batch: number) => ({ action, batch, batchDelaySeconds: 1, gate: 0, gateTimeoutSeconds: 60 });

/**
 * Healthy canaries, promoted at the third check; then the rolling child runs batch 1
 * and completes.
 */
const PROMOTED: Record<string, StandIn> = {
  preChecks: () => ({ passed: true }),
  startBatch: () => ({ pending: 0, intervalSeconds: 1, more: false }),
  finishCanary: () => ({ action: 'monitor' }),
  monitorCanary: inTurn(
    { decision: 'continue', intervalSeconds: 1 },
    { decision: 'continue', intervalSeconds: 1 },
    { decision: 'promoted', intervalSeconds: 1 },
  ),
  control: inTurn(boundary('run', 1), boundary('complete', 2)),
  finishBatch: () => ({ action: 'complete' }),
  complete: () => ({ action: 'done' }),
  rollbackBatch: () => ({ remaining: false }),
  finishRollback: () => undefined,
  settleBatch: () => undefined,
  park: () => undefined,
  fail: () => undefined,
};

/** What the rolling child calls to complete after promotion. */
const ROLLOUT = ['preChecks', 'control', 'startBatch', 'finishBatch', 'control', 'complete'];

describe('canary.asl.json', () => {
  it('runs the canaries (batch 0), monitors them until promoted, then hands the rest to the rolling flow', async () => {
    await withFlows(PROMOTED, async (run) => {
      const arn = await run.start('canary');
      const result = await run.finished(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(run.tasks()).toEqual([
        'preChecks',
        'startBatch',
        'finishCanary',
        'monitorCanary',
        'monitorCanary',
        'monitorCanary',
        ...ROLLOUT,
      ]);
      expect(run.calls.filter((call) => call.task === 'startBatch').map((call) => call.batch)).toEqual([0, 1]);
      expect(await run.entered(arn)).toEqual([
        'PreChecks',
        'DidPreChecksPass',
        'RunCanaries',
        'FinishCanary',
        'AreCanariesHealthy',
        'Monitor',
        'IsStillMonitoring',
        'Rollout',
        'Done',
      ]);
    });
  });

  it('ends at once, with no other task, when the pre-checks did not pass', async () => {
    await withFlows({ ...PROMOTED, preChecks: () => ({ passed: false }) }, async (run) => {
      const arn = await run.start('canary');
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.tasks()).toEqual(['preChecks']);
      expect(await run.entered(arn)).toEqual(['PreChecks', 'DidPreChecksPass', 'Done']);
    });
  });

  it('monitors in chunks: after 200 healthy checks it starts a fresh monitor child, until the decision comes', async () => {
    const checks = 250;
    await withFlows(
      { ...PROMOTED, monitorCanary: (_call, nth) => ({ decision: nth < checks ? 'continue' : 'promoted', intervalSeconds: 1 }) },
      async (run) => {
        const arn = await run.start('canary');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks().filter((task) => task === 'monitorCanary')).toHaveLength(checks);
        expect(await run.entered(arn)).toEqual([
          'PreChecks',
          'DidPreChecksPass',
          'RunCanaries',
          'FinishCanary',
          'AreCanariesHealthy',
          'Monitor',
          'IsStillMonitoring',
          'Monitor',
          'IsStillMonitoring',
          'Rollout',
          'Done',
        ]);
      },
    );
  });

  it('with a failed canary (finishCanary already started the rollback), skips monitoring: the rolling child rolls back', async () => {
    await withFlows(
      {
        ...PROMOTED,
        finishCanary: () => ({ action: 'rollout' }),
        control: () => boundary('rollback', 1),
        rollbackBatch: inTurn({ remaining: true }, { remaining: false }),
      },
      async (run) => {
        const arn = await run.start('canary');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishCanary',
          'preChecks',
          'control',
          'rollbackBatch',
          'rollbackBatch',
          'finishRollback',
        ]);
        expect(await run.entered(arn)).toEqual([
          'PreChecks',
          'DidPreChecksPass',
          'RunCanaries',
          'FinishCanary',
          'AreCanariesHealthy',
          'Rollout',
          'Done',
        ]);
      },
    );
  });

  it('rolled back while monitoring: the chunk returns rollback and the rolling child reverts the canaries', async () => {
    await withFlows(
      {
        ...PROMOTED,
        monitorCanary: inTurn({ decision: 'continue', intervalSeconds: 1 }, { decision: 'rollback', intervalSeconds: 1 }),
        control: () => boundary('rollback', 1),
      },
      async (run) => {
        const arn = await run.start('canary');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishCanary',
          'monitorCanary',
          'monitorCanary',
          'preChecks',
          'control',
          'rollbackBatch',
          'finishRollback',
        ]);
        expect((await run.entered(arn)).slice(-4)).toEqual(['Monitor', 'IsStillMonitoring', 'Rollout', 'Done']);
      },
    );
  });

  it('paused after promotion: the rolling child parks on a resume token, and goes on once resumed', async () => {
    await withFlows({ ...PROMOTED, control: inTurn(boundary('pause', 1), boundary('run', 1), boundary('complete', 2)) }, async (run) => {
      const arn = await run.start('canary');
      const park = await run.called('park');
      expect(run.tasks().slice(-3)).toEqual(['preChecks', 'control', 'park']);
      await run.engine.sendTaskSuccess({ taskToken: park.taskToken ?? '', output: JSON.stringify({ resumedBy: 'alice' }) });
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.tasks().slice(6)).toEqual(['preChecks', 'control', 'park', ...ROLLOUT.slice(1)]);
    });
  });

  it('when the canary child fails after its retries, settles batch 0 with the child error and lets finishCanary judge it', async () => {
    await withFlows(
      {
        ...PROMOTED,
        startBatch: throwing(new TypeError('the target adapter blew up')),
        finishCanary: () => ({ action: 'rollout' }),
        control: () => boundary('stop', 1),
      },
      async (run) => {
        const arn = await run.start('canary');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'startBatch',
          'startBatch',
          'startBatch',
          'settleBatch',
          'finishCanary',
          'preChecks',
          'control',
        ]);
        expect(await run.called('settleBatch')).toMatchObject({ batch: 0, error: { Error: 'States.TaskFailed' } });
        expect((await run.entered(arn)).slice(2, 5)).toEqual(['RunCanaries', 'SettleCanaries', 'FinishCanary']);
      },
    );
  });

  it('when a task keeps throwing, records the error through the fail task and fails the flow (UpgradeFailed)', async () => {
    await withFlows({ ...PROMOTED, finishCanary: throwing(new RangeError('no such execution')) }, async (run) => {
      const arn = await run.start('canary');
      expect(await run.finished(arn)).toMatchObject({ status: 'FAILED', error: 'UpgradeFailed' });
      expect(run.tasks()).toEqual(['preChecks', 'startBatch', 'finishCanary', 'finishCanary', 'finishCanary', 'finishCanary', 'fail']);
      expect(await run.called('fail')).toMatchObject({
        error: { Error: 'RangeError', Cause: expect.stringContaining('no such execution') },
      });
      expect((await run.entered(arn)).slice(-3)).toEqual(['FinishCanary', 'FailUpgrade', 'Failed']);
    });
  });
});
