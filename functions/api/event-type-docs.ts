import type { RunEventType, UpgradeEventType } from '../domain/event-types.js';

/**
 * What each event type means, for the OpenAPI document's `EventType` (and so for /docs and
 * the generated client). Kept apart from the names (functions/domain/event-types.ts) so
 * that only the function serving the document carries the prose; a type without its line
 * here does not compile.
 */
export const UPGRADE_EVENT_DOCS: Readonly<Record<UpgradeEventType, string>> = {
  UpgradeCreated: 'The upgrade was created (PENDING).',
  UpgradeStarted: 'The upgrade was started; pre-checks run next.',
  PreChecksPassed: 'Every pre-check passed; the rollout begins.',
  PreChecksFailed: 'A pre-check failed; the upgrade ends FAILED. `detail.preChecks` names it.',
  SecurityOverride: 'A security version passed above the pipeline ceiling (allowed by policy, on record).',
  CeilingNotEnforced: 'The pipeline ceiling was not applied to this upgrade (on record).',
  BatchStarted: 'A batch began: `detail.batch`, `detail.instances`.',
  BatchHeld: 'A batch did not begin: the upgrade was paused at the batch boundary.',
  BatchCompleted: 'Every instance of a batch ended (upgraded or failed).',
  InstanceUpgraded: 'One instance runs the new version and is healthy.',
  InstanceFailed: 'One instance failed its drain, upgrade or health check: `detail.reason`.',
  InstanceRolledBack: 'One instance is back on the old version.',
  InstanceRollbackFailed: 'One instance could not be rolled back.',
  CanaryMonitoring: 'The canaries are upgraded and monitored before the rest follows.',
  CanaryMonitoringEnded: 'Canary monitoring ended: promoted, or found unhealthy.',
  CanaryUnhealthy: 'A canary was found unhealthy while monitored.',
  CanaryPromoted: 'The canary was promoted: the rest of the fleet follows.',
  GreenReady: 'BLUE_GREEN: the green twins are up and healthy.',
  TrafficSwitched: 'BLUE_GREEN: traffic moved to green.',
  TrafficSwitchedBack: 'BLUE_GREEN: traffic moved back to blue.',
  BlueRetired: 'BLUE_GREEN: the blue instances were retired.',
  GreenRetired: 'BLUE_GREEN: the green twins were retired (after a switch back).',
  GateWaiting: 'A gate waits for a decision: `detail.gate`, `detail.timeoutAt`, `detail.onTimeout`.',
  GateApproved: 'A gate was approved: `actor`, `detail.comment`.',
  GateRejected: 'A gate was rejected: `actor`, `detail.comment`.',
  GateTimedOut: 'A gate had no decision in time; `detail.outcome` says what followed.',
  UpgradePaused: 'The upgrade was paused; it holds at the next batch boundary.',
  UpgradeResumed: 'The upgrade was resumed.',
  RollbackRequested: 'A rollback was asked for: `actor`, `detail.reason`.',
  RollbackStarted: 'The rollback began: `detail.reason`, `detail.automatic`.',
  UpgradeCompleted: 'Every instance runs the new version (COMPLETED).',
  UpgradeFailed: 'The upgrade ended FAILED: `detail.reason`.',
  UpgradeRolledBack: 'The rollback finished (ROLLED_BACK).',
  UpgradeCancelled: 'The upgrade was cancelled (CANCELLED).',
  AlarmTriggered:
    'A watched CloudWatch alarm was in ALARM (before a batch, while a canary was monitored, before a blue-green switch, or at the pre-checks): `detail.alarms`, `detail.action` (the onAlarm action taken).',
  AnalysisFailed:
    'The metric analysis had more failed or inconclusive measurements than its failureLimit: `detail.failed`, `detail.inconclusive`, `detail.action`.',
  ProgressDeadlineExceeded:
    'No batch finished within progressDeadlineSeconds (waits for a person not counted): `detail.seconds`, `detail.action` (reason progress-deadline).',
};

export const RUN_EVENT_DOCS: Readonly<Record<RunEventType, string>> = {
  UpdateRunCreated: 'The run was created with its plan of stages, groups and members.',
  UpdateRunStarted: 'The run was started.',
  UpdateRunResumed: 'A stopped run was started again.',
  UpdateRunStopRequested: 'A stop was asked for: no new member starts, running ones finish.',
  UpdateRunStopped: 'The run stopped (STOPPED) once its running members ended.',
  UpdateRunCompleted: 'Every stage ended (COMPLETED).',
  UpdateRunFailed: 'The run ended FAILED: `detail.reason`.',
  UpdateRunCancelled: 'The run was cancelled (CANCELLED).',
  StageStarted: 'A stage began: `detail.stage`.',
  StageCompleted: 'A stage ended, with its after-stage wait if any.',
  GroupStarted: 'A group of a stage began.',
  GroupCompleted: 'A group of a stage ended.',
  MemberStarted: "A member's upgrade was created and started: `detail.executionId`.",
  MemberWaiting: 'A member waits: `detail.reason` (maintenance-window, pipeline-ceiling, service-busy, …).',
  MemberCompleted: "A member's upgrade completed.",
  MemberFailed: "A member's upgrade ended FAILED, ROLLED_BACK or CANCELLED, or it could not be created.",
  MemberSkipped: 'A member was skipped: `actor` or `detail.reason` (already-current, powered-off).',
  MaintenanceWindowOverride: "An emergency run started a member outside its service's maintenance window.",
  SecurityOverride: 'An emergency run started a member above its pipeline ceiling.',
  GateWaiting: 'An approval gate waits for a decision: `detail.gate`.',
  GateApproved: 'An approval gate was approved: `actor`, `detail.comment`.',
  GateRejected: 'An approval gate was rejected: `actor`, `detail.comment`; the run fails.',
  GateCompleted: 'A schedule gate or wait passed.',
};
