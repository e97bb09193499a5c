import { readFileSync } from 'node:fs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { keysOf, observe } from '../common/observe.js';
import { baseSetup } from '../common/setup.js';
import { createServiceRepository } from '../services/service-repository.js';
import { createTargetAdapter } from '../targets/target-adapter.js';
import { createHttpHealthProbe } from '../upgrade-tasks/health-probe.js';
import { createHttpMetricWebhook } from '../upgrade-tasks/metric-webhook.js';
import { runTask } from '../upgrade-tasks/task-table.js';
import { makeUpgradeTasks, type UpgradeTasks } from '../upgrade-tasks/tasks.js';
import { createCloudWatchAlarmStates } from '../upgrades/cloudwatch-alarm-states.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { pipelineSetup } from './pipeline-setup.js';
import { upgradeRepositorySetup } from './upgrade-repository-setup.js';

let tasks: UpgradeTasks | undefined;
function setup(): UpgradeTasks {
  const base = baseSetup();
  const scale = base.env.SLUICE_TIME_SCALE;
  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms / scale));
  const ca = base.env.SLUICE_WEBHOOK_CA_FILE ? readFileSync(base.env.SLUICE_WEBHOOK_CA_FILE, 'utf8') : undefined;
  return makeUpgradeTasks({
    upgrades: upgradeRepositorySetup(base),
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    workflow: createSfnWorkflow(base.env),
    targets: (target) =>
      createTargetAdapter(target, {
        sleep,
        logger: base.logger,
        allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS,
        allowInsecureHttp: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS,
        ...(ca === undefined ? {} : { ca }),
      }),
    probe: createHttpHealthProbe({ allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
    alarms: createCloudWatchAlarmStates(base.env),
    metricWebhook: createHttpMetricWebhook({ allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
    clock: base.clock,
    sleep,
    timeScale: scale,
    logger: base.logger,
    metrics: base.metrics,
    ...(base.env.API_BASE_URL ? { apiBaseUrl: base.env.API_BASE_URL } : {}),
    // Without a scheduled function to target, there is no auto-validation to schedule.
    ...(base.env.SCHEDULED_FUNCTION_ARN ? { pipeline: pipelineSetup(base) } : {}),
  });
}

/**
 * The task function of the upgrade flows. A malformed event is a bug in an ASL file:
 * it throws (the state machine's Catch records it), it is never silently ignored.
 */
export const handler = middy<unknown, unknown>()
  .use(observe({ keys: (event) => keysOf(event, ['task', 'tenantId', 'executionId', 'batch', 'gate']), done: 'task' }))
  .handler(async (event, context: Context) => {
    tasks ??= setup();
    return runTask(tasks, event, { remainingMs: () => context.getRemainingTimeInMillis() });
  });
