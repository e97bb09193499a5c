import { ConflictError } from '../common/errors.js';
import { ALL_INSTANCES } from '../targets/target-adapter.js';
import { forEachLimited, greenOf, type Ids, INSTANCE_CONCURRENCY, type TaskContext, TOUCHED } from './context.js';
import { afterGreen, type BlueGreenMove, blueGreenMove, switchGateTimeoutSeconds } from './decisions.js';
import { makeGates } from './gates.js';

/** BLUE_GREEN: green beside blue, the traffic switch, blue held for the scale-down delay, then retired. */
export function makeBlueGreenTasks(ctx: TaskContext) {
  const { upgrades, workflow, clock } = ctx.deps;
  const gates = makeGates(ctx);

  const switchTraffic = async (ids: Ids & { to: 'green' | 'blue' }): Promise<{ scaleDownDelaySeconds: number }> => {
    const execution = await ctx.load(ids);
    // Before the switch: a watched alarm in ALARM acts by onAlarm and traffic stays on blue;
    // the hold that follows finds the execution moved and sends the flow to its next move.
    if (ids.to === 'green' && execution.status === 'IN_PROGRESS' && (await gates.beforeSwitch(execution)) !== 'none')
      return { scaleDownDelaySeconds: execution.scaleDownDelaySeconds ?? 0 };
    const adapter = await ctx.adapterOf(execution);
    const weights = ids.to === 'green' ? { blue: 0, green: 100 } : { blue: 100, green: 0 };
    if (adapter) {
      const result = await ctx.perform(adapter, execution, {
        action: 'switch-traffic',
        instanceId: ALL_INSTANCES,
        step: ids.to,
        payload: { weights },
      });
      if (!result.ok) throw new Error(`switch-traffic to ${ids.to} failed: ${result.detail}`);
    }
    if (ids.to === 'green') await upgrades.update(ids.tenantId, ids.executionId, { trafficSwitchedAt: clock.now().toISOString() });
    await upgrades.appendEvent(ids.tenantId, ids.executionId, {
      type: ids.to === 'green' ? 'TrafficSwitched' : 'TrafficSwitchedBack',
      actor: 'sluice',
      detail: { weights },
    });
    return { scaleDownDelaySeconds: execution.scaleDownDelaySeconds ?? 0 };
  };

  return {
    /** After green came up: wait for the switch, or abort on a failed green instance. */
    async finishGreen(ids: Ids): Promise<{ action: 'gate' | 'abort' | 'control' | 'stop'; gateTimeoutSeconds: number }> {
      let execution = await ctx.load(ids);
      const began = ctx.began(execution, 0, await ctx.batchRange(execution, 0));
      if (began && execution.completedBatches === 0)
        execution = await upgrades.update(ids.tenantId, ids.executionId, {
          completedBatches: 1,
          lastBatchFinishedAt: clock.now().toISOString(),
        });
      const gateTimeoutSeconds = switchGateTimeoutSeconds(execution);
      const next = afterGreen(execution, { began });
      if (next.action === 'start-rollback') {
        await ctx.startRollback(execution, next.reason);
        return { action: 'abort', gateTimeoutSeconds };
      }
      if (next.action === 'gate')
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: 'GreenReady',
          actor: 'sluice',
          detail: { instances: execution.totalInstances },
        });
      return { action: next.action, gateTimeoutSeconds };
    },

    switchTraffic,

    /** Blue stays during the scale-down delay; a rollback wakes this token at once. */
    async holdBlue(ids: Ids & { taskToken: string }): Promise<void> {
      try {
        await upgrades.update(ids.tenantId, ids.executionId, { gateToken: ids.taskToken }, { whileStatus: ['IN_PROGRESS'] });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await workflow.fail(ids.taskToken, 'HoldInterrupted', 'The upgrade is no longer IN_PROGRESS');
      }
    },

    /** Where the flow goes after an interruption (see `blueGreenMove`). */
    async blueGreenControl(ids: Ids): Promise<{ action: BlueGreenMove; gateTimeoutSeconds: number }> {
      const execution = await ctx.load(ids);
      return { action: blueGreenMove(execution), gateTimeoutSeconds: switchGateTimeoutSeconds(execution) };
    },

    /** The scale-down delay passed: retire blue and complete, unless a rollback or a pause came first. */
    async retireBlue(ids: Ids): Promise<{ action: 'done' | 'rollback' | 'control' }> {
      const execution = await ctx.load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      if (execution.status === 'ROLLING_BACK') return { action: 'rollback' };
      if (execution.status === 'PAUSED') return { action: 'control' };
      if (execution.status === 'IN_PROGRESS') {
        const adapter = await ctx.adapterOf(execution);
        const blue = await ctx.allInstances(execution);
        await forEachLimited(blue, INSTANCE_CONCURRENCY, async (instance) => {
          await ctx.perform(adapter, execution, { action: 'retire', instanceId: instance.instanceId, payload: { color: 'blue' } });
        });
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: 'BlueRetired',
          actor: 'sluice',
          detail: { instances: blue.length },
        });
      }
      return ctx.complete(ids);
    },

    /** Rolls a blue-green back: traffic to blue if it had moved, green retired, blue untouched. */
    async revertGreen(ids: Ids): Promise<void> {
      const execution = await ctx.load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      if (execution.status !== 'ROLLING_BACK') return;
      if (execution.trafficSwitchedAt) await switchTraffic({ ...ids, to: 'blue' });
      const adapter = await ctx.adapterOf(execution);
      const touched = (await ctx.allInstances(execution)).filter((instance) => TOUCHED.includes(instance.status));
      await forEachLimited(touched, INSTANCE_CONCURRENCY, async (instance) => {
        await ctx.perform(adapter, execution, { action: 'retire', instanceId: greenOf(instance.instanceId), payload: { color: 'green' } });
        await upgrades.moveInstance(ids.tenantId, instance, {
          from: TOUCHED,
          to: 'ROLLED_BACK',
          set: { detail: 'green retired; blue kept serving' },
          rolledBack: true,
        });
      });
      await upgrades.appendEvent(ids.tenantId, ids.executionId, {
        type: 'GreenRetired',
        actor: 'sluice',
        detail: { instances: touched.length, trafficWasSwitched: Boolean(execution.trafficSwitchedAt) },
      });
      await ctx.finishRollback(ids);
    },
  };
}
