import { ConflictError } from '../common/errors.js';
import type { InstanceRecord } from '../upgrades/execution.js';
import { forEachLimited, type Ids, INSTANCE_CONCURRENCY, type TaskContext } from './context.js';
import { afterCanaryBatch, canaryMonitorExit, canaryVerdict } from './decisions.js';

/** CANARY: the verdict on the canary batch, then monitoring until promotion or rollback. */
export function makeCanaryTasks(ctx: TaskContext) {
  const { upgrades, clock } = ctx.deps;

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
        execution = await upgrades.update(ids.tenantId, ids.executionId, { completedBatches: 1 });
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
      const execution = await ctx.load(ids);
      const intervalSeconds = execution.healthCheckIntervalSeconds;
      const exit = canaryMonitorExit(execution.status);
      if (exit) return { decision: exit, intervalSeconds };
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
            await upgrades.transition(ids.tenantId, ids.executionId, {
              from: ['CANARY_MONITORING'],
              to: 'IN_PROGRESS',
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
}
