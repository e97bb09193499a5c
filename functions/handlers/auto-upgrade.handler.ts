import middy from '@middy/core';
import * as z from 'zod';
import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { ComponentId } from '../catalog/schemas.js';
import { keysOf, observe } from '../common/observe.js';
import { type BaseSetup, baseSetup } from '../common/setup.js';
import { type AutoUpgrade, makeAutoUpgrade, mustComeAgain } from '../fleet/auto-upgrade.js';
import { createProfileRepository } from '../fleet/profile-repository.js';
import { makeStrategies } from '../fleet/strategies.js';
import { createStrategyRepository } from '../fleet/strategy-repository.js';
import { createServiceRepository } from '../services/service-repository.js';
import { updateRunsSetup } from './update-runs-setup.js';

/**
 * What the fan-out is given of a VersionPublished event: in AWS the rule's input
 * transformer cuts it out of the event the timeline pipe put on the bus
 * (lib/constructs/auto-upgrade-fanout.ts); locally `local/events.ts` cuts it out of the
 * stream record. Only the keys: the fan-out reads the version itself from the catalog.
 */
export const AutoUpgradeEvent = z.strictObject({ componentId: ComponentId, version: z.string().min(1).max(128) });
export type AutoUpgradeEvent = z.infer<typeof AutoUpgradeEvent>;

/** The fan-out as this function runs it: the same repositories and update runs as the fleet API. */
export function autoUpgradeSetup(base: BaseSetup): AutoUpgrade {
  return makeAutoUpgrade({
    profiles: createProfileRepository(base.db, base.tableName),
    runs: updateRunsSetup(base, makeStrategies({ repository: createStrategyRepository(base.db, base.tableName), clock: base.clock })),
    services: createServiceRepository(base.db, base.tableName),
    catalog: createCatalogRepository(base.db, base.tableName),
    clock: base.clock,
    logger: base.logger,
  });
}

let autoUpgrade: AutoUpgrade | undefined;

/**
 * The auto-upgrade fan-out of one published version (docs/architecture.md#auto-upgrade-profiles).
 * Delivered at least once: the run markers make a repeat harmless. It fails, so that the
 * event comes again (Lambda's asynchronous retries, then the dead-letter queue), when a
 * profile met an unexpected error, was left for lack of time, or is claimed by another
 * delivery not known to be finished; a refused profile (4xx) is recorded and does not fail it.
 */
export const handler = middy<unknown, unknown>()
  .use(observe({ keys: (event) => ({ task: 'autoUpgrade', ...keysOf(event, ['componentId', 'version']) }), done: 'task' }))
  .handler(async (raw, context) => {
    const event = AutoUpgradeEvent.parse(raw);
    autoUpgrade ??= autoUpgradeSetup(baseSetup());
    // Claims are held until this invocation's timeout, after which a redelivery may take them over.
    const deadline = new Date(Date.now() + context.getRemainingTimeInMillis());
    const outcomes = await autoUpgrade.onVersionPublished(event, { deadline });
    if (mustComeAgain(outcomes)) {
      const later = outcomes.filter((outcome) => outcome.outcome === 'retry' || outcome.outcome === 'in-progress');
      throw new Error(
        `Auto-upgrade of ${event.componentId} ${event.version}: ${later.length} profile(s) to try again (${later
          .map((outcome) => `${outcome.tenantId}/${outcome.profile} ${outcome.outcome}`)
          .join(', ')})`,
      );
    }
    return { outcomes };
  });
