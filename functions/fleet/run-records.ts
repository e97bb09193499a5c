import type { RunEventType } from '../domain/event-types.js';
import type { GateStatus, GateType, MemberStatus, RunStatus } from '../domain/fleet.js';
import { MEMBER_STATUSES } from '../domain/fleet.js';
import type { GateView, MemberView, RunUpgrade, UpdateRunView } from './schemas.js';

/**
 * An update run as stored (docs/architecture.md#fleet-update-runs). The run item holds the
 * plan (stages, groups, gate ids) and the progress of each stage; members and gates are
 * items of their own under the run's partition, so that a member's move writes a small
 * item, not the whole run.
 */
export interface RunRecord {
  runId: string;
  tenantId: string;
  name: string;
  componentId: string;
  toVersion: string;
  status: RunStatus;
  statusReason?: string;
  emergency: boolean;
  maxFailedMembers: number;
  allowSelfApproval: boolean;
  initiatedBy: string;
  trigger?: { profile: string; version: string };
  strategyName?: string;
  /** The member upgrades' knobs (the §4 defaults fill what is left out, per service). */
  upgrade: RunUpgrade;
  stages: StagePlan[];
  /** Members by status; every status is present, so moves can add and subtract. */
  counts: Record<MemberStatus, number>;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Bumped by every start: a flow of an older generation ends instead of driving the run. */
  generation: number;
  /** The flow execution of the current generation. */
  workflowArn?: string;
  /** Bumped by everything the flow should look at (a member ended, a gate decided, a stop). */
  wakeups: number;
  /** The parked flow's task token (secret: never shown). */
  wakeToken?: string;
}

export type ScopeStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'SKIPPED' | 'STOPPED';

export interface StagePlan {
  name: string;
  /** The stage's cap over all its groups; absent, only the groups' caps apply. */
  maxConcurrency?: number;
  afterStageWaitSeconds: number;
  beforeGates: string[];
  afterGates: string[];
  groups: GroupPlan[];
  status: ScopeStatus;
  startedAt?: string;
  /** When its last member ended (the after-stage wait counts from here). */
  membersDoneAt?: string;
  finishedAt?: string;
  /** Bumped when the stage's child of the current name ended before the stage was done: the next child gets a new name. */
  attempt?: number;
}

export interface GroupPlan {
  name: string;
  /** Resolved to a count of the group's members (at least 1). */
  maxConcurrency: number;
  beforeGates: string[];
  afterGates: string[];
  members: number;
  status: ScopeStatus;
}

export interface MemberRecord {
  runId: string;
  stage: number;
  group: number;
  index: number;
  project: string;
  service: string;
  status: MemberStatus;
  reason?: string;
  fromVersion: string;
  executionId?: string;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
}

export interface GateRecord {
  runId: string;
  gateId: string;
  type: GateType;
  name: string;
  status: GateStatus;
  startAt?: string;
  waitingSince?: string;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  /** Where the gate stands: before or after a stage, or a group of it. */
  stage: number;
  group?: number;
  position: 'before' | 'after';
}

export interface NewRunEvent {
  readonly type: RunEventType;
  readonly actor?: string;
  readonly detail?: Record<string, unknown>;
  readonly at?: string;
}

export const zeroCounts = (): Record<MemberStatus, number> =>
  Object.fromEntries(MEMBER_STATUSES.map((status) => [status, 0])) as Record<MemberStatus, number>;

export const isGatePassed = (gate: Pick<GateRecord, 'status'>) => gate.status === 'APPROVED' || gate.status === 'COMPLETED';

/** Estimates by member key (`project/service`), as {@link estimateRun} computes them. */
export type Estimates = ReadonlyMap<string, { startAt: string; endAt: string }>;

export const memberRef = (member: Pick<MemberRecord, 'project' | 'service'>) => `${member.project}/${member.service}`;

function toGateView(gate: GateRecord): GateView {
  const optional = <K extends keyof GateRecord>(key: K) => (gate[key] === undefined ? {} : { [key]: gate[key] });
  return {
    gateId: gate.gateId,
    type: gate.type,
    name: gate.name,
    status: gate.status,
    ...optional('startAt'),
    ...optional('waitingSince'),
    ...optional('decidedBy'),
    ...optional('decidedAt'),
    ...optional('comment'),
  } as GateView;
}

function toMemberView(member: MemberRecord, estimates: Estimates | undefined, preChecks?: MemberView['preChecks']): MemberView {
  const estimate = estimates?.get(memberRef(member));
  return {
    project: member.project,
    service: member.service,
    status: member.status,
    ...(member.reason === undefined ? {} : { reason: member.reason }),
    fromVersion: member.fromVersion,
    ...(member.executionId === undefined ? {} : { executionId: member.executionId }),
    ...(estimate ? { estimatedStartAt: estimate.startAt, estimatedEndAt: estimate.endAt } : {}),
    ...(preChecks ? { preChecks } : {}),
  };
}

/** The run without its stages, as lists show it. Never the task token or the flow's ARN. */
export function toRunSummary(run: RunRecord): Omit<UpdateRunView, 'stages'> {
  const optional = <K extends keyof RunRecord>(key: K) => (run[key] === undefined ? {} : { [key]: run[key] });
  return {
    runId: run.runId,
    name: run.name,
    componentId: run.componentId,
    toVersion: run.toVersion,
    status: run.status,
    ...optional('statusReason'),
    emergency: run.emergency,
    maxFailedMembers: run.maxFailedMembers,
    allowSelfApproval: run.allowSelfApproval,
    initiatedBy: run.initiatedBy,
    ...optional('trigger'),
    ...optional('strategyName'),
    upgrade: run.upgrade,
    createdAt: run.createdAt,
    ...optional('startedAt'),
    ...optional('finishedAt'),
    counts: { ...zeroCounts(), ...run.counts },
  };
}

/** The run as `GET …/update-runs/{id}` shows it: stages → groups → members, every gate. */
export function toRunView(
  run: RunRecord,
  members: readonly MemberRecord[],
  gates: readonly GateRecord[],
  options: { estimates?: Estimates; preChecks?: ReadonlyMap<string, MemberView['preChecks']> } = {},
): UpdateRunView {
  const gateById = new Map(gates.map((gate) => [gate.gateId, gate]));
  const viewGates = (ids: readonly string[]) =>
    ids.flatMap((id) => {
      const gate = gateById.get(id);
      return gate ? [toGateView(gate)] : [];
    });
  const byGroup = new Map<string, MemberRecord[]>();
  for (const member of [...members].sort((a, b) => a.index - b.index)) {
    const key = `${member.stage}/${member.group}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), member]);
  }
  return {
    ...toRunSummary(run),
    stages: run.stages.map((stage, s) => ({
      name: stage.name,
      status: stage.status,
      afterStageWaitSeconds: stage.afterStageWaitSeconds,
      beforeGates: viewGates(stage.beforeGates),
      afterGates: viewGates(stage.afterGates),
      groups: stage.groups.map((group, g) => ({
        name: group.name,
        status: group.status,
        maxConcurrency: group.maxConcurrency,
        beforeGates: viewGates(group.beforeGates),
        afterGates: viewGates(group.afterGates),
        members: (byGroup.get(`${s}/${g}`) ?? []).map((member) =>
          toMemberView(member, options.estimates, options.preChecks?.get(memberRef(member))),
        ),
      })),
    })),
  };
}
