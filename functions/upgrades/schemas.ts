import * as z from 'zod';
import { ComponentId, SemVer } from '../catalog/schemas.js';
import { PageQuery } from '../shared/pagination.js';
import { ProjectName, ServiceName, TenantId } from '../shared/schemas.js';
import { Strategy, UpgradeKnobs } from './knobs.js';
import { INSTANCE_STATUSES, STATUSES } from './status.js';

export { Strategy, STRATEGIES } from './knobs.js';
export type Strategy = z.infer<typeof Strategy>;

/** DESIGN §4 defaults for every knob a request leaves out. */
export const KNOB_DEFAULTS = {
  strategy: 'ROLLING',
  canaryPercentage: 10,
  batchSize: 5,
  batchDelaySeconds: 60,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  maxUnavailablePercentage: 25,
  autoRollbackEnabled: false,
  failureThreshold: 3,
} as const satisfies Required<UpgradeKnobs>;

export const ExecutionStatus = z.enum(STATUSES);
export const InstanceStatus = z.enum(INSTANCE_STATUSES);
export const ExecutionId = z.string().regex(/^upg_[0-9a-z]{10,40}$/, 'not an upgrade execution id');

export const CreateUpgradeBody = UpgradeKnobs.extend({
  project: ProjectName,
  service: ServiceName,
  toVersion: SemVer,
  /** Versions of other components installed beside this one, for the dependency pre-check. */
  installedComponents: z.record(z.string().max(64), z.string().max(64)).refine((value) => Object.keys(value).length <= 64, 'at most 64 entries').optional(),
}).strict();
export type CreateUpgradeBody = z.infer<typeof CreateUpgradeBody>;

export const PreCheck = z.strictObject({ name: z.string(), passed: z.boolean(), detail: z.string() });
export type PreCheck = z.infer<typeof PreCheck>;

export const RollbackInfo = z.strictObject({
  autoRollbackEnabled: z.boolean(),
  failureThreshold: z.number().int(),
  currentFailures: z.number().int(),
  rollbackReason: z.string().optional(),
  rollbackInitiatedAt: z.iso.datetime().optional(),
  rollbackInitiatedBy: z.string().optional(),
  rolledBackInstances: z.array(z.string()),
});

export const WaitingFor = z.strictObject({ gate: z.string(), since: z.iso.datetime(), stage: z.string().optional() });

export const UpgradeExecution = z.strictObject({
  executionId: ExecutionId,
  tenantId: TenantId,
  project: ProjectName,
  service: ServiceName,
  componentId: ComponentId,
  fromVersion: z.string(),
  toVersion: z.string(),
  strategy: Strategy,
  status: ExecutionStatus,
  statusReason: z.string().optional(),
  canaryPercentage: z.number().int(),
  batchSize: z.number().int(),
  batchDelaySeconds: z.number().int(),
  healthCheckIntervalSeconds: z.number().int(),
  healthCheckTimeoutSeconds: z.number().int(),
  maxUnavailablePercentage: z.number().int(),
  autoRollbackEnabled: z.boolean(),
  failureThreshold: z.number().int(),
  installedComponents: z.record(z.string(), z.string()),
  effectiveBatchSize: z.number().int(),
  totalBatches: z.number().int(),
  completedBatches: z.number().int(),
  preChecks: z.array(PreCheck),
  progress: z.strictObject({ total: z.number().int(), completed: z.number().int(), failed: z.number().int() }),
  waitingFor: WaitingFor.optional(),
  rollbackInfo: RollbackInfo,
  initiatedBy: z.string(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
});
export type UpgradeExecutionView = z.infer<typeof UpgradeExecution>;

export const UpgradeInstance = z.strictObject({
  instanceId: z.string(),
  index: z.number().int(),
  batch: z.number().int(),
  status: InstanceStatus,
  attempts: z.number().int(),
  detail: z.string().optional(),
  updatedAt: z.iso.datetime(),
});
export type UpgradeInstanceView = z.infer<typeof UpgradeInstance>;

export const TimelineEvent = z.strictObject({
  type: z.string(),
  at: z.iso.datetime(),
  actor: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type TimelineEvent = z.infer<typeof TimelineEvent>;

export const Statistics = z.strictObject({
  componentId: ComponentId,
  totalExecutions: z.number().int(),
  successfulExecutions: z.number().int(),
  failedExecutions: z.number().int(),
  successRate: z.number(),
  averageDurationSeconds: z.number(),
});

export const TenantParams = z.strictObject({ tenantId: TenantId });
export const ExecutionParams = z.strictObject({ tenantId: TenantId, executionId: ExecutionId });
export const ComponentScopeParams = z.strictObject({ tenantId: TenantId, componentId: ComponentId });

export const ListUpgradesQuery = PageQuery.extend({ status: ExecutionStatus.optional(), componentId: ComponentId.optional() }).strict();
export const PageOnlyQuery = PageQuery.strict();

export const RollbackBody = z.strictObject({ reason: z.string().min(1).max(1024) });
export const NoteBody = z.strictObject({ comment: z.string().max(1024).optional() });

const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), nextToken: z.string().optional() });
export const UpgradePage = page(UpgradeExecution);
export const InstancePage = page(UpgradeInstance);
export const EventPage = page(TimelineEvent);
