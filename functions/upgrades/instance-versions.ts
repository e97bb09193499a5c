import { ConflictError } from '../common/errors.js';
import { type ServiceRecord, settleVersions } from '../services/service.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { ExecutionRecord, InstanceRecord } from './execution.js';

/**
 * The versions a service's instances run once an execution has acted on them: an
 * upgraded instance runs `toVersion`, a rolled-back one `fromVersion`, any other keeps
 * what it ran. `version` becomes the lowest of them (the service is then mixed until
 * every instance runs one version).
 */
export function versionsAfter(
  service: Pick<ServiceRecord, 'version' | 'instances'>,
  execution: Pick<ExecutionRecord, 'fromVersion' | 'toVersion'>,
  instances: readonly Pick<InstanceRecord, 'instanceId' | 'status'>[],
): Pick<ServiceRecord, 'version' | 'instances'> {
  const status = new Map(instances.map((instance) => [instance.instanceId, instance.status]));
  const next = service.instances.map((instance) => {
    const moved = status.get(instance.id);
    if (moved === 'COMPLETED') return { ...instance, version: execution.toVersion };
    if (moved === 'ROLLED_BACK') return { ...instance, version: execution.fromVersion };
    return instance;
  });
  return settleVersions(next, service.version);
}

/** Whether `next` (from {@link versionsAfter}) records nothing the service does not already say. */
export function sameVersions(service: Pick<ServiceRecord, 'version' | 'instances'>, next: Pick<ServiceRecord, 'version' | 'instances'>) {
  return (
    next.version === service.version &&
    next.instances.every((instance, index) => instance.version === (service.instances[index]?.version ?? service.version))
  );
}

/**
 * Records on the service what an execution that ended without completing (cancelled)
 * left its instances running. Retried on a concurrent change of the service; nothing is
 * written when nothing changed. The flow's own endings (failed, rolled back) write the
 * same in the transaction of their status change instead (see the upgrade tasks' context).
 */
export async function recordInstanceVersions(
  deps: { services: ServiceRepository; instances: (execution: ExecutionRecord) => Promise<readonly InstanceRecord[]>; now: () => Date },
  execution: ExecutionRecord,
): Promise<void> {
  const instances = await deps.instances(execution);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const service = await deps.services.get({ tenantId: execution.tenantId, project: execution.project, name: execution.service });
    if (!service) return;
    const next = versionsAfter(service, execution, instances);
    if (sameVersions(service, next)) return;
    try {
      await deps.services.replace({ ...service, ...next, revision: service.revision + 1, updatedAt: deps.now().toISOString() });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new Error(`Could not record the instance versions of ${execution.project}/${execution.service}`);
}
