import { createCatalogRepository } from '../catalog/catalog-repository.js';
import type { BaseSetup } from '../common/setup.js';
import { createPipelineRepository } from '../pipeline/pipeline-repository.js';
import { makeUpgradeGuard } from '../pipeline/upgrade-guard.js';
import { createServiceRepository } from '../services/service-repository.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { makeUpgrades, type Upgrades } from '../upgrades/upgrades.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';

/**
 * The upgrade use cases as the API serves them: DynamoDB, the Step Functions flows and
 * the pipelines' ceiling check. Shared by the native upgrades routes and the
 * orchestrator-style registry routes, so the two can never be wired differently.
 */
export function upgradesSetup(base: BaseSetup): Upgrades {
  return makeUpgrades({
    upgrades: upgradeRepositorySetup(base),
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    workflow: createSfnWorkflow(base.env),
    clock: base.clock,
    pipeline: makeUpgradeGuard({ pipeline: createPipelineRepository(base.db, base.tableName) }),
  });
}
