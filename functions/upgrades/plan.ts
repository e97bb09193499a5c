import type { Strategy } from './schemas.js';

/**
 * The size of one batch: the smaller of `batchSize` and `maxUnavailablePercentage` of
 * the instances, at least 1 (DESIGN §4). RECREATE takes every instance at once: taking
 * them all down together is what the strategy means.
 */
export function effectiveBatchSize(input: { strategy: Strategy; instances: number; batchSize: number; maxUnavailablePercentage: number }): number {
  if (input.strategy === 'RECREATE') return Math.max(1, input.instances);
  const bound = Math.floor((input.maxUnavailablePercentage / 100) * input.instances);
  return Math.max(1, Math.min(input.batchSize, bound));
}

export function batchCount(instances: number, batchSize: number): number {
  return instances === 0 ? 0 : Math.ceil(instances / batchSize);
}

/** ceil(canaryPercentage × instances), at least 1 and at most all of them. */
export function canaryCount(instances: number, canaryPercentage: number): number {
  if (instances === 0) return 0;
  return Math.min(instances, Math.max(1, Math.ceil((canaryPercentage / 100) * instances)));
}

/**
 * Batch boundaries over the instance list: batch `i` holds the instances with index in
 * `[bounds[i], bounds[i + 1])`. A CANARY plan's first batch is the canaries; the rest
 * follows the ROLLING rules.
 */
export function planBatches(input: {
  strategy: Strategy;
  instances: number;
  batchSize: number;
  maxUnavailablePercentage: number;
  canaryPercentage: number;
}): number[] {
  const { instances } = input;
  if (instances === 0) return [0];
  const bounds = [0];
  let next = 0;
  if (input.strategy === 'CANARY') {
    next = canaryCount(instances, input.canaryPercentage);
    bounds.push(next);
  }
  const size = effectiveBatchSize(input);
  while (next < instances) {
    next = Math.min(instances, next + size);
    bounds.push(next);
  }
  return bounds;
}
