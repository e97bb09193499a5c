import { stepFunctionsSdk as sdk } from '../common/aws-sdk.js';
import type { Env } from '../common/env.js';
import { lazy } from '../common/lazy.js';
import type { StartableFlowName } from '../domain/flows.js';
import type { Workflow } from './workflow.js';

/**
 * The Step Functions adapter of the workflow port. In AWS it talks to Step Functions;
 * locally `SFN_ENDPOINT` points the same client at the embedded engine. The client is
 * made on the first call, so a function that never starts or moves a flow never loads it.
 */
export function createSfnWorkflow(
  env: Pick<
    Env,
    | 'AWS_REGION'
    | 'SFN_ENDPOINT'
    | 'ROLLING_STATE_MACHINE_ARN'
    | 'CANARY_STATE_MACHINE_ARN'
    | 'BLUE_GREEN_STATE_MACHINE_ARN'
    | 'UPDATE_RUN_STATE_MACHINE_ARN'
  >,
): Workflow {
  const client = lazy(async () => {
    const { SFNClient } = await sdk();
    return new SFNClient({
      region: env.AWS_REGION,
      ...(env.SFN_ENDPOINT ? { endpoint: env.SFN_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  });
  const machines: Record<StartableFlowName, string | undefined> = {
    rolling: env.ROLLING_STATE_MACHINE_ARN,
    canary: env.CANARY_STATE_MACHINE_ARN,
    'blue-green': env.BLUE_GREEN_STATE_MACHINE_ARN,
    'update-run': env.UPDATE_RUN_STATE_MACHINE_ARN,
  };
  const isGone = (error: unknown) =>
    error instanceof Error && ['TaskDoesNotExist', 'TaskTimedOut', 'ExecutionDoesNotExist'].includes(error.name);

  return {
    async start({ flow, name, input }) {
      const stateMachineArn = machines[flow];
      if (!stateMachineArn) throw new Error(`No state machine is configured for the ${flow} flow`);
      const { StartExecutionCommand } = await sdk();
      const { executionArn } = await (await client()).send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return executionArn ?? '';
    },
    async succeed(taskToken, output) {
      // A token that is already spent or timed out means someone else moved the flow on.
      const { SendTaskSuccessCommand } = await sdk();
      await (await client()).send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })).catch((error: unknown) => {
        if (!isGone(error)) throw error;
      });
    },
    async fail(taskToken, error, cause) {
      const { SendTaskFailureCommand } = await sdk();
      await (await client()).send(new SendTaskFailureCommand({ taskToken, error, cause })).catch((failure: unknown) => {
        if (!isGone(failure)) throw failure;
      });
    },
    async stop(workflowId, cause) {
      const { StopExecutionCommand } = await sdk();
      await (await client()).send(new StopExecutionCommand({ executionArn: workflowId, cause })).catch((error: unknown) => {
        if (!isGone(error)) throw error;
      });
    },
  };
}
