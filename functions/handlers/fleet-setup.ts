import { createCatalogRepository } from '../catalog/catalog-repository.js';
import type { BaseSetup } from '../common/setup.js';
import { type ComplianceReport, makeCompliance } from '../fleet/compliance.js';
import { createProfileRepository } from '../fleet/profile-repository.js';
import { makeProfiles, type Profiles, strategyExistsThrough } from '../fleet/profiles.js';
import type { UpdateRuns } from '../fleet/runs.js';
import { makeStrategies, type Strategies } from '../fleet/strategies.js';
import { createStrategyRepository } from '../fleet/strategy-repository.js';
import { createServiceRepository } from '../services/service-repository.js';
import { updateRunsSetup } from './update-runs-setup.js';

export interface Fleet {
  readonly strategies: Strategies;
  readonly runs: UpdateRuns;
  readonly profiles: Profiles;
  readonly compliance: ComplianceReport;
}

/** The fleet use cases (docs/architecture.md#fleet-update-runs) as the API serves them. */
export function fleetSetup(base: BaseSetup): Fleet {
  const strategies = makeStrategies({ repository: createStrategyRepository(base.db, base.tableName), clock: base.clock });
  return {
    strategies,
    runs: updateRunsSetup(base, strategies),
    profiles: makeProfiles({
      profiles: createProfileRepository(base.db, base.tableName),
      catalog: createCatalogRepository(base.db, base.tableName),
      strategyExists: strategyExistsThrough(strategies),
      clock: base.clock,
    }),
    compliance: makeCompliance({
      services: createServiceRepository(base.db, base.tableName),
      catalog: createCatalogRepository(base.db, base.tableName),
    }),
  };
}
