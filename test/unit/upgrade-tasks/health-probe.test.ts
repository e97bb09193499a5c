import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectOptions } from '../../../functions/targets/guarded-request.js';
import { createHttpHealthProbe } from '../../../functions/upgrade-tasks/health-probe.js';

/** A local server standing in for whatever the probe ends up talking to. */
let server: Server;
let port: number;
const received: Array<{ host: string | undefined; url: string | undefined }> = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({ host: req.headers.host, url: req.url });
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((closed) => server.close(closed)));

/** A resolver that answers `answers[0]` to the first call, `answers[1]` to the second, … */
function rebinding(...answers: string[]) {
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<LookupAddress[]> => {
    const address = answers[Math.min(calls.length, answers.length - 1)] ?? '';
    calls.push(hostname);
    return [{ address, family: 4 }];
  };
  return { lookup, calls };
}

/**
 * Records the addresses the request would connect to (asking the lookup the request
 * carries, as Node's connect would), then connects to the local server instead: no test
 * reaches the network.
 */
function recordingConnect() {
  const connectedTo: string[] = [];
  const connect = (options: ConnectOptions) => {
    options.lookup?.(String(options.host), { all: true }, (error, addresses) => {
      if (error === null && Array.isArray(addresses)) connectedTo.push(...addresses.map((a) => a.address));
      else if (error === null) connectedTo.push(String(addresses));
    });
    return netConnect({ host: '127.0.0.1', port });
  };
  return { connect, connectedTo };
}

describe('the health probe', () => {
  it('connects only to the address it checked, when the name answers a public address then 127.0.0.1 (DNS rebinding)', async () => {
    received.length = 0;
    const dns = rebinding('93.184.216.34', '127.0.0.1');
    const socket = recordingConnect();
    const probe = createHttpHealthProbe({ allowPrivateNetworks: false, lookup: dns.lookup, connect: socket.connect });
    const result = await probe.check('http://rebind.sluice.test:8080/healthz?x=1');
    expect(result).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(dns.calls).toEqual(['rebind.sluice.test']);
    expect(socket.connectedTo).toEqual(['93.184.216.34']);
    // The URL's host stays the Host header.
    expect(received).toEqual([{ host: 'rebind.sluice.test:8080', url: '/healthz?x=1' }]);
  });

  it('refuses a name whose checked answer is loopback, without connecting', async () => {
    const dns = rebinding('127.0.0.1', '93.184.216.34');
    const socket = recordingConnect();
    const probe = createHttpHealthProbe({ allowPrivateNetworks: false, lookup: dns.lookup, connect: socket.connect });
    expect(await probe.check('http://rebind.sluice.test/')).toEqual({ ok: false, detail: 'refused: 127.0.0.1 is a loopback address' });
    expect(socket.connectedTo).toEqual([]);
  });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://10.0.0.1/'])(
    'refuses %s without a lookup',
    async (url) => {
      const probe = createHttpHealthProbe({
        allowPrivateNetworks: false,
        lookup: async () => {
          throw new Error('no lookup expected');
        },
      });
      expect((await probe.check(url)).detail).toMatch(/^refused: /);
    },
  );

  it('still reaches loopback receivers when private networks are allowed (local runtime)', async () => {
    received.length = 0;
    const probe = createHttpHealthProbe({ allowPrivateNetworks: true, lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(await probe.check(`http://127.0.0.1:${port}/a`)).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(await probe.check(`http://health.sluice.test:${port}/b`)).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(received).toEqual([
      { host: `127.0.0.1:${port}`, url: '/a' },
      { host: `health.sluice.test:${port}`, url: '/b' },
    ]);
  });

  it('answers not healthy for a non-2xx, a redirect included, and unreachable for a closed port', async () => {
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end());
    await new Promise<void>((ready) => redirecting.listen(0, '127.0.0.1', ready));
    const other = (redirecting.address() as AddressInfo).port;
    const probe = createHttpHealthProbe({ allowPrivateNetworks: true });
    expect(await probe.check(`http://127.0.0.1:${other}/`)).toEqual({ ok: false, detail: 'HTTP 302' });
    await new Promise((closed) => redirecting.close(closed));
    expect(await probe.check(`http://127.0.0.1:${other}/`)).toEqual({ ok: false, detail: 'unreachable' });
  });
});
