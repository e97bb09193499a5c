import { describe, expect, it } from 'vitest';
import { lazy } from '../../functions/common/lazy.js';

describe('lazy', () => {
  it('makes nothing until first used, then makes once for concurrent and later uses', async () => {
    let made = 0;
    const value = lazy(async () => {
      made += 1;
      return { n: made };
    });
    expect(made).toBe(0);
    const [a, b] = await Promise.all([value(), value()]);
    expect(made).toBe(1);
    expect(a).toBe(b);
    expect(await value()).toBe(a);
  });

  it('tries a failed make again on the next use instead of keeping the failure', async () => {
    let attempts = 0;
    const value = lazy(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('first try fails');
      return 'made';
    });
    await expect(value()).rejects.toThrow('first try fails');
    expect(await value()).toBe('made');
    expect(attempts).toBe(2);
  });
});
