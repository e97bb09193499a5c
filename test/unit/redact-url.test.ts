import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import { isSensitiveParameter, redactRequestTarget } from '../../functions/common/redact-url.js';
import { ROUTE_GROUPS } from '../../functions/domain/routes.js';
import { createLocalGateway } from '../../local/api-gateway.js';
import type { HttpLambda } from '../../local/handlers.js';

describe('redactRequestTarget', () => {
  it.each([
    ['/v1/components?limit=2&nextToken=eyJwayI6InNlY3JldCJ9', '/v1/components?limit=2&nextToken=[redacted]'],
    [
      '/x?token=t&access_token=a&api_key=k&apiKey=k&X-Amz-Signature=s&sig=s&code=c',
      '/x?token=[redacted]&access_token=[redacted]&api_key=[redacted]&apiKey=[redacted]&X-Amz-Signature=[redacted]&sig=[redacted]&code=[redacted]',
    ],
    [
      '/x?client_secret=s&password=p&session=s&auth=a&X-Amz-Credential=c',
      '/x?client_secret=[redacted]&password=[redacted]&session=[redacted]&auth=[redacted]&X-Amz-Credential=[redacted]',
    ],
    ['/x?%74oken=t&next+token=u', '/x?%74oken=[redacted]&next+token=[redacted]'],
    ['/x?nextToken=a&nextToken=b', '/x?nextToken=[redacted]&nextToken=[redacted]'],
    ['/x?from=16.0.0&to=16.1.0&channel=stable&name=a%20b', '/x?from=16.0.0&to=16.1.0&channel=stable&name=a%20b'],
    ['/x?%zz=1&flag', '/x?%zz=1&flag'],
    ['/v1/components', '/v1/components'],
  ])('%s → %s', (input, expected) => {
    expect(redactRequestTarget(input)).toBe(expected);
  });

  it('keeps the path and every harmless parameter', () => {
    expect(redactRequestTarget('/api/v1/registry/upgrades/u-1/rollback?reason=bad%20canary')).toBe(
      '/api/v1/registry/upgrades/u-1/rollback?reason=bad%20canary',
    );
    expect(redactRequestTarget(undefined)).toBeUndefined();
    expect(['limit', 'status', 'componentId', 'service', 'from', 'to'].filter(isSensitiveParameter)).toEqual([]);
  });
});

describe('the local gateway debug log', () => {
  const lines: string[] = [];
  const answer: HttpLambda = async () => ({ statusCode: 200, body: '{}' });
  const server = createLocalGateway({
    handlers: Object.fromEntries(ROUTE_GROUPS.map((group) => [group, answer])) as Record<(typeof ROUTE_GROUPS)[number], HttpLambda>,
    authorize: async () => ({ sub: 'tester' }),
    logger: createLogger('debug', (line) => lines.push(line)),
  });
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((closed) => server.close(closed)));

  it('writes the request line without the nextToken or any key or token of the query', async () => {
    const response = await fetch(`${base}/v1/components?limit=2&nextToken=SECRET-NEXT&access_token=SECRET-ACCESS&api_key=SECRET-KEY`);
    await response.text();
    await new Promise((settled) => setTimeout(settled, 20));
    const line = lines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.message === 'request');
    expect(line).toMatchObject({
      level: 'DEBUG',
      method: 'GET',
      status: 200,
      path: '/v1/components?limit=2&nextToken=[redacted]&access_token=[redacted]&api_key=[redacted]',
    });
    expect(lines.join('\n')).not.toMatch(/SECRET-/);
  });
});
