import { compareVersions } from '../catalog/version-policy.js';
import type { Clock } from '../common/clock.js';
import { AppError, ConflictError, ValidationError } from '../common/errors.js';
import type { Principal } from '../common/http/principal.js';
import type { Logger } from '../common/logger.js';
import type { Metrics } from '../common/metrics.js';
import { MEMBER_DONE, type MemberStatus } from '../domain/fleet.js';
import { isTerminal } from '../domain/status.js';
import { nextWindowStart } from '../pipeline/maintenance-window.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { ExecutionRecord } from '../upgrades/execution.js';
import type { UpgradeRepository } from '../upgrades/upgrade-repository.js';
import { newExecutionId, type Upgrades } from '../upgrades/upgrades.js';
import type { Workflow } from '../upgrades/workflow.js';
import { type GateRecord, isGatePassed, type MemberRecord, type RunRecord } from './run-records.js';
import type { RunRepository } from './run-repository.js';

/**
 * The tasks of the update run flows (statemachines/update-run.asl.json, one stage at a time
 * in statemachines/update-run-stage.asl.json). Each task reads the run as it is and decides
 * the next move, so a retried or repeated task does nothing twice: member and gate moves are
 * conditional writes, and a member's upgrade id is chosen and stored before the upgrade is
 * created (a retry finds it and creates or starts only what is missing).
 */

/** What the flow does next: run a stage's child flow, park until woken (or the recheck), or end. */
export interface Move {
  readonly next: 'stage' | 'park' | 'done';
  /** The stage to run (`next: 'stage'`); -1 otherwise. */
  readonly stage: number;
  /** The stage's attempt, part of its child's name (0 unless a child of it ended before the stage was done). */
  readonly attempt: number;
  /** Looks this stage child has made (0 in the parent's moves). */
  readonly looks: number;
  /** The run's `wakeups` as this task read it: the park refuses to wait if it moved since. */
  readonly wakeups: number;
  /** How long the park waits at most before the flow looks again (flow seconds). */
  readonly recheckSeconds: number;
}

export interface RunTaskEvent {
  readonly tenantId: string;
  readonly runId: string;
  readonly generation: number;
  readonly stage?: number;
  /** Looks the stage child made before this one. */
  readonly looks?: number;
}

/**
 * Looks one stage child makes before it hands over to a fresh child: about 12 history
 * events a look, so a child stays near 18,000 of Step Functions' 25,000 however long its
 * members take (a week of 300 s rechecks is ~2,000 looks).
 */
export const MAX_STAGE_CHILD_LOOKS = 1_500;

/** Rechecks while member upgrades run: a lost wake-up costs at most this long. */
export const RECHECK_WHILE_RUNNING_SECONDS = 300;
/** Rechecks while only gates, validations or windows are awaited: long, so a week's wait stays small in history. */
export const RECHECK_WHILE_WAITING_SECONDS = 3_600;

export interface RunTasksDeps {
  readonly runs: RunRepository;
  readonly services: ServiceRepository;
  readonly executions: Pick<UpgradeRepository, 'getMany'>;
  readonly upgrades: Pick<Upgrades, 'create' | 'start' | 'ensureFlow'>;
  readonly workflow: Workflow;
  readonly clock: Clock;
  /** Local runtime only: how many times faster than real time the flows' waits pass. */
  readonly timeScale: number;
  readonly logger: Logger;
  /** Run completions (the member upgrades count themselves, upgrade-metrics.ts). @default none */
  readonly metrics?: Metrics;
  /** Local runtime and tests only (SLUICE_STAGE_CHILD_LOOKS): hand over to a fresh stage child this often. */
  readonly maxStageChildLooks?: number;
}

const done = (wakeups: number): Move => ({ next: 'done', stage: -1, attempt: 0, looks: 0, wakeups, recheckSeconds: 1 });

export function makeRunTasks(deps: RunTasksDeps) {
  const { runs, clock } = deps;
  const now = () => clock.now();
  /** The reasons this look gave waiting members (`runId#index`), read back when it picks its recheck. */
  const heldFor = new Map<string, string>();

  /** Flow seconds from now until a real instant (the engine runs `timeScale` times faster locally). */
  const flowSecondsUntil = (at: number) => Math.max(1, Math.ceil(((at - now().getTime()) / 1000) * deps.timeScale));
  /** The real instant `seconds` of flow time after `from`. */
  const flowAfter = (from: string, seconds: number) => Date.parse(from) + (seconds * 1000) / deps.timeScale;

  const live = async (event: RunTaskEvent): Promise<RunRecord | undefined> => {
    const run = await runs.get(event.tenantId, event.runId);
    // A flow of an older generation (the run was stopped and started again) steps aside.
    if (!run || run.generation !== event.generation) return undefined;
    return run.status === 'RUNNING' || run.status === 'STOPPING' ? run : undefined;
  };

  const memberEvent = (member: MemberRecord, detail: Record<string, unknown> = {}) => ({
    project: member.project,
    service: member.service,
    stage: member.stage,
    group: member.group,
    ...detail,
  });

  /**
   * Walks gates in order: passed ones are skipped, a schedule gate whose time came
   * completes, the first one that holds answers why. A gate reached for the first time
   * becomes WAITING (once, with its event).
   */
  const passGates = async (run: RunRecord, ids: readonly string[], gates: ReadonlyMap<string, GateRecord>) => {
    for (const id of ids) {
      const gate = gates.get(id);
      if (!gate || isGatePassed(gate)) continue;
      if (gate.status === 'REJECTED') return { holds: 'rejected' as const };
      if (gate.type === 'schedule' && Date.parse(gate.startAt ?? '') <= now().getTime()) {
        if (await runs.moveGate(gate, { from: ['PENDING', 'WAITING'], to: 'COMPLETED' })) {
          await runs.appendEvent(run.tenantId, run.runId, {
            type: 'GateCompleted',
            detail: { gateId: gate.gateId, gate: gate.name, startAt: gate.startAt },
          });
        }
        continue;
      }
      if (gate.status === 'PENDING') {
        const waitingSince = now().toISOString();
        if (await runs.moveGate(gate, { from: ['PENDING'], to: 'WAITING', set: { waitingSince } })) {
          await runs.appendEvent(run.tenantId, run.runId, {
            type: 'GateWaiting',
            detail: {
              gateId: gate.gateId,
              gate: gate.name,
              type: gate.type,
              ...(gate.type === 'schedule'
                ? { startAt: gate.startAt }
                : {
                    decide: `POST /v1/tenants/${run.tenantId}/update-runs/${run.runId}/gates/${gate.gateId}/approve (or /reject), role approver`,
                  }),
            },
          });
        }
      }
      return gate.type === 'schedule'
        ? { holds: 'schedule' as const, until: Date.parse(gate.startAt ?? '') }
        : { holds: 'approval' as const };
    }
    return { holds: undefined };
  };

  /** A member whose upgrade ended (read, not polled: the upgrade's end woke the run). */
  const settle = async (run: RunRecord, member: MemberRecord, execution: ExecutionRecord) => {
    const ok = execution.status === 'COMPLETED';
    const reason = ok
      ? undefined
      : execution.status === 'CANCELLED'
        ? 'its upgrade was cancelled'
        : execution.status === 'ROLLED_BACK'
          ? `rolled back${execution.rollbackReason ? `: ${execution.rollbackReason}` : ''}`
          : (execution.statusReason ?? 'its upgrade failed');
    const to: MemberStatus = ok ? 'COMPLETED' : 'FAILED';
    const moved = await runs.moveMember(run.tenantId, member, {
      from: ['RUNNING'],
      to,
      set: { finishedAt: execution.finishedAt ?? now().toISOString(), ...(reason ? { reason } : {}) },
    });
    if (moved) {
      await runs.appendEvent(run.tenantId, run.runId, {
        type: ok ? 'MemberCompleted' : 'MemberFailed',
        detail: memberEvent(member, { executionId: execution.executionId, upgradeStatus: execution.status, ...(reason ? { reason } : {}) }),
      });
    }
    return moved ? to : member.status;
  };

  /** Moves a member to WAITING with a reason (an event only when the reason changes). */
  const hold = async (
    run: RunRecord,
    member: MemberRecord,
    reason: string,
    from: readonly MemberStatus[] = ['PENDING', 'WAITING'],
  ): Promise<MemberStatus> => {
    heldFor.set(`${run.runId}#${member.index}`, reason);
    if (member.status === 'WAITING' && member.reason === reason) return 'WAITING';
    if (await runs.moveMember(run.tenantId, member, { from, to: 'WAITING', set: { reason }, remove: ['executionId', 'startedAt'] })) {
      await runs.appendEvent(run.tenantId, run.runId, { type: 'MemberWaiting', detail: memberEvent(member, { reason }) });
      return 'WAITING';
    }
    return member.status;
  };

  const finish = async (
    run: RunRecord,
    member: MemberRecord,
    to: 'SKIPPED' | 'FAILED',
    reason: string,
    from: readonly MemberStatus[],
  ): Promise<MemberStatus> => {
    if (await runs.moveMember(run.tenantId, member, { from, to, set: { reason, finishedAt: now().toISOString() } })) {
      await runs.appendEvent(run.tenantId, run.runId, {
        type: to === 'SKIPPED' ? 'MemberSkipped' : 'MemberFailed',
        detail: memberEvent(member, { reason }),
      });
      return to;
    }
    return member.status;
  };

  const principalOf = (run: RunRecord): Principal => ({ subject: run.initiatedBy, roles: new Set(['operator']), tenantId: run.tenantId });

  /**
   * Creates (if missing) and starts (if not started) the upgrade of a RUNNING member. A
   * refusal that will pass (another upgrade of the service, the pipeline ceiling) puts the
   * member back to WAITING; one that will not fails it.
   */
  const launch = async (
    run: RunRecord,
    member: MemberRecord & { executionId: string },
    existing: ExecutionRecord | undefined,
  ): Promise<MemberStatus> => {
    const principal = principalOf(run);
    let execution = existing;
    if (!execution) {
      try {
        await deps.upgrades.create(
          run.tenantId,
          {
            project: member.project,
            service: member.service,
            toVersion: run.toVersion,
            ...run.upgrade,
            ...(run.allowSelfApproval ? { allowSelfApproval: true } : {}),
          } as Parameters<Upgrades['create']>[1],
          principal,
          { executionId: member.executionId, updateRunId: run.runId },
        );
      } catch (error) {
        if (error instanceof ConflictError)
          return hold(run, member, /powered off/.test(error.message) ? 'powered-off' : 'service-busy', ['RUNNING']);
        if (error instanceof ValidationError) {
          const ceiling = (error.errors ?? []).some((e) => e.code === 'ABOVE_VALIDATED_VERSION');
          if (ceiling) return hold(run, member, 'awaiting-validation', ['RUNNING']);
          return finish(run, member, 'FAILED', error.message, ['RUNNING']);
        }
        // Any other refusal (the service deleted meanwhile: 404) fails this member, not the run.
        if (error instanceof AppError && error.status < 500) return finish(run, member, 'FAILED', error.message, ['RUNNING']);
        throw error;
      }
      execution = { status: 'PENDING' } as ExecutionRecord;
    }
    if (execution.status === 'PENDING') {
      // A start that fails ends the upgrade FAILED, which the next look settles.
      await deps.upgrades.start(run.tenantId, member.executionId, principal).catch((error: unknown) => {
        deps.logger.warn('a member upgrade did not start', { runId: run.runId, executionId: member.executionId, error });
      });
    } else if (execution.status === 'VALIDATING' && !execution.workflowArn) {
      // Left for the next look if it fails: the member stays RUNNING on an upgrade that exists.
      await deps.upgrades.ensureFlow(run.tenantId, member.executionId).catch((error: unknown) => {
        deps.logger.warn('a member upgrade flow did not start', { runId: run.runId, executionId: member.executionId, error });
      });
    }
    return 'RUNNING';
  };

  /**
   * Tries to start one member now. Whatever stands in the way is written down as the
   * member's reason: gone (FAILED), powered off or already current (SKIPPED), a closed
   * window (WAITING until it opens, unless the run is an emergency).
   * Returns when to look again, if the member waits for a known time.
   */
  const tryStart = async (run: RunRecord, member: MemberRecord): Promise<{ status: MemberStatus; until?: number; halted?: boolean }> => {
    const service = await deps.services.get({ tenantId: run.tenantId, project: member.project, name: member.service });
    const from: MemberStatus[] = ['PENDING', 'WAITING'];
    if (!service) return { status: await finish(run, member, 'FAILED', 'the service no longer exists', from) };
    if (!service.powered) return { status: await finish(run, member, 'SKIPPED', 'powered-off', from) };
    if (compareVersions(service.version, run.toVersion) >= 0) {
      return { status: await finish(run, member, 'SKIPPED', 'already-current', from) };
    }
    const window = service.maintenanceWindow;
    const opens = window ? nextWindowStart(window, now()).getTime() : now().getTime();
    const overrides: { type: 'MaintenanceWindowOverride' | 'SecurityOverride'; detail: Record<string, unknown> }[] = [];
    if (opens > now().getTime()) {
      if (!run.emergency) return { status: await hold(run, member, 'maintenance-window'), until: opens };
      overrides.push({ type: 'MaintenanceWindowOverride', detail: { window, opensAt: new Date(opens).toISOString() } });
    }
    if (run.emergency && service.validatedVersion !== undefined && compareVersions(run.toVersion, service.validatedVersion) > 0) {
      overrides.push({ type: 'SecurityOverride', detail: { ceiling: service.validatedVersion, toVersion: run.toVersion } });
    }
    const executionId = newExecutionId(now());
    const moved = await runs.moveMember(run.tenantId, member, {
      from,
      to: 'RUNNING',
      set: { executionId, startedAt: now().toISOString() },
      remove: ['reason'],
      whileRunning: { generation: run.generation },
    });
    if (!moved) {
      // A stop, a restart or an end since the look read the run: start nothing more.
      const fresh = await runs.get(run.tenantId, run.runId);
      return { status: member.status, halted: fresh?.status !== 'RUNNING' || fresh.generation !== run.generation };
    }
    const running = { ...member, status: 'RUNNING' as const, executionId };
    for (const override of overrides) {
      await runs.appendEvent(run.tenantId, run.runId, {
        type: override.type,
        detail: memberEvent(member, { ...override.detail, emergency: true }),
      });
    }
    await runs.appendEvent(run.tenantId, run.runId, {
      type: 'MemberStarted',
      detail: memberEvent(member, { executionId, fromVersion: service.version }),
    });
    return { status: await launch(run, running, undefined) };
  };

  /** One look at a stage: settle ended members, open gates, start members up to the caps. */
  const nextStageMove = async (event: RunTaskEvent): Promise<Move> => {
    const run = await live(event);
    if (!run) return done(0);
    const seen = run.wakeups;
    const s = event.stage ?? 0;
    const stage = run.stages[s];
    if (!stage) return done(seen);
    const [members, allGates] = await Promise.all([runs.members(run.runId, s), runs.gates(run.runId)]);
    const gates = new Map(allGates.map((gate) => [gate.gateId, gate]));
    const status = new Map(members.map((member) => [member.index, member.status]));

    // Settle the members whose upgrades ended; start again what a crash left half-done.
    const running = members.filter((member) => member.status === 'RUNNING' && member.executionId);
    const executions = new Map(
      (
        await deps.executions.getMany(
          run.tenantId,
          running.map((member) => member.executionId ?? ''),
        )
      ).map((e) => [e.executionId, e]),
    );
    for (const member of running) {
      const execution = executions.get(member.executionId ?? '');
      if (execution && isTerminal(execution.status)) status.set(member.index, await settle(run, member, execution));
      else if (!execution || execution.status === 'PENDING' || (execution.status === 'VALIDATING' && !execution.workflowArn)) {
        await launch(run, member as MemberRecord & { executionId: string }, execution);
      }
    }
    const rejected = allGates.some((gate) => gate.status === 'REJECTED');
    let halted = false;
    /** Nothing more may start: a stop, a rejected gate, too many failures (counted as this look goes), or the run moved on. */
    const stopNew = () => {
      const newlyFailed = members.filter((member) => member.status !== 'FAILED' && status.get(member.index) === 'FAILED').length;
      return halted || run.status === 'STOPPING' || run.counts.FAILED + newlyFailed > run.maxFailedMembers || rejected;
    };

    let until = Number.POSITIVE_INFINITY;
    const runningNow = () => members.filter((member) => status.get(member.index) === 'RUNNING').length;
    for (const [g, group] of stage.groups.entries()) {
      if (group.status === 'COMPLETED') continue;
      const own = members.filter((member) => member.group === g).sort((a, b) => a.index - b.index);
      if (stopNew()) continue;
      const before = await passGates(run, group.beforeGates, gates);
      if (before.holds === 'rejected') continue;
      if (before.holds) {
        if (before.holds === 'schedule') until = Math.min(until, before.until);
        continue;
      }
      if (group.status === 'PENDING') {
        await runs.updateStage(run.tenantId, run.runId, s, {}, { index: g, status: 'RUNNING' });
        await runs.appendEvent(run.tenantId, run.runId, {
          type: 'GroupStarted',
          detail: { stage: stage.name, group: group.name, members: own.length },
        });
      }
      for (const member of own) {
        const current = status.get(member.index);
        if (current !== 'PENDING' && current !== 'WAITING') continue;
        if (stopNew()) break;
        const inGroup = own.filter((m) => status.get(m.index) === 'RUNNING').length;
        if (inGroup >= group.maxConcurrency || (stage.maxConcurrency !== undefined && runningNow() >= stage.maxConcurrency)) {
          await hold(run, { ...member, status: current }, 'concurrency');
          if (current === 'PENDING') status.set(member.index, 'WAITING');
          continue;
        }
        const result = await tryStart(run, { ...member, status: current });
        if (result.until !== undefined) until = Math.min(until, result.until);
        if (result.halted) halted = true;
        status.set(member.index, result.status);
      }
      if (own.every((member) => MEMBER_DONE.includes(status.get(member.index) ?? 'PENDING'))) {
        const after = await passGates(run, group.afterGates, gates);
        if (after.holds === undefined) {
          await runs.updateStage(run.tenantId, run.runId, s, {}, { index: g, status: 'COMPLETED' });
          await runs.appendEvent(run.tenantId, run.runId, { type: 'GroupCompleted', detail: { stage: stage.name, group: group.name } });
          group.status = 'COMPLETED';
        }
      }
    }
    if (stage.groups.every((group) => group.status === 'COMPLETED')) return done(seen);
    if (stopNew() && runningNow() === 0) return done(seen);
    // Another upgrade of a member's service ends without waking the run: look again as often as while members run.
    const busy = members.some(
      (member) =>
        status.get(member.index) === 'WAITING' && (heldFor.get(`${run.runId}#${member.index}`) ?? member.reason) === 'service-busy',
    );
    for (const member of members) heldFor.delete(`${run.runId}#${member.index}`);
    const recheck = runningNow() > 0 || busy ? RECHECK_WHILE_RUNNING_SECONDS : RECHECK_WHILE_WAITING_SECONDS;
    const looks = (event.looks ?? 0) + 1;
    if (looks >= (deps.maxStageChildLooks ?? MAX_STAGE_CHILD_LOOKS)) {
      // Hand over: the next attempt's child (a new name) picks up where this one stands.
      await runs.updateStage(run.tenantId, run.runId, s, { attempt: (stage.attempt ?? 0) + 1 });
      return done(seen);
    }
    return {
      next: 'park',
      stage: s,
      attempt: 0,
      looks,
      wakeups: seen,
      recheckSeconds: Math.min(recheck, until === Number.POSITIVE_INFINITY ? recheck : flowSecondsUntil(until)),
    };
  };

  /** One look at the run: stop, fail, or walk the stages (gates, the stage's child flow, the wait after). */
  const nextRunMove = async (event: RunTaskEvent): Promise<Move> => {
    const run = await live(event);
    if (!run) return done(0);
    const seen = run.wakeups;
    if (run.status === 'STOPPING') {
      await runs.transition(run.tenantId, run.runId, {
        from: ['STOPPING'],
        to: 'STOPPED',
        event: { type: 'UpdateRunStopped', detail: { counts: run.counts } },
      });
      return done(seen);
    }
    const gates = await runs.gates(run.runId);
    const rejected = gates.find((gate) => gate.status === 'REJECTED');
    const fail = async (statusReason: string) => {
      await runs.transition(run.tenantId, run.runId, {
        from: ['RUNNING'],
        to: 'FAILED',
        set: { statusReason },
        event: { type: 'UpdateRunFailed', detail: { reason: statusReason, counts: run.counts } },
      });
      return done(seen);
    };
    if (rejected) {
      return fail(
        `Rejected at gate ${rejected.name} by ${rejected.decidedBy ?? 'an approver'}${rejected.comment ? `: ${rejected.comment}` : ''}`,
      );
    }
    if (run.counts.FAILED > run.maxFailedMembers) {
      return fail(`${run.counts.FAILED} members failed; the run allows ${run.maxFailedMembers}`);
    }
    const byId = new Map(gates.map((gate) => [gate.gateId, gate]));
    for (const [s, stage] of run.stages.entries()) {
      if (stage.status === 'COMPLETED') continue;
      const before = await passGates(run, stage.beforeGates, byId);
      if (before.holds === 'rejected') return nextRunMove(event);
      if (before.holds) {
        const recheck = before.holds === 'schedule' ? flowSecondsUntil(before.until) : RECHECK_WHILE_WAITING_SECONDS;
        return {
          next: 'park',
          stage: -1,
          attempt: 0,
          looks: 0,
          wakeups: seen,
          recheckSeconds: Math.min(recheck, RECHECK_WHILE_WAITING_SECONDS),
        };
      }
      if (stage.status === 'PENDING') {
        await runs.updateStage(run.tenantId, run.runId, s, { status: 'RUNNING', startedAt: now().toISOString() });
        await runs.appendEvent(run.tenantId, run.runId, { type: 'StageStarted', detail: { stage: stage.name, index: s } });
      }
      if (!stage.groups.every((group) => group.status === 'COMPLETED'))
        return { next: 'stage', stage: s, attempt: stage.attempt ?? 0, looks: 0, wakeups: seen, recheckSeconds: 1 };
      const membersDoneAt = stage.membersDoneAt ?? now().toISOString();
      if (!stage.membersDoneAt) await runs.updateStage(run.tenantId, run.runId, s, { membersDoneAt });
      const after = await passGates(run, stage.afterGates, byId);
      if (after.holds)
        return { next: 'park', stage: -1, attempt: 0, looks: 0, wakeups: seen, recheckSeconds: RECHECK_WHILE_WAITING_SECONDS };
      const waitEnds = flowAfter(membersDoneAt, stage.afterStageWaitSeconds);
      if (waitEnds > now().getTime())
        return { next: 'park', stage: -1, attempt: 0, looks: 0, wakeups: seen, recheckSeconds: flowSecondsUntil(waitEnds) };
      await runs.updateStage(run.tenantId, run.runId, s, { status: 'COMPLETED', finishedAt: now().toISOString() });
      await runs.appendEvent(run.tenantId, run.runId, { type: 'StageCompleted', detail: { stage: stage.name, index: s } });
    }
    const latest = (await runs.get(run.tenantId, run.runId)) ?? run;
    await runs.transition(run.tenantId, run.runId, {
      from: ['RUNNING'],
      to: 'COMPLETED',
      event: { type: 'UpdateRunCompleted', detail: { counts: latest.counts } },
    });
    // By the strategy the run gives its members, if it gives one (else they take their services' own).
    deps.metrics?.count('UpdateRunCompleted', run.upgrade.strategy);
    return done(seen);
  };

  return {
    nextRunMove,
    nextStageMove,

    /** Parks the flow on its task token, or wakes it at once when something changed since it looked. */
    async park(event: RunTaskEvent & { seen: number; token: string }) {
      const parked = await runs.park(event.tenantId, event.runId, event.token, event.seen);
      if (!parked) await deps.workflow.succeed(event.token, { woke: true });
      return { parked };
    },

    /**
     * The stage's child of the current name had already ended (StartExecution answered
     * ExecutionAlreadyExists) while the stage is not done: it ended FAILED before the parent
     * saw it. A new attempt gives the next child a new name; its looks pick up where the
     * stage is, as any look does.
     */
    async restartStage(event: RunTaskEvent & { stage: number }) {
      const run = await live(event);
      const stage = run?.stages[event.stage];
      if (!run || !stage) return { restarted: false };
      const attempt = (stage.attempt ?? 0) + 1;
      await runs.updateStage(run.tenantId, run.runId, event.stage, { attempt });
      deps.logger.warn('a stage child had ended before its stage was done; starting another', {
        runId: run.runId,
        stage: event.stage,
        attempt,
      });
      return { restarted: true, attempt };
    },

    /** A task failed for good (the flow's Catch): the run ends FAILED with the error, visibly. */
    async failRun(event: RunTaskEvent & { error?: { Error?: string; Cause?: string } }) {
      const run = await runs.get(event.tenantId, event.runId);
      if (!run || run.generation !== event.generation || (run.status !== 'RUNNING' && run.status !== 'STOPPING')) return { failed: false };
      // The error's name only: its Cause can carry ARNs and internal detail, which go to the log, not to tenants.
      const reason = `The run flow failed: ${event.error?.Error ?? 'unknown error'}`;
      deps.logger.error('an update run flow failed', { runId: run.runId, error: event.error });
      await runs.transition(run.tenantId, run.runId, {
        from: [run.status],
        to: 'FAILED',
        set: { statusReason: reason },
        event: { type: 'UpdateRunFailed', detail: { reason } },
      });
      return { failed: true };
    },
  };
}

export type RunTasks = ReturnType<typeof makeRunTasks>;

/** Wakes a run's parked flow: bumps its wake-ups and completes the token it parked on, if any. */
export function makeRunWaker(deps: { runs: Pick<RunRepository, 'wake'>; workflow: Pick<Workflow, 'succeed'> }) {
  return async (tenantId: string, runId: string) => {
    const token = await deps.runs.wake(tenantId, runId);
    if (token) await deps.workflow.succeed(token, { woke: true });
  };
}
