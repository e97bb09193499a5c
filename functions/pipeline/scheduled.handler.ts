import middy from '@middy/core';
import * as z from 'zod';
import { baseSetup } from '../shared/setup.js';
import type { Pipeline } from './pipeline.js';
import { pipelineSetup } from './pipeline-setup.js';

/** What the pipelines' one-time schedules send (see `schedules.ts`). */
const ScheduledEvent = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('auto-validate'), tenantId: z.string().min(1), stepId: z.string().min(1), version: z.string().min(1) }),
  z.strictObject({ kind: z.literal('start-upgrade'), tenantId: z.string().min(1), project: z.string().min(1), service: z.string().min(1), toVersion: z.string().min(1) }),
]);

let pipeline: Pipeline | undefined;

/**
 * The target of every pipeline schedule (EventBridge Scheduler invokes it with the
 * schedule's input). A malformed event throws: Scheduler retries, then parks it in the
 * dead-letter queue, where it can be read.
 */
export const handler = middy<unknown, unknown>().handler(async (raw) => {
  const event = ScheduledEvent.parse(raw);
  pipeline ??= pipelineSetup(baseSetup(), { startsUpgrades: true });
  if (event.kind === 'auto-validate') await pipeline.autoValidate(event);
  else await pipeline.startScheduledUpgrade(event);
  return { ok: true };
});
