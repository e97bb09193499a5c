/**
 * A value made on its first use and reused after: `const client = lazy(async () => new Client())`.
 * Concurrent first uses share one promise; a make that fails is tried again on the next
 * use instead of caching the failure.
 *
 * The functions load the AWS SDK clients a route or task needs through it, not at module
 * init, so a cold start pays only for the clients its first request uses
 * (docs/decisions/0033-sdk-through-require-and-lazy-clients.md).
 */
export function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
}
