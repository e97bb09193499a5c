import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/engine/index.js';
import { inTurn, keepsTokenOnceThenFails, type StandIn, throwing, withFlows } from './flow-harness.js';

/**
 * The deployed blue-green.asl.json (and batch.asl.json for green) run as they are on
 * the embedded engine, with stand-in tasks: what is tested is the flow's wiring (which
 * task runs after which answer, the gate and hold tokens, the catches), not the tasks.
 */

/** A gate or hold that must not time out while the test answers it. */
const NEVER = 31_536_000;

/** Green comes up healthy, the gate waits, the switch holds blue for a moment, blue retires. */
const GREEN_UP: Record<string, StandIn> = {
  preChecks: () => ({ passed: true }),
  startBatch: () => ({ pending: 0, intervalSeconds: 1, more: false }),
  finishGreen: () => ({ action: 'gate', gateTimeoutSeconds: NEVER }),
  openGate: () => undefined,
  gatePassed: () => undefined,
  gateRejected: () => undefined,
  switchTraffic: () => ({ scaleDownDelaySeconds: 1 }),
  holdBlue: () => undefined,
  retireBlue: () => ({ action: 'done' }),
  revertGreen: () => undefined,
  park: () => undefined,
  fail: () => undefined,
};

describe('blue-green.asl.json', () => {
  it('brings up green, switches once the gate is approved, holds blue for scaleDownDelaySeconds, then retires blue', async () => {
    await withFlows(GREEN_UP, async (run) => {
      const arn = await run.start('blue-green');
      const gate = await run.called('openGate');
      expect(gate).toMatchObject({ gate: 0, kind: 'traffic-switch', timeoutSeconds: NEVER });
      await run.engine.sendTaskSuccess({ taskToken: gate.taskToken ?? '', output: JSON.stringify({ approvedBy: 'alice' }) });
      const result = await run.finished(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(run.tasks()).toEqual([
        'preChecks',
        'startBatch',
        'finishGreen',
        'openGate',
        'gatePassed',
        'switchTraffic',
        'holdBlue',
        'retireBlue',
      ]);
      expect(await run.called('startBatch')).toMatchObject({ batch: 0 });
      expect(await run.called('gatePassed')).toMatchObject({ gate: 0, output: { approvedBy: 'alice' } });
      expect(await run.called('switchTraffic')).toMatchObject({ to: 'green' });
      expect(await run.entered(arn)).toEqual([
        'PreChecks',
        'DidPreChecksPass',
        'BringUpGreen',
        'FinishGreen',
        'IsGreenReady',
        'SwitchGate',
        'SwitchGatePassed',
        'SwitchToGreen',
        'HoldBlue',
        'RetireBlue',
        'IsUpgradeCompleted',
        'Done',
      ]);
    });
  });

  it('ends at once, with no other task, when the pre-checks did not pass', async () => {
    await withFlows({ ...GREEN_UP, preChecks: () => ({ passed: false }) }, async (run) => {
      const arn = await run.start('blue-green');
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.tasks()).toEqual(['preChecks']);
      expect(await run.entered(arn)).toEqual(['PreChecks', 'DidPreChecksPass', 'Done']);
    });
  });

  it('on a gate rejected through the API, reverts green (traffic never moved) at once: a decision is never retried', async () => {
    await withFlows(
      {
        ...GREEN_UP,
        openGate: keepsTokenOnceThenFails('GateClosed'),
        blueGreenControl: () => ({ action: 'revert', gateTimeoutSeconds: NEVER }),
      },
      async (run) => {
        const arn = await run.start('blue-green');
        const gate = await run.called('openGate');
        // What the API's reject does once the execution is ROLLING_BACK.
        await run.engine.sendTaskFailure({
          taskToken: gate.taskToken ?? '',
          error: 'GateRejected',
          cause: 'Rejected at the traffic-switch gate by bob',
        });
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        // States.TaskFailed would match a rejection too (a wildcard for any error but
        // States.Timeout): the gate's first retrier names the decisions with MaxAttempts 0.
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishGreen',
          'openGate',
          'gateRejected',
          'blueGreenControl',
          'revertGreen',
        ]);
        expect(await run.called('gateRejected')).toMatchObject({ gate: 0, error: { Error: 'GateRejected' } });
        expect((await run.entered(arn)).slice(5)).toEqual([
          'SwitchGate',
          'SwitchGateRejected',
          'DecideNextMove',
          'WhichMove',
          'RevertGreen',
          'Done',
        ]);
      },
    );
  });

  it('on a gate timeout whose outcome is approve, switches traffic without asking DecideNextMove', async () => {
    await withFlows(
      { ...GREEN_UP, finishGreen: () => ({ action: 'gate', gateTimeoutSeconds: 1 }), gateTimedOut: () => ({ action: 'approved' }) },
      async (run) => {
        const arn = await run.start('blue-green');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishGreen',
          'openGate',
          'gateTimedOut',
          'switchTraffic',
          'holdBlue',
          'retireBlue',
        ]);
        expect(await run.called('gateTimedOut')).toMatchObject({ gate: 0 });
        expect((await run.entered(arn)).slice(5, 9)).toEqual([
          'SwitchGate',
          'SwitchGateTimedOut',
          'IsSwitchApprovedOnTimeout',
          'SwitchToGreen',
        ]);
      },
    );
  });

  it('on a gate timeout whose outcome is reject, goes to DecideNextMove, which reverts green', async () => {
    await withFlows(
      {
        ...GREEN_UP,
        finishGreen: () => ({ action: 'gate', gateTimeoutSeconds: 1 }),
        gateTimedOut: () => ({ action: 'rejected' }),
        blueGreenControl: () => ({ action: 'revert', gateTimeoutSeconds: 1 }),
      },
      async (run) => {
        const arn = await run.start('blue-green');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishGreen',
          'openGate',
          'gateTimedOut',
          'blueGreenControl',
          'revertGreen',
        ]);
        expect((await run.entered(arn)).slice(5)).toEqual([
          'SwitchGate',
          'SwitchGateTimedOut',
          'IsSwitchApprovedOnTimeout',
          'DecideNextMove',
          'WhichMove',
          'RevertGreen',
          'Done',
        ]);
      },
    );
  });

  it('paused while holding blue: retires nothing, parks until resumed, then holds blue for another full scaleDownDelaySeconds', async () => {
    const clock = new ManualClock();
    const delayMs = 600_000;
    const standIns = {
      ...GREEN_UP,
      switchTraffic: () => ({ scaleDownDelaySeconds: delayMs / 1000 }),
      // PAUSED when the first delay ends, IN_PROGRESS after the resume.
      retireBlue: inTurn({ action: 'control' }, { action: 'done' }),
      blueGreenControl: inTurn({ action: 'park', gateTimeoutSeconds: NEVER }, { action: 'hold', gateTimeoutSeconds: NEVER }),
    };
    await withFlows(
      standIns,
      async (run) => {
        const arn = await run.start('blue-green');
        const gate = await run.called('openGate');
        await run.engine.sendTaskSuccess({ taskToken: gate.taskToken ?? '', output: '{}' });
        await run.called('holdBlue');
        await clock.advance(delayMs);
        const park = await run.called('park');
        expect(run.tasks().slice(-4)).toEqual(['holdBlue', 'retireBlue', 'blueGreenControl', 'park']);
        // What the API's resume does.
        await run.engine.sendTaskSuccess({ taskToken: park.taskToken ?? '', output: JSON.stringify({ resumedBy: 'alice' }) });
        await run.called('holdBlue', 2);
        await clock.advance(delayMs - 1);
        expect(run.tasks().filter((task) => task === 'retireBlue')).toHaveLength(1);
        await clock.advance(1);
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishGreen',
          'openGate',
          'gatePassed',
          'switchTraffic',
          'holdBlue',
          'retireBlue',
          'blueGreenControl',
          'park',
          'blueGreenControl',
          'holdBlue',
          'retireBlue',
        ]);
        expect((await run.entered(arn)).slice(8)).toEqual([
          'HoldBlue',
          'RetireBlue',
          'IsUpgradeCompleted',
          'DecideNextMove',
          'WhichMove',
          'ParkUntilResumed',
          'DecideNextMove',
          'WhichMove',
          'HoldBlue',
          'RetireBlue',
          'IsUpgradeCompleted',
          'Done',
        ]);
      },
      { clock },
    );
  });

  it('paused before the gate: parks, and once resumed goes back to the traffic-switch gate', async () => {
    await withFlows(
      {
        ...GREEN_UP,
        finishGreen: () => ({ action: 'control', gateTimeoutSeconds: NEVER }),
        blueGreenControl: inTurn({ action: 'park', gateTimeoutSeconds: NEVER }, { action: 'gate', gateTimeoutSeconds: NEVER }),
      },
      async (run) => {
        const arn = await run.start('blue-green');
        const park = await run.called('park');
        await run.engine.sendTaskSuccess({ taskToken: park.taskToken ?? '', output: '{}' });
        const gate = await run.called('openGate');
        expect(gate).toMatchObject({ gate: 0, kind: 'traffic-switch', timeoutSeconds: NEVER });
        await run.engine.sendTaskSuccess({ taskToken: gate.taskToken ?? '', output: '{}' });
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishGreen',
          'blueGreenControl',
          'park',
          'blueGreenControl',
          'openGate',
          'gatePassed',
          'switchTraffic',
          'holdBlue',
          'retireBlue',
        ]);
      },
    );
  });

  it('rolled back while holding blue: the failed hold token switches back (RevertGreen) before the delay ends, blue never retired', async () => {
    await withFlows(
      {
        ...GREEN_UP,
        switchTraffic: () => ({ scaleDownDelaySeconds: NEVER }),
        holdBlue: keepsTokenOnceThenFails('HoldInterrupted'),
        blueGreenControl: () => ({ action: 'revert', gateTimeoutSeconds: NEVER }),
      },
      async (run) => {
        const arn = await run.start('blue-green');
        const gate = await run.called('openGate');
        await run.engine.sendTaskSuccess({ taskToken: gate.taskToken ?? '', output: '{}' });
        const hold = await run.called('holdBlue');
        // What the API's rollback does with the token of a flow holding blue.
        await run.engine.sendTaskFailure({ taskToken: hold.taskToken ?? '', error: 'RollbackRequested', cause: 'bad metrics' });
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        // As at the gate, the rollback's failure of the token is a decision: caught at once, not retried.
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'finishGreen',
          'openGate',
          'gatePassed',
          'switchTraffic',
          'holdBlue',
          'blueGreenControl',
          'revertGreen',
        ]);
        expect((await run.entered(arn)).slice(-5)).toEqual(['HoldBlue', 'DecideNextMove', 'WhichMove', 'RevertGreen', 'Done']);
      },
    );
  });

  it('rolled back before the switch (finishGreen aborts): reverts green without opening the gate or moving traffic', async () => {
    await withFlows({ ...GREEN_UP, finishGreen: () => ({ action: 'abort', gateTimeoutSeconds: NEVER }) }, async (run) => {
      const arn = await run.start('blue-green');
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.tasks()).toEqual(['preChecks', 'startBatch', 'finishGreen', 'revertGreen']);
      expect((await run.entered(arn)).slice(3)).toEqual(['FinishGreen', 'IsGreenReady', 'RevertGreen', 'Done']);
    });
  });

  it('a rollback that came before retiring blue (retireBlue answers rollback) switches back', async () => {
    await withFlows({ ...GREEN_UP, retireBlue: () => ({ action: 'rollback' }) }, async (run) => {
      const arn = await run.start('blue-green');
      const gate = await run.called('openGate');
      await run.engine.sendTaskSuccess({ taskToken: gate.taskToken ?? '', output: '{}' });
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.tasks().slice(-2)).toEqual(['retireBlue', 'revertGreen']);
      expect((await run.entered(arn)).slice(-4)).toEqual(['RetireBlue', 'IsUpgradeCompleted', 'RevertGreen', 'Done']);
    });
  });

  it('when the green child fails after its retries, settles batch 0 with the child error and lets finishGreen judge it', async () => {
    await withFlows(
      {
        ...GREEN_UP,
        startBatch: throwing(new TypeError('the target adapter blew up')),
        settleBatch: () => undefined,
        finishGreen: () => ({ action: 'abort', gateTimeoutSeconds: NEVER }),
      },
      async (run) => {
        const arn = await run.start('blue-green');
        expect((await run.finished(arn)).status).toBe('SUCCEEDED');
        // 1 attempt + 3 retries of States.TaskFailed inside the child.
        expect(run.tasks()).toEqual([
          'preChecks',
          'startBatch',
          'startBatch',
          'startBatch',
          'startBatch',
          'settleBatch',
          'finishGreen',
          'revertGreen',
        ]);
        expect(await run.called('settleBatch')).toMatchObject({ batch: 0, error: { Error: 'States.TaskFailed' } });
        expect((await run.entered(arn)).slice(2, 5)).toEqual(['BringUpGreen', 'SettleGreen', 'FinishGreen']);
      },
    );
  });

  it('when a task keeps throwing, records the error through the fail task and fails the flow (UpgradeFailed)', async () => {
    await withFlows({ ...GREEN_UP, finishGreen: throwing(new RangeError('no such execution')) }, async (run) => {
      const arn = await run.start('blue-green');
      const result = await run.finished(arn);
      expect(result).toMatchObject({ status: 'FAILED', error: 'UpgradeFailed' });
      expect(run.tasks()).toEqual(['preChecks', 'startBatch', 'finishGreen', 'finishGreen', 'finishGreen', 'finishGreen', 'fail']);
      expect(await run.called('fail')).toMatchObject({
        error: { Error: 'RangeError', Cause: expect.stringContaining('no such execution') },
      });
      expect((await run.entered(arn)).slice(-3)).toEqual(['FinishGreen', 'FailUpgrade', 'Failed']);
    });
  });
});
