import { makeBatchTasks } from './batch-tasks.js';
import { makeBlueGreenTasks } from './blue-green-tasks.js';
import { makeCanaryTasks } from './canary-tasks.js';
import { makeTaskContext, type UpgradeTasksDeps } from './context.js';
import { makeGateTasks } from './gate-tasks.js';
import { makeRollbackTasks } from './rollback-tasks.js';

export type { UpgradeTasksDeps } from './context.js';

/**
 * The task handlers the state machines call, one phase a file. Each is idempotent
 * under Step Functions retries: instance moves are conditional writes, so a re-run
 * skips what was done and never counts a failure twice.
 */
export function makeUpgradeTasks(deps: UpgradeTasksDeps) {
  const ctx = makeTaskContext(deps);
  return { ...makeBatchTasks(ctx), ...makeRollbackTasks(ctx), ...makeGateTasks(ctx), ...makeCanaryTasks(ctx), ...makeBlueGreenTasks(ctx) };
}

export type UpgradeTasks = ReturnType<typeof makeUpgradeTasks>;
