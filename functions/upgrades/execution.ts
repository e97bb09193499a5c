import type { UpgradeEventType } from '../domain/event-types.js';
import type { InstanceStatus, Status } from '../domain/status.js';
import type { PreCheck, Strategy, UpgradeExecutionView, UpgradeInstanceView } from './schemas.js';

/** An execution as stored. Secret-bearing fields (task tokens) never leave through a view. */
export interface ExecutionRecord {
  executionId: string;
  tenantId: string;
  project: string;
  service: string;
  componentId: string;
  fromVersion: string;
  toVersion: string;
  strategy: Strategy;
  status: Status;
  statusReason?: string;
  canaryPercentage: number;
  batchSize: number;
  batchDelaySeconds: number;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  maxUnavailablePercentage: number;
  autoRollbackEnabled: boolean;
  failureThreshold: number;
  /** Instance actions of a batch in flight at once (absent on records older than the knob: 16). */
  maxConcurrentActions?: number;
  installedComponents: Record<string, string>;
  /** Batch `i` is the instances with index in `[batchBounds[i], batchBounds[i + 1])`. */
  batchBounds: number[];
  completedBatches: number;
  preChecks: PreCheck[];
  totalInstances: number;
  completedCount: number;
  /** Instances that failed during the upgrade: `rollbackInfo.currentFailures`. */
  failedCount: number;
  rolledBackInstances: string[];
  rollbackReason?: string;
  rollbackInitiatedAt?: string;
  rollbackInitiatedBy?: string;
  /** The batch a rollback reverts next (descending); set when the rollback starts. */
  rollbackCursor?: number;
  /** Instances whose rollback failed even after retries: the rollback ends FAILED. */
  rollbackFailures?: number;
  waitingFor?: { gate: string; since: string; stage?: string; timeoutAt?: string; onTimeout?: 'reject' | 'approve' };
  /** STAGED: stage names, one per batch. */
  stageNames?: string[];
  /** Gates passed so far (STAGED: one after each stage but the last; BLUE_GREEN: the switch). */
  gatesPassed?: number;
  gateTimeoutSeconds: number;
  onGateTimeout: 'reject' | 'approve';
  /** Task token of the flow waiting at a gate. Never returned, never logged. */
  gateToken?: string;
  canaryAutoPromoteSeconds?: number;
  /** When CANARY_MONITORING began: the clock of canaryAutoPromoteSeconds. */
  monitoringSince?: string;
  autoPromotionSeconds?: number;
  scaleDownDelaySeconds?: number;
  trafficSwitchedAt?: string;
  initiatedBy: string;
  /** The initiator may decide the gates: fixed at creation (absent on records older than the field: false). */
  allowSelfApproval?: boolean;
  /** The completed upgrade this one undoes (a minor rollback). */
  rollbackOf?: string;
  /** The fleet update run this upgrade is a member upgrade of. */
  updateRunId?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The Step Functions execution running this upgrade. */
  workflowArn?: string;
  /** The final retry of the instances that failed: which ones it retries (their indexes), fixed when it begins. */
  retryPass?: { indexes: number[] };
  /** The status a pause left, which resume returns to (CANARY_RUNNING or IN_PROGRESS). */
  pausedFrom?: 'IN_PROGRESS' | 'CANARY_RUNNING';
  /** Task token of the flow parked at a pause. Never returned, never logged. */
  resumeToken?: string;
  /** CloudWatch alarms the flow checks (docs/architecture.md#alarm-and-metric-gates). */
  alarms?: string[];
  /** What a tripped gate does (absent on records older than the field: rollback). */
  onAlarm?: OnAlarm;
  analysis?: { url: string; intervalSeconds: number; count: number; successCondition: string; failureLimit: number };
  progressDeadlineSeconds?: number;
  /** When the last batch finished, or the rollout began: the progress deadline counts from the later of this and `waitEndedAt`. */
  lastBatchFinishedAt?: string;
  /** When the flow last came back from waiting on a person (a resume, a gate decision, a canary promotion). */
  waitEndedAt?: string;
  /** Measurements of the analysis taken so far: the conditional writes' counter, so a retried task counts none twice. */
  analysisTaken?: number;
  analysisFailed?: number;
  analysisInconclusive?: number;
  analysisLast?: { at: string; outcome: 'passed' | 'failed' | 'inconclusive'; detail: string };
  /** The first tripped gate, and what it did (shown in rollbackInfo.trigger). */
  gateTrigger?: GateTrigger;
  /** CANARY_MONITORING with onAlarm pause: why auto-promotion is withheld (the table has no PAUSED edge from there). */
  promotionHeld?: string;
}

export type OnAlarm = 'rollback' | 'pause' | 'fail';
export interface GateTrigger {
  reason: 'alarm' | 'analysis' | 'progress-deadline';
  detail: string;
  action: OnAlarm;
  at: string;
}

export interface InstanceRecord {
  executionId: string;
  index: number;
  instanceId: string;
  batch: number;
  status: InstanceStatus;
  attempts: number;
  detail?: string;
  healthUrl?: string;
  /** ISO time after which a HEALTH_CHECKING instance counts as failed. */
  healthDeadline?: string;
  /** Taken by the retry pass (once: an instance that fails it again stays FAILED). */
  retried?: boolean;
  updatedAt: string;
}

/** An event as a writer hands it to the repository; `at` defaults to now. */
export interface NewTimelineEvent {
  readonly type: UpgradeEventType;
  readonly at?: string;
  readonly actor?: string;
  readonly detail?: Record<string, unknown>;
}

/** The API's view of an execution: an explicit allow-list, so no internal field leaks. */
export function toExecutionView(record: ExecutionRecord): UpgradeExecutionView {
  const optional = <K extends keyof ExecutionRecord>(key: K) => (record[key] === undefined ? {} : { [key]: record[key] });
  return {
    executionId: record.executionId,
    tenantId: record.tenantId,
    project: record.project,
    service: record.service,
    componentId: record.componentId,
    fromVersion: record.fromVersion,
    toVersion: record.toVersion,
    strategy: record.strategy,
    status: record.status,
    ...optional('statusReason'),
    canaryPercentage: record.canaryPercentage,
    batchSize: record.batchSize,
    batchDelaySeconds: record.batchDelaySeconds,
    healthCheckIntervalSeconds: record.healthCheckIntervalSeconds,
    healthCheckTimeoutSeconds: record.healthCheckTimeoutSeconds,
    maxUnavailablePercentage: record.maxUnavailablePercentage,
    autoRollbackEnabled: record.autoRollbackEnabled,
    failureThreshold: record.failureThreshold,
    maxConcurrentActions: record.maxConcurrentActions ?? 16,
    installedComponents: record.installedComponents,
    ...(record.stageNames
      ? {
          stages: record.stageNames.map((name, index) => ({
            name,
            instances: (record.batchBounds[index + 1] ?? 0) - (record.batchBounds[index] ?? 0),
          })),
        }
      : {}),
    ...optional('canaryAutoPromoteSeconds'),
    ...optional('autoPromotionSeconds'),
    ...optional('scaleDownDelaySeconds'),
    gateTimeoutSeconds: record.gateTimeoutSeconds,
    onGateTimeout: record.onGateTimeout,
    ...optional('alarms'),
    onAlarm: record.onAlarm ?? 'rollback',
    ...optional('analysis'),
    ...(record.analysis
      ? {
          analysisProgress: {
            taken: record.analysisTaken ?? 0,
            failed: record.analysisFailed ?? 0,
            inconclusive: record.analysisInconclusive ?? 0,
            ...(record.analysisLast ? { last: record.analysisLast } : {}),
          },
        }
      : {}),
    ...optional('progressDeadlineSeconds'),
    ...optional('lastBatchFinishedAt'),
    effectiveBatchSize: Math.max(0, ...record.batchBounds.slice(1).map((bound, index) => bound - (record.batchBounds[index] ?? 0))),
    totalBatches: record.batchBounds.length - 1,
    completedBatches: record.completedBatches,
    preChecks: record.preChecks,
    progress: { total: record.totalInstances, completed: record.completedCount, failed: record.failedCount },
    ...(record.waitingFor ? { waitingFor: record.waitingFor } : {}),
    rollbackInfo: {
      autoRollbackEnabled: record.autoRollbackEnabled,
      failureThreshold: record.failureThreshold,
      currentFailures: record.failedCount,
      ...(record.rollbackReason === undefined ? {} : { rollbackReason: record.rollbackReason }),
      ...(record.rollbackInitiatedAt === undefined ? {} : { rollbackInitiatedAt: record.rollbackInitiatedAt }),
      ...(record.rollbackInitiatedBy === undefined ? {} : { rollbackInitiatedBy: record.rollbackInitiatedBy }),
      rolledBackInstances: record.rolledBackInstances,
      ...(record.gateTrigger ? { trigger: record.gateTrigger } : {}),
    },
    initiatedBy: record.initiatedBy,
    allowSelfApproval: record.allowSelfApproval === true,
    ...optional('rollbackOf'),
    ...optional('updateRunId'),
    createdAt: record.createdAt,
    ...optional('startedAt'),
    ...optional('finishedAt'),
  } as UpgradeExecutionView;
}

export function toInstanceView(record: InstanceRecord): UpgradeInstanceView {
  return {
    instanceId: record.instanceId,
    index: record.index,
    batch: record.batch,
    status: record.status,
    attempts: record.attempts,
    ...(record.detail === undefined ? {} : { detail: record.detail }),
    updatedAt: record.updatedAt,
  };
}
