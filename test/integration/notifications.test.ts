/**
 * Notifications and decision links on the local runtime (README, Notifications): a real
 * HTTP receiver on loopback gets the chosen timeline events, signed as the webhook target
 * signs; a gate's notification carries approve and reject links that decide it once,
 * without a bearer token.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/common/ddb.js';
import { makeDecisionLinks, tokenHash } from '../../functions/notify/decision-links.js';
import { createDecisionLinkRepository } from '../../functions/notify/link-repository.js';
import { verifyWebhookSignature } from '../../functions/targets/signed-post.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { sluice } from '../support/cli.js';
import { fleetWorld } from '../support/fleet.js';
import { captureLogStream, type LogStream } from '../support/log-stream.js';
import { type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'notify-secret-for-tests-0123456789';
const TYPES = ['GateWaiting', 'RollbackRequested', 'UpgradeCompleted', 'UpgradeRolledBack'];

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: any;
  /** What the receiver answered. */
  readonly status: number;
}

let api: TestApi;
let world: UpgradeWorld;
let receiver: Server;
let logs: LogStream;
const received: Received[] = [];
/** Delivery ids the receiver answers 500 to, and how many more times. */
const failing = new Map<string, number>();
/** Event types whose first delivery the receiver fails twice. */
const failTwice = new Set(['RollbackRequested']);

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['x-sluice-delivery-id']);
      if (failTwice.has(String(request.headers['x-sluice-event-type'])) && !failing.has(id)) failing.set(id, 2);
      const left = failing.get(id) ?? 0;
      const status = left > 0 ? 500 : 200;
      if (left > 0) failing.set(id, left - 1);
      received.push({ headers: request.headers, raw, body: JSON.parse(raw), status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  logs = captureLogStream();
  api = await startTestApi({
    tableName: unique('notify-table'),
    tableEvents: true,
    logLevel: 'debug',
    notify: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: SECRET, types: TYPES.join(',') },
  });
  world = await upgradeWorld(api);
});
afterAll(async () => {
  logs?.stop();
  await api?.stop();
  await new Promise((done) => receiver?.close(done));
});

const of = (executionId: string, type: string) =>
  received.filter((entry) => entry.status === 200 && entry.body.event.executionId === executionId && entry.body.event.type === type);
const notification = (executionId: string, type: string) => waitFor(() => of(executionId, type)[0], { timeout: 15_000 });

/** A STAGED upgrade of two instances in two stages, started and parked at its gate. */
async function atGate(name: string, knobs: Record<string, unknown> = {}) {
  await world.service(name, 2);
  const created = await world.create({
    service: name,
    toVersion: '1.1.0',
    strategy: 'STAGED',
    stages: [{ name: 'a', percentage: 50 }, { name: 'b' }],
    ...knobs,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.executionId as string;
  expect((await world.act(id, 'start')).status).toBe(200);
  await world.waitFor(id, (execution) => execution.waitingFor !== undefined);
  return id;
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
const getLink = (link: string) => fetch(link, { redirect: 'manual' });
const postLink = (link: string, fields: Record<string, string> = {}) =>
  fetch(`${api.url}/v1/decision-links`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokenOf(link), ...fields }).toString(),
  });

describe('notifications', () => {
  it('posts a signed GateWaiting with approve and reject links, and a link approves the gate once', async () => {
    const id = await atGate(unique('gate'));
    const waiting = await notification(id, 'GateWaiting');

    expect(
      verifyWebhookSignature({
        secret: SECRET,
        body: waiting.raw,
        timestamp: waiting.headers['x-sluice-timestamp'] as string,
        signature: waiting.headers['x-sluice-signature'] as string,
      }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({
        secret: 'another-secret-0123456789',
        body: waiting.raw,
        timestamp: waiting.headers['x-sluice-timestamp'] as string,
        signature: waiting.headers['x-sluice-signature'] as string,
      }),
    ).toBe(false);
    expect(waiting.headers['x-sluice-delivery-id']).toBe(`${id}.${waiting.body.event.seq}`);
    expect(waiting.body.event).toMatchObject({
      type: 'GateWaiting',
      tenantId: world.tenant,
      executionId: id,
      detail: { gate: 'stage-approval', stage: 'a' },
    });
    expect(waiting.body.text).toContain(`GateWaiting, upgrade ${id}`);
    expect(waiting.body.text).toContain(`<${waiting.body.links.approve}|Approve>`);
    const { approve, reject } = waiting.body.links as { approve: string; reject: string };
    expect(approve).toMatch(/\/v1\/decision-links\?token=sdl_[A-Za-z0-9_-]{43}$/);
    expect(tokenOf(approve)).not.toBe(tokenOf(reject));

    // A GET (an unfurler, a prefetching mail scanner) answers a page and decides nothing.
    for (let look = 0; look < 2; look += 1) {
      const page = await getLink(approve);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html).toContain('<form method="post"');
      expect(html).not.toContain('<script');
    }
    expect((await world.get(id)).waitingFor).toBeDefined();

    // An altered token is refused and changes nothing.
    const token = tokenOf(approve);
    const altered = `${approve.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const forged = await getLink(altered);
    expect(forged.status).toBe(404);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    expect((await postLink(altered)).status).toBe(404);
    expect((await postLink(`${api.url}/v1/decision-links?token=not-a-token`)).status).toBe(404);
    expect((await world.get(id)).waitingFor).toBeDefined();

    const used = await postLink(approve, { comment: 'looks good' });
    expect(used.status, await used.clone().text()).toBe(200);
    expect(await used.text()).toContain('Approved');
    const done = await world.waitFor(id, (execution) => execution.status === 'COMPLETED');
    expect(done.status).toBe('COMPLETED');

    const approved = (await world.events(id)).find((event) => event.type === 'GateApproved');
    expect(approved).toMatchObject({
      actor: 'decision-link:notifier',
      detail: { via: 'decision-link', notifier: 'notifier', comment: 'looks good', gateIndex: 0 },
    });
    expect(approved.detail.linkId).toMatch(/^[0-9a-f]{16}$/);
    expect(approved.detail.selfApproved).toBeUndefined();

    // Used once: the same link and its sibling are refused, and refusals are problems.
    const again = await postLink(approve);
    expect(again.status).toBe(410);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect((await postLink(reject)).status).toBe(410);
    expect((await getLink(approve)).status).toBe(410);
    expect((await world.get(id)).status).toBe('COMPLETED');

    await notification(id, 'UpgradeCompleted');
  });

  it('a reject link rejects the gate: the upgrade rolls back, through the link', async () => {
    const id = await atGate(unique('reject'));
    const waiting = await notification(id, 'GateWaiting');
    const page = await getLink(waiting.body.links.reject);
    expect(await page.text()).toContain('Reject');
    const used = await postLink(waiting.body.links.reject);
    expect(used.status).toBe(200);
    expect(await used.text()).toContain('Rejected');
    await world.waitFor(id, (execution) => execution.status === 'ROLLED_BACK');
    const rejected = (await world.events(id)).find((event) => event.type === 'GateRejected');
    expect(rejected).toMatchObject({ actor: 'decision-link:notifier', detail: { via: 'decision-link' } });
    expect((await postLink(waiting.body.links.approve)).status).toBe(410);
    await notification(id, 'UpgradeRolledBack');
  });

  it("a blue-green traffic switch's approve link switches traffic and completes the upgrade", async () => {
    const name = unique('bg');
    await world.service(name, 2);
    const created = await world.create({ service: name, toVersion: '1.1.0', strategy: 'BLUE_GREEN', scaleDownDelaySeconds: 10 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.executionId as string;
    expect((await world.act(id, 'start')).status).toBe(200);
    const waiting = await notification(id, 'GateWaiting');
    expect(waiting.body.event.detail).toMatchObject({ gate: 'traffic-switch', gateIndex: 0 });
    expect(await (await getLink(waiting.body.links.approve)).text()).toContain('traffic-switch');
    expect((await postLink(waiting.body.links.approve)).status).toBe(200);
    await world.waitFor(id, (execution) => execution.status === 'COMPLETED');
    const events = await world.events(id);
    expect(events.find((event) => event.type === 'GateApproved')).toMatchObject({
      actor: 'decision-link:notifier',
      detail: { gate: 'traffic-switch' },
    });
    expect(events.some((event) => event.type === 'TrafficSwitched')).toBe(true);
  });

  it("of concurrent uses of a gate's links exactly one decides; the others are 410", async () => {
    const id = await atGate(unique('race'));
    const waiting = await notification(id, 'GateWaiting');
    const { approve, reject } = waiting.body.links as { approve: string; reject: string };
    const answers = await Promise.all([postLink(approve), postLink(approve), postLink(reject), postLink(approve)]);
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 410)).toHaveLength(3);
    const decided = (await world.events(id)).filter((event) => event.type === 'GateApproved' || event.type === 'GateRejected');
    expect(decided).toHaveLength(1);
    await world.waitFor(id, (execution) => ['COMPLETED', 'ROLLED_BACK'].includes(execution.status));
  });

  it('the CLI looks at a link (JSON, deciding nothing) and uses it, without a bearer token', async () => {
    const id = await atGate(unique('cli'));
    const waiting = await notification(id, 'GateWaiting');
    const token = tokenOf(waiting.body.links.reject);
    const env = { SLUICE_ENDPOINT: api.url, SLUICE_TOKEN: '', HOME: '/nonexistent' };
    const shown = await sluice(['-o', 'json', 'decision-link', 'show', '--link-token', token], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ decision: 'reject', target: { kind: 'upgrade', executionId: id } });
    expect((await world.get(id)).waitingFor).toBeDefined();
    const used = await sluice(['-o', 'json', 'decision-link', 'use', '--link-token', token, '--comment', 'from the CLI'], { env });
    expect(used.code, used.stderr).toBe(0);
    expect(JSON.parse(used.stdout)).toMatchObject({ decision: 'reject', status: 'ROLLING_BACK' });
    const again = await sluice(['decision-link', 'use', '--link-token', token], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/410|Gone|used/i);
    await world.waitFor(id, (execution) => execution.status === 'ROLLED_BACK');
  });

  it('a link whose gate no longer waits (a manual rollback took it) is refused and changes nothing', async () => {
    const id = await atGate(unique('rollback'));
    const waiting = await notification(id, 'GateWaiting');
    expect((await world.act(id, 'rollback', { reason: 'bad canary' })).status).toBe(202);
    const refused = await postLink(waiting.body.links.approve);
    expect(refused.status).toBe(410);
    expect(((await refused.json()) as { detail: string }).detail).toContain('no longer waits');
    await world.waitFor(id, (execution) => execution.status === 'ROLLED_BACK');
    expect((await world.events(id)).some((event) => event.type === 'GateApproved')).toBe(false);
  });

  it('a manual rollback is notified once, signed, after two 500s, every attempt with the same delivery id', async () => {
    const id = await atGate(unique('retry'));
    expect((await world.act(id, 'rollback', { reason: 'operator said so' })).status).toBe(202);
    const delivered = await notification(id, 'RollbackRequested');
    const attempts = received.filter((entry) => entry.body.event.executionId === id && entry.body.event.type === 'RollbackRequested');
    expect(attempts.map((entry) => entry.status)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((entry) => entry.headers['x-sluice-delivery-id'])).size).toBe(1);
    expect(of(id, 'RollbackRequested')).toHaveLength(1);
    expect(delivered.body.event).toMatchObject({ actor: 'olga', detail: { reason: 'operator said so' } });
    expect(delivered.body.text).toContain('operator said so');
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        body: delivered.raw,
        timestamp: delivered.headers['x-sluice-timestamp'] as string,
        signature: delivered.headers['x-sluice-signature'] as string,
      }),
    ).toBe(true);
    await notification(id, 'UpgradeRolledBack');
  });

  it("an update run's approval gate: the notification's approve link passes it, recorded as through the link", async () => {
    const fleet = await fleetWorld(api);
    await fleet.services([{ name: 'one' }, { name: 'two' }]);
    const created = await fleet.createRun({
      name: 'gated',
      stages: [
        { name: 'first', groups: [{ name: 'g', services: [{ project: 'p', name: 'one' }] }] },
        {
          name: 'second',
          beforeGates: [{ type: 'approval', name: 'go' }],
          groups: [{ name: 'g', services: [{ project: 'p', name: 'two' }] }],
        },
      ],
    });
    expect(created.status).toBe(201);
    const runId = created.body.runId as string;
    const gateId = created.body.stages[1].beforeGates[0].gateId as string;
    expect((await fleet.act(runId, 'start')).status).toBe(200);
    const waiting = await waitFor(
      () => received.find((entry) => entry.status === 200 && entry.body.event.runId === runId && entry.body.event.type === 'GateWaiting'),
      { timeout: 20_000 },
    );
    expect(waiting.body.event.detail).toMatchObject({ gateId, type: 'approval' });
    expect(waiting.headers['x-sluice-delivery-id']).toBe(`${runId}.${waiting.body.event.seq}`);
    // A program asking for JSON gets what the page shows, never the token.
    const looked = await fetch(waiting.body.links.approve, { headers: { accept: 'application/json' } });
    expect(looked.status).toBe(200);
    const view = (await looked.json()) as Record<string, unknown>;
    expect(view).toMatchObject({ decision: 'approve', tenantId: fleet.tenant, target: { kind: 'run', runId, gateId } });
    expect(JSON.stringify(view)).not.toContain('sdl_');
    expect((await fleet.run(runId)).stages[1].beforeGates[0].status).toBe('WAITING');

    expect((await postLink(waiting.body.links.approve, { comment: 'ring 1 fine' })).status).toBe(200);
    const done = await fleet.waitForRun(runId, (run) => run.status === 'COMPLETED', 'COMPLETED');
    expect(done.stages[1].beforeGates[0]).toMatchObject({
      status: 'APPROVED',
      decidedBy: 'decision-link:notifier',
      comment: 'ring 1 fine',
    });
    const approved = (await fleet.events(runId)).find((event) => event.type === 'GateApproved');
    expect(approved).toMatchObject({ actor: 'decision-link:notifier', detail: { gateId, via: 'decision-link' } });
    expect((await postLink(waiting.body.links.reject)).status).toBe(410);
  });

  it('an expired link is refused (410) and stays unused, on the table itself', async () => {
    const db = createDocumentClient({ DYNAMODB_ENDPOINT: api.runtime.endpoints.dynamodb, AWS_REGION: 'us-east-1' });
    const links = createDecisionLinkRepository(db, api.runtime.tables.data);
    const now = new Date();
    let decided = 0;
    const deciders = {
      waiting: async () => true,
      decide: async () => {
        decided += 1;
        return { status: 'IN_PROGRESS' };
      },
    };
    const issued = await makeDecisionLinks({ links, deciders, clock: { now: () => now } }).issue({
      tenantId: world.tenant,
      target: { kind: 'upgrade', executionId: 'upg_none', gateIndex: 0, since: now.toISOString() },
      validUntil: new Date(now.getTime() + 60_000),
      notifier: 'notifier',
    });
    const later = makeDecisionLinks({ links, deciders, clock: { now: () => new Date(now.getTime() + 61_000) } });
    await expect(later.inspect(issued.approve)).rejects.toMatchObject({ status: 410 });
    await expect(later.use(issued.approve, undefined)).rejects.toMatchObject({ status: 410 });
    // Through the API too (the real clock: the link's own expiry is ahead, but its gate does not exist).
    expect((await postLink(`${api.url}/v1/decision-links?token=${issued.reject}`)).status).toBe(410);
    expect(decided).toBe(0);
    const stored = await links.get(tokenHash(issued.approve));
    expect(stored?.usedAt).toBeUndefined();
    // The table keeps the hash, never the token.
    expect(JSON.stringify(stored)).not.toContain(issued.approve);
    // Before it expires the same link is taken once, and only once.
    const inTime = makeDecisionLinks({ links, deciders, clock: { now: () => now } });
    const [first, second] = await Promise.allSettled([inTime.use(issued.approve, undefined), inTime.use(issued.approve, undefined)]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect(decided).toBe(1);
  });

  it('sends only the chosen types, and no link appears in an API answer or a log line', async () => {
    await waitFor(() => received.length > 0);
    const types = new Set(received.map((entry) => entry.body.event.type));
    for (const type of types) expect(TYPES).toContain(type);
    expect(types.has('UpgradeStarted')).toBe(false);

    const tokens = received.flatMap((entry) =>
      entry.body.links ? [tokenOf(entry.body.links.approve), tokenOf(entry.body.links.reject)] : [],
    );
    expect(tokens.length).toBeGreaterThan(0);
    const answers: string[] = [];
    const feed = await api.request('GET', `${world.base}/events?limit=100`, { token: world.viewer });
    answers.push(feed.text);
    const list = await api.request('GET', `${world.base}/upgrades?limit=100`, { token: world.viewer });
    answers.push(list.text);
    for (const upgrade of list.body.items as { executionId: string }[]) {
      answers.push(
        (await api.request('GET', `${world.base}/upgrades/${upgrade.executionId}/events?limit=100`, { token: world.viewer })).text,
      );
    }
    const lines = logs.text();
    expect(lines).toContain('/v1/decision-links');
    for (const token of tokens) {
      for (const answer of answers) expect(answer).not.toContain(token);
      expect(lines).not.toContain(token);
    }
    expect(lines).not.toContain(SECRET);
  });
});
