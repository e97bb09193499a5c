import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { AppError, type AppErrorOptions, ConflictError, type FieldError, NotFoundError, ValidationError } from '../common/errors.js';
import type { Principal } from '../common/http/principal.js';
import { fieldErrors } from '../common/http/zod-errors.js';
import type { Page } from '../common/pagination.js';
import type { Status } from '../domain/status.js';
import { CreateUpgradeBody, type UpgradeExecutionView } from '../upgrades/schemas.js';
import type { Upgrades } from '../upgrades/upgrades.js';
import type { ComponentService, RegistryRepository } from './registry-repository.js';
import type { RegistryUpgradeExecution, RegistryUpgradeRequest } from './schemas.js';

/**
 * The orchestrator-style API (`/api/v1/registry`) as a thin translation over the
 * upgrade use cases: catalog ids in, the orchestrator's field names out. Every rule
 * (version policy, one active upgrade per service, transitions, roles) stays in
 * `Upgrades`; this module only finds the service a component id means and maps
 * version ids to versions and back.
 */
export interface Registry {
  create(tenantId: string, body: RegistryUpgradeRequest, principal: Principal): Promise<RegistryUpgradeExecution>;
  list(
    tenantId: string,
    query: { limit: number; nextToken?: string; status?: Status; componentId?: string },
  ): Promise<Page<RegistryUpgradeExecution>>;
  get(tenantId: string, executionId: string): Promise<RegistryUpgradeExecution>;
  act(
    tenantId: string,
    executionId: string,
    action: 'start' | 'pause' | 'resume' | 'cancel' | 'promoteCanary',
    principal: Principal,
  ): Promise<RegistryUpgradeExecution>;
  rollback(tenantId: string, executionId: string, reason: string, principal: Principal): Promise<RegistryUpgradeExecution>;
  active(tenantId: string, componentId: string, service?: string): Promise<RegistryUpgradeExecution>;
  statistics(tenantId: string, componentId: string): ReturnType<Upgrades['statistics']>;
}

export interface RegistryDeps {
  readonly upgrades: Upgrades;
  readonly catalog: Pick<CatalogRepository, 'getComponent' | 'getVersions' | 'allVersions'>;
  readonly registry: RegistryRepository;
}

const serviceRef = (service: { project: string; name: string }) => `${service.project}/${service.name}`;

export function makeRegistry({ upgrades, catalog, registry }: RegistryDeps): Registry {
  /**
   * The orchestrator's shape names versions by catalog id: every distinct version of the
   * executions is read in one BatchGet, so a page of 100 costs one read more, not 200.
   */
  const views = async (executions: readonly UpgradeExecutionView[]): Promise<RegistryUpgradeExecution[]> => {
    const keyOf = (componentId: string, version: string) => `${componentId}\u0000${version}`;
    const wanted = new Map<string, { componentId: string; version: string }>();
    for (const { componentId, fromVersion, toVersion } of executions)
      for (const version of [fromVersion, toVersion]) wanted.set(keyOf(componentId, version), { componentId, version });
    const found = new Map(
      (await catalog.getVersions([...wanted.values()])).map((version) => [keyOf(version.componentId, version.version), version.versionId]),
    );
    const idOf = (componentId: string, version: string) => found.get(keyOf(componentId, version)) ?? null;
    return executions.map((execution) =>
      toRegistryExecution(execution, {
        fromVersionId: idOf(execution.componentId, execution.fromVersion),
        toVersionId: idOf(execution.componentId, execution.toVersion),
      }),
    );
  };
  const view = async (execution: UpgradeExecutionView): Promise<RegistryUpgradeExecution> => {
    const [one] = await views([execution]);
    if (!one) throw new Error('views() answers one view per execution');
    return one;
  };

  /** The tenant's service that `componentId` (and `service`, when given) names. */
  const serviceOf = async (tenantId: string, componentId: string, service: string | undefined): Promise<ComponentService> => {
    const candidates = await registry.servicesOfComponent(tenantId, componentId);
    if (service !== undefined) {
      const chosen = candidates.find((candidate) => serviceRef(candidate) === service);
      if (!chosen) throw new NotFoundError(`The tenant has no service ${service} of component ${componentId}.`);
      return chosen;
    }
    const [only, ...others] = candidates;
    if (!only) throw new NotFoundError(`The tenant has no service of component ${componentId}.`);
    if (others.length > 0) {
      const names = candidates.map(serviceRef);
      throw new ConflictError(
        `The tenant has ${names.length} services of component ${componentId} (${names.join(', ')}); name one in "service" (project/name).`,
        {
          errors: [{ field: 'body.service', message: `one of ${names.join(', ')}`, code: 'AMBIGUOUS_COMPONENT' }],
          extensions: { services: names },
        },
      );
    }
    return only;
  };

  return {
    async create(tenantId, body, principal) {
      const { componentId, fromVersionId, toVersionId, service: chosen, totalInstances, initiatedBy, ...rest } = body;
      const component = await catalog.getComponent(componentId);
      if (!component) throw new NotFoundError(`Component ${componentId} was not found.`);
      const versions = await catalog.allVersions(componentId);
      const byId = new Map(versions.map((version) => [version.versionId, version.version]));
      const from = byId.get(fromVersionId);
      const to = byId.get(toVersionId);
      const unknown: FieldError[] = [
        ...(from === undefined
          ? [{ field: 'body.fromVersionId', message: `not a version of ${component.name}`, code: 'UNKNOWN_VERSION' }]
          : []),
        ...(to === undefined
          ? [{ field: 'body.toVersionId', message: `not a version of ${component.name}`, code: 'UNKNOWN_VERSION' }]
          : []),
      ];
      if (from === undefined || to === undefined) {
        throw new ValidationError(`Both versions must belong to component ${component.name}.`, { errors: unknown });
      }
      const service = await serviceOf(tenantId, componentId, chosen);
      if (service.version !== from) {
        throw new ConflictError(
          `Service ${serviceRef(service)} runs ${service.version}, not ${from} (fromVersionId); read it again and retry.`,
          {
            errors: [{ field: 'body.fromVersionId', message: `the service runs ${service.version}`, code: 'FROM_VERSION_MISMATCH' }],
            extensions: {
              currentVersion: service.version,
              currentVersionId: versions.find((version) => version.version === service.version)?.versionId ?? null,
            },
          },
        );
      }
      const names = { 'body.toVersion': 'body.toVersionId', ...serviceFields(chosen === undefined ? 'body.componentId' : 'body.service') };
      // The native request, through the native schema: its cross-field rules (stages
      // only for STAGED, and required there) apply here as they do there.
      const parsed = CreateUpgradeBody.safeParse({ ...rest, project: service.project, service: service.name, toVersion: to });
      if (!parsed.success) {
        throw renameFields(new ValidationError('The request body is not valid.', { errors: fieldErrors('body', parsed.error) }), names);
      }
      const created = await upgrades.create(tenantId, parsed.data, principal).catch((error: unknown) => {
        throw renameFields(error, names);
      });
      // From the execution as created (the use case reads the service again), not the request.
      const idOf = (version: string) => versions.find((candidate) => candidate.version === version)?.versionId ?? null;
      return toRegistryExecution(created, { fromVersionId: idOf(created.fromVersion), toVersionId: idOf(created.toVersion) });
    },

    async list(tenantId, query) {
      const page = await upgrades.list(tenantId, query);
      return {
        items: await views(page.items),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },

    get: async (tenantId, executionId) => view(await upgrades.get(tenantId, executionId)),

    act: async (tenantId, executionId, action, principal) => view(await upgrades[action](tenantId, executionId, principal)),

    rollback: async (tenantId, executionId, reason, principal) => view(await upgrades.rollback(tenantId, executionId, reason, principal)),

    async active(tenantId, componentId, service) {
      const { items } = await upgrades.active(tenantId, componentId);
      const candidates = items
        .filter((execution) => service === undefined || serviceRef({ project: execution.project, name: execution.service }) === service)
        // Execution ids are time-ordered: the largest is the newest.
        .sort((a, b) => (a.executionId < b.executionId ? 1 : a.executionId > b.executionId ? -1 : 0));
      const newest = candidates[0];
      if (!newest) {
        throw new NotFoundError(`No upgrade of component ${componentId}${service === undefined ? '' : ` on ${service}`} is active.`);
      }
      return view(newest);
    },

    statistics: (tenantId, componentId) => upgrades.statistics(tenantId, componentId),
  };
}

/** Sluice's execution view under the orchestrator's field names. */
export function toRegistryExecution(
  execution: UpgradeExecutionView,
  ids: { fromVersionId: string | null; toVersionId: string | null },
): RegistryUpgradeExecution {
  return {
    executionId: execution.executionId,
    tenantId: execution.tenantId,
    componentId: execution.componentId,
    service: serviceRef({ project: execution.project, name: execution.service }),
    fromVersionId: ids.fromVersionId,
    toVersionId: ids.toVersionId,
    fromVersion: execution.fromVersion,
    toVersion: execution.toVersion,
    strategy: execution.strategy,
    status: execution.status,
    ...(execution.statusReason === undefined ? {} : { statusReason: execution.statusReason }),
    canaryPercentage: execution.canaryPercentage,
    batchSize: execution.batchSize,
    batchDelaySeconds: execution.batchDelaySeconds,
    healthCheckIntervalSeconds: execution.healthCheckIntervalSeconds,
    healthCheckTimeoutSeconds: execution.healthCheckTimeoutSeconds,
    maxUnavailablePercentage: execution.maxUnavailablePercentage,
    totalInstances: execution.progress.total,
    autoRollbackEnabled: execution.autoRollbackEnabled,
    failureThreshold: execution.failureThreshold,
    initiatedBy: execution.initiatedBy,
    installedComponents: execution.installedComponents,
    completedInstances: execution.progress.completed,
    failedInstances: execution.progress.failed,
    effectiveBatchSize: execution.effectiveBatchSize,
    totalBatches: execution.totalBatches,
    completedBatches: execution.completedBatches,
    preChecks: execution.preChecks,
    ...(execution.waitingFor === undefined ? {} : { waitingFor: execution.waitingFor }),
    rollbackInfo: execution.rollbackInfo,
    createdAt: execution.createdAt,
    ...(execution.startedAt === undefined ? {} : { startedAt: execution.startedAt }),
    ...(execution.finishedAt === undefined ? {} : { finishedAt: execution.finishedAt }),
  };
}

const serviceFields = (to: string) => ({ 'body.project': to, 'body.service': to });

/** The same refusal, naming the orchestrator's fields instead of the native ones. */
function renameFields(error: unknown, names: Record<string, string>): unknown {
  if (!(error instanceof AppError) || !error.errors.some((item) => Object.hasOwn(names, item.field))) return error;
  const Same = error.constructor as new (detail: string, options: AppErrorOptions) => AppError;
  return new Same(error.message, {
    errors: error.errors.map((item) => ({
      ...item,
      field: Object.hasOwn(names, item.field) ? (names[item.field] ?? item.field) : item.field,
    })),
    extensions: error.extensions,
    cause: error,
  });
}
