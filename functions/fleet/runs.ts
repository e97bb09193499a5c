import { randomBytes } from 'node:crypto';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { CatalogVersion } from '../catalog/schemas.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../common/errors.js';
import { type EventsQuery, toEventPage, toFeedQuery } from '../common/feed-schemas.js';
import type { Principal } from '../common/http/principal.js';
import type { Page } from '../common/pagination.js';
import { MEMBER_DONE, type RunStatus, runSourcesOf } from '../domain/fleet.js';
import { nextWindowStart } from '../pipeline/maintenance-window.js';
import type { ServiceRecord } from '../services/service.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { HealthProbe } from '../upgrade-tasks/health-probe.js';
import { runPreChecks } from '../upgrade-tasks/pre-checks.js';
import type { ExecutionRecord } from '../upgrades/execution.js';
import { checkGates, type GateCheckDeps } from '../upgrades/gate-checks.js';
import { planBatches } from '../upgrades/plan.js';
import type { UpgradeGuard } from '../upgrades/upgrade-guard.js';
import type { UpgradeRepository } from '../upgrades/upgrade-repository.js';
import type { Workflow } from '../upgrades/workflow.js';
import { DEFAULT_UPGRADE_SECONDS, estimateRun, memberKnobs, planRun } from './plan.js';
import { type MemberRecord, memberRef, type RunRecord, toRunSummary, toRunView, zeroCounts } from './run-records.js';
import type { RunRepository } from './run-repository.js';
import type { CreateRunBody, MemberView, UpdateRunView } from './schemas.js';
import type { Strategies } from './strategies.js';

export type RunSummaryView = Omit<UpdateRunView, 'stages'>;

/** Fleet update runs (docs/architecture.md#fleet-update-runs). */
export interface UpdateRuns {
  /** Creates a NOT_STARTED run; `trigger` names the auto-upgrade profile that asked for it. */
  create(
    tenantId: string,
    body: CreateRunBody,
    principal: Principal,
    options?: { trigger?: { profile: string; version: string } },
  ): Promise<UpdateRunView>;
  /** The same answer as `create`, with pre-checks and estimates, and nothing written. */
  plan(tenantId: string, body: CreateRunBody, principal: Principal): Promise<UpdateRunView>;
  list(
    tenantId: string,
    query: { limit: number; nextToken?: string; status?: RunStatus; componentId?: string },
  ): Promise<Page<RunSummaryView>>;
  get(tenantId: string, runId: string): Promise<UpdateRunView>;
  /** The run's timeline from a cursor, optionally held as a long poll (docs/architecture.md#events-feed). */
  events(tenantId: string, runId: string, query: EventsQuery): Promise<ReturnType<typeof toEventPage<'timeline'>>>;
  start(tenantId: string, runId: string, principal: Principal, comment?: string): Promise<UpdateRunView>;
  stop(tenantId: string, runId: string, principal: Principal, comment?: string): Promise<UpdateRunView>;
  cancel(tenantId: string, runId: string, principal: Principal, comment?: string): Promise<UpdateRunView>;
  skip(
    tenantId: string,
    runId: string,
    member: { project: string; service: string },
    principal: Principal,
    comment?: string,
  ): Promise<UpdateRunView>;
  decideGate(
    tenantId: string,
    runId: string,
    gateId: string,
    decision: 'approve' | 'reject',
    body: { comment?: string },
    principal: Principal,
    /** A decision through a notifier's decision link, recorded as made through it. */
    through?: { readonly linkId: string; readonly notifier: string },
  ): Promise<UpdateRunView>;
}

// ---------------------------------------------------------------------------------------
// The use cases.
// ---------------------------------------------------------------------------------------

/** Time-ordered, so that listing by id lists by creation (as upgrade execution ids). */
export function newRunId(now: Date): string {
  const random = BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString(36)
    .padStart(13, '0');
  return `run_${now.getTime().toString(36).padStart(9, '0')}${random}`;
}

/** How long a dry run probes health URLs in all (the API function has 10 s). */
export const DRY_RUN_PROBE_BUDGET_MS = 4_000;

export interface UpdateRunsDeps {
  readonly runs: RunRepository;
  readonly services: ServiceRepository;
  readonly catalog: CatalogRepository;
  readonly strategies: Pick<Strategies, 'get'>;
  /** Statistics (for the estimates) and the active-upgrade locks (for the plan's service-busy). */
  readonly upgrades: Pick<UpgradeRepository, 'statistics' | 'active'>;
  readonly workflow: Workflow;
  readonly clock: Clock;
  /** The dry run's health-endpoints pre-check. */
  readonly probe: HealthProbe;
  /** The pipelines' ceiling check, for the plan's awaiting-validation. */
  readonly pipeline?: UpgradeGuard;
  /** The `upgrade`'s alarms must exist and its analysis URL pass the SSRF guard (functions/upgrades/gate-checks.ts). */
  readonly gates?: GateCheckDeps;
  /** Wakes a parked run flow (a gate decided, a member skipped, a stop). */
  wake(tenantId: string, runId: string): Promise<void>;
}

/** The component's average upgrade length from its statistics, or {@link DEFAULT_UPGRADE_SECONDS}. */
export async function averageUpgradeSeconds(upgrades: Pick<UpgradeRepository, 'statistics'>, tenantId: string, componentId: string) {
  const stats = await upgrades.statistics(tenantId, componentId);
  return stats.timedExecutions > 0 ? stats.durationSecondsSum / stats.timedExecutions : DEFAULT_UPGRADE_SECONDS;
}

export function makeUpdateRuns(deps: UpdateRunsDeps): UpdateRuns {
  const { runs, services, catalog, clock } = deps;

  const load = async (tenantId: string, runId: string) => {
    const run = await runs.get(tenantId, runId);
    if (!run) throw new NotFoundError(`Update run ${runId} was not found.`);
    return run;
  };

  /** Everything `create` and `plan` check before anything is written (422 naming the field). */
  const prepare = async (tenantId: string, body: CreateRunBody, principal: Principal) => {
    const component = await catalog.getComponent(body.componentId);
    if (!component) {
      throw new ValidationError(`Component ${body.componentId} was not found.`, {
        errors: [{ field: 'body.componentId', message: 'no such component' }],
      });
    }
    const versions = (await catalog.allVersions(body.componentId)) as CatalogVersion[];
    const target = versions.find((version) => version.version === body.toVersion);
    if (!target) {
      throw new ValidationError(`Version ${body.toVersion} of ${body.componentId} is not published.`, {
        errors: [{ field: 'body.toVersion', message: 'not a published version of the component' }],
      });
    }
    if (body.emergency && !target.security) {
      throw new ValidationError(`An emergency run needs a version flagged security; ${body.toVersion} is not.`, {
        errors: [{ field: 'body.emergency', message: `${body.toVersion} is not flagged security` }],
      });
    }
    // The members' gates, checked once for the run; each member's create checks them again with its own knobs.
    if (body.upgrade) await checkGates(body.upgrade, deps.gates ?? {}, { field: 'body.upgrade' });
    let stages = body.stages;
    if (body.strategyName !== undefined) {
      try {
        stages = (await deps.strategies.get(tenantId, body.strategyName)).stages;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        throw new ValidationError(`Update strategy ${body.strategyName} was not found.`, {
          errors: [{ field: 'body.strategyName', message: 'no such update strategy' }],
        });
      }
    }
    const fleet = await services.listByComponent(tenantId, body.componentId);
    const now = clock.now();
    const runId = newRunId(now);
    const planned = planRun({ runId, stages: stages ?? [], services: fleet, toVersion: body.toVersion, now });
    if ('problems' in planned) throw new ValidationError('The stages do not fit the fleet.', { errors: [...planned.problems] });
    const counts = zeroCounts();
    for (const member of planned.members) counts[member.status] += 1;
    const run: RunRecord = {
      runId,
      tenantId,
      name: body.name,
      componentId: body.componentId,
      toVersion: body.toVersion,
      status: 'NOT_STARTED',
      emergency: body.emergency,
      maxFailedMembers: body.maxFailedMembers,
      allowSelfApproval: body.allowSelfApproval,
      initiatedBy: principal.subject,
      ...(body.strategyName === undefined ? {} : { strategyName: body.strategyName }),
      upgrade: body.upgrade ?? {},
      stages: planned.stages,
      counts,
      createdAt: now.toISOString(),
      generation: 0,
      wakeups: 0,
    };
    return { run, planned, fleet, versions };
  };

  const view = async (run: RunRecord) => {
    const [members, gates] = await Promise.all([runs.members(run.runId), runs.gates(run.runId)]);
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(run.status)) return toRunView(run, members, gates);
    // Estimates need the services of the members not done only: read those, not the fleet.
    const pending = members.filter((member) => !MEMBER_DONE.includes(member.status));
    const fleet = await services.getMany(
      pending.map((member) => ({ tenantId: run.tenantId, project: member.project, name: member.service })),
    );
    const estimates = estimateRun({
      run,
      members,
      gates,
      services: new Map(fleet.map((service) => [`${service.project}/${service.name}`, service])),
      averageUpgradeSeconds: await averageUpgradeSeconds(deps.upgrades, run.tenantId, run.componentId),
      now: clock.now(),
    });
    return toRunView(run, members, gates, { estimates });
  };

  /** The dry run's status-to-be of a member that would start: why it would wait, if it would. */
  const statusToBe = async (
    run: RunRecord,
    member: MemberRecord,
    service: ServiceRecord,
    versions: readonly CatalogVersion[],
    busy: ReadonlySet<string>,
    principal: Principal,
  ): Promise<Pick<MemberRecord, 'status' | 'reason'>> => {
    if (busy.has(memberRef(member))) return { status: 'WAITING', reason: 'service-busy' };
    if (!run.emergency && deps.pipeline) {
      try {
        await deps.pipeline.checkTarget(service, run.toVersion, versions, principal.subject);
      } catch (error) {
        if (error instanceof ValidationError) return { status: 'WAITING', reason: 'awaiting-validation' };
        throw error;
      }
    }
    const window = service.maintenanceWindow;
    if (!run.emergency && window && nextWindowStart(window, clock.now()).getTime() > clock.now().getTime()) {
      return { status: 'WAITING', reason: 'maintenance-window' };
    }
    return { status: 'PENDING' };
  };

  const decideOwnGate = (run: RunRecord, principal: Principal) => {
    if (run.initiatedBy === principal.subject && !run.allowSelfApproval) {
      throw new ForbiddenError('The initiator of an update run may not decide its gates: it was not created with allowSelfApproval: true.');
    }
  };

  return {
    async create(tenantId, body, principal, options = {}) {
      const { run, planned } = await prepare(tenantId, body, principal);
      const record: RunRecord = { ...run, ...(options.trigger ? { trigger: options.trigger } : {}) };
      await runs.create(record, planned.members, planned.gates, {
        type: 'UpdateRunCreated',
        actor: principal.subject,
        detail: {
          componentId: record.componentId,
          toVersion: record.toVersion,
          emergency: record.emergency,
          members: planned.members.length,
          skipped: record.counts.SKIPPED,
          stages: record.stages.length,
          ...(record.trigger ? { trigger: record.trigger } : {}),
        },
      });
      return view(record);
    },

    async plan(tenantId, body, principal) {
      const { run, planned, fleet, versions } = await prepare(tenantId, body, principal);
      const byRef = new Map(fleet.map((service) => [`${service.project}/${service.name}`, service]));
      const busy = new Set((await deps.upgrades.active(tenantId, body.componentId)).map((e) => `${e.project}/${e.service}`));
      const preChecks = new Map<string, MemberView['preChecks']>();
      // The health URLs of a large fleet could take longer than the API's 10 s: probes stop
      // after a budget, and say so in the health-endpoints check instead of timing out the request.
      const probeDeadline = Date.now() + DRY_RUN_PROBE_BUDGET_MS;
      const probe: HealthProbe = {
        check: (url) =>
          Date.now() > probeDeadline
            ? Promise.resolve({ ok: false, detail: `not probed: the dry run's ${DRY_RUN_PROBE_BUDGET_MS / 1000} s probe budget ran out` })
            : deps.probe.check(url),
      };
      const members: MemberRecord[] = [];
      // The pre-checks probe health URLs: a few members at a time, not a thousand at once.
      const queue = [...planned.members];
      const worker = async () => {
        for (let member = queue.shift(); member; member = queue.shift()) {
          const service = byRef.get(memberRef(member));
          if (member.status === 'SKIPPED' || !service) {
            members.push(member);
            continue;
          }
          members.push({ ...member, ...(await statusToBe(run, member, service, versions, busy, principal)) });
          const knobs = memberKnobs(run, service);
          const execution = {
            fromVersion: service.version,
            toVersion: run.toVersion,
            batchBounds:
              knobs.strategy === 'BLUE_GREEN'
                ? [0, service.instances.length]
                : planBatches({ ...knobs, instances: service.instances.length }),
            installedComponents: run.upgrade.installedComponents ?? {},
          } as unknown as ExecutionRecord;
          const instances = service.instances.map((instance) => ({
            instanceId: instance.id,
            ...(instance.healthUrl === undefined ? {} : { healthUrl: instance.healthUrl }),
          }));
          preChecks.set(memberRef(member), await runPreChecks({ execution, service, versions, instances, probe }));
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      members.sort((a, b) => a.index - b.index);
      const estimates = estimateRun({
        run,
        members,
        gates: planned.gates,
        services: byRef,
        averageUpgradeSeconds: await averageUpgradeSeconds(deps.upgrades, tenantId, body.componentId),
        now: clock.now(),
      });
      return toRunView(run, members, planned.gates, { estimates, preChecks });
    },

    async list(tenantId, query) {
      const page = await runs.list(tenantId, query);
      return { items: page.items.map(toRunSummary), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },

    get: async (tenantId, runId) => view(await load(tenantId, runId)),

    async events(tenantId, runId, query) {
      await load(tenantId, runId);
      const page = await runs.events(runId, toFeedQuery(query, { now: clock.now(), expires: false }));
      return toEventPage(page, query, 'timeline');
    },

    async start(tenantId, runId, principal, comment) {
      const before = await load(tenantId, runId);
      if (before.status === 'RUNNING' && !before.workflowArn) {
        // A start cut off between the status change and the flow's start (the function died):
        // start that generation's flow now. Flow names make this idempotent.
        const workflowArn = await deps.workflow.start({
          flow: 'update-run',
          name: `${runId}-g${before.generation}`,
          input: { tenantId, runId, generation: before.generation },
        });
        return view(await runs.update(tenantId, runId, { workflowArn }));
      }
      const resumed = before.status === 'STOPPED';
      const running = await runs.transition(tenantId, runId, {
        from: ['NOT_STARTED', 'STOPPED'],
        to: 'RUNNING',
        bumpGeneration: true,
        set: before.startedAt ? {} : { startedAt: clock.now().toISOString() },
        event: {
          type: resumed ? 'UpdateRunResumed' : 'UpdateRunStarted',
          actor: principal.subject,
          ...(comment ? { detail: { comment } } : {}),
        },
      });
      try {
        const workflowArn = await deps.workflow.start({
          flow: 'update-run',
          name: `${runId}-g${running.generation}`,
          input: { tenantId, runId, generation: running.generation },
        });
        return view(await runs.update(tenantId, runId, { workflowArn }));
      } catch (error) {
        await runs.transition(tenantId, runId, {
          from: ['RUNNING'],
          to: 'FAILED',
          set: { statusReason: 'The run flow could not be started.' },
          event: { type: 'UpdateRunFailed', detail: { reason: 'workflow start failed' } },
        });
        throw error;
      }
    },

    async stop(tenantId, runId, principal, comment) {
      const stopping = await runs.transition(tenantId, runId, {
        from: ['RUNNING'],
        to: 'STOPPING',
        event: {
          type: 'UpdateRunStopRequested',
          actor: principal.subject,
          detail: { takesEffect: 'running member upgrades finish; no new one starts', ...(comment ? { comment } : {}) },
        },
      });
      await deps.wake(tenantId, runId);
      return view(stopping);
    },

    async cancel(tenantId, runId, principal, comment) {
      const cancelled = await runs.transition(tenantId, runId, {
        from: runSourcesOf('CANCELLED'),
        to: 'CANCELLED',
        event: { type: 'UpdateRunCancelled', actor: principal.subject, ...(comment ? { detail: { comment } } : {}) },
      });
      return view(cancelled);
    },

    async skip(tenantId, runId, ref, principal, comment) {
      const run = await load(tenantId, runId);
      const member = (await runs.members(runId)).find((m) => m.project === ref.project && m.service === ref.service);
      if (!member) throw new NotFoundError(`${ref.project}/${ref.service} is not a member of update run ${runId}.`);
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(run.status)) {
        throw new ConflictError(`The update run is ${run.status}; its members no longer change.`, {
          extensions: { currentStatus: run.status },
        });
      }
      const moved =
        (member.status === 'PENDING' || member.status === 'WAITING') &&
        (await runs.moveMember(tenantId, member, {
          from: ['PENDING', 'WAITING'],
          to: 'SKIPPED',
          set: { reason: `skipped by ${principal.subject}` },
        }));
      if (!moved) {
        const now = (await runs.members(runId)).find((m) => m.index === member.index);
        throw new ConflictError(
          `Member ${ref.project}/${ref.service} is ${now?.status ?? member.status}; only a PENDING or WAITING member can be skipped.`,
          {
            extensions: { currentStatus: now?.status ?? member.status },
          },
        );
      }
      await runs.appendEvent(tenantId, runId, {
        type: 'MemberSkipped',
        actor: principal.subject,
        detail: { project: ref.project, service: ref.service, ...(comment ? { comment } : {}) },
      });
      await deps.wake(tenantId, runId);
      return view(await load(tenantId, runId));
    },

    async decideGate(tenantId, runId, gateId, decision, body, principal, through) {
      const run = await load(tenantId, runId);
      const gate = (await runs.gates(runId)).find((g) => g.gateId === gateId);
      if (!gate) throw new NotFoundError(`Gate ${gateId} of update run ${runId} was not found.`);
      if (gate.type !== 'approval') {
        throw new ConflictError(`Gate ${gateId} is a schedule gate: it completes by itself at ${gate.startAt}.`, {
          extensions: { currentStatus: gate.status },
        });
      }
      if (run.status !== 'RUNNING' || gate.status !== 'WAITING') {
        throw new ConflictError(
          `Gate ${gateId} is ${gate.status} and the run is ${run.status}: only a WAITING gate of a RUNNING run can be decided.`,
          {
            extensions: { currentStatus: gate.status, runStatus: run.status },
          },
        );
      }
      decideOwnGate(run, principal);
      const decidedAt = clock.now().toISOString();
      const decided = await runs.moveGate(gate, {
        from: ['WAITING'],
        to: decision === 'approve' ? 'APPROVED' : 'REJECTED',
        set: { decidedBy: principal.subject, decidedAt, ...(body.comment ? { comment: body.comment } : {}) },
      });
      if (!decided) throw new ConflictError(`Gate ${gateId} was decided meanwhile.`, { extensions: { currentStatus: 'DECIDED' } });
      await runs.appendEvent(tenantId, runId, {
        type: decision === 'approve' ? 'GateApproved' : 'GateRejected',
        actor: principal.subject,
        detail: {
          gateId,
          gate: gate.name,
          ...(body.comment ? { comment: body.comment } : {}),
          ...(run.initiatedBy === principal.subject ? { selfApproved: true } : {}),
          ...(through ? { via: 'decision-link', linkId: through.linkId, notifier: through.notifier } : {}),
        },
      });
      await deps.wake(tenantId, runId);
      return view(await load(tenantId, runId));
    },
  };
}
