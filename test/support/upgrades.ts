import { expect } from 'vitest';
import { type ApiResponse, type TestApi, unique } from './api.js';
import { seedComponent } from './fixtures.js';

export const TERMINAL = ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];

export interface UpgradeWorld {
  readonly tenant: string;
  readonly operator: string;
  readonly viewer: string;
  readonly componentId: string;
  readonly base: string;
  /** Creates a service with `count` instances named i-0…i-(count-1). */
  service(name: string, count: number, target?: Record<string, unknown>): Promise<void>;
  create(body: Record<string, unknown>): Promise<ApiResponse>;
  act(executionId: string, action: string, body?: unknown): Promise<ApiResponse>;
  get(executionId: string): Promise<any>;
  /** Polls until `predicate` holds (the flows run on the embedded engine, time-scaled). */
  waitFor(executionId: string, predicate: (execution: any) => boolean, timeoutMs?: number): Promise<any>;
  instances(executionId: string): Promise<any[]>;
  events(executionId: string): Promise<any[]>;
}

/** A tenant with a component at 1.0.0 → 1.1.0 and helpers to drive upgrades through the API. */
export async function upgradeWorld(api: TestApi, versions: readonly string[] = ['1.0.0', '1.0.1', '1.1.0']): Promise<UpgradeWorld> {
  const { componentId } = await seedComponent(api, versions);
  const tenant = unique('up');
  const operator = await api.token({ tenant, roles: ['operator'], user: 'olga' });
  const viewer = await api.token({ tenant, roles: ['viewer'], user: 'vic' });
  const base = `/v1/tenants/${tenant}`;
  const page = async (path: string) => {
    const items: any[] = [];
    let next: string | undefined;
    do {
      const response = await api.request('GET', `${path}?limit=100${next ? `&nextToken=${next}` : ''}`, { token: viewer });
      expect(response.status).toBe(200);
      items.push(...response.body.items);
      next = response.body.nextToken;
    } while (next);
    return items;
  };
  const world: UpgradeWorld = {
    tenant,
    operator,
    viewer,
    componentId,
    base,
    async service(name, count, target) {
      const instances = Array.from({ length: count }, (_, index) => ({ id: `i-${index}` }));
      const response = await api.request('POST', `${base}/projects/p/services`, {
        token: operator,
        body: { name, componentId, version: versions[0], instances, ...(target ? { target } : {}) },
      });
      expect(response.status).toBe(201);
    },
    create: (body) => api.request('POST', `${base}/upgrades`, { token: operator, body: { project: 'p', ...body } }),
    act: (executionId, action, body) =>
      api.request('POST', `${base}/upgrades/${executionId}/${action}`, { token: operator, ...(body === undefined ? {} : { body }) }),
    async get(executionId) {
      const response = await api.request('GET', `${base}/upgrades/${executionId}`, { token: viewer });
      expect(response.status).toBe(200);
      return response.body;
    },
    async waitFor(executionId, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const execution = await world.get(executionId);
        if (predicate(execution)) return execution;
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting; last status ${execution.status}, batches ${execution.completedBatches}/${execution.totalBatches}`,
          );
        await new Promise((done) => setTimeout(done, 50));
      }
    },
    instances: (executionId) => page(`${base}/upgrades/${executionId}/instances`),
    events: (executionId) => page(`${base}/upgrades/${executionId}/events`),
  };
  return world;
}

/** Creates and starts an upgrade of `service` to 1.1.0, returning its id. */
export async function startUpgrade(world: UpgradeWorld, service: string, knobs: Record<string, unknown> = {}): Promise<string> {
  const created = await world.create({ service, toVersion: '1.1.0', ...knobs });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const started = await world.act(created.body.executionId, 'start');
  expect(started.status).toBe(200);
  return created.body.executionId as string;
}
