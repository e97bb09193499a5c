/**
 * The port through which use cases drive the flows. Only `sfn-workflow.ts` knows that
 * Step Functions is behind it.
 */
export type WorkflowName = 'rolling' | 'canary' | 'blue-green';

export interface Workflow {
  /** Starts the flow of an upgrade; `name` makes a repeated start idempotent. Returns its id. */
  start(request: { flow: WorkflowName; name: string; input: Record<string, unknown> }): Promise<string>;
  /** Completes a parked task (a pause or a gate). */
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  stop(workflowId: string, cause: string): Promise<void>;
}
