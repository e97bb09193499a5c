import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import type { StartableFlowName } from '../../functions/domain/flows.js';
import { LOCAL_ACCOUNT, LOCAL_FUNCTIONS, LOCAL_REGION } from '../../local/lambdas.js';
import { type WaitOptions, waitFor } from './wait.js';

/** The function every flow invokes for its tasks (statemachines/*.asl.json). */
const TASKS_FUNCTION = 'sluice-upgrade-tasks';

export interface TaskCall {
  /** The task the flow asked for (`startBatch`, `park`, `monitorCanary`, …). */
  readonly task: string;
  readonly executionId: string | undefined;
  readonly payload: Record<string, unknown>;
  /** Set once the call returned or threw. */
  settled: boolean;
  result?: unknown;
  error?: unknown;
}

const calls: TaskCall[] = [];
let installed = false;

/**
 * Records every invocation of the upgrade-tasks function that the embedded flows make in
 * this test process from now on (the local runtime runs in-process and looks the function
 * up per call). It shows what a flow is doing and, after a stop, that the task it had in
 * flight has returned: the engine drops a stopped flow's events, so its history cannot.
 */
export function recordTaskCalls(): TaskCalls {
  if (!installed) {
    installed = true;
    const original = LOCAL_FUNCTIONS[TASKS_FUNCTION];
    if (!original) throw new Error(`no local function ${TASKS_FUNCTION}`);
    LOCAL_FUNCTIONS[TASKS_FUNCTION] = async (event, context) => {
      const payload = (event ?? {}) as Record<string, unknown>;
      const call: TaskCall = {
        task: String(payload.task),
        executionId: typeof payload.executionId === 'string' ? payload.executionId : undefined,
        payload,
        settled: false,
      };
      calls.push(call);
      try {
        call.result = await original(event, context);
        return call.result;
      } catch (error) {
        call.error = error;
        throw error;
      } finally {
        call.settled = true;
      }
    };
  }
  return taskCalls;
}

export interface TaskCalls {
  /** The calls made for one upgrade execution so far, oldest first (its child flows' too). */
  of(executionId: string): readonly TaskCall[];
  /** Those of them still running. */
  running(executionId: string): readonly TaskCall[];
  /** Resolves once no call for the execution is running: whatever it had in flight has returned. */
  settled(executionId: string, options?: WaitOptions): Promise<void>;
  /** Resolves with the calls for the execution once `predicate` holds for them. */
  until(executionId: string, predicate: (calls: readonly TaskCall[]) => boolean, options?: WaitOptions): Promise<readonly TaskCall[]>;
}

const taskCalls: TaskCalls = {
  of: (executionId) => calls.filter((call) => call.executionId === executionId),
  running: (executionId) => taskCalls.of(executionId).filter((call) => !call.settled),
  async settled(executionId, options = {}) {
    await waitFor(() => taskCalls.running(executionId).length === 0, {
      message: () =>
        `the tasks of ${executionId} to return (still running: ${taskCalls
          .running(executionId)
          .map((call) => call.task)
          .join(', ')})`,
      ...options,
    });
  },
  async until(executionId, predicate, options = {}) {
    return waitFor(() => (predicate(taskCalls.of(executionId)) ? taskCalls.of(executionId) : undefined), {
      message: () =>
        `the task calls of ${executionId} to match (so far: ${taskCalls
          .of(executionId)
          .map((call) => call.task)
          .join(', ')})`,
      ...options,
    });
  },
};

/**
 * The flow (Step Functions execution) of an upgrade, as the SFN API of the local runtime at
 * `stepfunctions` describes it; undefined when it was never started.
 */
export async function describeFlow(
  stepfunctions: string,
  flow: StartableFlowName,
  executionId: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  const sfn = new SFNClient({
    endpoint: stepfunctions,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    // The upgrades API starts each flow under the execution's id (functions/upgrades/upgrades.ts).
    return await sfn.send(
      new DescribeExecutionCommand({
        executionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:sluice-${flow}:${executionId}`,
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  } finally {
    sfn.destroy();
  }
}
