/**
 * Fleet update runs (docs/architecture.md#fleet-update-runs): the statuses of a run, its
 * members and its gates, and the run's only legal transitions, as plain data. Every
 * status change of a run is a conditional write against {@link RUN_TRANSITIONS}.
 */

export const RUN_STATUSES = ['NOT_STARTED', 'RUNNING', 'STOPPING', 'STOPPED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  NOT_STARTED: ['RUNNING', 'CANCELLED'],
  RUNNING: ['STOPPING', 'COMPLETED', 'FAILED'],
  // A stop lets running members finish; a run whose last member fails meanwhile ends FAILED.
  STOPPING: ['STOPPED', 'FAILED'],
  STOPPED: ['RUNNING', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** The statuses from which `to` may be reached. */
export function runSourcesOf(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => RUN_TRANSITIONS[from].includes(to));
}

/** Run statuses that hold the component's one-running-run lock. */
export const RUN_LOCKING_STATUSES: readonly RunStatus[] = ['RUNNING', 'STOPPING'];

export const MEMBER_STATUSES = ['PENDING', 'WAITING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
/** A member in one of these is done: it no longer changes. */
export const MEMBER_DONE: readonly MemberStatus[] = ['COMPLETED', 'FAILED', 'SKIPPED'];

/** Why a member waits: its window is closed, its pipeline ceiling holds, another upgrade of it runs, its group is full. */
export const WAITING_REASONS = ['maintenance-window', 'awaiting-validation', 'service-busy', 'concurrency'] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

export const GATE_STATUSES = ['PENDING', 'WAITING', 'APPROVED', 'REJECTED', 'COMPLETED'] as const;
export type GateStatus = (typeof GATE_STATUSES)[number];
export const GATE_TYPES = ['approval', 'schedule'] as const;
export type GateType = (typeof GATE_TYPES)[number];

/** Who a run started by an auto-upgrade profile names as its initiator. */
export const AUTO_UPGRADE_INITIATOR = 'sluice-auto-upgrade';
