import { describe, expect, it } from 'vitest';
import { createRandom, DEFAULT_TEST_SEED, deriveSeed, mulberry32, testSeed } from '../support/random.js';

describe('the seeded randomness of the tests (test/support/random.ts)', () => {
  it('reads SLUICE_TEST_SEED, defaults to a fixed seed, and refuses anything but a 32-bit integer', () => {
    expect(testSeed({})).toBe(DEFAULT_TEST_SEED);
    expect(testSeed({ SLUICE_TEST_SEED: ' 7 ' })).toBe(7);
    expect(testSeed({ SLUICE_TEST_SEED: '' })).toBe(DEFAULT_TEST_SEED);
    for (const bad of ['x', '1.5', '-1', '4294967296']) expect(() => testSeed({ SLUICE_TEST_SEED: bad })).toThrow(/SLUICE_TEST_SEED/);
  });

  it('repeats the same stream for the same seed, and another for another seed', () => {
    const take = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    expect(take(42).every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('derives a different, stable seed per label', () => {
    expect(deriveSeed(1, 'a')).toBe(deriveSeed(1, 'a'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(1, 'b'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
    expect(deriveSeed(1, 'a') | 0).toBe(deriveSeed(1, 'a'));
  });

  it('shuffles into a permutation, the same one for the same seed', () => {
    const items = Array.from({ length: 20 }, (_, index) => index);
    const shuffled = createRandom(9).shuffle(items);
    expect(shuffled).toEqual(createRandom(9).shuffle(items));
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });

  it('keeps int, pick and weighted within their bounds', () => {
    const random = createRandom(3);
    for (let i = 0; i < 200; i++) {
      expect(random.int(2, 4)).toBeGreaterThanOrEqual(2);
      expect(random.int(2, 4)).toBeLessThanOrEqual(4);
      expect(['a', 'b']).toContain(random.pick(['a', 'b']));
      expect(random.weighted({ x: 1, y: 0 })).toBe('x');
    }
  });
});
