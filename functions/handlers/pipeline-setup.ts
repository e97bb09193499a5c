import { createCatalogRepository } from '../catalog/catalog-repository.js';
import type { Principal } from '../common/http/principal.js';
import type { BaseSetup } from '../common/setup.js';
import { makePipeline, type Pipeline, type UpgradeStarter } from '../pipeline/pipeline.js';
import { createPipelineRepository } from '../pipeline/pipeline-repository.js';
import { createSchedulerSchedules } from '../pipeline/scheduler-schedules.js';
import { makeUpgradeGuard } from '../pipeline/upgrade-guard.js';
import { createServiceRepository } from '../services/service-repository.js';
import { CreateUpgradeBody } from '../upgrades/schemas.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { makeUpgrades } from '../upgrades/upgrades.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';

/** Who the audit trail names for what the pipeline does by itself. */
export const PIPELINE_PRINCIPAL: Principal = { subject: 'sluice-pipeline', roles: new Set(['operator']) };

/**
 * The pipeline use cases wired to DynamoDB, EventBridge Scheduler and (when
 * `startsUpgrades`) the upgrade flows. Shared by the pipeline API, the scheduled
 * function and the upgrade tasks, so the three cannot be wired differently.
 */
export function pipelineSetup(base: BaseSetup, options: { startsUpgrades: boolean }): Pipeline {
  const pipeline = createPipelineRepository(base.db, base.tableName);
  const services = createServiceRepository(base.db, base.tableName);
  const catalog = createCatalogRepository(base.db, base.tableName);
  const upgrades = upgradeRepositorySetup(base);
  let starter: UpgradeStarter | undefined;
  if (options.startsUpgrades) {
    const useCase = makeUpgrades({
      upgrades,
      services,
      catalog,
      workflow: createSfnWorkflow(base.env),
      clock: base.clock,
      feed: base.feed,
      pipeline: makeUpgradeGuard({ pipeline }),
    });
    starter = {
      async start(tenantId, request) {
        // The service's defaultUpgrade supplies the strategy and knobs (docs/architecture.md#propagation-into-maintenance-windows).
        const created = await useCase.create(tenantId, CreateUpgradeBody.parse(request), PIPELINE_PRINCIPAL);
        await useCase.start(tenantId, created.executionId, PIPELINE_PRINCIPAL);
        return { executionId: created.executionId };
      },
    };
  }
  return makePipeline({
    pipeline,
    services,
    catalog,
    upgrades,
    schedules: createSchedulerSchedules(base.env),
    ...(starter ? { starter } : {}),
    clock: base.clock,
    logger: base.logger,
  });
}
