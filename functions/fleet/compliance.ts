import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { CatalogVersion } from '../catalog/schemas.js';
import { compareVersions } from '../catalog/version-policy.js';
import { NotFoundError, ValidationError } from '../common/errors.js';
import { semver } from '../common/semver.js';
import type { ServiceRecord } from '../services/service.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { ComplianceView } from './compliance-schemas.js';

/** Compliance (docs/architecture.md#compliance): how much of a tenant's fleet runs a version or newer. */
export interface ComplianceReport {
  of(tenantId: string, query: { componentId: string; version?: string }): Promise<ComplianceView>;
}

/** What the computation reads of a service: its versions and whether it is powered. */
export type ComplianceService = Pick<ServiceRecord, 'project' | 'name' | 'version' | 'powered' | 'instances'>;

type Share = ComplianceView['services'];
type Laggard = ComplianceView['laggards'][number];

/**
 * The compliance of `services` against `version`, without I/O. The rules it decides:
 *
 * - Compliant means running `version` or newer ({@link compareVersions}). A service
 *   counts by its `version`, the lowest of its instances, so a mixed service is
 *   compliant only when every instance is; an instance runs its own `version`, or the
 *   service's when it has none recorded. A service without instances counts among
 *   the services by its version and adds nothing to the instances.
 * - Powered-off services count like any other: they run their version once powered on,
 *   so they lag all the same; a laggard's reason says so.
 * - `percent` is `compliant / total` in percent, rounded to 2 decimals. With a total of
 *   0 it is 100: nothing lags. Rounding never claims more or less than is true: it is
 *   100 only when every one is compliant (at most 99.99 otherwise) and 0 only when none
 *   is (at least 0.01 otherwise), so 99,999 of 100,000 reads 99.99, not 100.
 * - `byVersion` counts services by their `version`, oldest version first.
 * - `laggards` are the services that are not compliant, oldest version first (the
 *   furthest behind lead), then by project and name.
 * - A laggard's reason: `runs 1.2.0, older than 1.2.3` when all its instances run one
 *   version; `3 of 5 instances run 1.2.3 or newer (mixed)` when they differ; either
 *   followed by `; powered off` when it is.
 */
export function complianceOf(input: { componentId: string; version: string; services: readonly ComplianceService[] }): ComplianceView {
  const { componentId, version, services } = input;
  // Memoized by version: a fleet has thousands of instances but only a few versions, and parsing each is the cost.
  const verdicts = new Map<string, boolean>();
  const complies = (running: string) => {
    const known = verdicts.get(running);
    if (known !== undefined) return known;
    const verdict = compareVersions(running, version) >= 0;
    verdicts.set(running, verdict);
    return verdict;
  };
  let instanceTotal = 0;
  let instancesCompliant = 0;
  let servicesCompliant = 0;
  const byVersion = new Map<string, number>();
  const laggards: Laggard[] = [];
  for (const service of services) {
    const running = service.instances.map((instance) => instance.version ?? service.version);
    const compliantInstances = running.filter(complies).length;
    instanceTotal += running.length;
    instancesCompliant += compliantInstances;
    byVersion.set(service.version, (byVersion.get(service.version) ?? 0) + 1);
    if (complies(service.version)) {
      servicesCompliant += 1;
      continue;
    }
    laggards.push({
      project: service.project,
      service: service.name,
      version: service.version,
      reason: laggardReason(service, running, compliantInstances, version),
    });
  }
  return {
    componentId,
    version,
    services: share(servicesCompliant, services.length),
    instances: share(instancesCompliant, instanceTotal),
    byVersion: Object.fromEntries([...byVersion].sort(([a], [b]) => compareVersions(a, b))),
    laggards: laggards.sort(
      (a, b) => compareVersions(a.version, b.version) || byCodeUnits(a.project, b.project) || byCodeUnits(a.service, b.service),
    ),
  };
}

/** Why a service lags, in the words {@link complianceOf} lists. */
function laggardReason(service: ComplianceService, running: readonly string[], compliantInstances: number, version: string): string {
  const why =
    new Set(running).size > 1
      ? `${compliantInstances} of ${running.length} instances run ${version} or newer (mixed)`
      : `runs ${service.version}, older than ${version}`;
  return service.powered ? why : `${why}; powered off`;
}

/** `compliant` of `total`, with the percent rounded as {@link complianceOf} says. */
function share(compliant: number, total: number): Share {
  if (total === 0 || compliant === total) return { total, compliant, percent: 100 };
  if (compliant === 0) return { total, compliant, percent: 0 };
  const percent = Math.round((compliant / total) * 10_000) / 100;
  return { total, compliant, percent: Math.min(99.99, Math.max(0.01, percent)) };
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The version compliance is measured against when the query names none: the newest
 * release flagged `security` (what every service should have), else the newest
 * release. Pre-releases are left out: a release candidate on the rapid channel is not
 * what a fleet is expected to run, and measuring against it would make every service a
 * laggard. Only when a component has nothing but pre-releases is the newest of them
 * taken. Undefined for a component without versions.
 */
export function defaultComplianceVersion(versions: readonly Pick<CatalogVersion, 'version' | 'security'>[]): string | undefined {
  const newest = (candidates: readonly Pick<CatalogVersion, 'version'>[]) =>
    candidates
      .map((entry) => entry.version)
      .sort(compareVersions)
      .at(-1);
  const releases = versions.filter((entry) => semver.prerelease(entry.version) === null);
  return newest(releases.filter((entry) => entry.security)) ?? newest(releases) ?? newest(versions);
}

export function makeCompliance({ services, catalog }: { services: ServiceRepository; catalog: CatalogRepository }): ComplianceReport {
  /** The version asked for, which must be published; or the default of the component's catalog. */
  const targetVersion = async (componentId: string, version: string | undefined): Promise<string> => {
    if (version !== undefined) {
      if (await catalog.getVersion(componentId, version)) return version;
      throw new ValidationError(`Version ${version} is not in the catalog of component ${componentId}.`, {
        errors: [{ field: 'query.version', message: 'unknown version' }],
      });
    }
    const fallback = defaultComplianceVersion(await catalog.allVersions(componentId));
    if (fallback !== undefined) return fallback;
    // Nothing to measure against; no service can run the component either (a service needs a catalog version).
    throw new ValidationError(`Component ${componentId} has no published version to measure compliance against.`, {
      errors: [{ field: 'query.version', message: 'the component has no published version; publish one first' }],
    });
  };

  return {
    async of(tenantId, { componentId, version }) {
      if (!(await catalog.getComponent(componentId))) throw new NotFoundError(`Component ${componentId} was not found.`);
      const target = await targetVersion(componentId, version);
      // One query of the tenant's own partition: another tenant's services cannot count.
      const fleet = await services.listByComponent(tenantId, componentId);
      return complianceOf({ componentId, version: target, services: fleet });
    },
  };
}
