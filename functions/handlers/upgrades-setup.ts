import { createCatalogRepository } from '../catalog/catalog-repository.js';
import type { BaseSetup } from '../common/setup.js';
import { createPipelineRepository } from '../pipeline/pipeline-repository.js';
import { makeUpgradeGuard } from '../pipeline/upgrade-guard.js';
import { createServiceRepository } from '../services/service-repository.js';
import { createUrlGuard } from '../targets/url-guard.js';
import { createCloudWatchAlarmStates } from '../upgrades/cloudwatch-alarm-states.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import type { UpgradeRepository } from '../upgrades/upgrade-repository.js';
import { makeUpgrades, type Upgrades } from '../upgrades/upgrades.js';
import type { Workflow } from '../upgrades/workflow.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';

/**
 * The upgrade use cases as the API serves them: DynamoDB, the Step Functions flows and
 * the pipelines' ceiling check. Shared by the native upgrades routes and the
 * orchestrator-style registry routes, so the two can never be wired differently.
 */
export function upgradesSetup(
  base: BaseSetup,
  /** What a caller already built (the fleet tasks): one Step Functions client and repository per function. */
  shared: { workflow?: Workflow; upgrades?: UpgradeRepository } = {},
): Upgrades {
  const workflow = shared.workflow ?? createSfnWorkflow(base.env);
  return makeUpgrades({
    upgrades: shared.upgrades ?? upgradeRepositorySetup(base, workflow),
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    workflow,
    clock: base.clock,
    feed: base.feed,
    pipeline: makeUpgradeGuard({ pipeline: createPipelineRepository(base.db, base.tableName) }),
    metrics: base.metrics,
    alarms: createCloudWatchAlarmStates(base.env),
    checkUrl: createUrlGuard({ allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
  });
}
