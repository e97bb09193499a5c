import type { StartableFlowName } from '../domain/flows.js';

/**
 * The port through which use cases drive the flows. Only `sfn-workflow.ts` knows that
 * Step Functions is behind it.
 */
export interface Workflow {
  /** Starts the flow of an upgrade; `name` makes a repeated start idempotent. Returns its id. */
  start(request: { flow: StartableFlowName; name: string; input: Record<string, unknown> }): Promise<string>;
  /** Completes a parked task (a pause or a gate). */
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  stop(workflowId: string, cause: string): Promise<void>;
}
