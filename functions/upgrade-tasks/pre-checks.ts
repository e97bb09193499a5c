import type { CatalogVersion } from '../catalog/schemas.js';
import { checkRequirements, checkUpgradePath } from '../catalog/version-policy.js';
import type { ServiceRecord } from '../services/service.js';
import type { ExecutionRecord, InstanceRecord } from '../upgrades/execution.js';
import type { PreCheck } from '../upgrades/schemas.js';
import type { HealthProbe } from './health-probe.js';

/** Health URLs probed at most, spread over the fleet; probing 10,000 would take minutes. */
export const MAX_PROBED_HEALTH_URLS = 50;

/**
 * The five named pre-checks (docs/architecture.md#pre-checks), each with pass/fail and a detail a person can act on.
 */
export async function runPreChecks(input: {
  execution: ExecutionRecord;
  service: ServiceRecord | undefined;
  versions: readonly CatalogVersion[];
  instances: readonly Pick<InstanceRecord, 'instanceId' | 'healthUrl'>[];
  probe: HealthProbe;
  /** The watched alarms in ALARM now, when the upgrade watches alarms: a sixth check, `alarms`. */
  firingAlarms?: readonly string[];
}): Promise<PreCheck[]> {
  const { execution, service, versions, probe } = input;
  const checks: PreCheck[] = [];

  // A rollback (`rollbackOf`, checked at creation) is the exact reverse of the upgrade it undoes.
  const rollbackOf = execution.rollbackOf ? { fromVersion: execution.toVersion, toVersion: execution.fromVersion } : undefined;
  const path = checkUpgradePath({ from: execution.fromVersion, to: execution.toVersion, versions, ...(rollbackOf ? { rollbackOf } : {}) });
  checks.push({
    name: 'version-compatibility',
    passed: path.allowed,
    detail: path.allowed
      ? `${execution.fromVersion} → ${execution.toVersion} is allowed: ${path.impact[0] ?? ''}`
      : path.blockers.map((b) => `${b.code}: ${b.reason}`).join('; '),
  });

  const instancesNow = service?.instances.length ?? 0;
  const resourcesOk = service?.powered === true && instancesNow > 0 && service.version === execution.fromVersion;
  checks.push({
    name: 'resource-availability',
    passed: resourcesOk,
    detail: !service
      ? 'the service no longer exists'
      : !service.powered
        ? 'the service is powered off'
        : service.version !== execution.fromVersion
          ? `the service now runs ${service.version}, not ${execution.fromVersion}`
          : instancesNow === 0
            ? 'the service has no instances'
            : `${instancesNow} instances; at most ${Math.max(...execution.batchBounds.slice(1).map((b, i) => b - (execution.batchBounds[i] ?? 0)))} out of service at once`,
  });

  // A rollback reinstalls the current version: it must still be published.
  const rollbackTarget = versions.find((version) => version.version === execution.fromVersion);
  checks.push({
    name: 'backup-verification',
    passed: rollbackTarget !== undefined,
    detail: rollbackTarget
      ? `rollback target ${execution.fromVersion} is available in the catalog`
      : `rollback target ${execution.fromVersion} is no longer in the catalog`,
  });

  const withUrls = input.instances.filter((instance) => instance.healthUrl);
  const step = Math.max(1, Math.ceil(withUrls.length / MAX_PROBED_HEALTH_URLS));
  const sample = withUrls.filter((_, index) => index % step === 0);
  const results = await Promise.all(sample.map(async (instance) => ({ instance, result: await probe.check(instance.healthUrl ?? '') })));
  const unreachable = results.filter(({ result }) => !result.ok);
  checks.push({
    name: 'health-endpoints',
    passed: unreachable.length === 0,
    detail:
      withUrls.length === 0
        ? 'no health URLs configured; instance health comes from the target adapter'
        : unreachable.length === 0
          ? `${sample.length} of ${withUrls.length} health URLs probed, all reachable`
          : `unreachable: ${unreachable
              .slice(0, 5)
              .map(({ instance, result }) => `${instance.instanceId} (${result.detail})`)
              .join(', ')}${unreachable.length > 5 ? ` and ${unreachable.length - 5} more` : ''}`,
  });

  const target = versions.find((version) => version.version === execution.toVersion);
  const missing = checkRequirements(target?.requires, execution.installedComponents);
  checks.push({
    name: 'dependency-check',
    passed: missing.length === 0,
    detail:
      missing.length === 0
        ? target?.requires
          ? `requires ${Object.entries(target.requires)
              .map(([name, range]) => `${name} ${range}`)
              .join(', ')}: satisfied`
          : 'no dependency constraints'
        : missing.map((b) => `${b.code}: ${b.reason}`).join('; '),
  });

  if (input.firingAlarms !== undefined) {
    const watched = execution.alarms ?? [];
    checks.push({
      name: 'alarms',
      passed: input.firingAlarms.length === 0,
      detail:
        input.firingAlarms.length === 0
          ? `none of ${watched.length} watched alarm(s) in ALARM`
          : `in ALARM: ${input.firingAlarms.join(', ')}`,
    });
  }
  return checks;
}
