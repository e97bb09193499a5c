import { expect } from 'vitest';
import { type TestApi, unique } from './api.js';

/** Registers a component with the given versions (all `stable` unless a pre-release) and returns its id. */
export async function seedComponent(
  api: TestApi,
  versions: readonly string[],
  name = unique('comp'),
): Promise<{ componentId: string; name: string; admin: string }> {
  const admin = await api.token({ roles: ['platform-admin'], user: 'catalog-admin' });
  const created = await api.request('POST', '/v1/components', { token: admin, body: { name } });
  expect(created.status).toBe(201);
  const componentId = created.body.componentId as string;
  for (const version of versions) {
    const published = await api.request('POST', `/v1/components/${componentId}/versions`, {
      token: admin,
      body: { version, channel: version.includes('-') ? 'rapid' : 'stable' },
    });
    expect(published.status).toBe(201);
  }
  return { componentId, name, admin };
}
