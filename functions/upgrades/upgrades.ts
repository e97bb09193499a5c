import { randomBytes } from 'node:crypto';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { checkUpgradePath } from '../catalog/version-policy.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import type { Principal } from '../shared/http/principal.js';
import type { Page } from '../shared/pagination.js';
import type { ServiceRepository } from '../services/service-repository.js';
import { toExecutionView, toInstanceView, type ExecutionRecord, type InstanceRecord } from './execution.js';
import { planBatches } from './plan.js';
import { KNOB_DEFAULTS, type CreateUpgradeBody, type TimelineEvent, type UpgradeExecutionView, type UpgradeInstanceView } from './schemas.js';
import { sourcesOf, type Status } from './status.js';
import type { UpgradeRepository } from './upgrade-repository.js';
import type { Workflow } from './workflow.js';

/** Strategies whose flows exist today; the others are refused with 422 until they land. */
const AVAILABLE_STRATEGIES = new Set(['ROLLING', 'RECREATE']);

/** Time-ordered, so that listing by id lists by creation. */
export function newExecutionId(now: Date): string {
  const random = BigInt(`0x${randomBytes(8).toString('hex')}`).toString(36).padStart(13, '0');
  return `upg_${now.getTime().toString(36).padStart(9, '0')}${random}`;
}

export interface UpgradesDeps {
  readonly upgrades: UpgradeRepository;
  readonly services: ServiceRepository;
  readonly catalog: CatalogRepository;
  readonly workflow: Workflow;
  readonly clock: Clock;
}

export interface Upgrades {
  create(tenantId: string, body: CreateUpgradeBody, principal: Principal): Promise<UpgradeExecutionView>;
  get(tenantId: string, executionId: string): Promise<UpgradeExecutionView>;
  list(tenantId: string, query: { limit: number; nextToken?: string; status?: Status; componentId?: string }): Promise<Page<UpgradeExecutionView>>;
  active(tenantId: string, componentId: string): Promise<Page<UpgradeExecutionView>>;
  instances(tenantId: string, executionId: string, page: { limit: number; nextToken?: string }): Promise<Page<UpgradeInstanceView>>;
  events(tenantId: string, executionId: string, page: { limit: number; nextToken?: string }): Promise<Page<TimelineEvent>>;
  start(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  pause(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  resume(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  cancel(tenantId: string, executionId: string, principal: Principal): Promise<UpgradeExecutionView>;
  rollback(tenantId: string, executionId: string, reason: string, principal: Principal): Promise<UpgradeExecutionView>;
  statistics(tenantId: string, componentId: string): Promise<{ componentId: string; totalExecutions: number; successfulExecutions: number; failedExecutions: number; successRate: number; averageDurationSeconds: number }>;
}

export function makeUpgrades({ upgrades, services, catalog, workflow, clock }: UpgradesDeps): Upgrades {
  const load = async (tenantId: string, executionId: string) => {
    const record = await upgrades.get(tenantId, executionId);
    if (!record) throw new NotFoundError(`Upgrade ${executionId} was not found.`);
    return record;
  };
  const mapPage = <T, U>(page: Page<T>, map: (item: T) => U): Page<U> => ({ items: page.items.map(map), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });

  return {
    async create(tenantId, body, principal) {
      const service = await services.get({ tenantId, project: body.project, name: body.service });
      if (!service) throw new NotFoundError(`Service ${body.project}/${body.service} was not found.`);
      const knobs = { ...KNOB_DEFAULTS, ...service.defaultUpgrade, ...stripUndefined(body) };
      if (!AVAILABLE_STRATEGIES.has(knobs.strategy)) {
        throw new ValidationError(`The ${knobs.strategy} strategy is not available yet; use ROLLING or RECREATE.`, { errors: [{ field: 'body.strategy', message: 'not available yet' }] });
      }
      if (!service.powered) throw new ConflictError(`Service ${body.project}/${body.service} is powered off; power it on to upgrade it.`);
      if (service.instances.length === 0) {
        throw new ValidationError(`Service ${body.project}/${body.service} has no instances to upgrade.`, { errors: [{ field: 'body.service', message: 'no instances' }] });
      }
      const versions = await catalog.allVersions(service.componentId);
      const path = checkUpgradePath({ from: service.version, to: body.toVersion, versions });
      if (!path.allowed) {
        throw new ValidationError(`The upgrade ${service.version} → ${body.toVersion} is blocked by the version policy.`, {
          errors: path.blockers.map((blocker) => ({ field: 'body.toVersion', message: blocker.reason, code: blocker.code })),
          extensions: { blockers: path.blockers },
        });
      }

      const now = clock.now();
      const executionId = newExecutionId(now);
      const batchBounds = planBatches({ ...knobs, instances: service.instances.length });
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
        installedComponents: body.installedComponents ?? {},
        batchBounds,
        completedBatches: 0,
        preChecks: [],
        totalInstances: service.instances.length,
        completedCount: 0,
        failedCount: 0,
        rolledBackInstances: [],
        initiatedBy: principal.subject,
        createdAt: now.toISOString(),
      };
      const instances: InstanceRecord[] = service.instances.map((instance, index) => ({
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
        detail: { fromVersion: record.fromVersion, toVersion: record.toVersion, strategy: record.strategy, instances: record.totalInstances, batches: batchBounds.length - 1, impact: path.impact },
      });
      return toExecutionView(record);
    },

    get: async (tenantId, executionId) => toExecutionView(await load(tenantId, executionId)),

    list: async (tenantId, query) => mapPage(await upgrades.list(tenantId, query), toExecutionView),

    active: async (tenantId, componentId) => ({ items: (await upgrades.active(tenantId, componentId)).map(toExecutionView) }),

    async instances(tenantId, executionId, page) {
      await load(tenantId, executionId);
      return mapPage(await upgrades.instances(executionId, page), toInstanceView);
    },

    async events(tenantId, executionId, page) {
      await load(tenantId, executionId);
      return upgrades.events(executionId, page);
    },

    async start(tenantId, executionId, principal) {
      await load(tenantId, executionId);
      await upgrades.transition(tenantId, executionId, {
        from: ['PENDING'],
        to: 'VALIDATING',
        set: { startedAt: clock.now().toISOString() },
        event: { type: 'UpgradeStarted', actor: principal.subject },
      });
      try {
        const workflowArn = await workflow.start({ flow: 'rolling', name: executionId, input: { tenantId, executionId } });
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

    async pause(tenantId, executionId, principal) {
      await load(tenantId, executionId);
      const paused = await upgrades.transition(tenantId, executionId, {
        from: ['IN_PROGRESS', 'CANARY_RUNNING'],
        to: 'PAUSED',
        event: { type: 'UpgradePaused', actor: principal.subject, detail: { takesEffect: 'at the next batch boundary' } },
      });
      return toExecutionView(paused);
    },

    async resume(tenantId, executionId, principal) {
      await load(tenantId, executionId);
      const resumed = await upgrades.transition(tenantId, executionId, { from: ['PAUSED'], to: 'IN_PROGRESS', event: { type: 'UpgradeResumed', actor: principal.subject } });
      // The flow parks on a task token once it reaches the batch boundary. If it has not
      // parked yet there is no token, and it will see IN_PROGRESS and carry on by itself.
      const token = await upgrades.take(tenantId, executionId, 'resumeToken');
      if (token) await workflow.succeed(token, { resumedBy: principal.subject });
      return toExecutionView(resumed);
    },

    async cancel(tenantId, executionId, principal) {
      await load(tenantId, executionId);
      const cancelled = await upgrades.transition(tenantId, executionId, {
        from: sourcesOf('CANCELLED'),
        to: 'CANCELLED',
        remove: ['waitingFor'],
        event: { type: 'UpgradeCancelled', actor: principal.subject },
      });
      await upgrades.take(tenantId, executionId, 'resumeToken');
      if (cancelled.workflowArn) await workflow.stop(cancelled.workflowArn, `Cancelled by ${principal.subject}`);
      return toExecutionView(cancelled);
    },

    async rollback(tenantId, executionId, reason, principal) {
      await load(tenantId, executionId);
      const rolling = await upgrades.transition(tenantId, executionId, {
        from: sourcesOf('ROLLING_BACK'),
        to: 'ROLLING_BACK',
        set: { rollbackReason: reason, rollbackInitiatedAt: clock.now().toISOString(), rollbackInitiatedBy: principal.subject },
        event: { type: 'RollbackRequested', actor: principal.subject, detail: { reason } },
      });
      return toExecutionView(rolling);
    },

    /** Over finished executions (cancelled ones count in the total only). */
    async statistics(tenantId, componentId) {
      const stats = await upgrades.statistics(tenantId, componentId);
      const finished = stats.totalExecutions;
      return {
        componentId,
        totalExecutions: stats.totalExecutions,
        successfulExecutions: stats.successfulExecutions,
        failedExecutions: stats.failedExecutions,
        successRate: finished === 0 ? 0 : Math.round((stats.successfulExecutions / finished) * 10_000) / 100,
        averageDurationSeconds: finished === 0 ? 0 : Math.round((stats.durationSecondsSum / finished) * 100) / 100,
      };
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
