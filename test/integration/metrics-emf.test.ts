/**
 * The functions' metrics as CloudWatch would read them from their log stream
 * (docs/architecture.md#logs-and-metrics): EMF lines on stdout, namespace Sluice, each
 * datum by `strategy` and again without dimensions, never by tenant or id. Each scenario
 * runs alone and reads the lines written while it ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/common/metrics.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type FleetWorld, fleetWorld } from '../support/fleet.js';
import { captureLogStream, type LogStream } from '../support/log-stream.js';
import { recordTaskCalls } from '../support/tasks.js';
import { TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

const tasks = recordTaskCalls();

let stream: LogStream;
let api: TestApi;
let world: UpgradeWorld;
let fleet: FleetWorld;
beforeAll(async () => {
  stream = captureLogStream();
  api = await startTestApi({ metrics: true });
  world = await upgradeWorld(api);
  fleet = await fleetWorld(api);
});
afterAll(async () => {
  await api?.stop();
  stream.stop();
});

interface Datum {
  readonly name: string;
  readonly value: number;
  /** The line's `strategy`, when it has the dimension. */
  readonly strategy: string | undefined;
  readonly dimensions: string[][];
}

/** The EMF lines of the stream from record `from` on, one datum per metric value. */
function metricsFrom(from: number): Datum[] {
  return stream
    .records()
    .slice(from)
    .filter((line) => line._aws !== undefined)
    .flatMap((line) => {
      const [directive, ...more] = line._aws.CloudWatchMetrics;
      expect(more).toEqual([]);
      expect(directive.Namespace).toBe(METRICS_NAMESPACE);
      // Nothing but the directive, the strategy and the metrics' values: no tenant, id or service rides along.
      const names = directive.Metrics.map((metric: { Name: string }) => metric.Name);
      expect(Object.keys(line).sort()).toEqual(['_aws', ...names, ...('strategy' in line ? ['strategy'] : [])].sort());
      return directive.Metrics.flatMap((metric: { Name: string }) =>
        [line[metric.Name]]
          .flat()
          .map((value: number) => ({ name: metric.Name, value, strategy: line.strategy, dimensions: directive.Dimensions })),
      );
    });
}

const named = (data: readonly Datum[], name: string) => data.filter((datum) => datum.name === name);

/** Runs an upgrade of a fresh service to its end and returns the metrics written meanwhile. */
async function upgradeMetrics(service: string, instances: number, knobs: Record<string, unknown>, target?: Record<string, unknown>) {
  await world.service(service, instances, target);
  const from = stream.records().length;
  const created = await world.create({ service, toVersion: '1.1.0', batchDelaySeconds: 1, healthCheckIntervalSeconds: 1, ...knobs });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const executionId = created.body.executionId as string;
  expect((await world.act(executionId, 'start')).status).toBe(200);
  return { executionId, from };
}

async function ended(executionId: string, from: number) {
  const execution = await world.waitFor(executionId, (current) => TERMINAL.includes(current.status));
  // A task writes its metrics as it returns.
  await tasks.settled(executionId);
  return { execution, data: metricsFrom(from) };
}

describe('EMF lines', () => {
  it('count a completed upgrade once by strategy and once without dimensions, with its duration', async () => {
    const { executionId, from } = await upgradeMetrics('emf-rolling', 3, { strategy: 'ROLLING', batchSize: 1 });
    const { execution, data } = await ended(executionId, from);
    expect(execution.status).toBe('COMPLETED');
    for (const datum of data) expect(datum.dimensions).toEqual([['strategy'], []]);
    expect(named(data, 'UpgradeStarted')).toEqual([expect.objectContaining({ value: 1, strategy: 'ROLLING' })]);
    expect(named(data, 'UpgradeCompleted')).toEqual([expect.objectContaining({ value: 1, strategy: 'ROLLING' })]);
    const [duration, ...others] = named(data, 'UpgradeDurationSeconds');
    expect(others).toEqual([]);
    expect(duration?.value).toBeGreaterThan(0);
    expect(named(data, 'UpgradeFailed')).toEqual([]);
    expect(named(data, 'InstanceFailed')).toEqual([]);
    // Every value a dimension has is a strategy: no tenant, service or id was made one.
    expect(new Set(data.flatMap((datum) => datum.dimensions.flat()))).toEqual(new Set(['strategy']));
    expect(
      JSON.stringify(
        stream
          .records()
          .slice(from)
          .filter((line) => line._aws),
      ),
    ).not.toContain(world.tenant);
    expect(
      JSON.stringify(
        stream
          .records()
          .slice(from)
          .filter((line) => line._aws),
      ),
    ).not.toContain(executionId);
  });

  it('count a failed upgrade and each failed instance, so that Sluice/UpgradeFailed exists without dimensions', async () => {
    const { executionId, from } = await upgradeMetrics(
      'emf-failing',
      2,
      { strategy: 'RECREATE', failureThreshold: 100 },
      { type: 'simulated', failInstances: ['i-0'] },
    );
    const { execution, data } = await ended(executionId, from);
    expect(execution.status).toBe('FAILED');
    expect(named(data, 'UpgradeFailed')).toEqual([
      { name: 'UpgradeFailed', value: 1, strategy: 'RECREATE', dimensions: [['strategy'], []] },
    ]);
    // i-0 failed its batch and then its retry pass.
    expect(named(data, 'InstanceFailed').map((datum) => [datum.value, datum.strategy])).toEqual([
      [1, 'RECREATE'],
      [1, 'RECREATE'],
    ]);
    expect(named(data, 'UpgradeCompleted')).toEqual([]);
  });

  it('count a rollback that ended ROLLED_BACK', async () => {
    const { executionId, from } = await upgradeMetrics(
      'emf-rollback',
      4,
      { strategy: 'ROLLING', batchSize: 2, autoRollbackEnabled: true, failureThreshold: 1 },
      { type: 'simulated', failInstances: ['i-1'] },
    );
    const { execution, data } = await ended(executionId, from);
    expect(execution.status).toBe('ROLLED_BACK');
    expect(named(data, 'UpgradeRolledBack')).toEqual([expect.objectContaining({ value: 1, strategy: 'ROLLING' })]);
    expect(named(data, 'InstanceFailed')).toEqual([expect.objectContaining({ value: 1, strategy: 'ROLLING' })]);
    expect(named(data, 'UpgradeFailed')).toEqual([]);
  });

  it('record how long a gate waited for its decision', async () => {
    const { executionId, from } = await upgradeMetrics('emf-gated', 2, {
      strategy: 'STAGED',
      stages: [{ name: 'a', percentage: 50 }, { name: 'b' }],
    });
    await world.waitFor(executionId, (execution) => execution.waitingFor !== undefined);
    const approver = await api.token({ tenant: world.tenant, roles: ['approver'], user: 'anna' });
    expect((await api.request('POST', `${world.base}/upgrades/${executionId}/approve`, { token: approver, body: {} })).status).toBe(200);
    const { execution, data } = await ended(executionId, from);
    expect(execution.status).toBe('COMPLETED');
    const [wait, ...others] = named(data, 'GateWaitSeconds');
    expect(others).toEqual([]);
    expect(wait).toMatchObject({ strategy: 'STAGED', dimensions: [['strategy'], []] });
    expect(wait?.value).toBeGreaterThan(0);
  });

  it('count an update run that completed, without a strategy dimension when the run leaves it to its services', async () => {
    await fleet.services([{ name: 'emf-member-1' }, { name: 'emf-member-2' }]);
    const from = stream.records().length;
    const created = await fleet.createRun({
      name: 'emf run',
      stages: [
        {
          name: 'all',
          groups: [
            {
              name: 'g',
              services: [
                { project: 'p', name: 'emf-member-1' },
                { project: 'p', name: 'emf-member-2' },
              ],
            },
          ],
        },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const runId = created.body.runId as string;
    expect((await fleet.act(runId, 'start')).status).toBe(200);
    const run = await fleet.waitForRun(runId, (current) => ['COMPLETED', 'FAILED'].includes(current.status), 'the run to end');
    expect(run.status).toBe('COMPLETED');
    // The run's flow writes its last line as its last task returns.
    const data = await waitFor(
      () => {
        const found = metricsFrom(from);
        return named(found, 'UpdateRunCompleted').length > 0 && found;
      },
      { message: 'the UpdateRunCompleted line' },
    );
    expect(named(data, 'UpdateRunCompleted')).toEqual([{ name: 'UpdateRunCompleted', value: 1, strategy: undefined, dimensions: [[]] }]);
    // Its members are ordinary upgrades, counted as such.
    expect(named(data, 'UpgradeStarted').map((datum) => datum.strategy)).toEqual(['ROLLING', 'ROLLING']);
  });
});
