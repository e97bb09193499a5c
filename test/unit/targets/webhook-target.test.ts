import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  createWebhookTarget,
  parseRetryAfter,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../../functions/targets/webhook-target.js';
import { actionRequest } from './requests.js';

const SECRET = 'whsec_0123456789abcdef';

/** The scheme as a receiver would write it from the TSDoc alone. */
function independentSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(`${timestamp}.${body}`, 'utf8'))
    .digest('hex')}`;
}

describe('webhook signature', () => {
  it('is sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">, as an independent implementation computes it', () => {
    const body = JSON.stringify({ action: 'upgrade', instanceId: 'i-1', note: 'ünïcode ✓' });
    const signature = signWebhookBody(SECRET, 1767225600, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signature).toBe(independentSignature(SECRET, '1767225600', body));
  });

  it('verifies a genuine call within the tolerance', () => {
    const body = '{"action":"health"}';
    const signature = independentSignature(SECRET, '1000', body);
    expect(verifyWebhookSignature({ secret: SECRET, body, timestamp: '1000', signature, nowSeconds: 1200 })).toBe(true);
  });

  it.each([
    ['another secret', { secret: 'whsec_another-secret-xx' }],
    ['a changed body', { body: '{"action":"rollback"}' }],
    ['a changed timestamp', { timestamp: '1001' }],
    ['a stale timestamp', { nowSeconds: 1000 + 301 }],
    ['a missing signature', { signature: undefined }],
    ['a missing timestamp', { timestamp: undefined }],
    ['a malformed timestamp', { timestamp: '1e3' }],
    ['a truncated signature', { signature: independentSignature(SECRET, '1000', '{"action":"health"}').slice(0, 20) }],
  ])('refuses %s', (_case, change) => {
    const body = '{"action":"health"}';
    const genuine = {
      secret: SECRET,
      body,
      timestamp: '1000' as string | undefined,
      signature: independentSignature(SECRET, '1000', body) as string | undefined,
      nowSeconds: 1000,
    };
    expect(verifyWebhookSignature({ ...genuine, ...change })).toBe(false);
  });
});

describe('webhook SSRF guard', () => {
  const target = (url: string) => ({ type: 'webhook' as const, url, secret: SECRET });
  const resolvingTo =
    (...addresses: string[]) =>
    async (): Promise<LookupAddress[]> =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it.each([
    ['the metadata service', ['169.254.169.254']],
    ['the IPv6 metadata service', ['fd00:ec2::254']],
    ['loopback', ['127.0.0.1']],
    ['a private address', ['10.0.0.7']],
    ['carrier-grade NAT', ['100.64.1.1']],
    ['one internal address among public ones', ['93.184.216.34', '192.168.0.10']],
  ])('refuses a host that resolves to %s, without retrying', async (_case, addresses) => {
    const lookups: string[] = [];
    const lookup = async (hostname: string): Promise<LookupAddress[]> => {
      lookups.push(hostname);
      return resolvingTo(...addresses)();
    };
    const adapter = createWebhookTarget(target('https://hooks.example.com/sluice'), { lookup, sleep: async () => undefined });
    const result = await adapter.perform(actionRequest('upgrade'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(result.ok ? '' : result.detail).toContain('refused');
    expect(lookups).toEqual(['hooks.example.com']);
  });

  it('refuses the metadata service even with allowPrivateNetworks', async () => {
    const adapter = createWebhookTarget(target('https://hooks.example.com/'), {
      lookup: resolvingTo('169.254.169.254'),
      allowPrivateNetworks: true,
    });
    expect(await adapter.perform(actionRequest('health'))).toMatchObject({ ok: false, retryable: false });
  });

  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/',
    'https://[fd00:ec2::254]/',
    'https://127.0.0.1:8443/',
  ])('refuses the literal address in %s without a DNS lookup', async (url) => {
    const lookup = async (): Promise<LookupAddress[]> => {
      throw new Error('no lookup expected');
    };
    const adapter = createWebhookTarget(target(url), { lookup });
    const result = await adapter.perform(actionRequest('upgrade'));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(result.ok ? '' : result.detail).toContain('refused');
  });

  it('refuses plain http unless allowInsecureHttp is set', async () => {
    const adapter = createWebhookTarget(target('http://hooks.example.com/'), { lookup: resolvingTo('93.184.216.34') });
    expect(await adapter.perform(actionRequest('upgrade'))).toEqual({ ok: false, retryable: false, detail: 'webhook URL must use https' });
  });

  it('never puts the secret or the signature in a result or a log line', async () => {
    const lines: string[] = [];
    const log = (message: string, fields?: Record<string, unknown>): void => {
      lines.push(JSON.stringify({ message, fields }));
    };
    const adapter = createWebhookTarget(target('https://hooks.example.com/'), {
      lookup: resolvingTo('10.0.0.1'),
      logger: { debug: log, info: log, warn: log, error: log },
    });
    const result = await adapter.perform(actionRequest('upgrade'));
    const seen = JSON.stringify(result) + lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(seen).not.toContain(SECRET);
    expect(seen).not.toContain('sha256=');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['7', 7000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // in the past: go now
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
