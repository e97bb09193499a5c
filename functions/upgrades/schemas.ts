import * as z from 'zod';
import { ComponentId, SemVer } from '../catalog/schemas.js';
import { parseCondition } from '../common/json-condition.js';
import { PageQuery } from '../common/pagination.js';
import { ProjectName, SafeKey, ServiceName, TenantId } from '../common/schemas.js';
import { deferred } from '../domain/deferred.js';
import { Strategy, UpgradeKnobs } from '../domain/knobs.js';
import { INSTANCE_STATUSES, STATUSES } from '../domain/status.js';
import { MAX_GATE_TIMEOUT_SECONDS } from './defaults.js';

export { STRATEGIES, Strategy } from '../domain/knobs.js';
export { DEFAULT_GATE_TIMEOUT_SECONDS, KNOB_DEFAULTS, MAX_GATE_TIMEOUT_SECONDS } from './defaults.js';

export const ExecutionStatus = z.enum(STATUSES).meta({ id: 'UpgradeStatus' });
export const InstanceStatus = z.enum(INSTANCE_STATUSES).meta({ id: 'UpgradeInstanceStatus' });
export const ExecutionId = z.string().regex(/^upg_[0-9a-z]{10,40}$/, 'not an upgrade execution id');

/** Seven days, and at most thirty: nothing waits forever (docs/architecture.md#gates-and-self-approval). */

export const Stage = deferred(() =>
  z
    .strictObject({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, 'a stage name of letters, digits, spaces, dots, dashes'),
      instances: z.array(z.string().min(1).max(128)).min(1).max(10_000).optional(),
      percentage: z.number().int().min(1).max(100).optional(),
    })
    .refine((stage) => !(stage.instances && stage.percentage), 'give instances or percentage, not both')
    .meta({ id: 'UpgradeStage', description: 'A STAGED stage: named instances, a percentage of them, or (neither) the rest.' }),
);
export type Stage = z.infer<typeof Stage>;

/** Versions of other components installed beside this one, for the dependency pre-check. */
export const InstalledComponents = deferred(() =>
  z.record(SafeKey(z.string().max(64)), z.string().max(64)).refine((value) => Object.keys(value).length <= 64, 'at most 64 entries'),
);

/** Alarms an upgrade may watch at most (CodeDeploy's limit too). */
export const MAX_GATE_ALARMS = 10;
export const ON_ALARM_ACTIONS = ['rollback', 'pause', 'fail'] as const;
/** Seven days: the longest progress deadline; a batch that takes longer is not stuck, it is slow by design. */
export const MAX_PROGRESS_DEADLINE_SECONDS = 7 * 86_400;

/** A CloudWatch alarm name: 1–255 printable characters, as CloudWatch takes them. */
const AlarmName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (name) => ![...name].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f),
    'an alarm name of printable characters',
  );

/**
 * A metric webhook polled while a canary is monitored: `count` measurements every
 * `intervalSeconds`, each judged by `successCondition` on the JSON answer; more than
 * `failureLimit` failed or inconclusive ones fail the analysis (docs/architecture.md#alarm-and-metric-gates).
 */
export const Analysis = deferred(() =>
  z
    .strictObject({
      url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .refine((url) => {
          const parsed = new URL(url);
          return parsed.username === '' && parsed.password === '';
        }, 'the URL must not carry credentials'),
      intervalSeconds: z.number().int().min(1).max(3_600),
      count: z.number().int().min(1).max(100),
      /** A JSONPath comparison on the answer, such as `$.errorRate < 0.01` (functions/common/json-condition.ts). */
      successCondition: z
        .string()
        .min(1)
        .max(256)
        .superRefine((text, ctx) => {
          const parsed = parseCondition(text);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `not a JSONPath comparison: ${parsed.error}` });
        }),
      /** Failed or inconclusive measurements tolerated; one more fails the analysis. */
      failureLimit: z.number().int().min(0).max(100).optional(),
    })
    .meta({
      id: 'UpgradeAnalysis',
      description: 'A metric webhook polled while a canary is monitored (a JSON answer judged by successCondition).',
    }),
);
export type Analysis = z.infer<typeof Analysis>;

/** What an upgrade watches while it rolls, and what it does when one of them trips. */
export const UpgradeGates = deferred(() =>
  z.strictObject({
    /** CloudWatch alarms checked before each batch, while a canary is monitored and before a blue-green switch. */
    alarms: z
      .array(AlarmName)
      .min(1)
      .max(MAX_GATE_ALARMS)
      .refine((names) => new Set(names).size === names.length, 'each alarm once')
      .optional(),
    /** What a tripped gate (an alarm in ALARM, a failed analysis, the progress deadline) does. @default rollback */
    onAlarm: z.enum(ON_ALARM_ACTIONS).optional(),
    analysis: Analysis.optional(),
    /** No batch finished in this long (waits for a person not counted) → the onAlarm action. */
    progressDeadlineSeconds: z.number().int().min(1).max(MAX_PROGRESS_DEADLINE_SECONDS).optional(),
  }),
);
export type UpgradeGates = z.infer<typeof UpgradeGates>;

export const CreateUpgradeBody = deferred(() =>
  UpgradeKnobs.unwrap()
    .extend({
      project: ProjectName,
      service: ServiceName,
      toVersion: SemVer,
      installedComponents: InstalledComponents.optional(),
      /** STAGED: the stages in order; a stage without instances or percentage takes the rest. */
      stages: z.array(Stage).min(2).max(20).optional(),
      /** CANARY: promote by itself after this much healthy monitoring. */
      canaryAutoPromoteSeconds: z.number().int().min(1).max(MAX_GATE_TIMEOUT_SECONDS).optional(),
      /** BLUE_GREEN: switch traffic by itself after green has been healthy this long. */
      autoPromotionSeconds: z.number().int().min(1).max(MAX_GATE_TIMEOUT_SECONDS).optional(),
      /** BLUE_GREEN: how long blue stays after the switch, so a rollback is one switch back. */
      scaleDownDelaySeconds: z.number().int().min(0).max(MAX_GATE_TIMEOUT_SECONDS).optional(),
      /** STAGED and BLUE_GREEN: how long a gate waits for a decision. */
      gateTimeoutSeconds: z.number().int().min(1).max(MAX_GATE_TIMEOUT_SECONDS).optional(),
      /** What a gate decides on its own when nobody answered in time. */
      onGateTimeout: z.enum(['reject', 'approve']).optional(),
      /** The initiator may decide this upgrade's gates: said once, at creation, and kept on record. */
      allowSelfApproval: z.boolean().optional(),
      /**
       * This upgrade undoes that one (a minor rollback): allowed only for the service's
       * latest completed upgrade, back to its `fromVersion`.
       */
      rollbackOf: ExecutionId.optional(),
    })
    .extend(UpgradeGates.unwrap().shape)
    .strict()
    .superRefine((body, ctx) => {
      if (body.strategy === 'STAGED' && !body.stages)
        ctx.addIssue({ code: 'custom', path: ['stages'], message: 'a STAGED upgrade needs stages' });
      if (body.stages && body.strategy !== 'STAGED')
        ctx.addIssue({ code: 'custom', path: ['stages'], message: 'stages apply to STAGED upgrades only' });
      if (body.onAlarm && !body.alarms && !body.analysis && body.progressDeadlineSeconds === undefined)
        ctx.addIssue({ code: 'custom', path: ['onAlarm'], message: 'onAlarm applies with alarms, analysis or progressDeadlineSeconds' });
    })
    .meta({ id: 'CreateUpgradeRequest' }),
);
export type CreateUpgradeBody = z.infer<typeof CreateUpgradeBody>;

export const PreCheck = deferred(() =>
  z.strictObject({ name: z.string(), passed: z.boolean(), detail: z.string() }).meta({ id: 'PreCheck' }),
);
export type PreCheck = z.infer<typeof PreCheck>;

export const RollbackInfo = deferred(() =>
  z
    .strictObject({
      autoRollbackEnabled: z.boolean(),
      failureThreshold: z.number().int(),
      currentFailures: z.number().int(),
      rollbackReason: z.string().optional(),
      rollbackInitiatedAt: z.iso.datetime().optional(),
      rollbackInitiatedBy: z.string().optional(),
      rolledBackInstances: z.array(z.string()),
      /** The gate that tripped (an alarm, the analysis, the progress deadline) and what it did. */
      trigger: z
        .strictObject({
          reason: z.enum(['alarm', 'analysis', 'progress-deadline']),
          detail: z.string(),
          action: z.enum(ON_ALARM_ACTIONS),
          at: z.iso.datetime(),
        })
        .optional(),
    })
    .meta({ id: 'RollbackInfo' }),
);

export const AnalysisProgress = deferred(() =>
  z
    .strictObject({
      taken: z.number().int(),
      failed: z.number().int(),
      inconclusive: z.number().int(),
      last: z
        .strictObject({
          at: z.iso.datetime(),
          outcome: z.enum(['passed', 'failed', 'inconclusive']),
          detail: z.string(),
        })
        .optional(),
    })
    .meta({ id: 'UpgradeAnalysisProgress', description: 'The metric analysis so far: measurements taken and how they went.' }),
);

export const WaitingFor = deferred(() =>
  z
    .strictObject({
      gate: z.string(),
      since: z.iso.datetime(),
      stage: z.string().optional(),
      timeoutAt: z.iso.datetime().optional(),
      onTimeout: z.enum(['reject', 'approve']).optional(),
    })
    .meta({ id: 'WaitingFor', description: 'The gate an upgrade waits at, while it waits.' }),
);

export const UpgradeExecution = deferred(() =>
  z
    .strictObject({
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
      maxConcurrentActions: z.number().int(),
      installedComponents: z.record(z.string(), z.string()),
      stages: z.array(z.strictObject({ name: z.string(), instances: z.number().int() })).optional(),
      canaryAutoPromoteSeconds: z.number().int().optional(),
      autoPromotionSeconds: z.number().int().optional(),
      scaleDownDelaySeconds: z.number().int().optional(),
      gateTimeoutSeconds: z.number().int(),
      onGateTimeout: z.enum(['reject', 'approve']),
      alarms: z.array(z.string()).optional(),
      onAlarm: z.enum(ON_ALARM_ACTIONS),
      analysis: Analysis.unwrap().extend({ successCondition: z.string(), failureLimit: z.number().int() }).optional(),
      analysisProgress: AnalysisProgress.optional(),
      progressDeadlineSeconds: z.number().int().optional(),
      /** When the last batch finished (the rollout's start before the first): the progress deadline's clock. */
      lastBatchFinishedAt: z.iso.datetime().optional(),
      effectiveBatchSize: z.number().int(),
      totalBatches: z.number().int(),
      completedBatches: z.number().int(),
      preChecks: z.array(PreCheck),
      progress: z.strictObject({ total: z.number().int(), completed: z.number().int(), failed: z.number().int() }),
      waitingFor: WaitingFor.optional(),
      rollbackInfo: RollbackInfo,
      initiatedBy: z.string(),
      /** Whether the initiator may decide the gates (set at creation only). */
      allowSelfApproval: z.boolean(),
      /** The upgrade this one rolls back (a minor rollback). */
      rollbackOf: z.string().optional(),
      /** The fleet update run this upgrade belongs to (docs/architecture.md#fleet-update-runs). */
      updateRunId: z.string().optional(),
      createdAt: z.iso.datetime(),
      startedAt: z.iso.datetime().optional(),
      finishedAt: z.iso.datetime().optional(),
    })
    .meta({ id: 'Upgrade', description: "An upgrade execution: one service's roll from one version to another." }),
);
export type UpgradeExecutionView = z.infer<typeof UpgradeExecution>;

export const UpgradeInstance = deferred(() =>
  z
    .strictObject({
      instanceId: z.string(),
      index: z.number().int(),
      batch: z.number().int(),
      status: InstanceStatus,
      attempts: z.number().int(),
      detail: z.string().optional(),
      updatedAt: z.iso.datetime(),
    })
    .meta({ id: 'UpgradeInstance', description: "One instance's progress in an upgrade execution." }),
);
export type UpgradeInstanceView = z.infer<typeof UpgradeInstance>;

export const Statistics = deferred(() =>
  z
    .strictObject({
      componentId: ComponentId,
      totalExecutions: z.number().int(),
      successfulExecutions: z.number().int(),
      failedExecutions: z.number().int(),
      successRate: z.number(),
      averageDurationSeconds: z.number(),
    })
    .meta({ id: 'UpgradeStatistics' }),
);

export const TenantParams = deferred(() => z.strictObject({ tenantId: TenantId }));
export const ExecutionParams = deferred(() => z.strictObject({ tenantId: TenantId, executionId: ExecutionId }));
export const ComponentScopeParams = deferred(() => z.strictObject({ tenantId: TenantId, componentId: ComponentId }));

export const ListUpgradesQuery = deferred(() =>
  PageQuery.unwrap().extend({ status: ExecutionStatus.optional(), componentId: ComponentId.optional() }).strict(),
);
export const PageOnlyQuery = deferred(() => PageQuery.unwrap().strict());

export const RollbackBody = deferred(() => z.strictObject({ reason: z.string().min(1).max(1024) }).meta({ id: 'RollbackRequest' }));
export const NoteBody = deferred(() => z.strictObject({ comment: z.string().max(1024).optional() }));
/** A gate decision. Whether the initiator may make it was settled when the upgrade was created. */
export const DecisionBody = deferred(() => z.strictObject({ comment: z.string().max(1024).optional() }));

const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), nextToken: z.string().optional() });
export const UpgradePage = deferred(() => page(UpgradeExecution).meta({ id: 'UpgradePage' }));
export const InstancePage = deferred(() => page(UpgradeInstance).meta({ id: 'UpgradeInstancePage' }));
