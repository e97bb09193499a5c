import { ConflictError } from '../common/errors.js';
import { isTerminal, type Status } from '../domain/status.js';
import type { InstanceRecord } from '../upgrades/execution.js';
import {
  forEachLimited,
  type Ids,
  INSTANCE_CONCURRENCY,
  type StatesError,
  type TaskContext,
  type TaskInvocation,
  timeBudget,
} from './context.js';
import { afterBatch, type ControlAction, isRetryPass, nextMove } from './decisions.js';
import { makeGates } from './gates.js';
import { runPreChecks } from './pre-checks.js';

/** Statuses in which a batch may act on instances. */
const RUNNING: readonly Status[] = ['IN_PROGRESS', 'PAUSED', 'CANARY_RUNNING'];
/** Instance statuses a batch's child flow can leave behind unfinished. */
const UNFINISHED = ['PENDING', 'DRAINING', 'UPGRADING', 'HEALTH_CHECKING'];

/**
 * The rolling flow and its batch child: pre-checks, the control step, pause parking,
 * one batch (drain, upgrade, health), the threshold rule, completion and failure.
 */
export function makeBatchTasks(ctx: TaskContext) {
  const { upgrades, workflow, clock, logger, probe, catalog } = ctx.deps;
  const gates = makeGates(ctx);

  return {
    async preChecks(ids: Ids): Promise<{ passed: boolean }> {
      const execution = await ctx.load(ids);
      // A flow started as the child of another (CANARY's rollout) finds the checks done:
      // it carries on unless the execution already ended.
      if (execution.status !== 'VALIDATING') return { passed: !isTerminal(execution.status) };
      const [service, versions, instances, firing] = await Promise.all([
        ctx.loadService(execution),
        catalog.allVersions(execution.componentId),
        ctx.allInstances(execution),
        gates.firingAlarms(execution),
      ]);
      const preChecks = await runPreChecks({
        execution,
        service,
        versions,
        instances,
        probe,
        ...(execution.alarms ? { firingAlarms: firing } : {}),
      });
      const failed = preChecks.filter((check) => !check.passed);
      try {
        if (failed.length > 0) {
          const reason = `Pre-checks failed: ${failed.map((check) => `${check.name} (${check.detail})`).join('; ')}`;
          const tripped = firing.length > 0 ? gates.alarmTrip(firing, 'at the pre-checks') : undefined;
          await upgrades.transition(ids.tenantId, ids.executionId, {
            from: ['VALIDATING'],
            to: 'FAILED',
            set: {
              preChecks,
              statusReason: reason,
              // An alarm already in ALARM fails the pre-check whatever onAlarm says: nothing has rolled yet.
              ...(tripped
                ? { gateTrigger: { reason: 'alarm', detail: tripped.detail, action: 'fail', at: clock.now().toISOString() } }
                : {}),
            },
            event: { type: 'PreChecksFailed', actor: 'sluice', detail: { preChecks } },
          });
          if (tripped)
            await upgrades.appendEvent(ids.tenantId, ids.executionId, {
              type: 'AlarmTriggered',
              actor: 'sluice',
              detail: { ...tripped.eventDetail, reason: tripped.detail, action: 'fail' },
            });
          return { passed: false };
        }
        await upgrades.transition(ids.tenantId, ids.executionId, {
          from: ['VALIDATING'],
          to: execution.strategy === 'CANARY' ? 'CANARY_RUNNING' : 'IN_PROGRESS',
          // The rollout starts: the progress deadline's clock with it.
          set: { preChecks, lastBatchFinishedAt: clock.now().toISOString() },
          event: { type: 'PreChecksPassed', actor: 'sluice', detail: { preChecks } },
        });
        return { passed: true };
      } catch (error) {
        // Cancelled while the checks ran: nothing more to do.
        if (error instanceof ConflictError) return { passed: false };
        throw error;
      }
    },

    async control(
      ids: Ids,
    ): Promise<{ action: ControlAction; batch: number; batchDelaySeconds: number; gate: number; gateTimeoutSeconds: number }> {
      let execution = await ctx.load(ids);
      // Before each batch: the watched alarms and the progress deadline (a tripped gate changes the move).
      if (nextMove(execution) === 'run' && (await gates.beforeBatch(execution, execution.completedBatches)) !== 'none')
        execution = await ctx.load(ids);
      return {
        action: nextMove(execution),
        batch: execution.completedBatches,
        batchDelaySeconds: execution.batchDelaySeconds,
        gate: execution.gatesPassed ?? 0,
        gateTimeoutSeconds: execution.gateTimeoutSeconds,
      };
    },

    /** Stores the flow's resume token while PAUSED; if already resumed, wakes the flow at once. */
    async park(ids: Ids & { taskToken: string }): Promise<void> {
      try {
        await upgrades.update(ids.tenantId, ids.executionId, { resumeToken: ids.taskToken }, { whileStatus: ['PAUSED'] });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await workflow.succeed(ids.taskToken, { resumedBy: 'sluice' });
      }
    },

    /**
     * Starts the batch's instance actions, at most `maxConcurrentActions` at once, until
     * the invocation's time budget runs out: then it returns `more: true` and the batch
     * flow calls it again, which carries on where this one stopped (every instance resumes
     * from the state it reached; nothing is done twice, nothing skipped).
     */
    async startBatch(
      ids: Ids & { batch: number },
      invocation?: TaskInvocation,
    ): Promise<{ pending: number; intervalSeconds: number; more: boolean }> {
      const budget = timeBudget(invocation);
      let execution = await ctx.load(ids);
      const intervalSeconds = execution.healthCheckIntervalSeconds;
      if (!RUNNING.includes(execution.status)) return { pending: 0, intervalSeconds, more: false };
      const retryPass = isRetryPass(execution, ids.batch);
      if (retryPass && execution.retryPass === undefined && execution.status !== 'PAUSED') {
        // The retry pass takes the instances failed so far, fixed once so a re-run of this task retries none twice.
        const failed = (await ctx.allInstances(execution))
          .filter((instance) => instance.status === 'FAILED')
          .map((instance) => instance.index);
        execution = await upgrades.update(ids.tenantId, ids.executionId, { retryPass: { indexes: failed } });
      }
      const instances = await ctx.passInstances(execution, ids.batch);
      // A pause that came before the batch began holds it: nothing moves, the flow parks at
      // this boundary, and the same batch runs after the resume.
      if (execution.status === 'PAUSED' && !ctx.began(execution, ids.batch, instances)) {
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: 'BatchHeld',
          actor: 'sluice',
          detail: { batch: ids.batch, reason: 'paused before the batch began' },
        });
        return { pending: 0, intervalSeconds, more: false };
      }
      const adapter = await ctx.adapterOf(execution);
      if (!adapter) {
        for (const instance of instances.filter((i) => i.status === 'PENDING'))
          await ctx.failInstance(execution, instance, 'PENDING', 'the service no longer exists');
        return { pending: 0, intervalSeconds, more: false };
      }
      // Once per batch: an invocation that carries a started batch on reports nothing new.
      if (!ctx.began(execution, ids.batch, instances)) {
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: 'BatchStarted',
          detail: { batch: ids.batch, instances: instances.length, ...(retryPass ? { retryPass: true } : {}) },
        });
      }
      const deadline = () =>
        new Date(clock.now().getTime() + (execution.healthCheckTimeoutSeconds * 1000) / ctx.deps.timeScale).toISOString();

      const concurrency = execution.maxConcurrentActions ?? INSTANCE_CONCURRENCY;
      const work = async (instance: InstanceRecord) => {
        // Resume from wherever a previous attempt of this task left the instance.
        let status = instance.status;
        if (status === 'FAILED') {
          // Only the retry pass takes a failed instance, and only once.
          if (!retryPass || instance.retried) return;
          const moved = await upgrades.moveInstance(ids.tenantId, instance, {
            from: ['FAILED'],
            to: 'DRAINING',
            set: { retried: true, detail: `retried after the last batch (${instance.detail ?? 'failed'})` },
            uncountFailed: true,
          });
          if (!moved) return;
          status = 'DRAINING';
        }
        if (status === 'PENDING' && execution.strategy === 'BLUE_GREEN') {
          // Surge: green comes up beside blue, nothing is drained.
          if (!(await upgrades.moveInstance(ids.tenantId, instance, { from: ['PENDING'], to: 'UPGRADING' }))) return;
          status = 'UPGRADING';
        }
        if (status === 'PENDING') {
          if (!(await upgrades.moveInstance(ids.tenantId, instance, { from: ['PENDING'], to: 'DRAINING' }))) return;
          status = 'DRAINING';
        }
        if (status === 'DRAINING') {
          const drained = await ctx.act(adapter, execution, instance, 'drain');
          if (!drained.ok)
            return ctx.failInstance(
              execution,
              instance,
              'DRAINING',
              `drain failed after ${attemptsText(drained.attempts)}: ${drained.detail}`,
              { attempts: instance.attempts + drained.attempts },
            );
          if (!(await upgrades.moveInstance(ids.tenantId, instance, { from: ['DRAINING'], to: 'UPGRADING' }))) return;
          status = 'UPGRADING';
        }
        if (status === 'UPGRADING') {
          const upgraded = await ctx.act(adapter, execution, instance, 'upgrade');
          const attempts = instance.attempts + upgraded.attempts;
          if (!upgraded.ok)
            return ctx.failInstance(
              execution,
              instance,
              'UPGRADING',
              `upgrade failed after ${attemptsText(upgraded.attempts)}: ${upgraded.detail}`,
              { attempts },
            );
          await upgrades.moveInstance(ids.tenantId, instance, {
            from: ['UPGRADING'],
            to: 'HEALTH_CHECKING',
            set: { healthDeadline: deadline(), attempts },
          });
        }
      };
      await forEachLimited(instances, concurrency, work, () => budget.exhausted());
      const after = await ctx.passInstances(execution, ids.batch);
      const notStarted = after.some((i) => i.status === 'PENDING' || (retryPass && i.status === 'FAILED' && !i.retried));
      return {
        pending: after.filter((instance) => instance.status === 'HEALTH_CHECKING').length,
        intervalSeconds,
        // Only a spent budget leaves instances for the next invocation (a refused move does not).
        more: notStarted && budget.exhausted(),
      };
    },

    async checkBatchHealth(ids: Ids & { batch: number }): Promise<{ pending: number; intervalSeconds: number }> {
      const execution = await ctx.load(ids);
      const intervalSeconds = execution.healthCheckIntervalSeconds;
      if (isTerminal(execution.status)) return { pending: 0, intervalSeconds };
      // A batch that never ends (a target that never becomes healthy) meets the progress
      // deadline here; a rollback or a failure ends the batch now, a pause at its boundary.
      const late = await gates.duringBatch(execution, ids.batch);
      if (late === 'rollback' || late === 'fail') return { pending: 0, intervalSeconds };
      const adapter = await ctx.adapterOf(execution);
      const checking = (await ctx.passInstances(execution, ids.batch)).filter((instance) => instance.status === 'HEALTH_CHECKING');
      let pending = 0;
      await forEachLimited(checking, execution.maxConcurrentActions ?? INSTANCE_CONCURRENCY, async (instance) => {
        const health = await ctx.pollHealth(adapter, execution, instance);
        if (health.healthy) {
          if (await upgrades.moveInstance(ids.tenantId, instance, { from: ['HEALTH_CHECKING'], to: 'COMPLETED', countCompleted: true })) {
            await upgrades.appendEvent(ids.tenantId, ids.executionId, {
              type: 'InstanceUpgraded',
              detail: { instanceId: instance.instanceId, batch: instance.batch },
            });
          }
          return;
        }
        if (clock.now().toISOString() >= (instance.healthDeadline ?? '')) {
          return ctx.failInstance(
            execution,
            instance,
            'HEALTH_CHECKING',
            `not healthy within ${execution.healthCheckTimeoutSeconds}s: ${health.detail ?? 'reported unhealthy'}`,
          );
        }
        pending += 1;
      });
      return { pending, intervalSeconds };
    },

    /**
     * The batch's child execution failed even after its retries (a task that keeps
     * throwing): the instances it left unfinished fail — counted, so the threshold
     * applies — and the upgrade carries on or stops by the usual rules.
     */
    async settleBatch(ids: Ids & { batch: number; error?: StatesError }): Promise<void> {
      const execution = await ctx.load(ids);
      const unfinished = (await ctx.passInstances(execution, ids.batch)).filter((instance) => UNFINISHED.includes(instance.status));
      for (const instance of unfinished) {
        await ctx.failInstance(
          execution,
          instance,
          instance.status,
          `the batch task failed after its retries (${childErrorName(ids.error)})`,
        );
      }
    },

    async finishBatch(ids: Ids & { batch: number }): Promise<{ action: 'continue' | 'complete' | 'rollback' | 'stop' | 'held' }> {
      let execution = await ctx.load(ids);
      const instances = await ctx.passInstances(execution, ids.batch);
      const began = ctx.began(execution, ids.batch, instances);
      if (began && execution.completedBatches === ids.batch) {
        execution = await upgrades.update(ids.tenantId, ids.executionId, {
          completedBatches: ids.batch + 1,
          lastBatchFinishedAt: clock.now().toISOString(),
        });
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: 'BatchCompleted',
          detail: {
            batch: ids.batch,
            ...(isRetryPass(execution, ids.batch) ? { retryPass: true } : {}),
            completed: instances.filter((i) => i.status === 'COMPLETED').length,
            failed: instances.filter((i) => i.status === 'FAILED').length,
            progress: { total: execution.totalInstances, completed: execution.completedCount, failed: execution.failedCount },
          },
        });
      }
      const next = afterBatch(execution, { began });
      if (next.action === 'start-rollback') {
        await ctx.startRollback(execution, next.reason);
        return { action: 'rollback' };
      }
      if (next.action === 'fail') {
        await ctx.failExecution(execution, next.reason);
        return { action: 'stop' };
      }
      return { action: next.action };
    },

    complete: (ids: Ids) => ctx.complete(ids),

    async fail(ids: Ids & { error?: StatesError }): Promise<void> {
      const execution = await ctx.load(ids);
      logger.error('upgrade flow failed', { executionId: ids.executionId, error: ids.error?.Error });
      await ctx.failExecution(execution, `The upgrade flow failed unexpectedly (${ids.error?.Error ?? 'unknown error'}).`);
    },
  };
}

const attemptsText = (attempts: number) => (attempts === 1 ? '1 attempt' : `${attempts} attempts`);

/**
 * The error a failed child execution ended with: `.sync` reports it as
 * `States.TaskFailed` with the child's description, holding its own Error, as Cause.
 */
export function childErrorName(error: StatesError | undefined): string {
  if (error?.Error === 'States.TaskFailed' && error.Cause) {
    try {
      const described = JSON.parse(error.Cause) as { Error?: unknown };
      if (typeof described.Error === 'string') return described.Error;
    } catch {
      // not a child description: fall through to the name we have
    }
  }
  return error?.Error ?? 'error';
}
