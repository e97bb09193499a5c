import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { createCatalogRepository } from '../catalog/catalog-repository.js';
import type { BaseSetup } from '../common/setup.js';
import { makePipeline, type Pipeline, type UpgradeStarter } from '../pipeline/pipeline.js';
import { createPipelineRepository, type PipelineRepository } from '../pipeline/pipeline-repository.js';
import { createSchedulerSchedules } from '../pipeline/scheduler-schedules.js';
import { createServiceRepository, type ServiceRepository } from '../services/service-repository.js';
import type { UpgradeRepository } from '../upgrades/upgrade-repository.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';

/** The repositories the pipeline is built on, handed to a starter so that a function has one of each. */
export interface PipelineParts {
  readonly pipeline: PipelineRepository;
  readonly services: ServiceRepository;
  readonly catalog: CatalogRepository;
  readonly upgrades: UpgradeRepository;
}

/**
 * The pipeline use cases wired to DynamoDB and EventBridge Scheduler, and, given a
 * `starter` (`pipelineUpgradeStarter`, the pipeline API and the scheduled function), to
 * the upgrade flows. Shared by the pipeline API, the scheduled function and the upgrade
 * tasks, so the three cannot be wired differently; the starter is passed in, not chosen
 * here, so the upgrade tasks, which start no upgrade, bundle none of the upgrade use cases.
 */
export function pipelineSetup(base: BaseSetup, options: { starter?: (parts: PipelineParts) => UpgradeStarter } = {}): Pipeline {
  const parts: PipelineParts = {
    pipeline: createPipelineRepository(base.db, base.tableName),
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    upgrades: upgradeRepositorySetup(base),
  };
  return makePipeline({
    ...parts,
    schedules: createSchedulerSchedules(base.env),
    ...(options.starter ? { starter: options.starter(parts) } : {}),
    clock: base.clock,
    logger: base.logger,
  });
}
