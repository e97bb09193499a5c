/**
 * Every route of the HTTP API, as plain data.
 *
 * One list serves four readers: the CDK stack (one HTTP API route per entry, wired to
 * the Lambda of its `group`), the local server (which turns a request into the same
 * API Gateway v2 event), the OpenAPI document, and the isolation tests (which walk
 * every route with every role). It imports nothing so that CDK can read it without
 * loading handler code.
 */

export const ROLES = ['viewer', 'operator', 'approver', 'platform-admin'] as const;
export type Role = (typeof ROLES)[number];

/** Which Lambda serves a route. One `NodejsFunction` per group. */
export const ROUTE_GROUPS = ['system', 'catalog', 'services', 'upgrades', 'pipeline'] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteDefinition {
  /** Stable operation id; also the OpenAPI operationId. */
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/components/{componentId}`. */
  readonly path: string;
  readonly group: RouteGroup;
  /** `public` routes skip authentication; otherwise any one of these roles grants access. */
  readonly access: 'public' | readonly Role[];
  readonly summary: string;
}

const READERS: readonly Role[] = ['viewer', 'operator', 'approver'];
const CATALOG_READERS: readonly Role[] = ['viewer', 'operator', 'approver', 'platform-admin'];
const OPERATORS: readonly Role[] = ['operator'];
const PLATFORM_ADMINS: readonly Role[] = ['platform-admin'];
const APPROVERS: readonly Role[] = ['approver'];

const SERVICES = '/v1/tenants/{tenantId}/projects/{projectName}/services';
const UPGRADES = '/v1/tenants/{tenantId}/upgrades';
const UPGRADE = `${UPGRADES}/{executionId}`;
const STEPS = '/v1/tenants/{tenantId}/upgrade-pipeline/steps';

export const ROUTES = [
  { id: 'getHealth', method: 'GET', path: '/health', group: 'system', access: 'public', summary: 'Liveness' },
  { id: 'getOpenApi', method: 'GET', path: '/openapi.json', group: 'system', access: 'public', summary: 'The OpenAPI document' },

  {
    id: 'createComponent',
    method: 'POST',
    path: '/v1/components',
    group: 'catalog',
    access: PLATFORM_ADMINS,
    summary: 'Register a component in the catalog',
  },
  { id: 'listComponents', method: 'GET', path: '/v1/components', group: 'catalog', access: CATALOG_READERS, summary: 'List components' },
  {
    id: 'getComponent',
    method: 'GET',
    path: '/v1/components/{componentId}',
    group: 'catalog',
    access: CATALOG_READERS,
    summary: 'Get a component',
  },
  {
    id: 'publishVersion',
    method: 'POST',
    path: '/v1/components/{componentId}/versions',
    group: 'catalog',
    access: PLATFORM_ADMINS,
    summary: 'Publish a version of a component',
  },
  {
    id: 'listVersions',
    method: 'GET',
    path: '/v1/components/{componentId}/versions',
    group: 'catalog',
    access: CATALOG_READERS,
    summary: "List a component's versions, newest first",
  },
  {
    id: 'checkUpgradePath',
    method: 'GET',
    path: '/v1/components/{componentId}/upgrade-path',
    group: 'catalog',
    access: CATALOG_READERS,
    summary: 'Check an upgrade path against the version policy',
  },

  { id: 'createService', method: 'POST', path: SERVICES, group: 'services', access: OPERATORS, summary: 'Create a service' },
  { id: 'listServices', method: 'GET', path: SERVICES, group: 'services', access: READERS, summary: 'List the services of a project' },
  { id: 'getService', method: 'GET', path: `${SERVICES}/{serviceName}`, group: 'services', access: READERS, summary: 'Get a service' },
  {
    id: 'updateService',
    method: 'PATCH',
    path: `${SERVICES}/{serviceName}`,
    group: 'services',
    access: OPERATORS,
    summary: 'Change a service (power, window, channel, instances, target)',
  },
  {
    id: 'deleteService',
    method: 'DELETE',
    path: `${SERVICES}/{serviceName}`,
    group: 'services',
    access: OPERATORS,
    summary: 'Delete a service',
  },

  {
    id: 'createUpgrade',
    method: 'POST',
    path: UPGRADES,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Create an upgrade execution (PENDING)',
  },
  {
    id: 'listUpgrades',
    method: 'GET',
    path: UPGRADES,
    group: 'upgrades',
    access: READERS,
    summary: 'List upgrade executions, newest first',
  },
  { id: 'getUpgrade', method: 'GET', path: UPGRADE, group: 'upgrades', access: READERS, summary: 'Get an upgrade execution' },
  {
    id: 'listUpgradeInstances',
    method: 'GET',
    path: `${UPGRADE}/instances`,
    group: 'upgrades',
    access: READERS,
    summary: "An execution's instances and their statuses",
  },
  {
    id: 'listUpgradeEvents',
    method: 'GET',
    path: `${UPGRADE}/events`,
    group: 'upgrades',
    access: READERS,
    summary: "An execution's timeline",
  },
  {
    id: 'startUpgrade',
    method: 'POST',
    path: `${UPGRADE}/start`,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Run pre-checks, then roll',
  },
  {
    id: 'pauseUpgrade',
    method: 'POST',
    path: `${UPGRADE}/pause`,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Pause at the next batch boundary',
  },
  {
    id: 'resumeUpgrade',
    method: 'POST',
    path: `${UPGRADE}/resume`,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Resume where it left off',
  },
  {
    id: 'cancelUpgrade',
    method: 'POST',
    path: `${UPGRADE}/cancel`,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Cancel from any non-terminal status',
  },
  {
    id: 'rollbackUpgrade',
    method: 'POST',
    path: `${UPGRADE}/rollback`,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Roll back every touched instance',
  },
  {
    id: 'promoteCanary',
    method: 'POST',
    path: `${UPGRADE}/promote-canary`,
    group: 'upgrades',
    access: OPERATORS,
    summary: 'Promote a monitored canary: the rest rolls',
  },
  {
    id: 'approveGate',
    method: 'POST',
    path: `${UPGRADE}/approve`,
    group: 'upgrades',
    access: APPROVERS,
    summary: 'Approve the waiting gate (STAGED stage, BLUE_GREEN switch)',
  },
  {
    id: 'rejectGate',
    method: 'POST',
    path: `${UPGRADE}/reject`,
    group: 'upgrades',
    access: APPROVERS,
    summary: 'Reject the waiting gate: what was upgraded rolls back',
  },
  {
    id: 'getActiveUpgrades',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/components/{componentId}/upgrades/active',
    group: 'upgrades',
    access: READERS,
    summary: "The active executions of a component's services",
  },
  {
    id: 'getUpgradeStatistics',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/components/{componentId}/upgrade-statistics',
    group: 'upgrades',
    access: READERS,
    summary: 'Upgrade statistics of a component',
  },

  {
    id: 'createUpgradeStep',
    method: 'POST',
    path: STEPS,
    group: 'pipeline',
    access: OPERATORS,
    summary: 'Link a source service to a destination service (an upgrade step)',
  },
  { id: 'listUpgradeSteps', method: 'GET', path: STEPS, group: 'pipeline', access: READERS, summary: 'List upgrade steps' },
  {
    id: 'getUpgradeStep',
    method: 'GET',
    path: `${STEPS}/{stepId}`,
    group: 'pipeline',
    access: READERS,
    summary: 'Get an upgrade step with its last validation',
  },
  {
    id: 'updateUpgradeStep',
    method: 'PATCH',
    path: `${STEPS}/{stepId}`,
    group: 'pipeline',
    access: OPERATORS,
    summary: 'Change the auto-validation delay (the only mutable field)',
  },
  {
    id: 'deleteUpgradeStep',
    method: 'DELETE',
    path: `${STEPS}/{stepId}`,
    group: 'pipeline',
    access: OPERATORS,
    summary: 'Delete a step, its validations and pending schedules',
  },
  {
    id: 'validateUpgrade',
    method: 'POST',
    path: `${SERVICES}/{serviceName}/upgrade-validation`,
    group: 'pipeline',
    access: APPROVERS,
    summary: "Validate a source service's current version for all its destinations",
  },
  {
    id: 'getUpgradePipeline',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/upgrade-pipeline',
    group: 'pipeline',
    access: READERS,
    summary: 'The pipeline graph: services with versions, ceilings, pending validations, and steps',
  },
] as const satisfies readonly RouteDefinition[];

export type RouteId = (typeof ROUTES)[number]['id'];

/** API Gateway's route key for a route: `GET /v1/components/{componentId}`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/**
 * Whether a route honours an `Idempotency-Key` header: every authenticated route that
 * changes something (any method but GET). Public routes change nothing and have no
 * caller to scope a key to.
 */
export function acceptsIdempotencyKey(route: Pick<RouteDefinition, 'method' | 'access'>): boolean {
  return route.method !== 'GET' && route.access !== 'public';
}
