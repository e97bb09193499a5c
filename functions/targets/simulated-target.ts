/**
 * The simulated target: a fleet that exists only in memory, for demos, the local
 * runtime and tests. It is deterministic — the target's configuration alone decides
 * every answer — so a demo can make chosen instances fail and a test can rely on it.
 *
 * State lives in a per-process {@link SimulatedFleetRegistry}; in a deployed Lambda that
 * is per container, which is fine for a simulation and the reason nothing else uses it.
 */
import * as z from 'zod';
import type { Target } from '../services/schemas.js';
import type { Sleep } from './support.js';
import { abortedResult, realSleep } from './support.js';
import type { ActionRequest, ActionResult, TargetAdapter } from './target-adapter.js';

type SimulatedTargetConfig = Extract<Target, { type: 'simulated' }>;

/** Traffic split of a blue-green service, in percent; the two add up to 100. */
export const TrafficWeights = z
  .strictObject({ blue: z.number().int().min(0).max(100), green: z.number().int().min(0).max(100) })
  .refine((weights) => weights.blue + weights.green === 100, 'blue and green must add up to 100');
export type TrafficWeights = z.infer<typeof TrafficWeights>;

const SwitchTrafficPayload = z.looseObject({ weights: TrafficWeights });

/** A snapshot of one simulated service. */
export interface SimulatedServiceState {
  readonly weights: TrafficWeights;
  /** Instance id → the version it runs now (only instances an action has touched). */
  readonly versions: Readonly<Record<string, string>>;
  /** Instances retired (blue after a blue-green switch), in the order they went. */
  readonly retired: readonly string[];
}

interface MutableServiceState {
  weights: TrafficWeights;
  versions: Map<string, string>;
  retired: Set<string>;
}

/**
 * Traffic weights and instance versions of every simulated service, keyed by tenant,
 * project and service. Readers get snapshots; only the simulated adapter writes.
 */
export class SimulatedFleetRegistry {
  private readonly services = new Map<string, MutableServiceState>();

  /** The state of a service; one never touched reads as 100 % blue and no versions. */
  get(tenantId: string, project: string, service: string): SimulatedServiceState {
    const state = this.services.get(key(tenantId, project, service));
    if (state === undefined) return { weights: { blue: 100, green: 0 }, versions: {}, retired: [] };
    return { weights: { ...state.weights }, versions: Object.fromEntries(state.versions), retired: [...state.retired] };
  }

  /** Forgets one service, or every service when called without arguments. */
  clear(tenantId?: string, project?: string, service?: string): void {
    if (tenantId === undefined || project === undefined || service === undefined) this.services.clear();
    else this.services.delete(key(tenantId, project, service));
  }

  /** @internal the adapter's write access */
  state(tenantId: string, project: string, service: string): MutableServiceState {
    const k = key(tenantId, project, service);
    let state = this.services.get(k);
    if (state === undefined) {
      state = { weights: { blue: 100, green: 0 }, versions: new Map(), retired: new Set() };
      this.services.set(k, state);
    }
    return state;
  }
}

function key(tenantId: string, project: string, service: string): string {
  // JSON keeps the parts apart whatever characters they hold.
  return JSON.stringify([tenantId, project, service]);
}

/** The process-wide registry that the local runtime and tests read. */
export const simulatedTraffic = new SimulatedFleetRegistry();

export interface SimulatedTargetDeps {
  /** Waits out `upgradeSeconds`; the local runtime passes its time-scaled sleep. */
  readonly sleep?: Sleep;
  readonly registry?: SimulatedFleetRegistry;
}

/**
 * Builds the simulated adapter.
 *
 * - `upgrade` and `rollback` take `upgradeSeconds` per instance (through `sleep`).
 * - `upgrade` of an instance in `failInstances` fails on every attempt, as a retryable
 *   failure: it stands for an instance that does not come up, so the caller's retry
 *   and failure-threshold logic runs exactly as it would for a real one, and the
 *   outcome after the last retry is always a failure. The version stays `fromVersion`.
 * - `health` of an instance in `unhealthyInstances` answers `healthy: false`.
 * - `switch-traffic` sets the service's weights from `payload.weights`.
 * - `retire` records the instance as retired.
 *
 * @example
 * ```ts
 * const adapter = createSimulatedTarget({ type: 'simulated', failInstances: ['i-3'] }, { sleep: clock.sleep });
 * await adapter.perform({ action: 'upgrade', instanceId: 'i-1', ... }); // { ok: true }
 * simulatedTraffic.get(tenantId, project, service).versions['i-1'];   // toVersion
 * ```
 */
export function createSimulatedTarget(target: SimulatedTargetConfig, deps: SimulatedTargetDeps = {}): TargetAdapter {
  const sleep = deps.sleep ?? realSleep;
  const registry = deps.registry ?? simulatedTraffic;
  const failing = new Set(target.failInstances ?? []);
  const unhealthy = new Set(target.unhealthyInstances ?? []);
  const latencyMs = (target.upgradeSeconds ?? 0) * 1000;

  const takeTime = async (signal: AbortSignal | undefined): Promise<boolean> => {
    if (latencyMs <= 0) return !signal?.aborted;
    try {
      await sleep(latencyMs, signal);
      return true;
    } catch {
      return false;
    }
  };

  return {
    async perform(request: ActionRequest, signal?: AbortSignal): Promise<ActionResult> {
      if (signal?.aborted) return abortedResult(request.action);
      const state = registry.state(request.tenantId, request.project, request.service);
      const { instanceId } = request;
      switch (request.action) {
        case 'drain':
          if (!state.versions.has(instanceId)) state.versions.set(instanceId, request.fromVersion);
          return { ok: true, detail: `simulated: ${instanceId} drained` };
        case 'upgrade':
          if (!(await takeTime(signal))) return abortedResult(request.action);
          if (failing.has(instanceId)) {
            if (!state.versions.has(instanceId)) state.versions.set(instanceId, request.fromVersion);
            return { ok: false, retryable: true, detail: `simulated: ${instanceId} is configured to fail every upgrade attempt` };
          }
          state.versions.set(instanceId, request.toVersion);
          return { ok: true, detail: `simulated: ${instanceId} now runs ${request.toVersion}` };
        case 'rollback':
          if (!(await takeTime(signal))) return abortedResult(request.action);
          state.versions.set(instanceId, request.fromVersion);
          return { ok: true, detail: `simulated: ${instanceId} back on ${request.fromVersion}` };
        case 'health':
          return unhealthy.has(instanceId)
            ? { ok: true, healthy: false, detail: `simulated: ${instanceId} is configured unhealthy` }
            : { ok: true, healthy: true };
        case 'switch-traffic': {
          const payload = SwitchTrafficPayload.safeParse(request.payload ?? {});
          if (!payload.success) {
            return {
              ok: false,
              retryable: false,
              detail: `switch-traffic needs payload.weights {blue, green} adding up to 100: ${z.prettifyError(payload.error)}`,
            };
          }
          state.weights = { blue: payload.data.weights.blue, green: payload.data.weights.green };
          return { ok: true, detail: `simulated: traffic blue ${state.weights.blue} % / green ${state.weights.green} %` };
        }
        case 'retire':
          state.retired.add(instanceId);
          return { ok: true, detail: `simulated: ${instanceId} retired` };
      }
    },
  };
}
