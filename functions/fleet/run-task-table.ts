import * as z from 'zod';
import type { RunTasks } from './run-tasks.js';

const Ids = { tenantId: z.string().min(1), runId: z.string().min(1), generation: z.number().int().min(0) };

/** What the update run flows send (statemachines/update-run*.asl.json): the task name and its arguments. */
export const RunTaskEvent = z.discriminatedUnion('task', [
  z.object({ task: z.literal('nextRunMove'), ...Ids }),
  z.object({ task: z.literal('nextStageMove'), ...Ids, stage: z.number().int().min(0), looks: z.number().int().min(0).default(0) }),
  z.object({ task: z.literal('restartStage'), ...Ids, stage: z.number().int().min(0) }),
  z.object({ task: z.literal('park'), ...Ids, seen: z.number().int().min(0), token: z.string().min(1) }),
  z.object({
    task: z.literal('failRun'),
    ...Ids,
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
]);
export type RunTaskEvent = z.infer<typeof RunTaskEvent>;

/**
 * Runs the task an update run flow asked for. A malformed event is a bug in an ASL file:
 * it throws (the flow's Catch ends the run FAILED with it), it is never ignored.
 */
export async function runRunTask(tasks: RunTasks, raw: unknown): Promise<unknown> {
  const event = RunTaskEvent.parse(raw);
  switch (event.task) {
    case 'nextRunMove':
      return tasks.nextRunMove(event);
    case 'nextStageMove':
      return tasks.nextStageMove(event);
    case 'restartStage':
      return tasks.restartStage(event);
    case 'park':
      return tasks.park(event);
    case 'failRun':
      return tasks.failRun(event);
  }
}
