import { compareVersions } from '../catalog/version-policy.js';
import { nextWindowStart } from '../pipeline/maintenance-window.js';
import { matchesLabels } from '../services/labels.js';
import type { ServiceRecord } from '../services/service.js';
import { KNOB_DEFAULTS } from '../upgrades/defaults.js';
import { planBatches } from '../upgrades/plan.js';
import { MAX_RUN_MEMBERS, MAX_STAGE_MEMBERS } from './limits.js';
import {
  type Estimates,
  type GateRecord,
  type GroupPlan,
  type MemberRecord,
  memberRef,
  type RunRecord,
  type StagePlan,
} from './run-records.js';
import type { MaxConcurrency, StageSpec } from './schemas.js';

/** What a member upgrade is assumed to take when the component has no finished upgrade to learn from. */
export const DEFAULT_UPGRADE_SECONDS = 300;

export interface PlanProblem {
  readonly field: string;
  readonly message: string;
}

export interface PlannedRun {
  readonly stages: StagePlan[];
  readonly members: MemberRecord[];
  readonly gates: GateRecord[];
}

/** `3` stays 3 (at most the members), `"25%"` is a quarter of them; always at least 1. */
export function resolveConcurrency(value: MaxConcurrency | undefined, members: number): number {
  if (value === undefined) return Math.max(1, members);
  if (typeof value === 'number') return Math.max(1, Math.min(value, Math.max(1, members)));
  const percent = Number(value.slice(0, -1));
  return Math.max(1, Math.floor((percent / 100) * members));
}

/**
 * Resolves a run's members from its stages and the component's services, once, at
 * creation (docs/architecture.md#fleet-update-runs): a group's `services` name them, a
 * `selector` matches labels. A member already on `toVersion` or newer, or powered off,
 * is SKIPPED with the reason; a service in two groups, or a listed service that is not
 * one of the component's, is a problem naming the field.
 */
export function planRun(input: {
  runId: string;
  stages: readonly StageSpec[];
  services: readonly ServiceRecord[];
  toVersion: string;
  now: Date;
}): PlannedRun | { problems: PlanProblem[] } {
  const { runId, toVersion } = input;
  const at = input.now.toISOString();
  const byRef = new Map(input.services.map((service) => [`${service.project}/${service.name}`, service]));
  const sorted = [...input.services].sort((a, b) => `${a.project}/${a.name}`.localeCompare(`${b.project}/${b.name}`));
  const problems: PlanProblem[] = [];
  const groupOf = new Map<string, string>();
  const members: MemberRecord[] = [];
  const gates: GateRecord[] = [];
  let gateCount = 0;
  const gate = (
    spec: StageSpec['beforeGates'] extends (infer G)[] | undefined ? G : never,
    scope: Omit<GateRecord, 'runId' | 'gateId' | 'type' | 'name' | 'status'>,
  ) => {
    gateCount += 1;
    const record: GateRecord = {
      runId,
      gateId: `gate-${gateCount}`,
      type: spec.type,
      name: spec.name,
      status: 'PENDING',
      ...('startAt' in spec ? { startAt: new Date(spec.startAt).toISOString() } : {}),
      ...scope,
    };
    gates.push(record);
    return record.gateId;
  };

  const stages = input.stages.map((stageSpec, s): StagePlan => {
    const beforeGates = (stageSpec.beforeGates ?? []).map((spec) => gate(spec, { stage: s, position: 'before' }));
    let stageMembers = 0;
    const groups = stageSpec.groups.map((groupSpec, g): GroupPlan => {
      const where = `${stageSpec.name}/${groupSpec.name}`;
      const field = `body.stages[${s}].groups[${g}]`;
      let chosen: ServiceRecord[];
      if (groupSpec.services) {
        chosen = groupSpec.services.flatMap((ref, index) => {
          const service = byRef.get(`${ref.project}/${ref.name}`);
          if (!service)
            problems.push({
              field: `${field}.services[${index}]`,
              message: `${ref.project}/${ref.name} is not a service of this component`,
            });
          return service ? [service] : [];
        });
      } else {
        const matchLabels = groupSpec.selector?.matchLabels ?? {};
        chosen = sorted.filter((service) => matchesLabels(service.labels, matchLabels));
      }
      const groupBefore = (groupSpec.beforeGates ?? []).map((spec) => gate(spec, { stage: s, group: g, position: 'before' }));
      const groupAfter = (groupSpec.afterGates ?? []).map((spec) => gate(spec, { stage: s, group: g, position: 'after' }));
      chosen.forEach((service) => {
        const ref = `${service.project}/${service.name}`;
        const other = groupOf.get(ref);
        if (other !== undefined) {
          problems.push({ field, message: `${ref} is in two groups: ${other} and ${where}` });
          return;
        }
        groupOf.set(ref, where);
        const skip = !service.powered ? 'powered-off' : compareVersions(service.version, toVersion) >= 0 ? 'already-current' : undefined;
        members.push({
          runId,
          stage: s,
          group: g,
          index: members.length,
          project: service.project,
          service: service.name,
          status: skip ? 'SKIPPED' : 'PENDING',
          ...(skip ? { reason: skip } : {}),
          fromVersion: service.version,
          updatedAt: at,
        });
      });
      const count = members.filter((member) => member.stage === s && member.group === g).length;
      stageMembers += count;
      return {
        name: groupSpec.name,
        maxConcurrency: resolveConcurrency(groupSpec.maxConcurrency, count),
        beforeGates: groupBefore,
        afterGates: groupAfter,
        members: count,
        status: 'PENDING',
      };
    });
    const afterGates = (stageSpec.afterGates ?? []).map((spec) => gate(spec, { stage: s, position: 'after' }));
    if (stageMembers > MAX_STAGE_MEMBERS) {
      problems.push({ field: `body.stages[${s}]`, message: `${stageMembers} members; a stage holds at most ${MAX_STAGE_MEMBERS}` });
    }
    return {
      name: stageSpec.name,
      ...(stageSpec.maxConcurrency === undefined ? {} : { maxConcurrency: resolveConcurrency(stageSpec.maxConcurrency, stageMembers) }),
      afterStageWaitSeconds: stageSpec.afterStageWaitSeconds ?? 0,
      beforeGates,
      afterGates,
      groups,
      status: 'PENDING',
    };
  });
  if (members.length > MAX_RUN_MEMBERS) {
    problems.push({ field: 'body.stages', message: `${members.length} members; a run holds at most ${MAX_RUN_MEMBERS}` });
  }
  return problems.length > 0 ? { problems } : { stages, members, gates };
}

/** The knobs a member's upgrade gets: the §4 defaults, the service's own, the run's. */
export function memberKnobs(run: Pick<RunRecord, 'upgrade'>, service: Pick<ServiceRecord, 'defaultUpgrade'>) {
  const own = Object.fromEntries(Object.entries(run.upgrade).filter(([, value]) => value !== undefined));
  return { ...KNOB_DEFAULTS, ...service.defaultUpgrade, ...own };
}

/** A member upgrade's expected length: batches × (batch delay + the component's average upgrade). */
export function expectedSeconds(
  run: Pick<RunRecord, 'upgrade'>,
  service: Pick<ServiceRecord, 'defaultUpgrade' | 'instances'>,
  averageUpgradeSeconds: number,
): number {
  const knobs = memberKnobs(run, service);
  const bounds =
    knobs.strategy === 'BLUE_GREEN' ? [0, service.instances.length] : planBatches({ ...knobs, instances: service.instances.length });
  const batches = Math.max(1, bounds.length - 1);
  return batches * (knobs.batchDelaySeconds + averageUpgradeSeconds);
}

/**
 * When each member not yet done is expected to start and end (docs/architecture.md#the-plan):
 * stages one after another from `now`, a stage's schedule gates hold it, its groups run
 * side by side with `maxConcurrency` slots, a member starts in its maintenance window
 * (unless the run is an emergency) and takes {@link expectedSeconds}; the after-stage
 * wait follows each stage. Approval gates are assumed to pass at once: nobody can know when a
 * person decides. A running member ends `expected` after it started (or now, if later).
 */
export function estimateRun(input: {
  run: Pick<RunRecord, 'stages' | 'emergency' | 'upgrade'>;
  members: readonly MemberRecord[];
  gates: readonly GateRecord[];
  services: ReadonlyMap<string, Pick<ServiceRecord, 'defaultUpgrade' | 'instances' | 'maintenanceWindow'>>;
  averageUpgradeSeconds: number;
  now: Date;
}): Estimates {
  const { run, now } = input;
  const estimates = new Map<string, { startAt: string; endAt: string }>();
  const gateById = new Map(input.gates.map((gate) => [gate.gateId, gate]));
  const holdUntil = (ids: readonly string[], from: number) =>
    ids.reduce((at, id) => {
      const gate = gateById.get(id);
      return gate?.type === 'schedule' && gate.startAt && gate.status !== 'COMPLETED' ? Math.max(at, Date.parse(gate.startAt)) : at;
    }, from);
  const seconds = (member: MemberRecord) => {
    const service = input.services.get(memberRef(member));
    return service ? expectedSeconds(run, service, input.averageUpgradeSeconds) : input.averageUpgradeSeconds;
  };

  let cursor = now.getTime();
  run.stages.forEach((stage, s) => {
    if (stage.status === 'COMPLETED' || stage.status === 'SKIPPED') return;
    const stageStart = holdUntil(stage.beforeGates, cursor);
    let stageEnd = stageStart;
    stage.groups.forEach((group, g) => {
      const groupStart = holdUntil(group.beforeGates, stageStart);
      const groupMembers = input.members.filter((member) => member.stage === s && member.group === g).sort((a, b) => a.index - b.index);
      const slots: number[] = [];
      for (const member of groupMembers.filter((m) => m.status === 'RUNNING')) {
        const started = Date.parse(member.startedAt ?? now.toISOString());
        const end = Math.max(now.getTime(), started + seconds(member) * 1000);
        estimates.set(memberRef(member), { startAt: new Date(started).toISOString(), endAt: new Date(end).toISOString() });
        slots.push(end);
      }
      while (slots.length < group.maxConcurrency) slots.push(groupStart);
      let groupEnd = groupStart;
      for (const member of groupMembers.filter((m) => m.status === 'PENDING' || m.status === 'WAITING')) {
        slots.sort((a, b) => a - b);
        const free = Math.max(slots[0] ?? groupStart, groupStart);
        const window = run.emergency ? undefined : input.services.get(memberRef(member))?.maintenanceWindow;
        const start = window ? nextWindowStart(window, new Date(free)).getTime() : free;
        const end = start + seconds(member) * 1000;
        estimates.set(memberRef(member), { startAt: new Date(start).toISOString(), endAt: new Date(end).toISOString() });
        slots[0] = end;
        groupEnd = Math.max(groupEnd, end);
      }
      for (const end of slots) groupEnd = Math.max(groupEnd, end);
      stageEnd = Math.max(stageEnd, groupEnd);
    });
    cursor = stageEnd + stage.afterStageWaitSeconds * 1000;
  });
  return estimates;
}
