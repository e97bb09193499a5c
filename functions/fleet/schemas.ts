import * as z from 'zod';
import { ComponentId, SemVer } from '../catalog/schemas.js';
import { PageQuery } from '../common/pagination.js';
import { ProjectName, SafeKey, ServiceName, Slug, TenantId, Timestamp } from '../common/schemas.js';
import { deferred } from '../domain/deferred.js';
import { GATE_STATUSES, MEMBER_STATUSES, RUN_STATUSES } from '../domain/fleet.js';
import { UpgradeKnobs } from '../domain/knobs.js';
import { LabelKey, LabelValue, MAX_LABELS } from '../services/labels.js';
import { InstalledComponents, PreCheck, UpgradeGates } from '../upgrades/schemas.js';
import { MAX_RUN_MEMBERS, MAX_STAGE_MEMBERS } from './limits.js';

/**
 * Fleet update runs (docs/architecture.md#fleet-update-runs): update strategies, runs and
 * their read shape. Auto-upgrade profiles and compliance have schema files of their own.
 */

/** The longest after-stage wait: 30 days. */
export const MAX_AFTER_STAGE_WAIT_SECONDS = 2_592_000;
export const MAX_STAGES = 20;
export const MAX_GROUPS_PER_STAGE = 20;
export const MAX_GATES_PER_SCOPE = 5;
export { MAX_RUN_MEMBERS, MAX_STAGE_MEMBERS };

export const StrategyName = Slug;
/**
 * Stage, group and gate names: shown to people, unique in their scope. They start and end
 * with a letter or digit, so two names cannot differ by a trailing space nobody sees.
 */
export const ScopedName = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,61}[A-Za-z0-9])?$/,
    'a name of 1-63 letters, digits, spaces, dots, dashes and underscores, starting and ending with a letter or digit',
  );
export const RunId = z.string().regex(/^run_[0-9a-z]{10,40}$/, 'not an update run id');
export const GateId = z.string().regex(/^gate-[0-9]{1,4}$/, 'not a gate id');

/** A count (`3`) or a percentage of the group's members (`"25%"`, at least one member). */
export const MaxConcurrency = deferred(() =>
  z
    .union(
      [
        z.number().int().min(1, 'at least 1').max(MAX_RUN_MEMBERS, `at most ${MAX_RUN_MEMBERS}`),
        z.string().regex(/^(100|[1-9][0-9]?)%$/, 'a percentage from "1%" to "100%"'),
      ],
      // Said when the value is neither a number nor a string (or a number with a fraction).
      { error: `a whole count from 1 to ${MAX_RUN_MEMBERS} or a percentage from "1%" to "100%"` },
    )
    .meta({ id: 'MaxConcurrency', description: 'A count of members at once (3), or a percentage of the members ("25%", at least one).' }),
);
export type RunUpgrade = z.infer<typeof RunUpgradeSpec>;
export type MaxConcurrency = z.infer<typeof MaxConcurrency>;

/** Options of a discriminated union stay eager: the document reads their discriminator values. */
const ApprovalGate = z.strictObject({ type: z.literal('approval'), name: ScopedName }).meta({ id: 'ApprovalGateSpec' });
const ScheduleGate = z.strictObject({ type: z.literal('schedule'), name: ScopedName, startAt: Timestamp }).meta({ id: 'ScheduleGateSpec' });
/** Before a stage or group: approval or schedule. After: approval only (a schedule after is a wait). */
const BeforeGates = deferred(() => z.array(z.discriminatedUnion('type', [ApprovalGate, ScheduleGate])).max(MAX_GATES_PER_SCOPE));
const AfterGates = deferred(() =>
  z
    .array(z.discriminatedUnion('type', [ApprovalGate, ScheduleGate]))
    .max(MAX_GATES_PER_SCOPE)
    .superRefine((gates, ctx) => {
      gates.forEach((gate, index) => {
        if (gate.type === 'schedule')
          ctx.addIssue({ code: 'custom', path: [index, 'type'], message: 'a schedule gate may only come before a stage or group' });
      });
    }),
);

export const ServiceRef = deferred(() => z.strictObject({ project: ProjectName, name: ServiceName }).meta({ id: 'ServiceRef' }));

export const Selector = deferred(() =>
  z
    .strictObject({
      matchLabels: z
        .record(SafeKey(LabelKey), LabelValue, {
          // The key's own message ("Invalid key in record" says nothing of what a key may be).
          error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
        })
        .refine((labels) => Object.keys(labels).length >= 1 && Object.keys(labels).length <= MAX_LABELS, `from 1 to ${MAX_LABELS} labels`),
    })
    .meta({ id: 'Selector' }),
);

export const GroupSpec = deferred(() =>
  z
    .strictObject({
      name: ScopedName,
      selector: Selector.optional(),
      services: z.array(ServiceRef).min(1).max(MAX_STAGE_MEMBERS).optional(),
      maxConcurrency: MaxConcurrency.optional(),
      beforeGates: BeforeGates.optional(),
      afterGates: AfterGates.optional(),
    })
    .superRefine((group, ctx) => {
      if (group.selector !== undefined && group.services !== undefined)
        ctx.addIssue({ code: 'custom', path: ['services'], message: 'give a selector or a list of services, not both' });
      if (group.selector === undefined && group.services === undefined)
        ctx.addIssue({ code: 'custom', path: ['selector'], message: 'give a selector or a list of services (one of the two)' });
    })
    .meta({
      id: 'GroupSpec',
      description: 'A group of a stage: the services it takes (a label selector or a list), how many at once, and its gates.',
    }),
);
export type GroupSpec = z.infer<typeof GroupSpec>;

const WAIT_RANGE = `whole seconds from 0 to ${MAX_AFTER_STAGE_WAIT_SECONDS} (30 days)`;
export const StageSpec = deferred(() =>
  z
    .strictObject({
      name: ScopedName,
      groups: z.array(GroupSpec).min(1).max(MAX_GROUPS_PER_STAGE),
      maxConcurrency: MaxConcurrency.optional(),
      afterStageWaitSeconds: z.number().int(WAIT_RANGE).min(0, WAIT_RANGE).max(MAX_AFTER_STAGE_WAIT_SECONDS, WAIT_RANGE).optional(),
      beforeGates: BeforeGates.optional(),
      afterGates: AfterGates.optional(),
    })
    .meta({
      id: 'StageSpec',
      description: 'A stage of an update strategy: groups that run together, gates before and after, a wait after.',
    }),
);
export type StageSpec = z.infer<typeof StageSpec>;

/**
 * Names unique in their scope (stages in the strategy, groups in a stage, gates in a
 * stage with its groups) and a listed service in one group only, and listed there once:
 * 422 naming the field of the second occurrence.
 */
export const Stages = deferred(() =>
  z
    .array(StageSpec)
    .min(1)
    .max(MAX_STAGES)
    .superRefine((stages, ctx) => {
      type Path = (string | number)[];
      const duplicates = (named: readonly { name: string; path: Path }[], what: string) => {
        const seen = new Set<string>();
        for (const { name, path } of named) {
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path, message: `${what} "${name}" is used more than once` });
          else seen.add(name);
        }
      };
      duplicates(
        stages.map((stage, s) => ({ name: stage.name, path: [s, 'name'] })),
        'the stage name',
      );
      /** Where each listed service was first seen: its stage and group, by index and by name. */
      const groupOf = new Map<string, { s: number; gi: number; where: string }>();
      stages.forEach((stage, s) => {
        duplicates(
          stage.groups.map((group, gi) => ({ name: group.name, path: [s, 'groups', gi, 'name'] })),
          `in stage "${stage.name}", the group name`,
        );
        const gates = (list: readonly { name: string }[] | undefined, at: Path) =>
          (list ?? []).map((gate, g) => ({ name: gate.name, path: [...at, g, 'name'] }));
        duplicates(
          [
            ...gates(stage.beforeGates, [s, 'beforeGates']),
            ...gates(stage.afterGates, [s, 'afterGates']),
            ...stage.groups.flatMap((group, gi) => [
              ...gates(group.beforeGates, [s, 'groups', gi, 'beforeGates']),
              ...gates(group.afterGates, [s, 'groups', gi, 'afterGates']),
            ]),
          ],
          `in stage "${stage.name}" and its groups, the gate name`,
        );
        stage.groups.forEach((group, gi) => {
          (group.services ?? []).forEach((service, si) => {
            const ref = `${service.project}/${service.name}`;
            const where = `${stage.name}/${group.name}`;
            const first = groupOf.get(ref);
            if (first === undefined) groupOf.set(ref, { s, gi, where });
            else
              ctx.addIssue({
                code: 'custom',
                path: [s, 'groups', gi, 'services', si],
                message:
                  first.s === s && first.gi === gi
                    ? `${ref} is listed twice in ${where}`
                    : `${ref} is in two groups: ${first.where} and ${where} (a service belongs to one group only)`,
              });
          });
        });
      });
    }),
);

export const UpdateStrategyBody = deferred(() =>
  z.strictObject({ name: StrategyName, stages: Stages }).meta({ id: 'CreateUpdateStrategyRequest' }),
);
export type UpdateStrategyBody = z.infer<typeof UpdateStrategyBody>;
export const ReplaceStrategyBody = deferred(() =>
  z.strictObject({ name: StrategyName.optional(), stages: Stages }).meta({ id: 'ReplaceUpdateStrategyRequest' }),
);
export type ReplaceStrategyBody = z.infer<typeof ReplaceStrategyBody>;

export const UpdateStrategy = deferred(() =>
  z
    .strictObject({
      name: StrategyName,
      stages: z.array(StageSpec),
      createdAt: Timestamp,
      updatedAt: Timestamp,
    })
    .meta({ id: 'UpdateStrategy', description: 'Reusable stages of groups, gates and waits that update runs follow.' }),
);
export type UpdateStrategyView = z.infer<typeof UpdateStrategy>;
export const UpdateStrategyPage = deferred(() =>
  z.strictObject({ items: z.array(UpdateStrategy), nextToken: z.string().optional() }).meta({ id: 'UpdateStrategyPage' }),
);

/** The member upgrades' knobs: §4's, except STAGED (its stages name one service's instances). */
export const RunUpgradeKnobs = deferred(() =>
  UpgradeKnobs.unwrap()
    .extend({ installedComponents: InstalledComponents.optional() })
    .refine(
      (knobs) => knobs.strategy !== 'STAGED',
      'STAGED names one service\u2019s instances; a run\u2019s stages and groups do that across services',
    )
    .meta({ id: 'RunUpgradeKnobs', description: "The member upgrades' knobs (any strategy but STAGED)." }),
);

/**
 * A run's `upgrade`: the members' knobs and their gates (alarms, onAlarm, analysis,
 * progressDeadlineSeconds), handed to every member upgrade as its create would take them.
 */
export const RunUpgradeSpec = deferred(() =>
  UpgradeKnobs.unwrap()
    .extend({ installedComponents: InstalledComponents.optional(), ...UpgradeGates.unwrap().shape })
    .refine(
      (knobs) => knobs.strategy !== 'STAGED',
      'STAGED names one service\u2019s instances; a run\u2019s stages and groups do that across services',
    )
    .meta({ id: 'RunUpgrade', description: "The member upgrades' knobs and gates (any strategy but STAGED)." }),
);

export const CreateRunBody = deferred(() =>
  z
    .strictObject({
      name: ScopedName,
      componentId: ComponentId,
      toVersion: SemVer,
      strategyName: StrategyName.optional(),
      stages: Stages.optional(),
      upgrade: RunUpgradeSpec.optional(),
      maxFailedMembers: z.number().int().min(0).max(MAX_RUN_MEMBERS).default(0),
      emergency: z.boolean().default(false),
      /** The initiator may decide this run's approval gates (said once, at creation). */
      allowSelfApproval: z.boolean().default(false),
    })
    .superRefine((body, ctx) => {
      if ((body.strategyName === undefined) === (body.stages === undefined))
        ctx.addIssue({ code: 'custom', path: ['strategyName'], message: 'give strategyName or stages, exactly one' });
    })
    .meta({ id: 'CreateUpdateRunRequest' }),
);
export type CreateRunBody = z.infer<typeof CreateRunBody>;

export const RunStatus = z.enum(RUN_STATUSES).meta({ id: 'UpdateRunStatus' });
export const MemberStatus = z.enum(MEMBER_STATUSES).meta({ id: 'MemberStatus' });

export const Gate = deferred(() =>
  z
    .strictObject({
      gateId: GateId,
      type: z.enum(['approval', 'schedule']),
      name: z.string(),
      status: z.enum(GATE_STATUSES),
      startAt: Timestamp.optional(),
      waitingSince: Timestamp.optional(),
      decidedBy: z.string().optional(),
      decidedAt: Timestamp.optional(),
      comment: z.string().optional(),
    })
    .meta({ id: 'RunGate' }),
);
export type GateView = z.infer<typeof Gate>;

export const PreCheckView = PreCheck;

export const Member = deferred(() =>
  z
    .strictObject({
      project: ProjectName,
      service: ServiceName,
      status: MemberStatus,
      reason: z.string().optional(),
      /** The service's version when the run was created. */
      fromVersion: z.string(),
      executionId: z.string().optional(),
      estimatedStartAt: Timestamp.optional(),
      estimatedEndAt: Timestamp.optional(),
      /** Dry run only: the pre-checks of docs/architecture.md#pre-checks, run for real. */
      preChecks: z.array(PreCheckView).optional(),
    })
    .meta({ id: 'RunMember' }),
);
export type MemberView = z.infer<typeof Member>;

/**
 * Members by status, for a glance: every status is present (0 when none), so it is an
 * object with one required key per status rather than a record a client must probe.
 */
const MemberCounts = deferred(() =>
  z
    .strictObject(
      Object.fromEntries(MEMBER_STATUSES.map((status) => [status, z.number().int()])) as Record<
        (typeof MEMBER_STATUSES)[number],
        z.ZodNumber
      >,
    )
    .meta({ id: 'MemberCounts' }),
);

const ItemStatus = z.enum(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED', 'STOPPED']).meta({ id: 'RunItemStatus' });

export const RunGroup = deferred(() =>
  z
    .strictObject({
      name: z.string(),
      status: ItemStatus,
      maxConcurrency: z.number().int(),
      beforeGates: z.array(Gate),
      afterGates: z.array(Gate),
      members: z.array(Member),
    })
    .meta({ id: 'RunGroup' }),
);

export const RunStage = deferred(() =>
  z
    .strictObject({
      name: z.string(),
      status: ItemStatus,
      afterStageWaitSeconds: z.number().int(),
      beforeGates: z.array(Gate),
      afterGates: z.array(Gate),
      groups: z.array(RunGroup),
    })
    .meta({ id: 'RunStage' }),
);

export const UpdateRun = deferred(() =>
  z
    .strictObject({
      runId: RunId,
      name: z.string(),
      componentId: ComponentId,
      toVersion: z.string(),
      status: RunStatus,
      statusReason: z.string().optional(),
      emergency: z.boolean(),
      maxFailedMembers: z.number().int(),
      allowSelfApproval: z.boolean(),
      initiatedBy: z.string(),
      trigger: z.strictObject({ profile: z.string(), version: z.string() }).optional(),
      strategyName: z.string().optional(),
      upgrade: UpgradeKnobs.unwrap()
        .extend({ installedComponents: z.record(z.string(), z.string()).optional(), ...UpgradeGates.unwrap().shape })
        .meta({
          id: 'UpdateRunUpgrade',
        }),
      createdAt: Timestamp,
      startedAt: Timestamp.optional(),
      finishedAt: Timestamp.optional(),
      counts: MemberCounts,
      stages: z.array(RunStage),
    })
    .meta({ id: 'UpdateRun', description: 'A fleet update run: one version rolled across services in ordered stages.' }),
);
export type UpdateRunView = z.infer<typeof UpdateRun>;

/** A list shows runs without their stages (GET one run for those). */
export const UpdateRunSummary = deferred(() => UpdateRun.unwrap().omit({ stages: true }).meta({ id: 'UpdateRunSummary' }));
export const UpdateRunPage = deferred(() =>
  z.strictObject({ items: z.array(UpdateRunSummary), nextToken: z.string().optional() }).meta({ id: 'UpdateRunPage' }),
);

export const TenantParams = deferred(() => z.strictObject({ tenantId: TenantId }));
export const StrategyParams = deferred(() => TenantParams.unwrap().extend({ strategyName: StrategyName }).strict());
export const RunParams = deferred(() => TenantParams.unwrap().extend({ runId: RunId }).strict());
export const MemberParams = deferred(() => RunParams.unwrap().extend({ projectName: ProjectName, serviceName: ServiceName }).strict());
export const GateParams = deferred(() => RunParams.unwrap().extend({ gateId: GateId }).strict());

export const CreateRunQuery = deferred(() =>
  z.strictObject({
    dryRun: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => value === 'true'),
  }),
);
export const ListRunsQuery = deferred(() =>
  PageQuery.unwrap().extend({ status: RunStatus.optional(), componentId: ComponentId.optional() }).strict(),
);
export const ListStrategiesQuery = deferred(() => PageQuery.unwrap().strict());
export const GateDecisionBody = deferred(() => z.strictObject({ comment: z.string().max(1024).optional() }));
/** Start, stop, cancel and skip take an optional note, kept on the timeline; an empty body is fine. */
export const ActionBody = deferred(() => z.strictObject({ comment: z.string().max(1024).optional() }));
