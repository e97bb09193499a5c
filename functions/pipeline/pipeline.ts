import { randomBytes } from 'node:crypto';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { admitsVersion, compareVersions } from '../catalog/version-policy.js';
import type { Clock } from '../common/clock.js';
import type { TransactItem } from '../common/ddb-items.js';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors.js';
import type { Principal } from '../common/http/principal.js';
import type { Logger } from '../common/logger.js';
import type { Page } from '../common/pagination.js';
import type { ServiceRecord } from '../services/service.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { ExecutionRecord } from '../upgrades/execution.js';
import type { UpgradeRepository } from '../upgrades/upgrade-repository.js';
import { type Edge, refuseEdge, serviceRef, upstreamOf } from './graph.js';
import { nextWindowStart } from './maintenance-window.js';
import type { PendingRecord, PipelineRepository, StepRecord } from './pipeline-repository.js';
import { type ScheduledEvent, type Schedules, upgradeScheduleName, validationScheduleName } from './schedules.js';
import type { CreateStepBody, LastValidation, PipelineGraphView, UpdateStepBody, UpgradeStepView, ValidationView } from './schemas.js';

/** Steps per tenant: the pipeline item holds every edge, and must stay far below 400 KB. */
export const MAX_STEPS_PER_TENANT = 1000;
const DAY_MS = 86_400_000;
/** How long a pipeline write keeps retrying when other writes of the tenant win the race. */
const LOCK_PATIENCE_MS = 20_000;
/** An upgrade the pipeline could not start (the service was busy) is tried again this much later. */
const RETRY_START_MS = 3_600_000;

/** Creates and starts an upgrade execution the way the upgrades API does. */
export interface UpgradeStarter {
  start(tenantId: string, request: { project: string; service: string; toVersion: string }): Promise<{ executionId: string }>;
}

export interface PipelineDeps {
  readonly pipeline: PipelineRepository;
  readonly services: ServiceRepository;
  readonly catalog: CatalogRepository;
  readonly upgrades: Pick<UpgradeRepository, 'active'>;
  readonly schedules: Schedules;
  /** Absent where nothing may start upgrades (then validated versions are not propagated). */
  readonly starter?: UpgradeStarter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Waits between attempts of a contended pipeline write. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A time-ordered step id. */
export function newStepId(now: Date): string {
  const random = BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString(36)
    .padStart(13, '0');
  return `stp_${now.getTime().toString(36).padStart(9, '0')}${random}`;
}

export function toStepView({ tenantId, componentId, pending, ...view }: StepRecord): UpgradeStepView {
  return view;
}

const splitRef = (ref: string) => {
  const [project = '', name = ''] = ref.split('/');
  return { project, name };
};

/** The earliest pending auto-validation of a step. */
function earliestPending(step: StepRecord): PendingRecord | undefined {
  return Object.values(step.pending ?? {}).sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
}

export type Pipeline = ReturnType<typeof makePipeline>;

/**
 * The upgrade pipelines (docs/architecture.md#upgrade-pipelines): steps, validations, auto-validation schedules and
 * the propagation of validated versions to destinations.
 */
export function makePipeline(deps: PipelineDeps) {
  const { pipeline, services, catalog, schedules, clock, logger } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));

  const loadService = async (tenantId: string, project: string, name: string, role: string): Promise<ServiceRecord> => {
    const service = await services.get({ tenantId, project, name });
    if (!service)
      throw new NotFoundError(`The ${role} service ${project}/${name} was not found.`, {
        errors: [{ field: `body.${role}ServiceName`, message: 'unknown service' }],
      });
    return service;
  };

  const loadStep = async (tenantId: string, stepId: string): Promise<StepRecord> => {
    const step = await pipeline.getStep(tenantId, stepId);
    if (!step) throw new NotFoundError(`Upgrade step ${stepId} was not found.`);
    return step;
  };

  /** Tail of each tenant's queue of locked writes in this process. */
  const queues = new Map<string, Promise<unknown>>();

  /**
   * Runs `attempt` against the latest graph until its locked write lands: every
   * structural change of a tenant's pipeline moves one revision, so the rules checked
   * on a graph hold for the graph the write lands on. Writes of one tenant in this
   * process also queue up here, so a burst does not spend itself on lost races; the
   * conditional write is what guarantees correctness across processes.
   */
  const underLock = <T>(
    tenantId: string,
    attempt: (graph: { revision: number; edges: readonly Edge[] }) => Promise<{ retry: true } | { value: T }>,
  ): Promise<T> => {
    const run = async (): Promise<T> => {
      const deadline = Date.now() + LOCK_PATIENCE_MS;
      for (let round = 0; ; round += 1) {
        const outcome = await attempt(await pipeline.graph(tenantId));
        if ('value' in outcome) return outcome.value;
        if (Date.now() > deadline) throw new ConflictError('The pipeline kept changing concurrently; retry the request.');
        await sleep(Math.random() * Math.min(500, 10 * 2 ** Math.min(round, 6)));
      }
    };
    const result = (queues.get(tenantId) ?? Promise.resolve()).then(run, run);
    const tail = result.catch(() => undefined);
    queues.set(tenantId, tail);
    void tail.then(() => {
      if (queues.get(tenantId) === tail) queues.delete(tenantId);
    });
    return result;
  };

  /**
   * The version a new destination is pinned to: what it runs, or what a started upgrade
   * is taking it to. A PENDING upgrade has not begun (it may never run) and a rollback is
   * taking the service back, so neither lifts the ceiling.
   */
  const initialCeiling = async (service: ServiceRecord): Promise<string> => {
    const active = (await deps.upgrades.active(service.tenantId, service.componentId)).find(
      (e) => e.project === service.project && e.service === service.name,
    );
    const underway = active && active.status !== 'PENDING' && active.status !== 'ROLLING_BACK';
    return underway && compareVersions(active.toVersion, service.version) > 0 ? active.toVersion : service.version;
  };

  /** The newest version at or below `ceiling` that the service's channel admits from where it is. */
  const autoTarget = async (service: ServiceRecord, ceiling: string): Promise<string | undefined> => {
    if (service.autoUpgradeChannel === 'none') return undefined;
    const versions = await catalog.allVersions(service.componentId);
    return versions
      .map((entry) => entry.version)
      .filter(
        (version) =>
          compareVersions(version, ceiling) <= 0 && admitsVersion(service.autoUpgradeChannel, service.version, version, versions),
      )
      .sort(compareVersions)
      .at(-1);
  };

  const startNow = async (service: ServiceRecord, toVersion: string): Promise<void> => {
    if (!deps.starter) return;
    try {
      const { executionId } = await deps.starter.start(service.tenantId, { project: service.project, service: service.name, toVersion });
      logger.info('pipeline started an upgrade', {
        tenantId: service.tenantId,
        project: service.project,
        service: service.name,
        toVersion,
        executionId,
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Busy (another upgrade is active) or powered off: nothing blocks forever, try later.
      const at = new Date(clock.now().getTime() + RETRY_START_MS);
      logger.warn('pipeline could not start an upgrade yet; retrying later', {
        tenantId: service.tenantId,
        service: service.name,
        toVersion,
        at: at.toISOString(),
        reason: error.message,
      });
      await scheduleStart(service, toVersion, at);
    }
  };

  const scheduleStart = (service: ServiceRecord, toVersion: string, at: Date) =>
    schedules.put({
      name: upgradeScheduleName(service.tenantId, service.project, service.name, toVersion),
      at,
      event: { kind: 'start-upgrade', tenantId: service.tenantId, project: service.project, service: service.name, toVersion },
      description: `Sluice: upgrade ${service.project}/${service.name} to ${toVersion}`,
    });

  /**
   * A destination's ceiling moved to `version`: raise it, and if its auto-upgrade channel
   * takes a version up to there, upgrade it in its next maintenance window (now when it
   * has none, or is in it).
   */
  const propagate = async (tenantId: string, destination: { project: string; name: string }, version: string): Promise<void> => {
    if (!(await pipeline.raiseCeiling({ tenantId, ...destination }, version))) return;
    const service = await services.get({ tenantId, ...destination });
    if (!service?.powered || !deps.starter) return;
    const target = await autoTarget(service, service.validatedVersion ?? version);
    if (!target) return;
    const now = clock.now();
    const opens = service.maintenanceWindow ? nextWindowStart(service.maintenanceWindow, now) : now;
    if (opens.getTime() <= now.getTime()) await startNow(service, target);
    else await scheduleStart(service, target, opens);
  };

  const outgoing = (edges: readonly Edge[], project: string, name: string) =>
    edges.filter((edge) => edge.source === serviceRef(project, name));

  return {
    async createStep(tenantId: string, body: CreateStepBody): Promise<UpgradeStepView> {
      const source = await loadService(tenantId, body.sourceProjectName, body.sourceServiceName, 'source');
      const destination = await loadService(tenantId, body.destinationProjectName, body.destinationServiceName, 'destination');
      if (source.componentId !== destination.componentId) {
        throw new ValidationError(
          `Only services of the same component may be linked: ${source.project}/${source.name} runs ${source.componentId}, ${destination.project}/${destination.name} runs ${destination.componentId}.`,
          {
            errors: [{ field: 'body.destinationServiceName', code: 'DIFFERENT_COMPONENTS', message: 'another component than the source' }],
          },
        );
      }
      const edge = { source: serviceRef(source.project, source.name), destination: serviceRef(destination.project, destination.name) };
      const ceiling = await initialCeiling(destination);
      return underLock<UpgradeStepView>(tenantId, async (graph) => {
        const refusal = refuseEdge(graph.edges, edge);
        if (refusal?.code === 'DESTINATION_HAS_SOURCE') {
          throw new ConflictError(refusal.detail, {
            errors: [{ field: 'body.destinationServiceName', code: refusal.code, message: 'already has a source' }],
            extensions: { stepId: refusal.stepId },
          });
        }
        if (refusal) {
          throw new ValidationError(refusal.detail, {
            errors: [{ field: 'body.destinationServiceName', code: refusal.code, message: refusal.detail }],
          });
        }
        if (graph.edges.length >= MAX_STEPS_PER_TENANT) {
          throw new ValidationError(`A tenant may have at most ${MAX_STEPS_PER_TENANT} upgrade steps.`, {
            errors: [{ field: 'body', code: 'TOO_MANY_STEPS', message: 'steps limit reached' }],
          });
        }
        const now = clock.now();
        const step: StepRecord = {
          tenantId,
          componentId: source.componentId,
          stepId: newStepId(now),
          sourceProjectName: source.project,
          sourceServiceName: source.name,
          destinationProjectName: destination.project,
          destinationServiceName: destination.name,
          autoValidationDelayDays: body.autoValidationDelayDays,
          createdAt: now.toISOString(),
          pending: {},
        };
        const written = await pipeline.addStep(
          step,
          graph.revision,
          { stepId: step.stepId, ...edge },
          {
            key: { tenantId, project: destination.project, name: destination.name },
            version: ceiling,
          },
        );
        if (written === 'stale') return { retry: true };
        if (written === 'service-gone')
          throw new NotFoundError(`The destination service ${destination.project}/${destination.name} was not found.`);
        return { value: toStepView(step) };
      });
    },

    getStep: async (tenantId: string, stepId: string) => toStepView(await loadStep(tenantId, stepId)),

    async listSteps(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<UpgradeStepView>> {
      const { items, nextToken } = await pipeline.listSteps(tenantId, page);
      return { items: items.map(toStepView), ...(nextToken === undefined ? {} : { nextToken }) };
    },

    /** Only the delay changes; a pending auto-validation moves to completion + the new delay. */
    async updateStep(tenantId: string, stepId: string, patch: UpdateStepBody): Promise<UpgradeStepView> {
      await loadStep(tenantId, stepId);
      const step = await pipeline.setDelay(tenantId, stepId, patch.autoValidationDelayDays);
      const now = clock.now().getTime();
      for (const pending of Object.values(step.pending ?? {})) {
        const due = Math.max(Date.parse(pending.completedAt) + step.autoValidationDelayDays * DAY_MS, now + 60_000);
        await schedules.put({
          name: pending.schedule,
          at: new Date(due),
          event: { kind: 'auto-validate', tenantId, stepId, version: pending.version },
        });
        await pipeline.addPending(tenantId, stepId, { ...pending, dueAt: new Date(due).toISOString() });
      }
      return toStepView(await loadStep(tenantId, stepId));
    },

    /** Deletes the step, its validations, its pending schedules, and the destination's ceiling. */
    async deleteStep(tenantId: string, stepId: string): Promise<void> {
      const step = await loadStep(tenantId, stepId);
      const destination = { tenantId, project: step.destinationProjectName, name: step.destinationServiceName };
      await underLock<undefined>(tenantId, async (graph) => {
        if (!graph.edges.some((edge) => edge.stepId === stepId)) throw new NotFoundError(`Upgrade step ${stepId} was not found.`);
        const exists = (await services.get(destination)) !== undefined;
        const written = await pipeline.removeStep(tenantId, stepId, graph.revision, exists ? destination : undefined);
        return written === 'done' ? { value: undefined } : { retry: true };
      });
      for (const pending of Object.values(step.pending ?? {})) await schedules.delete(pending.schedule);
    },

    /**
     * Validates the source's current version for every destination at once
     * (docs/architecture.md#validation) and removes the pending auto-validations it makes pointless.
     */
    async validate(
      tenantId: string,
      project: string,
      name: string,
      comment: string | undefined,
      principal: Principal,
    ): Promise<ValidationView> {
      const source = await services.get({ tenantId, project, name });
      if (!source) throw new NotFoundError(`Service ${project}/${name} was not found.`);
      if (!source.powered) {
        throw new ConflictError(
          `Service ${project}/${name} is powered off: a powered-off source receives no updates, so it cannot be validated.`,
          { extensions: { powered: false } },
        );
      }
      const { edges } = await pipeline.graph(tenantId);
      const steps = outgoing(edges, project, name);
      if (steps.length === 0)
        throw new ConflictError(`Service ${project}/${name} is not the source of any upgrade step; there is nothing to validate.`);
      const validation: LastValidation = {
        version: source.version,
        validatedAt: clock.now().toISOString(),
        validatedByUser: principal.subject,
        ...(comment === undefined ? {} : { comment }),
      };
      const applied: string[] = [];
      for (const edge of steps) {
        const step = await pipeline.getStep(tenantId, edge.stepId);
        if (!step) continue;
        const pending = Object.values(step.pending ?? {});
        if (
          !(await pipeline.recordValidation(
            tenantId,
            edge.stepId,
            validation,
            pending.map((entry) => entry.version),
          ))
        )
          continue;
        for (const entry of pending) await schedules.delete(entry.schedule);
        applied.push(edge.stepId);
      }
      for (const edge of steps.filter((candidate) => applied.includes(candidate.stepId))) {
        await propagate(tenantId, splitRef(edge.destination), validation.version);
      }
      // Validations write no timeline item: this line is how a running system tells of one.
      logger.info('validated', {
        tenantId,
        project,
        service: name,
        version: validation.version,
        validatedBy: principal.subject,
        steps: applied.length,
      });
      return { project, service: name, ...validation, stepIds: applied };
    },

    /** The auto-validation schedule of one step fired (docs/architecture.md#auto-validation-schedules: it always does). */
    async autoValidate(event: Extract<ScheduledEvent, { kind: 'auto-validate' }>): Promise<void> {
      const step = await pipeline.getStep(event.tenantId, event.stepId);
      if (!step) return;
      const obsolete = Object.values(step.pending ?? {}).filter((entry) => compareVersions(entry.version, event.version) <= 0);
      if (step.lastValidation && compareVersions(step.lastValidation.version, event.version) >= 0) {
        // Already validated (manually, or by this very schedule on an earlier attempt).
        if (obsolete.length > 0)
          await pipeline.recordValidation(
            event.tenantId,
            event.stepId,
            step.lastValidation,
            obsolete.map((entry) => entry.version),
          );
      } else {
        const validation: LastValidation = {
          version: event.version,
          validatedAt: clock.now().toISOString(),
          validatedByUser: '',
          comment: `Automatic validation after ${step.autoValidationDelayDays} day(s)`,
        };
        if (
          !(await pipeline.recordValidation(
            event.tenantId,
            event.stepId,
            validation,
            obsolete.map((entry) => entry.version),
          ))
        )
          return;
        logger.info('auto-validated', { tenantId: event.tenantId, stepId: event.stepId, version: event.version });
      }
      await propagate(event.tenantId, { project: step.destinationProjectName, name: step.destinationServiceName }, event.version);
    },

    /** A start-upgrade schedule fired: the destination's maintenance window is open. */
    async startScheduledUpgrade(event: Extract<ScheduledEvent, { kind: 'start-upgrade' }>): Promise<void> {
      const service = await services.get({ tenantId: event.tenantId, project: event.project, name: event.service });
      if (!service?.powered) return;
      const target = await autoTarget(service, service.validatedVersion ?? event.toVersion);
      if (target) await startNow(service, target);
    },

    /**
     * A service completes an upgrade: each of its outgoing steps gets a pending
     * auto-validation at completion + the step's delay (docs/architecture.md#auto-validation-schedules).
     * These are writes for the completion's own transaction, so whoever sees the upgrade
     * COMPLETED sees them too; `scheduleCompleted` then creates their schedules.
     */
    async completionWrites(
      execution: Pick<ExecutionRecord, 'tenantId' | 'project' | 'service' | 'toVersion'>,
      completedAt: string,
    ): Promise<TransactItem[]> {
      const { edges } = await pipeline.graph(execution.tenantId);
      const writes: TransactItem[] = [];
      for (const edge of outgoing(edges, execution.project, execution.service)) {
        const step = await pipeline.getStep(execution.tenantId, edge.stepId);
        if (!step) continue;
        if (step.lastValidation && compareVersions(step.lastValidation.version, execution.toVersion) >= 0) continue;
        const dueAt = new Date(Date.parse(completedAt) + step.autoValidationDelayDays * DAY_MS);
        const schedule = validationScheduleName(step.stepId, execution.toVersion);
        writes.push(
          pipeline.pendingWrite(execution.tenantId, step.stepId, {
            version: execution.toVersion,
            dueAt: dueAt.toISOString(),
            completedAt,
            schedule,
          }),
        );
      }
      return writes;
    },

    /**
     * Creates the schedule of every pending auto-validation a completed upgrade left on
     * the source's outgoing steps. Idempotent (schedule names are deterministic), so a
     * retried or restarted completion task creates each exactly once; an entry already
     * validated (and so removed) gets none.
     */
    async scheduleCompleted(execution: Pick<ExecutionRecord, 'tenantId' | 'project' | 'service' | 'toVersion'>): Promise<void> {
      const { edges } = await pipeline.graph(execution.tenantId);
      for (const edge of outgoing(edges, execution.project, execution.service)) {
        const step = await pipeline.getStep(execution.tenantId, edge.stepId);
        const pending = step?.pending[execution.toVersion];
        if (!step || !pending) continue;
        await schedules.put({
          name: pending.schedule,
          at: new Date(pending.dueAt),
          event: { kind: 'auto-validate', tenantId: execution.tenantId, stepId: step.stepId, version: execution.toVersion },
          description: `Sluice: auto-validate ${execution.toVersion} on step ${step.stepId}`,
        });
      }
    },

    /** The graph a console would draw: every service of the pipeline and every step. */
    async view(tenantId: string): Promise<PipelineGraphView> {
      const steps = await pipeline.allSteps(tenantId);
      const refs = new Set<string>();
      for (const step of steps) {
        refs.add(serviceRef(step.sourceProjectName, step.sourceServiceName));
        refs.add(serviceRef(step.destinationProjectName, step.destinationServiceName));
      }
      const found = new Map(
        (await pipeline.services(tenantId, [...refs].map(splitRef))).map((service) => [serviceRef(service.project, service.name), service]),
      );
      const edges: Edge[] = steps.map((step) => ({
        stepId: step.stepId,
        source: serviceRef(step.sourceProjectName, step.sourceServiceName),
        destination: serviceRef(step.destinationProjectName, step.destinationServiceName),
      }));
      const nodes = [...refs].sort().map((ref) => {
        const service = found.get(ref);
        const upstream = upstreamOf(edges, ref);
        const pendings = steps
          .filter((step) => serviceRef(step.sourceProjectName, step.sourceServiceName) === ref)
          .map(earliestPending)
          .filter((entry): entry is PendingRecord => entry !== undefined)
          .sort((a, b) => a.dueAt.localeCompare(b.dueAt));
        const pending = pendings[0];
        const { project, name } = splitRef(ref);
        const base = {
          project,
          name,
          componentId:
            service?.componentId ??
            steps.find(
              (step) =>
                serviceRef(step.sourceProjectName, step.sourceServiceName) === ref ||
                serviceRef(step.destinationProjectName, step.destinationServiceName) === ref,
            )?.componentId ??
            '',
          version: service?.version ?? '',
          instanceVersion: service?.version ?? '',
          powered: service?.powered ?? false,
          autoUpgradeChannel: service?.autoUpgradeChannel ?? 'none',
          ...(service?.maintenanceWindow ? { maintenanceWindow: service.maintenanceWindow } : {}),
          ...(service?.validatedVersion && upstream.length > 0 ? { ceiling: service.validatedVersion } : {}),
          ceilingEnforced: upstream.length > 0 && upstream.some((up) => found.get(up)?.powered === true),
          ...(pending ? { pendingValidation: { version: pending.version, dueAt: pending.dueAt } } : {}),
          exists: service !== undefined,
        };
        return base;
      });
      return {
        services: nodes,
        steps: steps.map((step) => {
          const pending = earliestPending(step);
          return { ...toStepView(step), ...(pending ? { pendingValidation: { version: pending.version, dueAt: pending.dueAt } } : {}) };
        }),
      };
    },
  };
}
