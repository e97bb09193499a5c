import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS } from '../functions/domain/functions.js';
import { handler as autoUpgrade } from '../functions/handlers/auto-upgrade.handler.js';
import { handler as fleetTasks } from '../functions/handlers/fleet-tasks.handler.js';
import { handler as notifier } from '../functions/handlers/notifier.handler.js';
import { handler as pipelineScheduled } from '../functions/handlers/scheduled.handler.js';
import { handler as upgradeTasks } from '../functions/handlers/upgrade-tasks.handler.js';
import { inInvocationScope } from './invocation-scope.js';

/** The account and region the local runtime pretends to be. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

type TaskLambda = (event: unknown, context: Context) => Promise<unknown>;

/** The function the pipelines' schedules invoke. */
export const SCHEDULED_FUNCTION_NAME = 'sluice-pipeline-scheduled';
/** The function the update run flows invoke. */
export const FLEET_TASKS_FUNCTION_NAME = 'sluice-fleet-tasks';

/** The auto-upgrade fan-out, which `local/events.ts` invokes with each published version. */
export const AUTO_UPGRADE_FUNCTION_NAME = 'sluice-auto-upgrade';

/** The notifier, which `local/events.ts` invokes with the chosen timeline events when SLUICE_NOTIFY_URL is set. */
export const NOTIFIER_FUNCTION_NAME = 'sluice-notifier';

/**
 * Each local function's timeout, as the stack configures it. `SLUICE_TASK_TIMEOUT_SECONDS`
 * (local only) shortens the task function's, so that a large batch visibly spans
 * invocations without waiting minutes.
 */
export function localTimeoutSeconds(name: string): number {
  if (name === SCHEDULED_FUNCTION_NAME) return FUNCTION_TIMEOUT_SECONDS['pipeline-scheduled'];
  if (name === FLEET_TASKS_FUNCTION_NAME) return FUNCTION_TIMEOUT_SECONDS['fleet-tasks'];
  if (name === AUTO_UPGRADE_FUNCTION_NAME) return FUNCTION_TIMEOUT_SECONDS['auto-upgrade'];
  if (name === NOTIFIER_FUNCTION_NAME) return FUNCTION_TIMEOUT_SECONDS.notifier;
  const override = Number(process.env.SLUICE_TASK_TIMEOUT_SECONDS);
  return Number.isFinite(override) && override > 0 ? override : FUNCTION_TIMEOUT_SECONDS['upgrade-tasks'];
}

/** Lambda functions that state machines, schedules and table events invoke, by function name, as deployed. */
export const LOCAL_FUNCTIONS: Record<string, TaskLambda> = {
  'sluice-upgrade-tasks': upgradeTasks as TaskLambda,
  [SCHEDULED_FUNCTION_NAME]: pipelineScheduled as TaskLambda,
  [FLEET_TASKS_FUNCTION_NAME]: fleetTasks as TaskLambda,
  [AUTO_UPGRADE_FUNCTION_NAME]: autoUpgrade as TaskLambda,
  [NOTIFIER_FUNCTION_NAME]: notifier as TaskLambda,
};

export const localFunctionArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

/**
 * Invokes a local function the way Lambda would for Step Functions: by name or ARN
 * (with an optional qualifier), with a fresh context. Errors propagate as thrown, and
 * the engine turns them into Lambda's error shape.
 */
export async function invokeLocalFunction(nameOrArn: string, payload: unknown): Promise<unknown> {
  const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : (nameOrArn.split(':')[0] ?? '');
  const fn = LOCAL_FUNCTIONS[name];
  if (!fn) throw Object.assign(new Error(`Function not found: ${nameOrArn}`), { name: 'Lambda.ResourceNotFoundException' });
  const requestId = randomUUID();
  const timeoutMs = localTimeoutSeconds(name) * 1000;
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(name),
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } satisfies Context;
  // As Lambda does, an invocation past its timeout fails with Sandbox.Timedout. Lambda would
  // also stop the code; in-process it cannot be stopped, which is why the tasks stop
  // themselves well before (see the upgrade tasks' time budget).
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error(`Task timed out after ${timeoutMs / 1000} seconds`), { name: 'Sandbox.Timedout' }));
    }, timeoutMs);
  });
  try {
    // In a scope of its own, as Lambda runs concurrent invocations (see invocation-scope.ts).
    return await Promise.race([inInvocationScope(requestId, () => fn(payload, context)), expired]);
  } finally {
    clearTimeout(timer);
  }
}
