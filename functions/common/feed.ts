/**
 * Timelines and the tenant's events feed, sequenced when they are written
 * (docs/decisions/0024-events-sequenced-at-write.md).
 *
 * An event is written twice, in the transaction of the change it reports: on its
 * timeline (`UPGRADE#<id>` or `UPDATE_RUN#<id>`, sort key `EVENT#<seq>`) and on the
 * tenant's feed (`FEED#<tenant>`, `SEQ#<seq>`, kept {@link FEED_RETENTION_DAYS} days).
 * Each sequence is dense: a writer takes its numbers from a counter item first (an
 * atomic ADD), then commits the events under them. So a reader who has seen 1…n and
 * finds n+2 but not n+1 knows that n+1 is still being written, and waits for it instead
 * of passing it for good, which is how a cursor made of a time or a random key loses an
 * event that commits late under concurrent writers.
 *
 * A number can be taken and never written (the writer's transaction was refused, or it
 * crashed). The writer voids its numbers when its transaction fails; a reader voids a
 * hole once the event after it is {@link HOLE_GRACE_MS} old. Voiding is a conditional
 * put of a marker: if the event commits first, the void fails and the reader reads the
 * event; if the void lands first, the writer's transaction fails on that slot and the
 * writer takes new numbers. Either way nothing is lost and nothing is delivered twice.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventType } from '../domain/event-types.js';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from './aws-sdk.js';
import { conditionFailuresOf, type TransactItem } from './ddb-items.js';
import { FEED_PAGE_LIMIT, FEED_RETENTION_DAYS, MAX_WAIT_SECONDS } from './feed-cursor.js';

/** How long a reader waits for a taken number before it voids it. Commits take milliseconds. */
export const HOLE_GRACE_MS = 2_000;
/** A hole followed by an event older than this is expired data, not a writer in flight: passed, not voided. */
const EXPIRED_HOLE_MS = 24 * 3600 * 1000;
/** The most queries one read makes. */
const MAX_QUERIES_PER_READ = 4;

const SEQ_DIGITS = 12;
const TIMELINE_HEAD = 'HEAD#EVENTS';
const FEED_HEAD = 'HEAD';
const pad = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
const feedPk = (tenantId: string) => `FEED#${tenantId}`;

/** An event as a writer hands it over; `at` defaults to now. */
export interface NewFeedEvent {
  readonly type: EventType;
  readonly at?: string;
  readonly actor?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What the events are about: a timeline's partition and the ids its items carry. */
export interface Timeline {
  readonly tenantId: string;
  /** `UPGRADE#<executionId>` or `UPDATE_RUN#<runId>`. */
  readonly pk: string;
  /** `{executionId}` or `{runId}`: on every item of the timeline and on its feed items. */
  readonly about: Readonly<Record<string, string>>;
}

/** An event as read back, with its place in the sequence it was read from. */
export interface SequencedEvent {
  readonly seq: number;
  readonly type: EventType;
  readonly at: string;
  readonly actor?: string;
  readonly detail?: Record<string, unknown>;
  readonly executionId?: string;
  readonly runId?: string;
}

export interface FeedQuery {
  /** The last sequence number already seen (0: from the start). */
  readonly after: number;
  readonly limit: number;
  /** Only these types are answered; the others are passed over (the cursor moves past them). */
  readonly types?: ReadonlySet<string>;
  /** Hold up to this long for something newer (a long poll), 0 to answer at once. */
  readonly waitSeconds?: number;
}

export interface FeedPage {
  readonly items: SequencedEvent[];
  /** The last sequence number this answer covers: pass it back as `after`. */
  readonly cursor: number;
  /** When the event at `cursor` happened (absent when the read moved nothing): what dates the cursor. */
  readonly cursorAt?: string;
  /** More events were there than `limit`: read again at once. */
  readonly more: boolean;
}

export interface EventFeed {
  /**
   * Commits `build(eventWrites)` in one transaction: `eventWrites` are the puts of
   * `events` on `timeline` and on the tenant's feed, under numbers taken just before.
   * When the transaction fails on one of those slots only (a reader voided it
   * meanwhile), it takes new numbers and commits again; when it fails otherwise, it
   * voids its numbers and throws the error as the transaction threw it.
   */
  transact(timeline: Timeline, events: readonly NewFeedEvent[], build: (eventWrites: TransactItem[]) => TransactItem[]): Promise<void>;
  /** One timeline, in order. */
  timeline(pk: string, query: FeedQuery): Promise<FeedPage>;
  /** The tenant's feed: every upgrade's and run's events, in order. */
  tenant(tenantId: string, query: FeedQuery): Promise<FeedPage>;
}

export interface FeedDeps {
  readonly now: () => Date;
  /** Waits between the reads of a long poll (real time: a long poll is a client's wait). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often a long poll reads. */
  readonly pollMs?: number;
}

/** The pause between two reads of a long poll: its wake-up latency against its cost. */
export const DEFAULT_POLL_MS = 200;

export function createEventFeed(db: DynamoDBDocumentClient, tableName: string, deps: FeedDeps): EventFeed {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = deps.pollMs ?? DEFAULT_POLL_MS;
  const expiresAt = () => Math.floor(deps.now().getTime() / 1000) + FEED_RETENTION_DAYS * 86_400;

  /** Takes `count` numbers of one sequence; answers the last (the first is `last - count + 1`). */
  const take = async (pk: string, sk: string, count: number): Promise<number> => {
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk, sk },
        UpdateExpression: 'ADD #last :count',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':count': count },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.last);
  };

  const slot = (pk: string, prefix: string, seq: number, item: Record<string, unknown>): TransactItem => ({
    Put: { TableName: tableName, Item: { pk, sk: `${prefix}${pad(seq)}`, seq, ...item }, ConditionExpression: 'attribute_not_exists(pk)' },
  });

  /** Marks numbers that will never carry an event; a slot already written is left alone. */
  const voidSlots = async (pk: string, prefix: string, seqs: readonly number[], ttl: boolean) => {
    const voidedAt = deps.now().toISOString();
    await Promise.all(
      seqs.map((seq) =>
        db
          .send(
            new TransactWriteCommand({
              TransactItems: [slot(pk, prefix, seq, { void: true, at: voidedAt, ...(ttl ? { expiresAt: expiresAt() } : {}) })],
            }),
          )
          .catch(() => undefined),
      ),
    );
  };

  const eventAttributes = (timeline: Timeline, event: NewFeedEvent & { at: string }) => ({
    ...timeline.about,
    type: event.type,
    at: event.at,
    ...(event.actor === undefined ? {} : { actor: event.actor }),
    ...(event.detail === undefined ? {} : { detail: event.detail }),
  });

  const read = async (pk: string, prefix: string, query: FeedQuery, ttl: boolean): Promise<FeedPage> => {
    const limit = Math.min(query.limit, FEED_PAGE_LIMIT);
    const items: SequencedEvent[] = [];
    let cursor = query.after;
    let cursorAt: string | undefined;
    const page = (more: boolean): FeedPage => ({ items, cursor, ...(cursorAt === undefined ? {} : { cursorAt }), more });
    for (let round = 0; round < MAX_QUERIES_PER_READ; round += 1) {
      const { Items = [], LastEvaluatedKey } = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': `${prefix}${pad(cursor + 1)}`, ':to': `${prefix}${'9'.repeat(SEQ_DIGITS)}` },
          Limit: limit - items.length,
          ConsistentRead: true,
        }),
      );
      let healed = false;
      for (const item of Items) {
        const seq = Number(item.seq);
        if (seq !== cursor + 1) {
          const age = deps.now().getTime() - Date.parse(String(item.at));
          if (age < HOLE_GRACE_MS) return page(false);
          const missing = Array.from({ length: Math.min(seq - cursor - 1, FEED_PAGE_LIMIT) }, (_, index) => cursor + 1 + index);
          if (age < EXPIRED_HOLE_MS) {
            // A writer took these and never wrote them: void them (or find the events that beat the void).
            await voidSlots(pk, prefix, missing, ttl);
            healed = true;
            break;
          }
          // Expired with their time (TTL), or voided long ago and expired since: nothing to wait for.
          cursor = seq - 1;
        }
        cursor = seq;
        cursorAt = String(item.at);
        if (item.void === true || (query.types !== undefined && !query.types.has(String(item.type)))) continue;
        const { pk: _pk, sk: _sk, expiresAt: _ttl, tenantId: _tenant, ...event } = item;
        items.push({ ...event, seq } as SequencedEvent);
      }
      if (healed) continue;
      if (items.length >= limit) return page(true);
      if (LastEvaluatedKey === undefined) return page(false);
    }
    return page(true);
  };

  /** A read, or a long poll: reads every `pollMs` until an event comes or the wait ends. */
  const follow = async (readPage: (after: number) => Promise<FeedPage>, query: FeedQuery): Promise<FeedPage> => {
    const deadline = Date.now() + Math.min(query.waitSeconds ?? 0, MAX_WAIT_SECONDS) * 1000;
    let after = query.after;
    let lastAt: string | undefined;
    for (;;) {
      const page = await readPage(after);
      const left = deadline - Date.now();
      if (page.items.length > 0 || left <= 0) {
        // A later read may have moved nothing after an earlier one of this poll moved the cursor.
        return page.cursorAt === undefined && lastAt !== undefined ? { ...page, cursorAt: lastAt } : page;
      }
      // Voids and filtered-out events were passed: the next read starts after them.
      after = page.cursor;
      if (page.cursorAt !== undefined) lastAt = page.cursorAt;
      await sleep(Math.min(pollMs, left));
    }
  };

  return {
    async transact(timeline, events, build) {
      if (events.length === 0) {
        await db.send(new TransactWriteCommand({ TransactItems: build([]) }));
        return;
      }
      const tenantPk = feedPk(timeline.tenantId);
      // One time per event for every attempt: a retry is the same event, not a later one.
      const stamped = events.map((event) => ({ ...event, at: event.at ?? deps.now().toISOString() }));
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const count = events.length;
        const [lastOnTimeline, lastOnFeed] = await Promise.all([take(timeline.pk, TIMELINE_HEAD, count), take(tenantPk, FEED_HEAD, count)]);
        const timelineSeqs = events.map((_, index) => lastOnTimeline - count + 1 + index);
        const feedSeqs = events.map((_, index) => lastOnFeed - count + 1 + index);
        const writes = stamped.flatMap((event, index) => [
          slot(timeline.pk, 'EVENT#', timelineSeqs[index] ?? 0, { tenantId: timeline.tenantId, ...eventAttributes(timeline, event) }),
          slot(tenantPk, 'SEQ#', feedSeqs[index] ?? 0, { ...eventAttributes(timeline, event), expiresAt: expiresAt() }),
        ]);
        const items = build(writes);
        try {
          await db.send(new TransactWriteCommand({ TransactItems: items }));
          return;
        } catch (error) {
          const failed = conditionFailuresOf(error);
          const slotIndexes = new Set(writes.map((write) => items.indexOf(write)));
          if (failed !== undefined && failed.length > 0 && failed.every((index) => slotIndexes.has(index))) continue;
          await Promise.all([voidSlots(timeline.pk, 'EVENT#', timelineSeqs, false), voidSlots(tenantPk, 'SEQ#', feedSeqs, true)]);
          throw error;
        }
      }
      throw new Error(`Could not sequence ${events.length} event(s) of ${timeline.pk}: readers kept voiding their numbers`);
    },

    timeline: (pk, query) => follow((after) => read(pk, 'EVENT#', { ...query, after }, false), query),

    tenant: (tenantId, query) => follow((after) => read(feedPk(tenantId), 'SEQ#', { ...query, after }, true), query),
  };
}
