/**
 * The auto-upgrade fan-out (functions/fleet/auto-upgrade.ts) over in-memory fakes: which
 * profiles get a run, what the run is asked for, exactly once per (tenant, profile,
 * version) however often the event comes, and one profile's failure never stops another.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogVersion } from '../../functions/catalog/schemas.js';
import { ConflictError, NotFoundError } from '../../functions/common/errors.js';
import type { Principal } from '../../functions/common/http/principal.js';
import { createLogger } from '../../functions/common/logger.js';
import { AUTO_UPGRADE_INITIATOR } from '../../functions/domain/fleet.js';
import { autoRunName, makeAutoUpgrade, mustComeAgain } from '../../functions/fleet/auto-upgrade.js';
import type { ProfileRecord, ProfileRepository, RunMarker } from '../../functions/fleet/profile-repository.js';
import type { UpdateRuns } from '../../functions/fleet/runs.js';
import type { CreateRunBody, UpdateRunView } from '../../functions/fleet/schemas.js';
import type { ServiceRecord } from '../../functions/services/service.js';

const COMPONENT = 'cmp_db';
const versions: CatalogVersion[] = [
  { version: '1.2.3', channel: 'stable', security: false },
  { version: '1.2.4', channel: 'stable', security: false },
  { version: '1.2.5', channel: 'stable', security: true },
  { version: '1.3.0', channel: 'stable', security: false },
];

/** A clock the test moves by hand. */
let now = new Date('2026-01-01T00:00:00.000Z');
const clock = { now: () => new Date(now) };

// ---------------------------------------------------------------- fakes

type MarkerKey = { tenantId: string; profile: string; version: string };
const markerId = ({ tenantId, profile, version }: MarkerKey) => `${tenantId}/${profile}/${version}`;

/** The repository's marker rules, in memory (the DynamoDB one is checked against DynamoDB Local in the integration tests). */
function fakeProfiles(records: ProfileRecord[]) {
  const profiles = new Map(records.map((record) => [`${record.tenantId}/${record.name}`, { ...record }]));
  const markers = new Map<string, RunMarker>();
  const repository: Pick<ProfileRepository, 'byComponent' | 'claimRun' | 'updateRun' | 'recordLastRun'> = {
    byComponent: async (componentId) => [...profiles.values()].filter((record) => record.componentId === componentId),
    async claimRun(key, at, leaseUntil) {
      const existing = markers.get(markerId(key));
      if (!existing) {
        const marker: RunMarker = { ...key, status: 'CLAIMED', claimedAt: at, leaseUntil, attempts: 1 };
        markers.set(markerId(key), marker);
        return { taken: true, marker };
      }
      const abandoned = (existing.status === 'CLAIMED' || existing.status === 'CREATED') && existing.leaseUntil < at;
      if (existing.status !== 'RETRY' && !abandoned) return { taken: false, marker: existing };
      const marker: RunMarker = { ...existing, status: 'CLAIMED', claimedAt: at, leaseUntil, attempts: existing.attempts + 1 };
      markers.set(markerId(key), marker);
      return { taken: true, marker };
    },
    async updateRun(key, patch) {
      const existing = markers.get(markerId(key));
      if (!existing) throw new Error('no marker');
      markers.set(markerId(key), { ...existing, ...patch });
    },
    async recordLastRun(tenantId, name, lastRun, at) {
      const record = profiles.get(`${tenantId}/${name}`);
      if (!record) return false;
      profiles.set(`${tenantId}/${name}`, { ...record, lastRun, updatedAt: at, revision: record.revision + 1 });
      return true;
    },
  };
  return { repository, profiles, markers, marker: (key: MarkerKey) => markers.get(markerId(key)) };
}

interface CreatedRun {
  readonly tenantId: string;
  readonly runId: string;
  readonly body: CreateRunBody;
  readonly principal: Principal;
  readonly trigger: { profile: string; version: string } | undefined;
  started: boolean;
}

/** UpdateRuns in memory: `create`, `start` and `get`, with failures the test injects. */
function fakeRuns() {
  const runs: CreatedRun[] = [];
  const failures = {
    create: (_tenantId: string, _body: CreateRunBody): Error | undefined => undefined,
    start: (_tenantId: string, _run: CreatedRun): Error | undefined => undefined,
  };
  const view = (run: CreatedRun) =>
    ({
      runId: run.runId,
      name: run.body.name,
      componentId: run.body.componentId,
      toVersion: run.body.toVersion,
      status: run.started ? 'RUNNING' : 'NOT_STARTED',
      emergency: run.body.emergency,
      maxFailedMembers: run.body.maxFailedMembers,
      allowSelfApproval: run.body.allowSelfApproval,
      initiatedBy: run.principal.subject,
      ...(run.trigger ? { trigger: run.trigger } : {}),
      upgrade: run.body.upgrade ?? {},
      createdAt: now.toISOString(),
      counts: {},
      stages: [],
    }) as unknown as UpdateRunView;
  const starts: string[] = [];
  const cancels: string[] = [];
  const api: Pick<UpdateRuns, 'create' | 'start' | 'get' | 'cancel'> = {
    async create(tenantId, body, principal, options) {
      const failure = failures.create(tenantId, body);
      if (failure) throw failure;
      const run: CreatedRun = {
        tenantId,
        runId: `run_${String(runs.length + 1).padStart(10, '0')}`,
        body,
        principal,
        trigger: options?.trigger,
        started: false,
      };
      runs.push(run);
      return view(run);
    },
    async start(tenantId, runId) {
      const run = runs.find((candidate) => candidate.tenantId === tenantId && candidate.runId === runId);
      if (!run) throw new NotFoundError(`Update run ${runId} was not found.`);
      if (run.started) throw new ConflictError(`Update run ${runId} is RUNNING.`, { extensions: { currentStatus: 'RUNNING' } });
      starts.push(runId);
      const failure = failures.start(tenantId, run);
      if (failure) throw failure;
      run.started = true;
      return view(run);
    },
    async get(tenantId, runId) {
      const run = runs.find((candidate) => candidate.tenantId === tenantId && candidate.runId === runId);
      if (!run) throw new NotFoundError(`Update run ${runId} was not found.`);
      return view(run);
    },
    async cancel(tenantId, runId) {
      const run = runs.find((candidate) => candidate.tenantId === tenantId && candidate.runId === runId);
      if (!run) throw new NotFoundError(`Update run ${runId} was not found.`);
      cancels.push(runId);
      return view(run);
    },
  };
  return { api, runs, failures, starts, cancels };
}

function fakeServices(byTenant: Record<string, string[]>) {
  const calls: string[] = [];
  return {
    calls,
    api: {
      async listByComponent(tenantId: string, componentId: string) {
        calls.push(tenantId);
        return (byTenant[tenantId] ?? []).map(
          (version, index) => ({ tenantId, project: 'p', name: `svc-${index}`, componentId, version }) as ServiceRecord,
        );
      },
    },
  };
}

const profile = (tenantId: string, name: string, overrides: Partial<ProfileRecord> = {}): ProfileRecord => ({
  tenantId,
  name,
  componentId: COMPONENT,
  channel: 'patch',
  strategyName: 'waves',
  emergencyForSecurity: true,
  disabled: false,
  createdAt: '2025-12-01T00:00:00.000Z',
  updatedAt: '2025-12-01T00:00:00.000Z',
  revision: 1,
  ...overrides,
});

function setup(records: ProfileRecord[], members: Record<string, string[]>, catalogVersions = versions) {
  const profiles = fakeProfiles(records);
  const runs = fakeRuns();
  const services = fakeServices(members);
  const autoUpgrade = makeAutoUpgrade({
    profiles: profiles.repository,
    runs: runs.api,
    services: services.api,
    catalog: { allVersions: async () => catalogVersions },
    clock,
    logger: createLogger('silent'),
  });
  return { profiles, runs, services, autoUpgrade };
}

beforeEach(() => {
  now = new Date('2026-01-01T00:00:00.000Z');
});

// ---------------------------------------------------------------- tests

describe('onVersionPublished', () => {
  it('creates and starts a run only for the enabled profiles whose channel admits the version for their tenant', async () => {
    const { autoUpgrade, runs, profiles } = setup(
      [
        profile('acme', 'patches', { upgrade: { strategy: 'ROLLING', batchSize: 2 } }),
        profile('acme', 'stables', { channel: 'stable', disabled: true }),
        profile('acme', 'secure', { channel: 'security-only' }),
        profile('globex', 'patches'),
        profile('initech', 'patches', { componentId: 'cmp_other' }),
      ],
      // globex runs 1.3.0 only: 1.2.4 is no patch of a member there.
      { acme: ['1.2.3', '1.3.0'], globex: ['1.3.0'] },
    );

    const outcomes = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });

    expect(runs.runs).toHaveLength(1);
    const [run] = runs.runs;
    expect(run).toMatchObject({
      tenantId: 'acme',
      started: true,
      trigger: { profile: 'patches', version: '1.2.4' },
      body: {
        name: 'patches 1.2.4',
        componentId: COMPONENT,
        toVersion: '1.2.4',
        strategyName: 'waves',
        upgrade: { strategy: 'ROLLING', batchSize: 2 },
        emergency: false,
      },
    });
    expect(run?.body.stages).toBeUndefined();
    expect(run?.principal.subject).toBe(AUTO_UPGRADE_INITIATOR);
    expect([...(run?.principal.roles ?? [])]).toEqual(['operator']);
    expect(run?.principal.tenantId).toBe('acme');

    expect(outcomes).toEqual([
      { tenantId: 'acme', profile: 'patches', outcome: 'started', runId: run?.runId },
      { tenantId: 'acme', profile: 'secure', outcome: 'not-admitted' },
      { tenantId: 'acme', profile: 'stables', outcome: 'disabled' },
      { tenantId: 'globex', profile: 'patches', outcome: 'not-admitted' },
    ]);
    expect(profiles.marker({ tenantId: 'acme', profile: 'patches', version: '1.2.4' })).toMatchObject({
      status: 'STARTED',
      runId: run?.runId,
    });
    expect(profiles.marker({ tenantId: 'acme', profile: 'secure', version: '1.2.4' })).toBeUndefined();
    expect(profiles.profiles.get('acme/patches')?.lastRun).toEqual({ runId: run?.runId, version: '1.2.4', createdAt: now.toISOString() });
    expect(profiles.profiles.get('acme/secure')?.lastRun).toBeUndefined();
  });

  it('asks for an emergency run when the version is flagged security and the profile wants it', async () => {
    const { autoUpgrade, runs } = setup(
      [
        profile('acme', 'loud'),
        profile('acme', 'quiet', { channel: 'security-only', emergencyForSecurity: false }),
        profile('globex', 'loud', { channel: 'security-only' }),
      ],
      { acme: ['1.2.3'], globex: ['1.2.4'] },
    );
    // Both of acme's are admitted; the fake lets both start (the real runs would refuse the second: one running run per component).
    await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.5' });
    // Tenants are handled side by side: sort to compare.
    expect(runs.runs.map((run) => [run.tenantId, run.trigger?.profile, run.body.emergency]).sort()).toEqual([
      ['acme', 'loud', true],
      ['acme', 'quiet', false],
      ['globex', 'loud', true],
    ]);

    const plain = setup([profile('acme', 'loud')], { acme: ['1.2.3'] });
    await plain.autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(plain.runs.runs.map((run) => run.body.emergency)).toEqual([false]);
  });

  it('creates one run however often the event is delivered, one after the other or at once', async () => {
    const { autoUpgrade, runs, profiles } = setup([profile('acme', 'patches'), profile('globex', 'patches')], {
      acme: ['1.2.3'],
      globex: ['1.2.3'],
    });
    const event = { componentId: COMPONENT, version: '1.2.4' };
    const together = (await Promise.all([autoUpgrade.onVersionPublished(event), autoUpgrade.onVersionPublished(event)])).flat();
    // One of the two started each profile's run; the other found it claimed (and asks to come again) or done.
    expect(
      together
        .filter((outcome) => outcome.outcome === 'started')
        .map((outcome) => outcome.tenantId)
        .sort(),
    ).toEqual(['acme', 'globex']);
    expect(together.filter((outcome) => outcome.outcome !== 'started').every((o) => ['in-progress', 'duplicate'].includes(o.outcome))).toBe(
      true,
    );

    now = new Date(now.getTime() + 3_600_000);
    const again = await autoUpgrade.onVersionPublished(event);
    expect(runs.runs.map((run) => [run.tenantId, run.started]).sort()).toEqual([
      ['acme', true],
      ['globex', true],
    ]);
    expect(again.map((outcome) => outcome.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(again[0]?.runId).toBe(profiles.marker({ tenantId: 'acme', profile: 'patches', version: '1.2.4' })?.runId);
    expect(profiles.marker({ tenantId: 'acme', profile: 'patches', version: '1.2.4' })?.attempts).toBe(1);

    // Another version is another run.
    await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.5' });
    expect(runs.runs).toHaveLength(4);
  });

  it('records a refused profile and goes on with the next, in the same tenant and in the others', async () => {
    const { autoUpgrade, runs, profiles } = setup(
      [
        profile('acme', 'a-gone', { strategyName: 'deleted' }),
        profile('acme', 'b-busy'),
        profile('acme', 'c-fine'),
        profile('globex', 'patches'),
      ],
      { acme: ['1.2.3'], globex: ['1.2.3'] },
    );
    runs.failures.create = (_tenant, body) =>
      body.strategyName === 'deleted' ? new NotFoundError('Update strategy deleted was not found.') : undefined;
    runs.failures.start = (_tenant, run) =>
      run.trigger?.profile === 'b-busy'
        ? new ConflictError(`Another update run of component ${COMPONENT} is running: run_other.`, {
            extensions: { runningRunId: 'run_other' },
          })
        : undefined;

    const outcomes = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });

    expect(outcomes.map((outcome) => [outcome.tenantId, outcome.profile, outcome.outcome])).toEqual([
      ['acme', 'a-gone', 'failed'],
      ['acme', 'b-busy', 'failed'],
      ['acme', 'c-fine', 'started'],
      ['globex', 'patches', 'started'],
    ]);
    expect(profiles.marker({ tenantId: 'acme', profile: 'a-gone', version: '1.2.4' })).toMatchObject({
      status: 'FAILED',
      error: { name: 'NotFoundError', status: 404, message: 'Update strategy deleted was not found.' },
    });
    expect(profiles.marker({ tenantId: 'acme', profile: 'a-gone', version: '1.2.4' })?.runId).toBeUndefined();
    const busy = runs.runs.find((run) => run.trigger?.profile === 'b-busy');
    expect(profiles.marker({ tenantId: 'acme', profile: 'b-busy', version: '1.2.4' })).toMatchObject({
      status: 'FAILED',
      runId: busy?.runId,
      error: { name: 'ConflictError', status: 409 },
    });
    expect(busy?.started).toBe(false);
    // Refused by the one-running-run lock: the run made for it is cancelled, and the profile's lastRun does not name it.
    expect(runs.cancels).toEqual([busy?.runId]);
    expect(profiles.profiles.get('acme/b-busy')?.lastRun).toBeUndefined();
    expect(profiles.profiles.get('acme/c-fine')?.lastRun).toMatchObject({ version: '1.2.4' });

    // A refusal is final: a second delivery does not try again.
    runs.failures.start = () => undefined;
    const again = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(again.map((outcome) => outcome.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(runs.runs).toHaveLength(3);
  });

  it('leaves an unexpected error for the next delivery, which starts the run already created instead of a second one', async () => {
    const { autoUpgrade, runs, profiles } = setup([profile('acme', 'flaky'), profile('acme', 'fine'), profile('globex', 'blip')], {
      acme: ['1.2.3'],
      globex: ['1.2.3'],
    });
    runs.failures.start = (_tenant, run) => (run.trigger?.profile === 'flaky' ? new Error('socket hang up') : undefined);
    runs.failures.create = (tenant) => (tenant === 'globex' ? new Error('ProvisionedThroughputExceededException') : undefined);

    const first = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(first.map((outcome) => [outcome.profile, outcome.outcome])).toEqual([
      ['fine', 'started'],
      ['flaky', 'retry'],
      ['blip', 'retry'],
    ]);
    const flakyRun = runs.runs.find((run) => run.trigger?.profile === 'flaky');
    expect(profiles.marker({ tenantId: 'acme', profile: 'flaky', version: '1.2.4' })).toMatchObject({
      status: 'RETRY',
      runId: flakyRun?.runId,
      error: { message: 'socket hang up' },
    });

    runs.failures.start = () => undefined;
    runs.failures.create = () => undefined;
    const second = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(second.map((outcome) => [outcome.profile, outcome.outcome])).toEqual([
      ['fine', 'duplicate'],
      ['flaky', 'started'],
      ['blip', 'started'],
    ]);
    expect(runs.runs.filter((run) => run.trigger?.profile === 'flaky')).toHaveLength(1);
    expect(flakyRun?.started).toBe(true);
    expect(profiles.marker({ tenantId: 'acme', profile: 'flaky', version: '1.2.4' })).toMatchObject({ status: 'STARTED', attempts: 2 });
  });

  it('takes over a claim whose invocation died once its deadline has passed, not before', async () => {
    const { autoUpgrade, runs, profiles } = setup([profile('acme', 'patches')], { acme: ['1.2.3'] });
    const key = { tenantId: 'acme', profile: 'patches', version: '1.2.4' };
    // An invocation with 60 s left claimed it and died before creating the run.
    await profiles.repository.claimRun(key, now.toISOString(), new Date(now.getTime() + 60_000).toISOString());

    now = new Date(now.getTime() + 30_000);
    const early = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(early.map((outcome) => outcome.outcome)).toEqual(['in-progress']);
    expect(mustComeAgain(early)).toBe(true);
    expect(runs.runs).toHaveLength(0);

    now = new Date(now.getTime() + 60_000);
    const late = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(late.map((outcome) => outcome.outcome)).toEqual(['started']);
    expect(mustComeAgain(late)).toBe(false);
    expect(runs.runs).toHaveLength(1);
  });

  it('holds its claims until the deadline it is given, and begins no profile too close to it', async () => {
    const { autoUpgrade, runs, profiles } = setup([profile('acme', 'patches'), profile('globex', 'patches')], {
      acme: ['1.2.3'],
      globex: ['1.2.3'],
    });
    const deadline = new Date(now.getTime() + 120_000);
    await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' }, { deadline });
    expect(profiles.marker({ tenantId: 'acme', profile: 'patches', version: '1.2.4' })?.leaseUntil).toBe(deadline.toISOString());

    const tight = await autoUpgrade.onVersionPublished(
      { componentId: COMPONENT, version: '1.2.5' },
      { deadline: new Date(now.getTime() + 10_000) },
    );
    expect(tight.map((outcome) => outcome.outcome)).toEqual(['retry', 'retry']);
    expect(profiles.marker({ tenantId: 'acme', profile: 'patches', version: '1.2.5' })).toBeUndefined();
    expect(runs.runs).toHaveLength(2);
    const roomy = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.5' });
    expect(roomy.map((outcome) => outcome.outcome)).toEqual(['started', 'started']);
  });

  it('marks a resumed run STARTED without starting it again when the attempt that died had started it', async () => {
    const { autoUpgrade, runs, profiles } = setup([profile('acme', 'patches')], { acme: ['1.2.3'] });
    const key = { tenantId: 'acme', profile: 'patches', version: '1.2.4' };
    // An attempt created and started the run, then died before it could say so.
    const run = await runs.api.create('acme', { name: 'patches 1.2.4' } as CreateRunBody, {
      subject: AUTO_UPGRADE_INITIATOR,
      roles: new Set(['operator']),
    });
    await runs.api.start('acme', run.runId, { subject: AUTO_UPGRADE_INITIATOR, roles: new Set(['operator']) });
    await profiles.repository.claimRun(key, now.toISOString(), new Date(now.getTime() + 1_000).toISOString());
    await profiles.repository.updateRun(key, { status: 'CREATED', runId: run.runId });

    now = new Date(now.getTime() + 5_000);
    const outcomes = await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(outcomes).toEqual([{ tenantId: 'acme', profile: 'patches', outcome: 'started', runId: run.runId }]);
    expect(runs.starts).toEqual([run.runId]);
    expect(runs.runs).toHaveLength(1);
    expect(profiles.marker(key)).toMatchObject({ status: 'STARTED', attempts: 2 });
  });

  it('reads the members once per tenant, and not at all for a tenant whose profiles are all disabled', async () => {
    const { autoUpgrade, services } = setup(
      [profile('acme', 'one'), profile('acme', 'two', { channel: 'stable' }), profile('globex', 'off', { disabled: true })],
      { acme: ['1.2.3'] },
    );
    await autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.4' });
    expect(services.calls).toEqual(['acme']);
  });

  it('fails the delivery when the version is not in the catalog yet, so that it comes again', async () => {
    const { autoUpgrade, runs } = setup([profile('acme', 'patches')], { acme: ['1.2.3'] });
    await expect(autoUpgrade.onVersionPublished({ componentId: COMPONENT, version: '1.2.9' })).rejects.toThrow(/not in the catalog/);
    expect(runs.runs).toHaveLength(0);
  });
});

describe('autoRunName', () => {
  it('is "<profile> <version>", kept to what a run name allows', () => {
    expect(autoRunName('patches', '1.2.4')).toBe('patches 1.2.4');
    expect(autoRunName('patches', '1.2.4+build.7')).toBe('patches 1.2.4-build.7');
    expect(autoRunName('a'.repeat(63), '1.0.0')).toHaveLength(63);
  });
});
