import { randomBytes } from 'node:crypto';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { checkUpgradePath } from '../catalog/version-policy.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../common/errors.js';
import type { EventFeed } from '../common/feed.js';
import { type EventsQuery, toEventPage, toFeedQuery } from '../common/feed-schemas.js';
import type { Principal } from '../common/http/principal.js';
import type { Metrics } from '../common/metrics.js';
import type { Page } from '../common/pagination.js';
import type { UpgradeFlowName } from '../domain/flows.js';
import { type InstanceStatus, type Status, sourcesOf } from '../domain/status.js';
import type { ServiceRecord } from '../services/service.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { AlarmStates } from './alarm-states.js';
import { DEFAULT_GATE_TIMEOUT_SECONDS, KNOB_DEFAULTS } from './defaults.js';
import { type ExecutionRecord, type InstanceRecord, toExecutionView, toInstanceView } from './execution.js';
import { checkGates } from './gate-checks.js';
import { recordInstanceVersions } from './instance-versions.js';
import { planBatches, planStages } from './plan.js';
import type { CreateUpgradeBody, Strategy, UpgradeExecutionView, UpgradeInstanceView } from './schemas.js';
import type { UpgradeGuard } from './upgrade-guard.js';
import type { UpgradeRepository } from './upgrade-repository.js';
import type { Workflow } from './workflow.js';

/** The flow (state machine) that runs each strategy; STAGED is ROLLING with gates. */
export const FLOW_OF: Record<Strategy, UpgradeFlowName> = {
  ROLLING: 'rolling',
  RECREATE: 'rolling',
  STAGED: 'rolling',
  CANARY: 'canary',
  BLUE_GREEN: 'blue-green',
};

const IN_FLIGHT: readonly InstanceStatus[] = ['DRAINING', 'UPGRADING', 'HEALTH_CHECKING'];

/** Time-ordered, so that listing by id lists by creation. */
export function newExecutionId(now: Date): string {
  const random = BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString(36)
    .padStart(13, '0');
  return `upg_${now.getTime().toString(36).padStart(9, '0')}${random}`;
}

/** How a fleet update run creates its member upgrades. */
export interface CreateOptions {
  /** The id to create it under: a run's task names it before it creates it, so a retry finds it. */
  readonly executionId?: string;
  /** The update run it is a member upgrade of. */
  readonly updateRunId?: string;
}

/** A gate decision made through a notifier's decision link (functions/notify/decision-links.ts). */
export interface LinkDecision {
  /** The link's id in the audit (part of its token's hash, never the token). */
  readonly linkId: string;
  readonly notifier: string;
  /** The gate the link was made for: its index and the time it opened. */
  readonly gateIndex: number;
  readonly since: string;
}

export interface UpgradesDeps {
  readonly upgrades: UpgradeRepository;
  readonly services: ServiceRepository;
  readonly catalog: CatalogRepository;
  readonly workflow: Workflow;
  readonly clock: Clock;
  /** Timelines and the tenant's events feed. */
  readonly feed: Pick<EventFeed, 'tenant'>;
  /** Upgrade pipelines' ceiling check (docs/architecture.md#validation-ceiling); absent, nothing is capped. */
  readonly pipeline?: UpgradeGuard;
  /** Gate waits decided here (the status counts come from the repository, upgrade-metrics.ts). @default none */
  readonly metrics?: Metrics;
  /** Where a create finds whether the alarms it names exist (DescribeAlarms); absent, a create naming alarms is refused. */
  readonly alarms?: AlarmStates;
  /** Why an analysis URL is refused (the webhook target's SSRF guard), or `undefined`; absent, only https is required. */
  readonly checkUrl?: (url: string) => Promise<string | undefined>;
}

export interface Upgrades {
  create(tenantId: string, body: CreateUpgradeBody, principal: Principal, options?: CreateOptions): Promise<UpgradeExecutionView>;
  get(tenantId: string, executionId: string): Promise<UpgradeExecutionView>;
  list(
    tenantId: string,
    query: { limit: number; nextToken?: string; status?: Status; componentId?: string },
  ): Promise<Page<UpgradeExecutionView>>;
  active(tenantId: string, componentId: string): Promise<Page<UpgradeExecutionView>>;
  instances(tenantId: string, executionId: string, page: { limit: number; nextToken?: string }): Promise<Page<UpgradeInstanceView>>;
  /** The execution's timeline from a cursor, optionally held as a long poll (docs/architecture.md#events-feed). */
  events(tenantId: string, executionId: string, query: EventsQuery): Promise<ReturnType<typeof toEventPage<'timeline'>>>;
  /** The tenant's feed: every upgrade's and update run's events, from a cursor, optionally held as a long poll. */
  tenantEvents(tenantId: string, query: EventsQuery): Promise<ReturnType<typeof toEventPage<'feed'>>>;
  start(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  /**
   * Starts the flow of a VALIDATING execution that has none (its start was cut off between
   * the status change and the flow's start). Starting a flow is idempotent by name, so this
   * never starts a second one. A fleet run calls it for its running members.
   */
  ensureFlow(tenantId: string, executionId: string): Promise<void>;
  pause(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  resume(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  cancel(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  rollback(tenantId: string, executionId: string, reason: string, principal: Principal): Promise<UpgradeExecutionView>;
  promoteCanary(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  decideGate(
    tenantId: string,
    executionId: string,
    decision: 'approve' | 'reject',
    body: { comment?: string },
    principal: Principal,
    /** A decision through a notifier's decision link: only the very gate the link names, recorded as made through it. */
    through?: LinkDecision,
  ): Promise<UpgradeExecutionView>;
  statistics(
    tenantId: string,
    componentId: string,
  ): Promise<{
    componentId: string;
    totalExecutions: number;
    successfulExecutions: number;
    failedExecutions: number;
    successRate: number;
    averageDurationSeconds: number;
  }>;
}

export function makeUpgrades({
  upgrades,
  services,
  catalog,
  workflow,
  clock,
  feed,
  pipeline,
  metrics,
  alarms,
  checkUrl,
}: UpgradesDeps): Upgrades {
  const load = async (tenantId: string, executionId: string) => {
    const record = await upgrades.get(tenantId, executionId);
    if (!record) throw new NotFoundError(`Upgrade ${executionId} was not found.`);
    return record;
  };
  /**
   * Instances caught mid-action by a cancel end FAILED: their state is unknown, and no
   * task moves them on any more (moves are conditional on a live execution). Only the
   * batch in flight can hold such instances, so this reads one batch.
   */
  const settleInFlight = async (execution: ExecutionRecord) => {
    const batch = Math.min(execution.completedBatches, execution.batchBounds.length - 2);
    const instances = await upgrades.instanceRange(
      execution.executionId,
      execution.batchBounds[batch] ?? 0,
      execution.batchBounds[batch + 1] ?? 0,
    );
    for (const instance of instances.filter((i) => IN_FLIGHT.includes(i.status))) {
      await upgrades.moveInstance(execution.tenantId, instance, {
        from: IN_FLIGHT,
        to: 'FAILED',
        set: { detail: `cancelled while ${instance.status}; its state is unknown` },
        countFailed: true,
        afterEnd: true,
      });
    }
  };
  const mapPage = <T, U>(page: Page<T>, map: (item: T) => U): Page<U> => ({
    items: page.items.map(map),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });

  return {
    async create(tenantId, body, principal, options = {}) {
      const service = await services.get({ tenantId, project: body.project, name: body.service });
      if (!service) throw new NotFoundError(`Service ${body.project}/${body.service} was not found.`);
      const knobs = { ...KNOB_DEFAULTS, ...service.defaultUpgrade, ...stripUndefined(body) };
      if (!service.powered) throw new ConflictError(`Service ${body.project}/${body.service} is powered off; power it on to upgrade it.`);
      if (service.instances.length === 0) {
        throw new ValidationError(`Service ${body.project}/${body.service} has no instances to upgrade.`, {
          errors: [{ field: 'body.service', message: 'no instances' }],
        });
      }
      const versions = await catalog.allVersions(service.componentId);
      const rollbackOf = body.rollbackOf === undefined ? undefined : rollbackOfLatest(service, body.rollbackOf, body.toVersion);
      const path = checkUpgradePath({ from: service.version, to: body.toVersion, versions, ...(rollbackOf ? { rollbackOf } : {}) });
      if (!path.allowed) {
        throw new ValidationError(`The upgrade ${service.version} → ${body.toVersion} is blocked by the version policy.`, {
          errors: path.blockers.map((blocker) => ({ field: 'body.toVersion', message: blocker.reason, code: blocker.code })),
          extensions: { blockers: path.blockers },
        });
      }
      const guard = pipeline ? await pipeline.checkTarget(service, body.toVersion, versions, principal.subject) : {};
      await checkGates(body, { ...(alarms ? { alarms } : {}), ...(checkUrl ? { checkUrl } : {}) }, { field: 'body', knobs });

      const now = clock.now();
      const executionId = options.executionId ?? newExecutionId(now);
      let instanceOrder = service.instances;
      let batchBounds =
        knobs.strategy === 'BLUE_GREEN' ? [0, service.instances.length] : planBatches({ ...knobs, instances: service.instances.length });
      let stageNames: string[] | undefined;
      if (knobs.strategy === 'STAGED') {
        const plan = planStages(
          body.stages ?? [],
          service.instances.map((instance) => instance.id),
        );
        if ('problems' in plan)
          throw new ValidationError('The stages do not fit the service.', {
            errors: plan.problems.map((message) => ({ field: 'body.stages', message })),
          });
        const byId = new Map(service.instances.map((instance) => [instance.id, instance]));
        instanceOrder = plan.order.map((id) => byId.get(id) ?? { id });
        batchBounds = plan.bounds;
        stageNames = plan.names;
      }
      const record: ExecutionRecord = {
        executionId,
        tenantId,
        project: service.project,
        service: service.name,
        componentId: service.componentId,
        fromVersion: service.version,
        toVersion: body.toVersion,
        strategy: knobs.strategy,
        status: 'PENDING',
        canaryPercentage: knobs.canaryPercentage,
        batchSize: knobs.batchSize,
        batchDelaySeconds: knobs.batchDelaySeconds,
        healthCheckIntervalSeconds: knobs.healthCheckIntervalSeconds,
        healthCheckTimeoutSeconds: knobs.healthCheckTimeoutSeconds,
        maxUnavailablePercentage: knobs.maxUnavailablePercentage,
        autoRollbackEnabled: knobs.autoRollbackEnabled,
        failureThreshold: knobs.failureThreshold,
        maxConcurrentActions: knobs.maxConcurrentActions,
        installedComponents: body.installedComponents ?? {},
        gateTimeoutSeconds: body.gateTimeoutSeconds ?? DEFAULT_GATE_TIMEOUT_SECONDS,
        onGateTimeout: body.onGateTimeout ?? 'reject',
        gatesPassed: 0,
        ...(stageNames ? { stageNames } : {}),
        ...(body.canaryAutoPromoteSeconds === undefined ? {} : { canaryAutoPromoteSeconds: body.canaryAutoPromoteSeconds }),
        ...(body.autoPromotionSeconds === undefined ? {} : { autoPromotionSeconds: body.autoPromotionSeconds }),
        ...(knobs.strategy === 'BLUE_GREEN' ? { scaleDownDelaySeconds: body.scaleDownDelaySeconds ?? 300 } : {}),
        batchBounds,
        completedBatches: 0,
        preChecks: [],
        totalInstances: service.instances.length,
        completedCount: 0,
        failedCount: 0,
        rolledBackInstances: [],
        initiatedBy: principal.subject,
        allowSelfApproval: body.allowSelfApproval === true,
        ...(body.rollbackOf === undefined ? {} : { rollbackOf: body.rollbackOf }),
        ...(options.updateRunId === undefined ? {} : { updateRunId: options.updateRunId }),
        ...gateFields(body),
        createdAt: now.toISOString(),
      };
      const instances: InstanceRecord[] = instanceOrder.map((instance, index) => ({
        executionId,
        index,
        instanceId: instance.id,
        batch: batchBounds.findIndex((bound, at) => index >= bound && index < (batchBounds[at + 1] ?? Number.POSITIVE_INFINITY)),
        status: 'PENDING',
        attempts: 0,
        ...(instance.healthUrl === undefined ? {} : { healthUrl: instance.healthUrl }),
        updatedAt: now.toISOString(),
      }));
      await upgrades.create(record, instances, {
        type: 'UpgradeCreated',
        actor: principal.subject,
        detail: {
          fromVersion: record.fromVersion,
          toVersion: record.toVersion,
          strategy: record.strategy,
          instances: record.totalInstances,
          batches: batchBounds.length - 1,
          impact: path.impact,
          allowSelfApproval: record.allowSelfApproval,
          ...(record.rollbackOf === undefined ? {} : { rollbackOf: record.rollbackOf }),
          ...(record.updateRunId === undefined ? {} : { updateRunId: record.updateRunId }),
        },
      });
      if (guard.event) await upgrades.appendEvent(tenantId, executionId, guard.event);
      return toExecutionView(record);
    },

    get: async (tenantId, executionId) => toExecutionView(await load(tenantId, executionId)),

    list: async (tenantId, query) => mapPage(await upgrades.list(tenantId, query), toExecutionView),

    active: async (tenantId, componentId) => ({ items: (await upgrades.active(tenantId, componentId)).map(toExecutionView) }),

    async instances(tenantId, executionId, page) {
      await load(tenantId, executionId);
      return mapPage(await upgrades.instances(executionId, page), toInstanceView);
    },

    async events(tenantId, executionId, query) {
      await load(tenantId, executionId);
      const page = await upgrades.events(executionId, toFeedQuery(query, { now: clock.now(), expires: false }));
      return toEventPage(page, query, 'timeline');
    },

    async tenantEvents(tenantId, query) {
      const page = await feed.tenant(tenantId, toFeedQuery(query, { now: clock.now(), expires: true }));
      return toEventPage(page, query, 'feed');
    },

    async start(tenantId, executionId, principal) {
      // transition() reads the execution itself (404 when it does not exist).
      const validating = await upgrades.transition(tenantId, executionId, {
        from: ['PENDING'],
        to: 'VALIDATING',
        set: { startedAt: clock.now().toISOString() },
        event: { type: 'UpgradeStarted', actor: principal.subject },
      });
      try {
        const workflowArn = await workflow.start({
          flow: FLOW_OF[validating.strategy],
          name: executionId,
          input: { tenantId, executionId },
        });
        return toExecutionView(await upgrades.update(tenantId, executionId, { workflowArn }));
      } catch (error) {
        // Without a flow nothing would ever move it on: fail it now, visibly.
        await upgrades.transition(tenantId, executionId, {
          from: ['VALIDATING'],
          to: 'FAILED',
          set: { statusReason: 'The workflow could not be started.' },
          event: { type: 'UpgradeFailed', detail: { reason: 'workflow start failed' } },
        });
        throw error;
      }
    },

    async ensureFlow(tenantId, executionId) {
      const execution = await load(tenantId, executionId);
      if (execution.status !== 'VALIDATING' || execution.workflowArn) return;
      const workflowArn = await workflow.start({ flow: FLOW_OF[execution.strategy], name: executionId, input: { tenantId, executionId } });
      await upgrades.update(tenantId, executionId, { workflowArn });
    },

    async pause(tenantId, executionId, principal) {
      const execution = await load(tenantId, executionId);
      const from = execution.status;
      if (from !== 'IN_PROGRESS' && from !== 'CANARY_RUNNING') {
        throw new ConflictError(`The upgrade is ${from}; it cannot move to PAUSED.`, { extensions: { currentStatus: from } });
      }
      // Conditional on the status just read, so that resume returns to exactly that one.
      const paused = await upgrades.transition(tenantId, executionId, {
        from: [from],
        to: 'PAUSED',
        set: { pausedFrom: from },
        event: { type: 'UpgradePaused', actor: principal.subject, detail: { takesEffect: 'at the next batch boundary', pausedFrom: from } },
      });
      return toExecutionView(paused);
    },

    async resume(tenantId, executionId, principal) {
      const execution = await load(tenantId, executionId);
      const to = execution.pausedFrom ?? 'IN_PROGRESS';
      const resumed = await upgrades.transition(tenantId, executionId, {
        from: ['PAUSED'],
        to,
        // The progress deadline does not count the pause.
        set: { waitEndedAt: clock.now().toISOString() },
        remove: ['pausedFrom', 'statusReason'],
        event: { type: 'UpgradeResumed', actor: principal.subject, ...(to === 'IN_PROGRESS' ? {} : { detail: { resumedTo: to } }) },
      });
      // The flow parks on a task token once it reaches the batch boundary. If it has not
      // parked yet there is no token, and it will see IN_PROGRESS and carry on by itself.
      const token = await upgrades.take(tenantId, executionId, 'resumeToken');
      if (token) await workflow.succeed(token, { resumedBy: principal.subject });
      return toExecutionView(resumed);
    },

    async cancel(tenantId, executionId, principal) {
      const cancelled = await upgrades.transition(tenantId, executionId, {
        from: sourcesOf('CANCELLED'),
        to: 'CANCELLED',
        remove: ['waitingFor'],
        event: { type: 'UpgradeCancelled', actor: principal.subject },
      });
      await upgrades.take(tenantId, executionId, 'resumeToken');
      await upgrades.take(tenantId, executionId, 'gateToken');
      if (cancelled.workflowArn) await workflow.stop(cancelled.workflowArn, `Cancelled by ${principal.subject}`);
      await settleInFlight(cancelled);
      // Instances upgraded before the cancel keep running the new version: the service says so.
      const instances = (execution: ExecutionRecord) => upgrades.instanceRange(execution.executionId, 0, execution.totalInstances);
      await recordInstanceVersions({ services, instances, now: () => clock.now() }, cancelled);
      return toExecutionView(cancelled);
    },

    async rollback(tenantId, executionId, reason, principal) {
      const rolling = await upgrades.transition(tenantId, executionId, {
        from: sourcesOf('ROLLING_BACK'),
        to: 'ROLLING_BACK',
        set: { rollbackReason: reason, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: principal.subject },
        remove: ['waitingFor'],
        event: { type: 'RollbackRequested', actor: principal.subject, detail: { reason } },
      });
      // A flow parked at a gate or holding blue wakes now instead of at its timeout.
      const token = await upgrades.take(tenantId, executionId, 'gateToken');
      if (token) await workflow.fail(token, 'RollbackRequested', reason);
      return toExecutionView(rolling);
    },

    async promoteCanary(tenantId, executionId, principal) {
      const promoted = await upgrades.transition(tenantId, executionId, {
        from: ['CANARY_MONITORING'],
        to: 'IN_PROGRESS',
        set: { waitEndedAt: clock.now().toISOString() },
        remove: ['promotionHeld'],
        event: { type: 'CanaryPromoted', actor: principal.subject, detail: { automatic: false } },
      });
      return toExecutionView(promoted);
    },

    async decideGate(tenantId, executionId, decision, body, principal, through) {
      const execution = await load(tenantId, executionId);
      if (!execution.waitingFor || execution.status !== 'IN_PROGRESS') {
        throw new ConflictError(`No gate of upgrade ${executionId} is waiting for a decision.`, {
          extensions: { currentStatus: execution.status },
        });
      }
      if (through && (execution.waitingFor.since !== through.since || (execution.gatesPassed ?? 0) !== through.gateIndex)) {
        throw new ConflictError(`The gate this link names no longer waits: upgrade ${executionId} waits at another.`, {
          extensions: { currentStatus: execution.status },
        });
      }
      const selfDecided = execution.initiatedBy === principal.subject;
      if (selfDecided && execution.allowSelfApproval !== true) {
        throw new ForbiddenError('The initiator of an upgrade may not decide its gates: it was not created with allowSelfApproval: true.');
      }
      const { gate, stage } = execution.waitingFor;
      // Taking the token is the decision: of two concurrent deciders exactly one gets it.
      const token = await upgrades.take(tenantId, executionId, 'gateToken');
      if (!token) throw new ConflictError('The gate was decided meanwhile.', { extensions: { currentStatus: execution.status } });
      metrics?.seconds('GateWaitSeconds', (clock.now().getTime() - Date.parse(execution.waitingFor.since)) / 1000, execution.strategy);
      const detail = {
        gate,
        gateIndex: execution.gatesPassed ?? 0,
        ...(stage ? { stage } : {}),
        ...(body.comment ? { comment: body.comment } : {}),
        ...(selfDecided ? { selfApproved: true } : {}),
        ...(through ? { via: 'decision-link', linkId: through.linkId, notifier: through.notifier } : {}),
      };
      if (decision === 'approve') {
        const approved = await upgrades.update(
          tenantId,
          executionId,
          { gatesPassed: (execution.gatesPassed ?? 0) + 1, waitEndedAt: clock.now().toISOString() },
          { remove: ['waitingFor'] },
        );
        await upgrades.appendEvent(tenantId, executionId, { type: 'GateApproved', actor: principal.subject, detail });
        await workflow.succeed(token, { approvedBy: principal.subject, ...(body.comment ? { comment: body.comment } : {}) });
        return toExecutionView(approved);
      }
      const reason = `Rejected at the ${gate} gate${stage ? ` after stage ${stage}` : ''} by ${principal.subject}${body.comment ? `: ${body.comment}` : ''}`;
      const rejected = await upgrades.transition(tenantId, executionId, {
        from: ['IN_PROGRESS'],
        to: 'ROLLING_BACK',
        remove: ['waitingFor'],
        set: { rollbackReason: reason, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: principal.subject },
        event: { type: 'GateRejected', actor: principal.subject, detail },
      });
      await workflow.fail(token, 'GateRejected', reason);
      return toExecutionView(rejected);
    },

    /** Over finished executions (cancelled ones count in the total only). */
    async statistics(tenantId, componentId) {
      const [component, stats] = await Promise.all([catalog.getComponent(componentId), upgrades.statistics(tenantId, componentId)]);
      if (!component) throw new NotFoundError(`Component ${componentId} was not found.`);
      const finished = stats.totalExecutions;
      return {
        componentId,
        totalExecutions: stats.totalExecutions,
        successfulExecutions: stats.successfulExecutions,
        failedExecutions: stats.failedExecutions,
        successRate: finished === 0 ? 0 : Math.round((stats.successfulExecutions / finished) * 10_000) / 100,
        // Only executions that ran have a duration: one cancelled before it started has none.
        averageDurationSeconds:
          stats.timedExecutions === 0 ? 0 : Math.round((stats.durationSecondsSum / stats.timedExecutions) * 100) / 100,
      };
    },
  };
}

/**
 * The AME minor rollback: an upgrade back to the version the service ran before its
 * latest completed upgrade, named by `rollbackOf`. Anything else is 422
 * `ROLLBACK_NOT_ALLOWED` with the reason; the version policy then waives the minor
 * downgrade rule for exactly that reverse move.
 */
export function rollbackOfLatest(
  service: Pick<ServiceRecord, 'project' | 'name' | 'version' | 'lastUpgrade'>,
  rollbackOf: string,
  toVersion: string,
): { fromVersion: string; toVersion: string } {
  const latest = service.lastUpgrade;
  const refuse = (message: string) => {
    throw new ValidationError(`Upgrade ${rollbackOf} cannot be rolled back: ${message}.`, {
      errors: [{ field: 'body.rollbackOf', message, code: 'ROLLBACK_NOT_ALLOWED' }],
    });
  };
  if (!latest) return refuse(`${service.project}/${service.name} has no completed upgrade on record`);
  if (latest.executionId !== rollbackOf)
    return refuse(`it is not the latest completed upgrade of ${service.project}/${service.name} (that is ${latest.executionId})`);
  if (service.version !== latest.toVersion)
    return refuse(`the service runs ${service.version}, not the ${latest.toVersion} that upgrade installed`);
  if (toVersion !== latest.fromVersion) return refuse(`a rollback of it goes back to ${latest.fromVersion}, not ${toVersion}`);
  return { fromVersion: latest.fromVersion, toVersion: latest.toVersion };
}

/** The gate fields of a create as the record keeps them (defaults filled in). */
function gateFields(body: CreateUpgradeBody): Partial<ExecutionRecord> {
  const gated = body.alarms !== undefined || body.analysis !== undefined || body.progressDeadlineSeconds !== undefined;
  return {
    ...(body.alarms ? { alarms: body.alarms } : {}),
    ...(gated ? { onAlarm: body.onAlarm ?? 'rollback' } : {}),
    ...(body.analysis ? { analysis: { ...body.analysis, failureLimit: body.analysis.failureLimit ?? 0 } } : {}),
    ...(body.progressDeadlineSeconds === undefined ? {} : { progressDeadlineSeconds: body.progressDeadlineSeconds }),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
