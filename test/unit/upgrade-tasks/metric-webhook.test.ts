import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrlGuard } from '../../../functions/targets/url-guard.js';
import { createHttpMetricWebhook } from '../../../functions/upgrade-tasks/metric-webhook.js';

/** A local metric webhook: the path says what it answers. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"errorRate":0.001}');
    if (req.url === '/500') return res.writeHead(500).end('{"errorRate":0}');
    if (req.url === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<p>fine</p>');
    if (req.url === '/redirect') return res.writeHead(302, { location: '/ok' }).end();
    if (req.url === '/big') return res.writeHead(200).end(`{"pad":"${'x'.repeat(100_000)}"}`);
    // /hang: never answers
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((closed) => server.close(closed));
});

const local = createHttpMetricWebhook({ allowPrivateNetworks: true, timeoutMs: 300 });

describe('createHttpMetricWebhook', () => {
  it('answers the parsed JSON of a 2xx', async () => {
    expect(await local.measure(`${base}/ok`)).toEqual({ kind: 'answer', json: { errorRate: 0.001 } });
  });

  it.each([
    ['/500', 'HTTP 500'],
    ['/html', 'HTTP 200 with an answer that is not JSON'],
    ['/redirect', 'HTTP 302'],
    ['/hang', 'timed out'],
    ['/big', 'HTTP 200 with an answer that is not JSON'],
  ])('calls %s inconclusive (%s), never throws', async (path, detail) => {
    expect(await local.measure(`${base}${path}`)).toEqual({ kind: 'inconclusive', detail });
  });

  it('refuses loopback in AWS, metadata always, and an unreachable or malformed URL is inconclusive', async () => {
    const aws = createHttpMetricWebhook({ allowPrivateNetworks: false, timeoutMs: 300 });
    expect(await aws.measure(`${base}/ok`)).toEqual({ kind: 'inconclusive', detail: 'refused: 127.0.0.1 is a loopback address' });
    expect((await local.measure('http://169.254.169.254/latest')).kind).toBe('inconclusive');
    expect(await local.measure('http://169.254.169.254/latest')).toMatchObject({ detail: expect.stringContaining('refused') });
    expect(await local.measure('http://127.0.0.1:1/')).toEqual({ kind: 'inconclusive', detail: 'unreachable' });
    expect(await local.measure('not a url')).toEqual({ kind: 'inconclusive', detail: 'not a URL' });
  });

  it('connects to the address it checked: a name that resolves to a private address is refused', async () => {
    const lookup = async (): Promise<LookupAddress[]> => [{ address: '10.0.0.7', family: 4 }];
    const aws = createHttpMetricWebhook({ allowPrivateNetworks: false, timeoutMs: 300, lookup });
    expect(await aws.measure('https://metrics.example.com/q')).toEqual({
      kind: 'inconclusive',
      detail: 'refused: 10.0.0.7 is a private address',
    });
  });
});

describe('createUrlGuard', () => {
  const publicName = async (): Promise<LookupAddress[]> => [{ address: '93.184.216.34', family: 4 }];
  const aws = createUrlGuard({ allowPrivateNetworks: false, lookup: publicName });

  it('lets an https URL on a public address through', async () => {
    expect(await aws('https://metrics.example.com/q?x=1')).toBeUndefined();
  });

  it('refuses http in AWS, other schemes anywhere, and what is not a URL', async () => {
    expect(await aws('http://metrics.example.com/q')).toBe('the URL must use https, not http');
    expect(await createUrlGuard({ allowPrivateNetworks: true })('ftp://127.0.0.1/x')).toBe('the URL must use https, not ftp');
    expect(await aws('::')).toBe('not a URL');
  });

  it('refuses metadata, link-local and (in AWS) loopback and private addresses, literal or resolved', async () => {
    expect(await aws('https://169.254.169.254/')).toMatch(
      /^refused by the SSRF guard: 169\.254\.169\.254 is a (metadata|link-local) address$/,
    );
    expect(await aws('https://[::ffff:127.0.0.1]/')).toMatch(/^refused by the SSRF guard/);
    expect(await aws('https://10.1.2.3/')).toBe('refused by the SSRF guard: 10.1.2.3 is a private address');
    const rebinding = createUrlGuard({ allowPrivateNetworks: false, lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(await rebinding('https://metrics.example.com/')).toBe('refused by the SSRF guard: 127.0.0.1 is a loopback address');
    const local = createUrlGuard({ allowPrivateNetworks: true });
    expect(await local('http://127.0.0.1:8080/m')).toBeUndefined();
    expect(await local('http://169.254.169.254/')).toMatch(/^refused by the SSRF guard/);
  });

  it('lets a name that does not resolve now through (every measurement checks again)', async () => {
    const nowhere = createUrlGuard({ allowPrivateNetworks: false, lookup: async () => [] });
    expect(await nowhere('https://not-yet.example.com/')).toBeUndefined();
  });
});
