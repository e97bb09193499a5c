import type { UpgradeKnobs } from '../domain/knobs.js';

/*
 * Constants of the upgrade schemas, apart from them: a module that needs a default
 * and no schema (the task handlers, the fleet plan) does not bundle every schema of
 * schemas.ts, whose construction a bundler must keep.
 */

/** The defaults of every knob a request leaves out (docs/architecture.md#defaults-and-effective-batch). */
export const KNOB_DEFAULTS = {
  strategy: 'ROLLING',
  canaryPercentage: 10,
  batchSize: 5,
  batchDelaySeconds: 60,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  maxUnavailablePercentage: 25,
  autoRollbackEnabled: false,
  failureThreshold: 3,
  maxConcurrentActions: 16,
} as const satisfies Required<UpgradeKnobs>;

/** How long a gate waits for a decision by default, and at most. */
export const DEFAULT_GATE_TIMEOUT_SECONDS = 7 * 86_400;
export const MAX_GATE_TIMEOUT_SECONDS = 30 * 86_400;
