import { describe, expect, it } from 'vitest';
import type { Status } from '../../functions/domain/status.js';
import {
  afterBatch,
  afterCanaryBatch,
  afterGreen,
  blueGreenMove,
  canaryMonitorExit,
  canaryVerdict,
  nextMove,
  switchGateTimeoutSeconds,
  thresholdBreach,
} from '../../functions/upgrade-tasks/decisions.js';

/** Three batches: [0,2), [2,4), [4,5). */
const rolling = {
  status: 'IN_PROGRESS' as Status,
  strategy: 'ROLLING' as const,
  batchBounds: [0, 2, 4, 5],
  completedBatches: 0,
  gatesPassed: 0,
  failedCount: 0,
};

describe("nextMove (the rolling flow's control step)", () => {
  it.each([
    ['runs the first batch', {}, 'run'],
    ['runs the last batch', { completedBatches: 2 }, 'run'],
    ['completes after the last batch', { completedBatches: 3 }, 'complete'],
    ['parks while paused', { status: 'PAUSED' }, 'pause'],
    ['rolls back while rolling back', { status: 'ROLLING_BACK' }, 'rollback'],
    ['stops once cancelled', { status: 'CANCELLED' }, 'stop'],
    ['stops once failed', { status: 'FAILED', completedBatches: 3 }, 'stop'],
    ['STAGED: a gate after a stage that has not passed one', { strategy: 'STAGED', completedBatches: 1 }, 'gate'],
    ['STAGED: the next stage once its gate passed', { strategy: 'STAGED', completedBatches: 1, gatesPassed: 1 }, 'run'],
    ['STAGED: no gate after the last stage', { strategy: 'STAGED', completedBatches: 3, gatesPassed: 2 }, 'complete'],
    ['STAGED: no gate before the first stage', { strategy: 'STAGED' }, 'run'],
    ['ROLLING: no gates between batches', { completedBatches: 1 }, 'run'],
    ['runs the retry pass after the last batch when instances failed', { completedBatches: 3, failedCount: 1 }, 'run'],
    ['completes after the retry pass, whatever it left failed', { completedBatches: 4, failedCount: 1 }, 'complete'],
    ['STAGED: no gate before the retry pass', { strategy: 'STAGED', completedBatches: 3, gatesPassed: 2, failedCount: 1 }, 'run'],
  ] as const)('%s', (_name, change, expected) => {
    expect(nextMove({ ...rolling, ...change })).toBe(expected);
  });
});

describe('the failure threshold rule', () => {
  const base = { ...rolling, failedCount: 0, failureThreshold: 2, autoRollbackEnabled: false, completedBatches: 1 };

  it('is not reached below the threshold', () => {
    expect(thresholdBreach({ failedCount: 1, failureThreshold: 2 })).toBeUndefined();
  });

  it('is reached at the threshold, with the counts in the reason', () => {
    expect(thresholdBreach({ failedCount: 2, failureThreshold: 2 })).toBe('2 instance(s) failed; the failure threshold is 2');
  });

  it.each([
    ['goes on below the threshold', { failedCount: 1 }, { action: 'continue' }],
    ['completes after the last batch', { completedBatches: 3 }, { action: 'complete' }],
    [
      'fails at the threshold without auto-rollback',
      { failedCount: 2 },
      { action: 'fail', reason: '2 instance(s) failed; the failure threshold is 2' },
    ],
    [
      'rolls back at the threshold with auto-rollback',
      { failedCount: 3, autoRollbackEnabled: true },
      { action: 'start-rollback', reason: '3 instance(s) failed; the failure threshold is 2' },
    ],
    ['follows a rollback started meanwhile, whatever the counts', { status: 'ROLLING_BACK', failedCount: 5 }, { action: 'rollback' }],
    ['stops once the execution ended', { status: 'CANCELLED', failedCount: 5 }, { action: 'stop' }],
    [
      'applies the threshold while paused too',
      { status: 'PAUSED', failedCount: 2 },
      { action: 'fail', reason: '2 instance(s) failed; the failure threshold is 2' },
    ],
  ] as const)('after a batch: %s', (_name, change, expected) => {
    expect(afterBatch({ ...base, ...change }, { began: true })).toEqual(expected);
  });
});

describe('a batch held by a pause', () => {
  const base = { ...rolling, failureThreshold: 2, autoRollbackEnabled: false, completedBatches: 1 };

  it('is held (not counted, run again after the resume) when it never began', () => {
    expect(afterBatch({ ...base, status: 'PAUSED' }, { began: false })).toEqual({ action: 'held' });
    expect(afterBatch({ ...base, status: 'IN_PROGRESS' }, { began: false })).toEqual({ action: 'held' });
  });

  it('gives way to a rollback or an end that came meanwhile', () => {
    expect(afterBatch({ ...base, status: 'ROLLING_BACK' }, { began: false })).toEqual({ action: 'rollback' });
    expect(afterBatch({ ...base, status: 'CANCELLED' }, { began: false })).toEqual({ action: 'stop' });
  });

  it('parks a canary paused before its judgement, and runs a canary batch that never began', () => {
    const canary = { failedCount: 0, autoRollbackEnabled: false };
    expect(afterCanaryBatch({ ...canary, status: 'PAUSED' }, { began: true })).toEqual({ action: 'park' });
    expect(afterCanaryBatch({ ...canary, status: 'PAUSED' }, { began: false })).toEqual({ action: 'park' });
    expect(afterCanaryBatch({ ...canary, status: 'CANARY_RUNNING' }, { began: false })).toEqual({ action: 'rerun' });
  });

  it('rolls back a failed canary even while paused', () => {
    expect(afterCanaryBatch({ status: 'PAUSED', failedCount: 1, autoRollbackEnabled: true }, { began: true })).toEqual({
      action: 'start-rollback',
      reason: '1 canary instance(s) failed',
    });
  });

  it('brings green up after the resume when the pause came before it began', () => {
    expect(afterGreen({ status: 'IN_PROGRESS', failedCount: 0 }, { began: false })).toEqual({ action: 'control' });
    expect(blueGreenMove({ status: 'IN_PROGRESS', completedBatches: 0, gatesPassed: 0 })).toBe('bring-up');
  });
});

describe('CANARY decisions', () => {
  it.each([
    ['monitors healthy canaries', { status: 'CANARY_RUNNING', failedCount: 0, autoRollbackEnabled: false }, { action: 'monitor' }],
    [
      'fails on a failed canary without auto-rollback',
      { status: 'CANARY_RUNNING', failedCount: 1, autoRollbackEnabled: false },
      { action: 'fail', reason: '1 canary instance(s) failed' },
    ],
    [
      'rolls back a failed canary with auto-rollback',
      { status: 'CANARY_RUNNING', failedCount: 2, autoRollbackEnabled: true },
      { action: 'start-rollback', reason: '2 canary instance(s) failed' },
    ],
    [
      'hands over to the rollout once no longer CANARY_RUNNING',
      { status: 'CANCELLED', failedCount: 1, autoRollbackEnabled: true },
      { action: 'rollout' },
    ],
  ] as const)('after the canary batch: %s', (_name, execution, expected) => {
    expect(afterCanaryBatch({ ...execution, status: execution.status as Status }, { began: true })).toEqual(expected);
  });

  it.each([
    ['CANARY_MONITORING', undefined],
    ['IN_PROGRESS', 'promoted'],
    ['ROLLING_BACK', 'rollback'],
    ['CANCELLED', 'stopped'],
    ['PAUSED', 'stopped'],
  ] as const)('the monitor loop, seeing %s, exits with %s', (status, expected) => {
    expect(canaryMonitorExit(status)).toBe(expected);
  });

  it('rolls back on an unhealthy canary with auto-rollback, naming the canaries in order', () => {
    expect(
      canaryVerdict({ autoRollbackEnabled: true, canaryAutoPromoteSeconds: 60 }, { unhealthy: ['i-3', 'i-1'], elapsedMs: 120_000 }),
    ).toEqual({
      decision: 'start-rollback',
      reason: 'canary i-1, i-3 unhealthy while monitoring',
    });
  });

  it('fails on an unhealthy canary without auto-rollback, even once auto-promotion is due', () => {
    expect(canaryVerdict({ autoRollbackEnabled: false, canaryAutoPromoteSeconds: 60 }, { unhealthy: ['i-2'], elapsedMs: 120_000 })).toEqual(
      {
        decision: 'fail',
        reason: 'canary i-2 unhealthy while monitoring',
      },
    );
  });

  it('promotes healthy canaries once canaryAutoPromoteSeconds passed, not before', () => {
    const execution = { autoRollbackEnabled: false, canaryAutoPromoteSeconds: 60 };
    expect(canaryVerdict(execution, { unhealthy: [], elapsedMs: 59_999 })).toEqual({ decision: 'continue' });
    expect(canaryVerdict(execution, { unhealthy: [], elapsedMs: 60_000 })).toEqual({ decision: 'promote' });
  });

  it('keeps monitoring without auto-promotion however long it runs', () => {
    expect(
      canaryVerdict({ autoRollbackEnabled: false, canaryAutoPromoteSeconds: undefined }, { unhealthy: [], elapsedMs: 7 * 86_400_000 }),
    ).toEqual({ decision: 'continue' });
  });
});

describe('BLUE_GREEN decisions', () => {
  it.each([
    ['waits at the switch gate when green is healthy', { status: 'IN_PROGRESS', failedCount: 0 }, { action: 'gate' }],
    [
      'aborts when a green instance failed',
      { status: 'IN_PROGRESS', failedCount: 1 },
      { action: 'start-rollback', reason: '1 green instance(s) did not come up healthy' },
    ],
    ['reverts when a rollback came first', { status: 'ROLLING_BACK', failedCount: 0 }, { action: 'abort' }],
    ['goes through control while paused', { status: 'PAUSED', failedCount: 1 }, { action: 'control' }],
    ['stops once ended', { status: 'CANCELLED', failedCount: 0 }, { action: 'stop' }],
  ] as const)('after green: %s', (_name, execution, expected) => {
    expect(afterGreen({ ...execution, status: execution.status as Status }, { began: true })).toEqual(expected);
  });

  it.each([
    [
      'reverts while rolling back, even after the switch',
      { status: 'ROLLING_BACK', trafficSwitchedAt: '2026-01-01T00:00:00Z', gatesPassed: 1 },
      'revert',
    ],
    ['parks while paused', { status: 'PAUSED', gatesPassed: 1 }, 'park'],
    ['returns to the gate before it passed', { status: 'IN_PROGRESS', gatesPassed: 0 }, 'gate'],
    ['returns to the switch once the gate passed', { status: 'IN_PROGRESS', gatesPassed: 1 }, 'switch'],
    [
      'returns to holding blue once traffic moved',
      { status: 'IN_PROGRESS', trafficSwitchedAt: '2026-01-01T00:00:00Z', gatesPassed: 1 },
      'hold',
    ],
    ['stops once ended', { status: 'COMPLETED', trafficSwitchedAt: '2026-01-01T00:00:00Z' }, 'stop'],
  ] as const)('after an interruption: %s', (_name, execution, expected) => {
    expect(blueGreenMove({ completedBatches: 1, ...execution, status: execution.status as Status })).toBe(expected);
  });

  it('waits autoPromotionSeconds at the switch gate when set, else the gate timeout', () => {
    expect(switchGateTimeoutSeconds({ autoPromotionSeconds: 30, gateTimeoutSeconds: 3600 })).toBe(30);
    expect(switchGateTimeoutSeconds({ autoPromotionSeconds: undefined, gateTimeoutSeconds: 3600 })).toBe(3600);
  });
});
