/** Latency figures of one load run. */
export interface LoadFigures {
  readonly requests: number;
  readonly concurrency: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requestsPerSecond: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Runs `operation` `requests` times from `concurrency` workers, each worker firing its
 * next call when the previous one answers (closed loop), and measures every call.
 */
export async function measure(concurrency: number, requests: number, operation: () => Promise<void>): Promise<LoadFigures> {
  const { latencies, seconds } = await sample(concurrency, requests, operation);
  return figuresOf(concurrency, latencies, seconds);
}

/** The latencies of {@link measure}'s calls and how long they took together, for pooling rounds. */
export async function sample(
  concurrency: number,
  requests: number,
  operation: () => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        issued += 1;
        const before = performance.now();
        await operation();
        latencies.push(performance.now() - before);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Figures of pooled latencies (one round or several) taken in `seconds` of load. */
export function figuresOf(concurrency: number, latencies: readonly number[], seconds: number): LoadFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    requests: sorted.length,
    concurrency,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    requestsPerSecond: Math.round(sorted.length / seconds),
  };
}
