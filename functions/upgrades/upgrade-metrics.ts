import type { Metrics } from '../common/metrics.js';
import type { Strategy } from '../domain/knobs.js';
import type { Status } from '../domain/status.js';
import type { UpgradeRepository } from './upgrade-repository.js';

/** What each status an upgrade moves to counts as. */
const COUNTED: Partial<Record<Status, 'UpgradeStarted' | 'UpgradeCompleted' | 'UpgradeFailed' | 'UpgradeRolledBack'>> = {
  VALIDATING: 'UpgradeStarted',
  COMPLETED: 'UpgradeCompleted',
  FAILED: 'UpgradeFailed',
  ROLLED_BACK: 'UpgradeRolledBack',
};

/** Strategies of the executions seen lately; a strategy never changes, so an entry never goes stale. */
const STRATEGIES_KEPT = 1000;

/**
 * An upgrade repository that counts what its writes did (docs/architecture.md#logs-and-metrics):
 * a transition to VALIDATING (the start), COMPLETED (with the upgrade's duration from its
 * start), FAILED and ROLLED_BACK; an instance moved to FAILED with its failure counted.
 *
 * At the repository, not in each task: every status change and instance move is one
 * conditional write, so a metric is emitted once for what happened, whichever function
 * made it happen (a task, the API's start or cancel), however often a retried task tries,
 * and a path added later cannot forget it. An instance move names no strategy, so the
 * decorator remembers the strategy of each execution it read or moved (a task reads its
 * execution before it moves instances) and reads it only when it has not.
 */
export function withMetrics(repository: UpgradeRepository, metrics: Metrics): UpgradeRepository {
  const strategies = new Map<string, Strategy>();
  const remember = (record: { executionId: string; strategy: Strategy } | undefined) => {
    if (!record) return record;
    if (strategies.size >= STRATEGIES_KEPT) strategies.clear();
    strategies.set(record.executionId, record.strategy);
    return record;
  };
  /** The move is written by now: a failed read costs the count its strategy, never the move. */
  const strategyOf = async (tenantId: string, executionId: string): Promise<Strategy | undefined> =>
    strategies.get(executionId) ?? remember(await repository.get(tenantId, executionId).catch(() => undefined))?.strategy;

  return {
    ...repository,
    async get(tenantId, executionId) {
      const record = await repository.get(tenantId, executionId);
      remember(record);
      return record;
    },
    async transition(tenantId, executionId, request) {
      const record = await repository.transition(tenantId, executionId, request);
      remember(record);
      const counted = COUNTED[request.to];
      if (counted) metrics.count(counted, record.strategy);
      if (request.to === 'COMPLETED' && record.startedAt && record.finishedAt) {
        metrics.seconds('UpgradeDurationSeconds', (Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000, record.strategy);
      }
      return record;
    },
    async moveInstance(tenantId, instance, move) {
      const moved = await repository.moveInstance(tenantId, instance, move);
      if (moved && move.to === 'FAILED' && move.countFailed)
        metrics.count('InstanceFailed', await strategyOf(tenantId, instance.executionId));
      return moved;
    },
  };
}
