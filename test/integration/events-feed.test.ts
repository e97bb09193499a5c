import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '../../functions/common/ddb.js';
import { createEventFeed, type EventFeed, HOLE_GRACE_MS, type SequencedEvent, type Timeline } from '../../functions/common/feed.js';
import { ensureTable } from '../../local/dynamodb-local.js';
import { unique } from '../support/api.js';

const TABLE = 'sluice-feed-test';
const db = createDocumentClient({ DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), AWS_REGION: 'us-east-1' });
/** A clock the hole tests move forward; the others read it as the real time. */
let skewMs = 0;
const now = () => new Date(Date.now() + skewMs);
const feed: EventFeed = createEventFeed(db, TABLE, { now, pollMs: 10 });

beforeAll(() => ensureTable(inject('dynamodbEndpoint'), TABLE));
afterAll(() => db.destroy());

const timelineOf = (tenantId: string, id = unique('upg')): Timeline => ({ tenantId, pk: `UPGRADE#${id}`, about: { executionId: id } });
const append = (timeline: Timeline, n: number) =>
  feed.transact(timeline, [{ type: 'InstanceUpgraded', at: now().toISOString(), detail: { n } }], (writes) => writes);

/** Follows a feed with its cursor, as a client does, until `until` holds. */
async function follow(
  read: (after: number) => Promise<{ items: SequencedEvent[]; cursor: number }>,
  until: (seen: SequencedEvent[]) => boolean,
) {
  const seen: SequencedEvent[] = [];
  let after = 0;
  for (let round = 0; round < 2_000 && !until(seen); round += 1) {
    const page = await read(after);
    seen.push(...page.items);
    after = page.cursor;
  }
  return seen;
}

describe('the events feed under concurrent writers', () => {
  it('a reader following with its cursor sees every event once, in the order of the numbers, on the timeline and the tenant feed', async () => {
    const tenantId = unique('feed');
    const timelines = [timelineOf(tenantId), timelineOf(tenantId), timelineOf(tenantId)];
    const perTimeline = 40;
    // Three timelines written by 12 concurrent writers while two readers follow along.
    const writers = Promise.all(
      Array.from({ length: 12 }, async (_, writer) => {
        for (let k = 0; k < perTimeline / 4; k += 1) {
          const timeline = timelines[writer % 3] as Timeline;
          await append(timeline, writer * 100 + k);
        }
      }),
    );
    const total = timelines.length * perTimeline;
    const [tenantSeen, timelineSeen] = await Promise.all([
      follow(
        (after) => feed.tenant(tenantId, { after, limit: 7 }),
        (seen) => seen.length >= total,
      ),
      follow(
        (after) => feed.timeline(timelines[0]?.pk ?? '', { after, limit: 5 }),
        (seen) => seen.length >= perTimeline,
      ),
      writers,
    ]);
    expect(tenantSeen.map((event) => event.seq)).toEqual(Array.from({ length: total }, (_, index) => index + 1));
    expect(new Set(tenantSeen.map((event) => `${event.executionId}/${event.detail?.n}`)).size).toBe(total);
    expect(timelineSeen.map((event) => event.seq)).toEqual(Array.from({ length: perTimeline }, (_, index) => index + 1));
    expect(timelineSeen.every((event) => event.executionId === timelines[0]?.about.executionId)).toBe(true);
    // Reading again from the end finds nothing new, and from the middle exactly the rest.
    expect((await feed.tenant(tenantId, { after: total, limit: 100 })).items).toEqual([]);
    expect((await feed.tenant(tenantId, { after: total - 3, limit: 100 })).items.map((event) => event.seq)).toEqual([
      total - 2,
      total - 1,
      total,
    ]);
  });

  it('passes over the types not asked for, and moves the cursor past them', async () => {
    const tenantId = unique('feed');
    const timeline = timelineOf(tenantId);
    await append(timeline, 1);
    await feed.transact(timeline, [{ type: 'GateWaiting', at: now().toISOString(), detail: { gate: 'stage' } }], (writes) => writes);
    await append(timeline, 2);
    const page = await feed.timeline(timeline.pk, { after: 0, limit: 100, types: new Set(['GateWaiting']) });
    expect(page.items.map((event) => event.type)).toEqual(['GateWaiting']);
    expect(page.cursor).toBe(3);
  });
});

describe('numbers taken and never written', () => {
  const takeOne = (pk: string, sk: string) =>
    db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk, sk },
        UpdateExpression: 'ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );

  it('a refused transaction voids its numbers at once: readers do not wait for them', async () => {
    const tenantId = unique('feed');
    const timeline = timelineOf(tenantId);
    await append(timeline, 1);
    const guard = { pk: `GUARD#${tenantId}`, sk: 'GUARD' };
    await db.send(new PutCommand({ TableName: TABLE, Item: guard }));
    const refused = feed.transact(timeline, [{ type: 'UpgradePaused', at: now().toISOString() }], (writes) => [
      ...writes,
      { ConditionCheck: { TableName: TABLE, Key: guard, ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
    await expect(refused).rejects.toBeInstanceOf(TransactionCanceledException);
    await append(timeline, 3);
    const page = await feed.timeline(timeline.pk, { after: 0, limit: 100 });
    expect(page.items.map((event) => [event.seq, event.detail?.n])).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(page.cursor).toBe(3);
  });

  it('a reader waits for a hole, then voids it once the event after it is older than the grace', async () => {
    const tenantId = unique('feed');
    const timeline = timelineOf(tenantId);
    await append(timeline, 1);
    // A writer that took number 2 and crashed before its transaction.
    await takeOne(timeline.pk, 'HEAD#EVENTS');
    await append(timeline, 3);
    const held = await feed.timeline(timeline.pk, { after: 0, limit: 100 });
    expect(held.items.map((event) => event.seq)).toEqual([1]);
    expect(held.cursor).toBe(1);
    skewMs = HOLE_GRACE_MS + 500;
    try {
      const healed = await feed.timeline(timeline.pk, { after: 1, limit: 100 });
      expect(healed.items.map((event) => event.seq)).toEqual([3]);
      expect(healed.cursor).toBe(3);
    } finally {
      skewMs = 0;
    }
  });

  it('a writer whose number was voided before it committed takes a new one: its event comes once, later', async () => {
    const tenantId = unique('feed');
    const timeline = timelineOf(tenantId);
    await append(timeline, 1);
    // A reader voided number 2 (it thought the writer gone) before the writer's transaction landed.
    await db.send(
      new PutCommand({ TableName: TABLE, Item: { pk: timeline.pk, sk: `EVENT#${'2'.padStart(12, '0')}`, seq: 2, void: true } }),
    );
    await db.send(
      new PutCommand({ TableName: TABLE, Item: { pk: `FEED#${tenantId}`, sk: `SEQ#${'2'.padStart(12, '0')}`, seq: 2, void: true } }),
    );
    await append(timeline, 2);
    const page = await feed.timeline(timeline.pk, { after: 0, limit: 100 });
    expect(page.items.map((event) => [event.seq, event.detail?.n])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    const tenant = await feed.tenant(tenantId, { after: 0, limit: 100 });
    expect(tenant.items.map((event) => event.detail?.n)).toEqual([1, 2]);
  });
});

describe('a long poll', () => {
  it('holds until an event newer than the cursor exists, then answers it', async () => {
    const tenantId = unique('feed');
    const timeline = timelineOf(tenantId);
    await append(timeline, 1);
    const started = Date.now();
    const polled = feed.tenant(tenantId, { after: 1, limit: 100, waitSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await append(timeline, 2);
    const page = await polled;
    expect(page.items.map((event) => event.detail?.n)).toEqual([2]);
    // It answered on the event, not at the end of its wait.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('answers an empty page with the same cursor when nothing comes', async () => {
    const tenantId = unique('feed');
    await append(timelineOf(tenantId), 1);
    const page = await feed.tenant(tenantId, { after: 1, limit: 100, waitSeconds: 1 });
    expect(page).toEqual({ items: [], cursor: 1, more: false });
  });
});
