import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

/**
 * A `nextToken` resumes only the list it came from. Lists share partitions (services,
 * steps, upgrades, locks and statistics all live in `TENANT#t`; instances and events in
 * `UPGRADE#e`), so a token crafted from another list's key, even of the same partition,
 * must be 400 problem+json naming `query.nextToken`, never a DynamoDB ValidationException
 * (a 500) nor a page of the wrong items.
 */

let api: TestApi;
const tenant = unique('tokens');
const world = { componentId: '', componentName: '', executionId: '', otherExecutionId: '', reader: '', admin: '' };

beforeAll(async () => {
  api = await startTestApi();
  const { componentId, name, admin } = await seedComponent(api, ['1.0.0', '1.0.1']);
  Object.assign(world, { componentId, componentName: name, admin });
  const operator = await api.token({ tenant, roles: ['operator'], user: 'tokens-operator' });
  world.reader = await api.token({ tenant, roles: ['viewer'], user: 'tokens-viewer' });
  for (const service of ['a', 'b', 'c', 'd']) {
    const created = await api.request('POST', `/v1/tenants/${tenant}/projects/p/services`, {
      token: operator,
      body: { name: service, componentId, version: '1.0.0', instances: [{ id: 'i-0' }, { id: 'i-1' }] },
    });
    expect(created.status, created.text).toBe(201);
  }
  for (const destination of ['b', 'c']) {
    const step = await api.request('POST', `/v1/tenants/${tenant}/upgrade-pipeline/steps`, {
      token: operator,
      body: { sourceProjectName: 'p', sourceServiceName: 'a', destinationProjectName: 'p', destinationServiceName: destination },
    });
    expect(step.status, step.text).toBe(201);
  }
  for (const [service, key] of [
    ['a', 'executionId'],
    ['d', 'otherExecutionId'],
  ] as const) {
    const upgrade = await api.request('POST', `/v1/tenants/${tenant}/upgrades`, {
      token: operator,
      body: { project: 'p', service, toVersion: '1.0.1' },
    });
    expect(upgrade.status, upgrade.text).toBe(201);
    world[key] = upgrade.body.executionId;
  }
});

afterAll(async () => {
  await api?.stop();
});

const token = (key: Record<string, string>) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** The keys of every list (and of the items beside them in the same partitions). */
function keys(): Record<string, Record<string, string>> {
  const t = `TENANT#${tenant}`;
  const e = world.executionId;
  const upgrade = { pk: t, sk: `UPGRADE#${e}` };
  return {
    service: { pk: t, sk: 'SERVICE#p#a' },
    serviceOfAnotherProject: { pk: t, sk: 'SERVICE#q#a' },
    step: { pk: t, sk: 'STEP#stp_0000000000000000' },
    upgrade,
    activeLock: { pk: t, sk: `ACTIVE#${world.componentId}#p#a` },
    statistics: { pk: t, sk: `STATS#${world.componentId}` },
    pipeline: { pk: t, sk: 'PIPELINE' },
    upgradeByComponent: { ...upgrade, gsi1pk: `UPGRADES#${tenant}#COMPONENT#${world.componentId}`, gsi1sk: e },
    upgradeByStatus: { ...upgrade, gsi2pk: `UPGRADES#${tenant}#STATUS#PENDING`, gsi2sk: e },
    upgradeByStatusWithoutBaseKey: { gsi2pk: `UPGRADES#${tenant}#STATUS#PENDING`, gsi2sk: e },
    instance: { pk: `UPGRADE#${e}`, sk: 'INSTANCE#000000' },
    instanceOfAnotherExecution: { pk: `UPGRADE#${world.otherExecutionId}`, sk: 'INSTANCE#000000' },
    event: { pk: `UPGRADE#${e}`, sk: 'EVENT#2020-01-01T00:00:00.000Z#00000000' },
    version: { pk: `COMPONENT#${world.componentId}`, sk: 'VERSION#0000000000000001' },
    component: { pk: `COMPONENT#${world.componentId}`, sk: '#COMPONENT', gsi1pk: 'COMPONENTS', gsi1sk: world.componentName },
    componentBaseKeyOnly: { pk: `COMPONENT#${world.componentId}`, sk: '#COMPONENT' },
    extraAttribute: { ...upgrade, other: 'x' },
  };
}

interface ListRoute {
  readonly name: string;
  readonly path: () => string;
  /** Read late: the ids it names are filled in by beforeAll. */
  readonly query?: string | (() => string);
  /** The kinds of key this list's tokens have: every other kind is foreign. */
  readonly own: readonly string[];
  readonly admin?: boolean;
}

const UPGRADES = () => `/v1/tenants/${tenant}/upgrades`;
const REGISTRY = () => `/api/v1/registry/tenants/${tenant}/upgrades`;
const LISTS: readonly ListRoute[] = [
  { name: 'listComponents', path: () => '/v1/components', own: ['component'], admin: true },
  { name: 'listVersions', path: () => `/v1/components/${world.componentId}/versions`, own: ['version'], admin: true },
  { name: 'listServices', path: () => `/v1/tenants/${tenant}/projects/p/services`, own: ['service'] },
  { name: 'listUpgrades', path: UPGRADES, own: ['upgrade'] },
  { name: 'listUpgrades by component', path: UPGRADES, query: () => `componentId=${world.componentId}`, own: ['upgradeByComponent'] },
  { name: 'listUpgrades by status', path: UPGRADES, query: 'status=PENDING', own: ['upgradeByStatus'] },
  {
    name: 'listUpgrades by status and component',
    path: UPGRADES,
    query: () => `status=PENDING&componentId=${world.componentId}`,
    own: ['upgradeByStatus'],
  },
  { name: 'listUpgradeInstances', path: () => `${UPGRADES()}/${world.executionId}/instances`, own: ['instance'] },
  { name: 'listUpgradeEvents', path: () => `${UPGRADES()}/${world.executionId}/events`, own: ['event'] },
  { name: 'listUpgradeSteps', path: () => `/v1/tenants/${tenant}/upgrade-pipeline/steps`, own: ['step'] },
  { name: 'registryListUpgrades', path: REGISTRY, own: ['upgrade'] },
  { name: 'registryListUpgrades by status', path: REGISTRY, query: 'status=PENDING', own: ['upgradeByStatus'] },
  {
    name: 'registryListUpgrades by component',
    path: REGISTRY,
    query: () => `componentId=${world.componentId}`,
    own: ['upgradeByComponent'],
  },
];

const queryOf = (route: ListRoute) => (typeof route.query === 'function' ? route.query() : (route.query ?? ''));

const url = (route: ListRoute, extra: string) => {
  const query = [queryOf(route), extra].filter((part) => part.length > 0).join('&');
  return `${route.path()}?${query}`;
};

describe('a nextToken crafted from another list is 400 on every list', () => {
  it.for(LISTS.map((route) => [route.name, route] as const))('%s', async ([, route]) => {
    const auth = route.admin ? world.admin : world.reader;
    // The list's own tokens still page.
    const first = await api.request('GET', url(route, 'limit=1'), { token: auth });
    expect(first.status, first.text).toBe(200);
    if (first.body.nextToken) {
      const second = await api.request('GET', url(route, `limit=1&nextToken=${encodeURIComponent(first.body.nextToken)}`), {
        token: auth,
      });
      expect(second.status, second.text).toBe(200);
    }
    for (const [kind, key] of Object.entries(keys())) {
      if (route.own.includes(kind)) continue;
      const response = await api.request('GET', url(route, `nextToken=${token(key)}`), { token: auth });
      const label = `${route.name} with a ${kind} token: ${response.status} ${response.text.slice(0, 200)}`;
      expect(response.status, label).toBe(400);
      expect(response.headers.get('content-type'), label).toBe('application/problem+json');
      expect(response.body.errors, label).toEqual([expect.objectContaining({ field: 'query.nextToken' })]);
    }
  });
});
