import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { serviceKey } from '../../functions/services/service-repository.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

/** Labels on services (docs/architecture.md#services): set on create, replaced by PATCH, shown on every read. */

let api: TestApi;
let db: DynamoDBDocumentClient;
let componentId: string;
beforeAll(async () => {
  api = await startTestApi();
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: api.runtime.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  ({ componentId } = await seedComponent(api, ['1.0.0']));
});
afterAll(async () => {
  db?.destroy();
  await api?.stop();
});

/** A fresh tenant with an operator and a viewer token, and the path of its services in project `p`. */
async function tenantTokens() {
  const tenant = unique('labels');
  return {
    tenant,
    services: `/v1/tenants/${tenant}/projects/p/services`,
    operator: await api.token({ tenant, roles: ['operator'], user: 'olivia' }),
    viewer: await api.token({ tenant, roles: ['viewer'], user: 'victor' }),
  };
}

const fields = (body: { errors: { field: string }[] }) => body.errors.map((error) => error.field);

/** 21 distinct, otherwise valid labels: one over the limit. */
const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`k${index}`, 'v']));

/**
 * Each refusal with the field it must name. The prototype keys go through JSON.parse so
 * that `__proto__` is an own key of the body, as it is when a client sends it.
 */
const REFUSED: [string, unknown, string][] = [
  ['21 labels', tooMany, 'body.labels'],
  ['an upper-case key', { Team: 'payments' }, 'body.labels.Team'],
  ['a value of 64 characters', { team: 'a'.repeat(64) }, 'body.labels.team'],
  ['an empty value', { team: '' }, 'body.labels.team'],
  ['an empty key', { '': 'x' }, 'body.labels.'],
  ['a key with a slash', { 'app/team': 'x' }, 'body.labels.app/team'],
  ['the key __proto__', JSON.parse('{"__proto__": "x"}'), 'body.labels.__proto__'],
  ['the key constructor', JSON.parse('{"constructor": "x"}'), 'body.labels.constructor'],
  ['the key prototype', { prototype: 'x' }, 'body.labels.prototype'],
  ['a non-string value', { team: 7 }, 'body.labels.team'],
];

describe('service labels', () => {
  it('creates a service with labels and shows them on every read', async () => {
    const { services, operator, viewer } = await tenantTokens();
    const labels = { team: 'payments', tier: 'gold', 'app.kubernetes.io_part-of': 'checkout' };
    const created = await api.request('POST', services, {
      token: operator,
      body: { name: 'orders', componentId, version: '1.0.0', labels },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.labels).toEqual(labels);
    const read = await api.request('GET', `${services}/orders`, { token: viewer });
    expect(read.body).toEqual(created.body);
    // Keys are shown sorted, whatever order they were sent or stored in.
    expect(Object.keys(read.body.labels)).toEqual(['app.kubernetes.io_part-of', 'team', 'tier']);
    const list = await api.request('GET', services, { token: viewer });
    expect(list.body.items).toEqual([created.body]);
  });

  it('accepts exactly 20 labels and keys and values of 63 characters', async () => {
    const { services, operator } = await tenantTokens();
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`k${String(index).padStart(2, '0')}`, 'v']));
    labels.k00 = `a${'b'.repeat(62)}`;
    delete labels.k19;
    labels[`z${'9'.repeat(62)}`] = '0';
    const created = await api.request('POST', services, { token: operator, body: { name: 'full', componentId, version: '1.0.0', labels } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.labels).toEqual(labels);
  });

  it('shows {} for a service created without labels', async () => {
    const { services, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', services, { token: operator, body: { name: 'bare', componentId, version: '1.0.0' } });
    expect(created.body.labels).toEqual({});
    expect((await api.request('GET', `${services}/bare`, { token: viewer })).body.labels).toEqual({});
  });

  it('shows {} for a service stored before services had labels, and labels it by PATCH', async () => {
    const { tenant, services, operator, viewer } = await tenantTokens();
    await api.request('POST', services, { token: operator, body: { name: 'old', componentId, version: '1.0.0' } });
    // What an item written by an earlier release looks like: no labels attribute at all.
    await db.send(
      new UpdateCommand({
        TableName: LOCAL_TABLE_NAME,
        Key: serviceKey({ tenantId: tenant, project: 'p', name: 'old' }),
        UpdateExpression: 'REMOVE labels',
      }),
    );
    const read = await api.request('GET', `${services}/old`, { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body.labels).toEqual({});
    const patched = await api.request('PATCH', `${services}/old`, { token: operator, body: { labels: { team: 'core' } } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.labels).toEqual({ team: 'core' });
  });

  it('PATCH replaces the whole map, leaves it alone when absent, and null clears it to {}', async () => {
    const { services, operator, viewer } = await tenantTokens();
    await api.request('POST', services, {
      token: operator,
      body: { name: 'web', componentId, version: '1.0.0', labels: { team: 'payments', tier: 'gold' } },
    });
    const replaced = await api.request('PATCH', `${services}/web`, { token: operator, body: { labels: { env: 'prod' } } });
    expect(replaced.status, replaced.text).toBe(200);
    // Not merged: team and tier are gone.
    expect(replaced.body.labels).toEqual({ env: 'prod' });
    expect((await api.request('GET', `${services}/web`, { token: viewer })).body.labels).toEqual({ env: 'prod' });

    const untouched = await api.request('PATCH', `${services}/web`, { token: operator, body: { powered: false } });
    expect(untouched.body.labels).toEqual({ env: 'prod' });

    const cleared = await api.request('PATCH', `${services}/web`, { token: operator, body: { labels: null } });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.labels).toEqual({});
    expect((await api.request('GET', `${services}/web`, { token: viewer })).body.labels).toEqual({});

    const emptied = await api.request('PATCH', `${services}/web`, { token: operator, body: { labels: { a: 'b' } } });
    expect(emptied.body.labels).toEqual({ a: 'b' });
    const sentEmpty = await api.request('PATCH', `${services}/web`, { token: operator, body: { labels: {} } });
    expect(sentEmpty.status).toBe(200);
    expect(sentEmpty.body.labels).toEqual({});
  });

  it.each(REFUSED)('refuses %s on create with 422 naming the field, and creates nothing', async (_case, labels, field) => {
    const { services, operator, viewer } = await tenantTokens();
    const response = await api.request('POST', services, { token: operator, body: { name: 'svc', componentId, version: '1.0.0', labels } });
    expect(response.status, response.text).toBe(422);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(fields(response.body)).toContain(field);
    expect((await api.request('GET', services, { token: viewer })).body.items).toEqual([]);
  });

  it.each(REFUSED)('refuses %s on PATCH with 422 naming the field, and changes nothing', async (_case, labels, field) => {
    const { services, operator, viewer } = await tenantTokens();
    await api.request('POST', services, {
      token: operator,
      body: { name: 'svc', componentId, version: '1.0.0', labels: { team: 'core' } },
    });
    const before = await api.request('GET', `${services}/svc`, { token: viewer });
    // With another, valid change: a refused patch must not apply that one either.
    const response = await api.request('PATCH', `${services}/svc`, { token: operator, body: { labels, powered: false } });
    expect(response.status, response.text).toBe(422);
    expect(fields(response.body)).toContain(field);
    const after = await api.request('GET', `${services}/svc`, { token: viewer });
    expect(after.body).toEqual(before.body);
  });
});
