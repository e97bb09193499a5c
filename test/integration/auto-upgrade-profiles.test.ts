/**
 * Auto-upgrade profiles over HTTP (docs/architecture.md#auto-upgrade-profiles): the CRUD
 * routes, their refusals, tenant isolation, and the gsi1 query the fan-out reads them with.
 *
 * A profile names an update strategy of its tenant: the strategies are created through
 * `POST /v1/tenants/{t}/update-strategies`, as an operator does. What a publish does with
 * the profiles end to end is test/integration/auto-upgrade-fanout.test.ts.
 */

import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createDocumentClient } from '../../functions/common/ddb.js';
import { LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { createProfileRepository } from '../../functions/fleet/profile-repository.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

let api: TestApi;
let componentId: string;
beforeAll(async () => {
  api = await startTestApi();
  ({ componentId } = await seedComponent(api, ['1.0.0', '1.0.1', '1.1.0']));
});
afterAll(() => api.stop());

/** Creates the tenant's update strategy `name` (one stage of the `tier: web` services) through the API. */
async function createStrategy(tenant: string, operator: string, name: string) {
  const response = await api.request('POST', `/v1/tenants/${tenant}/update-strategies`, {
    token: operator,
    body: { name, stages: [{ name: 'all', groups: [{ name: 'web', selector: { matchLabels: { tier: 'web' } } }] }] },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

/** A fresh tenant with an operator and a viewer token and a strategy named `waves`. */
async function tenantTokens() {
  const tenant = unique('acme');
  const operator = await api.token({ tenant, roles: ['operator'], user: 'olivia' });
  await createStrategy(tenant, operator, 'waves');
  return { tenant, operator, viewer: await api.token({ tenant, roles: ['viewer'], user: 'victor' }) };
}

const profilesPath = (tenant: string) => `/v1/tenants/${tenant}/auto-upgrade-profiles`;
const profileBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'patches',
  componentId,
  channel: 'patch',
  strategyName: 'waves',
  ...overrides,
});

describe('auto-upgrade profiles', () => {
  it('creates a profile with defaults, reads it, lists it, patches it and deletes it', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody() });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'patches',
      componentId,
      channel: 'patch',
      strategyName: 'waves',
      emergencyForSecurity: true,
      disabled: false,
      createdAt: expect.any(String),
      updatedAt: created.body.createdAt,
    });

    const read = await api.request('GET', `${profilesPath(tenant)}/patches`, { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const listed = await api.request('GET', profilesPath(tenant), { token: viewer });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [created.body] });

    const knobs = { strategy: 'ROLLING', batchSize: 2 };
    const patched = await api.request('PATCH', `${profilesPath(tenant)}/patches`, {
      token: operator,
      body: { channel: 'stable', disabled: true, emergencyForSecurity: false, upgrade: knobs },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'patches', channel: 'stable', disabled: true, emergencyForSecurity: false, upgrade: knobs });
    expect(patched.body.createdAt).toBe(created.body.createdAt);
    expect((await api.request('GET', `${profilesPath(tenant)}/patches`, { token: viewer })).body).toEqual(patched.body);

    // null clears the knobs; what is absent stays.
    const cleared = await api.request('PATCH', `${profilesPath(tenant)}/patches`, { token: operator, body: { upgrade: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.upgrade).toBeUndefined();
    expect(cleared.body).toMatchObject({ channel: 'stable', disabled: true });

    const deleted = await api.request('DELETE', `${profilesPath(tenant)}/patches`, { token: operator });
    expect(deleted.status).toBe(204);
    expect((await api.request('GET', `${profilesPath(tenant)}/patches`, { token: viewer })).status).toBe(404);
    expect((await api.request('DELETE', `${profilesPath(tenant)}/patches`, { token: operator })).status).toBe(404);
    expect((await api.request('PATCH', `${profilesPath(tenant)}/patches`, { token: operator, body: { disabled: false } })).status).toBe(
      404,
    );
  });

  it('answers 409 for a name the tenant already uses, and keeps the first', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    expect((await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody() })).status).toBe(201);
    const again = await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody({ channel: 'rapid' }) });
    expect(again.status).toBe(409);
    expect((await api.request('GET', `${profilesPath(tenant)}/patches`, { token: viewer })).body.channel).toBe('patch');
  });

  it('answers 422 naming the field for an unknown component or strategy, and writes nothing', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const noComponent = await api.request('POST', profilesPath(tenant), {
      token: operator,
      body: profileBody({ componentId: 'cmp_nope' }),
    });
    expect(noComponent.status).toBe(422);
    expect(noComponent.body.errors).toEqual([expect.objectContaining({ field: 'body.componentId' })]);

    const noStrategy = await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody({ strategyName: 'ghost' }) });
    expect(noStrategy.status).toBe(422);
    expect(noStrategy.body.errors).toEqual([expect.objectContaining({ field: 'body.strategyName' })]);
    expect((await api.request('GET', profilesPath(tenant), { token: viewer })).body).toEqual({ items: [] });

    // Another tenant's strategy of that name does not count.
    const other = await tenantTokens();
    await createStrategy(other.tenant, other.operator, 'theirs');
    const foreign = await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody({ strategyName: 'theirs' }) });
    expect(foreign.status).toBe(422);
    // …while its own tenant uses it.
    const own = await api.request('POST', profilesPath(other.tenant), {
      token: other.operator,
      body: profileBody({ strategyName: 'theirs' }),
    });
    expect(own.status).toBe(201);

    expect((await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody() })).status).toBe(201);
    const patchStrategy = await api.request('PATCH', `${profilesPath(tenant)}/patches`, {
      token: operator,
      body: { strategyName: 'ghost' },
    });
    expect(patchStrategy.status).toBe(422);
    expect(patchStrategy.body.errors).toEqual([expect.objectContaining({ field: 'body.strategyName' })]);
    expect((await api.request('GET', `${profilesPath(tenant)}/patches`, { token: viewer })).body.strategyName).toBe('waves');
  });

  it('refuses to change the name or component (422), an empty patch, and an unknown channel', async () => {
    const { tenant, operator } = await tenantTokens();
    expect((await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody() })).status).toBe(201);
    for (const body of [{ name: 'other' }, { componentId: 'cmp_other' }, {}, { channel: 'none' }]) {
      const response = await api.request('PATCH', `${profilesPath(tenant)}/patches`, { token: operator, body });
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
    const badChannel = await api.request('POST', profilesPath(tenant), {
      token: operator,
      body: profileBody({ name: 'x', channel: 'beta' }),
    });
    expect(badChannel.status).toBe(422);
  });

  it('answers 404 to another tenant, and to a viewer writing 403', async () => {
    const owner = await tenantTokens();
    const intruder = await tenantTokens();
    expect((await api.request('POST', profilesPath(owner.tenant), { token: owner.operator, body: profileBody() })).status).toBe(201);
    for (const [method, suffix, body] of [
      ['GET', '/patches', undefined],
      ['GET', '', undefined],
      ['PATCH', '/patches', { disabled: true }],
      ['DELETE', '/patches', undefined],
      ['POST', '', profileBody({ name: 'mine' })],
    ] as const) {
      const response = await api.request(method, `${profilesPath(owner.tenant)}${suffix}`, {
        token: intruder.operator,
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status, `${method} ${suffix}`).toBe(404);
    }
    // Under its own tenant, the intruder does not see the owner's profile either.
    expect((await api.request('GET', `${profilesPath(intruder.tenant)}/patches`, { token: intruder.viewer })).status).toBe(404);
    expect((await api.request('DELETE', `${profilesPath(owner.tenant)}/patches`, { token: owner.viewer })).status).toBe(403);
    expect((await api.request('GET', `${profilesPath(owner.tenant)}/patches`, { token: owner.viewer })).body.disabled).toBe(false);
  });

  it('pages a list with limit and nextToken, in name order', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    for (const name of ['c', 'a', 'b']) {
      expect((await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody({ name }) })).status).toBe(201);
    }
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '2', ...(nextToken ? { nextToken } : {}) });
      const page = await api.request('GET', `${profilesPath(tenant)}?${query}`, { token: viewer });
      expect(page.status).toBe(200);
      names.push(...page.body.items.map((item: { name: string }) => item.name));
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(names).toEqual(['a', 'b', 'c']);

    const foreignToken = Buffer.from(JSON.stringify({ pk: `TENANT#${tenant}`, sk: 'SERVICE#p#x' })).toString('base64url');
    const refused = await api.request('GET', `${profilesPath(tenant)}?nextToken=${foreignToken}`, { token: viewer });
    expect(refused.status).toBe(400);
  });

  it('finds the profiles of a component across tenants with one gsi1 query, without keys', async () => {
    const { componentId: lonely } = await seedComponent(api, ['2.0.0']);
    const first = await tenantTokens();
    const second = await tenantTokens();
    for (const { tenant, operator } of [first, second]) {
      for (const name of ['one', 'two']) {
        const response = await api.request('POST', profilesPath(tenant), {
          token: operator,
          body: profileBody({ name, componentId: lonely }),
        });
        expect(response.status).toBe(201);
      }
    }
    // A profile of another component stays out.
    expect((await api.request('POST', profilesPath(first.tenant), { token: first.operator, body: profileBody() })).status).toBe(201);

    const db = createDocumentClient({ DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), AWS_REGION: 'us-east-1' });
    try {
      const found = await vi.waitFor(
        async () => {
          const records = await createProfileRepository(db, LOCAL_TABLE_NAME).byComponent(lonely);
          expect(records).toHaveLength(4);
          return records;
        },
        { timeout: 5_000 },
      );
      expect(found.map((record) => `${record.tenantId}/${record.name}`).sort()).toEqual(
        [`${first.tenant}/one`, `${first.tenant}/two`, `${second.tenant}/one`, `${second.tenant}/two`].sort(),
      );
      for (const record of found) {
        expect(Object.keys(record).filter((key) => /^(pk|sk|gsi\dpk|gsi\dsk)$/.test(key))).toEqual([]);
        expect(record).toMatchObject({ componentId: lonely, strategyName: 'waves', revision: 1 });
      }
    } finally {
      db.destroy();
    }
  });
});

describe('the publish event and the run markers', () => {
  const db = createDocumentClient({ DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), AWS_REGION: 'us-east-1' });
  afterAll(() => db.destroy());

  it('writes a VersionPublished event item with the version, in the same transaction, and none for a refused duplicate', async () => {
    const { componentId: fresh, admin } = await seedComponent(api, []);
    const published = await api.request('POST', `/v1/components/${fresh}/versions`, {
      token: admin,
      body: { version: '3.1.4', channel: 'rapid', security: true },
    });
    expect(published.status).toBe(201);
    const duplicate = await api.request('POST', `/v1/components/${fresh}/versions`, { token: admin, body: { version: '3.1.4' } });
    expect(duplicate.status).toBe(409);

    const { Items } = await db.send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `COMPONENT#${fresh}`, ':prefix': 'EVENT#' },
        ConsistentRead: true,
      }),
    );
    expect(Items).toEqual([
      {
        pk: `COMPONENT#${fresh}`,
        sk: expect.stringMatching(new RegExp(`^EVENT#${published.body.publishedAt}#[0-9a-f]{8}$`)),
        type: 'VersionPublished',
        at: published.body.publishedAt,
        actor: 'catalog-admin',
        detail: { componentId: fresh, version: '3.1.4', channel: 'rapid', security: true },
      },
    ]);
    // The event item is no version: the version list is unchanged.
    const listed = await api.request('GET', `/v1/components/${fresh}/versions`, { token: admin });
    expect(listed.body.items.map((item: { version: string }) => item.version)).toEqual(['3.1.4']);
  });

  it('claims a marker once; a RETRY, or a claim whose lease is over, is taken again; a live one is not', async () => {
    const repository = createProfileRepository(db, LOCAL_TABLE_NAME);
    const key = { tenantId: unique('acme'), profile: 'patches', version: '1.0.1' };
    // Claimed at 00:00 by an invocation that ends at 00:05 at the latest.
    const first = await repository.claimRun(key, '2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z');
    expect(first).toEqual({
      taken: true,
      marker: { ...key, status: 'CLAIMED', claimedAt: '2026-01-01T00:00:00.000Z', leaseUntil: '2026-01-01T00:05:00.000Z', attempts: 1 },
    });

    const busy = await repository.claimRun(key, '2026-01-01T00:04:00.000Z', '2026-01-01T00:09:00.000Z');
    expect(busy).toMatchObject({ taken: false, marker: { status: 'CLAIMED', attempts: 1 } });

    await repository.updateRun(key, { status: 'CREATED', runId: 'run_0000000001' });
    const abandoned = await repository.claimRun(key, '2026-01-01T00:06:00.000Z', '2026-01-01T00:11:00.000Z');
    expect(abandoned).toMatchObject({
      taken: true,
      marker: { status: 'CLAIMED', runId: 'run_0000000001', leaseUntil: '2026-01-01T00:11:00.000Z', attempts: 2 },
    });
    expect(Object.keys(abandoned.marker).filter((name) => name === 'pk' || name === 'sk')).toEqual([]);

    await repository.updateRun(key, { status: 'RETRY', error: { name: 'Error', message: 'socket hang up' } });
    const retried = await repository.claimRun(key, '2026-01-01T00:07:00.000Z', '2026-01-01T00:12:00.000Z');
    expect(retried).toMatchObject({ taken: true, marker: { status: 'CLAIMED', attempts: 3 } });

    await repository.updateRun(key, { status: 'STARTED', startedAt: '2026-01-01T00:07:01.000Z' });
    const done = await repository.claimRun(key, '2026-01-02T00:00:00.000Z', '2026-01-02T00:05:00.000Z');
    expect(done).toMatchObject({ taken: false, marker: { status: 'STARTED', runId: 'run_0000000001' } });
    expect(await repository.getRun(key)).toMatchObject({ status: 'STARTED', attempts: 3 });
  });

  it('takes a marker over only once when deliveries race for it', async () => {
    const repository = createProfileRepository(db, LOCAL_TABLE_NAME);
    const key = { tenantId: unique('acme'), profile: 'patches', version: '1.0.1' };
    const claims = await Promise.all(
      Array.from({ length: 4 }, () => repository.claimRun(key, '2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z')),
    );
    expect(claims.filter((claim) => claim.taken)).toHaveLength(1);
    await repository.updateRun(key, { status: 'RETRY' });
    const again = await Promise.all(
      Array.from({ length: 4 }, () => repository.claimRun(key, '2026-01-01T00:01:00.000Z', '2026-01-01T00:06:00.000Z')),
    );
    expect(again.filter((claim) => claim.taken)).toHaveLength(1);
  });

  it('records lastRun on a profile (moving its revision) and leaves a deleted one alone', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    expect((await api.request('POST', profilesPath(tenant), { token: operator, body: profileBody() })).status).toBe(201);
    const repository = createProfileRepository(db, LOCAL_TABLE_NAME);
    const lastRun = { runId: 'run_0000000007', version: '1.0.1', createdAt: '2026-01-01T00:00:00.000Z' };
    expect(await repository.recordLastRun(tenant, 'patches', lastRun, '2026-01-01T00:00:01.000Z')).toBe(true);
    const read = await api.request('GET', `${profilesPath(tenant)}/patches`, { token: viewer });
    expect(read.body.lastRun).toEqual(lastRun);
    expect((await repository.get(tenant, 'patches'))?.revision).toBe(2);
    expect(await repository.recordLastRun(tenant, 'nobody', lastRun, '2026-01-01T00:00:01.000Z')).toBe(false);
    expect(await repository.get(tenant, 'nobody')).toBeUndefined();
  });
});
