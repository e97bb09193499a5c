import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import type { LambdaInvocation, LambdaInvoker } from '../../../functions/targets/lambda-target.js';
import { createLambdaTarget, createSdkLambdaInvoker } from '../../../functions/targets/lambda-target.js';
import { actionRequest } from './requests.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:upgrade-agent';
const target = { type: 'lambda' as const, functionArn: ARN };
const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A fake invoker answering from a script and recording what it was sent. */
function fakeInvoker(
  answer: (payload: Record<string, unknown>) => LambdaInvocation | Promise<LambdaInvocation>,
): LambdaInvoker & { calls: Array<{ functionArn: string; payload: Record<string, unknown> }> } {
  const calls: Array<{ functionArn: string; payload: Record<string, unknown> }> = [];
  return {
    calls,
    async invoke({ functionArn, payload }) {
      const parsed = JSON.parse(payload) as Record<string, unknown>;
      calls.push({ functionArn, payload: parsed });
      return answer(parsed);
    },
  };
}

function sdkError(name: string, status: number | undefined, fault?: 'client' | 'server'): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    ...(fault ? { $fault: fault } : {}),
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });
}

describe('lambda target', () => {
  it('invokes the function with the action body and reads its answer', async () => {
    const invoker = fakeInvoker(() => ({ payload: json({ healthy: false, detail: 'replica lag 30 s' }) }));
    const result = await createLambdaTarget(target, { invoker }).perform(actionRequest('health', { attempt: 2 }));
    expect(result).toEqual({ ok: true, healthy: false, detail: 'replica lag 30 s' });
    expect(invoker.calls).toEqual([
      {
        functionArn: ARN,
        payload: {
          specVersion: 1,
          action: 'health',
          tenantId: 't-1',
          project: 'shop',
          service: 'cart',
          executionId: 'ex-1',
          instanceId: 'i-1',
          fromVersion: '1.2.3',
          toVersion: '1.3.0',
          attempt: 2,
          deliveryAttempt: 1,
          idempotencyKey: 'ex-1:i-1:health',
        },
      },
    ]);
  });

  it('counts a function that returns nothing, or no JSON, as done (and healthy for health)', async () => {
    const empty = createLambdaTarget(target, { invoker: fakeInvoker(() => ({})) });
    expect(await empty.perform(actionRequest('upgrade'))).toEqual({ ok: true });
    const text = createLambdaTarget(target, { invoker: fakeInvoker(() => ({ payload: new TextEncoder().encode('fine') })) });
    expect(await text.perform(actionRequest('health'))).toEqual({ ok: true, healthy: true });
  });

  it('passes the switch-traffic payload through', async () => {
    const invoker = fakeInvoker(() => ({ payload: json(null) }));
    await createLambdaTarget(target, { invoker }).perform(
      actionRequest('switch-traffic', { instanceId: '*', payload: { weights: { blue: 0, green: 100 } } }),
    );
    expect(invoker.calls[0]?.payload).toMatchObject({
      action: 'switch-traffic',
      instanceId: '*',
      payload: { weights: { blue: 0, green: 100 } },
    });
  });

  it('reports a FunctionError as a failure that is not retried, with the error message', async () => {
    const invoker = fakeInvoker(() => ({
      functionError: 'Unhandled',
      payload: json({ errorType: 'DiskFull', errorMessage: 'no space left on /var', trace: ['at x'] }),
    }));
    expect(await createLambdaTarget(target, { invoker }).perform(actionRequest('upgrade'))).toEqual({
      ok: false,
      retryable: false,
      detail: 'function error (Unhandled): DiskFull: no space left on /var',
    });
  });

  it('lets the function report a retryable failure without throwing', async () => {
    const invoker = fakeInvoker(() => ({ payload: json({ ok: false, retryable: true, detail: 'node busy' }) }));
    expect(await createLambdaTarget(target, { invoker }).perform(actionRequest('drain'))).toEqual({
      ok: false,
      retryable: true,
      detail: 'node busy',
    });
  });

  it.each([
    ['TooManyRequestsException', 429, 'client', true],
    ['ServiceException', 500, 'server', true],
    ['EC2ThrottledException', 502, 'server', true],
    ['ResourceConflictException', 409, 'client', true],
    ['ResourceNotReadyException', 502, 'server', true],
    ['ResourceNotFoundException', 404, 'client', false],
    ['AccessDeniedException', 403, 'client', false],
    ['RequestTooLargeException', 413, 'client', false],
    ['InvalidSubnetIDException', 502, 'server', false],
    ['KMSDisabledException', 502, 'server', false],
    ['TimeoutError', undefined, undefined, true],
  ] as const)('classifies a thrown %s (%s) as retryable: %s', async (name, status, fault, retryable) => {
    const invoker = fakeInvoker(() => {
      throw sdkError(name, status, fault);
    });
    const result = await createLambdaTarget(target, { invoker }).perform(actionRequest('upgrade'));
    expect(result).toMatchObject({ ok: false, retryable });
    expect(result.ok ? '' : result.detail).toContain(name);
  });

  it('answers a caller abort as a retryable failure', async () => {
    const controller = new AbortController();
    const invoker = fakeInvoker(() => {
      controller.abort();
      throw sdkError('AbortError', undefined);
    });
    expect(await createLambdaTarget(target, { invoker }).perform(actionRequest('upgrade'), controller.signal)).toMatchObject({
      ok: false,
      retryable: true,
    });
  });
});

describe('SDK lambda invoker', () => {
  it('sends a RequestResponse InvokeCommand with a client for the region of the ARN, one client per region', async () => {
    const regions: string[] = [];
    const sent: unknown[] = [];
    const fakeClient = {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        return { StatusCode: 200, Payload: json({ detail: 'done' }) };
      },
    };
    const invoker = createSdkLambdaInvoker({
      clientFor: (region) => {
        regions.push(region);
        return fakeClient as unknown as LambdaClient;
      },
    });
    const adapter = createLambdaTarget(target, { invoker });
    expect(await adapter.perform(actionRequest('upgrade'))).toEqual({ ok: true, detail: 'done' });
    await adapter.perform(actionRequest('health'));
    expect(regions).toEqual(['eu-west-1']);
    expect(sent[0]).toMatchObject({ FunctionName: ARN, InvocationType: 'RequestResponse' });
    const payload = (sent[0] as { Payload: Uint8Array }).Payload;
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ action: 'upgrade', instanceId: 'i-1' });
  });
});
