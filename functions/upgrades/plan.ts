import type { Strategy } from './schemas.js';

/**
 * The size of one batch: the smaller of `batchSize` and `maxUnavailablePercentage` of
 * the instances, at least 1 (docs/architecture.md#defaults-and-effective-batch). RECREATE takes every instance at once: taking
 * them all down together is what the strategy means.
 */
export function effectiveBatchSize(input: {
  strategy: Strategy;
  instances: number;
  batchSize: number;
  maxUnavailablePercentage: number;
}): number {
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

export interface StagePlan {
  /** Instance ids in the order the stages take them. */
  readonly order: string[];
  /** Batch (= stage) boundaries over `order`. */
  readonly bounds: number[];
  readonly names: string[];
}

/**
 * Splits the instances into STAGED stages, in order: a stage names its instances or a
 * percentage of all instances (rounded up); a stage with neither takes what is left,
 * and so does the last stage. Answers the problems instead of a plan when the stages
 * do not fit the service.
 */
export function planStages(
  stages: readonly { name: string; instances?: string[]; percentage?: number }[],
  instanceIds: readonly string[],
): StagePlan | { problems: string[] } {
  const problems: string[] = [];
  const known = new Set(instanceIds);
  const claimed = new Set<string>();
  for (const stage of stages) {
    for (const id of stage.instances ?? []) {
      if (!known.has(id)) problems.push(`stage ${stage.name}: instance ${id} is not an instance of the service`);
      else if (claimed.has(id)) problems.push(`stage ${stage.name}: instance ${id} is already in an earlier stage`);
      claimed.add(id);
    }
  }
  const names = stages.map((stage) => stage.name);
  if (new Set(names).size !== names.length) problems.push('stage names must be unique');
  if (problems.length > 0) return { problems };

  const rest = instanceIds.filter((id) => !claimed.has(id));
  const order: string[] = [];
  const bounds = [0];
  stages.forEach((stage, index) => {
    const last = index === stages.length - 1;
    if (stage.instances) order.push(...stage.instances);
    if (stage.percentage !== undefined && !last) order.push(...rest.splice(0, Math.ceil((stage.percentage / 100) * instanceIds.length)));
    if (last || (!stage.instances && stage.percentage === undefined)) order.push(...rest.splice(0, rest.length));
    bounds.push(order.length);
  });
  stages.forEach((stage, index) => {
    if ((bounds[index + 1] ?? 0) === (bounds[index] ?? 0)) problems.push(`stage ${stage.name} has no instances left to take`);
  });
  return problems.length > 0 ? { problems } : { order, bounds, names };
}
