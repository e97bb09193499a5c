import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';

let api: TestApi;
let admin: string;
let viewer: string;
let componentId: string;
const published = [
  ['1.0.0', 'stable'],
  ['1.1.0-rc.1', 'rapid'],
  ['1.1.0', 'stable'],
  ['1.2.0-rc.1', 'rapid'],
  ['1.2.0-rc.2', 'rapid'],
  ['1.2.0', 'rapid'],
] as const;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.token({ roles: ['platform-admin'], user: 'root' });
  viewer = await api.token({ tenant: unique('t'), roles: ['viewer'] });
  componentId = (await api.request('POST', '/v1/components', { token: admin, body: { name: unique('channels') } })).body.componentId;
  for (const [version, channel] of published) {
    expect((await api.request('POST', `/v1/components/${componentId}/versions`, { token: admin, body: { version, channel } })).status).toBe(
      201,
    );
  }
});
afterAll(() => api.stop());

describe('GET /v1/components/{id}/versions?channel=', () => {
  it.each(['stable', 'rapid'] as const)('lists only the versions published on %s, newest first', async (channel) => {
    const response = await api.request('GET', `/v1/components/${componentId}/versions?channel=${channel}`, { token: viewer });
    expect(response.status).toBe(200);
    const expected = published
      .filter(([, c]) => c === channel)
      .map(([version]) => version)
      .reverse();
    expect(response.body.items.map((item: { version: string }) => item.version)).toEqual(expected);
    expect(response.body.items.every((item: { channel: string }) => item.channel === channel)).toBe(true);
  });

  it('fills every page of a filtered list and resumes after the last version it returned', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const response = await api.request(
        'GET',
        `/v1/components/${componentId}/versions?channel=rapid&limit=2${token ? `&nextToken=${token}` : ''}`,
        { token: viewer },
      );
      expect(response.status).toBe(200);
      if (response.body.nextToken) expect(response.body.items).toHaveLength(2);
      seen.push(...response.body.items.map((item: { version: string }) => item.version));
      token = response.body.nextToken;
      pages += 1;
    } while (token && pages < 10);
    expect(seen).toEqual(['1.2.0', '1.2.0-rc.2', '1.2.0-rc.1', '1.1.0-rc.1']);
  });

  it('answers 400 naming the parameter for a channel that does not exist, and lists nothing', async () => {
    const response = await api.request('GET', `/v1/components/${componentId}/versions?channel=nosuch`, { token: viewer });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['query.channel']);
  });

  it('refuses (422) publishing on a channel that does not exist', async () => {
    const response = await api.request('POST', `/v1/components/${componentId}/versions`, {
      token: admin,
      body: { version: '1.3.0', channel: 'beta' },
    });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain('body.channel');
    const all = await api.request('GET', `/v1/components/${componentId}/versions`, { token: viewer });
    expect(all.body.items.map((item: { version: string }) => item.version)).not.toContain('1.3.0');
  });
});
