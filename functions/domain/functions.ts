/**
 * How long each function may run, in seconds, as plain data: the stack configures its
 * Lambdas with these and the local runtime enforces the same limits, so a task that would
 * overrun in AWS overruns locally too.
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  /**
   * The API route groups: API Gateway answers 503 after 30 s whatever the function does.
   * An events long poll holds up to 20 s (common/feed.ts MAX_WAIT_SECONDS), then answers.
   */
  api: 25,
  /** The task function of the flows: one invocation drives a batch's instance actions. */
  'upgrade-tasks': 300,
  /** The target of the pipelines' schedules. */
  'pipeline-scheduled': 60,
  /** The task function of the update run flows: one look may create and start many member upgrades. */
  'fleet-tasks': 300,
  /** The auto-upgrade fan-out of one published version: a run created and started per admitting profile. */
  'auto-upgrade': 300,
  /** The notifier: one event, its delivery attempts (10 s each) and their backoff. */
  notifier: 60,
} as const satisfies Record<string, number>;
