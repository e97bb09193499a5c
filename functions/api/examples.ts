import type * as z from 'zod';
import type { ZodOpenApiExampleObject } from 'zod-openapi';
import type { Component, Version } from '../catalog/schemas.js';
import { encodeCursor } from '../common/feed-cursor.js';
import type { GateView, MemberView, StageSpec, UpdateRunView, UpdateStrategyView } from '../fleet/schemas.js';
import type { UpgradeStepView } from '../pipeline/schemas.js';
import { toRegistryExecution } from '../registry/registry.js';
import type { ServiceView } from '../services/schemas.js';
import type { UpgradeExecutionView } from '../upgrades/schemas.js';
import type { CONTRACTS } from './contracts.js';

/**
 * One worked example per operation: the request body where there is one, and the
 * success answer. They are typed by the contracts' schemas (input for a body, output for
 * an answer), and test/unit/openapi-document.test.ts parses each with its own schema, so
 * an example cannot drift from what the API accepts and answers. An example with an
 * `id` is a component that every operation showing it refers to.

 */

type Contracts = typeof CONTRACTS;
type BodyOf<C> = C extends { readonly body: infer B extends z.ZodType } ? z.input<B> : never;
type ResponseOf<C> = C extends { readonly response: infer R extends z.ZodType } ? z.output<R> : never;

export interface Example<T> extends ZodOpenApiExampleObject {
  readonly summary: string;
  readonly value: T;
}

export type OperationExamples = {
  readonly [K in keyof Contracts]?: {
    readonly request?: Example<BodyOf<Contracts[K]>>;
    readonly response?: Example<ResponseOf<Contracts[K]>>;
  };
};

/** `value` without `keys`: the same resource at another moment. */
function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

const TENANT = 'acme';
const COMPONENT_ID = 'cmp_7d1c4f0a9e2b4c6d8f3a5b7c9e1d2f40';
const VERSION_16_0 = 'ver_1a2b3c4d5e6f40718293a4b5c6d7e8f9';
const VERSION_16_1 = 'ver_9f8e7d6c5b4a40312f1e0d9c8b7a6f5e';
const EXECUTION_ID = 'upg_5f0c8e2a9b7d4c1e8f3a6b0d2c4e7f91';
const STEP_ID = 'stp_2c9e4a7b1d3f4e5a8b6c0d9e1f2a3b4c';
const RUN_ID = 'run_8a7b6c5d4e3f40219a8b7c6d5e4f3a2b';
/** A feed cursor as the API makes it (opaque to clients). */
const cursorOf = (seq: number) => encodeCursor(seq, new Date('2026-06-07T02:06:00.000Z'));

const component: Component = {
  componentId: COMPONENT_ID,
  name: 'postgresql',
  description: 'Relational database',
  createdAt: '2026-06-01T09:00:00.000Z',
};

const version: Version = {
  versionId: VERSION_16_1,
  componentId: COMPONENT_ID,
  version: '16.1.0',
  channel: 'stable',
  security: false,
  notes: 'Faster vacuum; fixes a replication stall.',
  publishedAt: '2026-06-02T10:00:00.000Z',
  publishedBy: 'root',
};

const service: ServiceView = {
  tenantId: TENANT,
  project: 'prod',
  name: 'orders-db',
  componentId: COMPONENT_ID,
  version: '16.0.0',
  powered: true,
  instances: [
    { id: 'i-1', healthUrl: 'https://i-1.orders-db.internal/health', version: '16.0.0' },
    { id: 'i-2', healthUrl: 'https://i-2.orders-db.internal/health', version: '16.0.0' },
    { id: 'i-3', healthUrl: 'https://i-3.orders-db.internal/health', version: '16.0.0' },
  ],
  mixedVersions: false,
  target: { type: 'webhook', url: 'https://upgrades.acme.example/hooks/sluice', timeoutSeconds: 10, secretConfigured: true },
  autoUpgradeChannel: 'stable',
  maintenanceWindow: { dayOfWeek: 'sunday', startHour: 2, durationHours: 3 },
  defaultUpgrade: { strategy: 'ROLLING', batchSize: 1 },
  labels: { env: 'prod', team: 'payments' },
  validatedVersion: '16.1.0',
  createdAt: '2026-06-01T09:30:00.000Z',
  updatedAt: '2026-06-03T08:00:00.000Z',
};

const PRE_CHECKS_PASSED = [
  { name: 'version-compatibility', passed: true, detail: '16.0.0 → 16.1.0: minor, next published minor' },
  { name: 'resource-availability', passed: true, detail: 'powered on, 3 instances on 16.0.0' },
  { name: 'backup-verification', passed: true, detail: 'rollback target 16.0.0 is in the catalog' },
  { name: 'health-endpoints', passed: true, detail: '3 of 3 health URLs answered 2xx' },
  { name: 'dependency-check', passed: true, detail: 'no requirements' },
];

/** A ROLLING upgrade of three instances, two at a time, after its first batch. */
const inProgress: UpgradeExecutionView = {
  executionId: EXECUTION_ID,
  tenantId: TENANT,
  project: 'prod',
  service: 'orders-db',
  componentId: COMPONENT_ID,
  fromVersion: '16.0.0',
  toVersion: '16.1.0',
  strategy: 'ROLLING',
  status: 'IN_PROGRESS',
  canaryPercentage: 10,
  batchSize: 2,
  batchDelaySeconds: 60,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  maxUnavailablePercentage: 67,
  autoRollbackEnabled: true,
  failureThreshold: 3,
  maxConcurrentActions: 16,
  installedComponents: {},
  gateTimeoutSeconds: 604_800,
  onGateTimeout: 'reject',
  alarms: ['orders-db-errors'],
  onAlarm: 'rollback',
  progressDeadlineSeconds: 1800,
  lastBatchFinishedAt: '2026-06-07T02:04:10.000Z',
  effectiveBatchSize: 2,
  totalBatches: 2,
  completedBatches: 1,
  preChecks: PRE_CHECKS_PASSED,
  progress: { total: 3, completed: 2, failed: 0 },
  rollbackInfo: { autoRollbackEnabled: true, failureThreshold: 3, currentFailures: 0, rolledBackInstances: [] },
  initiatedBy: 'alice',
  allowSelfApproval: false,
  createdAt: '2026-06-07T02:00:00.000Z',
  startedAt: '2026-06-07T02:00:05.000Z',
};

const pending: UpgradeExecutionView = {
  ...without(inProgress, 'startedAt'),
  status: 'PENDING',
  completedBatches: 0,
  preChecks: [],
  progress: { total: 3, completed: 0, failed: 0 },
};
const validating: UpgradeExecutionView = { ...pending, status: 'VALIDATING', startedAt: '2026-06-07T02:00:05.000Z' };
const paused: UpgradeExecutionView = { ...inProgress, status: 'PAUSED' };
const cancelled: UpgradeExecutionView = {
  ...inProgress,
  status: 'CANCELLED',
  statusReason: 'cancelled by alice',
  finishedAt: '2026-06-07T02:03:00.000Z',
};
const rollingBack: UpgradeExecutionView = {
  ...inProgress,
  status: 'ROLLING_BACK',
  rollbackInfo: {
    ...inProgress.rollbackInfo,
    rollbackReason: 'error rate up after the first batch',
    rollbackInitiatedAt: '2026-06-07T02:02:30.000Z',
    rollbackInitiatedBy: 'alice',
  },
};
const canaryPromoted: UpgradeExecutionView = {
  ...inProgress,
  strategy: 'CANARY',
  canaryPercentage: 34,
  effectiveBatchSize: 2,
  totalBatches: 2,
  completedBatches: 1,
  progress: { total: 3, completed: 1, failed: 0 },
};
/** A STAGED upgrade whose first stage is done and whose gate was just decided. */
const stagedApproved: UpgradeExecutionView = {
  ...inProgress,
  strategy: 'STAGED',
  stages: [
    { name: 'canary', instances: 1 },
    { name: 'rest', instances: 2 },
  ],
  progress: { total: 3, completed: 1, failed: 0 },
};
const stagedRejected: UpgradeExecutionView = {
  ...stagedApproved,
  status: 'ROLLING_BACK',
  rollbackInfo: {
    ...inProgress.rollbackInfo,
    rollbackReason: 'gate stage-approval rejected by bob: latency regression on the canary',
    rollbackInitiatedAt: '2026-06-07T03:00:00.000Z',
    rollbackInitiatedBy: 'bob',
  },
};

const UPGRADE_IN_PROGRESS: Example<UpgradeExecutionView> = {
  id: 'UpgradeInProgress',
  summary: 'A ROLLING upgrade after its first batch',
  value: inProgress,
};

const UPGRADE_PAGE: Example<{ items: UpgradeExecutionView[] }> = {
  id: 'UpgradePageOfOne',
  summary: 'A page with one execution (no nextToken: the last page)',
  value: { items: [inProgress] },
};

const step: UpgradeStepView = {
  stepId: STEP_ID,
  sourceProjectName: 'staging',
  sourceServiceName: 'orders-db',
  destinationProjectName: 'prod',
  destinationServiceName: 'orders-db',
  autoValidationDelayDays: 3,
  createdAt: '2026-06-01T10:00:00.000Z',
  lastValidation: { version: '16.1.0', validatedAt: '2026-06-05T12:00:00.000Z', validatedByUser: 'carol', comment: 'Soaked three days' },
};

const devStageSpec: StageSpec = {
  name: 'dev',
  groups: [{ name: 'all', selector: { matchLabels: { env: 'dev' } }, maxConcurrency: '50%' }],
  afterStageWaitSeconds: 3_600,
};
const prodStageSpec: StageSpec = {
  name: 'prod',
  beforeGates: [{ type: 'approval', name: 'go-prod' }],
  groups: [{ name: 'all', selector: { matchLabels: { env: 'prod' } }, maxConcurrency: 1 }],
};
const strategy: UpdateStrategyView = {
  name: 'dev-then-prod',
  stages: [devStageSpec, prodStageSpec],
  createdAt: '2026-06-01T11:00:00.000Z',
  updatedAt: '2026-06-01T11:00:00.000Z',
};
const longerDevSoak: StageSpec[] = [{ ...devStageSpec, afterStageWaitSeconds: 7_200 }, prodStageSpec];

const ZERO_COUNTS = { PENDING: 0, WAITING: 0, RUNNING: 0, COMPLETED: 0, FAILED: 0, SKIPPED: 0 };
type RunStageView = UpdateRunView['stages'][number];
type RunGroupView = RunStageView['groups'][number];

const devMember: MemberView = {
  project: 'dev',
  service: 'orders-db',
  status: 'COMPLETED',
  fromVersion: '16.0.0',
  executionId: 'upg_0b1c2d3e4f5a40b6c7d8e9f0a1b2c3d4',
};
const devGroup: RunGroupView = {
  name: 'all',
  status: 'COMPLETED',
  maxConcurrency: 1,
  beforeGates: [],
  afterGates: [],
  members: [devMember],
};
const devStage: RunStageView = {
  name: 'dev',
  status: 'COMPLETED',
  afterStageWaitSeconds: 3_600,
  beforeGates: [],
  afterGates: [],
  groups: [devGroup],
};
const prodMember: MemberView = { project: 'prod', service: 'orders-db', status: 'PENDING', fromVersion: '16.0.0' };
const prodGroup: RunGroupView = {
  name: 'all',
  status: 'PENDING',
  maxConcurrency: 1,
  beforeGates: [],
  afterGates: [],
  members: [prodMember],
};
const goProd: GateView = {
  gateId: 'gate-1',
  type: 'approval',
  name: 'go-prod',
  status: 'WAITING',
  waitingSince: '2026-06-08T09:05:00.000Z',
};
const prodStage: RunStageView = {
  name: 'prod',
  status: 'PENDING',
  afterStageWaitSeconds: 0,
  beforeGates: [goProd],
  afterGates: [],
  groups: [prodGroup],
};

/** A run that finished its dev stage and waits for approval before prod. */
const run: UpdateRunView = {
  runId: RUN_ID,
  name: 'postgresql 16.1.0',
  componentId: COMPONENT_ID,
  toVersion: '16.1.0',
  status: 'RUNNING',
  emergency: false,
  maxFailedMembers: 0,
  allowSelfApproval: false,
  initiatedBy: 'alice',
  strategyName: 'dev-then-prod',
  upgrade: { batchSize: 1 },
  createdAt: '2026-06-08T08:00:00.000Z',
  startedAt: '2026-06-08T08:00:10.000Z',
  counts: { ...ZERO_COUNTS, PENDING: 1, COMPLETED: 1 },
  stages: [devStage, prodStage],
};
const runSummary = without(run, 'stages');
const runCreated: UpdateRunView = {
  ...without(run, 'startedAt'),
  status: 'NOT_STARTED',
  counts: { ...ZERO_COUNTS, PENDING: 2 },
  stages: [
    {
      ...devStage,
      status: 'PENDING',
      groups: [{ ...devGroup, status: 'PENDING', members: [{ ...without(devMember, 'executionId'), status: 'PENDING' }] }],
    },
    { ...prodStage, beforeGates: [{ ...without(goProd, 'waitingSince'), status: 'PENDING' }] },
  ],
};
const runApproved: UpdateRunView = {
  ...run,
  counts: { ...ZERO_COUNTS, RUNNING: 1, COMPLETED: 1 },
  stages: [
    devStage,
    {
      ...prodStage,
      status: 'RUNNING',
      beforeGates: [
        { ...goProd, status: 'APPROVED', decidedBy: 'bob', decidedAt: '2026-06-08T10:00:00.000Z', comment: 'dev soaked an hour' },
      ],
      groups: [{ ...prodGroup, status: 'RUNNING', members: [{ ...prodMember, status: 'RUNNING', executionId: EXECUTION_ID }] }],
    },
  ],
};
const runSkipped: UpdateRunView = {
  ...run,
  counts: { ...ZERO_COUNTS, COMPLETED: 1, SKIPPED: 1 },
  stages: [
    devStage,
    { ...prodStage, groups: [{ ...prodGroup, members: [{ ...prodMember, status: 'SKIPPED', reason: 'skipped by alice' }] }] },
  ],
};
const UPDATE_RUN: Example<UpdateRunView> = {
  id: 'UpdateRunAtGate',
  summary: 'A run waiting for approval before its prod stage',
  value: run,
};

const VERSION_IDS = { fromVersionId: VERSION_16_0, toVersionId: VERSION_16_1 };
const registry = (summary: string, execution: UpgradeExecutionView) => ({
  summary,
  value: toRegistryExecution(execution, VERSION_IDS),
});
const REGISTRY_IN_PROGRESS = { id: 'RegistryUpgradeInProgress', ...registry('A ROLLING upgrade after its first batch', inProgress) };

const COMMENT = { summary: 'A note for the timeline (optional)', value: { comment: 'Window agreed with the payments team' } };

export const OPERATION_EXAMPLES: OperationExamples = {
  getHealth: { response: { summary: 'Ready', value: { status: 'ok' } } },
  getDecisionLink: {
    response: {
      summary: 'What the link would decide (as JSON, for a client asking for it)',
      value: {
        decision: 'approve',
        tenantId: TENANT,
        target: { kind: 'upgrade', executionId: EXECUTION_ID, gateIndex: 0, since: '2026-06-07T02:10:00.000Z', gate: 'stage-approval' },
        validUntil: '2026-06-07T03:10:00.000Z',
      },
    },
  },
  useDecisionLink: {
    request: { summary: 'The confirmation form, with a note', value: { token: `sdl_${'A'.repeat(43)}`, comment: 'from #deploys' } },
    response: {
      summary: 'Decided, as the audit records it',
      value: {
        decision: 'approve',
        tenantId: TENANT,
        target: { kind: 'upgrade', executionId: EXECUTION_ID, gateIndex: 0, since: '2026-06-07T02:10:00.000Z', gate: 'stage-approval' },
        validUntil: '2026-06-07T03:10:00.000Z',
        status: 'IN_PROGRESS',
        linkId: '3f9a1c0b7e2d4a65',
      },
    },
  },
  getOpenApi: {
    response: { summary: 'This document (abridged)', value: { openapi: '3.1.0', info: { title: 'Sluice API', version: '1' }, paths: {} } },
  },

  createComponent: {
    request: { summary: 'A component', value: { name: 'postgresql', description: 'Relational database' } },
    response: { summary: 'The component, with its generated id', value: component },
  },
  listComponents: { response: { summary: 'A page of components', value: { items: [component] } } },
  getComponent: { response: { summary: 'A component', value: component } },
  publishVersion: {
    request: {
      summary: 'A minor release on the stable channel',
      value: { version: '16.1.0', channel: 'stable', notes: 'Faster vacuum; fixes a replication stall.' },
    },
    response: { summary: 'The published version', value: version },
  },
  listVersions: {
    response: {
      summary: 'The newest version, and a token for the next page',
      value: { items: [version], nextToken: 'eyJwayI6IkNPTVBPTkVOVCMifQ' },
    },
  },
  checkUpgradePath: {
    response: {
      summary: 'A minor skipped: blocked',
      value: {
        allowed: false,
        blockers: [{ code: 'MINOR_SKIP', reason: '16.0.0 → 16.2.0 skips the minor 16.1; go through 16.1.0 first' }],
        impact: ['instance recycle', 'brief control-plane downtime'],
      },
    },
  },

  createService: {
    request: {
      summary: 'Three instances behind a webhook target, upgraded in a Sunday window',
      value: {
        name: 'orders-db',
        componentId: COMPONENT_ID,
        version: '16.0.0',
        instances: [
          { id: 'i-1', healthUrl: 'https://i-1.orders-db.internal/health' },
          { id: 'i-2', healthUrl: 'https://i-2.orders-db.internal/health' },
          { id: 'i-3', healthUrl: 'https://i-3.orders-db.internal/health' },
        ],
        target: {
          type: 'webhook',
          url: 'https://upgrades.acme.example/hooks/sluice',
          secret: 'whsec-3f9a7c1e5b2d4f60',
          timeoutSeconds: 10,
        },
        autoUpgradeChannel: 'stable',
        maintenanceWindow: { dayOfWeek: 'sunday', startHour: 2, durationHours: 3 },
        defaultUpgrade: { strategy: 'ROLLING', batchSize: 1 },
        labels: { env: 'prod', team: 'payments' },
      },
    },
    response: { summary: 'The service: the secret is stored, never shown', value: without(service, 'validatedVersion') },
  },
  listServices: { response: { summary: 'A page of services', value: { items: [service] } } },
  getService: { response: { summary: 'A service', value: service } },
  updateService: {
    request: {
      summary: 'Follow the stable channel; no maintenance window',
      value: { autoUpgradeChannel: 'stable', maintenanceWindow: null },
    },
    response: { summary: 'The changed service', value: without(service, 'maintenanceWindow') },
  },

  createUpgrade: {
    request: {
      summary: 'Roll orders-db to 16.1.0, two instances at a time',
      value: {
        project: 'prod',
        service: 'orders-db',
        toVersion: '16.1.0',
        batchSize: 2,
        maxUnavailablePercentage: 67,
        autoRollbackEnabled: true,
      },
    },
    response: { summary: 'The execution, PENDING until started', value: pending },
  },
  listUpgrades: { response: UPGRADE_PAGE },
  getUpgrade: { response: UPGRADE_IN_PROGRESS },
  listUpgradeInstances: {
    response: {
      summary: 'Two instances upgraded, the third in the next batch',
      value: {
        items: [
          { instanceId: 'i-1', index: 0, batch: 0, status: 'COMPLETED', attempts: 1, updatedAt: '2026-06-07T02:01:10.000Z' },
          { instanceId: 'i-2', index: 1, batch: 0, status: 'COMPLETED', attempts: 2, updatedAt: '2026-06-07T02:01:40.000Z' },
          { instanceId: 'i-3', index: 2, batch: 1, status: 'PENDING', attempts: 0, updatedAt: '2026-06-07T02:00:00.000Z' },
        ],
      },
    },
  },
  listUpgradeEvents: {
    response: {
      summary: 'A batch under way; pass `cursor` back as `after` (with `waitSeconds`) to follow on',
      value: {
        items: [
          {
            cursor: cursorOf(7),
            type: 'BatchStarted',
            at: '2026-06-07T02:01:00.000Z',
            actor: 'sluice',
            detail: { batch: 1, instances: 2 },
          },
          {
            cursor: cursorOf(8),
            type: 'InstanceUpgraded',
            at: '2026-06-07T02:01:40.000Z',
            actor: 'sluice',
            detail: { instanceId: 'i-3', batch: 1 },
          },
        ],
        cursor: cursorOf(8),
      },
    },
  },
  listTenantEvents: {
    response: {
      summary: "The tenant's feed: an upgrade's gate and a run's member, each naming what it is about",
      value: {
        items: [
          {
            cursor: cursorOf(41),
            type: 'GateWaiting',
            at: '2026-06-07T02:05:00.000Z',
            actor: 'sluice',
            detail: { gate: 'stage', stage: 'canary' },
            executionId: EXECUTION_ID,
          },
          {
            cursor: cursorOf(42),
            type: 'MemberStarted',
            at: '2026-06-07T02:05:01.000Z',
            detail: { service: 'web', executionId: EXECUTION_ID },
            runId: RUN_ID,
          },
        ],
        cursor: cursorOf(42),
        nextToken: cursorOf(42),
      },
    },
  },
  startUpgrade: { request: COMMENT, response: { summary: 'Pre-checks running', value: validating } },
  pauseUpgrade: { request: COMMENT, response: { summary: 'Paused: it holds at the next batch boundary', value: paused } },
  resumeUpgrade: { request: COMMENT, response: UPGRADE_IN_PROGRESS },
  cancelUpgrade: { request: COMMENT, response: { summary: 'Cancelled', value: cancelled } },
  rollbackUpgrade: {
    request: { summary: 'Why', value: { reason: 'error rate up after the first batch' } },
    response: { summary: 'Rolling back every touched instance, last batch first', value: rollingBack },
  },
  promoteCanary: { request: COMMENT, response: { summary: 'The canary promoted: the rest rolls', value: canaryPromoted } },
  approveGate: {
    request: { summary: 'Approve, with a note', value: { comment: 'Canary stage looks healthy' } },
    response: { summary: 'The next stage rolls', value: stagedApproved },
  },
  rejectGate: {
    request: { summary: 'Reject, with the reason', value: { comment: 'latency regression on the canary' } },
    response: { summary: 'What was upgraded rolls back', value: stagedRejected },
  },
  getActiveUpgrades: { response: UPGRADE_PAGE },
  getUpgradeStatistics: {
    response: {
      summary: 'Ten executions, one rolled back',
      value: {
        componentId: COMPONENT_ID,
        totalExecutions: 10,
        successfulExecutions: 9,
        failedExecutions: 1,
        successRate: 90,
        averageDurationSeconds: 412.5,
      },
    },
  },

  createUpgradeStep: {
    request: {
      summary: 'prod takes what staging validated, three days after',
      value: {
        sourceProjectName: 'staging',
        sourceServiceName: 'orders-db',
        destinationProjectName: 'prod',
        destinationServiceName: 'orders-db',
        autoValidationDelayDays: 3,
      },
    },
    response: { summary: 'The step', value: without(step, 'lastValidation') },
  },
  listUpgradeSteps: { response: { summary: 'A page of steps', value: { items: [step] } } },
  getUpgradeStep: { response: { summary: 'A step with its last validation', value: step } },
  updateUpgradeStep: {
    request: { summary: 'A longer soak', value: { autoValidationDelayDays: 5 } },
    response: { summary: 'The step', value: { ...step, autoValidationDelayDays: 5 } },
  },
  validateUpgrade: {
    request: { summary: 'A note for the record (optional)', value: { comment: 'Soaked three days' } },
    response: {
      summary: "The source's version, validated for every destination",
      value: {
        project: 'staging',
        service: 'orders-db',
        version: '16.1.0',
        validatedAt: '2026-06-05T12:00:00.000Z',
        validatedByUser: 'carol',
        comment: 'Soaked three days',
        stepIds: [STEP_ID],
      },
    },
  },
  getUpgradePipeline: {
    response: {
      summary: 'staging → prod, with the ceiling staging set',
      value: {
        services: [
          {
            project: 'staging',
            name: 'orders-db',
            componentId: COMPONENT_ID,
            version: '16.1.0',
            powered: true,
            autoUpgradeChannel: 'stable',
            ceilingEnforced: true,
            instanceVersion: '16.1.0',
            exists: true,
          },
          {
            project: 'prod',
            name: 'orders-db',
            componentId: COMPONENT_ID,
            version: '16.0.0',
            powered: true,
            autoUpgradeChannel: 'stable',
            maintenanceWindow: { dayOfWeek: 'sunday', startHour: 2, durationHours: 3 },
            ceiling: '16.1.0',
            ceilingEnforced: true,
            instanceVersion: '16.0.0',
            exists: true,
          },
        ],
        steps: [step],
      },
    },
  },

  createUpdateStrategy: {
    request: { summary: 'dev first, then prod after an approval', value: { name: strategy.name, stages: strategy.stages } },
    response: { summary: 'The strategy', value: strategy },
  },
  listUpdateStrategies: { response: { summary: 'A page of strategies', value: { items: [strategy] } } },
  getUpdateStrategy: { response: { summary: 'A strategy', value: strategy } },
  replaceUpdateStrategy: {
    request: { summary: 'The same stages, with a longer soak in dev', value: { stages: longerDevSoak } },
    response: { summary: 'The replaced strategy', value: { ...strategy, stages: longerDevSoak, updatedAt: '2026-06-02T09:00:00.000Z' } },
  },
  createUpdateRun: {
    request: {
      summary: 'Roll 16.1.0 across the fleet by the dev-then-prod strategy',
      value: {
        name: 'postgresql 16.1.0',
        componentId: COMPONENT_ID,
        toVersion: '16.1.0',
        strategyName: 'dev-then-prod',
        upgrade: { batchSize: 1 },
      },
    },
    response: { summary: 'The run, NOT_STARTED', value: runCreated },
  },
  listUpdateRuns: { response: { summary: 'A page of runs, without their stages', value: { items: [runSummary] } } },
  getUpdateRun: { response: UPDATE_RUN },
  listUpdateRunEvents: {
    response: {
      summary: 'A stage begins and its first member starts',
      value: {
        items: [
          { cursor: cursorOf(3), type: 'StageStarted', at: '2026-06-07T03:00:00.000Z', detail: { stage: 'canary', index: 0 } },
          {
            cursor: cursorOf(4),
            type: 'MemberStarted',
            at: '2026-06-07T03:00:01.000Z',
            detail: { service: 'web', executionId: EXECUTION_ID },
          },
        ],
        cursor: cursorOf(4),
      },
    },
  },
  startUpdateRun: { request: COMMENT, response: UPDATE_RUN },
  stopUpdateRun: {
    request: COMMENT,
    response: { summary: 'Stopping: running member upgrades finish, no new one starts', value: { ...run, status: 'STOPPING' } },
  },
  cancelUpdateRun: {
    request: COMMENT,
    response: { summary: 'Cancelled', value: { ...run, status: 'CANCELLED', finishedAt: '2026-06-08T09:30:00.000Z' } },
  },
  skipUpdateRunMember: { request: COMMENT, response: { summary: 'prod/orders-db skipped', value: runSkipped } },
  approveUpdateRunGate: {
    request: { summary: 'Approve, with a note', value: { comment: 'dev soaked an hour' } },
    response: { summary: 'The prod stage runs', value: runApproved },
  },
  rejectUpdateRunGate: {
    request: { summary: 'Reject, with the reason', value: { comment: 'dev showed a latency regression' } },
    response: {
      summary: 'The run ends FAILED',
      value: { ...run, status: 'FAILED', statusReason: 'gate go-prod rejected by bob', finishedAt: '2026-06-08T10:00:00.000Z' },
    },
  },
  createAutoUpgradeProfile: {
    request: {
      summary: 'Every new patch of postgresql rolls by the dev-then-prod strategy',
      value: { name: 'postgres-patches', componentId: COMPONENT_ID, channel: 'patch', strategyName: 'dev-then-prod' },
    },
    response: {
      summary: 'The profile',
      value: {
        name: 'postgres-patches',
        componentId: COMPONENT_ID,
        channel: 'patch',
        strategyName: 'dev-then-prod',
        emergencyForSecurity: true,
        disabled: false,
        createdAt: '2026-06-01T12:00:00.000Z',
        updatedAt: '2026-06-01T12:00:00.000Z',
      },
    },
  },
  listAutoUpgradeProfiles: {
    response: {
      summary: 'A page of profiles',
      value: {
        items: [
          {
            name: 'postgres-patches',
            componentId: COMPONENT_ID,
            channel: 'patch',
            strategyName: 'dev-then-prod',
            emergencyForSecurity: true,
            disabled: false,
            lastRun: { runId: RUN_ID, version: '16.0.1', createdAt: '2026-06-04T08:00:00.000Z' },
            createdAt: '2026-06-01T12:00:00.000Z',
            updatedAt: '2026-06-01T12:00:00.000Z',
          },
        ],
      },
    },
  },
  getAutoUpgradeProfile: {
    response: {
      summary: 'A profile and the last run it started',
      value: {
        name: 'postgres-patches',
        componentId: COMPONENT_ID,
        channel: 'patch',
        strategyName: 'dev-then-prod',
        emergencyForSecurity: true,
        disabled: false,
        lastRun: { runId: RUN_ID, version: '16.0.1', createdAt: '2026-06-04T08:00:00.000Z' },
        createdAt: '2026-06-01T12:00:00.000Z',
        updatedAt: '2026-06-01T12:00:00.000Z',
      },
    },
  },
  updateAutoUpgradeProfile: {
    request: { summary: 'Pause the profile', value: { disabled: true } },
    response: {
      summary: 'The profile, disabled',
      value: {
        name: 'postgres-patches',
        componentId: COMPONENT_ID,
        channel: 'patch',
        strategyName: 'dev-then-prod',
        emergencyForSecurity: true,
        disabled: true,
        createdAt: '2026-06-01T12:00:00.000Z',
        updatedAt: '2026-06-06T12:00:00.000Z',
      },
    },
  },
  getCompliance: {
    response: {
      summary: 'Two of three services on 16.1.0 or newer',
      value: {
        componentId: COMPONENT_ID,
        version: '16.1.0',
        services: { total: 3, compliant: 2, percent: 66.7 },
        instances: { total: 7, compliant: 4, percent: 57.1 },
        byVersion: { '16.0.0': 1, '16.1.0': 2 },
        laggards: [{ project: 'prod', service: 'orders-db', version: '16.0.0', reason: 'waiting for its maintenance window' }],
      },
    },
  },

  registryCreateUpgrade: {
    request: {
      summary: 'Upgrade the service of a component by catalog ids',
      value: {
        componentId: COMPONENT_ID,
        fromVersionId: VERSION_16_0,
        toVersionId: VERSION_16_1,
        strategy: 'ROLLING',
        batchSize: 2,
        maxUnavailablePercentage: 67,
        autoRollbackEnabled: true,
        initiatedBy: 'ops-portal',
      },
    },
    response: registry('The execution, PENDING until started', pending),
  },
  registryListUpgrades: { response: { summary: 'A page of executions, newest first', value: { items: [REGISTRY_IN_PROGRESS.value] } } },
  registryGetUpgrade: { response: REGISTRY_IN_PROGRESS },
  registryStartUpgrade: {
    request: { summary: 'No fields (the body may be left out)', value: {} },
    response: registry('Pre-checks running', validating),
  },
  registryPauseUpgrade: { request: { summary: 'No fields (the body may be left out)', value: {} }, response: registry('Paused', paused) },
  registryResumeUpgrade: { request: { summary: 'No fields (the body may be left out)', value: {} }, response: REGISTRY_IN_PROGRESS },
  registryCancelUpgrade: {
    request: { summary: 'No fields (the body may be left out)', value: {} },
    response: registry('Cancelled', cancelled),
  },
  registryPromoteCanary: {
    request: { summary: 'No fields (the body may be left out)', value: {} },
    response: registry('The canary promoted: the rest rolls', canaryPromoted),
  },
  registryRollbackUpgrade: {
    request: { summary: 'No fields (the reason goes in the query)', value: {} },
    response: registry('Rolling back', rollingBack),
  },
  registryGetActiveUpgrade: { response: REGISTRY_IN_PROGRESS },
  registryGetUpgradeStatistics: {
    response: {
      summary: 'Ten executions, one rolled back',
      value: {
        componentId: COMPONENT_ID,
        totalExecutions: 10,
        successfulExecutions: 9,
        failedExecutions: 1,
        successRate: 90,
        averageDurationSeconds: 412.5,
      },
    },
  },
};
