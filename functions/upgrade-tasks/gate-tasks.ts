import { ConflictError } from '../common/errors.js';
import type { ExecutionRecord } from '../upgrades/execution.js';
import type { Ids, StatesError, TaskContext } from './context.js';

/** Which gate a flow waits at: STAGED between stages, BLUE_GREEN before the traffic switch. */
export type GateKind = 'stage-approval' | 'traffic-switch';
type GateIds = Ids & { gate: number };

/** Approval gates on task tokens: open, passed, rejected, timed out. */
export function makeGateTasks(ctx: TaskContext) {
  const { upgrades, workflow, clock } = ctx.deps;
  /** How long the gate waited for the decision just recorded (docs/architecture.md#logs-and-metrics). */
  const waited = (execution: ExecutionRecord) => {
    if (!execution.waitingFor) return;
    ctx.deps.metrics?.seconds(
      'GateWaitSeconds',
      (clock.now().getTime() - Date.parse(execution.waitingFor.since)) / 1000,
      execution.strategy,
    );
  };

  return {
    /**
     * Parks the flow at a gate: keeps the task token server-side and shows
     * `waitingFor` on the execution. A gate that can no longer open (rolled back,
     * paused or ended meanwhile) hands the token straight back as `GateClosed`.
     */
    async openGate(ids: GateIds & { kind: GateKind; taskToken: string; timeoutSeconds: number }): Promise<void> {
      const execution = await ctx.load(ids);
      const stage = execution.stageNames?.[ids.gate];
      const since = clock.now();
      const timeoutAt = new Date(since.getTime() + ids.timeoutSeconds * 1000).toISOString();
      const onTimeout = ids.kind === 'traffic-switch' && execution.autoPromotionSeconds !== undefined ? 'approve' : execution.onGateTimeout;
      try {
        await upgrades.update(
          ids.tenantId,
          ids.executionId,
          {
            gateToken: ids.taskToken,
            waitingFor: { gate: ids.kind, since: since.toISOString(), ...(stage ? { stage } : {}), timeoutAt, onTimeout },
          },
          { whileStatus: ['IN_PROGRESS'] },
        );
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await workflow.fail(ids.taskToken, 'GateClosed', `The upgrade is ${execution.status}`);
        return;
      }
      const base = `${ctx.deps.apiBaseUrl ?? ''}/v1/tenants/${ids.tenantId}/upgrades/${ids.executionId}`;
      await upgrades.appendEvent(ids.tenantId, ids.executionId, {
        type: 'GateWaiting',
        actor: 'sluice',
        detail: {
          executionId: ids.executionId,
          gate: ids.kind,
          gateIndex: ids.gate,
          ...(stage ? { stage, nextStage: execution.stageNames?.[ids.gate + 1] } : {}),
          approveUrl: `${base}/approve`,
          rejectUrl: `${base}/reject`,
          // With the index, names this opening of the gate: a notifier's decision link is bound to it.
          since: since.toISOString(),
          timeoutAt,
          onTimeout,
        },
      });
    },

    /** After the gate's token succeeded: records the approval unless the API already did. */
    async gatePassed(ids: GateIds & { output?: { approvedBy?: string; comment?: string } }): Promise<void> {
      const execution = await ctx.load(ids);
      if ((execution.gatesPassed ?? 0) > ids.gate) return;
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      await upgrades.update(
        ids.tenantId,
        ids.executionId,
        { gatesPassed: ids.gate + 1, waitEndedAt: clock.now().toISOString() },
        { remove: ['waitingFor'] },
      );
      waited(execution);
      await upgrades.appendEvent(ids.tenantId, ids.executionId, {
        type: 'GateApproved',
        actor: ids.output?.approvedBy ?? 'task-token holder',
        detail: {
          gate: execution.waitingFor?.gate,
          gateIndex: ids.gate,
          ...(execution.waitingFor?.stage ? { stage: execution.waitingFor.stage } : {}),
          via: 'SendTaskSuccess',
        },
      });
    },

    /** After the gate's token failed: a rejection not made through the API rolls back here. */
    async gateRejected(ids: GateIds & { error?: StatesError }): Promise<void> {
      const execution = await ctx.load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      if (execution.status !== 'IN_PROGRESS') {
        if (execution.waitingFor) await upgrades.update(ids.tenantId, ids.executionId, {}, { remove: ['waitingFor'] });
        return;
      }
      const reason = `Rejected at the ${execution.waitingFor?.gate ?? 'gate'} by the task-token holder: ${ids.error?.Error ?? 'failure'}${ids.error?.Cause ? ` (${ids.error.Cause})` : ''}`;
      await upgrades.transition(ids.tenantId, ids.executionId, {
        from: ['IN_PROGRESS'],
        to: 'ROLLING_BACK',
        remove: ['waitingFor'],
        set: { rollbackReason: reason, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: 'task-token holder' },
        event: { type: 'GateRejected', actor: 'task-token holder', detail: { gateIndex: ids.gate, reason, via: 'SendTaskFailure' } },
      });
      waited(execution);
    },

    /** Nobody answered in time: the gate's declared outcome applies, with its cause on record. */
    async gateTimedOut(ids: GateIds): Promise<{ action: 'approved' | 'rejected' }> {
      const execution = await ctx.load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      const outcome = execution.waitingFor?.onTimeout ?? execution.onGateTimeout;
      const cause = `no decision within ${execution.waitingFor?.gate === 'traffic-switch' && execution.autoPromotionSeconds !== undefined ? `autoPromotionSeconds (${execution.autoPromotionSeconds}s)` : `gateTimeoutSeconds (${execution.gateTimeoutSeconds}s)`}`;
      const detail = {
        gate: execution.waitingFor?.gate,
        gateIndex: ids.gate,
        ...(execution.waitingFor?.stage ? { stage: execution.waitingFor.stage } : {}),
        outcome,
        cause,
      };
      if (execution.status !== 'IN_PROGRESS') return { action: 'rejected' };
      if (outcome === 'approve') {
        await upgrades.update(
          ids.tenantId,
          ids.executionId,
          { gatesPassed: ids.gate + 1, waitEndedAt: clock.now().toISOString() },
          { remove: ['waitingFor'] },
        );
        waited(execution);
        await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'GateTimedOut', actor: 'sluice', detail });
        return { action: 'approved' };
      }
      await upgrades.transition(ids.tenantId, ids.executionId, {
        from: ['IN_PROGRESS'],
        to: 'ROLLING_BACK',
        remove: ['waitingFor'],
        set: {
          rollbackReason: `Gate timed out: ${cause}; onGateTimeout is reject`,
          rollbackInitiatedAt: clock.now().toISOString(),
          rollbackInitiatedBy: 'sluice (gate timeout)',
        },
        event: { type: 'GateTimedOut', actor: 'sluice', detail },
      });
      waited(execution);
      return { action: 'rejected' };
    },
  };
}
