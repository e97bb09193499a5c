import middy from '@middy/core';
import * as z from 'zod';
import { keysOf, observe } from '../common/observe.js';
import { baseSetup } from '../common/setup.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { pipelineSetup } from './pipeline-setup.js';
import { pipelineUpgradeStarter } from './pipeline-starter.js';

/** What the pipelines' one-time schedules send (see `schedules.ts`). */
const ScheduledEvent = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('auto-validate'), tenantId: z.string().min(1), stepId: z.string().min(1), version: z.string().min(1) }),
  z.strictObject({
    kind: z.literal('start-upgrade'),
    tenantId: z.string().min(1),
    project: z.string().min(1),
    service: z.string().min(1),
    toVersion: z.string().min(1),
  }),
]);

let pipeline: Pipeline | undefined;

/** `arn:aws:lambda:r:a:function:name[:qualifier]` without the qualifier. */
const unqualified = (arn: string) => arn.split(':').slice(0, 7).join(':');

/**
 * The target of every pipeline schedule (EventBridge Scheduler invokes it with the
 * schedule's input). A malformed event throws: Scheduler retries, then parks it in the
 * dead-letter queue, where it can be read.
 */
export const handler = middy<unknown, unknown>()
  // A schedule's kind is its task.
  .use(observe({ keys: (event) => ({ task: keysOf(event, ['kind']).kind, ...keysOf(event, ['tenantId', 'stepId']) }), done: 'task' }))
  .handler(async (raw, context) => {
    const event = ScheduledEvent.parse(raw);
    if (!pipeline) {
      const base = baseSetup();
      // Its own ARN comes from the invocation: an environment variable naming the function
      // itself would be a circular reference in the stack.
      const env = { ...base.env, SCHEDULED_FUNCTION_ARN: base.env.SCHEDULED_FUNCTION_ARN ?? unqualified(context.invokedFunctionArn) };
      const scheduled = { ...base, env };
      pipeline = pipelineSetup(scheduled, { starter: pipelineUpgradeStarter(scheduled) });
    }
    if (event.kind === 'auto-validate') await pipeline.autoValidate(event);
    else await pipeline.startScheduledUpgrade(event);
    return { ok: true };
  });
