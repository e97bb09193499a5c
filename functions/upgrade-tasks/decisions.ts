/**
 * The decisions of the upgrade flows, as pure functions of an execution's stored state:
 * no I/O, no clock of their own. The task handlers load the execution, ask here what
 * to do, and do it; the unit tests hold every branch without DynamoDB.
 */
import { isTerminal, type Status } from '../domain/status.js';
import type { ExecutionRecord } from '../upgrades/execution.js';

type Facts<K extends keyof ExecutionRecord> = Pick<ExecutionRecord, K>;

/** Where the rolling flow's control step sends the flow next. */
export type ControlAction = 'run' | 'gate' | 'pause' | 'rollback' | 'complete' | 'stop';

/** The batches of the plan; the retry pass, when it runs, is batch number `totalBatches`. */
export const totalBatches = (execution: Facts<'batchBounds'>) => execution.batchBounds.length - 1;

/** Whether a batch number is the final retry pass rather than a batch of the plan. */
export const isRetryPass = (execution: Facts<'batchBounds'>, batch: number) => batch >= totalBatches(execution);

/**
 * Failures below the threshold do not stop the rollout, but COMPLETED means every
 * instance upgraded: after the last batch of the plan, the instances that failed get
 * one more try (the retry pass) before the upgrade completes or fails.
 */
export function retryPassDue(execution: Facts<'batchBounds' | 'completedBatches' | 'failedCount'>): boolean {
  return execution.completedBatches === totalBatches(execution) && execution.failedCount > 0;
}

/**
 * The rolling flow's next move: run the next batch (or the retry pass), pass a STAGED
 * gate first (one after each stage but the last), complete after the last one, or
 * follow a pause, a rollback or the end of the execution.
 */
export function nextMove(
  execution: Facts<'status' | 'strategy' | 'batchBounds' | 'completedBatches' | 'gatesPassed' | 'failedCount'>,
): ControlAction {
  switch (execution.status) {
    case 'IN_PROGRESS': {
      const total = totalBatches(execution);
      const gateDue =
        execution.strategy === 'STAGED' && (execution.gatesPassed ?? 0) < execution.completedBatches && execution.completedBatches < total;
      if (gateDue) return 'gate';
      return execution.completedBatches < total || retryPassDue(execution) ? 'run' : 'complete';
    }
    case 'PAUSED':
      return 'pause';
    case 'ROLLING_BACK':
      return 'rollback';
    default:
      return 'stop';
  }
}

/** The failure threshold rule: the reason it is reached, or `undefined` while it is not. */
export function thresholdBreach(execution: Facts<'failedCount' | 'failureThreshold'>): string | undefined {
  if (execution.failedCount < execution.failureThreshold) return undefined;
  return `${execution.failedCount} instance(s) failed; the failure threshold is ${execution.failureThreshold}`;
}

export type AfterBatch =
  | { readonly action: 'continue' | 'complete' | 'rollback' | 'stop' | 'held' }
  | { readonly action: 'start-rollback' | 'fail'; readonly reason: string };

/**
 * After a batch: follow a rollback or an end that happened meanwhile; a batch that never
 * began (paused before it) is held, to run after the resume; at the threshold, roll
 * back (auto-rollback) or fail; else go on (to the next batch or the retry pass), or
 * complete.
 */
export function afterBatch(
  execution: Facts<'status' | 'failedCount' | 'failureThreshold' | 'autoRollbackEnabled' | 'completedBatches' | 'batchBounds'>,
  batch: { readonly began: boolean },
): AfterBatch {
  if (execution.status === 'ROLLING_BACK') return { action: 'rollback' };
  if (isTerminal(execution.status)) return { action: 'stop' };
  if (!batch.began) return { action: 'held' };
  const breach = thresholdBreach(execution);
  if (breach) return { action: execution.autoRollbackEnabled ? 'start-rollback' : 'fail', reason: breach };
  if (execution.completedBatches < totalBatches(execution) || retryPassDue(execution)) return { action: 'continue' };
  return { action: 'complete' };
}

export type AfterCanaryBatch =
  | { readonly action: 'rollout' | 'monitor' | 'park' | 'rerun' }
  | { readonly action: 'start-rollback' | 'fail'; readonly reason: string };

/**
 * After the canary batch: a failed canary rolls back or fails the upgrade (even while
 * paused); a pause waits for the resume; a canary batch that never began (paused before
 * it) runs now; healthy canaries are monitored.
 */
export function afterCanaryBatch(
  execution: Facts<'status' | 'failedCount' | 'autoRollbackEnabled'>,
  batch: { readonly began: boolean },
): AfterCanaryBatch {
  if (execution.status !== 'CANARY_RUNNING' && execution.status !== 'PAUSED') return { action: 'rollout' };
  if (execution.failedCount > 0) {
    return {
      action: execution.autoRollbackEnabled ? 'start-rollback' : 'fail',
      reason: `${execution.failedCount} canary instance(s) failed`,
    };
  }
  if (execution.status === 'PAUSED') return { action: 'park' };
  return { action: batch.began ? 'monitor' : 'rerun' };
}

/**
 * What the monitor loop does once the execution is no longer CANARY_MONITORING
 * (promoted or rolled back through the API, or ended); `undefined` while it is.
 */
export function canaryMonitorExit(status: Status): 'promoted' | 'rollback' | 'stopped' | undefined {
  if (status === 'CANARY_MONITORING') return undefined;
  if (status === 'IN_PROGRESS') return 'promoted';
  return status === 'ROLLING_BACK' ? 'rollback' : 'stopped';
}

export type CanaryVerdict =
  | { readonly decision: 'continue' | 'promote' }
  | { readonly decision: 'start-rollback' | 'fail'; readonly reason: string };

/**
 * One look at monitored canaries: an unhealthy canary rolls back (auto-rollback) or
 * fails the upgrade; else auto-promotion once its time has passed. `elapsedMs` is the
 * time since monitoring began, already multiplied by the local time scale.
 */
export function canaryVerdict(
  execution: Facts<'autoRollbackEnabled' | 'canaryAutoPromoteSeconds'>,
  observed: { readonly unhealthy: readonly string[]; readonly elapsedMs: number },
): CanaryVerdict {
  if (observed.unhealthy.length > 0) {
    const reason = `canary ${[...observed.unhealthy].sort().join(', ')} unhealthy while monitoring`;
    return { decision: execution.autoRollbackEnabled ? 'start-rollback' : 'fail', reason };
  }
  if (execution.canaryAutoPromoteSeconds !== undefined && observed.elapsedMs >= execution.canaryAutoPromoteSeconds * 1000)
    return { decision: 'promote' };
  return { decision: 'continue' };
}

export type AfterGreen =
  | { readonly action: 'gate' | 'abort' | 'control' | 'stop' }
  | { readonly action: 'start-rollback'; readonly reason: string };

/**
 * After the green batch: wait for the switch gate, or abort on a failed green instance;
 * a pause, or a green batch that never began (paused before it), goes through the
 * control step.
 */
export function afterGreen(execution: Facts<'status' | 'failedCount'>, batch: { readonly began: boolean }): AfterGreen {
  if (execution.status === 'ROLLING_BACK') return { action: 'abort' };
  if (execution.status === 'PAUSED') return { action: 'control' };
  if (execution.status !== 'IN_PROGRESS') return { action: 'stop' };
  if (execution.failedCount > 0)
    return { action: 'start-rollback', reason: `${execution.failedCount} green instance(s) did not come up healthy` };
  return { action: batch.began ? 'gate' : 'control' };
}

export type BlueGreenMove = 'revert' | 'park' | 'bring-up' | 'gate' | 'switch' | 'hold' | 'stop';

/**
 * Where a blue-green flow goes after an interruption: revert on a rollback, park while
 * paused, else back to the phase it was in (bringing green up if it never began, the
 * switch gate, the switch, or holding blue for another scale-down delay).
 */
export function blueGreenMove(execution: Facts<'status' | 'trafficSwitchedAt' | 'gatesPassed' | 'completedBatches'>): BlueGreenMove {
  if (execution.status === 'ROLLING_BACK') return 'revert';
  if (execution.status === 'PAUSED') return 'park';
  if (execution.status !== 'IN_PROGRESS') return 'stop';
  if (execution.completedBatches === 0) return 'bring-up';
  if (execution.trafficSwitchedAt) return 'hold';
  return (execution.gatesPassed ?? 0) >= 1 ? 'switch' : 'gate';
}

/** How long a gate may wait: blue-green's `autoPromotionSeconds` when set, else the gate timeout. */
export const switchGateTimeoutSeconds = (execution: Facts<'autoPromotionSeconds' | 'gateTimeoutSeconds'>) =>
  execution.autoPromotionSeconds ?? execution.gateTimeoutSeconds;
