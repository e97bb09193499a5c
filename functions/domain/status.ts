/**
 * The execution statuses and their only legal transitions (docs/architecture.md#statuses-and-transitions). Every status
 * change in the repository is a conditional write against this table, so concurrent
 * actions can never produce a transition that is not listed here.
 */
export const STATUSES = [
  'PENDING',
  'VALIDATING',
  'IN_PROGRESS',
  'CANARY_RUNNING',
  'CANARY_MONITORING',
  'PAUSED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
] as const;
export type Status = (typeof STATUSES)[number];

export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  PENDING: ['VALIDATING', 'CANCELLED'],
  VALIDATING: ['IN_PROGRESS', 'CANARY_RUNNING', 'FAILED'],
  IN_PROGRESS: ['PAUSED', 'COMPLETED', 'FAILED', 'ROLLING_BACK', 'CANCELLED'],
  CANARY_RUNNING: ['CANARY_MONITORING', 'PAUSED', 'FAILED', 'CANCELLED'],
  CANARY_MONITORING: ['IN_PROGRESS', 'ROLLING_BACK', 'CANCELLED'],
  // A canary paused before its monitoring resumes as CANARY_RUNNING: where it left off.
  PAUSED: ['IN_PROGRESS', 'CANARY_RUNNING', 'CANCELLED'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  ROLLED_BACK: [],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export const TERMINAL_STATUSES: readonly Status[] = STATUSES.filter((status) => TRANSITIONS[status].length === 0);
export const ACTIVE_STATUSES: readonly Status[] = STATUSES.filter((status) => TRANSITIONS[status].length > 0);

export const isTerminal = (status: Status): boolean => TRANSITIONS[status].length === 0;

/** The statuses from which `to` may be reached. */
export function sourcesOf(to: Status): Status[] {
  return STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

/**
 * Throws unless every status of `from` may move to `to` by {@link TRANSITIONS}: a
 * caller asking for an edge the table does not have is a bug, refused before any write.
 */
export function assertLegalTransition(from: readonly Status[], to: Status): void {
  const illegal = from.filter((status) => !TRANSITIONS[status].includes(to));
  if (from.length === 0 || illegal.length > 0) {
    throw new Error(
      `Not a legal transition: ${from.length === 0 ? '(no source)' : illegal.join(', ')} -> ${to}; the sources of ${to} are ${sourcesOf(to).join(', ') || 'none'}`,
    );
  }
}

export const INSTANCE_STATUSES = ['PENDING', 'DRAINING', 'UPGRADING', 'HEALTH_CHECKING', 'COMPLETED', 'FAILED', 'ROLLED_BACK'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];
