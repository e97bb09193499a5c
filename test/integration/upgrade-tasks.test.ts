import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCatalogRepository } from '../../functions/catalog/catalog-repository.js';
import { createDocumentClient } from '../../functions/common/ddb.js';
import { createLogger } from '../../functions/common/logger.js';
import type { ServiceRecord } from '../../functions/services/service.js';
import { createServiceRepository } from '../../functions/services/service-repository.js';
import { createTargetAdapter } from '../../functions/targets/target-adapter.js';
import { makeUpgradeTasks } from '../../functions/upgrade-tasks/tasks.js';
import type { ExecutionRecord, InstanceRecord } from '../../functions/upgrades/execution.js';
import { createUpgradeRepository } from '../../functions/upgrades/upgrade-repository.js';
import { newExecutionId } from '../../functions/upgrades/upgrades.js';
import { ensureTable } from '../../local/dynamodb-local.js';
import { unique } from '../support/api.js';

const TABLE = 'sluice-tasks-test';
const db = createDocumentClient({ DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), AWS_REGION: 'us-east-1' });
const clock = { now: () => new Date() };
const upgrades = createUpgradeRepository(db, TABLE, clock.now);
const services = createServiceRepository(db, TABLE);
const woken: string[] = [];
const tasks = makeUpgradeTasks({
  upgrades,
  services,
  catalog: createCatalogRepository(db, TABLE),
  workflow: {
    start: async () => 'arn',
    succeed: async (token) => void woken.push(token),
    fail: async () => undefined,
    stop: async () => undefined,
  },
  targets: (target) => createTargetAdapter(target, { sleep: async () => undefined }),
  probe: { check: async () => ({ ok: true, detail: 'ok' }) },
  clock,
  sleep: async () => undefined,
  timeScale: 1,
  logger: createLogger('silent'),
});

beforeAll(() => ensureTable(inject('dynamodbEndpoint'), TABLE));
afterAll(() => db.destroy());

/** An IN_PROGRESS execution of 4 instances in one batch, on a service whose i-1 and i-2 fail. */
async function runningExecution(): Promise<ExecutionRecord> {
  const tenantId = unique('tasks');
  const now = new Date().toISOString();
  const service: ServiceRecord = {
    tenantId,
    project: 'p',
    name: 's',
    componentId: 'cmp_x',
    version: '1.0.0',
    powered: true,
    instances: ['i-0', 'i-1', 'i-2', 'i-3'].map((id) => ({ id })),
    target: { type: 'simulated', failInstances: ['i-1', 'i-2'] },
    autoUpgradeChannel: 'none',
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
  await services.create(service);
  const executionId = newExecutionId(new Date());
  const execution: ExecutionRecord = {
    executionId,
    tenantId,
    project: 'p',
    service: 's',
    componentId: 'cmp_x',
    fromVersion: '1.0.0',
    toVersion: '1.1.0',
    strategy: 'ROLLING',
    status: 'IN_PROGRESS',
    canaryPercentage: 10,
    batchSize: 4,
    batchDelaySeconds: 0,
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 60,
    maxUnavailablePercentage: 100,
    autoRollbackEnabled: false,
    failureThreshold: 10,
    installedComponents: {},
    gateTimeoutSeconds: 60,
    onGateTimeout: 'reject',
    batchBounds: [0, 4],
    completedBatches: 0,
    preChecks: [],
    totalInstances: 4,
    completedCount: 0,
    failedCount: 0,
    rolledBackInstances: [],
    initiatedBy: 'test',
    createdAt: now,
  };
  const instances: InstanceRecord[] = service.instances.map((instance, index) => ({
    executionId,
    index,
    instanceId: instance.id,
    batch: 0,
    status: 'PENDING',
    attempts: 0,
    updatedAt: now,
  }));
  await upgrades.create(execution, instances, { type: 'UpgradeCreated' });
  return execution;
}

describe('upgrade tasks under Step Functions retries', () => {
  it('running the same batch task twice does not double the failure count', async () => {
    const { tenantId, executionId } = await runningExecution();
    const first = await tasks.startBatch({ tenantId, executionId, batch: 0 });
    const second = await tasks.startBatch({ tenantId, executionId, batch: 0 });
    expect(first.pending).toBe(2);
    expect(second.pending).toBe(2);
    const execution = await upgrades.get(tenantId, executionId);
    expect(execution?.failedCount).toBe(2);
    const failedEvents = (await upgrades.events(executionId, { after: 0, limit: 100 })).items.filter(
      (event) => event.type === 'InstanceFailed',
    );
    expect(failedEvents).toHaveLength(2);
  });

  it('running the same health check and batch finish twice counts each instance and batch once', async () => {
    const { tenantId, executionId } = await runningExecution();
    await tasks.startBatch({ tenantId, executionId, batch: 0 });
    await Promise.all([
      tasks.checkBatchHealth({ tenantId, executionId, batch: 0 }),
      tasks.checkBatchHealth({ tenantId, executionId, batch: 0 }),
    ]);
    await tasks.finishBatch({ tenantId, executionId, batch: 0 });
    const again = await tasks.finishBatch({ tenantId, executionId, batch: 0 });
    // The last batch left two failed instances below the threshold: the retry pass is next.
    expect(again.action).toBe('continue');
    const execution = await upgrades.get(tenantId, executionId);
    expect(execution).toMatchObject({ completedCount: 2, failedCount: 2, completedBatches: 1 });
    const batchEvents = (await upgrades.events(executionId, { after: 0, limit: 100 })).items.filter(
      (event) => event.type === 'BatchCompleted',
    );
    expect(batchEvents).toHaveLength(1);
  });

  it('a park that arrives after the resume wakes the flow at once instead of waiting forever', async () => {
    const { tenantId, executionId } = await runningExecution();
    await tasks.park({ tenantId, executionId, taskToken: 'token-after-resume' });
    expect(woken).toContain('token-after-resume');
    expect((await upgrades.get(tenantId, executionId))?.resumeToken).toBeUndefined();
  });
});

describe('settleBatch', () => {
  it('fails (and counts) the unfinished instances of a batch whose child flow failed, once', async () => {
    const { tenantId, executionId } = await runningExecution();
    await tasks.settleBatch({ tenantId, executionId, batch: 0, error: { Error: 'TypeError' } });
    await tasks.settleBatch({ tenantId, executionId, batch: 0, error: { Error: 'TypeError' } });
    const execution = await upgrades.get(tenantId, executionId);
    expect(execution?.failedCount).toBe(4);
    const instances = (await upgrades.instances(executionId, { limit: 10 })).items;
    expect(instances.every((instance) => instance.status === 'FAILED' && instance.detail?.includes('TypeError'))).toBe(true);
  });
});
