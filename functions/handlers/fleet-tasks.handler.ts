import middy from '@middy/core';
import { keysOf, observe } from '../common/observe.js';
import { baseSetup } from '../common/setup.js';
import { createRunRepository } from '../fleet/run-repository.js';
import { runRunTask } from '../fleet/run-task-table.js';
import { makeRunTasks, type RunTasks } from '../fleet/run-tasks.js';
import { createServiceRepository } from '../services/service-repository.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';
import { upgradesSetup } from './upgrades-setup.js';

let tasks: RunTasks | undefined;
function setup(): RunTasks {
  const base = baseSetup();
  const workflow = createSfnWorkflow(base.env);
  const executions = upgradeRepositorySetup(base, workflow);
  return makeRunTasks({
    runs: createRunRepository(base.db, base.tableName, () => base.clock.now(), base.feed),
    services: createServiceRepository(base.db, base.tableName),
    executions,
    // Member upgrades are ordinary upgrades: the same use case as the upgrades API, with the pipelines' ceiling.
    upgrades: upgradesSetup(base, { workflow, upgrades: executions }),
    workflow,
    clock: base.clock,
    timeScale: base.env.SLUICE_TIME_SCALE,
    logger: base.logger,
    metrics: base.metrics,
    ...(base.env.SLUICE_STAGE_CHILD_LOOKS === undefined ? {} : { maxStageChildLooks: base.env.SLUICE_STAGE_CHILD_LOOKS }),
  });
}

/** The task function of the update run flows (statemachines/update-run*.asl.json). */
export const handler = middy<unknown, unknown>()
  .use(observe({ keys: (event) => keysOf(event, ['task', 'tenantId', 'runId', 'generation', 'stage']), done: 'task' }))
  .handler(async (event) => {
    tasks ??= setup();
    return runRunTask(tasks, event);
  });
