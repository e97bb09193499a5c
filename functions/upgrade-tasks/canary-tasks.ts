import { ConflictError } from '../common/errors.js';
import type { ExecutionRecord, InstanceRecord } from '../upgrades/execution.js';
import { forEachLimited, type Ids, INSTANCE_CONCURRENCY, type TaskContext } from './context.js';
import { afterCanaryBatch, canaryMonitorExit, canaryVerdict } from './decisions.js';
import { makeGates } from './gates.js';

/** CANARY: the verdict on the canary batch, then monitoring until promotion or rollback. */
export function makeCanaryTasks(ctx: TaskContext) {
  const { upgrades, clock } = ctx.deps;
  const gates = makeGates(ctx);

  return {
    /**
     * After the canary batch: monitor healthy canaries, or roll back / fail on a failed
     * one; a pause parks the flow until the resume, and a canary batch held by a pause
     * before it began runs now. Nothing skips the monitoring or the promote decision.
     */
    async finishCanary(ids: Ids): Promise<{ action: 'monitor' | 'rollout' | 'park' | 'rerun' }> {
      let execution = await ctx.load(ids);
      const began = ctx.began(execution, 0, await ctx.batchRange(execution, 0));
      if (began && execution.completedBatches === 0)
        execution = await upgrades.update(ids.tenantId, ids.executionId, {
          completedBatches: 1,
          lastBatchFinishedAt: clock.now().toISOString(),
        });
      const next = afterCanaryBatch(execution, { began });
      if (next.action === 'start-rollback') {
        execution = await ctx.leavePause(execution, next.reason);
        // The table reaches ROLLING_BACK from CANARY_MONITORING only: record the hop.
        await upgrades.transition(ids.tenantId, ids.executionId, {
          from: ['CANARY_RUNNING'],
          to: 'CANARY_MONITORING',
          event: { type: 'CanaryUnhealthy', actor: 'sluice', detail: { reason: next.reason } },
        });
        await ctx.startRollback({ ...execution, status: 'CANARY_MONITORING' }, next.reason);
        return { action: 'rollout' };
      }
      if (next.action === 'fail') {
        await ctx.failExecution(execution, next.reason);
        return { action: 'rollout' };
      }
      if (next.action !== 'monitor') return { action: next.action };
      await upgrades.transition(ids.tenantId, ids.executionId, {
        from: ['CANARY_RUNNING'],
        to: 'CANARY_MONITORING',
        set: { monitoringSince: clock.now().toISOString() },
        event: {
          type: 'CanaryMonitoring',
          actor: 'sluice',
          detail: {
            canaries: execution.batchBounds[1] ?? 0,
            intervalSeconds: execution.healthCheckIntervalSeconds,
            autoPromoteSeconds: execution.canaryAutoPromoteSeconds,
          },
        },
      });
      return { action: 'monitor' };
    },

    /** One health check of the canaries while CANARY_MONITORING. */
    async monitorCanary(ids: Ids): Promise<{ decision: 'continue' | 'promoted' | 'rollback' | 'stopped'; intervalSeconds: number }> {
      let execution = await ctx.load(ids);
      let intervalSeconds = execution.healthCheckIntervalSeconds;
      const exit = canaryMonitorExit(execution.status);
      if (exit) return { decision: exit, intervalSeconds };
      // The gates first: a watched alarm in ALARM, then one measurement of the analysis when one is due.
      const gated = await monitorGates(execution);
      if (gated.decision) return { decision: gated.decision, intervalSeconds };
      if (gated.nextInSeconds !== undefined) intervalSeconds = Math.min(intervalSeconds, gated.nextInSeconds);
      execution = gated.execution;
      const adapter = await ctx.adapterOf(execution);
      const canaries = (await ctx.batchRange(execution, 0)).filter((instance) => instance.status === 'COMPLETED');
      const sick: InstanceRecord[] = [];
      await forEachLimited(canaries, INSTANCE_CONCURRENCY, async (instance) => {
        if (!(await ctx.pollHealth(adapter, execution, instance)).healthy) sick.push(instance);
      });
      const unhealthy = sick.map((instance) => instance.instanceId);
      // An unhealthy canary is a failed instance: it counts in rollbackInfo.currentFailures.
      const failCanaries = async () => {
        for (const instance of sick) {
          await upgrades.moveInstance(ids.tenantId, instance, {
            from: ['COMPLETED'],
            to: 'FAILED',
            set: { detail: 'unhealthy while the canary was monitored' },
            countFailed: true,
            uncountCompleted: true,
          });
        }
      };
      const since = Date.parse(execution.monitoringSince ?? execution.startedAt ?? execution.createdAt);
      const verdict = canaryVerdict(execution, { unhealthy, elapsedMs: (clock.now().getTime() - since) * ctx.deps.timeScale });
      try {
        switch (verdict.decision) {
          case 'start-rollback':
            await upgrades.appendEvent(ids.tenantId, ids.executionId, {
              type: 'CanaryUnhealthy',
              actor: 'sluice',
              detail: { instances: unhealthy },
            });
            await failCanaries();
            await ctx.startRollback(execution, verdict.reason);
            return { decision: 'rollback', intervalSeconds };
          case 'fail':
            await upgrades.appendEvent(ids.tenantId, ids.executionId, {
              type: 'CanaryUnhealthy',
              actor: 'sluice',
              detail: { instances: unhealthy },
            });
            await failCanaries();
            // The table has no CANARY_MONITORING -> FAILED edge: pass through IN_PROGRESS, on record.
            await upgrades.transition(ids.tenantId, ids.executionId, {
              from: ['CANARY_MONITORING'],
              to: 'IN_PROGRESS',
              event: { type: 'CanaryMonitoringEnded', actor: 'sluice', detail: { reason: verdict.reason } },
            });
            await ctx.failExecution({ ...execution, status: 'IN_PROGRESS' }, verdict.reason);
            return { decision: 'stopped', intervalSeconds };
          case 'promote':
            // Not while a gate holds it (onAlarm pause) or the analysis has measurements left.
            if (execution.promotionHeld || gates.analysisPending(execution)) return { decision: 'continue', intervalSeconds };
            await upgrades.transition(ids.tenantId, ids.executionId, {
              from: ['CANARY_MONITORING'],
              to: 'IN_PROGRESS',
              set: { waitEndedAt: clock.now().toISOString() },
              event: {
                type: 'CanaryPromoted',
                actor: 'sluice',
                detail: { automatic: true, afterSeconds: execution.canaryAutoPromoteSeconds },
              },
            });
            return { decision: 'promoted', intervalSeconds };
          case 'continue':
            return { decision: 'continue', intervalSeconds };
        }
      } catch (error) {
        // Promoted, rolled back or cancelled through the API meanwhile: look again next time.
        if (!(error instanceof ConflictError)) throw error;
      }
      return { decision: 'continue', intervalSeconds };
    },
  };

  /**
   * The gates of one monitoring tick. A tripped gate ends monitoring by onAlarm (rollback,
   * fail) or holds the promotion (pause); an alarm hold lifts once no watched alarm is in
   * ALARM, an analysis hold stays (a person promotes or rolls back).
   */
  async function monitorGates(execution: ExecutionRecord): Promise<{
    decision?: 'rollback' | 'stopped';
    nextInSeconds?: number;
    execution: ExecutionRecord;
  }> {
    const ids = { tenantId: execution.tenantId, executionId: execution.executionId };
    const outcomeOf = (outcome: string) =>
      outcome === 'rollback' ? ('rollback' as const) : outcome === 'fail' ? ('stopped' as const) : undefined;
    const firing = await gates.firingAlarms(execution);
    if (firing.length > 0) {
      const decision = outcomeOf(await gates.trip(execution, gates.alarmTrip(firing, 'while the canary was monitored')));
      if (decision) return { decision, execution };
    } else if (execution.promotionHeld === 'alarm') {
      try {
        await upgrades.update(ids.tenantId, ids.executionId, {}, { whileStatus: ['CANARY_MONITORING'], remove: ['promotionHeld'] });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    const measured = await gates.measure(await ctx.load(ids));
    const decision = outcomeOf(measured.outcome);
    if (decision) return { decision, execution };
    return { ...(measured.nextInSeconds === undefined ? {} : { nextInSeconds: measured.nextInSeconds }), execution: await ctx.load(ids) };
  }
}
