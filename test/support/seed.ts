import type { TestContext } from 'vitest';
import { deriveSeed, testSeed } from './random.js';

/**
 * The seed for the random choices of the running test: the run's seed (SLUICE_TEST_SEED or
 * the default), or one derived from it for `label`. It is annotated on the test, which the
 * default reporter prints when the test fails, with the command line that replays it.
 */
export async function useSeed(context: Pick<TestContext, 'annotate' | 'task'>, label?: string): Promise<number> {
  const base = testSeed();
  const seed = label === undefined ? base : deriveSeed(base, label);
  const derived = label === undefined ? '' : ` (derived from ${base} for ${JSON.stringify(label)})`;
  await context.annotate(
    `random choices seeded with ${seed}${derived}; replay: SLUICE_TEST_SEED=${base} npx vitest run ${context.task.file.name}`,
  );
  return seed;
}
