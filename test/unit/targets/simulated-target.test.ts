import { describe, expect, it } from 'vitest';
import { createSimulatedTarget, SimulatedFleetRegistry, simulatedTraffic } from '../../../functions/targets/simulated-target.js';
import { createTargetAdapter } from '../../../functions/targets/target-adapter.js';
import { actionRequest, uniqueService } from './requests.js';

/** A sleep that records what it was asked to wait and returns at once. */
function fakeSleep(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms, signal) => {
      waits.push(ms);
      if (signal?.aborted) throw signal.reason;
    },
  };
}

describe('simulated target', () => {
  it('upgrades an instance to the target version and records it in the registry', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const adapter = createSimulatedTarget({ type: 'simulated' }, { registry });
    expect(await adapter.perform(actionRequest('drain', svc))).toMatchObject({ ok: true });
    expect(registry.get(svc.tenantId, svc.project, svc.service).versions).toEqual({ 'i-1': '1.2.3' });
    expect(await adapter.perform(actionRequest('upgrade', svc))).toMatchObject({ ok: true });
    expect(await adapter.perform(actionRequest('health', svc))).toEqual({ ok: true, healthy: true });
    expect(registry.get(svc.tenantId, svc.project, svc.service).versions).toEqual({ 'i-1': '1.3.0' });
  });

  it('fails the upgrade of a failInstances instance on every attempt, as a retryable failure, and leaves its version', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const adapter = createSimulatedTarget({ type: 'simulated', failInstances: ['i-2'] }, { registry });
    for (const attempt of [1, 2, 3]) {
      const result = await adapter.perform(actionRequest('upgrade', { ...svc, instanceId: 'i-2', attempt }));
      expect(result).toMatchObject({ ok: false, retryable: true });
    }
    expect(await adapter.perform(actionRequest('upgrade', { ...svc, instanceId: 'i-1' }))).toMatchObject({ ok: true });
    expect(registry.get(svc.tenantId, svc.project, svc.service).versions).toEqual({ 'i-1': '1.3.0', 'i-2': '1.2.3' });
  });

  it('answers health of an unhealthyInstances instance with healthy: false', async () => {
    const adapter = createSimulatedTarget({ type: 'simulated', unhealthyInstances: ['i-3'] }, { registry: new SimulatedFleetRegistry() });
    const svc = uniqueService();
    expect(await adapter.perform(actionRequest('health', { ...svc, instanceId: 'i-3' }))).toMatchObject({ ok: true, healthy: false });
    expect(await adapter.perform(actionRequest('health', { ...svc, instanceId: 'i-4' }))).toEqual({ ok: true, healthy: true });
  });

  it('rolls an upgraded instance back to the from version', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const adapter = createSimulatedTarget({ type: 'simulated' }, { registry });
    await adapter.perform(actionRequest('upgrade', svc));
    expect(await adapter.perform(actionRequest('rollback', svc))).toMatchObject({ ok: true });
    expect(registry.get(svc.tenantId, svc.project, svc.service).versions['i-1']).toBe('1.2.3');
  });

  it('starts every service at 100 % blue and moves traffic with switch-traffic', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const other = uniqueService();
    const adapter = createSimulatedTarget({ type: 'simulated' }, { registry });
    expect(registry.get(svc.tenantId, svc.project, svc.service).weights).toEqual({ blue: 100, green: 0 });
    const switched = await adapter.perform(
      actionRequest('switch-traffic', { ...svc, instanceId: '*', payload: { weights: { blue: 10, green: 90 } } }),
    );
    expect(switched).toMatchObject({ ok: true });
    expect(registry.get(svc.tenantId, svc.project, svc.service).weights).toEqual({ blue: 10, green: 90 });
    expect(registry.get(other.tenantId, other.project, other.service).weights).toEqual({ blue: 100, green: 0 });
  });

  it('refuses switch-traffic weights that do not add up to 100, without retry, and keeps the old ones', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const adapter = createSimulatedTarget({ type: 'simulated' }, { registry });
    for (const payload of [{ weights: { blue: 50, green: 60 } }, { weights: { blue: -1, green: 101 } }, {}, undefined]) {
      const result = await adapter.perform(
        actionRequest('switch-traffic', { ...svc, instanceId: '*', ...(payload === undefined ? {} : { payload }) }),
      );
      expect(result).toMatchObject({ ok: false, retryable: false });
    }
    expect(registry.get(svc.tenantId, svc.project, svc.service).weights).toEqual({ blue: 100, green: 0 });
  });

  it('records retired instances in order, once each', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const adapter = createSimulatedTarget({ type: 'simulated' }, { registry });
    for (const instanceId of ['b-2', 'b-1', 'b-2']) await adapter.perform(actionRequest('retire', { ...svc, instanceId }));
    expect(registry.get(svc.tenantId, svc.project, svc.service).retired).toEqual(['b-2', 'b-1']);
  });

  it('takes upgradeSeconds per upgrade and rollback through the injected sleep, and none for other actions', async () => {
    const { sleep, waits } = fakeSleep();
    const adapter = createSimulatedTarget({ type: 'simulated', upgradeSeconds: 2.5 }, { sleep, registry: new SimulatedFleetRegistry() });
    const svc = uniqueService();
    for (const action of ['drain', 'upgrade', 'health', 'rollback', 'retire'] as const) await adapter.perform(actionRequest(action, svc));
    expect(waits).toEqual([2500, 2500]);
  });

  it('does not sleep at all without upgradeSeconds', async () => {
    const { sleep, waits } = fakeSleep();
    const adapter = createSimulatedTarget({ type: 'simulated' }, { sleep, registry: new SimulatedFleetRegistry() });
    await adapter.perform(actionRequest('upgrade', uniqueService()));
    expect(waits).toEqual([]);
  });

  it('answers an aborted upgrade as a retryable failure and leaves the version alone', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    const controller = new AbortController();
    const sleep = (_ms: number, signal?: AbortSignal): Promise<void> =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        controller.abort(new Error('deadline'));
      });
    const adapter = createSimulatedTarget({ type: 'simulated', upgradeSeconds: 60 }, { sleep, registry });
    const result = await adapter.perform(actionRequest('upgrade', svc), controller.signal);
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(registry.get(svc.tenantId, svc.project, svc.service).versions).toEqual({});
  });

  it('gives the same answers for the same configuration, run after run', async () => {
    const run = async (): Promise<unknown[]> => {
      const registry = new SimulatedFleetRegistry();
      const adapter = createSimulatedTarget({ type: 'simulated', failInstances: ['i-2'], unhealthyInstances: ['i-3'] }, { registry });
      const svc = { tenantId: 't', project: 'p', service: 's' };
      const results: unknown[] = [];
      for (const instanceId of ['i-1', 'i-2', 'i-3']) {
        for (const action of ['drain', 'upgrade', 'health'] as const)
          results.push(await adapter.perform(actionRequest(action, { ...svc, instanceId })));
      }
      results.push(registry.get('t', 'p', 's'));
      return results;
    };
    expect(await run()).toEqual(await run());
  });

  it('writes to the shared simulatedTraffic registry when none is injected (what the local runtime reads)', async () => {
    const svc = uniqueService();
    const adapter = createTargetAdapter({ type: 'simulated' });
    await adapter.perform(actionRequest('upgrade', svc));
    await adapter.perform(actionRequest('switch-traffic', { ...svc, instanceId: '*', payload: { weights: { blue: 0, green: 100 } } }));
    expect(simulatedTraffic.get(svc.tenantId, svc.project, svc.service)).toEqual({
      weights: { blue: 0, green: 100 },
      versions: { 'i-1': '1.3.0' },
      retired: [],
    });
    simulatedTraffic.clear(svc.tenantId, svc.project, svc.service);
    expect(simulatedTraffic.get(svc.tenantId, svc.project, svc.service).versions).toEqual({});
  });

  it('hands out snapshots: changing what get returned changes nothing', async () => {
    const registry = new SimulatedFleetRegistry();
    const svc = uniqueService();
    await createSimulatedTarget({ type: 'simulated' }, { registry }).perform(actionRequest('upgrade', svc));
    const snapshot = registry.get(svc.tenantId, svc.project, svc.service) as {
      weights: { blue: number };
      versions: Record<string, string>;
    };
    snapshot.weights.blue = 0;
    snapshot.versions['i-1'] = 'tampered';
    expect(registry.get(svc.tenantId, svc.project, svc.service)).toMatchObject({ weights: { blue: 100 }, versions: { 'i-1': '1.3.0' } });
  });
});
