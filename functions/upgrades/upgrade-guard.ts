import type { CatalogVersion } from '../catalog/schemas.js';
import type { ServiceRecord } from '../services/service.js';

/** A timeline entry the upgrade records beside its creation. */
export interface GuardEvent {
  readonly type: 'SecurityOverride' | 'CeilingNotEnforced';
  readonly actor?: string;
  readonly detail: Record<string, unknown>;
}

/**
 * What the upgrades use case asks the pipelines before it creates an execution
 * (docs/architecture.md#validation-ceiling): may this service go to this version?
 */
export interface UpgradeGuard {
  /**
   * Refuses (422, naming the ceiling) a target above a destination's validated version,
   * unless the version is flagged `security` or every upstream service is powered off;
   * either exception comes back as a timeline event to record.
   */
  checkTarget(
    service: ServiceRecord,
    toVersion: string,
    versions: readonly CatalogVersion[],
    actor: string,
  ): Promise<{ event?: GuardEvent }>;
}
