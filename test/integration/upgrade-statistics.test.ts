import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { startUpgrade, upgradeWorld } from '../support/upgrades.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

describe('GET …/components/{c}/upgrade-statistics', () => {
  it('counts an execution cancelled before it started without a duration', async () => {
    const world = await upgradeWorld(api);
    await world.service('ran', 2);
    await world.service('never-ran', 2);
    // Two batches 600 s apart (0.6 s at the test's time scale): a duration well above rounding.
    const ran = await startUpgrade(world, 'ran', { batchSize: 1, batchDelaySeconds: 600, healthCheckIntervalSeconds: 1 });
    const finished = await world.waitFor(ran, (execution) => execution.status === 'COMPLETED');
    const created = await world.create({ service: 'never-ran', toVersion: '1.1.0' });
    expect((await world.act(created.body.executionId, 'cancel')).status).toBe(200);

    const stats = await api.request('GET', `${world.base}/components/${world.componentId}/upgrade-statistics`, { token: world.viewer });
    expect(stats.status).toBe(200);
    const seconds = (Date.parse(finished.finishedAt) - Date.parse(finished.startedAt)) / 1000;
    expect(stats.body).toMatchObject({ totalExecutions: 2, successfulExecutions: 1, failedExecutions: 0, successRate: 50 });
    // The average is the one execution that ran, not halved by the cancelled one.
    expect(seconds).toBeGreaterThan(0.5);
    expect(stats.body.averageDurationSeconds).toBeCloseTo(seconds, 1);
  });

  it('answers 404 for a component the catalog does not have', async () => {
    const world = await upgradeWorld(api);
    const response = await api.request('GET', `${world.base}/components/cmp_nosuch/upgrade-statistics`, { token: world.viewer });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
