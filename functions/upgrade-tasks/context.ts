import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { Clock } from '../common/clock.js';
import type { TransactItem } from '../common/ddb-items.js';
import { ConflictError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Metrics } from '../common/metrics.js';
import { type InstanceStatus, isTerminal, type Status } from '../domain/status.js';
import type { Target } from '../services/schemas.js';
import type { ServiceRepository } from '../services/service-repository.js';
import {
  type ActionRequest,
  type ActionResult,
  actionIdempotencyKey,
  type TargetAction,
  type TargetAdapter,
} from '../targets/target-adapter.js';
import type { AlarmStates } from '../upgrades/alarm-states.js';
import type { ExecutionRecord, InstanceRecord } from '../upgrades/execution.js';
import { sameVersions, versionsAfter } from '../upgrades/instance-versions.js';
import type { TransitionRequest, UpgradeRepository } from '../upgrades/upgrade-repository.js';
import type { Workflow } from '../upgrades/workflow.js';
import { isRetryPass } from './decisions.js';
import type { HealthProbe } from './health-probe.js';
import type { MetricWebhook } from './metric-webhook.js';

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
  /** Gate waits (the status counts come from the repository, upgrade-metrics.ts). @default none */
  readonly metrics?: Metrics;
  /** Where the API is reached, for the approve/reject links of gate events. */
  readonly apiBaseUrl?: string;
  /** The watched CloudWatch alarms' states (DescribeAlarms); needed by upgrades that watch alarms. */
  readonly alarms?: AlarmStates;
  /** Reads an analysis's metric webhook; needed by upgrades with an analysis. */
  readonly metricWebhook?: MetricWebhook;
  /** Upgrade pipelines: a completed upgrade leaves pending auto-validations on its source's steps (docs/architecture.md#auto-validation-schedules). */
  readonly pipeline?: {
    /** The pending entries, as writes of the completion's own transaction. */
    completionWrites(execution: ExecutionRecord, completedAt: string): Promise<TransactItem[]>;
    /** Their schedules, created after the transaction; idempotent, so a retried task creates none twice. */
    scheduleCompleted(execution: ExecutionRecord): Promise<void>;
  };
}

/** What every task receives from the flow: the execution it works on. */
export type Ids = { tenantId: string; executionId: string };
/** A failed state's error as a Catch hands it over (`$.error`). */
export type StatesError = { Error?: string; Cause?: string };

/** Attempts of one instance action before it counts as a failure. */
export const ACTION_ATTEMPTS = 3;
const RETRY_BASE_MS = 1000;
/** Instances of one batch acted on at once inside the task. */
export const INSTANCE_CONCURRENCY = 16;

/** Instances an upgrade has acted on: what a rollback reverts. */
export const TOUCHED: readonly InstanceStatus[] = ['DRAINING', 'UPGRADING', 'HEALTH_CHECKING', 'COMPLETED', 'FAILED'];

/** BLUE_GREEN acts on a green twin of each instance; blue keeps serving meanwhile. */
export const greenOf = (instanceId: string) => `${instanceId}-green`;

/** What a target hears when the service it acts on was deleted under a running upgrade. */
const SERVICE_GONE: ActionResult = { ok: false, retryable: false, detail: 'the service no longer exists' };

/** One target action of an execution, as {@link TaskContext.request} builds it. */
export interface ActionSpec {
  readonly action: TargetAction;
  /** The instance acted on (a green twin, or `*` for a service-level action). */
  readonly instanceId: string;
  /** The instance the idempotency key names; defaults to `instanceId`. */
  readonly keyInstanceId?: string;
  /** Tells repeated calls of one action apart (a health poll's time, a switch's direction). */
  readonly step?: string | number;
  readonly attempt?: number;
  /** A rollback goes from `toVersion` back to `fromVersion`. */
  readonly reverse?: boolean;
  readonly payload?: Readonly<Record<string, unknown>>;
}

/**
 * What the tasks of every phase share: loading what they act on, the one builder of
 * target action requests, instance failures, and the status changes more than one
 * phase makes (fail, start a rollback, complete, end a rollback).
 */
export function makeTaskContext(deps: UpgradeTasksDeps) {
  const { upgrades, services, clock, logger } = deps;

  const load = async ({ tenantId, executionId }: Ids): Promise<ExecutionRecord> => {
    const execution = await upgrades.get(tenantId, executionId);
    if (!execution) throw new Error(`Upgrade ${executionId} of tenant ${tenantId} does not exist`);
    return execution;
  };

  const loadService = (execution: ExecutionRecord) =>
    services.get({ tenantId: execution.tenantId, project: execution.project, name: execution.service });

  /** The target adapter of the execution's service, or `undefined` when the service was deleted. */
  const adapterOf = async (execution: ExecutionRecord): Promise<TargetAdapter | undefined> => {
    const service = await loadService(execution);
    return service ? deps.targets(service.target) : undefined;
  };

  const batchRange = (execution: ExecutionRecord, batch: number) =>
    upgrades.instanceRange(execution.executionId, execution.batchBounds[batch] ?? 0, execution.batchBounds[batch + 1] ?? 0);

  const allInstances = (execution: ExecutionRecord) => upgrades.instanceRange(execution.executionId, 0, execution.totalInstances);

  /** The instances a batch number covers: a batch of the plan or, one past the last, the retry pass. */
  const passInstances = (execution: ExecutionRecord, batch: number) =>
    isRetryPass(execution, batch)
      ? upgrades.instancesAt(execution.executionId, execution.retryPass?.indexes ?? [])
      : batchRange(execution, batch);

  /**
   * Whether a batch began: an instance left PENDING (in the retry pass, one was
   * retried). A batch that did not begin was held by a pause and runs after the resume.
   */
  const began = (execution: ExecutionRecord, batch: number, instances: readonly InstanceRecord[]) => {
    if (!isRetryPass(execution, batch)) return instances.some((instance) => instance.status !== 'PENDING');
    if (execution.retryPass === undefined) return false;
    return instances.length === 0 || instances.some((instance) => instance.retried === true);
  };

  /**
   * The write that records on the service what an execution left its instances running
   * (none when the service already says so, or is gone). It goes into the transaction of
   * the status change that ends the execution: a reader who sees the end sees the
   * versions, and nothing writes the service after it (a PATCH right after the end would
   * otherwise race that write and lose with a 409).
   */
  const versionsWrites = async (execution: ExecutionRecord, at: string): Promise<TransactItem[]> => {
    const service = await loadService(execution);
    if (!service) return [];
    const next = versionsAfter(service, execution, await allInstances(execution));
    if (sameVersions(service, next)) return [];
    return [services.replaceWrite({ ...service, ...next, revision: service.revision + 1, updatedAt: at })];
  };

  /**
   * An ending status change with the service's versions in its transaction, retried when
   * the service changed meanwhile; gives up quietly once the execution left `from`.
   */
  const endWithVersions = async (
    ids: Ids,
    end: (execution: ExecutionRecord) => Omit<TransitionRequest, 'alsoWrite'> | undefined,
  ): Promise<void> => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const execution = await load(ids);
      const spec = end(execution);
      if (spec === undefined) return;
      try {
        await upgrades.transition(ids.tenantId, ids.executionId, {
          ...spec,
          alsoWrite: await versionsWrites(execution, clock.now().toISOString()),
        });
        return;
      } catch (error) {
        // The status moved (nothing left to do: `end` says so next time) or the service changed: look again.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new Error(`Could not end upgrade ${ids.executionId}: it kept changing`);
  };

  const request = (execution: ExecutionRecord, spec: ActionSpec): ActionRequest => ({
    action: spec.action,
    tenantId: execution.tenantId,
    project: execution.project,
    service: execution.service,
    executionId: execution.executionId,
    instanceId: spec.instanceId,
    fromVersion: spec.reverse ? execution.toVersion : execution.fromVersion,
    toVersion: spec.reverse ? execution.fromVersion : execution.toVersion,
    attempt: spec.attempt ?? 1,
    idempotencyKey: actionIdempotencyKey({
      executionId: execution.executionId,
      instanceId: spec.keyInstanceId ?? spec.instanceId,
      action: spec.action,
      ...(spec.step === undefined ? {} : { step: spec.step }),
    }),
    ...(spec.payload ? { payload: spec.payload } : {}),
  });

  /** One call, or the deleted-service failure when there is no adapter. */
  const perform = (adapter: TargetAdapter | undefined, execution: ExecutionRecord, spec: ActionSpec): Promise<ActionResult> =>
    adapter ? adapter.perform(request(execution, spec)) : Promise.resolve(SERVICE_GONE);

  /**
   * One instance action with retries and exponential backoff; only the last failure
   * counts. BLUE_GREEN acts on the green twin (but drains nothing) and keys the action
   * by the blue instance it stands for.
   */
  const act = async (
    adapter: TargetAdapter | undefined,
    execution: ExecutionRecord,
    instance: InstanceRecord,
    action: TargetAction,
    options: { reverse?: boolean } = {},
  ): Promise<ActionResult & { attempts: number }> => {
    if (!adapter) return { ...SERVICE_GONE, attempts: 0 };
    const blueGreen = execution.strategy === 'BLUE_GREEN';
    let result: ActionResult = { ok: false, retryable: true, detail: 'not attempted' };
    let attempt = 1;
    for (; attempt <= ACTION_ATTEMPTS; attempt += 1) {
      result = await adapter.perform(
        request(execution, {
          action,
          instanceId: blueGreen && action !== 'drain' ? greenOf(instance.instanceId) : instance.instanceId,
          keyInstanceId: instance.instanceId,
          attempt,
          ...(options.reverse ? { reverse: true } : {}),
          ...(blueGreen ? { payload: { color: 'green', blueInstanceId: instance.instanceId } } : {}),
        }),
      );
      if (result.ok || !result.retryable || attempt === ACTION_ATTEMPTS) break;
      await deps.sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
    }
    return { ...result, attempts: Math.min(attempt, ACTION_ATTEMPTS) };
  };

  /**
   * One health poll of an instance (its green twin under BLUE_GREEN): healthy or not, and
   * why not. An instance with a `healthUrl` must also answer it with a 2xx: the target
   * saying "upgraded" is not enough while the instance's own endpoint says otherwise.
   */
  const pollHealth = async (
    adapter: TargetAdapter | undefined,
    execution: ExecutionRecord,
    instance: InstanceRecord,
  ): Promise<{ healthy: boolean; detail?: string }> => {
    const result = await perform(adapter, execution, {
      action: 'health',
      instanceId: execution.strategy === 'BLUE_GREEN' ? greenOf(instance.instanceId) : instance.instanceId,
      keyInstanceId: instance.instanceId,
      step: clock.now().getTime(),
    });
    if (!result.ok) return { healthy: false, detail: result.detail };
    if (result.healthy === false) return { healthy: false };
    if (!instance.healthUrl) return { healthy: true };
    const probed = await deps.probe.check(instance.healthUrl);
    return probed.ok ? { healthy: true } : { healthy: false, detail: `its health URL answered ${probed.detail}` };
  };

  const failInstance = async (
    execution: ExecutionRecord,
    instance: InstanceRecord,
    from: InstanceStatus,
    detail: string,
    set: Partial<InstanceRecord> = {},
  ) => {
    const moved = await upgrades.moveInstance(execution.tenantId, instance, {
      from: [from],
      to: 'FAILED',
      set: { ...set, detail },
      countFailed: true,
    });
    if (moved)
      await upgrades.appendEvent(execution.tenantId, execution.executionId, {
        type: 'InstanceFailed',
        detail: { instanceId: instance.instanceId, batch: instance.batch, reason: detail },
      });
  };

  /**
   * Moves a paused execution back to IN_PROGRESS first where the table demands it: a
   * threshold reached during a batch that was paused mid-way still rolls back or fails.
   */
  const leavePause = async (execution: ExecutionRecord, reason: string): Promise<ExecutionRecord> => {
    if (execution.status !== 'PAUSED') return execution;
    await upgrades.take(execution.tenantId, execution.executionId, 'resumeToken');
    return upgrades.transition(execution.tenantId, execution.executionId, {
      from: ['PAUSED'],
      to: execution.pausedFrom ?? 'IN_PROGRESS',
      remove: ['pausedFrom'],
      event: { type: 'UpgradeResumed', actor: 'sluice', detail: { reason } },
    });
  };

  /** Ends the execution FAILED unless it already ended. */
  const failExecution = async (execution: ExecutionRecord, reason: string) => {
    await leavePause(execution, reason);
    const from: Status[] = ['VALIDATING', 'IN_PROGRESS', 'CANARY_RUNNING', 'ROLLING_BACK'];
    await endWithVersions(execution, (current) =>
      from.includes(current.status)
        ? { from, to: 'FAILED', set: { statusReason: reason }, event: { type: 'UpgradeFailed', actor: 'sluice', detail: { reason } } }
        : undefined,
    );
  };

  /** An automatic rollback: the flow's next control step walks the batches back. */
  const startRollback = async (execution: ExecutionRecord, reason: string) => {
    const current = await leavePause(execution, reason);
    await upgrades.transition(current.tenantId, current.executionId, {
      from: ['IN_PROGRESS', 'CANARY_MONITORING'],
      to: 'ROLLING_BACK',
      set: { rollbackReason: reason, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: 'sluice (auto-rollback)' },
      event: { type: 'RollbackStarted', actor: 'sluice', detail: { reason, automatic: true } },
    });
  };

  /**
   * The end of a rollout: COMPLETED when every instance runs the new version, else
   * FAILED (the retry pass is behind it). One transaction writes the status with every
   * consequence a reader may look for — the lock released, the statistics, each
   * instance's version on the service with the upgrade on record, the pipeline's pending
   * auto-validations — so nothing is seen half done and a crash leaves all or nothing.
   * The schedules come after (another service's API); a retried or restarted task finds
   * COMPLETED and creates them again, idempotently.
   */
  const complete = async (ids: Ids): Promise<{ action: 'done' | 'rollback' | 'control' }> => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const execution = await load(ids);
      if (execution.status === 'ROLLING_BACK') return { action: 'rollback' };
      if (execution.status === 'COMPLETED') {
        await deps.pipeline?.scheduleCompleted(execution);
        return { action: 'done' };
      }
      if (execution.status !== 'IN_PROGRESS') return { action: isTerminal(execution.status) ? 'done' : 'control' };
      const instances = await allInstances(execution);
      const left = instances.filter((instance) => instance.status !== 'COMPLETED').length;
      const finishedAt = clock.now().toISOString();
      const service = await loadService(execution);
      const writes: TransactItem[] = [];
      if (service) {
        const lastUpgrade = {
          executionId: execution.executionId,
          fromVersion: execution.fromVersion,
          toVersion: execution.toVersion,
          completedAt: finishedAt,
        };
        writes.push(
          services.replaceWrite({
            ...service,
            ...versionsAfter(service, execution, instances),
            ...(left === 0 ? { lastUpgrade } : {}),
            revision: service.revision + 1,
            updatedAt: finishedAt,
          }),
        );
      }
      if (left === 0 && deps.pipeline) writes.push(...(await deps.pipeline.completionWrites(execution, finishedAt)));
      const reason = `${left} instance(s) still not on ${execution.toVersion} after the retry pass`;
      try {
        await upgrades.transition(ids.tenantId, ids.executionId, {
          from: ['IN_PROGRESS'],
          to: left === 0 ? 'COMPLETED' : 'FAILED',
          set: { finishedAt, ...(left === 0 ? {} : { statusReason: reason }) },
          event:
            left === 0
              ? {
                  type: 'UpgradeCompleted',
                  actor: 'sluice',
                  detail: { toVersion: execution.toVersion, completed: execution.completedCount, failed: execution.failedCount },
                }
              : {
                  type: 'UpgradeFailed',
                  actor: 'sluice',
                  detail: { reason, completed: execution.completedCount, failed: execution.failedCount },
                },
          alsoWrite: writes,
        });
      } catch (error) {
        // The status moved (a cancel, a rollback) or the service changed meanwhile: look again.
        if (!(error instanceof ConflictError)) throw error;
        logger.warn('completion raced another change; reading again', { executionId: ids.executionId });
        continue;
      }
      if (left === 0) await deps.pipeline?.scheduleCompleted(await load(ids));
      return { action: 'done' };
    }
    throw new Error(`Could not complete upgrade ${ids.executionId}: it kept changing`);
  };

  /** ROLLING_BACK → ROLLED_BACK, or FAILED when an instance could not be rolled back. */
  const finishRollback = (ids: Ids): Promise<void> =>
    endWithVersions(ids, (execution) => {
      if (execution.status !== 'ROLLING_BACK') return undefined;
      const failures = execution.rollbackFailures ?? 0;
      return {
        from: ['ROLLING_BACK'],
        to: failures === 0 ? 'ROLLED_BACK' : 'FAILED',
        ...(failures === 0 ? {} : { set: { statusReason: `${failures} instance(s) could not be rolled back` } }),
        event: {
          type: failures === 0 ? 'UpgradeRolledBack' : 'UpgradeFailed',
          actor: 'sluice',
          detail: {
            rolledBackInstances: execution.rolledBackInstances.length,
            rollbackFailures: failures,
            reason: execution.rollbackReason,
          },
        },
      };
    });

  return {
    deps,
    load,
    loadService,
    adapterOf,
    batchRange,
    allInstances,
    passInstances,
    began,
    request,
    perform,
    act,
    pollHealth,
    failInstance,
    leavePause,
    failExecution,
    startRollback,
    complete,
    finishRollback,
  };
}

export type TaskContext = ReturnType<typeof makeTaskContext>;

/** What a task knows of the invocation running it: the Lambda context's time left. */
export interface TaskInvocation {
  remainingMs(): number;
}

/**
 * The most one instance action can take: 3 attempts of a webhook's 10 s timeout, plus the
 * backoff between them. A task stops starting actions once less than this (or half of
 * its invocation's time, when the whole invocation is shorter) is left.
 */
const LONGEST_ACTION_MS = 40_000;

/** When a task must stop starting instance actions so that its invocation ends in time. */
export function timeBudget(invocation: TaskInvocation | undefined): { exhausted(): boolean } {
  if (!invocation) return { exhausted: () => false };
  const margin = Math.min(LONGEST_ACTION_MS, invocation.remainingMs() / 2);
  return { exhausted: () => invocation.remainingMs() < margin };
}

/** Runs `work` over `items` with at most `limit` in flight; takes no new item once `stop()` says so. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !stop()) {
        const item = items[next];
        next += 1;
        if (item !== undefined) await work(item);
      }
    }),
  );
}
