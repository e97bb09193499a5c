import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionRequest, TargetAction } from '../../../functions/targets/target-adapter.js';
import { actionIdempotencyKey } from '../../../functions/targets/target-adapter.js';
import type { WebhookTargetDeps } from '../../../functions/targets/webhook-target.js';
import { createWebhookTarget } from '../../../functions/targets/webhook-target.js';
import { waitFor } from '../../support/wait.js';

const SECRET = 'whsec_integration-0123456789';
const NOW = new Date('2026-01-01T00:00:00Z');

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The signature checked the way a receiver would, with node:crypto only. */
  readonly verified: boolean;
}

interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

/** A real receiver on 127.0.0.1; `answer` gets the request number (1-based). */
async function startReceiver(answer: (res: ServerResponse, n: number, req: SeenRequest) => void): Promise<Receiver> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-sluice-timestamp']);
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-sluice-signature']));
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        verified: expected.length === given.length && timingSafeEqual(expected, given),
      };
      seen.push(record);
      res.on('error', () => undefined); // the client may hang up on purpose
      answer(res, seen.length, record);
    });
  });
  server.on('clientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/sluice?source=test`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}

function request(action: TargetAction, overrides: Partial<ActionRequest> = {}): ActionRequest {
  return {
    action,
    tenantId: 't-webhook',
    project: 'shop',
    service: 'cart',
    executionId: 'ex_1',
    instanceId: 'i-1',
    fromVersion: '1.2.3',
    toVersion: '1.3.0',
    attempt: 1,
    idempotencyKey: actionIdempotencyKey({ executionId: 'ex_1', instanceId: 'i-1', action }),
    ...overrides,
  };
}

/** Local-runtime flags, a fixed clock and a sleep that records backoff instead of waiting it. */
function deps(extra: Partial<WebhookTargetDeps> = {}): WebhookTargetDeps & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    allowPrivateNetworks: true,
    allowInsecureHttp: true,
    clock: { now: () => NOW },
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  };
}

const target = (url: string, timeoutSeconds?: number) => ({
  type: 'webhook' as const,
  url,
  secret: SECRET,
  ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
});

describe('webhook target against a real HTTP receiver', () => {
  it('posts a signed JSON body the receiver can verify, and reads its answer', async () => {
    const receiver = await startReceiver((res, _n, req) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ healthy: req.verified, detail: 'checked by the receiver' }));
    });
    const result = await createWebhookTarget(target(receiver.url), deps()).perform(request('health'));
    expect(result).toEqual({ ok: true, healthy: true, detail: 'checked by the receiver' });
    expect(receiver.seen).toHaveLength(1);
    const [seen] = receiver.seen;
    expect(seen?.verified).toBe(true);
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/hooks/sluice?source=test');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['x-sluice-timestamp']).toBe(String(NOW.getTime() / 1000));
    expect(seen?.headers['x-sluice-idempotency-key']).toBe('ex_1:i-1:health');
    expect(JSON.parse(seen?.body ?? '')).toEqual({
      specVersion: 1,
      action: 'health',
      tenantId: 't-webhook',
      project: 'shop',
      service: 'cart',
      executionId: 'ex_1',
      instanceId: 'i-1',
      fromVersion: '1.2.3',
      toVersion: '1.3.0',
      attempt: 1,
      deliveryAttempt: 1,
      idempotencyKey: 'ex_1:i-1:health',
    });
  });

  it('counts a 2xx without a JSON body as done', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(204);
      res.end();
    });
    expect(await createWebhookTarget(target(receiver.url), deps()).perform(request('upgrade'))).toEqual({ ok: true });
  });

  it('retries a receiver that answers 500 twice, and succeeds on the third attempt with a fresh signature each time', async () => {
    const receiver = await startReceiver((res, n) => {
      res.writeHead(n <= 2 ? 500 : 200);
      res.end(n <= 2 ? 'try again' : '{}');
    });
    const d = deps();
    expect(await createWebhookTarget(target(receiver.url), d).perform(request('upgrade'))).toEqual({ ok: true });
    expect(receiver.seen).toHaveLength(3);
    expect(receiver.seen.every((seen) => seen.verified)).toBe(true);
    expect(receiver.seen.map((seen) => (JSON.parse(seen.body) as { deliveryAttempt: number }).deliveryAttempt)).toEqual([1, 2, 3]);
    expect(new Set(receiver.seen.map((seen) => seen.headers['x-sluice-idempotency-key']))).toEqual(new Set(['ex_1:i-1:upgrade']));
    // full jitter with random() = 0.5: half of 250 ms, then half of 500 ms
    expect(d.waits).toEqual([125, 250]);
  });

  it('gives up on a receiver that always answers 500 after 3 attempts, as a retryable failure', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(503);
      res.end('down for maintenance');
    });
    const result = await createWebhookTarget(target(receiver.url), deps()).perform(request('upgrade'));
    expect(result).toEqual({ ok: false, retryable: true, detail: 'webhook answered HTTP 503: down for maintenance' });
    expect(receiver.seen).toHaveLength(3);
  });

  it('honours Retry-After of a 429, up to the cap', async () => {
    const receiver = await startReceiver((res, n) => {
      res.writeHead(n === 1 ? 429 : n === 2 ? 429 : 200, n === 1 ? { 'retry-after': '2' } : { 'retry-after': '3600' });
      res.end();
    });
    const d = deps({ retry: { retryAfterCapMs: 5_000 } });
    expect(await createWebhookTarget(target(receiver.url), d).perform(request('drain'))).toEqual({ ok: true });
    expect(receiver.seen).toHaveLength(3);
    expect(d.waits).toEqual([2_000, 5_000]);
  });

  it('does not retry a 400: exactly one request reaches the receiver', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"unknown instance"}');
    });
    const result = await createWebhookTarget(target(receiver.url), deps()).perform(request('upgrade'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(result.ok ? '' : result.detail).toContain('HTTP 400');
    expect(receiver.seen).toHaveLength(1);
  });

  it('does not follow a redirect', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    });
    const result = await createWebhookTarget(target(receiver.url), deps()).perform(request('upgrade'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(receiver.seen).toHaveLength(1);
  });

  it('aborts a request the receiver never answers, tries 3 times, and fails retryable', async () => {
    const receiver = await startReceiver(() => {
      // never answer
    });
    const result = await createWebhookTarget(target(receiver.url, 1), deps()).perform(request('upgrade'));
    expect(result).toEqual({ ok: false, retryable: true, detail: 'webhook timed out after 1 s' });
    expect(receiver.seen).toHaveLength(3);
  });

  it('accepts a slow answer that still arrives within the timeout', async () => {
    const receiver = await startReceiver((res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"detail":"took a while"}');
      }, 300);
    });
    expect(await createWebhookTarget(target(receiver.url, 5), deps()).perform(request('upgrade'))).toEqual({
      ok: true,
      detail: 'took a while',
    });
    expect(receiver.seen).toHaveLength(1);
  });

  it('fails retryable when the receiver closes the connection mid-response', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"healthy":', () => res.socket?.destroy());
    });
    const result = await createWebhookTarget(target(receiver.url), deps()).perform(request('health'));
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(receiver.seen).toHaveLength(3);
  });

  it('reads no more than the cap of a huge response body, and does not crash', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const receiver = await startReceiver((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"detail":"');
      let sent = 0;
      // 64 MiB, written as fast as the client reads: the client has to stop reading.
      const pump = (): void => {
        while (sent < 1024) {
          sent += 1;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end('"}');
      };
      pump();
    });
    const result = await createWebhookTarget(target(receiver.url), deps({ maxResponseBytes: 16 * 1024 })).perform(request('upgrade'));
    expect(result).toEqual({ ok: true });
    expect(receiver.seen).toHaveLength(1);
  });

  it('never returns the signature or the secret, even when the receiver echoes them back', async () => {
    const receiver = await startReceiver((res, n, req) => {
      const echo = `bad signature ${String(req.headers['x-sluice-signature'])} for secret ${SECRET}`;
      res.writeHead(n === 1 ? 401 : 200, { 'content-type': 'application/json' });
      res.end(n === 1 ? echo : JSON.stringify({ detail: echo }));
    });
    const adapter = createWebhookTarget(target(receiver.url), deps());
    const results = [await adapter.perform(request('upgrade')), await adapter.perform(request('upgrade'))];
    expect(results.map((result) => result.ok)).toEqual([false, true]);
    for (const result of results) {
      expect(result.detail).toContain('bad signature sha256=[redacted]');
      expect(result.detail).not.toContain(SECRET);
      expect(result.detail).not.toContain(String(receiver.seen[0]?.headers['x-sluice-signature']));
    }
  });

  it('caps the detail of a huge error body', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(400);
      res.end('y'.repeat(1024 * 1024));
    });
    const result = await createWebhookTarget(target(receiver.url), deps()).perform(request('upgrade'));
    expect(result.ok).toBe(false);
    expect(result.detail?.length).toBeLessThan(300);
  });

  it('connects to the address it checked, once resolved, while the Host header keeps the name', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(200);
      res.end();
    });
    const lookups: string[] = [];
    const lookup = async (hostname: string) => {
      lookups.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const url = `http://receiver.sluice.test:${receiver.port}/hook`;
    expect(await createWebhookTarget(target(url), deps({ lookup })).perform(request('upgrade'))).toEqual({ ok: true });
    expect(lookups).toEqual(['receiver.sluice.test']);
    expect(receiver.seen[0]?.headers.host).toBe(`receiver.sluice.test:${receiver.port}`);
  });

  it('refuses the local receiver without allowPrivateNetworks, before any request is sent', async () => {
    const receiver = await startReceiver((res) => {
      res.writeHead(200);
      res.end();
    });
    const result = await createWebhookTarget(target(receiver.url), deps({ allowPrivateNetworks: false })).perform(request('upgrade'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(receiver.seen).toHaveLength(0);
  });

  it('stops at once when the caller aborts', async () => {
    const receiver = await startReceiver(() => {
      // never answer
    });
    const controller = new AbortController();
    const pending = createWebhookTarget(target(receiver.url, 30), deps()).perform(request('upgrade'), controller.signal);
    await waitFor(() => receiver.seen.length > 0, { timeout: 5000, interval: 10, message: 'the request to reach the receiver' });
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, retryable: true });
    expect(receiver.seen).toHaveLength(1);
  });
});

describe('webhook target against a real HTTPS receiver', () => {
  // A self-signed certificate for receiver.sluice.test, made for this test only (valid until 2126).
  const fixtures = new URL('./fixtures/', import.meta.url);
  const key = readFileSync(new URL('receiver-key.pem', fixtures), 'utf8');
  const cert = readFileSync(new URL('receiver-cert.pem', fixtures), 'utf8');

  async function startTlsReceiver(): Promise<{ port: number; sni: string[]; hosts: string[]; close(): Promise<void> }> {
    const sni: string[] = [];
    const hosts: string[] = [];
    const server = createHttpsServer({ key, cert }, (req, res) => {
      sni.push(String((req.socket as TLSSocket).servername));
      hosts.push(String(req.headers.host));
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"detail":"over tls"}');
      });
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      port,
      sni,
      hosts,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  it('connects to the pinned address with the URL host as SNI, Host header and certificate name', async () => {
    const receiver = await startTlsReceiver();
    try {
      const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
      const url = `https://receiver.sluice.test:${receiver.port}/hook`;
      const result = await createWebhookTarget(target(url), deps({ lookup, ca: cert, allowInsecureHttp: false })).perform(
        request('upgrade'),
      );
      expect(result).toEqual({ ok: true, detail: 'over tls' });
      expect(receiver.sni).toEqual(['receiver.sluice.test']);
      expect(receiver.hosts).toEqual([`receiver.sluice.test:${receiver.port}`]);
    } finally {
      await receiver.close();
    }
  });

  it('fails when the certificate does not name the URL host, even though the address is the same', async () => {
    const receiver = await startTlsReceiver();
    try {
      const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
      const url = `https://impostor.sluice.test:${receiver.port}/hook`;
      const result = await createWebhookTarget(target(url), deps({ lookup, ca: cert })).perform(request('upgrade'));
      expect(result).toMatchObject({ ok: false });
      expect(result.ok ? '' : result.detail).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(receiver.hosts).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
