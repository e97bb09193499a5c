import { isTerminal } from '../domain/status.js';
import type { ExecutionRecord } from './execution.js';
import type { UpgradeRepository } from './upgrade-repository.js';

/**
 * An upgrade repository that tells `onEnded` about every execution its `transition` ends
 * (COMPLETED, FAILED, ROLLED_BACK, CANCELLED), after the transaction committed. This is how a
 * fleet update run learns that a member upgrade ended without polling it
 * (docs/architecture.md#fleet-update-runs). `onEnded` failing never fails the transition: the
 * status is written; the run's own recheck finds the end a little later.
 */
export function withEndHook(
  repository: UpgradeRepository,
  onEnded: (execution: ExecutionRecord) => Promise<void>,
  warn: (message: string, fields: Record<string, unknown>) => void,
): UpgradeRepository {
  return {
    ...repository,
    async transition(tenantId, executionId, request) {
      const record = await repository.transition(tenantId, executionId, request);
      if (isTerminal(record.status)) {
        await onEnded(record).catch((error: unknown) => warn('the end of an upgrade could not be passed on', { executionId, error }));
      }
      return record;
    },
  };
}
