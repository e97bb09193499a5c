import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import type { DecisionLinks } from '../../functions/notify/decision-links.js';
import type { Notice } from '../../functions/notify/notice.js';
import { makeNotifier, NotificationNotDelivered } from '../../functions/notify/notifier.js';

const GATE: Notice = {
  tenantId: 'acme',
  executionId: 'upg_1',
  seq: 5,
  type: 'GateWaiting',
  at: '2026-01-01T00:00:00.000Z',
  detail: { gate: 'stage-approval', gateIndex: 0, since: '2026-01-01T00:00:00.000Z', timeoutAt: '2026-01-01T01:00:00.000Z' },
};
const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };
const logger = createLogger('silent');
const issued: unknown[] = [];
const links: DecisionLinks = {
  issue: async (input) => {
    issued.push(input);
    return { approve: `sdl_${'a'.repeat(43)}`, reject: `sdl_${'r'.repeat(43)}` };
  },
  inspect: async () => {
    throw new Error('not here');
  },
  use: async () => {
    throw new Error('not here');
  },
};

let port: number;
const bodies: any[] = [];
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    response.writeHead(204).end();
  });
});
beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((done) => server.close(done)));

const config = (over: Partial<Parameters<typeof makeNotifier>[0]['config']> = {}) => ({
  url: `http://127.0.0.1:${port}/hook`,
  secret: 'a-secret-of-enough-length',
  types: new Set(['GateWaiting']),
  name: 'notifier',
  apiBaseUrl: 'https://api.example.com',
  links: true,
  ...over,
});

describe('makeNotifier', () => {
  it('refuses a receiver the SSRF guard refuses, at once (no retry), as in AWS', async () => {
    let attempts = 0;
    const notifier = makeNotifier({
      config: config({ url: 'https://hooks.internal.example/x' }),
      clock,
      logger,
      lookup: async () => {
        attempts += 1;
        return [{ address: '169.254.169.254', family: 4 }];
      },
      sleep: async () => undefined,
    });
    await expect(notifier.notify(GATE)).rejects.toBeInstanceOf(NotificationNotDelivered);
    await expect(notifier.notify(GATE)).rejects.toThrow(/refused/);
    expect(attempts).toBe(2);
  });

  it('refuses plain http unless told it is local', () => {
    expect(() => makeNotifier({ config: config(), clock, logger })).toThrow(/https/);
  });

  it('links an upgrade gate until its timeoutAt; sends no links when they are off, and nothing of a type not chosen', async () => {
    const on = makeNotifier({ config: config(), decisionLinks: links, clock, logger, allowPrivateNetworks: true, allowInsecureHttp: true });
    expect(await on.notify(GATE)).toBe('sent');
    expect(bodies.at(-1).links).toEqual({
      approve: `https://api.example.com/v1/decision-links?token=sdl_${'a'.repeat(43)}`,
      reject: `https://api.example.com/v1/decision-links?token=sdl_${'r'.repeat(43)}`,
      expiresAt: '2026-01-01T01:00:00.000Z',
    });
    expect(issued.at(-1)).toMatchObject({ tenantId: 'acme', notifier: 'notifier', validUntil: new Date('2026-01-01T01:00:00.000Z') });

    const off = makeNotifier({
      config: config({ links: false }),
      decisionLinks: links,
      clock,
      logger,
      allowPrivateNetworks: true,
      allowInsecureHttp: true,
    });
    const before = issued.length;
    expect(await off.notify(GATE)).toBe('sent');
    expect(bodies.at(-1).links).toBeUndefined();
    expect(bodies.at(-1).text).not.toContain('decision-links');
    expect(issued).toHaveLength(before);
    expect(await off.notify({ ...GATE, type: 'BatchCompleted' })).toBe('skipped');
  });
});
