import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

let api: TestApi;
let world: UpgradeWorld;
const FAST = { batchDelaySeconds: 0, healthCheckIntervalSeconds: 1 };

beforeAll(async () => {
  api = await startTestApi();
  world = await upgradeWorld(api, ['1.20.8', '1.20.9', '1.21.0']);
});
afterAll(() => api.stop());

async function run(body: Record<string, unknown>): Promise<any> {
  const created = await world.create({ ...FAST, ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await world.act(created.body.executionId, 'start')).status).toBe(200);
  return world.waitFor(created.body.executionId, (execution) => execution.status === 'COMPLETED');
}
const service = async (name: string) =>
  (await api.request('GET', `${world.base}/projects/p/services/${name}`, { token: world.viewer })).body;
const codes = (response: { body: { errors?: { code?: string; field: string }[] } }) =>
  (response.body.errors ?? []).map((error) => `${error.field}:${error.code}`);

describe('rollbackOf: the minor rollback right after the minor upgrade', () => {
  it('allows going back to the previous minor only as the rollback of the upgrade that left it', async () => {
    await world.service('db', 2);
    await run({ service: 'db', toVersion: '1.20.9' });
    const minor = await run({ service: 'db', toVersion: '1.21.0' });
    expect((await service('db')).lastUpgrade).toMatchObject({ executionId: minor.executionId, fromVersion: '1.20.9', toVersion: '1.21.0' });

    const plain = await world.create({ service: 'db', toVersion: '1.20.9' });
    expect(plain.status).toBe(422);
    expect(codes(plain)).toContain('body.toVersion:MINOR_DOWNGRADE');

    const rollback = await run({ service: 'db', toVersion: '1.20.9', rollbackOf: minor.executionId });
    expect(rollback.rollbackOf).toBe(minor.executionId);
    expect((await service('db')).version).toBe('1.20.9');
    const created = (await world.events(rollback.executionId)).find((event) => event.type === 'UpgradeCreated');
    expect(created.detail).toMatchObject({ rollbackOf: minor.executionId, fromVersion: '1.21.0', toVersion: '1.20.9' });

    // Once rolled back, the rollback is the latest completed upgrade: the old one cannot be undone twice.
    const twice = await world.create({ service: 'db', toVersion: '1.20.9', rollbackOf: minor.executionId });
    expect(twice.status).toBe(422);
    expect(codes(twice)).toEqual(['body.rollbackOf:ROLLBACK_NOT_ALLOWED']);
    expect(twice.body.detail).toContain('not the latest completed upgrade');
  });

  it.each([
    ['an upgrade that is not the latest completed one', 'older', '1.20.8', 'not the latest completed upgrade'],
    ['a target other than the version before the upgrade', 'latest', '1.20.8', 'goes back to 1.20.9, not 1.20.8'],
    ['an execution id the service never ran', 'unknown', '1.20.9', 'not the latest completed upgrade'],
  ] as const)('refuses (422 ROLLBACK_NOT_ALLOWED, nothing created) %s', async (_case, which, toVersion, reason) => {
    const name = `svc-${which}`;
    await world.service(name, 1);
    const older = await run({ service: name, toVersion: '1.20.9' });
    const latest = await run({ service: name, toVersion: '1.21.0' });
    const rollbackOf = which === 'older' ? older.executionId : which === 'latest' ? latest.executionId : 'upg_0000000000nosuchexec';
    const before = (await api.request('GET', `${world.base}/upgrades?limit=100`, { token: world.viewer })).body.items.length;
    const refused = await world.create({ service: name, toVersion, rollbackOf });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(codes(refused)).toEqual(['body.rollbackOf:ROLLBACK_NOT_ALLOWED']);
    expect(refused.body.detail).toContain(reason);
    expect((await api.request('GET', `${world.base}/upgrades?limit=100`, { token: world.viewer })).body.items).toHaveLength(before);
  });

  it('refuses a service with no completed upgrade on record', async () => {
    await world.service('fresh', 1);
    const refused = await world.create({ service: 'fresh', toVersion: '1.20.8', rollbackOf: 'upg_0000000000nosuchexec' });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain('has no completed upgrade on record');
  });
});
