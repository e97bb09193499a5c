import * as z from 'zod';

/**
 * One timeline event as the notifier sends it: the event of an upgrade execution or an
 * update run, with its tenant and its number on that timeline.
 */
export interface Notice {
  readonly tenantId: string;
  readonly executionId?: string;
  readonly runId?: string;
  /** Its number on its timeline: with the execution or run id, what makes the delivery id. */
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  readonly actor?: string;
  readonly detail?: Record<string, unknown>;
}

/**
 * The stable id of a notice's delivery, `x-sluice-delivery-id`: the same for every attempt
 * and every redelivery of one timeline event, so a receiver can drop a duplicate.
 */
export function deliveryIdOf(notice: Notice): string {
  return `${notice.executionId ?? notice.runId ?? 'event'}.${notice.seq}`;
}

/**
 * DynamoDB JSON (`{"batch": {"N": "2"}}`) as plain JSON: what the pipe's template cannot do.
 * The timeline's details hold strings, numbers, booleans, nulls, maps and lists.
 */
function plainOf(value: unknown): unknown {
  const typed = (value ?? {}) as Record<string, unknown>;
  if ('S' in typed) return typed.S;
  if ('N' in typed) return Number(typed.N);
  if ('BOOL' in typed) return typed.BOOL;
  if ('NULL' in typed) return null;
  if ('L' in typed) return (typed.L as unknown[]).map(plainOf);
  if ('SS' in typed) return typed.SS;
  if ('NS' in typed) return (typed.NS as string[]).map(Number);
  if ('M' in typed)
    return Object.fromEntries(Object.entries(typed.M as Record<string, unknown>).map(([key, item]) => [key, plainOf(item)]));
  return undefined;
}

const present = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/**
 * What the timeline pipe puts on the bus (lib/constructs/timeline-publisher.ts:
 * TIMELINE_INPUT_TEMPLATE), under the EventBridge envelope. Pipes writes an absent
 * attribute as an empty string or leaves it out, so both read as absent.
 */
const BusEvent = z.object({
  detail: z.object({
    tenantId: z.string().optional(),
    executionId: z.string().optional(),
    runId: z.string().optional(),
    sk: z.string().regex(/^EVENT#\d+$/),
    type: z.string().min(1),
    at: z.string().min(1),
    actor: z.string().optional(),
    detailDynamoDb: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** A bus event of the timeline as a {@link Notice}; throws on an event that is not one. */
export function noticeFromBusEvent(raw: unknown): Notice {
  const { detail } = BusEvent.parse(raw);
  const tenantId = present(detail.tenantId);
  if (!tenantId) throw new Error('A timeline event without a tenantId');
  const executionId = present(detail.executionId);
  const runId = present(detail.runId);
  const actor = present(detail.actor);
  const body =
    detail.detailDynamoDb && Object.keys(detail.detailDynamoDb).length > 0
      ? (plainOf({ M: detail.detailDynamoDb }) as Record<string, unknown>)
      : undefined;
  return {
    tenantId,
    ...(executionId ? { executionId } : {}),
    ...(runId ? { runId } : {}),
    seq: Number(detail.sk.slice('EVENT#'.length)),
    type: detail.type,
    at: detail.at,
    ...(actor ? { actor } : {}),
    ...(body ? { detail: body } : {}),
  };
}

export { DEFAULT_NOTIFY_TYPES, parseNotifyTypes } from '../domain/notify-types.js';
