import type { BaseSetup } from '../common/setup.js';
import { createRunRepository } from '../fleet/run-repository.js';
import { makeRunWaker } from '../fleet/run-tasks.js';
import { withEndHook } from '../upgrades/end-hook.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { withMetrics } from '../upgrades/upgrade-metrics.js';
import { createUpgradeRepository, type UpgradeRepository } from '../upgrades/upgrade-repository.js';
import type { Workflow } from '../upgrades/workflow.js';

/**
 * The upgrade repository every function that moves executions uses: an execution of an
 * update run's member that ends wakes its run's flow (docs/architecture.md#fleet-update-runs),
 * and what its writes did is counted in the function's metrics (upgrade-metrics.ts). Every
 * function that can move an execution (the upgrades and registry APIs, the pipeline, the
 * upgrade and fleet tasks) builds it here, so none can forget either.
 */
export function upgradeRepositorySetup(base: BaseSetup, workflow: Workflow = createSfnWorkflow(base.env)): UpgradeRepository {
  const now = () => base.clock.now();
  const wake = makeRunWaker({ runs: createRunRepository(base.db, base.tableName, now, base.feed), workflow });
  return withMetrics(
    withEndHook(
      createUpgradeRepository(base.db, base.tableName, now, base.feed),
      async (execution) => {
        if (execution.updateRunId) await wake(execution.tenantId, execution.updateRunId);
      },
      (message, fields) => base.logger.warn(message, fields),
    ),
    base.metrics,
  );
}
