/**
 * The auto-upgrade fan-out (docs/architecture.md#auto-upgrade-profiles): when a version
 * of a component is published, every enabled profile on that component whose channel
 * admits it for its tenant gets one update run, created and started in the profile's
 * tenant. Called with the VersionPublished event, never inside the publish request.
 */
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { CatalogVersion } from '../catalog/schemas.js';
import { admitsVersion } from '../catalog/version-policy.js';
import type { Clock } from '../common/clock.js';
import { AppError, ConflictError } from '../common/errors.js';
import type { Principal } from '../common/http/principal.js';
import type { Logger } from '../common/logger.js';
import { AUTO_UPGRADE_INITIATOR } from '../domain/fleet.js';
import type { ServiceRepository } from '../services/service-repository.js';
import type { ProfileRecord, ProfileRepository, RunMarker } from './profile-repository.js';
import type { ProfileChannel } from './profile-schemas.js';
import type { UpdateRuns } from './runs.js';
import type { CreateRunBody } from './schemas.js';

/**
 * Whether a profile on `channel` admits `version` for a tenant whose services of the
 * component run `memberVersions`: some member could move to it on that channel by the
 * version policy ({@link admitsVersion}, the same rule a service's own
 * `autoUpgradeChannel` follows). So the version must be newer than that member, reachable
 * in one step with no blockers (patches are free, a minor upgrade only from the minor
 * series just below, a major only from the newest minor of the old major), and:
 *
 * - `patch`: a release in that member's minor series (an older patch of the same
 *   major.minor), on any release channel;
 * - `stable`: a release on the `stable` channel;
 * - `rapid`: anything on `rapid` or `stable`, pre-releases included;
 * - `security-only`: a release flagged `security`.
 *
 * A tenant with no service on the component is admitted nothing: a run would have no
 * member. `versions` is the component's whole catalog, the published version included.
 *
 * @example
 * ```ts
 * admits('patch', '1.2.4', { versions, memberVersions: ['1.2.3'] }); // true
 * admits('patch', '1.3.0', { versions, memberVersions: ['1.2.3'] }); // false: another minor
 * ```
 */
export function admits(
  channel: ProfileChannel,
  version: string,
  { versions, memberVersions }: { versions: readonly CatalogVersion[]; memberVersions: readonly string[] },
): boolean {
  return memberVersions.some((current) => admitsVersion(channel, current, version, versions));
}

/** What happened to one profile on one publish. */
export interface ProfileOutcome {
  readonly tenantId: string;
  readonly profile: string;
  /**
   * `started`: a run was created and started; `disabled`, `not-admitted`: left alone;
   * `duplicate`: an earlier delivery of the event handled it; `in-progress`: another
   * delivery holds its claim (it is at work, or it died and its lease is not over yet);
   * `failed`: refused for good (a 4xx: strategy deleted, another run of the component
   * running, …); `retry`: an unexpected error, or no time left before the deadline.
   * `in-progress` and `retry` are for the next delivery of the event.
   */
  readonly outcome: 'started' | 'disabled' | 'not-admitted' | 'duplicate' | 'in-progress' | 'failed' | 'retry';
  readonly runId?: string;
  readonly error?: { readonly name: string; readonly message: string; readonly status?: number };
}

export interface VersionPublished {
  readonly componentId: string;
  readonly version: string;
}

export interface AutoUpgrade {
  /**
   * Starts the runs a publish asks for. Exactly once per (tenant, profile, version),
   * however often the event is delivered; one profile failing does not stop the others.
   * Answers every profile's outcome; a caller should have the event delivered again when
   * one is `retry` or `in-progress` ({@link mustComeAgain}).
   *
   * `deadline` is when the caller's invocation ends (its timeout): a claim is held until
   * then, and no profile is begun within {@link AutoUpgradeDeps.reserveMs} of it.
   */
  onVersionPublished(event: VersionPublished, options?: { deadline?: Date }): Promise<ProfileOutcome[]>;
}

export interface AutoUpgradeDeps {
  readonly profiles: Pick<ProfileRepository, 'byComponent' | 'claimRun' | 'updateRun' | 'recordLastRun'>;
  readonly runs: Pick<UpdateRuns, 'create' | 'start' | 'get' | 'cancel'>;
  readonly services: Pick<ServiceRepository, 'listByComponent'>;
  /** The component's whole catalog ({@link CatalogRepository.allVersions}). */
  readonly catalog: { allVersions(componentId: string): Promise<readonly CatalogVersion[]> };
  readonly clock: Clock;
  readonly logger: Logger;
  /** The deadline when the caller gives none: this long after the event arrives. @default 5 minutes */
  readonly defaultBudgetMs?: number;
  /** Time kept back before the deadline: enough to create and start one run. @default 30 s */
  readonly reserveMs?: number;
  /** Tenants handled at once (one tenant's profiles always one after the other). @default 4 */
  readonly concurrency?: number;
}

/** Whether the event should be delivered again: some profile was left for later. */
export function mustComeAgain(outcomes: readonly ProfileOutcome[]): boolean {
  return outcomes.some((outcome) => outcome.outcome === 'retry' || outcome.outcome === 'in-progress');
}

/** A run name the runs accept (letters, digits, space, `._-`, at most 63): `<profile> <version>`. */
export function autoRunName(profile: string, version: string): string {
  return `${profile} ${version}`.replace(/[^A-Za-z0-9 ._-]/g, '-').slice(0, 63);
}

export function makeAutoUpgrade(deps: AutoUpgradeDeps): AutoUpgrade {
  const { profiles, runs, services, catalog, clock, logger } = deps;
  const defaultBudgetMs = deps.defaultBudgetMs ?? 5 * 60_000;
  const reserveMs = deps.reserveMs ?? 30_000;
  const concurrency = Math.max(1, deps.concurrency ?? 4);

  const describe = (error: unknown): NonNullable<ProfileOutcome['error']> =>
    error instanceof AppError
      ? { name: error.name, message: error.message, status: error.status }
      : { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) };

  /** Creates (unless an earlier attempt did) and starts the run of one admitted profile. */
  async function runProfile(profile: ProfileRecord, published: CatalogVersion, deadline: Date): Promise<ProfileOutcome> {
    const { tenantId, name } = profile;
    const key = { tenantId, profile: name, version: published.version };
    const claim = await profiles.claimRun(key, clock.now().toISOString(), deadline.toISOString());
    if (!claim.taken) return notTaken(profile, claim.marker);

    const principal: Principal = { subject: AUTO_UPGRADE_INITIATOR, tenantId, roles: new Set(['operator']) };
    let runId = claim.marker.runId;
    try {
      if (runId === undefined) {
        const body: CreateRunBody = {
          name: autoRunName(name, published.version),
          componentId: profile.componentId,
          toVersion: published.version,
          strategyName: profile.strategyName,
          ...(profile.upgrade === undefined ? {} : { upgrade: profile.upgrade }),
          emergency: published.security && profile.emergencyForSecurity,
          maxFailedMembers: 0,
          allowSelfApproval: false,
        };
        const run = await runs.create(tenantId, body, principal, { trigger: { profile: name, version: published.version } });
        runId = run.runId;
        await profiles.updateRun(key, { status: 'CREATED', runId });
      }
      // Resuming an earlier attempt's run: it may have been started just before that attempt died.
      const resumed = claim.marker.runId === undefined ? undefined : await runs.get(tenantId, runId);
      if (resumed === undefined || resumed.status === 'NOT_STARTED') {
        try {
          await runs.start(tenantId, runId, principal);
        } catch (error) {
          // Another run of the component is running (one per component): the run made for
          // this version would only wait NOT_STARTED for nobody. Cancel it; the refusal is
          // recorded on the marker below, and the profile's lastRun stays what it was.
          if (error instanceof ConflictError && error.extensions.runningRunId !== undefined) {
            await runs.cancel(tenantId, runId, principal, `not started: ${(error as Error).message}`);
          }
          throw error;
        }
      }
      await profiles.updateRun(key, { status: 'STARTED', startedAt: resumed?.startedAt ?? clock.now().toISOString() });
      const started = resumed ?? (await runs.get(tenantId, runId));
      await profiles.recordLastRun(
        tenantId,
        name,
        { runId, version: published.version, createdAt: started.createdAt },
        clock.now().toISOString(),
      );
      logger.info('auto-upgrade run started', { tenantId, profile: name, version: published.version, runId });
      return { tenantId, profile: name, outcome: 'started', runId };
    } catch (error) {
      // A refusal (4xx) is final and recorded; anything else is left for the next delivery.
      const final = error instanceof AppError && error.status < 500;
      const described = describe(error);
      logger[final ? 'warn' : 'error']('auto-upgrade run not started', {
        tenantId,
        profile: name,
        version: published.version,
        ...(runId === undefined ? {} : { runId }),
        error: described,
      });
      try {
        await profiles.updateRun(key, { status: final ? 'FAILED' : 'RETRY', failedAt: clock.now().toISOString(), error: described });
      } catch (recordError) {
        // The claim then lapses after its lease and a later delivery takes it over.
        logger.error('auto-upgrade marker not updated', { tenantId, profile: name, version: published.version, error: recordError });
      }
      return { tenantId, profile: name, outcome: final ? 'failed' : 'retry', ...(runId === undefined ? {} : { runId }), error: described };
    }
  }

  /** Handled by another delivery: for good (STARTED, FAILED), or still under its claim. */
  const notTaken = (profile: ProfileRecord, marker: RunMarker): ProfileOutcome => {
    const outcome = marker.status === 'STARTED' || marker.status === 'FAILED' ? 'duplicate' : 'in-progress';
    logger.info(outcome === 'duplicate' ? 'auto-upgrade already handled' : 'auto-upgrade claimed by another delivery', {
      tenantId: profile.tenantId,
      profile: profile.name,
      version: marker.version,
      status: marker.status,
    });
    return {
      tenantId: profile.tenantId,
      profile: profile.name,
      outcome,
      ...(marker.runId === undefined ? {} : { runId: marker.runId }),
    };
  };

  /** One tenant's profiles, one after the other: two of them may aim at the same component. */
  async function runTenant(
    tenantId: string,
    tenantProfiles: ProfileRecord[],
    published: CatalogVersion,
    versions: readonly CatalogVersion[],
    deadline: Date,
  ) {
    const outcomes: ProfileOutcome[] = [];
    let memberVersions: string[] | undefined;
    for (const profile of tenantProfiles) {
      if (profile.disabled) {
        outcomes.push({ tenantId, profile: profile.name, outcome: 'disabled' });
        continue;
      }
      try {
        memberVersions ??= (await services.listByComponent(tenantId, profile.componentId)).map((service) => service.version);
        if (!admits(profile.channel, published.version, { versions, memberVersions })) {
          outcomes.push({ tenantId, profile: profile.name, outcome: 'not-admitted' });
          continue;
        }
        if (deadline.getTime() - clock.now().getTime() < reserveMs) {
          // Not begun rather than cut off by the timeout with a claim held: the next delivery takes it.
          outcomes.push({ tenantId, profile: profile.name, outcome: 'retry', error: { name: 'Deadline', message: 'no time left' } });
          continue;
        }
        outcomes.push(await runProfile(profile, published, deadline));
      } catch (error) {
        // Before a claim (the members, the claim itself): nothing was written, a redelivery starts afresh.
        logger.error('auto-upgrade profile not handled', { tenantId, profile: profile.name, version: published.version, error });
        outcomes.push({ tenantId, profile: profile.name, outcome: 'retry', error: describe(error) });
      }
    }
    return outcomes;
  }

  return {
    async onVersionPublished({ componentId, version }, options = {}) {
      const deadline = options.deadline ?? new Date(clock.now().getTime() + defaultBudgetMs);
      const versions = await catalog.allVersions(componentId);
      const published = versions.find((entry) => entry.version === version);
      // The event is written with the version, so this is a read that lags: let it come again.
      if (!published) throw new Error(`Version ${version} of component ${componentId} is not in the catalog (yet).`);

      const byTenant = new Map<string, ProfileRecord[]>();
      for (const profile of await profiles.byComponent(componentId)) {
        byTenant.set(profile.tenantId, [...(byTenant.get(profile.tenantId) ?? []), profile]);
      }
      const tenants = [...byTenant.entries()].map(([tenantId, list]) => ({
        tenantId,
        list: list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      }));
      tenants.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));

      const results: ProfileOutcome[][] = new Array(tenants.length);
      let next = 0;
      const worker = async () => {
        while (next < tenants.length) {
          const index = next++;
          const tenant = tenants[index];
          if (tenant) results[index] = await runTenant(tenant.tenantId, tenant.list, published, versions, deadline);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, tenants.length) }, worker));
      return results.flat();
    },
  };
}
