import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ServiceRecord } from '../services/service.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { Target } from '../services/schemas.js';
import { actionIdempotencyKey, type ActionResult, type TargetAction, type TargetAdapter } from '../targets/target-adapter.js';
import type { ExecutionRecord, InstanceRecord } from '../upgrades/execution.js';
import { isTerminal, type InstanceStatus, type Status } from '../domain/status.js';
import type { UpgradeRepository } from '../upgrades/upgrade-repository.js';
import type { Workflow } from '../upgrades/workflow.js';
import type { HealthProbe } from './health-probe.js';
import { runPreChecks } from './pre-checks.js';

export interface UpgradeTasksDeps {
  readonly upgrades: UpgradeRepository;
  readonly services: ServiceRepository;
  readonly catalog: CatalogRepository;
  readonly workflow: Workflow;
  readonly targets: (target: Target) => TargetAdapter;
  readonly probe: HealthProbe;
  readonly clock: Clock;
  /** Waits between retries of an instance action (scaled locally by SLUICE_TIME_SCALE). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Local runtime only: how many times faster than real time deadlines pass. */
  readonly timeScale: number;
  readonly logger: Logger;
  /** Where the API is reached, for the approve/reject links of gate events. */
  readonly apiBaseUrl?: string;
  /** Upgrade pipelines: a completed upgrade schedules its source's auto-validations (DESIGN §3 rule 5). */
  readonly pipeline?: { onUpgradeCompleted(execution: ExecutionRecord): Promise<void> };
}

/** Attempts of one instance action before it counts as a failure (DESIGN §4). */
export const ACTION_ATTEMPTS = 3;
const RETRY_BASE_MS = 1000;
/** Instances of one batch acted on at once inside the task. */
const INSTANCE_CONCURRENCY = 16;

const TOUCHED: readonly InstanceStatus[] = ['DRAINING', 'UPGRADING', 'HEALTH_CHECKING', 'COMPLETED', 'FAILED'];
const RUNNING: readonly Status[] = ['IN_PROGRESS', 'PAUSED', 'CANARY_RUNNING'];

type Ids = { tenantId: string; executionId: string };
export type ControlAction = 'run' | 'gate' | 'pause' | 'rollback' | 'complete' | 'stop';
export type GateKind = 'stage-approval' | 'traffic-switch';

/** BLUE_GREEN acts on a green twin of each instance; blue keeps serving meanwhile. */
export const greenOf = (instanceId: string) => `${instanceId}-green`;

/**
 * The task handlers the state machines call. Each is idempotent under Step Functions
 * retries: instance moves are conditional writes, so a re-run skips what was done and
 * never counts a failure twice.
 */
export function makeUpgradeTasks(deps: UpgradeTasksDeps) {
  const { upgrades, services, catalog, workflow, clock, logger } = deps;

  const load = async ({ tenantId, executionId }: Ids): Promise<ExecutionRecord> => {
    const execution = await upgrades.get(tenantId, executionId);
    if (!execution) throw new Error(`Upgrade ${executionId} of tenant ${tenantId} does not exist`);
    return execution;
  };
  const loadService = (execution: ExecutionRecord) => services.get({ tenantId: execution.tenantId, project: execution.project, name: execution.service });
  const batchRange = (execution: ExecutionRecord, batch: number) =>
    upgrades.instanceRange(execution.executionId, execution.batchBounds[batch] ?? 0, execution.batchBounds[batch + 1] ?? 0);

  /** One action with retries and exponential backoff; only the last failure counts. */
  const act = async (adapter: TargetAdapter, execution: ExecutionRecord, instance: InstanceRecord, action: TargetAction, fromVersion: string, toVersion: string): Promise<ActionResult> => {
    let result: ActionResult = { ok: false, retryable: true, detail: 'not attempted' };
    for (let attempt = 1; attempt <= ACTION_ATTEMPTS; attempt += 1) {
      result = await adapter.perform({
        action,
        tenantId: execution.tenantId,
        project: execution.project,
        service: execution.service,
        executionId: execution.executionId,
        instanceId: execution.strategy === 'BLUE_GREEN' && action !== 'drain' ? greenOf(instance.instanceId) : instance.instanceId,
        fromVersion,
        toVersion,
        attempt,
        ...(execution.strategy === 'BLUE_GREEN' ? { payload: { color: 'green', blueInstanceId: instance.instanceId } } : {}),
        idempotencyKey: actionIdempotencyKey({ executionId: execution.executionId, instanceId: instance.instanceId, action }),
      });
      if (result.ok || !result.retryable || attempt === ACTION_ATTEMPTS) break;
      await deps.sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
    }
    return result;
  };

  const failInstance = async (execution: ExecutionRecord, instance: InstanceRecord, from: InstanceStatus, detail: string) => {
    const moved = await upgrades.moveInstance(execution.tenantId, instance, { from: [from], to: 'FAILED', set: { detail }, countFailed: true });
    if (moved) await upgrades.appendEvent(execution.tenantId, execution.executionId, { type: 'InstanceFailed', detail: { instanceId: instance.instanceId, batch: instance.batch, reason: detail } });
  };

  /**
   * Moves a paused execution back to IN_PROGRESS first where the table demands it: a
   * threshold reached during a batch that was paused mid-way still rolls back or fails.
   */
  const leavePause = async (execution: ExecutionRecord, reason: string): Promise<ExecutionRecord> => {
    if (execution.status !== 'PAUSED') return execution;
    await upgrades.take(execution.tenantId, execution.executionId, 'resumeToken');
    return upgrades.transition(execution.tenantId, execution.executionId, { from: ['PAUSED'], to: 'IN_PROGRESS', event: { type: 'UpgradeResumed', actor: 'sluice', detail: { reason } } });
  };

  const failExecution = async (execution: ExecutionRecord, reason: string) => {
    const current = await leavePause(execution, reason);
    if (isTerminal(current.status)) return;
    await upgrades
      .transition(current.tenantId, current.executionId, {
        from: ['VALIDATING', 'IN_PROGRESS', 'CANARY_RUNNING', 'ROLLING_BACK'],
        to: 'FAILED',
        set: { statusReason: reason },
        event: { type: 'UpgradeFailed', actor: 'sluice', detail: { reason } },
      })
      .catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
  };

  const startRollback = async (execution: ExecutionRecord, reason: string) => {
    const current = await leavePause(execution, reason);
    await upgrades.transition(current.tenantId, current.executionId, {
      from: ['IN_PROGRESS', 'CANARY_MONITORING'],
      to: 'ROLLING_BACK',
      set: { rollbackReason: reason, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: 'sluice (auto-rollback)' },
      event: { type: 'RollbackStarted', actor: 'sluice', detail: { reason, automatic: true } },
    });
  };

  return {
    async preChecks(ids: Ids): Promise<{ passed: boolean }> {
      const execution = await load(ids);
      // A flow started as the child of another (CANARY's rollout) finds the checks done:
      // it carries on unless the execution already ended.
      if (execution.status !== 'VALIDATING') return { passed: !isTerminal(execution.status) };
      const [service, versions, instances] = await Promise.all([
        loadService(execution),
        catalog.allVersions(execution.componentId),
        upgrades.instanceRange(execution.executionId, 0, execution.totalInstances),
      ]);
      const preChecks = await runPreChecks({ execution, service, versions, instances, probe: deps.probe });
      const failed = preChecks.filter((check) => !check.passed);
      try {
        if (failed.length > 0) {
          const reason = `Pre-checks failed: ${failed.map((check) => `${check.name} (${check.detail})`).join('; ')}`;
          await upgrades.transition(ids.tenantId, ids.executionId, {
            from: ['VALIDATING'],
            to: 'FAILED',
            set: { preChecks, statusReason: reason },
            event: { type: 'PreChecksFailed', actor: 'sluice', detail: { preChecks } },
          });
          return { passed: false };
        }
        await upgrades.transition(ids.tenantId, ids.executionId, {
          from: ['VALIDATING'],
          to: execution.strategy === 'CANARY' ? 'CANARY_RUNNING' : 'IN_PROGRESS',
          set: { preChecks },
          event: { type: 'PreChecksPassed', actor: 'sluice', detail: { preChecks } },
        });
        return { passed: true };
      } catch (error) {
        // Cancelled while the checks ran: nothing more to do.
        if (error instanceof ConflictError) return { passed: false };
        throw error;
      }
    },

    async control(ids: Ids): Promise<{ action: ControlAction; batch: number; batchDelaySeconds: number; gate: number; gateTimeoutSeconds: number }> {
      const execution = await load(ids);
      const totalBatches = execution.batchBounds.length - 1;
      // STAGED: after each stage but the last, a gate must be passed before the next one.
      const gateDue = execution.strategy === 'STAGED' && (execution.gatesPassed ?? 0) < execution.completedBatches && execution.completedBatches < totalBatches;
      const action: ControlAction =
        execution.status === 'IN_PROGRESS'
          ? gateDue
            ? 'gate'
            : execution.completedBatches < totalBatches
              ? 'run'
              : 'complete'
          : execution.status === 'PAUSED'
            ? 'pause'
            : execution.status === 'ROLLING_BACK'
              ? 'rollback'
              : 'stop';
      return {
        action,
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

    async startBatch(ids: Ids & { batch: number }): Promise<{ pending: number; intervalSeconds: number }> {
      const execution = await load(ids);
      const intervalSeconds = execution.healthCheckIntervalSeconds;
      if (!RUNNING.includes(execution.status)) return { pending: 0, intervalSeconds };
      const service = await loadService(execution);
      const instances = await batchRange(execution, ids.batch);
      if (!service) {
        for (const instance of instances.filter((i) => i.status === 'PENDING')) await failInstance(execution, instance, 'PENDING', 'the service no longer exists');
        return { pending: 0, intervalSeconds };
      }
      const adapter = deps.targets(service.target);
      await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'BatchStarted', detail: { batch: ids.batch, instances: instances.length } });
      const deadline = () => new Date(clock.now().getTime() + (execution.healthCheckTimeoutSeconds * 1000) / deps.timeScale).toISOString();

      await forEachLimited(instances, INSTANCE_CONCURRENCY, async (instance) => {
        // Resume from wherever a previous attempt of this task left the instance.
        let status = instance.status;
        if (status === 'PENDING' && execution.strategy === 'BLUE_GREEN') {
          // Surge: green comes up beside blue, nothing is drained.
          if (!(await upgrades.moveInstance(ids.tenantId, instance, { from: ['PENDING'], to: 'UPGRADING', set: { attempts: instance.attempts + 1 } }))) return;
          status = 'UPGRADING';
        }
        if (status === 'PENDING') {
          if (!(await upgrades.moveInstance(ids.tenantId, instance, { from: ['PENDING'], to: 'DRAINING', set: { attempts: instance.attempts + 1 } }))) return;
          status = 'DRAINING';
        }
        if (status === 'DRAINING') {
          const drained = await act(adapter, execution, instance, 'drain', execution.fromVersion, execution.toVersion);
          if (!drained.ok) return failInstance(execution, instance, 'DRAINING', `drain failed: ${drained.detail}`);
          if (!(await upgrades.moveInstance(ids.tenantId, instance, { from: ['DRAINING'], to: 'UPGRADING' }))) return;
          status = 'UPGRADING';
        }
        if (status === 'UPGRADING') {
          const upgraded = await act(adapter, execution, instance, 'upgrade', execution.fromVersion, execution.toVersion);
          if (!upgraded.ok) return failInstance(execution, instance, 'UPGRADING', `upgrade failed after ${ACTION_ATTEMPTS} attempts: ${upgraded.detail}`);
          await upgrades.moveInstance(ids.tenantId, instance, { from: ['UPGRADING'], to: 'HEALTH_CHECKING', set: { healthDeadline: deadline() } });
        }
      });
      const after = await batchRange(execution, ids.batch);
      return { pending: after.filter((instance) => instance.status === 'HEALTH_CHECKING').length, intervalSeconds };
    },

    async checkBatchHealth(ids: Ids & { batch: number }): Promise<{ pending: number; intervalSeconds: number }> {
      const execution = await load(ids);
      const intervalSeconds = execution.healthCheckIntervalSeconds;
      if (isTerminal(execution.status)) return { pending: 0, intervalSeconds };
      const service = await loadService(execution);
      const checking = (await batchRange(execution, ids.batch)).filter((instance) => instance.status === 'HEALTH_CHECKING');
      const adapter = service ? deps.targets(service.target) : undefined;
      let pending = 0;
      await forEachLimited(checking, INSTANCE_CONCURRENCY, async (instance) => {
        const result = adapter
          ? await adapter.perform({
              action: 'health',
              tenantId: execution.tenantId,
              project: execution.project,
              service: execution.service,
              executionId: execution.executionId,
              instanceId: execution.strategy === 'BLUE_GREEN' ? greenOf(instance.instanceId) : instance.instanceId,
              fromVersion: execution.fromVersion,
              toVersion: execution.toVersion,
              attempt: 1,
              idempotencyKey: actionIdempotencyKey({ executionId: execution.executionId, instanceId: instance.instanceId, action: 'health', step: clock.now().getTime() }),
            })
          : ({ ok: false, retryable: false, detail: 'the service no longer exists' } as const);
        if (result.ok && result.healthy !== false) {
          if (await upgrades.moveInstance(ids.tenantId, instance, { from: ['HEALTH_CHECKING'], to: 'COMPLETED', countCompleted: true })) {
            await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'InstanceUpgraded', detail: { instanceId: instance.instanceId, batch: instance.batch } });
          }
          return;
        }
        if (clock.now().toISOString() >= (instance.healthDeadline ?? '')) {
          return failInstance(execution, instance, 'HEALTH_CHECKING', `not healthy within ${execution.healthCheckTimeoutSeconds}s: ${result.ok ? 'reported unhealthy' : result.detail}`);
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
    async settleBatch(ids: Ids & { batch: number; error?: { Error?: string; Cause?: string } }): Promise<void> {
      const execution = await load(ids);
      const unfinished = (await batchRange(execution, ids.batch)).filter((instance) => ['PENDING', 'DRAINING', 'UPGRADING', 'HEALTH_CHECKING'].includes(instance.status));
      for (const instance of unfinished) {
        await failInstance(execution, instance, instance.status, `the batch task failed after its retries (${childErrorName(ids.error)})`);
      }
    },

    async finishBatch(ids: Ids & { batch: number }): Promise<{ action: 'continue' | 'complete' | 'rollback' | 'stop' }> {
      let execution = await load(ids);
      if (execution.completedBatches === ids.batch) {
        execution = await upgrades.update(ids.tenantId, ids.executionId, { completedBatches: ids.batch + 1 });
        const instances = await batchRange(execution, ids.batch);
        await upgrades.appendEvent(ids.tenantId, ids.executionId, {
          type: 'BatchCompleted',
          detail: {
            batch: ids.batch,
            completed: instances.filter((i) => i.status === 'COMPLETED').length,
            failed: instances.filter((i) => i.status === 'FAILED').length,
            progress: { total: execution.totalInstances, completed: execution.completedCount, failed: execution.failedCount },
          },
        });
      }
      if (execution.status === 'ROLLING_BACK') return { action: 'rollback' };
      if (isTerminal(execution.status)) return { action: 'stop' };
      if (execution.failedCount >= execution.failureThreshold) {
        const reason = `${execution.failedCount} instance(s) failed; the failure threshold is ${execution.failureThreshold}`;
        if (execution.autoRollbackEnabled) {
          await startRollback(execution, reason);
          return { action: 'rollback' };
        }
        await failExecution(execution, reason);
        return { action: 'stop' };
      }
      return { action: execution.completedBatches >= execution.batchBounds.length - 1 ? 'complete' : 'continue' };
    },

    async rollbackBatch(ids: Ids): Promise<{ remaining: boolean }> {
      let execution = await load(ids);
      if (execution.status !== 'ROLLING_BACK') return { remaining: false };
      const lastBatch = execution.batchBounds.length - 2;
      if (execution.rollbackCursor === undefined) {
        // The batch in flight may be half done: start there and walk back to the first.
        execution = await upgrades.update(ids.tenantId, ids.executionId, { rollbackCursor: Math.min(execution.completedBatches, lastBatch) });
      }
      const cursor = execution.rollbackCursor ?? -1;
      if (cursor < 0) return { remaining: false };
      const service = await loadService(execution);
      const touched = (await batchRange(execution, cursor)).filter((instance) => TOUCHED.includes(instance.status));
      let failures = 0;
      await forEachLimited(touched, INSTANCE_CONCURRENCY, async (instance) => {
        const result = service
          ? await act(deps.targets(service.target), execution, instance, 'rollback', execution.toVersion, execution.fromVersion)
          : ({ ok: false, retryable: false, detail: 'the service no longer exists' } as const);
        if (!result.ok) {
          failures += 1;
          await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'InstanceRollbackFailed', detail: { instanceId: instance.instanceId, reason: result.detail } });
          return;
        }
        if (await upgrades.moveInstance(ids.tenantId, instance, { from: TOUCHED, to: 'ROLLED_BACK', set: { detail: `rolled back to ${execution.fromVersion}` }, rolledBack: true })) {
          await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'InstanceRolledBack', detail: { instanceId: instance.instanceId } });
        }
      });
      await upgrades.update(ids.tenantId, ids.executionId, { rollbackCursor: cursor - 1, rollbackFailures: (execution.rollbackFailures ?? 0) + failures });
      return { remaining: cursor - 1 >= 0 };
    },

    async finishRollback(ids: Ids): Promise<void> {
      const execution = await load(ids);
      if (execution.status !== 'ROLLING_BACK') return;
      const failures = execution.rollbackFailures ?? 0;
      await upgrades.transition(ids.tenantId, ids.executionId, {
        from: ['ROLLING_BACK'],
        to: failures === 0 ? 'ROLLED_BACK' : 'FAILED',
        ...(failures === 0 ? {} : { set: { statusReason: `${failures} instance(s) could not be rolled back` } }),
        event: {
          type: failures === 0 ? 'UpgradeRolledBack' : 'UpgradeFailed',
          actor: 'sluice',
          detail: { rolledBackInstances: execution.rolledBackInstances.length, rollbackFailures: failures, reason: execution.rollbackReason },
        },
      });
    },

    async complete(ids: Ids): Promise<{ action: 'done' | 'rollback' | 'control' }> {
      const execution = await load(ids);
      if (execution.status === 'ROLLING_BACK') return { action: 'rollback' };
      if (execution.status !== 'COMPLETED') {
        if (execution.status !== 'IN_PROGRESS') return { action: isTerminal(execution.status) ? 'done' : 'control' };
        try {
          await upgrades.transition(ids.tenantId, ids.executionId, {
            from: ['IN_PROGRESS'],
            to: 'COMPLETED',
            event: { type: 'UpgradeCompleted', actor: 'sluice', detail: { toVersion: execution.toVersion, completed: execution.completedCount, failed: execution.failedCount } },
          });
        } catch (error) {
          if (error instanceof ConflictError) return { action: 'control' };
          throw error;
        }
      }
      await setServiceVersion(services, execution, clock, logger);
      // Idempotent (deterministic schedule names), so a retried task schedules nothing twice.
      await deps.pipeline?.onUpgradeCompleted(await load(ids));
      return { action: 'done' };
    },

    // ---- Gates (STAGED between stages, BLUE_GREEN before the traffic switch) ----

    /**
     * Parks the flow at a gate: keeps the task token server-side and shows
     * `waitingFor` on the execution. A gate that can no longer open (rolled back,
     * paused or ended meanwhile) hands the token straight back as `GateClosed`.
     */
    async openGate(ids: Ids & { gate: number; kind: GateKind; taskToken: string; timeoutSeconds: number }): Promise<void> {
      const execution = await load(ids);
      const stage = execution.stageNames?.[ids.gate];
      const since = clock.now();
      const timeoutAt = new Date(since.getTime() + ids.timeoutSeconds * 1000).toISOString();
      const onTimeout = ids.kind === 'traffic-switch' && execution.autoPromotionSeconds !== undefined ? 'approve' : execution.onGateTimeout;
      try {
        await upgrades.update(
          ids.tenantId,
          ids.executionId,
          { gateToken: ids.taskToken, waitingFor: { gate: ids.kind, since: since.toISOString(), ...(stage ? { stage } : {}), timeoutAt, onTimeout } },
          { whileStatus: ['IN_PROGRESS'] },
        );
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await workflow.fail(ids.taskToken, 'GateClosed', `The upgrade is ${execution.status}`);
        return;
      }
      const base = `${deps.apiBaseUrl ?? ''}/v1/tenants/${ids.tenantId}/upgrades/${ids.executionId}`;
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
          timeoutAt,
          onTimeout,
        },
      });
    },

    /** After the gate's token succeeded: records the approval unless the API already did. */
    async gatePassed(ids: Ids & { gate: number; output?: { approvedBy?: string; comment?: string } }): Promise<void> {
      const execution = await load(ids);
      if ((execution.gatesPassed ?? 0) > ids.gate) return;
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      await upgrades.update(ids.tenantId, ids.executionId, { gatesPassed: ids.gate + 1 }, { remove: ['waitingFor'] });
      await upgrades.appendEvent(ids.tenantId, ids.executionId, {
        type: 'GateApproved',
        actor: ids.output?.approvedBy ?? 'task-token holder',
        detail: { gate: execution.waitingFor?.gate, gateIndex: ids.gate, ...(execution.waitingFor?.stage ? { stage: execution.waitingFor.stage } : {}), via: 'SendTaskSuccess' },
      });
    },

    /** After the gate's token failed: a rejection not made through the API rolls back here. */
    async gateRejected(ids: Ids & { gate: number; error?: { Error?: string; Cause?: string } }): Promise<void> {
      const execution = await load(ids);
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
    },

    /** Nobody answered in time: the gate's declared outcome applies, with its cause on record. */
    async gateTimedOut(ids: Ids & { gate: number }): Promise<{ action: 'approved' | 'rejected' }> {
      const execution = await load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      const outcome = execution.waitingFor?.onTimeout ?? execution.onGateTimeout;
      const cause = `no decision within ${execution.waitingFor?.gate === 'traffic-switch' && execution.autoPromotionSeconds !== undefined ? `autoPromotionSeconds (${execution.autoPromotionSeconds}s)` : `gateTimeoutSeconds (${execution.gateTimeoutSeconds}s)`}`;
      const detail = { gate: execution.waitingFor?.gate, gateIndex: ids.gate, ...(execution.waitingFor?.stage ? { stage: execution.waitingFor.stage } : {}), outcome, cause };
      if (execution.status !== 'IN_PROGRESS') return { action: 'rejected' };
      if (outcome === 'approve') {
        await upgrades.update(ids.tenantId, ids.executionId, { gatesPassed: ids.gate + 1 }, { remove: ['waitingFor'] });
        await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'GateTimedOut', actor: 'sluice', detail });
        return { action: 'approved' };
      }
      await upgrades.transition(ids.tenantId, ids.executionId, {
        from: ['IN_PROGRESS'],
        to: 'ROLLING_BACK',
        remove: ['waitingFor'],
        set: { rollbackReason: `Gate timed out: ${cause}; onGateTimeout is reject`, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: 'sluice (gate timeout)' },
        event: { type: 'GateTimedOut', actor: 'sluice', detail },
      });
      return { action: 'rejected' };
    },

    // ---- CANARY ----

    /** After the canary batch: monitor, or roll back / fail on a failed canary. */
    async finishCanary(ids: Ids): Promise<{ action: 'monitor' | 'rollout' }> {
      let execution = await load(ids);
      if (execution.completedBatches === 0) execution = await upgrades.update(ids.tenantId, ids.executionId, { completedBatches: 1 });
      if (execution.status !== 'CANARY_RUNNING') return { action: 'rollout' };
      if (execution.failedCount > 0) {
        const reason = `${execution.failedCount} canary instance(s) failed`;
        if (execution.autoRollbackEnabled) {
          // The table reaches ROLLING_BACK from CANARY_MONITORING only: record the hop.
          await upgrades.transition(ids.tenantId, ids.executionId, { from: ['CANARY_RUNNING'], to: 'CANARY_MONITORING', event: { type: 'CanaryUnhealthy', actor: 'sluice', detail: { reason } } });
          await startRollback({ ...execution, status: 'CANARY_MONITORING' }, reason);
        } else {
          await failExecution(execution, reason);
        }
        return { action: 'rollout' };
      }
      await upgrades.transition(ids.tenantId, ids.executionId, {
        from: ['CANARY_RUNNING'],
        to: 'CANARY_MONITORING',
        set: { monitoringSince: clock.now().toISOString() },
        event: { type: 'CanaryMonitoring', actor: 'sluice', detail: { canaries: execution.batchBounds[1] ?? 0, intervalSeconds: execution.healthCheckIntervalSeconds, autoPromoteSeconds: execution.canaryAutoPromoteSeconds } },
      });
      return { action: 'monitor' };
    },

    /** One health check of the canaries while CANARY_MONITORING. */
    async monitorCanary(ids: Ids): Promise<{ decision: 'continue' | 'promoted' | 'rollback' | 'stopped'; intervalSeconds: number }> {
      const execution = await load(ids);
      const intervalSeconds = execution.healthCheckIntervalSeconds;
      if (execution.status === 'IN_PROGRESS') return { decision: 'promoted', intervalSeconds };
      if (execution.status === 'ROLLING_BACK') return { decision: 'rollback', intervalSeconds };
      if (execution.status !== 'CANARY_MONITORING') return { decision: 'stopped', intervalSeconds };
      const service = await loadService(execution);
      const canaries = (await batchRange(execution, 0)).filter((instance) => instance.status === 'COMPLETED');
      const adapter = service ? deps.targets(service.target) : undefined;
      const unhealthy: string[] = [];
      await forEachLimited(canaries, INSTANCE_CONCURRENCY, async (instance) => {
        const result = adapter
          ? await adapter.perform({
              action: 'health', tenantId: execution.tenantId, project: execution.project, service: execution.service, executionId: execution.executionId,
              instanceId: instance.instanceId, fromVersion: execution.fromVersion, toVersion: execution.toVersion, attempt: 1,
              idempotencyKey: actionIdempotencyKey({ executionId: execution.executionId, instanceId: instance.instanceId, action: 'health', step: clock.now().getTime() }),
            })
          : ({ ok: false, retryable: false, detail: 'the service no longer exists' } as const);
        if (!result.ok || result.healthy === false) unhealthy.push(instance.instanceId);
      });
      try {
        if (unhealthy.length > 0) {
          const reason = `canary ${unhealthy.sort().join(', ')} unhealthy while monitoring`;
          await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'CanaryUnhealthy', actor: 'sluice', detail: { instances: unhealthy } });
          if (execution.autoRollbackEnabled) {
            await startRollback(execution, reason);
            return { decision: 'rollback', intervalSeconds };
          }
          // The table has no CANARY_MONITORING -> FAILED edge: pass through IN_PROGRESS, on record.
          await upgrades.transition(ids.tenantId, ids.executionId, { from: ['CANARY_MONITORING'], to: 'IN_PROGRESS', event: { type: 'CanaryMonitoringEnded', actor: 'sluice', detail: { reason } } });
          await failExecution({ ...execution, status: 'IN_PROGRESS' }, reason);
          return { decision: 'stopped', intervalSeconds };
        }
        const since = Date.parse(execution.monitoringSince ?? execution.startedAt ?? execution.createdAt);
        if (execution.canaryAutoPromoteSeconds !== undefined && clock.now().getTime() - since >= (execution.canaryAutoPromoteSeconds * 1000) / deps.timeScale) {
          await upgrades.transition(ids.tenantId, ids.executionId, {
            from: ['CANARY_MONITORING'],
            to: 'IN_PROGRESS',
            event: { type: 'CanaryPromoted', actor: 'sluice', detail: { automatic: true, afterSeconds: execution.canaryAutoPromoteSeconds } },
          });
          return { decision: 'promoted', intervalSeconds };
        }
      } catch (error) {
        // Promoted, rolled back or cancelled through the API meanwhile: look again next time.
        if (!(error instanceof ConflictError)) throw error;
      }
      return { decision: 'continue', intervalSeconds };
    },

    // ---- BLUE_GREEN ----

    /** After green came up: wait for the switch, or abort on a failed green instance. */
    async finishGreen(ids: Ids): Promise<{ action: 'gate' | 'abort' | 'control' | 'stop'; gateTimeoutSeconds: number }> {
      let execution = await load(ids);
      if (execution.completedBatches === 0) execution = await upgrades.update(ids.tenantId, ids.executionId, { completedBatches: 1 });
      const gateTimeoutSeconds = execution.autoPromotionSeconds ?? execution.gateTimeoutSeconds;
      if (execution.status === 'ROLLING_BACK') return { action: 'abort', gateTimeoutSeconds };
      if (execution.status === 'PAUSED') return { action: 'control', gateTimeoutSeconds };
      if (execution.status !== 'IN_PROGRESS') return { action: 'stop', gateTimeoutSeconds };
      if (execution.failedCount > 0) {
        await startRollback(execution, `${execution.failedCount} green instance(s) did not come up healthy`);
        return { action: 'abort', gateTimeoutSeconds };
      }
      await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'GreenReady', actor: 'sluice', detail: { instances: execution.totalInstances } });
      return { action: 'gate', gateTimeoutSeconds };
    },

    async switchTraffic(ids: Ids & { to: 'green' | 'blue' }): Promise<{ scaleDownDelaySeconds: number }> {
      const execution = await load(ids);
      const service = await loadService(execution);
      const weights = ids.to === 'green' ? { blue: 0, green: 100 } : { blue: 100, green: 0 };
      if (service) {
        const result = await deps.targets(service.target).perform({
          action: 'switch-traffic', tenantId: execution.tenantId, project: execution.project, service: execution.service, executionId: execution.executionId,
          instanceId: '*', fromVersion: execution.fromVersion, toVersion: execution.toVersion, attempt: 1,
          idempotencyKey: actionIdempotencyKey({ executionId: execution.executionId, instanceId: '*', action: 'switch-traffic', step: ids.to }),
          payload: { weights },
        });
        if (!result.ok) throw new Error(`switch-traffic to ${ids.to} failed: ${result.detail}`);
      }
      if (ids.to === 'green') await upgrades.update(ids.tenantId, ids.executionId, { trafficSwitchedAt: clock.now().toISOString() });
      await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: ids.to === 'green' ? 'TrafficSwitched' : 'TrafficSwitchedBack', actor: 'sluice', detail: { weights } });
      return { scaleDownDelaySeconds: execution.scaleDownDelaySeconds ?? 0 };
    },

    /** Blue stays during the scale-down delay; a rollback wakes this token at once. */
    async holdBlue(ids: Ids & { taskToken: string }): Promise<void> {
      try {
        await upgrades.update(ids.tenantId, ids.executionId, { gateToken: ids.taskToken }, { whileStatus: ['IN_PROGRESS'] });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await workflow.fail(ids.taskToken, 'HoldInterrupted', 'The upgrade is no longer IN_PROGRESS');
      }
    },

    /**
     * Where a blue-green flow goes after an interruption: revert on a rollback, park
     * while paused, else back to the phase it was in (the switch gate, the switch, or
     * holding blue for another scale-down delay).
     */
    async blueGreenControl(ids: Ids): Promise<{ action: 'revert' | 'park' | 'gate' | 'switch' | 'hold' | 'stop'; gateTimeoutSeconds: number }> {
      const execution = await load(ids);
      const gateTimeoutSeconds = execution.autoPromotionSeconds ?? execution.gateTimeoutSeconds;
      const action =
        execution.status === 'ROLLING_BACK'
          ? 'revert'
          : execution.status === 'PAUSED'
            ? 'park'
            : execution.status !== 'IN_PROGRESS'
              ? 'stop'
              : execution.trafficSwitchedAt
                ? 'hold'
                : (execution.gatesPassed ?? 0) >= 1
                  ? 'switch'
                  : 'gate';
      return { action, gateTimeoutSeconds };
    },

    /** The scale-down delay passed: retire blue and complete, unless a rollback or a pause came first. */
    async retireBlue(ids: Ids): Promise<{ action: 'done' | 'rollback' | 'control' }> {
      const execution = await load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      if (execution.status === 'ROLLING_BACK') return { action: 'rollback' };
      if (execution.status === 'PAUSED') return { action: 'control' };
      if (execution.status === 'IN_PROGRESS') {
        const service = await loadService(execution);
        const adapter = service ? deps.targets(service.target) : undefined;
        const blue = await upgrades.instanceRange(execution.executionId, 0, execution.totalInstances);
        await forEachLimited(blue, INSTANCE_CONCURRENCY, async (instance) => {
          await adapter?.perform({
            action: 'retire', tenantId: execution.tenantId, project: execution.project, service: execution.service, executionId: execution.executionId,
            instanceId: instance.instanceId, fromVersion: execution.fromVersion, toVersion: execution.toVersion, attempt: 1,
            idempotencyKey: actionIdempotencyKey({ executionId: execution.executionId, instanceId: instance.instanceId, action: 'retire' }), payload: { color: 'blue' },
          });
        });
        await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'BlueRetired', actor: 'sluice', detail: { instances: blue.length } });
      }
      const completion = await this.complete(ids);
      return { action: completion.action === 'done' ? 'done' : completion.action === 'rollback' ? 'rollback' : 'control' };
    },

    /** Rolls a blue-green back: traffic to blue if it had moved, green retired, blue untouched. */
    async revertGreen(ids: Ids): Promise<void> {
      const execution = await load(ids);
      await upgrades.take(ids.tenantId, ids.executionId, 'gateToken');
      if (execution.status !== 'ROLLING_BACK') return;
      if (execution.trafficSwitchedAt) await this.switchTraffic({ ...ids, to: 'blue' });
      const service = await loadService(execution);
      const adapter = service ? deps.targets(service.target) : undefined;
      const touched = (await upgrades.instanceRange(execution.executionId, 0, execution.totalInstances)).filter((instance) => TOUCHED.includes(instance.status));
      await forEachLimited(touched, INSTANCE_CONCURRENCY, async (instance) => {
        await adapter?.perform({
          action: 'retire', tenantId: execution.tenantId, project: execution.project, service: execution.service, executionId: execution.executionId,
          instanceId: greenOf(instance.instanceId), fromVersion: execution.fromVersion, toVersion: execution.toVersion, attempt: 1,
          idempotencyKey: actionIdempotencyKey({ executionId: execution.executionId, instanceId: greenOf(instance.instanceId), action: 'retire' }), payload: { color: 'green' },
        });
        await upgrades.moveInstance(ids.tenantId, instance, { from: TOUCHED, to: 'ROLLED_BACK', set: { detail: 'green retired; blue kept serving' }, rolledBack: true });
      });
      await upgrades.appendEvent(ids.tenantId, ids.executionId, { type: 'GreenRetired', actor: 'sluice', detail: { instances: touched.length, trafficWasSwitched: Boolean(execution.trafficSwitchedAt) } });
      await this.finishRollback(ids);
    },

    async fail(ids: Ids & { error?: { Error?: string; Cause?: string } }): Promise<void> {
      const execution = await load(ids);
      logger.error('upgrade flow failed', { executionId: ids.executionId, error: ids.error?.Error });
      await failExecution(execution, `The upgrade flow failed unexpectedly (${ids.error?.Error ?? 'unknown error'}).`);
    },
  };
}

export type UpgradeTasks = ReturnType<typeof makeUpgradeTasks>;

/** The service now runs the new version; a concurrent patch of the service is retried. */
async function setServiceVersion(services: ServiceRepository, execution: ExecutionRecord, clock: Clock, logger: Logger): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const service: ServiceRecord | undefined = await services.get({ tenantId: execution.tenantId, project: execution.project, name: execution.service });
    if (!service || service.version === execution.toVersion) return;
    try {
      await services.replace({ ...service, version: execution.toVersion, revision: service.revision + 1, updatedAt: clock.now().toISOString() });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      logger.warn('service changed while recording the new version; retrying', { executionId: execution.executionId });
    }
  }
  throw new Error(`Could not record version ${execution.toVersion} on service ${execution.project}/${execution.service}`);
}

/**
 * The error a failed child execution ended with: `.sync` reports it as
 * `States.TaskFailed` with the child's description, holding its own Error, as Cause.
 */
export function childErrorName(error: { Error?: string; Cause?: string } | undefined): string {
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

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        if (item !== undefined) await work(item);
      }
    }),
  );
}
