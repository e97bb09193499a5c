export interface WaitOptions {
  /** Give up after this long. @default 20_000 */
  readonly timeout?: number;
  /** Between two looks. @default 20 */
  readonly interval?: number;
  /** Says what was awaited when it times out; a function is called then, with the last value. */
  readonly message?: string | ((last: unknown) => string);
}

/**
 * Polls `probe` until it returns something truthy and returns that. This waits on state
 * the test can observe, never for a fixed time: it returns as soon as the state is there.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<Exclude<T, false | 0 | ''>>> {
  const timeout = options.timeout ?? 20_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<Exclude<T, false | 0 | ''>>;
    if (Date.now() > deadline) {
      const what = typeof options.message === 'function' ? options.message(value) : (options.message ?? 'the condition');
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    }
    await new Promise((done) => setTimeout(done, options.interval ?? 20));
  }
}
