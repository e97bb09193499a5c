import { createCatalogRepository } from '../catalog/catalog-repository.js';
import type { BaseSetup } from '../common/setup.js';
import { createRunRepository } from '../fleet/run-repository.js';
import { makeRunWaker } from '../fleet/run-tasks.js';
import { makeUpdateRuns, type UpdateRuns } from '../fleet/runs.js';
import type { Strategies } from '../fleet/strategies.js';
import { createPipelineRepository } from '../pipeline/pipeline-repository.js';
import { makeUpgradeGuard } from '../pipeline/upgrade-guard.js';
import { createServiceRepository } from '../services/service-repository.js';
import { createUrlGuard } from '../targets/url-guard.js';
import { createHttpHealthProbe } from '../upgrade-tasks/health-probe.js';
import { createCloudWatchAlarmStates } from '../upgrades/cloudwatch-alarm-states.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';

/**
 * The update run use cases wired to DynamoDB and Step Functions. Shared by the fleet API
 * and the auto-upgrade fan-out, so the two cannot be wired differently.
 */
export function updateRunsSetup(base: BaseSetup, strategies: Pick<Strategies, 'get'>): UpdateRuns {
  const runs = createRunRepository(base.db, base.tableName, () => base.clock.now(), base.feed);
  const workflow = createSfnWorkflow(base.env);
  return makeUpdateRuns({
    runs,
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    strategies,
    upgrades: upgradeRepositorySetup(base, workflow),
    workflow,
    clock: base.clock,
    probe: createHttpHealthProbe({ allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
    pipeline: makeUpgradeGuard({ pipeline: createPipelineRepository(base.db, base.tableName) }),
    wake: makeRunWaker({ runs, workflow }),
    gates: {
      alarms: createCloudWatchAlarmStates(base.env),
      checkUrl: createUrlGuard({ allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
    },
  });
}
