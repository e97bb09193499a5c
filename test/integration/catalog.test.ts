import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

let api: TestApi;
let admin: string;
let viewer: string;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.token({ roles: ['platform-admin'], user: 'root' });
  viewer = await api.token({ tenant: unique('t'), roles: ['viewer'] });
});
afterAll(() => api.stop());

describe('components', () => {
  it('creates a component and reads it back by id', async () => {
    const name = unique('postgresql');
    const created = await api.request('POST', '/v1/components', { token: admin, body: { name, description: 'Relational database' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, description: 'Relational database' });
    const read = await api.request('GET', `/v1/components/${created.body.componentId}`, { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('answers 409 for a second component with the same name, and keeps the first', async () => {
    const name = unique('kafka');
    const first = await api.request('POST', '/v1/components', { token: admin, body: { name } });
    const second = await api.request('POST', '/v1/components', { token: admin, body: { name } });
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    const listed = await api.request('GET', `/v1/components?name=${name}`, { token: viewer });
    expect(listed.body.items).toEqual([first.body]);
  });

  it('lets exactly one of 10 concurrent creations of one name win', async () => {
    const name = unique('race');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api.request('POST', '/v1/components', { token: admin, body: { name } })),
    );
    expect(results.filter((result) => result.status === 201)).toHaveLength(1);
    expect(results.filter((result) => result.status === 409)).toHaveLength(9);
  });

  it.each([
    ['an unknown field', { name: 'ok-name', color: 'blue' }, 'body.color'],
    ['a missing name', {}, 'body.name'],
    ['a name with a path separator', { name: 'a/b' }, 'body.name'],
    ['a name of the wrong type', { name: 42 }, 'body.name'],
    ['an over-long description', { name: 'ok-name', description: 'x'.repeat(1025) }, 'body.description'],
  ])('answers 422 listing the field for %s', async (_case, body, field) => {
    const response = await api.request('POST', '/v1/components', { token: admin, body });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('answers 400 for malformed JSON, 415 for a non-JSON body and 413 above 256 KiB', async () => {
    const headers = { 'content-type': 'application/json' };
    expect((await api.request('POST', '/v1/components', { token: admin, rawBody: '{"name":', headers })).status).toBe(400);
    expect(
      (
        await api.request('POST', '/v1/components', {
          token: admin,
          rawBody: 'name=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(415);
    const huge = JSON.stringify({ name: 'big', description: 'x'.repeat(300 * 1024) });
    const response = await api.request('POST', '/v1/components', { token: admin, rawBody: huge, headers });
    expect(response.status).toBe(413);
    expect(response.body.status).toBe(413);
  });

  it('answers 404 for an unknown component id', async () => {
    const response = await api.request('GET', '/v1/components/cmp_unknown', { token: viewer });
    expect(response.status).toBe(404);
  });

  it('answers 400 for an invalid limit or a forged nextToken', async () => {
    expect((await api.request('GET', '/v1/components?limit=0', { token: viewer })).status).toBe(400);
    expect((await api.request('GET', '/v1/components?limit=101', { token: viewer })).status).toBe(400);
    expect((await api.request('GET', '/v1/components?color=blue', { token: viewer })).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ pk: 'TENANT#other', sk: 'x' })).toString('base64url');
    const response = await api.request('GET', `/v1/components?nextToken=${forged}`, { token: viewer });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('query.nextToken');
    expect((await api.request('GET', '/v1/components?nextToken=%%%', { token: viewer })).status).toBe(400);
  });
});

describe('versions', () => {
  it('publishes versions with channel, security flag, notes, impact, blockers and requires, and lists them newest first', async () => {
    const { componentId } = await seedComponent(api, ['1.2.0', '1.10.0', '1.9.3']);
    const published = await api.request('POST', `/v1/components/${componentId}/versions`, {
      token: admin,
      body: {
        version: '1.10.1',
        channel: 'stable',
        security: true,
        notes: 'Fixes CVE-2026-0001',
        impact: 'Connections are reset',
        blockers: [{ code: 'EXTENSION_REMOVED', reason: 'pg_legacy is gone' }],
        requires: { postgresql: '>=15' },
      },
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: '1.10.1', security: true, requires: { postgresql: '>=15' }, publishedBy: 'root' });
    const listed = await api.request('GET', `/v1/components/${componentId}/versions`, { token: viewer });
    expect(listed.body.items.map((item: { version: string }) => item.version)).toEqual(['1.10.1', '1.10.0', '1.9.3', '1.2.0']);
  });

  it('answers 409 for a version published twice', async () => {
    const { componentId } = await seedComponent(api, ['2.0.0']);
    const again = await api.request('POST', `/v1/components/${componentId}/versions`, { token: admin, body: { version: '2.0.0' } });
    expect(again.status).toBe(409);
  });

  it.each([
    ['not semver', { version: '1.2' }, 'body.version'],
    ['a leading v', { version: 'v1.2.3' }, 'body.version'],
    ['a pre-release on stable', { version: '1.3.0-rc.1', channel: 'stable' }, 'body.channel'],
    ['an invalid requires range', { version: '1.0.0', requires: { postgresql: 'banana' } }, 'body.requires.postgresql'],
    ['a bad blocker code', { version: '1.0.0', blockers: [{ code: 'lower', reason: 'x' }] }, 'body.blockers[0].code'],
    ['a security flag that is not a boolean', { version: '1.0.0', security: 'yes' }, 'body.security'],
  ])('answers 422 for %s and publishes nothing', async (_case, body, field) => {
    const { componentId } = await seedComponent(api, []);
    const response = await api.request('POST', `/v1/components/${componentId}/versions`, { token: admin, body });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    const listed = await api.request('GET', `/v1/components/${componentId}/versions`, { token: viewer });
    expect(listed.body.items).toEqual([]);
  });

  it('answers 404 when publishing to an unknown component', async () => {
    const response = await api.request('POST', '/v1/components/cmp_unknown/versions', { token: admin, body: { version: '1.0.0' } });
    expect(response.status).toBe(404);
  });

  it('paginates with limit and nextToken without repeating or losing a version', async () => {
    const versions = Array.from({ length: 7 }, (_, index) => `3.0.${index}`);
    const { componentId } = await seedComponent(api, versions);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await api.request('GET', `/v1/components/${componentId}/versions?limit=3${nextToken ? `&nextToken=${nextToken}` : ''}`, {
        token: viewer,
      });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((item: { version: string }) => item.version));
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(seen).toEqual([...versions].reverse());
  });

  it('refuses a nextToken from another component', async () => {
    const a = await seedComponent(api, ['1.0.0', '1.0.1']);
    const b = await seedComponent(api, ['1.0.0', '1.0.1']);
    const page = await api.request('GET', `/v1/components/${a.componentId}/versions?limit=1`, { token: viewer });
    const response = await api.request('GET', `/v1/components/${b.componentId}/versions?nextToken=${page.body.nextToken}`, {
      token: viewer,
    });
    expect(response.status).toBe(400);
  });
});

describe('upgrade path', () => {
  it('allows one minor at a time and names the version to go through', async () => {
    const { componentId } = await seedComponent(api, ['1.2.3', '1.3.0', '1.3.5', '1.4.0']);
    const ok = await api.request('GET', `/v1/components/${componentId}/upgrade-path?from=1.2.3&to=1.3.0`, { token: viewer });
    expect(ok.status).toBe(200);
    expect(ok.body.allowed).toBe(true);
    expect(ok.body.impact.join(' ')).toMatch(/control.plane/i);
    const skip = await api.request('GET', `/v1/components/${componentId}/upgrade-path?from=1.2.3&to=1.4.0`, { token: viewer });
    expect(skip.body).toMatchObject({ allowed: false, blockers: [{ code: 'MINOR_SKIP' }] });
    expect(skip.body.blockers[0].reason).toContain('1.3.5');
  });

  it('reports a version’s own blockers and unknown versions', async () => {
    const { componentId } = await seedComponent(api, ['5.0.0']);
    await api.request('POST', `/v1/components/${componentId}/versions`, {
      token: admin,
      body: { version: '5.0.1', blockers: [{ code: 'DATA_MIGRATION', reason: 'run the migration first' }] },
    });
    const blocked = await api.request('GET', `/v1/components/${componentId}/upgrade-path?from=5.0.0&to=5.0.1`, { token: viewer });
    expect(blocked.body.blockers).toEqual([{ code: 'DATA_MIGRATION', reason: 'run the migration first' }]);
    const unknown = await api.request('GET', `/v1/components/${componentId}/upgrade-path?from=5.0.0&to=9.9.9`, { token: viewer });
    expect(unknown.body.blockers[0].code).toBe('UNKNOWN_VERSION');
  });

  it('answers 400 without from or to, and 404 for an unknown component', async () => {
    const { componentId } = await seedComponent(api, ['1.0.0']);
    expect((await api.request('GET', `/v1/components/${componentId}/upgrade-path?from=1.0.0`, { token: viewer })).status).toBe(400);
    expect((await api.request('GET', '/v1/components/cmp_unknown/upgrade-path?from=1.0.0&to=1.0.1', { token: viewer })).status).toBe(404);
  });
});
