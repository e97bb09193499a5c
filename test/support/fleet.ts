import { expect } from 'vitest';
import { type ApiResponse, type TestApi, unique } from './api.js';
import { seedComponent } from './fixtures.js';
import { waitFor } from './wait.js';

export interface FleetService {
  readonly name: string;
  readonly project?: string;
  readonly instances?: number;
  readonly labels?: Record<string, string>;
  readonly version?: string;
  readonly target?: Record<string, unknown>;
  readonly maintenanceWindow?: Record<string, unknown>;
  readonly powered?: boolean;
}

export interface FleetWorld {
  readonly tenant: string;
  readonly componentId: string;
  readonly admin: string;
  readonly operator: string;
  readonly approver: string;
  readonly viewer: string;
  readonly base: string;
  services(list: readonly FleetService[]): Promise<void>;
  createRun(body: Record<string, unknown>, query?: string): Promise<ApiResponse>;
  run(runId: string): Promise<any>;
  act(runId: string, action: string, token?: string, body?: unknown): Promise<ApiResponse>;
  waitForRun(runId: string, predicate: (run: any) => boolean, message?: string, timeout?: number): Promise<any>;
  events(runId: string): Promise<any[]>;
  members(run: any): any[];
}

/** A tenant with a component (1.0.0, 1.0.1, 1.1.0 and more if given) and helpers for fleet update runs. */
export async function fleetWorld(api: TestApi, versions: readonly string[] = ['1.0.0', '1.0.1', '1.1.0']): Promise<FleetWorld> {
  const { componentId, admin } = await seedComponent(api, versions);
  const tenant = unique('fleet');
  const operator = await api.token({ tenant, roles: ['operator'], user: 'olga' });
  const approver = await api.token({ tenant, roles: ['approver'], user: 'avery' });
  const viewer = await api.token({ tenant, roles: ['viewer'], user: 'vic' });
  const base = `/v1/tenants/${tenant}`;
  const world: FleetWorld = {
    tenant,
    componentId,
    admin,
    operator,
    approver,
    viewer,
    base,
    async services(list) {
      for (const service of list) {
        const response = await api.request('POST', `${base}/projects/${service.project ?? 'p'}/services`, {
          token: operator,
          body: {
            name: service.name,
            componentId,
            version: service.version ?? versions[0],
            instances: Array.from({ length: service.instances ?? 2 }, (_, index) => ({ id: `i-${index}` })),
            ...(service.labels ? { labels: service.labels } : {}),
            ...(service.target ? { target: service.target } : {}),
            ...(service.maintenanceWindow ? { maintenanceWindow: service.maintenanceWindow } : {}),
            ...(service.powered === undefined ? {} : { powered: service.powered }),
            defaultUpgrade: { batchSize: 5, batchDelaySeconds: 1, healthCheckIntervalSeconds: 1 },
          },
        });
        expect(response.status, JSON.stringify(response.body)).toBe(201);
      }
    },
    createRun: (body, query = '') =>
      api.request('POST', `${base}/update-runs${query}`, { token: operator, body: { componentId, toVersion: '1.1.0', ...body } }),
    async run(runId) {
      const response = await api.request('GET', `${base}/update-runs/${runId}`, { token: viewer });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body;
    },
    act: (runId, action, token = operator, body) =>
      api.request('POST', `${base}/update-runs/${runId}/${action}`, { token, ...(body === undefined ? {} : { body }) }),
    async waitForRun(runId, predicate, message = 'the run', timeout = 30_000) {
      let last: any;
      return waitFor(
        async () => {
          last = await world.run(runId);
          return predicate(last) ? last : undefined;
        },
        { timeout, interval: 25, message: () => `${message}; last: ${JSON.stringify(summary(last))}` },
      );
    },
    async events(runId) {
      const items: any[] = [];
      let next: string | undefined;
      do {
        const response = await api.request('GET', `${base}/update-runs/${runId}/events?limit=100${next ? `&nextToken=${next}` : ''}`, {
          token: viewer,
        });
        expect(response.status).toBe(200);
        items.push(...response.body.items);
        next = response.body.nextToken;
      } while (next);
      return items;
    },
    members: (run) => run.stages.flatMap((stage: any) => stage.groups.flatMap((group: any) => group.members)),
  };
  return world;
}

function summary(run: any) {
  if (!run?.stages) return run;
  return {
    status: run.status,
    statusReason: run.statusReason,
    stages: run.stages.map((stage: any) => ({
      status: stage.status,
      gates: [...stage.beforeGates, ...stage.afterGates].map((gate: any) => `${gate.gateId}:${gate.status}`),
      groups: stage.groups.map((group: any) => ({
        status: group.status,
        members: group.members.map((member: any) => `${member.service}:${member.status}${member.reason ? `(${member.reason})` : ''}`),
      })),
    })),
  };
}
