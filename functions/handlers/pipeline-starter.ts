import type { Principal } from '../common/http/principal.js';
import type { BaseSetup } from '../common/setup.js';
import type { UpgradeStarter } from '../pipeline/pipeline.js';
import { makeUpgradeGuard } from '../pipeline/upgrade-guard.js';
import { CreateUpgradeBody } from '../upgrades/schemas.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { makeUpgrades } from '../upgrades/upgrades.js';
import type { PipelineParts } from './pipeline-setup.js';

/** Who the audit trail names for what the pipeline does by itself. */
export const PIPELINE_PRINCIPAL: Principal = { subject: 'sluice-pipeline', roles: new Set(['operator']) };

/**
 * How the pipeline starts an upgrade (propagation into maintenance windows): the upgrade
 * use cases on the pipeline's own repositories, with its ceiling check. For
 * `pipelineSetup` in the functions that start upgrades: the pipeline API and the
 * scheduled function.
 */
export function pipelineUpgradeStarter(base: BaseSetup): (parts: PipelineParts) => UpgradeStarter {
  return ({ pipeline, services, catalog, upgrades }) => {
    const useCase = makeUpgrades({
      upgrades,
      services,
      catalog,
      workflow: createSfnWorkflow(base.env),
      clock: base.clock,
      feed: base.feed,
      pipeline: makeUpgradeGuard({ pipeline }),
      metrics: base.metrics,
    });
    return {
      async start(tenantId, request) {
        // The service's defaultUpgrade supplies the strategy and knobs (docs/architecture.md#propagation-into-maintenance-windows).
        const created = await useCase.create(tenantId, CreateUpgradeBody.parse(request), PIPELINE_PRINCIPAL);
        await useCase.start(tenantId, created.executionId, PIPELINE_PRINCIPAL);
        return { executionId: created.executionId };
      },
    };
  };
}
