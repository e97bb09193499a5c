import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/common/http/api-handler.js';
import { functionLogger } from '../../functions/common/logger.js';
import { keysOf, observe } from '../../functions/common/observe.js';
import { servicesContracts } from '../../functions/services/contract.js';
import { captureLogStream, type LogStream } from '../support/log-stream.js';

/**
 * One warm function, invoked one request after another as Lambda does (no invocation
 * scope: Powertools' shared state), logging through Powertools at debug.
 */
let stream: LogStream;
beforeAll(() => {
  process.env.LOG_LEVEL = 'debug';
  stream = captureLogStream();
});
afterAll(() => stream.stop());

const contextOf = (awsRequestId: string) =>
  ({ awsRequestId, functionName: 'sluice-services', getRemainingTimeInMillis: () => 10_000 }) as Context;
const linesOf = (awsRequestId: string) => stream.records().filter((line) => line.function_request_id === awsRequestId);

describe('API request lines', () => {
  const SERVICES = '/v1/tenants/{tenantId}/projects/{projectName}/services';
  const logged: string[] = [];
  const handler = createApiHandler({
    group: 'services',
    contracts: servicesContracts,
    setup: () => ({ dependencies: {}, logger: functionLogger(), claims: { tenant: 'tenant', roles: 'roles' }, idempotency: undefined }),
    operations: {
      createService: async () => {
        functionLogger().info('creating', { secret: 'the-webhook-secret' });
        logged.push('create');
        return {};
      },
      listServices: async () => {
        functionLogger().info('listing');
        return { items: [] };
      },
      getService: async () => {
        throw new TypeError('the store broke');
      },
      updateService: async () => ({}),
      deleteService: async () => undefined,
    },
  });
  const event = (method: string, requestId: string, claims?: Record<string, string>, body?: unknown) =>
    ({
      routeKey: `${method} ${SERVICES}`,
      rawPath: '/v1/tenants/t1/projects/p/services',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      pathParameters: { tenantId: 't1', projectName: 'p' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      isBase64Encoded: false,
      requestContext: { requestId, http: { method }, ...(claims ? { authorizer: { jwt: { claims } } } : {}) },
    }) as unknown as APIGatewayProxyEventV2;

  it('carry the request id, route, tenant and subject on every line, appended once', async () => {
    const response = await handler(
      event('POST', 'apigw-1', { sub: 'olivia', tenant: 't1', roles: 'operator' }, { name: 'svc', componentId: 'cmp_1', version: '1.0.0' }),
      contextOf('lambda-1'),
    );
    expect(response.statusCode).toBe(201);
    const lines = linesOf('lambda-1');
    // The cold start's own warning (no idempotency table) is a line of this request too.
    expect(lines.map((line) => line.message)).toEqual([
      'Idempotency-Key is checked but not honoured: IDEMPOTENCY_TABLE_NAME is not set',
      'creating',
      'request',
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ requestId: 'apigw-1', route: 'createService', tenantId: 't1', sub: 'olivia', service: 'sluice' });
      expect(line.function_name).toBe('sluice-services');
    }
    expect(lines[1]?.secret).toBe('[redacted]');
    expect(lines[2]).toMatchObject({ level: 'DEBUG', status: 201 });
    expect(lines[2]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('does not carry the keys of the request before: the next one has only its own', async () => {
    // No token (401): no subject or tenant to log; nothing of the request before either.
    const response = await handler(event('GET', 'apigw-2'), contextOf('lambda-2'));
    expect(response.statusCode).toBe(401);
    const lines = linesOf('lambda-2');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ requestId: 'apigw-2', route: 'listServices' });
      expect(line).not.toHaveProperty('tenantId');
      expect(line).not.toHaveProperty('sub');
    }
    expect(lines.at(-1)).toMatchObject({ message: 'request', status: 401 });
    expect(stream.text()).not.toContain('the-webhook-secret');
  });

  it('log an unexpected error with its stack frames, and answer a 500 that carries neither', async () => {
    const response = await handler(
      {
        ...event('GET', 'apigw-3', { sub: 'olivia', tenant: 't1', roles: 'viewer' }),
        routeKey: `GET ${SERVICES}/{serviceName}`,
        rawPath: '/v1/tenants/t1/projects/p/services/svc',
        pathParameters: { tenantId: 't1', projectName: 'p', serviceName: 'svc' },
      } as APIGatewayProxyEventV2,
      contextOf('lambda-500'),
    );
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('the store broke');
    const line = linesOf('lambda-500').find((entry) => entry.message === 'unhandled error');
    expect(line).toMatchObject({ level: 'ERROR', error: { name: 'TypeError', message: 'the store broke' } });
    // Frames only (the message is the line's `error`), in the sources' terms.
    expect(line?.stack).toMatch(/^\s+at .*function-logs\.test\.ts:\d+:\d+/);
    expect(line?.stack).not.toContain('the store broke');
  });
});

describe('task lines', () => {
  const task = middy<unknown, unknown>()
    .use(observe({ keys: (event) => keysOf(event, ['task', 'tenantId', 'executionId']), done: 'task' }))
    .handler(async (event) => {
      functionLogger().info('working', { event });
      if ((event as { fail?: boolean }).fail) throw new Error('the task failed');
      return { ok: true };
    });

  it('carry the task and its execution, never its task token, also when it throws', async () => {
    await task({ task: 'openGate', tenantId: 't1', executionId: 'upg_1', taskToken: 'the-task-token' }, contextOf('lambda-3'));
    await expect(task({ task: 'control', tenantId: 't2', executionId: 'upg_2', fail: true }, contextOf('lambda-4'))).rejects.toThrow(
      'the task failed',
    );
    await task({ task: 'park' }, contextOf('lambda-5'));

    for (const line of linesOf('lambda-3')) expect(line).toMatchObject({ task: 'openGate', tenantId: 't1', executionId: 'upg_1' });
    expect(linesOf('lambda-3')[0]?.event.taskToken).toBe('[redacted]');
    const failed = linesOf('lambda-4');
    for (const line of failed) expect(line).toMatchObject({ task: 'control', tenantId: 't2', executionId: 'upg_2' });
    expect(failed.at(-1)).toMatchObject({ message: 'task', error: { name: 'Error', message: 'the task failed' } });
    // The invocation after a failed one starts clean too.
    for (const line of linesOf('lambda-5')) {
      expect(line.task).toBe('park');
      expect(line).not.toHaveProperty('executionId');
      expect(line).not.toHaveProperty('tenantId');
    }
    expect(stream.text()).not.toContain('the-task-token');
  });
});
