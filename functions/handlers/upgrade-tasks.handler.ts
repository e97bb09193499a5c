import middy from '@middy/core';
import * as z from 'zod';
import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { createServiceRepository } from '../services/service-repository.js';
import { baseSetup } from '../shared/setup.js';
import { createTargetAdapter } from '../targets/target-adapter.js';
import { createSfnWorkflow } from '../upgrades/sfn-workflow.js';
import { createUpgradeRepository } from '../upgrades/upgrade-repository.js';
import { createHttpHealthProbe } from '../upgrade-tasks/health-probe.js';
import { makeUpgradeTasks, type UpgradeTasks } from '../upgrade-tasks/tasks.js';
import { pipelineSetup } from './pipeline-setup.js';

const Ids = { tenantId: z.string().min(1), executionId: z.string().min(1) };
const Batch = { ...Ids, batch: z.number().int().min(0) };
const Gate = { ...Ids, gate: z.number().int().min(0) };
const StatesError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional();

/** What the state machines send: the task name and its arguments (see statemachines/*.asl.json). */
const TaskEvent = z.discriminatedUnion('task', [
  z.object({ task: z.literal('preChecks'), ...Ids }),
  z.object({ task: z.literal('control'), ...Ids }),
  z.object({ task: z.literal('park'), ...Ids, taskToken: z.string().min(1) }),
  z.object({ task: z.literal('startBatch'), ...Batch }),
  z.object({ task: z.literal('checkBatchHealth'), ...Batch }),
  z.object({ task: z.literal('finishBatch'), ...Batch }),
  z.object({ task: z.literal('settleBatch'), ...Batch, error: StatesError }),
  z.object({ task: z.literal('rollbackBatch'), ...Ids }),
  z.object({ task: z.literal('finishRollback'), ...Ids }),
  z.object({ task: z.literal('complete'), ...Ids }),
  z.object({ task: z.literal('fail'), ...Ids, error: StatesError }),
  z.object({ task: z.literal('openGate'), ...Gate, kind: z.enum(['stage-approval', 'traffic-switch']), taskToken: z.string().min(1), timeoutSeconds: z.number().int().min(1) }),
  z.object({ task: z.literal('gatePassed'), ...Gate, output: z.object({ approvedBy: z.string().optional(), comment: z.string().optional() }).loose().optional() }),
  z.object({ task: z.literal('gateRejected'), ...Gate, error: StatesError }),
  z.object({ task: z.literal('gateTimedOut'), ...Gate }),
  z.object({ task: z.literal('finishCanary'), ...Ids }),
  z.object({ task: z.literal('monitorCanary'), ...Ids }),
  z.object({ task: z.literal('finishGreen'), ...Ids }),
  z.object({ task: z.literal('switchTraffic'), ...Ids, to: z.enum(['green', 'blue']) }),
  z.object({ task: z.literal('holdBlue'), ...Ids, taskToken: z.string().min(1) }),
  z.object({ task: z.literal('retireBlue'), ...Ids }),
  z.object({ task: z.literal('blueGreenControl'), ...Ids }),
  z.object({ task: z.literal('revertGreen'), ...Ids }),
]);
type TaskEvent = z.infer<typeof TaskEvent>;

let tasks: UpgradeTasks | undefined;
function setup(): UpgradeTasks {
  const base = baseSetup();
  const scale = base.env.SLUICE_TIME_SCALE;
  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms / scale));
  return makeUpgradeTasks({
    upgrades: createUpgradeRepository(base.db, base.tableName, () => base.clock.now()),
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    workflow: createSfnWorkflow(base.env),
    targets: (target) => createTargetAdapter(target, { sleep, logger: base.logger, allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS, allowInsecureHttp: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
    probe: createHttpHealthProbe({ allowPrivateNetworks: base.env.SLUICE_ALLOW_PRIVATE_NETWORKS }),
    clock: base.clock,
    sleep,
    timeScale: scale,
    logger: base.logger,
    ...(base.env.API_BASE_URL ? { apiBaseUrl: base.env.API_BASE_URL } : {}),
    // Without a scheduled function to target, there is no auto-validation to schedule.
    ...(base.env.SCHEDULED_FUNCTION_ARN ? { pipeline: pipelineSetup(base, { startsUpgrades: false }) } : {}),
  });
}

async function run(event: TaskEvent): Promise<unknown> {
  tasks ??= setup();
  switch (event.task) {
    case 'preChecks': return tasks.preChecks(event);
    case 'control': return tasks.control(event);
    case 'park': return tasks.park(event);
    case 'startBatch': return tasks.startBatch(event);
    case 'checkBatchHealth': return tasks.checkBatchHealth(event);
    case 'finishBatch': return tasks.finishBatch(event);
    case 'settleBatch': return tasks.settleBatch(event);
    case 'rollbackBatch': return tasks.rollbackBatch(event);
    case 'finishRollback': return tasks.finishRollback(event);
    case 'complete': return tasks.complete(event);
    case 'fail': return tasks.fail(event);
    case 'openGate': return tasks.openGate(event);
    case 'gatePassed': return tasks.gatePassed(event);
    case 'gateRejected': return tasks.gateRejected(event);
    case 'gateTimedOut': return tasks.gateTimedOut(event);
    case 'finishCanary': return tasks.finishCanary(event);
    case 'monitorCanary': return tasks.monitorCanary(event);
    case 'finishGreen': return tasks.finishGreen(event);
    case 'switchTraffic': return tasks.switchTraffic(event);
    case 'holdBlue': return tasks.holdBlue(event);
    case 'retireBlue': return tasks.retireBlue(event);
    case 'blueGreenControl': return tasks.blueGreenControl(event);
    case 'revertGreen': return tasks.revertGreen(event);
  }
}

/**
 * The task function of the upgrade flows. A malformed event is a bug in an ASL file:
 * it throws (the state machine's Catch records it), it is never silently ignored.
 */
export const handler = middy<unknown, unknown>().handler(async (event) => run(TaskEvent.parse(event)));
