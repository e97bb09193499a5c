/**
 * Every timeline event type there is: a closed list, so a client can switch on `type`
 * exhaustively and the OpenAPI document lists it as an enum. The writers are typed with
 * it (`NewTimelineEvent`, `NewRunEvent`), so a new event cannot be written without an entry
 * here; what each means is in functions/api/event-type-docs.ts (the document's descriptions).
 */

/** What happens to one upgrade execution, on its timeline (`…/upgrades/{id}/events`). */
export const UPGRADE_EVENT_TYPES = [
  'UpgradeCreated',
  'UpgradeStarted',
  'PreChecksPassed',
  'PreChecksFailed',
  'SecurityOverride',
  'CeilingNotEnforced',
  'BatchStarted',
  'BatchHeld',
  'BatchCompleted',
  'InstanceUpgraded',
  'InstanceFailed',
  'InstanceRolledBack',
  'InstanceRollbackFailed',
  'CanaryMonitoring',
  'CanaryMonitoringEnded',
  'CanaryUnhealthy',
  'CanaryPromoted',
  'GreenReady',
  'TrafficSwitched',
  'TrafficSwitchedBack',
  'BlueRetired',
  'GreenRetired',
  'GateWaiting',
  'GateApproved',
  'GateRejected',
  'GateTimedOut',
  'UpgradePaused',
  'UpgradeResumed',
  'RollbackRequested',
  'RollbackStarted',
  'UpgradeCompleted',
  'UpgradeFailed',
  'UpgradeRolledBack',
  'UpgradeCancelled',
  'AlarmTriggered',
  'AnalysisFailed',
  'ProgressDeadlineExceeded',
] as const;

/** What happens to one fleet update run, on its timeline (`…/update-runs/{id}/events`). */
export const RUN_EVENT_TYPES = [
  'UpdateRunCreated',
  'UpdateRunStarted',
  'UpdateRunResumed',
  'UpdateRunStopRequested',
  'UpdateRunStopped',
  'UpdateRunCompleted',
  'UpdateRunFailed',
  'UpdateRunCancelled',
  'StageStarted',
  'StageCompleted',
  'GroupStarted',
  'GroupCompleted',
  'MemberStarted',
  'MemberWaiting',
  'MemberCompleted',
  'MemberFailed',
  'MemberSkipped',
  'MaintenanceWindowOverride',
  'SecurityOverride',
  'GateWaiting',
  'GateApproved',
  'GateRejected',
  'GateCompleted',
] as const;

export type UpgradeEventType = (typeof UPGRADE_EVENT_TYPES)[number];
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];
export type EventType = UpgradeEventType | RunEventType;

/** Every type, once (a few, such as GateWaiting, happen to upgrades and runs alike). */
export const EVENT_TYPES = [...new Set<EventType>([...UPGRADE_EVENT_TYPES, ...RUN_EVENT_TYPES])] as [EventType, ...EventType[]];
