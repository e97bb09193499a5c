import * as z from 'zod';
import { deferred } from './deferred.js';

export const STRATEGIES = ['ROLLING', 'CANARY', 'BLUE_GREEN', 'RECREATE', 'STAGED'] as const;
export const Strategy = z.enum(STRATEGIES).meta({ id: 'Strategy' });
export type Strategy = z.infer<typeof Strategy>;

/**
 * The tuning knobs of an upgrade request (docs/architecture.md#defaults-and-effective-batch), all optional here: a service's
 * `defaultUpgrade` stores the ones it wants, the execution fills the rest with defaults.
 */
export const UpgradeKnobs = deferred(() =>
  z
    .strictObject({
      strategy: Strategy.optional(),
      canaryPercentage: z.number().int().min(1).max(100).optional(),
      batchSize: z.number().int().min(1).max(1000).optional(),
      batchDelaySeconds: z.number().int().min(0).max(86_400).optional(),
      healthCheckIntervalSeconds: z.number().int().min(1).max(3_600).optional(),
      healthCheckTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
      maxUnavailablePercentage: z.number().int().min(1).max(100).optional(),
      autoRollbackEnabled: z.boolean().optional(),
      failureThreshold: z.number().int().min(1).max(100_000).optional(),
      /** Instance actions of one batch in flight at once (drain, upgrade, health). */
      maxConcurrentActions: z.number().int().min(1).max(100).optional(),
    })
    .meta({ id: 'UpgradeKnobs', description: 'How an upgrade rolls; every knob left out takes its default.' }),
);
export type UpgradeKnobs = z.infer<typeof UpgradeKnobs>;
