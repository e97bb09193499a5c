import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbClient } from '../../functions/common/ddb.js';
import { ConflictError, ValidationError } from '../../functions/common/errors.js';
import { createDynamoDbIdempotency } from '../../functions/common/http/dynamodb-idempotency.js';
import { IDEMPOTENCY_RETENTION_SECONDS, type IdempotentRequest } from '../../functions/common/http/idempotency.js';
import { IDEMPOTENCY_TABLE_SCHEMA } from '../../functions/domain/table-schema.js';
import { ensureIdempotencyTable } from '../../local/dynamodb-local.js';
import { type ApiResponse, startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';
import { upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

let api: TestApi;
let componentId: string;
beforeAll(async () => {
  api = await startTestApi();
  ({ componentId } = await seedComponent(api, ['1.0.0', '1.1.0']));
});
afterAll(() => api.stop());

/** A fresh tenant with two operators (two token subjects) and a viewer. */
async function tenantTokens() {
  const tenant = unique('idem');
  return {
    tenant,
    olivia: await api.token({ tenant, roles: ['operator'], user: 'olivia' }),
    oscar: await api.token({ tenant, roles: ['operator'], user: 'oscar' }),
    viewer: await api.token({ tenant, roles: ['viewer'], user: 'victor' }),
  };
}

const servicesPath = (tenant: string, project = 'p') => `/v1/tenants/${tenant}/projects/${project}/services`;
const withKey = (key: string) => ({ 'idempotency-key': key });
const replayed = (response: ApiResponse) => response.headers.get('idempotency-replayed');

async function serviceNames(tenant: string, viewer: string, project = 'p'): Promise<string[]> {
  const listed = await api.request('GET', servicesPath(tenant, project), { token: viewer });
  expect(listed.status).toBe(200);
  return listed.body.items.map((service: { name: string }) => service.name);
}

describe('Idempotency-Key: replay', () => {
  it('answers a repeated service creation with the first 201 and body, creating one service', async () => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const key = randomUUID();
    const body = { name: 'orders', componentId, version: '1.0.0', instances: [{ id: 'i-1' }] };
    const first = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    const second = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    expect(first.status).toBe(201);
    expect(replayed(first)).toBeNull();
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.headers.get('content-type')).toBe('application/json');
    expect(second.text).toBe(first.text);
    expect(await serviceNames(tenant, viewer)).toEqual(['orders']);
  });

  it('answers a repeated upgrade creation with the same execution, and creates one', async () => {
    const world = await upgradeWorld(api);
    await world.service('web', 2);
    const key = randomUUID();
    const create = () =>
      api.request('POST', `${world.base}/upgrades`, {
        token: world.operator,
        body: { project: 'p', service: 'web', toVersion: '1.1.0' },
        headers: withKey(key),
      });
    const first = await create();
    const second = await create();
    expect(first.status).toBe(201);
    // Without the key the second creation would be a 409: the service already has an active execution.
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    const listed = await api.request('GET', `${world.base}/upgrades`, { token: world.viewer });
    expect(listed.body.items.map((execution: { executionId: string }) => execution.executionId)).toEqual([first.body.executionId]);
    await world.act(first.body.executionId, 'cancel');
  });

  it('replays a lifecycle action and a delete (204) instead of answering 409 or 404 the second time', async () => {
    const world = await upgradeWorld(api);
    await world.service('api', 2);
    const created = await world.create({ service: 'api', toVersion: '1.1.0' });
    const cancelKey = randomUUID();
    const cancel = () =>
      api.request('POST', `${world.base}/upgrades/${created.body.executionId}/cancel`, {
        token: world.operator,
        headers: withKey(cancelKey),
      });
    const firstCancel = await cancel();
    const secondCancel = await cancel();
    expect(firstCancel.status).toBe(200);
    expect([secondCancel.status, replayed(secondCancel), secondCancel.text]).toEqual([200, 'true', firstCancel.text]);

    const deleteKey = randomUUID();
    const remove = () =>
      api.request('DELETE', `${world.base}/projects/p/services/api`, { token: world.operator, headers: withKey(deleteKey) });
    const firstDelete = await remove();
    const secondDelete = await remove();
    expect([firstDelete.status, secondDelete.status, replayed(secondDelete), secondDelete.text]).toEqual([204, 204, 'true', '']);
  });

  it('treats the same JSON with other key order and spacing as the same request', async () => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const key = randomUUID();
    const first = await api.request('POST', servicesPath(tenant), {
      token: olivia,
      rawBody: JSON.stringify({
        name: 'ordered',
        componentId,
        version: '1.0.0',
        maintenanceWindow: { dayOfWeek: 'sunday', startHour: 2, durationHours: 3 },
      }),
      headers: { ...withKey(key), 'content-type': 'application/json' },
    });
    const second = await api.request('POST', servicesPath(tenant), {
      token: olivia,
      rawBody: `{ "maintenanceWindow": {"durationHours": 3, "startHour": 2, "dayOfWeek": "sunday"},\n  "version": "1.0.0", "componentId": ${JSON.stringify(componentId)}, "name": "ordered" }`,
      headers: { ...withKey(key), 'content-type': 'application/json' },
    });
    expect(first.status).toBe(201);
    expect([second.status, replayed(second)]).toEqual([201, 'true']);
    expect(second.body).toEqual(first.body);
    expect(await serviceNames(tenant, viewer)).toEqual(['ordered']);
  });
});

describe('Idempotency-Key: misuse', () => {
  it('answers 422 naming the header when the key is reused with a different body, and does nothing', async () => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const key = randomUUID();
    expect(
      (
        await api.request('POST', servicesPath(tenant), {
          token: olivia,
          body: { name: 'a', componentId, version: '1.0.0' },
          headers: withKey(key),
        })
      ).status,
    ).toBe(201);
    const reused = await api.request('POST', servicesPath(tenant), {
      token: olivia,
      body: { name: 'b', componentId, version: '1.0.0' },
      headers: withKey(key),
    });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toBe('application/problem+json');
    expect(reused.body).toMatchObject({ status: 422, errors: [{ field: 'header.idempotency-key' }] });
    expect(await serviceNames(tenant, viewer)).toEqual(['a']);
  });

  it('answers 422 when the key is reused on another path or another route', async () => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const key = randomUUID();
    const body = { name: 'svc', componentId, version: '1.0.0' };
    expect((await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) })).status).toBe(201);
    const otherPath = await api.request('POST', servicesPath(tenant, 'other'), { token: olivia, body, headers: withKey(key) });
    expect(otherPath.status).toBe(422);
    expect(otherPath.body.errors[0].field).toBe('header.idempotency-key');
    const otherRoute = await api.request('PATCH', `${servicesPath(tenant)}/svc`, {
      token: olivia,
      body: { powered: false },
      headers: withKey(key),
    });
    expect(otherRoute.status).toBe(422);
    expect(await serviceNames(tenant, viewer, 'other')).toEqual([]);
    expect((await api.request('GET', `${servicesPath(tenant)}/svc`, { token: viewer })).body.powered).toBe(true);
  });

  it('lets exactly one of 10 concurrent same-key requests do the work; the others replay it or answer 409', async () => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const key = randomUUID();
    const body = { name: 'raced', componentId, version: '1.0.0' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) })),
    );
    const created = results.filter((result) => result.status === 201);
    const inFlight = results.filter((result) => result.status === 409);
    expect(created.length + inFlight.length).toBe(10);
    expect(created.filter((result) => replayed(result) === null)).toHaveLength(1);
    expect(new Set(created.map((result) => result.text)).size).toBe(1);
    // A 409 here is the key being in flight, never the use case's duplicate-name conflict:
    // the work was not attempted a second time.
    for (const result of inFlight) expect(result.body.errors).toEqual([expect.objectContaining({ field: 'header.idempotency-key' })]);
    expect(await serviceNames(tenant, viewer)).toEqual(['raced']);
  });

  it.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
    ['not ASCII', 'clé-1'],
  ])('answers 400 naming header.idempotency-key for a key that is %s, and does nothing', async (_case, key) => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const response = await api.request('POST', servicesPath(tenant), {
      token: olivia,
      body: { name: 'nope', componentId, version: '1.0.0' },
      headers: withKey(key),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'header.idempotency-key' })]);
    expect(await serviceNames(tenant, viewer)).toEqual([]);
  });

  it('accepts a key of 255 printable characters, spaces and symbols included', async () => {
    const { tenant, olivia } = await tenantTokens();
    const key = `a b~!{}"'#${'x'.repeat(245)}`;
    expect(key).toHaveLength(255);
    const response = await api.request('POST', servicesPath(tenant), {
      token: olivia,
      body: { name: 'long-key', componentId, version: '1.0.0' },
      headers: withKey(key),
    });
    expect(response.status).toBe(201);
  });
});

describe('Idempotency-Key: errors are not stored', () => {
  it('lets a request that failed (422) be retried with the same key, which then does the work', async () => {
    const { tenant, olivia, viewer } = await tenantTokens();
    const { componentId: ownComponent, admin } = await seedComponent(api, ['1.0.0']);
    const key = randomUUID();
    const body = { name: 'later', componentId: ownComponent, version: '2.0.0' };
    const failed = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    expect(failed.status).toBe(422);
    expect(failed.body.errors[0].field).toBe('body.version');
    // The failure was not kept: once the version exists, the very same request succeeds.
    expect(
      (
        await api.request('POST', `/v1/components/${ownComponent}/versions`, {
          token: admin,
          body: { version: '2.0.0', channel: 'stable' },
        })
      ).status,
    ).toBe(201);
    const retried = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    expect([retried.status, replayed(retried)]).toEqual([201, null]);
    const again = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    expect([again.status, replayed(again)]).toEqual([201, 'true']);
    expect(await serviceNames(tenant, viewer)).toEqual(['later']);
  });

  it('does not store a 409 from the use case either', async () => {
    const { tenant, olivia } = await tenantTokens();
    const body = { name: 'taken', componentId, version: '1.0.0' };
    expect((await api.request('POST', servicesPath(tenant), { token: olivia, body })).status).toBe(201);
    const key = randomUUID();
    const conflict = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    expect(conflict.status).toBe(409);
    expect((await api.request('DELETE', `${servicesPath(tenant)}/taken`, { token: olivia })).status).toBe(204);
    const retried = await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) });
    expect([retried.status, replayed(retried)]).toEqual([201, null]);
  });
});

describe('Idempotency-Key: scope', () => {
  it('never replays one tenant’s answer to another tenant using the same key', async () => {
    const a = await tenantTokens();
    const b = await tenantTokens();
    const key = randomUUID();
    const body = { name: 'shared', componentId, version: '1.0.0' };
    const inA = await api.request('POST', servicesPath(a.tenant), { token: a.olivia, body, headers: withKey(key) });
    const inB = await api.request('POST', servicesPath(b.tenant), { token: b.olivia, body, headers: withKey(key) });
    expect([inA.status, inB.status]).toEqual([201, 201]);
    // Same key, same subject name, another tenant: B's own work, neither a replay nor a 422.
    expect(replayed(inB)).toBeNull();
    expect(inB.body.tenantId).toBe(b.tenant);
    expect(await serviceNames(b.tenant, b.viewer)).toEqual(['shared']);
  });

  it('never replays one caller’s answer to another caller of the same tenant', async () => {
    const { tenant, olivia, oscar, viewer } = await tenantTokens();
    const key = randomUUID();
    const body = { name: 'mine', componentId, version: '1.0.0' };
    expect((await api.request('POST', servicesPath(tenant), { token: olivia, body, headers: withKey(key) })).status).toBe(201);
    // Oscar's identical request is his own: it runs, and the use case refuses the duplicate name.
    const same = await api.request('POST', servicesPath(tenant), { token: oscar, body, headers: withKey(key) });
    expect([same.status, replayed(same)]).toEqual([409, null]);
    expect(same.body.errors ?? []).not.toEqual([expect.objectContaining({ field: 'header.idempotency-key' })]);
    // And a different request of his with that key is not a reuse of Olivia's key.
    const other = await api.request('POST', servicesPath(tenant), { token: oscar, body: { ...body, name: 'his' }, headers: withKey(key) });
    expect([other.status, replayed(other)]).toEqual([201, null]);
    expect((await serviceNames(tenant, viewer)).sort()).toEqual(['his', 'mine']);
  });

  it('scopes catalog keys to the platform and the caller', async () => {
    const key = randomUUID();
    const ada = await api.token({ roles: ['platform-admin'], user: unique('ada') });
    const bob = await api.token({ roles: ['platform-admin'], user: unique('bob') });
    const name = unique('cmp');
    const first = await api.request('POST', '/v1/components', { token: ada, body: { name }, headers: withKey(key) });
    const replay = await api.request('POST', '/v1/components', { token: ada, body: { name }, headers: withKey(key) });
    expect([first.status, replay.status, replayed(replay)]).toEqual([201, 201, 'true']);
    expect(replay.body.componentId).toBe(first.body.componentId);
    const byBob = await api.request('POST', '/v1/components', { token: bob, body: { name: unique('cmp') }, headers: withKey(key) });
    expect([byBob.status, replayed(byBob)]).toEqual([201, null]);
  });
});

describe('without an Idempotency-Key', () => {
  it('behaves as before: a repeated creation is a new attempt (409 for the taken name)', async () => {
    const { tenant, olivia } = await tenantTokens();
    const body = { name: 'plain', componentId, version: '1.0.0' };
    const first = await api.request('POST', servicesPath(tenant), { token: olivia, body });
    const second = await api.request('POST', servicesPath(tenant), { token: olivia, body });
    expect([first.status, replayed(first), second.status, replayed(second)]).toEqual([201, null, 409, null]);
  });

  it('ignores the header on reads, whatever its value', async () => {
    const { tenant, viewer } = await tenantTokens();
    const response = await api.request('GET', servicesPath(tenant), { token: viewer, headers: withKey('') });
    expect(response.status).toBe(200);
    expect(replayed(response)).toBeNull();
  });
});

describe('the DynamoDB adapter, on DynamoDB Local', () => {
  const endpoint = () => inject('dynamodbEndpoint');
  const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
  const request = (key: string): IdempotentRequest => ({
    scope: 'tenant/t',
    subject: 'sub',
    key,
    request: { routeKey: 'POST /x', params: null, query: null, body: { a: 1 } },
  });

  it('answers 409 to a second request while the first with the key is in flight, then replays its answer', async () => {
    const tableName = unique('idem-adapter');
    await ensureIdempotencyTable(endpoint(), tableName);
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: endpoint(), AWS_REGION: 'us-east-1' });
    const idempotency = createDynamoDbIdempotency({ tableName, client: DynamoDBDocumentClient.from(client) });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const execute = async () => {
      runs += 1;
      await held;
      return { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"id":1}' };
    };
    const first = idempotency.run(request('k1'), context, execute);
    // Wait until the first has claimed the key: it runs only once the claim is stored.
    await waitFor(() => runs === 1, { timeout: 5000, message: 'the first request to claim the key and run' });
    await expect(idempotency.run(request('k1'), context, execute)).rejects.toBeInstanceOf(ConflictError);
    release();
    expect(await first).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"id":1}' });
    expect(await idempotency.run(request('k1'), context, execute)).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'idempotency-replayed': 'true' },
      body: '{"id":1}',
    });
    expect(runs).toBe(1);

    // One record, expiring through TTL 24 h from now.
    const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName }));
    expect(Items).toHaveLength(1);
    const expiresAt = Number(Items[0]?.[IDEMPOTENCY_TABLE_SCHEMA.timeToLiveAttribute]?.N);
    expect(Math.abs(expiresAt - (Date.now() / 1000 + IDEMPOTENCY_RETENTION_SECONDS))).toBeLessThan(60);
    client.destroy();
  });

  it('lets a later request take over a claim whose invocation ran out of time, and frees a key whose work threw', async () => {
    const tableName = unique('idem-adapter');
    await ensureIdempotencyTable(endpoint(), tableName);
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: endpoint(), AWS_REGION: 'us-east-1' });
    const idempotency = createDynamoDbIdempotency({ tableName, client: DynamoDBDocumentClient.from(client) });
    const answer = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"id":2}' };
    // A claim that expires 1 ms after it is taken, as one of an invocation with 1 ms left.
    let release!: () => void;
    const abandoned = idempotency.run(request('k2'), { getRemainingTimeInMillis: () => 1 } as Context, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return answer;
    });
    await waitFor(() => release !== undefined, { timeout: 5000, message: 'the first request to claim the key' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Another request of the same input takes the expired claim over and does the work.
    let runs = 0;
    expect(await idempotency.run(request('k2'), context, async () => (runs++, answer))).toEqual(answer);
    expect(runs).toBe(1);
    release();
    await abandoned;

    // The same key with another input: 422, whatever state its record is in.
    await expect(
      idempotency.run({ ...request('k2'), request: { ...request('k2').request, body: { a: 2 } } }, context, async () => answer),
    ).rejects.toBeInstanceOf(ValidationError);

    // Work that throws frees its key: the next request with it runs.
    await expect(idempotency.run(request('k3'), context, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await idempotency.run(request('k3'), context, async () => answer)).toEqual(answer);
    client.destroy();
  });
});
