import { EVENT_TYPES } from './event-types.js';

/**
 * Which timeline events the notifier posts, as plain data: the stack's rule pattern, the
 * local runtime's rule and the notifier itself read it.
 */
/** The types sent when none are chosen: gate waits, completions, failures and rollbacks. */
export const DEFAULT_NOTIFY_TYPES = [
  'GateWaiting',
  'UpgradeCompleted',
  'UpgradeFailed',
  'RollbackRequested',
  'RollbackStarted',
  'UpgradeRolledBack',
  'UpdateRunCompleted',
  'UpdateRunFailed',
] as const;

/**
 * A comma list of event types (`SLUICE_NOTIFY_TYPES`, `sluice:notifyTypes`): empty or
 * absent is {@link DEFAULT_NOTIFY_TYPES}, `*` every type; an unknown type is an error
 * naming it, so a typo does not silently send nothing.
 */
export function parseNotifyTypes(value: string | readonly string[] | undefined): ReadonlySet<string> {
  const names = (typeof value === 'string' ? value.split(',') : (value ?? [])).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) return new Set(DEFAULT_NOTIFY_TYPES);
  if (names.length === 1 && names[0] === '*') return new Set(EVENT_TYPES);
  const known = new Set<string>(EVENT_TYPES);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new Error(`Unknown event type(s) to notify: ${unknown.join(', ')} (known: ${EVENT_TYPES.join(', ')}, or *)`);
  return new Set(names);
}
