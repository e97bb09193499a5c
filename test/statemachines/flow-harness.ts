/**
 * Runs the deployed ASL files (every flow of lib/flows.ts, substituted as CDK does) on
 * the embedded engine with a stand-in task function, so a test can follow one path
 * through a flow: which tasks ran, in which order, which states were entered, and how
 * the execution ended. No DynamoDB and no Java: the stand-ins answer what the real
 * tasks would, the flows' wiring is what is tested.
 */

import type { FlowName } from '../../functions/domain/flows.js';
import { type Clock, createEngine, type ExecutionDescription, type SfnEngine } from '../../local/engine/index.js';
import { createFlowStateMachines } from '../../local/flows.js';

/** What a flow sends the task function: `task` and its arguments. */
export interface TaskCall {
  readonly task: string;
  readonly tenantId?: string;
  readonly executionId?: string;
  readonly batch?: number;
  readonly gate?: number;
  readonly kind?: string;
  readonly to?: string;
  readonly timeoutSeconds?: number;
  readonly taskToken?: string;
  readonly error?: { Error?: string; Cause?: string };
  readonly output?: unknown;
  readonly [field: string]: unknown;
}

/**
 * A stand-in task: answers the call (the `nth` call of this task, from 1), or throws.
 * It gets the engine to do what a real task may do with its own task token.
 */
export type StandIn = (call: TaskCall, nth: number, engine: SfnEngine) => unknown;

/** A stand-in answering the given results in turn, the last one from then on. */
export function inTurn(...results: unknown[]): StandIn {
  return (_call, nth) => results[Math.min(nth, results.length) - 1];
}

/**
 * A token task (`openGate`, `holdBlue`) whose first call keeps its token for the test
 * to answer, and whose later calls find the execution no longer waiting (rolled back
 * meanwhile) and fail their own token with `error`, as the real tasks do.
 */
export function keepsTokenOnceThenFails(error: string): StandIn {
  return async (call, nth, engine) => {
    if (nth > 1) await engine.sendTaskFailure({ taskToken: call.taskToken ?? '', error, cause: 'The upgrade is ROLLING_BACK' });
  };
}

/** A stand-in that always throws `error` (a task whose code keeps failing). */
export function throwing(error: Error): StandIn {
  return () => {
    throw error;
  };
}

export interface FlowRun {
  readonly engine: SfnEngine;
  /** Every task call, children's included, in the order they were made. */
  readonly calls: readonly TaskCall[];
  /** Starts `flow` with `{ tenantId: 't', executionId: 'e', ...input }`. */
  start(flow: FlowName, input?: Record<string, unknown>): Promise<string>;
  /**
   * Resolves with the `nth` call of `task` (from 1) once it has been made; rejects if
   * an execution started with {@link FlowRun.start} ends first (so a wrong path fails
   * the test at once instead of waiting for its timeout).
   */
  called(task: string, nth?: number): Promise<TaskCall>;
  /** The execution's description once it has ended. */
  finished(executionArn: string): Promise<ExecutionDescription>;
  /** The names of the states the execution entered, in order (its own history only). */
  entered(executionArn: string): Promise<string[]>;
  /** The task names called so far, in order. */
  tasks(): string[];
}

const TASK_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:tasks';

/**
 * Runs `body` against an engine whose task function is `standIns` (a task without a
 * stand-in throws, as a malformed event would), then closes the engine.
 */
export async function withFlows<T>(
  standIns: Readonly<Record<string, StandIn>>,
  body: (run: FlowRun) => Promise<T>,
  options: { clock?: Clock } = {},
): Promise<T> {
  const calls: TaskCall[] = [];
  const counts = new Map<string, number>();
  const waiters: { task: string; nth: number; resolve: (call: TaskCall) => void; reject: (error: Error) => void }[] = [];
  let ended: string | undefined;
  const nthCall = (task: string, nth: number): TaskCall | undefined => calls.filter((call) => call.task === task)[nth - 1];

  const invokeLambda = async (_fn: string, payload: unknown): Promise<unknown> => {
    const call = payload as TaskCall;
    calls.push(call);
    const nth = (counts.get(call.task) ?? 0) + 1;
    counts.set(call.task, nth);
    for (const waiter of waiters.filter((w) => nthCall(w.task, w.nth) !== undefined)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(nthCall(waiter.task, waiter.nth) as TaskCall);
    }
    const standIn = standIns[call.task];
    if (standIn === undefined) throw new Error(`no stand-in for task ${call.task}`);
    return standIn(call, nth, engine);
  };

  const engine = await createEngine({ invokeLambda, ...(options.clock ? { clock: options.clock } : { timeScale: 100_000 }) });
  try {
    const arns = await createFlowStateMachines(engine, { taskFunctionArn: TASK_FUNCTION_ARN, prefix: 'test-' });
    const run: FlowRun = {
      engine,
      calls,
      async start(flow, input = {}) {
        const stateMachineArn = arns[flow];
        if (stateMachineArn === undefined) throw new Error(`no flow ${flow}`);
        const { executionArn } = await engine.startExecution({
          stateMachineArn,
          input: JSON.stringify({ tenantId: 't', executionId: 'e', ...input }),
        });
        void engine.waitForExecution(executionArn).then((description) => {
          ended = `${flow} ended ${description.status} after ${calls.map((call) => call.task).join(', ')}`;
          for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${ended}, before call ${waiter.nth} of ${waiter.task}`));
        });
        return executionArn;
      },
      called(task, nth = 1) {
        const made = nthCall(task, nth);
        if (made !== undefined) return Promise.resolve(made);
        if (ended !== undefined) return Promise.reject(new Error(`${ended}, before call ${nth} of ${task}`));
        return new Promise<TaskCall>((resolve, reject) => waiters.push({ task, nth, resolve, reject }));
      },
      finished: (executionArn) => engine.waitForExecution(executionArn),
      async entered(executionArn) {
        const names: string[] = [];
        let nextToken: string | undefined;
        do {
          const page = await engine.getExecutionHistory({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
          for (const event of page.events) {
            const name = event.stateEnteredEventDetails?.name;
            if (typeof name === 'string') names.push(name);
          }
          nextToken = page.nextToken;
        } while (nextToken !== undefined);
        return names;
      },
      tasks: () => calls.map((call) => call.task),
    };
    return await body(run);
  } finally {
    await engine.close();
  }
}
