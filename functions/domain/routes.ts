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
export const ROUTE_GROUPS = ['system', 'catalog', 'services', 'upgrades', 'pipeline', 'registry', 'fleet', 'decisions'] as const;
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
  /**
   * The route acts on the caller's tenant although its path names none: the tenant is
   * the token's tenant claim (a token without one gets 404), as on the orchestrator-style
   * routes `/api/v1/registry/upgrades/{executionId}`.
   */
  readonly tenantFromToken?: true;
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
const STRATEGIES = '/v1/tenants/{tenantId}/update-strategies';
const RUNS = '/v1/tenants/{tenantId}/update-runs';
const RUN = `${RUNS}/{runId}`;
const PROFILES = '/v1/tenants/{tenantId}/auto-upgrade-profiles';
/** The orchestrator-style API over the same use cases (README, "The orchestrator-style API"). */
const REGISTRY = '/api/v1/registry';
const REGISTRY_UPGRADES = `${REGISTRY}/tenants/{tenantId}/upgrades`;
const REGISTRY_UPGRADE = `${REGISTRY}/upgrades/{executionId}`;

export const ROUTES = [
  { id: 'getHealth', method: 'GET', path: '/health', group: 'system', access: 'public', summary: 'Liveness' },
  { id: 'getOpenApi', method: 'GET', path: '/openapi.json', group: 'system', access: 'public', summary: 'The OpenAPI document' },
  // A decision link's token is its authentication (docs/decisions/0029-notifications-and-decision-links.md).
  {
    id: 'getDecisionLink',
    method: 'GET',
    path: '/v1/decision-links',
    group: 'decisions',
    access: 'public',
    summary: "A notifier's decision link: a confirmation page (decides nothing)",
  },
  {
    id: 'useDecisionLink',
    method: 'POST',
    path: '/v1/decision-links',
    group: 'decisions',
    access: 'public',
    summary: "Decide a gate through a notifier's decision link (once)",
  },

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
    summary: "An execution's timeline, from a cursor, optionally as a long poll",
  },
  {
    id: 'listTenantEvents',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/events',
    group: 'upgrades',
    access: READERS,
    summary: "The tenant's events feed (every upgrade's and update run's), from a cursor, optionally as a long poll",
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

  {
    id: 'createUpdateStrategy',
    method: 'POST',
    path: STRATEGIES,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Create a reusable update strategy (stages of groups, gates, waits)',
  },
  { id: 'listUpdateStrategies', method: 'GET', path: STRATEGIES, group: 'fleet', access: READERS, summary: 'List update strategies' },
  {
    id: 'getUpdateStrategy',
    method: 'GET',
    path: `${STRATEGIES}/{strategyName}`,
    group: 'fleet',
    access: READERS,
    summary: 'Get an update strategy',
  },
  {
    id: 'replaceUpdateStrategy',
    method: 'PUT',
    path: `${STRATEGIES}/{strategyName}`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Replace an update strategy (runs already created keep their copy)',
  },
  {
    id: 'deleteUpdateStrategy',
    method: 'DELETE',
    path: `${STRATEGIES}/{strategyName}`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Delete an update strategy',
  },
  {
    id: 'createUpdateRun',
    method: 'POST',
    path: RUNS,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Create a fleet update run (NOT_STARTED), or plan one with ?dryRun=true',
  },
  { id: 'listUpdateRuns', method: 'GET', path: RUNS, group: 'fleet', access: READERS, summary: 'List update runs, newest first' },
  {
    id: 'getUpdateRun',
    method: 'GET',
    path: RUN,
    group: 'fleet',
    access: READERS,
    summary: 'An update run: stages, groups, members, gates',
  },
  {
    id: 'listUpdateRunEvents',
    method: 'GET',
    path: `${RUN}/events`,
    group: 'fleet',
    access: READERS,
    summary: "An update run's timeline",
  },
  {
    id: 'startUpdateRun',
    method: 'POST',
    path: `${RUN}/start`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Start a run, or continue a stopped one with the members not yet done',
  },
  {
    id: 'stopUpdateRun',
    method: 'POST',
    path: `${RUN}/stop`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Stop: running member upgrades finish, no new one starts',
  },
  {
    id: 'cancelUpdateRun',
    method: 'POST',
    path: `${RUN}/cancel`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Cancel a run that is not started or stopped',
  },
  {
    id: 'skipUpdateRunMember',
    method: 'POST',
    path: `${RUN}/members/{projectName}/{serviceName}/skip`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Skip a PENDING or WAITING member',
  },
  {
    id: 'approveUpdateRunGate',
    method: 'POST',
    path: `${RUN}/gates/{gateId}/approve`,
    group: 'fleet',
    access: APPROVERS,
    summary: 'Approve a waiting approval gate',
  },
  {
    id: 'rejectUpdateRunGate',
    method: 'POST',
    path: `${RUN}/gates/{gateId}/reject`,
    group: 'fleet',
    access: APPROVERS,
    summary: 'Reject a waiting approval gate: the run ends FAILED',
  },
  {
    id: 'createAutoUpgradeProfile',
    method: 'POST',
    path: PROFILES,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Create an auto-upgrade profile: publishing a matching version starts an update run',
  },
  {
    id: 'listAutoUpgradeProfiles',
    method: 'GET',
    path: PROFILES,
    group: 'fleet',
    access: READERS,
    summary: 'List auto-upgrade profiles',
  },
  {
    id: 'getAutoUpgradeProfile',
    method: 'GET',
    path: `${PROFILES}/{profileName}`,
    group: 'fleet',
    access: READERS,
    summary: 'Get an auto-upgrade profile',
  },
  {
    id: 'updateAutoUpgradeProfile',
    method: 'PATCH',
    path: `${PROFILES}/{profileName}`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Change an auto-upgrade profile (channel, strategy, upgrade knobs, disabled)',
  },
  {
    id: 'deleteAutoUpgradeProfile',
    method: 'DELETE',
    path: `${PROFILES}/{profileName}`,
    group: 'fleet',
    access: OPERATORS,
    summary: 'Delete an auto-upgrade profile',
  },
  {
    id: 'getCompliance',
    method: 'GET',
    path: '/v1/tenants/{tenantId}/compliance',
    group: 'fleet',
    access: READERS,
    summary: "How much of the tenant's fleet of a component runs a version or newer",
  },

  {
    id: 'registryCreateUpgrade',
    method: 'POST',
    path: REGISTRY_UPGRADES,
    group: 'registry',
    access: OPERATORS,
    summary: 'Initiate an upgrade (PENDING) of the service of a component, by catalog ids',
  },
  {
    id: 'registryListUpgrades',
    method: 'GET',
    path: REGISTRY_UPGRADES,
    group: 'registry',
    access: READERS,
    summary: "A tenant's upgrade executions, newest first",
  },
  {
    id: 'registryGetUpgrade',
    method: 'GET',
    path: REGISTRY_UPGRADE,
    group: 'registry',
    access: READERS,
    tenantFromToken: true,
    summary: "An upgrade execution of the token's tenant",
  },
  {
    id: 'registryStartUpgrade',
    method: 'POST',
    path: `${REGISTRY_UPGRADE}/start`,
    group: 'registry',
    access: OPERATORS,
    tenantFromToken: true,
    summary: 'PENDING → VALIDATING: pre-checks, then the strategy rolls',
  },
  {
    id: 'registryPauseUpgrade',
    method: 'POST',
    path: `${REGISTRY_UPGRADE}/pause`,
    group: 'registry',
    access: OPERATORS,
    tenantFromToken: true,
    summary: 'Pause at the next batch boundary',
  },
  {
    id: 'registryResumeUpgrade',
    method: 'POST',
    path: `${REGISTRY_UPGRADE}/resume`,
    group: 'registry',
    access: OPERATORS,
    tenantFromToken: true,
    summary: 'Resume where it left off',
  },
  {
    id: 'registryCancelUpgrade',
    method: 'POST',
    path: `${REGISTRY_UPGRADE}/cancel`,
    group: 'registry',
    access: OPERATORS,
    tenantFromToken: true,
    summary: 'Cancel from any non-terminal status',
  },
  {
    id: 'registryPromoteCanary',
    method: 'POST',
    path: `${REGISTRY_UPGRADE}/promote-canary`,
    group: 'registry',
    access: OPERATORS,
    tenantFromToken: true,
    summary: 'Promote a monitored canary: the rest rolls',
  },
  {
    id: 'registryRollbackUpgrade',
    method: 'POST',
    path: `${REGISTRY_UPGRADE}/rollback`,
    group: 'registry',
    access: OPERATORS,
    tenantFromToken: true,
    summary: 'Roll back every touched instance (reason in the query)',
  },
  {
    id: 'registryGetActiveUpgrade',
    method: 'GET',
    path: `${REGISTRY}/tenants/{tenantId}/components/{componentId}/upgrades/active`,
    group: 'registry',
    access: READERS,
    summary: "The active execution of a component's service (the newest, if several services have one)",
  },
  {
    id: 'registryGetUpgradeStatistics',
    method: 'GET',
    path: `${REGISTRY}/components/{componentId}/upgrade-statistics`,
    group: 'registry',
    access: READERS,
    tenantFromToken: true,
    summary: "Upgrade statistics of a component in the token's tenant",
  },
] as const satisfies readonly RouteDefinition[];

export type RouteId = (typeof ROUTES)[number]['id'];

/** API Gateway's route key for a route: `GET /v1/components/{componentId}`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/**
 * Whether a route acts on one tenant: its path names it (`{tenantId}`, which must be the
 * token's), or it takes the token's tenant (`tenantFromToken`).
 */
export function isTenantScoped(route: Pick<RouteDefinition, 'path' | 'tenantFromToken'>): boolean {
  return route.path.includes('{tenantId}') || route.tenantFromToken === true;
}

/**
 * Whether a route honours an `Idempotency-Key` header: every authenticated route that
 * changes something (any method but GET). Public routes change nothing and have no
 * caller to scope a key to.
 */
export function acceptsIdempotencyKey(route: Pick<RouteDefinition, 'method' | 'access'>): boolean {
  return route.method !== 'GET' && route.access !== 'public';
}
