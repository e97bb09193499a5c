import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

/** A fresh tenant with an operator and a viewer token. */
async function tenantTokens() {
  const tenant = unique('acme');
  return {
    tenant,
    operator: await api.token({ tenant, roles: ['operator'], user: 'olivia' }),
    viewer: await api.token({ tenant, roles: ['viewer'], user: 'victor' }),
  };
}

const strategiesPath = (tenant: string) => `/v1/tenants/${tenant}/update-strategies`;
const strategyPath = (tenant: string, name: string) => `${strategiesPath(tenant)}/${name}`;

/** Two stages: a canary of listed services behind an approval, then the rest by label after a wait. */
const stages = () => [
  {
    name: 'canary',
    groups: [
      {
        name: 'first',
        services: [{ project: 'shop', name: 'web' }],
        maxConcurrency: 1,
        afterGates: [{ type: 'approval', name: 'canary looks good' }],
      },
    ],
    afterStageWaitSeconds: 600,
  },
  {
    name: 'rest',
    beforeGates: [{ type: 'schedule', name: 'at night', startAt: '2030-01-01T02:00:00.000Z' }],
    groups: [
      { name: 'eu', selector: { matchLabels: { region: 'eu-west-1' } }, maxConcurrency: '25%' },
      { name: 'us', selector: { matchLabels: { region: 'us-east-1' } } },
    ],
  },
];

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('update strategies', () => {
  it('creates a strategy (201) that reads back equal, with createdAt and updatedAt', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'weekly', stages: stages() } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'weekly', stages: stages(), createdAt: expect.any(String), updatedAt: created.body.createdAt });
    expect(Number.isNaN(Date.parse(created.body.createdAt))).toBe(false);
    const read = await api.request('GET', strategyPath(tenant, 'weekly'), { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('lists strategies in pages of limit 1, following nextToken to the end', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    for (const name of ['charlie', 'alpha', 'bravo']) {
      expect((await api.request('POST', strategiesPath(tenant), { token: operator, body: { name, stages: stages() } })).status).toBe(201);
    }
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const query = nextToken === undefined ? '?limit=1' : `?limit=1&nextToken=${encodeURIComponent(nextToken)}`;
      const page = await api.request('GET', `${strategiesPath(tenant)}${query}`, { token: viewer });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      names.push(...page.body.items.map((item: { name: string }) => item.name));
      nextToken = page.body.nextToken;
      pages += 1;
    } while (nextToken !== undefined && pages < 10);
    expect(names).toEqual(['alpha', 'bravo', 'charlie']);
    const all = await api.request('GET', strategiesPath(tenant), { token: viewer });
    expect(all.body.items.map((item: { name: string }) => item.name)).toEqual(['alpha', 'bravo', 'charlie']);
    expect(all.body.items[0]).toEqual({ name: 'alpha', stages: stages(), createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect(all.body.nextToken).toBeUndefined();
  });

  it('lists nothing of another kind of item in the tenant, and refuses a token of another list', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    expect((await api.request('GET', strategiesPath(tenant), { token: viewer })).body).toEqual({ items: [] });
    await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'a', stages: stages() } });
    await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'b', stages: stages() } });
    const first = await api.request('GET', `${strategiesPath(tenant)}?limit=1`, { token: viewer });
    const other = await tenantTokens();
    const foreign = await api.request(
      'GET',
      `${strategiesPath(other.tenant)}?limit=1&nextToken=${encodeURIComponent(first.body.nextToken)}`,
      {
        token: other.viewer,
      },
    );
    expect(foreign.status).toBe(400);
  });

  it('replaces the stages with PUT (200), keeping createdAt and moving updatedAt; the name may be left out', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'weekly', stages: stages() } });
    await pause(20);
    const next = [{ name: 'all at once', groups: [{ name: 'everyone', selector: { matchLabels: { tier: 'web' } } }] }];
    const replaced = await api.request('PUT', strategyPath(tenant, 'weekly'), { token: operator, body: { name: 'weekly', stages: next } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ name: 'weekly', stages: next, createdAt: created.body.createdAt, updatedAt: expect.any(String) });
    expect(Date.parse(replaced.body.updatedAt)).toBeGreaterThan(Date.parse(created.body.updatedAt));
    expect((await api.request('GET', strategyPath(tenant, 'weekly'), { token: viewer })).body).toEqual(replaced.body);

    await pause(20);
    const again = await api.request('PUT', strategyPath(tenant, 'weekly'), { token: operator, body: { stages: stages() } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: 'weekly', stages: stages(), createdAt: created.body.createdAt });
    expect(Date.parse(again.body.updatedAt)).toBeGreaterThan(Date.parse(replaced.body.updatedAt));
  });

  it('answers 422 naming body.name for a PUT whose name differs from the path, and changes nothing', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'weekly', stages: stages() } });
    const renamed = await api.request('PUT', strategyPath(tenant, 'weekly'), {
      token: operator,
      body: { name: 'monthly', stages: [{ name: 'x', groups: [{ name: 'y', services: [{ project: 'p', name: 'q' }] }] }] },
    });
    expect(renamed.status).toBe(422);
    expect(renamed.body.errors).toEqual([expect.objectContaining({ field: 'body.name' })]);
    expect((await api.request('GET', strategyPath(tenant, 'weekly'), { token: viewer })).body).toEqual(created.body);
    expect((await api.request('GET', strategyPath(tenant, 'monthly'), { token: viewer })).status).toBe(404);
  });

  it('deletes a strategy (204), then GET, PUT and DELETE answer 404', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'gone', stages: stages() } });
    const deleted = await api.request('DELETE', strategyPath(tenant, 'gone'), { token: operator });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await api.request('GET', strategyPath(tenant, 'gone'), { token: viewer })).status).toBe(404);
    expect((await api.request('PUT', strategyPath(tenant, 'gone'), { token: operator, body: { stages: stages() } })).status).toBe(404);
    expect((await api.request('DELETE', strategyPath(tenant, 'gone'), { token: operator })).status).toBe(404);
    expect((await api.request('GET', strategiesPath(tenant), { token: viewer })).body.items).toEqual([]);
  });

  it('answers 404 for an unknown strategy, and PUT does not create one', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const get = await api.request('GET', strategyPath(tenant, 'never'), { token: viewer });
    expect(get.status).toBe(404);
    expect(get.headers.get('content-type')).toContain('application/problem+json');
    expect((await api.request('PUT', strategyPath(tenant, 'never'), { token: operator, body: { stages: stages() } })).status).toBe(404);
    expect((await api.request('GET', strategyPath(tenant, 'never'), { token: viewer })).status).toBe(404);
  });

  it('answers 409 for a second strategy of the same name and keeps the first', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const first = await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'weekly', stages: stages() } });
    const second = await api.request('POST', strategiesPath(tenant), {
      token: operator,
      body: { name: 'weekly', stages: [{ name: 'other', groups: [{ name: 'g', selector: { matchLabels: { a: 'b' } } }] }] },
    });
    expect(second.status).toBe(409);
    expect((await api.request('GET', strategyPath(tenant, 'weekly'), { token: viewer })).body).toEqual(first.body);
  });

  it("answers 404 to another tenant's token for get, put and delete, and lists none of it", async () => {
    const owner = await tenantTokens();
    const created = await api.request('POST', strategiesPath(owner.tenant), {
      token: owner.operator,
      body: { name: 'weekly', stages: stages() },
    });
    const intruder = await tenantTokens();
    const path = strategyPath(owner.tenant, 'weekly');
    expect((await api.request('GET', path, { token: intruder.viewer })).status).toBe(404);
    expect((await api.request('GET', path, { token: intruder.operator })).status).toBe(404);
    expect((await api.request('PUT', path, { token: intruder.operator, body: { stages: stages() } })).status).toBe(404);
    expect((await api.request('DELETE', path, { token: intruder.operator })).status).toBe(404);
    expect((await api.request('GET', strategiesPath(owner.tenant), { token: intruder.viewer })).status).toBe(404);
    // The same name under the intruder's own tenant is another strategy.
    expect((await api.request('GET', strategyPath(intruder.tenant, 'weekly'), { token: intruder.viewer })).status).toBe(404);
    expect((await api.request('GET', path, { token: owner.viewer })).body).toEqual(created.body);
  });

  it('lets a viewer read but not create, replace or delete (403), and changes nothing', async () => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'weekly', stages: stages() } });
    expect((await api.request('GET', strategyPath(tenant, 'weekly'), { token: viewer })).status).toBe(200);
    expect((await api.request('GET', strategiesPath(tenant), { token: viewer })).status).toBe(200);
    expect((await api.request('POST', strategiesPath(tenant), { token: viewer, body: { name: 'mine', stages: stages() } })).status).toBe(
      403,
    );
    expect((await api.request('PUT', strategyPath(tenant, 'weekly'), { token: viewer, body: { stages: [] } })).status).toBe(403);
    expect((await api.request('DELETE', strategyPath(tenant, 'weekly'), { token: viewer })).status).toBe(403);
    const list = await api.request('GET', strategiesPath(tenant), { token: viewer });
    expect(list.body.items).toEqual([created.body]);
  });

  const invalid: [string, unknown, string][] = [
    ['no stages', { name: 'bad', stages: [] }, 'body.stages'],
    ['a duplicate stage name', { name: 'bad', stages: [stages()[0], { ...stages()[1], name: 'canary' }] }, 'body.stages[1].name'],
    [
      'a service in two groups',
      {
        name: 'bad',
        stages: [
          {
            name: 's',
            groups: [
              { name: 'a', services: [{ project: 'shop', name: 'web' }] },
              { name: 'b', services: [{ project: 'shop', name: 'web' }] },
            ],
          },
        ],
      },
      'body.stages[0].groups[1].services[0]',
    ],
    [
      'a schedule gate after a stage',
      { name: 'bad', stages: [{ ...stages()[0], afterGates: [{ type: 'schedule', name: 'n', startAt: '2030-01-01T00:00:00Z' }] }] },
      'body.stages[0].afterGates[0].type',
    ],
    ['maxConcurrency "0%"', { name: 'bad', stages: [{ ...stages()[1], maxConcurrency: '0%' }] }, 'body.stages[0].maxConcurrency'],
    [
      'a wait over 30 days',
      { name: 'bad', stages: [{ ...stages()[0], afterStageWaitSeconds: 2_592_001 }] },
      'body.stages[0].afterStageWaitSeconds',
    ],
    ['an unknown field', { name: 'bad', stages: stages(), color: 'blue' }, 'body.color'],
    ['a name that is not a slug', { name: 'Bad Name', stages: stages() }, 'body.name'],
  ];

  it.each(invalid)('answers 422 to a create with %s, naming the field, and writes nothing', async (_case, body, field) => {
    const { tenant, operator, viewer } = await tenantTokens();
    const response = await api.request('POST', strategiesPath(tenant), { token: operator, body });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect((await api.request('GET', strategiesPath(tenant), { token: viewer })).body.items).toEqual([]);
  });

  it.each(invalid)('answers 422 to a replacement with %s, naming the field, and changes nothing', async (_case, body, field) => {
    const { tenant, operator, viewer } = await tenantTokens();
    const created = await api.request('POST', strategiesPath(tenant), { token: operator, body: { name: 'bad', stages: stages() } });
    const response = await api.request('PUT', strategyPath(tenant, 'bad'), { token: operator, body });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect((await api.request('GET', strategyPath(tenant, 'bad'), { token: viewer })).body).toEqual(created.body);
  });
});
