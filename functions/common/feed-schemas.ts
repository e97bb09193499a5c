import * as z from 'zod';
import { deferred } from '../domain/deferred.js';
import { EVENT_TYPES, type EventType } from '../domain/event-types.js';
import type { FeedPage, FeedQuery, SequencedEvent } from './feed.js';
import { decodeCursor, encodeCursor, FEED_PAGE_LIMIT, MAX_WAIT_SECONDS } from './feed-cursor.js';

/** What happened; the OpenAPI document describes each type (functions/api/event-type-docs.ts). */
export const EventTypeSchema = z.enum(EVENT_TYPES).meta({ id: 'EventType' });

/** One event of a timeline (an upgrade's, a run's). */
export const TimelineEvent = deferred(() =>
  z
    .strictObject({
      cursor: z.string().meta({ description: 'Resumes right after this event: pass it as `after`.' }),
      type: EventTypeSchema,
      at: z.iso.datetime(),
      actor: z.string().optional().meta({ description: 'Who caused it: a user (the token subject) or `sluice`.' }),
      detail: z.record(z.string(), z.unknown()).optional().meta({ description: 'Facts of the event; its type says which.' }),
    })
    .meta({ id: 'TimelineEvent' }),
);
export type TimelineEventView = z.infer<typeof TimelineEvent>;

/** One event of the tenant's feed: a timeline event with what it is about. */
export const FeedEvent = deferred(() =>
  TimelineEvent.unwrap()
    .extend({
      executionId: z.string().optional().meta({ description: 'The upgrade it is about (upgrade events).' }),
      runId: z.string().optional().meta({ description: 'The update run it is about (run events).' }),
    })
    .meta({ id: 'FeedEvent' }),
);
export type FeedEventView = z.infer<typeof FeedEvent>;

const page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .strictObject({
      items: z.array(item),
      cursor: z.string().meta({ description: 'Where this answer ends: pass it as `after` to follow on.' }),
      nextToken: z.string().optional().meta({ description: 'Present when more events are there right now (the same value as `cursor`).' }),
    })
    .meta({ id });

export const TimelineEventPage = deferred(() => page(TimelineEvent, 'TimelineEventPage'));
export const FeedEventPage = deferred(() => page(FeedEvent, 'FeedEventPage'));

const TypeList = z
  .string()
  .max(2048)
  .transform((text, context) => {
    const types = text
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean);
    const unknown = types.filter((type) => !(EVENT_TYPES as readonly string[]).includes(type));
    if (unknown.length > 0) {
      context.addIssue({ code: 'custom', message: `unknown event type(s): ${unknown.join(', ')}` });
      return z.NEVER;
    }
    return types as EventType[];
  })
  .meta({
    description: 'Only these types, comma-separated (the cursor still moves past the others).',
    example: 'GateWaiting,UpgradeCompleted',
  });

/** `after`, `waitSeconds`, `types`, `limit` (and `nextToken`, the list convention's name for `after`). */
export const EventsQuery = deferred(() =>
  z.strictObject({
    after: z.string().min(1).max(512).optional().meta({ description: 'A cursor from an earlier answer: only events after it.' }),
    nextToken: z.string().min(1).max(512).optional().meta({ description: 'Same as `after` (the name every list uses).' }),
    waitSeconds: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .default(0)
      .meta({ description: `Hold up to this many seconds (at most ${MAX_WAIT_SECONDS}) until an event newer than the cursor exists.` }),
    types: TypeList.optional(),
    limit: z.coerce.number().int().min(1).max(FEED_PAGE_LIMIT).default(FEED_PAGE_LIMIT),
  }),
);
export type EventsQuery = z.infer<typeof EventsQuery>;

/** The query as the feed takes it; a bad or (for the tenant feed) expired cursor throws 400 / 410. */
export function toFeedQuery(query: EventsQuery, options: { now: Date; expires: boolean }): FeedQuery {
  const cursor = query.after ?? query.nextToken;
  const field = query.after === undefined ? 'query.nextToken' : 'query.after';
  return {
    after: decodeCursor(cursor, { ...options, field }),
    limit: query.limit,
    waitSeconds: query.waitSeconds,
    ...(query.types === undefined ? {} : { types: new Set(query.types) }),
  };
}

/**
 * A read of the feed as the API answers it. `about` keeps `executionId`/`runId` (the tenant
 * feed) or drops them (a timeline). A read that moved nothing answers the cursor it was given.
 */
export function toEventPage<T extends 'timeline' | 'feed'>(
  page: FeedPage,
  query: Pick<EventsQuery, 'after' | 'nextToken'>,
  about: T,
): { items: T extends 'feed' ? FeedEventView[] : TimelineEventView[]; cursor: string; nextToken?: string } {
  const given = query.after ?? query.nextToken;
  const cursor = page.cursorAt === undefined ? (given ?? encodeCursor(page.cursor, new Date(0))) : encodeCursor(page.cursor, page.cursorAt);
  const items = page.items.map((event: SequencedEvent) => {
    const { seq, executionId, runId, ...rest } = event;
    return {
      cursor: encodeCursor(seq, event.at),
      ...rest,
      ...(about === 'feed' ? { ...(executionId ? { executionId } : {}), ...(runId ? { runId } : {}) } : {}),
    };
  });
  return { items: items as never, cursor, ...(page.more ? { nextToken: cursor } : {}) };
}
