import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { expect } from 'vitest';
import { type ApiResponse, type TestApi, unique } from './api.js';
import { seedComponent } from './fixtures.js';

export interface PipelineWorld {
  readonly tenant: string;
  readonly base: string;
  readonly operator: string;
  readonly approver: string;
  readonly viewer: string;
  readonly componentId: string;
  readonly admin: string;
  /** Creates `project/name` of the world's component (or `componentId`) at `version`. */
  service(project: string, name: string, body?: Record<string, unknown>): Promise<any>;
  step(source: string, destination: string, delayDays?: number): Promise<ApiResponse>;
  validate(ref: string, comment?: string, token?: string): Promise<ApiResponse>;
  getService(ref: string): Promise<any>;
  patchService(ref: string, body: Record<string, unknown>): Promise<ApiResponse>;
  view(): Promise<any>;
  upgrade(ref: string, toVersion: string, knobs?: Record<string, unknown>): Promise<ApiResponse>;
  execution(executionId: string): Promise<any>;
  events(executionId: string): Promise<any[]>;
  executions(): Promise<any[]>;
  /** Polls until `read()` satisfies `predicate`. */
  until<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Names of the pending schedules of the local scheduler's group starting with `prefix`. */
  schedules(prefix: string): Promise<string[]>;
}

const split = (ref: string) => {
  const [project = '', name = ''] = ref.split('/');
  return { project, name };
};

/** A tenant with a component and helpers to drive pipelines through the local HTTP API. */
export async function pipelineWorld(
  api: TestApi,
  versions: readonly string[] = ['1.0.0', '1.0.1', '1.1.0', '1.2.0'],
): Promise<PipelineWorld> {
  const { componentId, admin } = await seedComponent(api, versions);
  const tenant = unique('pipe');
  const operator = await api.token({ tenant, roles: ['operator'], user: 'olga' });
  const approver = await api.token({ tenant, roles: ['approver'], user: 'april' });
  const viewer = await api.token({ tenant, roles: ['viewer'], user: 'vic' });
  const base = `/v1/tenants/${tenant}`;
  const scheduler = new SchedulerClient({
    endpoint: api.runtime.endpoints.scheduler,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const world: PipelineWorld = {
    tenant,
    base,
    operator,
    approver,
    viewer,
    componentId,
    admin,
    async service(project, name, body = {}) {
      const response = await api.request('POST', `${base}/projects/${project}/services`, {
        token: operator,
        body: { name, componentId, version: versions[0], instances: [{ id: 'i-0' }, { id: 'i-1' }], ...body },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body;
    },
    step(source, destination, delayDays) {
      const s = split(source);
      const d = split(destination);
      return api.request('POST', `${base}/upgrade-pipeline/steps`, {
        token: operator,
        body: {
          sourceProjectName: s.project,
          sourceServiceName: s.name,
          destinationProjectName: d.project,
          destinationServiceName: d.name,
          ...(delayDays === undefined ? {} : { autoValidationDelayDays: delayDays }),
        },
      });
    },
    validate(ref, comment, token = approver) {
      const { project, name } = split(ref);
      return api.request('POST', `${base}/projects/${project}/services/${name}/upgrade-validation`, {
        token,
        ...(comment === undefined ? {} : { body: { comment } }),
      });
    },
    async getService(ref) {
      const { project, name } = split(ref);
      const response = await api.request('GET', `${base}/projects/${project}/services/${name}`, { token: viewer });
      expect(response.status).toBe(200);
      return response.body;
    },
    patchService(ref, body) {
      const { project, name } = split(ref);
      return api.request('PATCH', `${base}/projects/${project}/services/${name}`, { token: operator, body });
    },
    async view() {
      const response = await api.request('GET', `${base}/upgrade-pipeline`, { token: viewer });
      expect(response.status).toBe(200);
      return response.body;
    },
    upgrade(ref, toVersion, knobs = {}) {
      const { project, name } = split(ref);
      return api.request('POST', `${base}/upgrades`, { token: operator, body: { project, service: name, toVersion, ...knobs } });
    },
    async execution(executionId) {
      const response = await api.request('GET', `${base}/upgrades/${executionId}`, { token: viewer });
      expect(response.status).toBe(200);
      return response.body;
    },
    async events(executionId) {
      const response = await api.request('GET', `${base}/upgrades/${executionId}/events?limit=100`, { token: viewer });
      expect(response.status).toBe(200);
      return response.body.items;
    },
    async executions() {
      const response = await api.request('GET', `${base}/upgrades?limit=100`, { token: viewer });
      expect(response.status).toBe(200);
      return response.body.items;
    },
    async until(read, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (predicate(value)) return value;
        if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value).slice(0, 2000)}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    },
    async schedules(prefix) {
      const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: 'sluice', NamePrefix: prefix, MaxResults: 100 }));
      return (listed.Schedules ?? []).map((schedule) => schedule.Name ?? '');
    },
  };
  return world;
}

export const TERMINAL = ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];
