import { ConflictError } from '../common/errors.js';
import { evaluateCondition, formatPath, parseCondition } from '../common/json-condition.js';
import type { UpgradeEventType } from '../domain/event-types.js';
import { alarmsInAlarm } from '../upgrades/alarm-states.js';
import type { ExecutionRecord, GateTrigger, OnAlarm } from '../upgrades/execution.js';
import type { TaskContext } from './context.js';

/** A gate that tripped: which, why (for rollbackInfo and the timeline), and its event. */
export interface Trip {
  readonly reason: GateTrigger['reason'];
  readonly detail: string;
  readonly event: UpgradeEventType;
  readonly eventDetail: Record<string, unknown>;
}

const EVENT_OF: Record<GateTrigger['reason'], UpgradeEventType> = {
  alarm: 'AlarmTriggered',
  analysis: 'AnalysisFailed',
  'progress-deadline': 'ProgressDeadlineExceeded',
};

/** What a tripped gate did: the onAlarm action, or `held` (a monitored canary's promotion withheld), or nothing (the execution had moved on). */
export type TripOutcome = OnAlarm | 'held' | 'none';

/**
 * The alarm and metric gates of the flows (docs/architecture.md#alarm-and-metric-gates):
 * which watched alarms are in ALARM, whether the progress deadline passed, one
 * measurement of the metric analysis, and the onAlarm action once one of them trips.
 */
export function makeGates(ctx: TaskContext) {
  const { upgrades, clock } = ctx.deps;
  const scale = () => ctx.deps.timeScale;

  /** The watched alarms now in ALARM (none watched: none). A DescribeAlarms failure throws: the task's retries apply. */
  const firingAlarms = async (execution: ExecutionRecord): Promise<string[]> => {
    if (!execution.alarms || execution.alarms.length === 0) return [];
    if (!ctx.deps.alarms) throw new Error('The upgrade watches CloudWatch alarms but the task function has no alarms client');
    return alarmsInAlarm(ctx.deps.alarms, execution.alarms);
  };

  const alarmTrip = (alarms: readonly string[], where: string): Trip => ({
    reason: 'alarm',
    detail: `alarm ${alarms.join(', ')} in ALARM ${where}`,
    event: 'AlarmTriggered',
    eventDetail: { alarms, where },
  });

  /**
   * The progress deadline: no batch finished within progressDeadlineSeconds of the last
   * one (or of the rollout's start), not counting waits for a person (a pause, a gate,
   * canary monitoring), which end at `waitEndedAt`.
   */
  const deadlineTrip = (execution: ExecutionRecord, where: string): Trip | undefined => {
    const seconds = execution.progressDeadlineSeconds;
    if (seconds === undefined) return undefined;
    const since = Math.max(
      Date.parse(execution.lastBatchFinishedAt ?? execution.startedAt ?? execution.createdAt),
      execution.waitEndedAt ? Date.parse(execution.waitEndedAt) : 0,
    );
    const elapsedMs = (clock.now().getTime() - since) * scale();
    if (elapsedMs < seconds * 1000) return undefined;
    return {
      reason: 'progress-deadline',
      detail: `progress-deadline: no batch finished within ${seconds}s`,
      event: 'ProgressDeadlineExceeded',
      eventDetail: { seconds, where, since: new Date(since).toISOString() },
    };
  };

  /**
   * Acts on a tripped gate by the execution's onAlarm: `rollback` takes the rollback path,
   * `pause` pauses (resume continues and checks again), `fail` fails. The trigger goes to
   * `rollbackInfo.trigger` and, as its own event, to the timeline. CANARY_MONITORING has
   * no PAUSED edge: there `pause` withholds the auto-promotion instead (`promotionHeld`).
   */
  const trip = async (execution: ExecutionRecord, tripped: Trip): Promise<TripOutcome> => {
    const action = execution.onAlarm ?? 'rollback';
    const status = execution.status;
    if (!['IN_PROGRESS', 'CANARY_RUNNING', 'CANARY_MONITORING'].includes(status)) return 'none';
    const gateTrigger: GateTrigger = { reason: tripped.reason, detail: tripped.detail, action, at: clock.now().toISOString() };
    const ids = { tenantId: execution.tenantId, executionId: execution.executionId };
    try {
      if (action === 'pause' && status === 'CANARY_MONITORING') {
        if (execution.promotionHeld === tripped.reason) return 'held';
        await upgrades.update(ids.tenantId, ids.executionId, { gateTrigger, promotionHeld: tripped.reason }, { whileStatus: [status] });
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: EVENT_OF[tripped.reason],
          actor: 'sluice',
          detail: { ...tripped.eventDetail, reason: tripped.detail, action: 'pause', held: 'auto-promotion withheld while monitoring' },
        });
        return 'held';
      }
      // Recorded while the status still holds, so a task retried after the action finds it moved and trips nothing twice.
      await upgrades.update(ids.tenantId, ids.executionId, { gateTrigger }, { whileStatus: [status] });
      await upgrades.appendEvent(ids.tenantId, ids.executionId, {
        type: EVENT_OF[tripped.reason],
        actor: 'sluice',
        detail: { ...tripped.eventDetail, reason: tripped.detail, action },
      });
      if (action === 'pause') {
        await upgrades.transition(ids.tenantId, ids.executionId, {
          from: [status],
          to: 'PAUSED',
          set: { pausedFrom: status === 'CANARY_RUNNING' ? 'CANARY_RUNNING' : 'IN_PROGRESS', statusReason: tripped.detail },
          event: { type: 'UpgradePaused', actor: 'sluice', detail: { reason: tripped.detail, takesEffect: 'at the next batch boundary' } },
        });
        return 'pause';
      }
      if (action === 'rollback') {
        let current = execution;
        if (status === 'CANARY_RUNNING') {
          // The table reaches ROLLING_BACK from CANARY_MONITORING only: record the hop.
          current = await upgrades.transition(ids.tenantId, ids.executionId, {
            from: ['CANARY_RUNNING'],
            to: 'CANARY_MONITORING',
            event: { type: 'CanaryMonitoringEnded', actor: 'sluice', detail: { reason: tripped.detail } },
          });
        }
        await ctx.startRollback(current, tripped.detail);
        return 'rollback';
      }
      let current = execution;
      if (status === 'CANARY_MONITORING') {
        // The table has no CANARY_MONITORING -> FAILED edge: pass through IN_PROGRESS, on record.
        current = await upgrades.transition(ids.tenantId, ids.executionId, {
          from: ['CANARY_MONITORING'],
          to: 'IN_PROGRESS',
          event: { type: 'CanaryMonitoringEnded', actor: 'sluice', detail: { reason: tripped.detail } },
        });
      }
      await ctx.failExecution(current, tripped.detail);
      return 'fail';
    } catch (error) {
      // Paused, cancelled or rolled back through the API meanwhile: that decision stands.
      if (error instanceof ConflictError) return 'none';
      throw error;
    }
  };

  /** Before a batch: a watched alarm in ALARM, or the progress deadline passed. */
  const beforeBatch = async (execution: ExecutionRecord, batch: number): Promise<TripOutcome> => {
    const alarms = await firingAlarms(execution);
    if (alarms.length > 0) return trip(execution, alarmTrip(alarms, `before batch ${batch}`));
    const late = deadlineTrip(execution, `before batch ${batch}`);
    return late ? trip(execution, late) : 'none';
  };

  /** While a batch's health is polled: the progress deadline only (a target that never becomes healthy). */
  const duringBatch = async (execution: ExecutionRecord, batch: number): Promise<TripOutcome> => {
    if (execution.status !== 'IN_PROGRESS' && execution.status !== 'CANARY_RUNNING') return 'none';
    const late = deadlineTrip(execution, `during batch ${batch}`);
    return late ? trip(execution, late) : 'none';
  };

  /** Before the blue-green traffic switch: a watched alarm in ALARM. */
  const beforeSwitch = async (execution: ExecutionRecord): Promise<TripOutcome> => {
    const alarms = await firingAlarms(execution);
    return alarms.length > 0 ? trip(execution, alarmTrip(alarms, 'before the traffic switch')) : 'none';
  };

  /**
   * One measurement of the analysis when one is due (the first at once, then every
   * intervalSeconds, `count` in all). Recorded by a write conditional on the count taken so
   * far, so a retried task counts none twice; the writer that takes the failures past
   * failureLimit trips the gate. Returns the seconds until the next one is due.
   */
  const measure = async (execution: ExecutionRecord): Promise<{ outcome: TripOutcome; nextInSeconds?: number }> => {
    const analysis = execution.analysis;
    if (!analysis || !ctx.deps.metricWebhook) return { outcome: 'none' };
    const taken = execution.analysisTaken ?? 0;
    const failures = (execution.analysisFailed ?? 0) + (execution.analysisInconclusive ?? 0);
    if (taken >= analysis.count || failures > analysis.failureLimit) return { outcome: 'none' };
    const lastAt = execution.analysisLast ? Date.parse(execution.analysisLast.at) : undefined;
    const sinceMs = lastAt === undefined ? Number.POSITIVE_INFINITY : (clock.now().getTime() - lastAt) * scale();
    if (sinceMs < analysis.intervalSeconds * 1000)
      return { outcome: 'none', nextInSeconds: Math.max(1, Math.ceil(analysis.intervalSeconds - sinceMs / 1000)) };

    const parsed = parseCondition(analysis.successCondition);
    const answer = await ctx.deps.metricWebhook.measure(analysis.url);
    const judged = !parsed.ok
      ? ({ outcome: 'inconclusive', detail: `the successCondition does not parse: ${parsed.error}` } as const)
      : answer.kind === 'inconclusive'
        ? ({ outcome: 'inconclusive', detail: answer.detail } as const)
        : evaluateCondition(parsed.condition, answer.json);
    const detail =
      judged.outcome === 'inconclusive'
        ? judged.detail
        : `${parsed.ok ? formatPath(parsed.condition.path) : '$'} = ${JSON.stringify(judged.value)}: ${analysis.successCondition} ${judged.outcome === 'passed' ? 'holds' : 'does not hold'}`;
    const failed = (execution.analysisFailed ?? 0) + (judged.outcome === 'failed' ? 1 : 0);
    const inconclusive = (execution.analysisInconclusive ?? 0) + (judged.outcome === 'inconclusive' ? 1 : 0);
    let recorded: ExecutionRecord;
    try {
      recorded = await upgrades.update(
        execution.tenantId,
        execution.executionId,
        {
          analysisTaken: taken + 1,
          analysisFailed: failed,
          analysisInconclusive: inconclusive,
          analysisLast: { at: clock.now().toISOString(), outcome: judged.outcome, detail: detail.slice(0, 300) },
        },
        { whileStatus: ['CANARY_MONITORING'], expect: { field: 'analysisTaken', value: taken === 0 ? undefined : taken } },
      );
    } catch (error) {
      // Another attempt of this task recorded measurement `taken` first, or monitoring ended.
      if (error instanceof ConflictError) return { outcome: 'none' };
      throw error;
    }
    if (failed + inconclusive > analysis.failureLimit) {
      const tripped: Trip = {
        reason: 'analysis',
        detail: `analysis: ${failed} failed and ${inconclusive} inconclusive of ${taken + 1} measurements; failureLimit is ${analysis.failureLimit}`,
        event: 'AnalysisFailed',
        eventDetail: { failed, inconclusive, taken: taken + 1, failureLimit: analysis.failureLimit, last: detail.slice(0, 300) },
      };
      return { outcome: await trip(recorded, tripped) };
    }
    return { outcome: 'none', ...(taken + 1 < analysis.count ? { nextInSeconds: analysis.intervalSeconds } : {}) };
  };

  /** Whether the analysis still stands between the canary and its auto-promotion (measurements left, or failed). */
  const analysisPending = (execution: ExecutionRecord): boolean => {
    const analysis = execution.analysis;
    if (!analysis) return false;
    const failures = (execution.analysisFailed ?? 0) + (execution.analysisInconclusive ?? 0);
    return failures > analysis.failureLimit || (execution.analysisTaken ?? 0) < analysis.count;
  };

  return { firingAlarms, alarmTrip, deadlineTrip, trip, beforeBatch, duringBatch, beforeSwitch, measure, analysisPending };
}

export type Gates = ReturnType<typeof makeGates>;
