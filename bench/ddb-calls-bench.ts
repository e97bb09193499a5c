import { createRequire } from 'node:module';
import { ROUTES } from '../functions/domain/routes.js';
import { generateDevKey, signDevToken } from '../local/dev-auth.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { startRuntime } from '../local/runtime.js';

/** What one request of a route cost in DynamoDB calls. */
export interface RouteCalls {
  readonly route: string;
  readonly method: string;
  readonly status: number;
  /** DynamoDB calls made while the request ran, its own invocation only. */
  readonly calls: number;
  /** The same calls by operation (GetItem, Query, TransactWriteItems, …). */
  readonly byOperation: Readonly<Record<string, number>>;
}

interface InvokeStore {
  getRequestId(): string;
}

/**
 * DynamoDB calls per request, for every route of the API: the local runtime in this
 * process, one request at a time through real HTTP, and every DynamoDB client's `send`
 * counted under the invocation it runs in (the runtime gives each invocation a scope of
 * its own, read here through the same store Powertools reads). Calls the flows make in
 * the background belong to their task invocations, not to the request that started them.
 *
 * Each route is called once in a state where it succeeds, from one scenario that builds
 * what the next route needs; the table prints the status so a refusal would show.
 */
export async function runDynamoDbCallsBench(): Promise<RouteCalls[]> {
  const counts = new Map<string, Record<string, number>>();
  const sdk = createRequire(import.meta.url);
  const { DynamoDBClient } = sdk('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = sdk('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
  // Both clients inherit `send` from the SDK's one Client class.
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: unknown[]) => unknown };
  const original = base.send;
  const store = () => (globalThis as { awslambda?: { InvokeStore?: InvokeStore } }).awslambda?.InvokeStore;
  base.send = function counted(this: unknown, command: { constructor: { name: string } }, ...rest: unknown[]) {
    if (this instanceof DynamoDBClient || this instanceof DynamoDBDocumentClient) {
      const requestId = store()?.getRequestId() ?? '-';
      const operation = command.constructor.name.replace(/Command$/, '');
      const tally = counts.get(requestId) ?? {};
      tally[operation] = (tally[operation] ?? 0) + 1;
      counts.set(requestId, tally);
    }
    return original.call(this, command, ...rest);
  } as typeof original;

  const dynamodb = await startDynamoDbLocal();
  const devKey = await generateDevKey();
  const runtime = await startRuntime({
    port: 0,
    dynamodbEndpoint: dynamodb.endpoint,
    devKey,
    logLevel: 'silent',
    timeScale: 100,
    tableEvents: false,
  });
  const results: RouteCalls[] = [];
  try {
    const token = (claims: { tenant?: string; roles: string[]; user: string }) => signDevToken(devKey, claims);
    const admin = await token({ roles: ['platform-admin'], user: 'root' });
    const tenant = 'calls';
    const ops = await token({ tenant, roles: ['viewer', 'operator'], user: 'olga' });
    const approver = await token({ tenant, roles: ['approver', 'viewer'], user: 'anna' });

    const call = async (route: string, path: string, bearer: string | undefined, body?: unknown) => {
      const definition = ROUTES.find((r) => r.id === route);
      if (!definition) throw new Error(`no route ${route}`);
      const response = await fetch(`${runtime.url}${path}`, {
        method: definition.method,
        headers: {
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const tally = counts.get(response.headers.get('x-request-id') ?? '') ?? {};
      results.push({
        route,
        method: definition.method,
        status: response.status,
        calls: Object.values(tally).reduce((sum, n) => sum + n, 0),
        byOperation: tally,
      });
      return (text ? JSON.parse(text) : {}) as any;
    };
    const until = async (path: string, holds: (body: any) => boolean): Promise<any> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const response = await fetch(`${runtime.url}${path}`, { headers: { authorization: `Bearer ${ops}` } });
        const body = await response.json();
        if (holds(body)) return body;
        if (Date.now() > deadline) throw new Error(`${path}: timed out, last ${JSON.stringify(body).slice(0, 300)}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    };

    await call('getHealth', '/health', undefined);
    await call('getOpenApi', '/openapi.json', undefined);
    const component = await call('createComponent', '/v1/components', admin, { name: 'calls-db' });
    const c = component.componentId as string;
    for (const version of ['1.0.0', '1.1.0'])
      await call('publishVersion', `/v1/components/${c}/versions`, admin, { version, channel: 'stable' });
    await call('listComponents', '/v1/components', ops);
    await call('getComponent', `/v1/components/${c}`, ops);
    await call('listVersions', `/v1/components/${c}/versions`, ops);
    await call('checkUpgradePath', `/v1/components/${c}/upgrade-path?from=1.0.0&to=1.1.0`, ops);

    const services = `/v1/tenants/${tenant}/projects/p/services`;
    const instances = Array.from({ length: 10 }, (_, index) => ({ id: `i-${index}` }));
    const fast = { batchDelaySeconds: 1, healthCheckIntervalSeconds: 1 };
    for (const name of ['staged', 'staged-2', 'canary', 'rolling', 'done', 'gone', 'fleet-a', 'fleet-b'])
      await call('createService', services, ops, {
        name,
        componentId: c,
        version: '1.0.0',
        instances,
        labels: { env: name.startsWith('fleet') ? 'fleet' : 'single' },
        defaultUpgrade: fast,
      });
    await call('listServices', services, ops);
    await call('getService', `${services}/staged`, ops);
    await call('updateService', `${services}/staged`, ops, { labels: { env: 'single', tier: 'a' } });
    await call('deleteService', `${services}/gone`, ops);

    const upgrades = `/v1/tenants/${tenant}/upgrades`;
    const create = (service: string, knobs: Record<string, unknown>, route = 'createUpgrade') =>
      call(route, upgrades, ops, { project: 'p', service, toVersion: '1.1.0', ...knobs });
    const staged = await create('staged', { strategy: 'STAGED', stages: [{ name: 'one', percentage: 50 }, { name: 'two' }] });
    await call('startUpgrade', `${upgrades}/${staged.executionId}/start`, ops);
    await until(`${upgrades}/${staged.executionId}`, (u) => u.waitingFor !== undefined);
    await call('getUpgrade', `${upgrades}/${staged.executionId}`, ops);
    await call('listUpgradeInstances', `${upgrades}/${staged.executionId}/instances`, ops);
    await call('listUpgradeEvents', `${upgrades}/${staged.executionId}/events`, ops);
    await call('listTenantEvents', `/v1/tenants/${tenant}/events`, ops);
    await call('listUpgrades', upgrades, ops);
    await call('getActiveUpgrades', `/v1/tenants/${tenant}/components/${c}/upgrades/active`, ops);
    await call('approveGate', `${upgrades}/${staged.executionId}/approve`, approver, { comment: 'fine' });
    const staged2 = await create('staged-2', { strategy: 'STAGED', stages: [{ name: 'one', percentage: 50 }, { name: 'two' }] });
    await fetch(`${runtime.url}${upgrades}/${staged2.executionId}/start`, { method: 'POST', headers: { authorization: `Bearer ${ops}` } });
    await until(`${upgrades}/${staged2.executionId}`, (u) => u.waitingFor !== undefined);
    await call('rejectGate', `${upgrades}/${staged2.executionId}/reject`, approver, { comment: 'no' });

    const canary = await create('canary', { strategy: 'CANARY', canaryPercentage: 10 });
    await fetch(`${runtime.url}${upgrades}/${canary.executionId}/start`, { method: 'POST', headers: { authorization: `Bearer ${ops}` } });
    await until(`${upgrades}/${canary.executionId}`, (u) => u.status === 'CANARY_MONITORING');
    await call('promoteCanary', `${upgrades}/${canary.executionId}/promote-canary`, ops);

    const rolling = await create('rolling', { strategy: 'ROLLING', batchSize: 1, batchDelaySeconds: 600 });
    await fetch(`${runtime.url}${upgrades}/${rolling.executionId}/start`, { method: 'POST', headers: { authorization: `Bearer ${ops}` } });
    await until(`${upgrades}/${rolling.executionId}`, (u) => u.status === 'IN_PROGRESS');
    await call('pauseUpgrade', `${upgrades}/${rolling.executionId}/pause`, ops);
    await until(`${upgrades}/${rolling.executionId}`, (u) => u.status === 'PAUSED');
    await call('resumeUpgrade', `${upgrades}/${rolling.executionId}/resume`, ops);
    await call('rollbackUpgrade', `${upgrades}/${rolling.executionId}/rollback`, ops, { reason: 'bench' });

    const pending = await create('done', { strategy: 'ROLLING', batchSize: 10 });
    await call('cancelUpgrade', `${upgrades}/${pending.executionId}/cancel`, ops);
    await call('getUpgradeStatistics', `/v1/tenants/${tenant}/components/${c}/upgrade-statistics`, ops);

    const steps = `/v1/tenants/${tenant}/upgrade-pipeline/steps`;
    const step = await call('createUpgradeStep', steps, ops, {
      sourceProjectName: 'p',
      sourceServiceName: 'staged',
      destinationProjectName: 'p',
      destinationServiceName: 'staged-2',
      autoValidationDelayDays: 3,
    });
    await call('listUpgradeSteps', steps, ops);
    await call('getUpgradeStep', `${steps}/${step.stepId}`, ops);
    await call('updateUpgradeStep', `${steps}/${step.stepId}`, ops, { autoValidationDelayDays: 5 });
    await call('getUpgradePipeline', `/v1/tenants/${tenant}/upgrade-pipeline`, ops);
    await call('validateUpgrade', `${services}/staged/upgrade-validation`, approver, { comment: 'soaked' });
    await call('deleteUpgradeStep', `${steps}/${step.stepId}`, ops);

    const strategies = `/v1/tenants/${tenant}/update-strategies`;
    const strategy = {
      name: 'fleet',
      stages: [
        {
          name: 'all',
          beforeGates: [{ type: 'approval', name: 'go' }],
          groups: [{ name: 'fleet', selector: { matchLabels: { env: 'fleet' } }, maxConcurrency: 1 }],
        },
      ],
    };
    await call('createUpdateStrategy', strategies, ops, strategy);
    await call('listUpdateStrategies', strategies, ops);
    await call('getUpdateStrategy', `${strategies}/fleet`, ops);
    await call('replaceUpdateStrategy', `${strategies}/fleet`, ops, strategy);
    await call('createUpdateStrategy', strategies, ops, { ...strategy, name: 'spare' });
    await call('deleteUpdateStrategy', `${strategies}/spare`, ops);

    const runs = `/v1/tenants/${tenant}/update-runs`;
    const runBody = { name: 'fleet 1.1.0', componentId: c, toVersion: '1.1.0', strategyName: 'fleet' };
    const run = await call('createUpdateRun', runs, ops, runBody);
    await call('listUpdateRuns', runs, ops);
    await call('startUpdateRun', `${runs}/${run.runId}/start`, ops);
    const waiting = await until(`${runs}/${run.runId}`, (r) => r.stages?.[0]?.beforeGates?.[0]?.status === 'WAITING');
    await call('getUpdateRun', `${runs}/${run.runId}`, ops);
    await call('listUpdateRunEvents', `${runs}/${run.runId}/events`, ops);
    await call('skipUpdateRunMember', `${runs}/${run.runId}/members/p/fleet-b/skip`, ops);
    await call('approveUpdateRunGate', `${runs}/${run.runId}/gates/${waiting.stages[0].beforeGates[0].gateId}/approve`, approver, {});
    await call('stopUpdateRun', `${runs}/${run.runId}/stop`, ops);
    const second = await call('createUpdateRun', runs, ops, { ...runBody, name: 'second' });
    await call('cancelUpdateRun', `${runs}/${second.runId}/cancel`, ops);
    await until(`${runs}/${run.runId}`, (r) => r.status !== 'RUNNING');
    const third = await call('createUpdateRun', runs, ops, { ...runBody, name: 'third' });
    await fetch(`${runtime.url}${runs}/${third.runId}/start`, { method: 'POST', headers: { authorization: `Bearer ${ops}` } });
    const gated = await until(`${runs}/${third.runId}`, (r) => r.stages?.[0]?.beforeGates?.[0]?.status === 'WAITING');
    await call('rejectUpdateRunGate', `${runs}/${third.runId}/gates/${gated.stages[0].beforeGates[0].gateId}/reject`, approver, {});

    const profiles = `/v1/tenants/${tenant}/auto-upgrade-profiles`;
    await call('createAutoUpgradeProfile', profiles, ops, { name: 'patches', componentId: c, channel: 'patch', strategyName: 'fleet' });
    await call('listAutoUpgradeProfiles', profiles, ops);
    await call('getAutoUpgradeProfile', `${profiles}/patches`, ops);
    await call('updateAutoUpgradeProfile', `${profiles}/patches`, ops, { disabled: true });
    await call('deleteAutoUpgradeProfile', `${profiles}/patches`, ops);
    await call('getCompliance', `/v1/tenants/${tenant}/compliance?componentId=${c}`, ops);

    // The orchestrator-style routes, on a component of their own with one service.
    const registryComponent = await call('createComponent', '/v1/components', admin, { name: 'calls-registry' });
    const rc = registryComponent.componentId as string;
    const published = [];
    for (const version of ['1.0.0', '1.1.0', '1.2.0'])
      published.push(await call('publishVersion', `/v1/components/${rc}/versions`, admin, { version, channel: 'stable' }));
    await call('createService', services, ops, { name: 'registry', componentId: rc, version: '1.0.0', instances, defaultUpgrade: fast });
    const registry = '/api/v1/registry';
    const versionIds = { fromVersionId: published[0].versionId, toVersionId: published[1].versionId };
    const paused = await call('registryCreateUpgrade', `${registry}/tenants/${tenant}/upgrades`, ops, {
      componentId: rc,
      ...versionIds,
      strategy: 'ROLLING',
      batchSize: 1,
      batchDelaySeconds: 600,
    });
    await call('registryListUpgrades', `${registry}/tenants/${tenant}/upgrades`, ops);
    await call('registryGetUpgrade', `${registry}/upgrades/${paused.id ?? paused.executionId}`, ops);
    const id = paused.id ?? paused.executionId;
    await call('registryStartUpgrade', `${registry}/upgrades/${id}/start`, ops);
    await until(`${upgrades}/${id}`, (u) => u.status === 'IN_PROGRESS');
    await call('registryGetActiveUpgrade', `${registry}/tenants/${tenant}/components/${rc}/upgrades/active`, ops);
    await call('registryPauseUpgrade', `${registry}/upgrades/${id}/pause`, ops);
    await until(`${upgrades}/${id}`, (u) => u.status === 'PAUSED');
    await call('registryResumeUpgrade', `${registry}/upgrades/${id}/resume`, ops);
    await call('registryRollbackUpgrade', `${registry}/upgrades/${id}/rollback?reason=bench`, ops, {});
    await until(`${upgrades}/${id}`, (u) => ['CANCELLED', 'ROLLED_BACK', 'FAILED', 'COMPLETED'].includes(u.status));
    const canary2 = await call('registryCreateUpgrade', `${registry}/tenants/${tenant}/upgrades`, ops, {
      componentId: rc,
      ...versionIds,
      strategy: 'CANARY',
      canaryPercentage: 10,
    });
    const id2 = canary2.id ?? canary2.executionId;
    await fetch(`${runtime.url}${registry}/upgrades/${id2}/start`, { method: 'POST', headers: { authorization: `Bearer ${ops}` } });
    await until(`${upgrades}/${id2}`, (u) => u.status === 'CANARY_MONITORING');
    await call('registryPromoteCanary', `${registry}/upgrades/${id2}/promote-canary`, ops);
    await until(`${upgrades}/${id2}`, (u) => u.status === 'COMPLETED');
    const pendingRegistry = await call('registryCreateUpgrade', `${registry}/tenants/${tenant}/upgrades`, ops, {
      componentId: rc,
      fromVersionId: published[1].versionId,
      toVersionId: published[2].versionId,
      strategy: 'ROLLING',
    });
    await call('registryCancelUpgrade', `${registry}/upgrades/${pendingRegistry.id ?? pendingRegistry.executionId}/cancel`, ops);
    await call('registryGetUpgradeStatistics', `${registry}/components/${rc}/upgrade-statistics`, ops);
  } finally {
    base.send = original;
    await runtime.stop();
    await dynamodb.stop();
  }
  // One row per route: the first call of each (a route called twice above set something up).
  const first = new Map<string, RouteCalls>();
  for (const result of results) if (!first.has(result.route)) first.set(result.route, result);
  return ROUTES.map((route) => first.get(route.id) ?? { route: route.id, method: route.method, status: 0, calls: 0, byOperation: {} });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await runDynamoDbCallsBench())
    console.log(
      `${row.route.padEnd(30)} ${row.method.padEnd(6)} ${String(row.status).padStart(3)} ${String(row.calls).padStart(3)}  ${Object.entries(
        row.byOperation,
      )
        .map(([operation, n]) => `${operation} ${n}`)
        .join(', ')}`,
    );
}
