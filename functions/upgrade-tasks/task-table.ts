import * as z from 'zod';
import type { TaskInvocation } from './context.js';
import type { UpgradeTasks } from './tasks.js';

const Ids = { tenantId: z.string().min(1), executionId: z.string().min(1) };
const Batch = { ...Ids, batch: z.number().int().min(0) };
const Gate = { ...Ids, gate: z.number().int().min(0) };
const StatesError = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional();

/** What the state machines send: the task name and its arguments (see statemachines/*.asl.json). */
export const TaskEvent = z.discriminatedUnion('task', [
  z.object({ task: z.literal('preChecks'), ...Ids }),
  z.object({ task: z.literal('control'), ...Ids }),
  z.object({ task: z.literal('park'), ...Ids, taskToken: z.string().min(1) }),
  z.object({ task: z.literal('startBatch'), ...Batch }),
  z.object({ task: z.literal('checkBatchHealth'), ...Batch }),
  z.object({ task: z.literal('finishBatch'), ...Batch }),
  z.object({ task: z.literal('settleBatch'), ...Batch, error: StatesError }),
  z.object({ task: z.literal('rollbackBatch'), ...Ids }),
  z.object({ task: z.literal('finishRollback'), ...Ids }),
  z.object({ task: z.literal('complete'), ...Ids }),
  z.object({ task: z.literal('fail'), ...Ids, error: StatesError }),
  z.object({
    task: z.literal('openGate'),
    ...Gate,
    kind: z.enum(['stage-approval', 'traffic-switch']),
    taskToken: z.string().min(1),
    timeoutSeconds: z.number().int().min(1),
  }),
  z.object({
    task: z.literal('gatePassed'),
    ...Gate,
    output: z.object({ approvedBy: z.string().optional(), comment: z.string().optional() }).loose().optional(),
  }),
  z.object({ task: z.literal('gateRejected'), ...Gate, error: StatesError }),
  z.object({ task: z.literal('gateTimedOut'), ...Gate }),
  z.object({ task: z.literal('finishCanary'), ...Ids }),
  z.object({ task: z.literal('monitorCanary'), ...Ids }),
  z.object({ task: z.literal('finishGreen'), ...Ids }),
  z.object({ task: z.literal('switchTraffic'), ...Ids, to: z.enum(['green', 'blue']) }),
  z.object({ task: z.literal('holdBlue'), ...Ids, taskToken: z.string().min(1) }),
  z.object({ task: z.literal('retireBlue'), ...Ids }),
  z.object({ task: z.literal('blueGreenControl'), ...Ids }),
  z.object({ task: z.literal('revertGreen'), ...Ids }),
]);
export type TaskEvent = z.infer<typeof TaskEvent>;
export type TaskName = TaskEvent['task'];

type TaskRunner<K extends TaskName> = (
  tasks: UpgradeTasks,
  event: Extract<TaskEvent, { task: K }>,
  invocation?: TaskInvocation,
) => Promise<unknown>;

/**
 * Which function runs each ASL `task` name. Typed over every name of {@link TaskEvent},
 * so a task the schema knows cannot be left out; a test holds the keys against the
 * `task` values the ASL files send.
 */
export const TASK_TABLE = {
  preChecks: (tasks, event) => tasks.preChecks(event),
  control: (tasks, event) => tasks.control(event),
  park: (tasks, event) => tasks.park(event),
  startBatch: (tasks, event, invocation) => tasks.startBatch(event, invocation),
  checkBatchHealth: (tasks, event) => tasks.checkBatchHealth(event),
  finishBatch: (tasks, event) => tasks.finishBatch(event),
  settleBatch: (tasks, event) => tasks.settleBatch(event),
  rollbackBatch: (tasks, event) => tasks.rollbackBatch(event),
  finishRollback: (tasks, event) => tasks.finishRollback(event),
  complete: (tasks, event) => tasks.complete(event),
  fail: (tasks, event) => tasks.fail(event),
  openGate: (tasks, event) => tasks.openGate(event),
  gatePassed: (tasks, event) => tasks.gatePassed(event),
  gateRejected: (tasks, event) => tasks.gateRejected(event),
  gateTimedOut: (tasks, event) => tasks.gateTimedOut(event),
  finishCanary: (tasks, event) => tasks.finishCanary(event),
  monitorCanary: (tasks, event) => tasks.monitorCanary(event),
  finishGreen: (tasks, event) => tasks.finishGreen(event),
  switchTraffic: (tasks, event) => tasks.switchTraffic(event),
  holdBlue: (tasks, event) => tasks.holdBlue(event),
  retireBlue: (tasks, event) => tasks.retireBlue(event),
  blueGreenControl: (tasks, event) => tasks.blueGreenControl(event),
  revertGreen: (tasks, event) => tasks.revertGreen(event),
} satisfies { [K in TaskName]: TaskRunner<K> };

/** Parses what a flow sent and runs its task; a malformed event throws (a bug in an ASL file). */
export function runTask(tasks: UpgradeTasks, raw: unknown, invocation?: TaskInvocation): Promise<unknown> {
  const event = TaskEvent.parse(raw);
  const run = TASK_TABLE[event.task] as TaskRunner<typeof event.task>;
  return run(tasks, event, invocation);
}
