import { describe, expect, it } from 'vitest';
import { SimulatedFleetRegistry } from '../../../functions/targets/simulated-target.js';
import { actionIdempotencyKey, createTargetAdapter } from '../../../functions/targets/target-adapter.js';
import { actionRequest } from './requests.js';

describe('createTargetAdapter', () => {
  it('picks the simulated adapter for a simulated target', async () => {
    const adapter = createTargetAdapter({ type: 'simulated', unhealthyInstances: ['i-1'] }, { registry: new SimulatedFleetRegistry() });
    expect(await adapter.perform(actionRequest('health'))).toMatchObject({ ok: true, healthy: false });
  });

  it('picks the lambda adapter for a lambda target, with the injected invoker', async () => {
    const calls: string[] = [];
    const adapter = createTargetAdapter(
      { type: 'lambda', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:agent' },
      { lambda: { invoke: async ({ functionArn }) => (calls.push(functionArn), {}) } },
    );
    expect(await adapter.perform(actionRequest('upgrade'))).toEqual({ ok: true });
    expect(calls).toEqual(['arn:aws:lambda:us-east-1:123456789012:function:agent']);
  });

  it('picks the webhook adapter for a webhook target, with its guard', async () => {
    const adapter = createTargetAdapter(
      { type: 'webhook', url: 'https://hooks.example.com/', secret: 'whsec_0123456789abcdef' },
      { lookup: async () => [{ address: '169.254.169.254', family: 4 }] },
    );
    expect(await adapter.perform(actionRequest('upgrade'))).toMatchObject({ ok: false, retryable: false });
  });
});

describe('actionIdempotencyKey', () => {
  it('is the same for every retry of one action and differs by execution, instance, action and step', () => {
    const base = { executionId: 'ex-1', instanceId: 'i-1', action: 'health' } as const;
    expect(actionIdempotencyKey(base)).toBe(actionIdempotencyKey({ ...base }));
    const keys = [
      actionIdempotencyKey(base),
      actionIdempotencyKey({ ...base, executionId: 'ex-2' }),
      actionIdempotencyKey({ ...base, instanceId: 'i-2' }),
      actionIdempotencyKey({ ...base, action: 'upgrade' }),
      actionIdempotencyKey({ ...base, step: 1 }),
      actionIdempotencyKey({ ...base, step: 2 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
