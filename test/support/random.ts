/**
 * Seeded randomness for tests and the soak (bench/soak.ts): every random choice comes from
 * one of these, so a failing run replays exactly. No vitest import: bench code uses it too.
 */

/** The seed when SLUICE_TEST_SEED is not set: runs are reproducible by default. */
export const DEFAULT_TEST_SEED = 20_240_601;

/** The run's seed: SLUICE_TEST_SEED (an integer from 0 to 2^32 - 1), else {@link DEFAULT_TEST_SEED}. */
export function testSeed(env: Record<string, string | undefined> = process.env): number {
  const text = env.SLUICE_TEST_SEED?.trim();
  if (text === undefined || text === '') return DEFAULT_TEST_SEED;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
    throw new Error(`SLUICE_TEST_SEED must be an integer from 0 to ${0xffff_ffff}, got ${JSON.stringify(text)}`);
  return seed;
}

/**
 * A seed of its own for each label (a route, a case) from one run seed, so streams differ.
 * A signed 32-bit integer, as fast-check prints the seed it ran with.
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, started from the seed, then one mulberry32 step to spread it.
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (const char of label) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return Math.floor(mulberry32(hash)() * 0x1_0000_0000) | 0;
}

/** mulberry32: a small, fast 32-bit PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer from min to max, both included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** A key of `weights`, each as likely as its weight. */
  weighted<T extends string>(weights: Partial<Record<T, number>>): T;
  chance(probability: number): boolean;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
    weighted: <T extends string>(weights: Partial<Record<T, number>>): T => {
      const entries = Object.entries(weights) as Array<[T, number]>;
      let roll = next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
      for (const [item, weight] of entries) if ((roll -= weight) < 0) return item;
      return entries[entries.length - 1]?.[0] as T;
    },
    chance: (probability) => next() < probability,
    shuffle: <T>(items: readonly T[]) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
  };
}
