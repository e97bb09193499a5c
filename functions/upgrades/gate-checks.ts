import { ValidationError } from '../common/errors.js';
import type { AlarmStates } from './alarm-states.js';
import type { Strategy, UpgradeGates } from './schemas.js';

export interface GateCheckDeps {
  /** Absent: a request naming alarms is refused (this deployment cannot read them). */
  readonly alarms?: AlarmStates;
  /** Why a URL is refused (the webhook target's SSRF guard), or `undefined`; absent, only https is required. */
  readonly checkUrl?: (url: string) => Promise<string | undefined>;
}

/**
 * The gates of an upgrade request (or of a run's `upgrade`, at `body.upgrade`), checked
 * before anything is written: every alarm must exist (DescribeAlarms; unknown names are a
 * 422 naming them), the analysis URL must pass the SSRF guard and, when the effective
 * knobs are known (an upgrade, not a run whose members merge their services' defaults),
 * the analysis needs CANARY (it runs while a canary is monitored) and a progress deadline
 * must outlast the delay between batches (which it counts).
 */
export async function checkGates(
  gates: UpgradeGates,
  deps: GateCheckDeps,
  where: { readonly field: string; readonly knobs?: { readonly strategy: Strategy; readonly batchDelaySeconds: number } },
): Promise<void> {
  const errors: { field: string; message: string; code?: string }[] = [];
  const extensions: Record<string, unknown> = {};
  const { field, knobs } = where;
  // The upgrade schema says so already; a run's `upgrade` is checked here.
  if (gates.onAlarm && !gates.alarms && !gates.analysis && gates.progressDeadlineSeconds === undefined)
    errors.push({ field: `${field}.onAlarm`, message: 'onAlarm applies with alarms, analysis or progressDeadlineSeconds' });
  if (gates.alarms) {
    if (!deps.alarms) errors.push({ field: `${field}.alarms`, message: 'alarm gates are not available in this deployment' });
    else {
      const known = await deps.alarms.describe(gates.alarms);
      const unknown = gates.alarms.filter((name) => !known.has(name));
      if (unknown.length > 0) {
        errors.push({ field: `${field}.alarms`, message: `no such CloudWatch alarm: ${unknown.join(', ')}`, code: 'UNKNOWN_ALARM' });
        extensions.unknownAlarms = unknown;
      }
    }
  }
  if (gates.analysis) {
    if (knobs && knobs.strategy !== 'CANARY')
      errors.push({ field: `${field}.analysis`, message: 'the analysis runs while a canary is monitored: it needs strategy CANARY' });
    const refused = deps.checkUrl
      ? await deps.checkUrl(gates.analysis.url)
      : gates.analysis.url.startsWith('https:')
        ? undefined
        : 'the URL must use https';
    if (refused) errors.push({ field: `${field}.analysis.url`, message: refused, code: 'URL_REFUSED' });
  }
  if (
    knobs &&
    gates.progressDeadlineSeconds !== undefined &&
    gates.progressDeadlineSeconds <= knobs.batchDelaySeconds &&
    knobs.strategy !== 'BLUE_GREEN'
  )
    errors.push({
      field: `${field}.progressDeadlineSeconds`,
      message: `must be longer than batchDelaySeconds (${knobs.batchDelaySeconds}): the delay between batches counts`,
    });
  if (errors.length > 0)
    throw new ValidationError(
      `The upgrade's gates cannot be used: ${errors.map((error) => `${error.field}: ${error.message}`).join('; ')}.`,
      {
        errors,
        ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
      },
    );
}
