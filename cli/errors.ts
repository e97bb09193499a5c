/** Exit codes of `sluice` (DESIGN of the CLI: 0 ok, 1 API or network error, 2 usage, 3 a watched rollout did not complete). */
export const EXIT = { ok: 0, api: 1, usage: 2, notCompleted: 3 } as const;

/** A command line the CLI cannot act on: one line on stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The CLI ends with this code after printing what it had to (a watch that ended FAILED). */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
