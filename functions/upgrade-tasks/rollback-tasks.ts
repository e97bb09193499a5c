import { forEachLimited, type Ids, INSTANCE_CONCURRENCY, type TaskContext, TOUCHED } from './context.js';

/** Rolling back, batch by batch from the one in flight down to the first. */
export function makeRollbackTasks(ctx: TaskContext) {
  const { upgrades } = ctx.deps;

  return {
    async rollbackBatch(ids: Ids): Promise<{ remaining: boolean }> {
      let execution = await ctx.load(ids);
      if (execution.status !== 'ROLLING_BACK') return { remaining: false };
      const lastBatch = execution.batchBounds.length - 2;
      if (execution.rollbackCursor === undefined) {
        // The batch in flight may be half done: start there and walk back to the first.
        execution = await upgrades.update(ids.tenantId, ids.executionId, {
          rollbackCursor: Math.min(execution.completedBatches, lastBatch),
        });
      }
      const cursor = execution.rollbackCursor ?? -1;
      if (cursor < 0) return { remaining: false };
      const adapter = await ctx.adapterOf(execution);
      const touched = (await ctx.batchRange(execution, cursor)).filter((instance) => TOUCHED.includes(instance.status));
      let failures = 0;
      await forEachLimited(touched, INSTANCE_CONCURRENCY, async (instance) => {
        const result = await ctx.act(adapter, execution, instance, 'rollback', { reverse: true });
        if (!result.ok) {
          failures += 1;
          await upgrades.appendEvent(ids.tenantId, ids.executionId, {
            type: 'InstanceRollbackFailed',
            detail: { instanceId: instance.instanceId, reason: result.detail },
          });
          return;
        }
        if (
          await upgrades.moveInstance(ids.tenantId, instance, {
            from: TOUCHED,
            to: 'ROLLED_BACK',
            set: { detail: `rolled back to ${execution.fromVersion}` },
            rolledBack: true,
          })
        ) {
          await upgrades.appendEvent(ids.tenantId, ids.executionId, {
            type: 'InstanceRolledBack',
            detail: { instanceId: instance.instanceId },
          });
        }
      });
      await upgrades.update(ids.tenantId, ids.executionId, {
        rollbackCursor: cursor - 1,
        rollbackFailures: (execution.rollbackFailures ?? 0) + failures,
      });
      return { remaining: cursor - 1 >= 0 };
    },

    finishRollback: (ids: Ids) => ctx.finishRollback(ids),
  };
}
