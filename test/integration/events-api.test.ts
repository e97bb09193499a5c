import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURSOR_LIFETIME_DAYS, encodeCursor } from '../../functions/common/feed-cursor.js';
import { EVENT_TYPES } from '../../functions/domain/event-types.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { type FleetWorld, fleetWorld } from '../support/fleet.js';
import { TERMINAL } from '../support/upgrades.js';

let api: TestApi;
let world: FleetWorld;
beforeAll(async () => {
  api = await startTestApi();
  world = await fleetWorld(api);
  await world.services([{ name: 'web' }, { name: 'api', labels: { tier: 'api' } }]);
});
afterAll(() => api.stop());

const get = (path: string, token = world.viewer) => api.request('GET', `${world.base}${path}`, { token });
const done = (execution: { status: string }) => TERMINAL.includes(execution.status);

describe('GET /v1/tenants/{t}/events', () => {
  it("carries every upgrade's and run's events, each naming what it is about, and resumes from a cursor", async () => {
    const first = await get('/events');
    expect(first.status).toBe(200);
    const created = await api.request('POST', `${world.base}/upgrades`, {
      token: world.operator,
      body: { project: 'p', service: 'web', toVersion: '1.1.0', batchSize: 2 },
    });
    expect(created.status).toBe(201);
    const id = created.body.executionId as string;
    expect((await api.request('POST', `${world.base}/upgrades/${id}/start`, { token: world.operator })).status).toBe(200);
    const run = await world.createRun({
      name: 'feed',
      stages: [{ name: 'all', groups: [{ name: 'g', selector: { matchLabels: { tier: 'api' } } }] }],
    });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    for (let round = 0; ; round += 1) {
      const upgrade = await get(`/upgrades/${id}`);
      if (done(upgrade.body)) break;
      if (round > 400) throw new Error('the upgrade did not end');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const after = await get(`/events?after=${first.body.cursor}`);
    expect(after.status).toBe(200);
    const types = after.body.items.map((event: { type: string }) => event.type);
    expect(types).toContain('UpgradeCreated');
    expect(types).toContain('UpgradeCompleted');
    expect(types).toContain('UpdateRunCreated');
    expect(
      after.body.items.filter((event: { type: string }) => event.type.startsWith('Upgrade')).every((e: any) => e.executionId === id),
    ).toBe(true);
    expect(after.body.items.find((event: { type: string }) => event.type === 'UpdateRunCreated').runId).toBe(run.body.runId);
    expect(after.body.items.every((event: { type: string }) => (EVENT_TYPES as readonly string[]).includes(event.type))).toBe(true);
    // The upgrade's own timeline is the same events, in the same order.
    const timeline = await get(`/upgrades/${id}/events`);
    expect(timeline.body.items.map((event: { type: string }) => event.type)).toEqual(
      after.body.items.filter((event: { executionId?: string }) => event.executionId === id).map((event: { type: string }) => event.type),
    );
    expect(timeline.body.items[0]).not.toHaveProperty('executionId');
    // Resuming from the cursor of any event answers exactly the events after it.
    const third = after.body.items[2];
    const resumed = await get(`/events?after=${third.cursor}`);
    expect(resumed.body.items).toEqual(after.body.items.slice(3));
    expect((await get(`/events?after=${after.body.cursor}`)).body.items).toEqual([]);
  });

  it('applies ?types: only those types answer, and the cursor moves past the rest', async () => {
    const all = await get('/events');
    const completed = await get('/events?types=UpgradeCompleted,UpdateRunCreated');
    expect(completed.status).toBe(200);
    expect(completed.body.items.length).toBeGreaterThan(0);
    expect(completed.body.items.every((event: { type: string }) => ['UpgradeCompleted', 'UpdateRunCreated'].includes(event.type))).toBe(
      true,
    );
    expect(completed.body.items).toEqual(
      all.body.items.filter((event: { type: string }) => ['UpgradeCompleted', 'UpdateRunCreated'].includes(event.type)),
    );
    expect(completed.body.cursor).toBe(all.body.cursor);
  });

  it('pages with limit: nextToken while more are there, then the cursor alone', async () => {
    const all = await get('/events');
    const pages: any[] = [];
    let next: string | undefined;
    do {
      const page = await get(`/events?limit=3${next ? `&nextToken=${next}` : ''}`);
      expect(page.status).toBe(200);
      pages.push(...page.body.items);
      next = page.body.nextToken;
    } while (next);
    // Events may come meanwhile: the pages begin with exactly what the one read saw.
    expect(pages.slice(0, all.body.items.length)).toEqual(all.body.items);
  });

  it('holds a long poll until an event comes, and answers it', async () => {
    const { cursor } = (await get('/events')).body;
    const started = Date.now();
    const polled = get(`/events?after=${cursor}&waitSeconds=15`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const created = await world.createRun({
      name: 'woken',
      stages: [{ name: 'all', groups: [{ name: 'g', selector: { matchLabels: { tier: 'api' } } }] }],
    });
    const answer = await polled;
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((event: { runId?: string }) => event.runId)).toEqual([created.body.runId]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('answers an empty page after waitSeconds when nothing comes, with the same cursor', async () => {
    const { cursor } = (await get('/events')).body;
    const answer = await get(`/events?after=${cursor}&waitSeconds=1`);
    expect(answer.body.items).toEqual([]);
    const { s } = JSON.parse(Buffer.from(answer.body.cursor, 'base64url').toString());
    expect(s).toBe(JSON.parse(Buffer.from(cursor, 'base64url').toString()).s);
  });

  it('refuses bad input with a problem naming the field, and an expired cursor with 410', async () => {
    const unknownType = await get('/events?types=UpgradeCompleted,Nope');
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.errors[0].field).toBe('query.types');
    expect(unknownType.body.errors[0].message).toContain('Nope');
    const badCursor = await get('/events?after=not-a-cursor');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors[0].field).toBe('query.after');
    expect((await get('/events?waitSeconds=21')).status).toBe(400);
    const old = encodeCursor(1, new Date(Date.now() - (CURSOR_LIFETIME_DAYS + 1) * 86_400_000));
    const expired = await get(`/events?after=${old}`);
    expect(expired.status).toBe(410);
    expect(expired.headers.get('content-type')).toBe('application/problem+json');
    // A timeline keeps its events for good: an old cursor still reads it.
    const runs = await get('/update-runs');
    const runId = runs.body.items[0].runId;
    expect((await get(`/update-runs/${runId}/events?after=${old}`)).status).toBe(200);
  });
});
