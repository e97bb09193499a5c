/**
 * What the functions write to their log stream, read back: in Lambda their stdout and
 * stderr go to CloudWatch Logs; locally and in tests, Powertools writes them to this
 * process's stdout (debug and info lines, EMF metric lines) and stderr (warnings and
 * errors). Captures both until `stop`, and does not pass them on.
 */
export interface LogStream {
  /** Every line written so far that is a JSON object, in order. */
  records(): Record<string, any>[];
  /** Every line written so far, as written. */
  text(): string;
  stop(): void;
}

export function captureLogStream(): LogStream {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof stream.write;
  }
  const text = () => chunks.join('');
  return {
    text,
    records: () =>
      text()
        .split('\n')
        .flatMap((line) => {
          if (!line.startsWith('{')) return [];
          try {
            return [JSON.parse(line) as Record<string, any>];
          } catch {
            return [];
          }
        }),
    stop: () => {
      streams.forEach((stream, index) => {
        stream.write = originals[index] as typeof stream.write;
      });
    },
  };
}
