/**
 * The auto-upgrade fan-out end to end (docs/architecture.md#auto-upgrade-profiles): a
 * platform admin publishes a version over HTTP; the runtime's own events reader
 * (local/events.ts) takes the VersionPublished item off the table's stream and hands it to
 * the auto-upgrade function, which creates and starts an update run in every tenant whose
 * enabled profile admits the version; the runs go on the embedded engine (1000x time) with
 * ordinary member upgrades on simulated targets. Nothing here calls the handler itself.
 *
 * Every runtime of a test run reads the stream of the table it serves, and hands what it
 * reads to its own engine. On the shared table, any other test file's runtime could
 * take a publish of this file, start the run on its engine and stop with it (the run then
 * stays RUNNING for ever), and several deliveries racing for one tenant's profiles make
 * which of them wins the component's run lock a matter of chance. So this file's runtime
 * serves a table of its own: it is the only reader of that stream, and every delivery is
 * its own.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '../../functions/common/ddb.js';
import { AUTO_UPGRADE_INITIATOR } from '../../functions/domain/fleet.js';
import { createProfileRepository, type RunMarker } from '../../functions/fleet/profile-repository.js';
import { localClient } from '../../local/dynamodb-local.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { type FleetWorld, fleetWorld } from '../support/fleet.js';
import { waitFor } from '../support/wait.js';

const tableName = `sluice-fanout-${randomUUID().slice(0, 8)}`;
const endpoint = inject('dynamodbEndpoint');
const db = createDocumentClient({ DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1' });
const markers = createProfileRepository(db, tableName);

let api: TestApi;
/** Tenant A: three services of the component on 1.0.0, and the patch, stable and (disabled) rapid profiles. */
let a: FleetWorld;
/** Tenant B, on the same component: one service on 1.1.0, and a patch profile. */
const b = { tenant: unique('fanout-b'), operator: '', viewer: '' };

/** Two waves, the second behind an approval: a run holds the component's lock until someone approves. */
const WAVES = {
  name: 'waves',
  stages: [
    {
      name: 'canary',
      groups: [{ name: 'canary', selector: { matchLabels: { wave: '1' } } }],
      afterGates: [{ type: 'approval', name: 'canary ok' }],
    },
    { name: 'rest', groups: [{ name: 'rest', selector: { matchLabels: { wave: '2' } } }] },
  ],
};

/** A sentinel tenant whose rapid profile takes 1.1.0: the fence between the seeding and the scenario. */
const sentinel = { tenant: unique('fanout-s'), operator: '', viewer: '' };

const createStrategy = async (tenant: string, operator: string, body: unknown) => {
  const strategy = await api.request('POST', `/v1/tenants/${tenant}/update-strategies`, { token: operator, body });
  expect(strategy.status, JSON.stringify(strategy.body)).toBe(201);
};
const createProfile = async (tenant: string, operator: string, body: Record<string, unknown>) => {
  const created = await api.request('POST', `/v1/tenants/${tenant}/auto-upgrade-profiles`, {
    token: operator,
    body: { componentId: a.componentId, ...body },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
};

beforeAll(async () => {
  api = await startTestApi({ tableName, tableEvents: true });
  // 1.0.0 only: its event admits nothing, whenever it is handled (no member can be older).
  a = await fleetWorld(api, ['1.0.0']);

  // 1.1.0 (stable) comes next, so that tenant B can run it. Its event is handled a few
  // hundred ms later: had A's stable profile existed by then, 1.1.0 would have started a
  // run of A's. So it is published while only the sentinel has a profile, and the scenario
  // is set up once the sentinel's run of it has started (that delivery has read the
  // profiles) and completed (the sentinel's service is newer than what comes next).
  sentinel.operator = await api.token({ tenant: sentinel.tenant, roles: ['operator'], user: 'sam' });
  sentinel.viewer = await api.token({ tenant: sentinel.tenant, roles: ['viewer'], user: 'sue' });
  const lone = await api.request('POST', `/v1/tenants/${sentinel.tenant}/projects/p/services`, {
    token: sentinel.operator,
    body: { name: 'lone', componentId: a.componentId, version: '1.0.0', instances: [{ id: 'i-0' }] },
  });
  expect(lone.status, JSON.stringify(lone.body)).toBe(201);
  await createStrategy(sentinel.tenant, sentinel.operator, {
    name: 'all',
    stages: [{ name: 'all', groups: [{ name: 'all', services: [{ project: 'p', name: 'lone' }] }] }],
  });
  await createProfile(sentinel.tenant, sentinel.operator, { name: 'minors', channel: 'rapid', strategyName: 'all' });
  expect((await publish('1.1.0', false)).status).toBe(201);
  const fence = await settledMarker(sentinel.tenant, 'minors', '1.1.0');
  expect(fence).toMatchObject({ status: 'STARTED' });
  // And ended, its service on 1.1.0: the later publishes admit nothing of the sentinel's.
  await waitFor(
    async () => {
      const run = await api.request('GET', `/v1/tenants/${sentinel.tenant}/update-runs/${fence.runId}`, { token: sentinel.viewer });
      return run.body?.status === 'COMPLETED';
    },
    { timeout: 20_000, interval: 50, message: "the sentinel's run of 1.1.0 to complete" },
  );

  await a.services([
    { name: 'canary-1', labels: { wave: '1' } },
    { name: 'main-1', labels: { wave: '2' } },
    { name: 'main-2', labels: { wave: '2' } },
  ]);
  b.operator = await api.token({ tenant: b.tenant, roles: ['operator'], user: 'otto' });
  b.viewer = await api.token({ tenant: b.tenant, roles: ['viewer'], user: 'vera' });
  const service = await api.request('POST', `/v1/tenants/${b.tenant}/projects/p/services`, {
    token: b.operator,
    body: { name: 'web', componentId: a.componentId, version: '1.1.0', instances: [{ id: 'i-0' }], labels: { wave: '1' } },
  });
  expect(service.status, JSON.stringify(service.body)).toBe(201);

  await createStrategy(a.tenant, a.operator, WAVES);
  await createProfile(a.tenant, a.operator, { name: 'patches', channel: 'patch', strategyName: 'waves' });
  await createProfile(a.tenant, a.operator, { name: 'stables', channel: 'stable', strategyName: 'waves' });
  await createProfile(a.tenant, a.operator, { name: 'rapids', channel: 'rapid', strategyName: 'waves', disabled: true });
  await createStrategy(b.tenant, b.operator, WAVES);
  await createProfile(b.tenant, b.operator, { name: 'patches', channel: 'patch', strategyName: 'waves' });
}, 120_000);

afterAll(async () => {
  await api?.stop();
  db.destroy();
  const client = localClient(endpoint);
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  client.destroy();
});

const publish = (version: string, security: boolean) =>
  api.request('POST', `/v1/components/${a.componentId}/versions`, { token: a.admin, body: { version, channel: 'stable', security } });

/** Tenant A's runs of the component, by version (1.0.x only, so as strings), then name. */
async function runsOfA(query = ''): Promise<any[]> {
  const response = await api.request('GET', `${a.base}/update-runs?componentId=${a.componentId}${query}`, { token: a.viewer });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  const key = (run: any) => `${run.toVersion}#${run.name}`;
  return [...response.body.items].sort((x: any, y: any) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

const profileOf = async (tenant: string, token: string, name: string) => {
  const response = await api.request('GET', `/v1/tenants/${tenant}/auto-upgrade-profiles/${name}`, { token });
  expect(response.status).toBe(200);
  return response.body;
};

/** The marker of (tenant, profile, version) once the fan-out is done with it: STARTED or FAILED. */
const settledMarker = (tenantId: string, profile: string, version: string) =>
  waitFor(
    async () => {
      const marker = await markers.getRun({ tenantId, profile, version });
      return marker?.status === 'STARTED' || marker?.status === 'FAILED' ? marker : undefined;
    },
    { timeout: 10_000, interval: 50, message: `the marker of ${tenantId}/${profile} ${version} to settle` },
  );

/** What every run of a profile shows, whichever profile and version. */
const autoRun = (profile: string, version: string, emergency: boolean) => ({
  name: `${profile} ${version}`,
  componentId: a.componentId,
  toVersion: version,
  emergency,
  initiatedBy: AUTO_UPGRADE_INITIATOR,
  trigger: { profile, version },
  strategyName: 'waves',
  maxFailedMembers: 0,
  allowSelfApproval: false,
});

/** Approves the canary gate of a RUNNING run (as a human approver) and waits for it to complete. */
async function approveAndComplete(runId: string) {
  const atGate = await a.waitForRun(runId, (run) => run.stages[0].afterGates[0].status === 'WAITING', 'the canary gate to wait', 10_000);
  const approved = await a.act(runId, `gates/${atGate.stages[0].afterGates[0].gateId}/approve`, a.approver);
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  return a.waitForRun(runId, (run) => run.status === 'COMPLETED' || run.status === 'FAILED', 'the run to end', 10_000);
}

describe('publishing a version starts one run per admitting profile', () => {
  let first: { patches: any; stables: any };

  it('answers the publish (security 1.0.1) with 201 at once; then tenant A has one run per admitting profile', async () => {
    const published = await publish('1.0.1', true);
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    expect(published.body).toMatchObject({ version: '1.0.1', channel: 'stable', security: true });

    const runs = await waitFor(
      async () => {
        const listed = await runsOfA();
        return listed.length >= 2 ? listed : undefined;
      },
      { timeout: 10_000, interval: 50, message: "tenant A's runs of 1.0.1" },
    );
    // The runs come from the event, after the version is in the catalog.
    for (const run of runs) expect(Date.parse(run.createdAt)).toBeGreaterThanOrEqual(Date.parse(published.body.publishedAt));
    // Tenant A's profiles one after the other, in name order: patches, then stables.
    const [patches, stables] = runs;
    // Security release, emergencyForSecurity defaulted to true: emergency runs.
    expect(patches).toMatchObject(autoRun('patches', '1.0.1', true));
    expect(stables).toMatchObject(autoRun('stables', '1.0.1', true));

    const patchesMarker = await settledMarker(a.tenant, 'patches', '1.0.1');
    expect(patchesMarker).toMatchObject({ status: 'STARTED', runId: patches.runId, attempts: 1, startedAt: expect.any(String) });
    const started = await a.run(patches.runId);
    expect(started.status).toBe('RUNNING');
    expect(started.startedAt).toEqual(expect.any(String));
    expect(a.members(started).map((member: any) => `${member.service}@${member.fromVersion}`)).toEqual([
      'canary-1@1.0.0',
      'main-1@1.0.0',
      'main-2@1.0.0',
    ]);
    const timeline = await a.events(patches.runId);
    expect(timeline.find((event) => event.type === 'UpdateRunCreated')).toMatchObject({
      actor: AUTO_UPGRADE_INITIATOR,
      detail: { toVersion: '1.0.1', emergency: true, members: 3, trigger: { profile: 'patches', version: '1.0.1' } },
    });
    expect(timeline.find((event) => event.type === 'UpdateRunStarted')).toMatchObject({ actor: AUTO_UPGRADE_INITIATOR });

    // The stables run is created, but the component's one-running-run lock is the patches
    // run's by then: its start is refused (409), recorded on its marker, and the run is
    // cancelled rather than left NOT_STARTED for nobody.
    const stablesMarker = await settledMarker(a.tenant, 'stables', '1.0.1');
    expect(stablesMarker).toMatchObject({
      status: 'FAILED',
      runId: stables.runId,
      failedAt: expect.any(String),
      error: { status: 409, message: expect.stringContaining(patches.runId) },
    });
    expect((await a.run(stables.runId)).status).toBe('CANCELLED');
    expect(await runsOfA('&status=RUNNING')).toEqual([expect.objectContaining({ runId: patches.runId })]);

    // The profile whose run started shows it; the refused one shows none.
    expect((await profileOf(a.tenant, a.viewer, 'patches')).lastRun).toEqual({
      runId: patches.runId,
      version: '1.0.1',
      createdAt: patches.createdAt,
    });
    expect((await profileOf(a.tenant, a.viewer, 'stables')).lastRun).toBeUndefined();
    // The disabled profile: no marker, no run, no lastRun.
    expect(await markers.getRun({ tenantId: a.tenant, profile: 'rapids', version: '1.0.1' })).toBeUndefined();
    expect((await profileOf(a.tenant, a.viewer, 'rapids')).lastRun).toBeUndefined();
    expect((await runsOfA()).map((run) => run.name)).toEqual(['patches 1.0.1', 'stables 1.0.1']);
    first = { patches, stables };
  });

  it('records the refusal of a second publish (1.0.2) while the first run is RUNNING, and starts no second run', async () => {
    expect((await a.run(first.patches.runId)).status).toBe('RUNNING');
    const published = await publish('1.0.2', false);
    expect(published.status).toBe(201);

    for (const profile of ['patches', 'stables']) {
      const marker: RunMarker = await settledMarker(a.tenant, profile, '1.0.2');
      expect(marker).toMatchObject({
        status: 'FAILED',
        runId: expect.any(String),
        error: { status: 409, message: expect.stringContaining(first.patches.runId) },
      });
      // The run is created (not an emergency: 1.0.2 is no security release), its start
      // refused, and it is cancelled; the profile's lastRun does not move to it.
      const run = await a.run(marker.runId as string);
      expect(run).toMatchObject({ ...autoRun(profile, '1.0.2', false), status: 'CANCELLED' });
      expect((await profileOf(a.tenant, a.viewer, profile)).lastRun?.version).not.toBe('1.0.2');
    }
    expect(await runsOfA('&status=RUNNING')).toEqual([expect.objectContaining({ runId: first.patches.runId })]);
    expect((await runsOfA()).map((run) => run.name)).toEqual(['patches 1.0.1', 'stables 1.0.1', 'patches 1.0.2', 'stables 1.0.2']);
  });

  it('completes the started run like any other: a human approves its gate, the members are ordinary upgrades', async () => {
    const done = await approveAndComplete(first.patches.runId);
    expect(done.status, done.statusReason).toBe('COMPLETED');
    expect(done.stages[0].afterGates[0]).toMatchObject({ status: 'APPROVED', decidedBy: 'avery' });
    const members = a.members(done);
    expect(members.map((member: any) => member.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    for (const member of members) {
      const upgrade = await api.request('GET', `${a.base}/upgrades/${member.executionId}`, { token: a.viewer });
      expect(upgrade.status).toBe(200);
      expect(upgrade.body).toMatchObject({ status: 'COMPLETED', updateRunId: done.runId, toVersion: '1.0.1' });
    }
    const services = await api.request('GET', `${a.base}/projects/p/services`, { token: a.viewer });
    expect(services.status).toBe(200);
    expect(services.body.items.map((service: any) => `${service.name}@${service.version}`).sort()).toEqual([
      'canary-1@1.0.1',
      'main-1@1.0.1',
      'main-2@1.0.1',
    ]);
  });

  it('starts a run that is no emergency for a non-security version (1.0.3) once the component is free', async () => {
    const published = await publish('1.0.3', false);
    expect(published.status).toBe(201);
    const marker = await settledMarker(a.tenant, 'patches', '1.0.3');
    expect(marker).toMatchObject({ status: 'STARTED', runId: expect.any(String) });
    const run = await a.run(marker.runId as string);
    expect(run).toMatchObject(autoRun('patches', '1.0.3', false));
    expect(['RUNNING', 'COMPLETED']).toContain(run.status);
    expect(a.members(run).map((member: any) => member.fromVersion)).toEqual(['1.0.1', '1.0.1', '1.0.1']);
    // The stables profile meets the patches run's lock again.
    expect(await settledMarker(a.tenant, 'stables', '1.0.3')).toMatchObject({ status: 'FAILED', error: { status: 409 } });

    const done = await approveAndComplete(run.runId);
    expect(done.status, done.statusReason).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ COMPLETED: 3, FAILED: 0 });
    expect((await profileOf(a.tenant, a.viewer, 'patches')).lastRun).toEqual({
      runId: run.runId,
      version: '1.0.3',
      createdAt: run.createdAt,
    });
  });

  it('gives tenant B, whose services are on 1.1.0 already, and the disabled profile no run of any of it', async () => {
    for (const version of ['1.0.1', '1.0.2', '1.0.3']) {
      expect(await markers.getRun({ tenantId: b.tenant, profile: 'patches', version })).toBeUndefined();
      expect(await markers.getRun({ tenantId: a.tenant, profile: 'rapids', version })).toBeUndefined();
    }
    const listed = await api.request('GET', `/v1/tenants/${b.tenant}/update-runs`, { token: b.viewer });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
    expect((await profileOf(b.tenant, b.viewer, 'patches')).lastRun).toBeUndefined();
    expect((await profileOf(a.tenant, a.viewer, 'rapids')).lastRun).toBeUndefined();
    const service = await api.request('GET', `/v1/tenants/${b.tenant}/projects/p/services/web`, { token: b.viewer });
    expect(service.body.version).toBe('1.1.0');
  });

  it('upgraded the sentinel tenant to the minor 1.1.0 through its rapid profile, and nothing after (its service is newer)', async () => {
    const listed = await api.request('GET', `/v1/tenants/${sentinel.tenant}/update-runs`, { token: sentinel.viewer });
    expect(listed.status).toBe(200);
    const runs = listed.body.items;
    expect(runs).toEqual([
      expect.objectContaining({
        name: 'minors 1.1.0',
        toVersion: '1.1.0',
        emergency: false,
        status: 'COMPLETED',
        trigger: { profile: 'minors', version: '1.1.0' },
      }),
    ]);
    const lone = await api.request('GET', `/v1/tenants/${sentinel.tenant}/projects/p/services/lone`, { token: sentinel.viewer });
    expect(lone.body.version).toBe('1.1.0');
  });
});
