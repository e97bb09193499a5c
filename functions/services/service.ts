import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { compareVersions } from '../catalog/version-policy.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import type { UpgradeKnobs } from '../domain/knobs.js';
import type { Labels } from './labels.js';
import { assertLambdaTargetAllowed } from './lambda-target-pattern.js';
import type { CreateServiceBody, Instance, ServiceView, Target, TargetView, UpdateServiceBody } from './schemas.js';
import type { ServiceKey, ServiceRepository } from './service-repository.js';

/**
 * A service as stored: the view plus its secret-bearing target and a revision for
 * optimistic locking. An instance without a `version` runs the service's `version`.
 * `labels` is absent on items stored before services had labels: they have none.
 */
export interface ServiceRecord extends Omit<ServiceView, 'target' | 'instances' | 'mixedVersions' | 'labels'> {
  instances: StoredInstance[];
  target: Target;
  revision: number;
  defaultUpgrade?: UpgradeKnobs;
  labels?: Labels;
}
export type StoredInstance = Instance & { version?: string };

/** What the API shows of a service: never the webhook secret; every instance with its version. */
export function toServiceView({ revision, target, instances, ...service }: ServiceRecord): ServiceView {
  // Built field by field: an item read back from DynamoDB keeps no attribute order.
  const shown = instances.map(({ id, healthUrl, version }) => ({
    id,
    ...(healthUrl === undefined ? {} : { healthUrl }),
    version: version ?? service.version,
  }));
  return {
    ...service,
    instances: shown,
    mixedVersions: new Set(shown.map((instance) => instance.version)).size > 1,
    target: viewTarget(target),
    labels: viewLabels(service.labels),
  };
}

/**
 * Labels as shown: `{}` for an item stored before labels existed, keys sorted because a
 * map read back from DynamoDB keeps no key order and the same service should read the
 * same every time.
 */
function viewLabels(labels: Labels | undefined): Labels {
  return Object.fromEntries(Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The versions a service's instances run, settled: instances without one run
 * `fallback`, and the service's `version` is the lowest of them (what the version
 * policy and the pipelines must reason from).
 */
export function settleVersions(instances: readonly StoredInstance[], fallback: string): { version: string; instances: StoredInstance[] } {
  const settled = instances.map((instance) => ({ ...instance, version: instance.version ?? fallback }));
  const lowest = settled.map((instance) => instance.version).sort(compareVersions)[0] ?? fallback;
  return { version: lowest, instances: settled };
}

function viewTarget(target: Target): TargetView {
  if (target.type !== 'webhook') return target;
  const { secret, ...rest } = target;
  return { ...rest, secretConfigured: true };
}

export interface Services {
  create(tenantId: string, project: string, body: CreateServiceBody): Promise<ServiceView>;
  get(key: ServiceKey): Promise<ServiceView>;
  list(tenantId: string, project: string, page: { limit: number; nextToken?: string }): Promise<Page<ServiceView>>;
  update(key: ServiceKey, patch: UpdateServiceBody): Promise<ServiceView>;
  delete(key: ServiceKey): Promise<void>;
}

/** Why a service may not be deleted now (an active upgrade, a pipeline step), or undefined. */
export type DeletionGuard = (service: ServiceRecord) => Promise<string | undefined>;

export function makeServices({
  services,
  catalog,
  clock,
  deletionGuard = async () => undefined,
  lambdaTargetPattern,
}: {
  services: ServiceRepository;
  catalog: CatalogRepository;
  clock: Clock;
  deletionGuard?: DeletionGuard;
  /** The function ARN pattern a lambda target must match (`lambda-target-pattern.ts`); unset: any. */
  lambdaTargetPattern?: string;
}): Services {
  const load = async (key: ServiceKey): Promise<ServiceRecord> => {
    const record = await services.get(key);
    if (!record) throw new NotFoundError(`Service ${key.project}/${key.name} was not found.`);
    return record;
  };

  return {
    async create(tenantId, project, body) {
      const { name, componentId, version, maintenanceWindow, defaultUpgrade, ...rest } = body;
      assertLambdaTargetAllowed(body.target, lambdaTargetPattern);
      if (!(await catalog.getComponent(componentId))) {
        throw new ValidationError(`Component ${componentId} does not exist.`, {
          errors: [{ field: 'body.componentId', message: 'unknown component' }],
        });
      }
      if (!(await catalog.getVersion(componentId, version))) {
        throw new ValidationError(`Version ${version} is not in the catalog of component ${componentId}.`, {
          errors: [{ field: 'body.version', message: 'unknown version' }],
        });
      }
      const now = clock.now().toISOString();
      const record: ServiceRecord = {
        tenantId,
        project,
        name,
        componentId,
        version,
        ...rest,
        ...(maintenanceWindow === undefined ? {} : { maintenanceWindow }),
        ...(defaultUpgrade === undefined ? {} : { defaultUpgrade }),
        createdAt: now,
        updatedAt: now,
        revision: 1,
      };
      await services.create(record);
      return toServiceView(record);
    },

    get: async (key) => toServiceView(await load(key)),

    async list(tenantId, project, page) {
      const { items, nextToken } = await services.list(tenantId, project, page);
      return { items: items.map(toServiceView), ...(nextToken === undefined ? {} : { nextToken }) };
    },

    async update(key, patch) {
      const current = await load(key);
      assertLambdaTargetAllowed(patch.target, lambdaTargetPattern);
      const { name, componentId, version, maintenanceWindow, defaultUpgrade, labels, ...changes } = patch;
      const next: ServiceRecord = { ...current, revision: current.revision + 1, updatedAt: clock.now().toISOString() };
      for (const [field, value] of Object.entries(changes)) {
        if (value !== undefined) Object.assign(next, { [field]: value });
      }
      // A merge patch: null clears an optional field, absent leaves it alone.
      if (maintenanceWindow === null) delete next.maintenanceWindow;
      else if (maintenanceWindow !== undefined) next.maintenanceWindow = maintenanceWindow;
      if (defaultUpgrade === null) delete next.defaultUpgrade;
      else if (defaultUpgrade !== undefined) next.defaultUpgrade = defaultUpgrade;
      // Labels are one value: a patch replaces the whole map, null leaves none.
      if (labels !== undefined) next.labels = labels ?? {};
      if (changes.instances !== undefined) {
        // An instance kept keeps the version it runs; a new one is installed at the service's version.
        const before = new Map(current.instances.map((instance) => [instance.id, instance.version ?? current.version]));
        const kept = changes.instances.map((instance) => ({ ...instance, version: before.get(instance.id) ?? current.version }));
        Object.assign(next, settleVersions(kept, current.version));
      }
      await services.replace(next);
      return toServiceView(next);
    },

    async delete(key) {
      const reason = await deletionGuard(await load(key));
      if (reason) throw new ConflictError(reason);
      await services.delete(key);
    },
  };
}
