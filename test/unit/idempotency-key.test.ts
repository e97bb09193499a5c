import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../functions/common/errors.js';
import { createApiHandler } from '../../functions/common/http/api-handler.js';
import { type Idempotency, type IdempotentRequest, readIdempotencyKey } from '../../functions/common/http/idempotency.js';
import { createLogger } from '../../functions/common/logger.js';
import { acceptsIdempotencyKey, ROUTES, type RouteDefinition } from '../../functions/domain/routes.js';
import { servicesContracts } from '../../functions/services/contract.js';

describe('readIdempotencyKey', () => {
  it.each([['k'], ['a'.repeat(255)], [' spaced key '], ['~!@#$%^&*()_+{}|:"<>?']])('accepts %j', (key) => {
    expect(readIdempotencyKey({ 'idempotency-key': key })).toBe(key);
  });

  it('returns undefined without the header', () => {
    expect(readIdempotencyKey({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it.each([[''], ['a'.repeat(256)], ['tab\there'], ['new\nline'], ['ключ'], ['\x7F']])(
    'refuses %j, naming header.idempotency-key',
    (key) => {
      try {
        readIdempotencyKey({ 'idempotency-key': key });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(BadRequestError);
        expect((error as BadRequestError).errors[0]?.field).toBe('header.idempotency-key');
      }
    },
  );
});

describe('acceptsIdempotencyKey', () => {
  it('holds for every authenticated mutation and for nothing else', () => {
    for (const route of ROUTES as readonly RouteDefinition[])
      expect(acceptsIdempotencyKey(route)).toBe(route.method !== 'GET' && route.access !== 'public');
    expect(ROUTES.filter(acceptsIdempotencyKey).length).toBeGreaterThan(10);
  });
});

describe('createApiHandler with an Idempotency-Key', () => {
  const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 1000 } as Context;
  const event = (
    method: string,
    path: string,
    pathParameters: Record<string, string>,
    headers: Record<string, string>,
    body?: unknown,
  ): APIGatewayProxyEventV2 =>
    ({
      routeKey: `${method} ${path}`,
      rawPath: path,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      pathParameters,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      isBase64Encoded: false,
      requestContext: { http: { method }, authorizer: { jwt: { claims: { sub: 'olivia', tenant: 't1', roles: 'operator viewer' } } } },
    }) as unknown as APIGatewayProxyEventV2;
  const SERVICES = '/v1/tenants/{tenantId}/projects/{projectName}/services';
  const body = { name: 'svc', componentId: 'cmp_1', version: '1.0.0' };

  function handlerWith(idempotency: Idempotency | undefined, lines: string[] = []) {
    let calls = 0;
    const handler = createApiHandler({
      group: 'services',
      contracts: servicesContracts,
      setup: () => ({
        dependencies: {},
        logger: createLogger('warn', (line) => lines.push(line)),
        claims: { tenant: 'tenant', roles: 'roles' },
        idempotency,
      }),
      operations: {
        createService: async ({ body: parsed }) => ({ created: ++calls, name: parsed.name }),
        listServices: async () => ({ items: [], calls: ++calls }),
        getService: async () => ({}),
        updateService: async () => ({}),
        deleteService: async () => undefined,
      },
    });
    return { handler, calls: () => calls };
  }

  it('hands the port the scope, subject, key and the parsed request', async () => {
    const seen: IdempotentRequest[] = [];
    const { handler } = handlerWith({ run: async (request, _context, execute) => (seen.push(request), execute()) });
    const response = await handler(
      event('POST', SERVICES, { tenantId: 't1', projectName: 'p' }, { 'idempotency-key': 'k-1' }, body),
      context,
    );
    expect(response.statusCode).toBe(201);
    expect(seen).toEqual([
      {
        scope: 'tenant/t1',
        subject: 'olivia',
        key: 'k-1',
        request: {
          routeKey: `POST ${SERVICES}`,
          params: { tenantId: 't1', projectName: 'p' },
          query: null,
          body: expect.objectContaining(body),
        },
      },
    ]);
  });

  it('does not involve the port without a key, or on a read', async () => {
    const { handler } = handlerWith({ run: () => Promise.reject(new Error('must not be called')) });
    expect((await handler(event('POST', SERVICES, { tenantId: 't1', projectName: 'p' }, {}, body), context)).statusCode).toBe(201);
    expect(
      (await handler(event('GET', SERVICES, { tenantId: 't1', projectName: 'p' }, { 'idempotency-key': 'k-1' }), context)).statusCode,
    ).toBe(200);
  });

  it('checks the key but runs the operation when idempotency is off, and says so once', async () => {
    const lines: string[] = [];
    const { handler, calls } = handlerWith(undefined, lines);
    const request = () =>
      handler(event('POST', SERVICES, { tenantId: 't1', projectName: 'p' }, { 'idempotency-key': 'k-1' }, body), context);
    expect((await request()).statusCode).toBe(201);
    expect((await request()).statusCode).toBe(201);
    expect(calls()).toBe(2);
    expect(lines.filter((line) => line.includes('IDEMPOTENCY_TABLE_NAME'))).toHaveLength(1);
    const malformed = await handler(
      event('POST', SERVICES, { tenantId: 't1', projectName: 'p' }, { 'idempotency-key': '' }, body),
      context,
    );
    expect(malformed.statusCode).toBe(400);
  });
});
