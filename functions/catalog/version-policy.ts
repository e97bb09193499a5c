/**
 * Version policy (docs/architecture.md#version-policy): which upgrade paths are supported, what they cost, and
 * which release an auto-upgrade channel moves a service to next.
 *
 * Pure on purpose: no I/O, no clock, no AWS. The catalog is passed in, so the same
 * rules serve the API, the executions' pre-checks, the pipelines and the tests.
 *
 * Decisions the rules leave open, in one place (docs/decisions/0017-version-policy-as-a-pure-module.md):
 * - A "minor step" is the next minor series *published in the catalog*, not
 *   `minor + 1`: a gap in the numbering (1.2 → 1.4 with no 1.3 published) is not a
 *   step that could never be taken, since nothing may block forever.
 * - Crossing a major is only allowed from the newest minor series of the old major to
 *   the first minor series of the next major (normally `x.0`), which is the same
 *   "next series in the catalog" rule seen across a major boundary.
 * - A version's own blockers block the paths that land on it; versions passed over
 *   are not installed, so their blockers do not apply.
 * - A pre-release belongs to its release's minor series and sorts before it.
 * - Build metadata has no precedence: versions that differ only by it are the same.
 */

import type { SemVer } from 'semver';
import { semver } from '../common/semver.js';
import type { AutoUpgradeChannel } from '../domain/channels.js';
import type { Blocker, CatalogVersion } from './schemas.js';

/** Verdict of {@link checkUpgradePath}: `allowed` is true exactly when `blockers` is empty. */
export interface UpgradePathResult {
  allowed: boolean;
  blockers: Blocker[];
  impact: string[];
}

/** Impact notes for the kind of move; exported so callers and tests share the wording. */
export const PATH_IMPACT = {
  patch: 'Patch upgrade: instances are recycled one batch at a time; the control plane stays available.',
  minor:
    'Minor upgrade: instances are recycled one batch at a time, and the control plane has a brief downtime while it switches to the new minor version.',
  major:
    'Major upgrade: instances are recycled one batch at a time, and the control plane has a brief downtime while it switches to the new major version.',
  patchRollback:
    'Patch rollback: instances are recycled back to the earlier patch one batch at a time; fixes released after it are undone.',
  minorRollback:
    'Minor rollback: instances are recycled back to the earlier minor version, and the control plane has a brief downtime while it switches back; changes released after it are undone.',
} as const;

interface Entry {
  readonly entry: CatalogVersion;
  readonly sv: SemVer;
}

/**
 * Whether `v` is a strict semver `MAJOR.MINOR.PATCH[-pre][+build]`, as written.
 *
 * `semver.valid` alone is too lenient for catalog keys: it accepts a leading `v` and
 * surrounding spaces and returns a normalised string, so `v1.2.3` and `1.2.3` would be
 * two catalog entries for one version. Requiring the input to be its own canonical
 * form rejects those.
 *
 * @example
 * ```ts
 * isValidVersion('1.2.3-rc.1+build.5'); // true
 * isValidVersion('v1.2.3'); // false
 * isValidVersion('01.2.3'); // false
 * ```
 */
export function isValidVersion(v: string): boolean {
  return parseStrict(v) !== undefined;
}

/**
 * Total order of versions: semver precedence, then build metadata as a tie-breaker so
 * that sorting is deterministic. Agrees with {@link versionSortKey}.
 *
 * @throws TypeError when either argument is not a valid version ({@link isValidVersion}).
 * @example
 * ```ts
 * ['1.10.0', '1.2.0', '1.2.0-rc.1'].sort(compareVersions); // ['1.2.0-rc.1', '1.2.0', '1.10.0']
 * ```
 */
export function compareVersions(a: string, b: string): number {
  return semver.compareBuild(parseOrThrow(a), parseOrThrow(b));
}

// MAX_SAFE_INTEGER has 16 digits, and semver accepts any core number up to it, so
// padding to 16 keeps every valid version's key fixed-width and ordered.
const CORE_WIDTH = 16;
// Separators sit below every identifier character ('-' is the lowest at 0x2D), so a
// shorter identifier or list sorts before a longer one that extends it, as semver wants:
// END ('!') < SEP (',') < '-' < digits < letters.
const SEP = ',';
const END = '!';

/**
 * A string whose plain (byte-wise) order equals {@link compareVersions}, for use as a
 * DynamoDB sort key.
 *
 * Layout: the three core numbers zero-padded to 16 digits, then `-` and the
 * pre-release identifiers, or `~` for a release (`~` sorts after `-`, so every
 * pre-release precedes its release), then `+` and the build identifiers when present.
 * Identifiers are tagged `n` (numeric, length-prefixed so `11` > `2`) or `s`
 * (alphanumeric), as numeric identifiers precede alphanumeric ones in semver.
 *
 * Caveat: build identifiers differing only by leading zeros (`+001`, `+1`) compare
 * equal in semver and get the same key.
 *
 * @throws TypeError when `v` is not a valid version.
 * @example
 * ```ts
 * versionSortKey('1.0.0-beta.11') < versionSortKey('1.0.0'); // true
 * versionSortKey('1.0.0-beta.2') < versionSortKey('1.0.0-beta.11'); // true
 * ```
 */
export function versionSortKey(v: string): string {
  const sv = parseOrThrow(v);
  const core = [sv.major, sv.minor, sv.patch].map((n) => String(n).padStart(CORE_WIDTH, '0')).join('.');
  const pre = sv.prerelease.length > 0 ? `-${encodeIdentifiers(sv.prerelease)}` : '~';
  const build = sv.build.length > 0 ? `+${encodeIdentifiers(sv.build)}` : '';
  return `${core}${pre}${build}`;
}

/**
 * Checks one move of a service from `from` to `to` against the version policy
 * (docs/architecture.md#version-policy) and lists the impact notes that apply.
 *
 * Rules, in the order they are reported:
 * - `INVALID_VERSION`: either side is not a strict semver (nothing else is checked).
 * - `UNKNOWN_VERSION`: either side is missing from the catalog; a service's current
 *   version must be a catalog version too (nothing else is checked).
 * - `SAME_VERSION`: equal precedence.
 * - Upgrades stay within the current minor series (patches are free) or move to the
 *   next series published in the catalog; otherwise `MINOR_SKIP`, or `MAJOR_SKIP`
 *   when the target is in another major. Hence a major is crossed only from the
 *   newest minor of the old major to the first minor of the next one. The reason
 *   names the version to go through first.
 * - Downgrades stay within one minor series; otherwise `MINOR_DOWNGRADE`, unless
 *   `rollbackOf` is the execution that made exactly the reverse move
 *   (`rollbackOf.fromVersion === to && rollbackOf.toVersion === from`).
 * - `PRERELEASE_ON_STABLE`: the target is a pre-release published on the `stable`
 *   channel.
 * - The target version's own `blockers`. Versions passed over are never installed, so
 *   theirs do not apply.
 *
 * A matching rollback skips the last two: returning to the version the service ran a
 * moment ago restores a known state, and blocking it would leave the service stranded.
 *
 * Impact: one note for the kind of move (patch / minor / major upgrade, patch / minor
 * rollback), then for upgrades each catalog version in `(from, to]`'s own `impact` and
 * `notes`, oldest first, prefixed with the version. Pre-releases in that range other
 * than the target are left out: their release's notes supersede them. Impact is given
 * even when the path is blocked, so a caller can show both.
 *
 * @example
 * ```ts
 * const versions = [
 *   { version: '1.2.3', channel: 'stable', security: false },
 *   { version: '1.3.0', channel: 'stable', security: false, notes: 'Adds audit log.' },
 *   { version: '1.4.0', channel: 'stable', security: false },
 * ];
 * checkUpgradePath({ from: '1.2.3', to: '1.3.0', versions }).allowed; // true
 * checkUpgradePath({ from: '1.2.3', to: '1.4.0', versions }).blockers[0]?.code; // 'MINOR_SKIP'
 * ```
 */
export function checkUpgradePath(input: {
  from: string;
  to: string;
  versions: readonly CatalogVersion[];
  rollbackOf?: { fromVersion: string; toVersion: string };
}): UpgradePathResult {
  const { from, to, versions, rollbackOf } = input;
  const blockers: Blocker[] = [];

  const fromSv = parseStrict(from);
  const toSv = parseStrict(to);
  if (fromSv === undefined) blockers.push(invalidVersion('current', from));
  if (toSv === undefined) blockers.push(invalidVersion('target', to));
  if (fromSv === undefined || toSv === undefined) return result(blockers, []);

  const catalog = parseCatalog(versions);
  const fromEntry = catalog.find((e) => e.entry.version === from);
  const toEntry = catalog.find((e) => e.entry.version === to);
  if (fromEntry === undefined) blockers.push(unknownVersion('current', from));
  if (toEntry === undefined) blockers.push(unknownVersion('target', to));
  if (fromEntry === undefined || toEntry === undefined) return result(blockers, []);

  const order = semver.compare(fromSv, toSv);
  if (order === 0) {
    blockers.push({ code: 'SAME_VERSION', reason: `The service already runs ${from}.` });
    return result(blockers, []);
  }

  const impact: string[] = [];
  const isRollback = order > 0 && rollbackOf !== undefined && rollbackOf.fromVersion === to && rollbackOf.toVersion === from;

  if (order < 0) {
    const next = nextSeries(catalog, fromSv);
    const inSameSeries = sameSeries(fromSv, toSv);
    // `next` is always defined here when `to` is in a later series, as `to` is in the catalog.
    if (!inSameSeries && next !== undefined && !sameSeries(next, toSv)) {
      blockers.push(seriesSkip(catalog, fromSv, toSv, next));
    }
    impact.push(inSameSeries ? PATH_IMPACT.patch : fromSv.major === toSv.major ? PATH_IMPACT.minor : PATH_IMPACT.major);
    impact.push(...versionNotes(catalog, fromSv, toSv));
  } else if (sameSeries(fromSv, toSv)) {
    impact.push(PATH_IMPACT.patchRollback);
  } else {
    if (!isRollback) blockers.push(minorDowngrade(fromSv, toSv, rollbackOf));
    impact.push(PATH_IMPACT.minorRollback);
  }

  if (!isRollback) {
    if (toSv.prerelease.length > 0 && toEntry.entry.channel === 'stable') {
      blockers.push({
        code: 'PRERELEASE_ON_STABLE',
        reason: `${to} is a pre-release published on the stable channel; pre-releases may only be installed from a non-stable channel.`,
      });
    }
    // Copies, so a caller that edits the result cannot edit the catalog.
    blockers.push(...(toEntry.entry.blockers ?? []).map((b) => ({ code: b.code, reason: b.reason })));
  }

  return result(blockers, impact);
}

/**
 * Checks a version's dependency constraints against what is installed beside the
 * service (the executions' dependency pre-check, docs/architecture.md#pre-checks).
 *
 * Each `name: range` uses semver range syntax (`>=15`, `^3.6`). Installed versions
 * are often written loosely (`15`, `v16.1`), so a non-strict one is coerced
 * (`15` → `15.0.0`). Codes: `DEPENDENCY_MISSING` (not installed),
 * `DEPENDENCY_UNSATISFIED` (outside the range; as in semver, an installed pre-release
 * only satisfies a range that names a pre-release of the same core),
 * `DEPENDENCY_INVALID` (the range, or the installed version, cannot be read; a blank
 * range is invalid rather than "anything", since it is almost always a typo).
 *
 * @example
 * ```ts
 * checkRequirements({ postgresql: '>=15' }, { postgresql: '14' });
 * // [{ code: 'DEPENDENCY_UNSATISFIED', reason: 'postgresql 14 does not satisfy >=15.' }]
 * ```
 */
export function checkRequirements(requires: Record<string, string> | undefined, installed: Record<string, string>): Blocker[] {
  const blockers: Blocker[] = [];
  for (const [name, range] of Object.entries(requires ?? {})) {
    if (range.trim() === '' || semver.validRange(range) === null) {
      blockers.push({ code: 'DEPENDENCY_INVALID', reason: `The requirement ${name} "${range}" is not a valid semver range.` });
      continue;
    }
    // Object.hasOwn, not `in`: a component called "constructor" must not match Object.prototype.
    const have = Object.hasOwn(installed, name) ? installed[name] : undefined;
    if (have === undefined) {
      blockers.push({ code: 'DEPENDENCY_MISSING', reason: `${name} ${range} is required but not installed.` });
      continue;
    }
    const haveSv = parseStrict(have) ?? semver.coerce(have) ?? undefined;
    if (haveSv === undefined) {
      blockers.push({ code: 'DEPENDENCY_INVALID', reason: `The installed ${name} version "${have}" is not a version.` });
      continue;
    }
    if (!semver.satisfies(haveSv, range)) {
      blockers.push({ code: 'DEPENDENCY_UNSATISFIED', reason: `${name} ${have} does not satisfy ${range}.` });
    }
  }
  return blockers;
}

/**
 * Whether a service on `channel` running `current` would take `candidate` — not
 * necessarily as its next release, just as an admissible one. The candidate must be a
 * newer catalog version, reachable from `current` in one step with no blockers
 * ({@link checkUpgradePath}), and of the kind the channel takes:
 * - `patch`: a release (not a pre-release) in the current minor series, any release
 *   channel — a patch-only service would otherwise miss fixes to a rapid minor.
 * - `stable`: a release on the `stable` channel.
 * - `rapid`: a version on the `rapid` or `stable` channel, pre-releases included.
 * - `security-only`: a release flagged `security`.
 * - `none`: nothing.
 *
 * Invalid or unknown versions are never admitted.
 *
 * @example
 * ```ts
 * admitsVersion('patch', '1.3.0', '1.3.4', versions); // true when 1.3.4 is in the catalog
 * admitsVersion('patch', '1.3.0', '1.4.0', versions); // false: another minor
 * ```
 */
export function admitsVersion(
  channel: AutoUpgradeChannel,
  current: string,
  candidate: string,
  versions: readonly CatalogVersion[],
): boolean {
  const currentSv = parseStrict(current);
  const candidateSv = parseStrict(candidate);
  if (currentSv === undefined || candidateSv === undefined) return false;
  if (semver.compare(candidateSv, currentSv) <= 0) return false;
  const entry = versions.find((v) => v.version === candidate);
  if (entry === undefined || !channelTakes(channel, currentSv, { entry, sv: candidateSv })) return false;
  return checkUpgradePath({ from: current, to: candidate, versions }).allowed;
}

/**
 * The release a service on `channel` moves to next: the newest version that
 * {@link admitsVersion} accepts. Because one path may cross at most one minor series,
 * this is the newest admissible version of the next minor series when there is one,
 * else the newest admissible patch of the current series; calling it again after the
 * upgrade walks on one minor at a time. Returns undefined when nothing newer is
 * admissible (or `current` is invalid or not in the catalog).
 *
 * @example
 * ```ts
 * nextInChannel('1.2.3', 'stable', versions)?.version; // e.g. '1.3.7', the newest stable 1.3.x
 * ```
 */
export function nextInChannel(
  current: string,
  channel: AutoUpgradeChannel,
  versions: readonly CatalogVersion[],
): CatalogVersion | undefined {
  let best: Entry | undefined;
  for (const candidate of parseCatalog(versions)) {
    if (!admitsVersion(channel, current, candidate.entry.version, versions)) continue;
    if (best === undefined || semver.compareBuild(candidate.sv, best.sv) > 0) best = candidate;
  }
  return best?.entry;
}

function channelTakes(channel: AutoUpgradeChannel, current: SemVer, candidate: Entry): boolean {
  const isRelease = candidate.sv.prerelease.length === 0;
  switch (channel) {
    case 'none':
      return false;
    case 'patch':
      return isRelease && sameSeries(current, candidate.sv);
    case 'stable':
      return isRelease && candidate.entry.channel === 'stable';
    case 'rapid':
      return candidate.entry.channel === 'rapid' || candidate.entry.channel === 'stable';
    case 'security-only':
      return isRelease && candidate.entry.security;
  }
}

function parseStrict(v: string): SemVer | undefined {
  if (typeof v !== 'string') return undefined;
  const sv = semver.parse(v, { loose: false });
  if (sv === null) return undefined;
  const canonical = sv.build.length > 0 ? `${sv.version}+${sv.build.join('.')}` : sv.version;
  return canonical === v ? sv : undefined;
}

function parseOrThrow(v: string): SemVer {
  const sv = parseStrict(v);
  if (sv === undefined) throw new TypeError(`Invalid version: ${JSON.stringify(v)}`);
  return sv;
}

/** Valid catalog entries in ascending order; a malformed entry cannot be on any path. */
function parseCatalog(versions: readonly CatalogVersion[]): Entry[] {
  const entries: Entry[] = [];
  for (const entry of versions) {
    const sv = parseStrict(entry.version);
    if (sv !== undefined) entries.push({ entry, sv });
  }
  return entries.sort((a, b) => semver.compareBuild(a.sv, b.sv));
}

function sameSeries(a: SemVer, b: SemVer): boolean {
  return a.major === b.major && a.minor === b.minor;
}

function seriesLabel(sv: SemVer): string {
  return `${sv.major}.${sv.minor}`;
}

/** The lowest catalog version of the first minor series above `sv`'s. */
function nextSeries(catalog: readonly Entry[], sv: SemVer): SemVer | undefined {
  return catalog.find((e) => e.sv.major > sv.major || (e.sv.major === sv.major && e.sv.minor > sv.minor))?.sv;
}

/** The version to suggest in a series: the newest unblocked release, else its newest version. */
function suggestedIn(catalog: readonly Entry[], series: SemVer): string {
  const inSeries = catalog.filter((e) => sameSeries(e.sv, series));
  const preferred = inSeries.filter((e) => e.sv.prerelease.length === 0 && (e.entry.blockers ?? []).length === 0);
  // `series` came from the catalog, so the series has at least that version.
  return (preferred.at(-1) ?? inSeries.at(-1))?.entry.version ?? series.raw;
}

function seriesSkip(catalog: readonly Entry[], from: SemVer, to: SemVer, next: SemVer): Blocker {
  const code = from.major === to.major ? 'MINOR_SKIP' : 'MAJOR_SKIP';
  const rule =
    code === 'MINOR_SKIP'
      ? 'an upgrade may move at most one minor version at a time'
      : 'a major version may only be crossed from the newest minor of the old major to the first minor of the next major';
  const via = suggestedIn(catalog, next);
  return {
    code,
    reason: `${from.raw} → ${to.raw} skips minor series ${seriesLabel(next)}; ${rule}. Upgrade to ${via} (the newest ${seriesLabel(next)}.x) first.`,
  };
}

function minorDowngrade(from: SemVer, to: SemVer, rollbackOf: { fromVersion: string; toVersion: string } | undefined): Blocker {
  const mismatch =
    rollbackOf === undefined
      ? ''
      : ` The execution given as rolled back moved ${rollbackOf.fromVersion} → ${rollbackOf.toVersion}, not ${to.raw} → ${from.raw}.`;
  return {
    code: 'MINOR_DOWNGRADE',
    reason: `${from.raw} → ${to.raw} leaves minor series ${seriesLabel(from)}; downgrades are allowed only between patches of one minor, or as the rollback of the execution that upgraded ${to.raw} → ${from.raw}.${mismatch}`,
  };
}

/** Each version's own impact and notes for `(from, to]`, oldest first. */
function versionNotes(catalog: readonly Entry[], from: SemVer, to: SemVer): string[] {
  const notes: string[] = [];
  for (const { entry, sv } of catalog) {
    if (semver.compare(sv, from) <= 0 || semver.compare(sv, to) > 0) continue;
    if (sv.prerelease.length > 0 && entry.version !== to.raw) continue;
    if (entry.impact) notes.push(`${entry.version}: ${entry.impact}`);
    if (entry.notes) notes.push(`${entry.version}: ${entry.notes}`);
  }
  return notes;
}

function invalidVersion(side: 'current' | 'target', v: string): Blocker {
  return {
    code: 'INVALID_VERSION',
    reason: `The ${side} version ${JSON.stringify(v)} is not a semver MAJOR.MINOR.PATCH (no leading "v", no leading zeros).`,
  };
}

function unknownVersion(side: 'current' | 'target', v: string): Blocker {
  return { code: 'UNKNOWN_VERSION', reason: `The ${side} version ${v} is not in the component's catalog.` };
}

function result(blockers: Blocker[], impact: string[]): UpgradePathResult {
  return { allowed: blockers.length === 0, blockers, impact };
}

function encodeIdentifiers(ids: ReadonlyArray<string | number>): string {
  return `${ids.map(encodeIdentifier).join(SEP)}${END}`;
}

function encodeIdentifier(id: string | number): string {
  const text = String(id);
  if (/^[0-9]+$/.test(text)) {
    // Leading zeros stripped (only build identifiers may have them) so `001` ranks as 1,
    // as in semver; the length prefix makes longer numbers sort after shorter ones.
    const digits = text.replace(/^0+(?=[0-9])/, '');
    return `n${String(digits.length).padStart(3, '0')}${digits}`;
  }
  return `s${text}`;
}
