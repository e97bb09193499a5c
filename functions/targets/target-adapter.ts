/**
 * The target port: how an upgrade execution acts on one instance of a service.
 *
 * A use case (a task handler of a flow) depends on {@link TargetAdapter} only; the
 * three adapters — simulated, webhook, lambda — are picked by the service's target
 * type in {@link createTargetAdapter}, and only `lambda-target.ts` knows the AWS SDK.
 */

import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Target } from '../services/schemas.js';
import type { LambdaInvoker } from './lambda-target.js';
import { createLambdaTarget } from './lambda-target.js';
import type { SimulatedFleetRegistry } from './simulated-target.js';
import { createSimulatedTarget } from './simulated-target.js';
import type { Sleep } from './support.js';
import type { AddressLookup } from './webhook-target.js';
import { createWebhookTarget } from './webhook-target.js';

export const TARGET_ACTIONS = ['drain', 'upgrade', 'health', 'rollback', 'switch-traffic', 'retire'] as const;

/**
 * - `drain` / `upgrade` / `health` / `rollback`: one instance, in that order for a
 *   rolling batch (rollback reverts an upgraded instance to `fromVersion`).
 * - `switch-traffic`: a service-level blue-green action (`instanceId` is `'*'`);
 *   `payload.weights` says where traffic goes, e.g. `{ blue: 0, green: 100 }`.
 * - `retire`: takes an instance (a blue one after the switch) out of the fleet.
 */
export type TargetAction = (typeof TARGET_ACTIONS)[number];

/** The instance id of a service-level action (`switch-traffic`). */
export const ALL_INSTANCES = '*';

export interface ActionRequest {
  readonly action: TargetAction;
  readonly tenantId: string;
  readonly project: string;
  readonly service: string;
  readonly executionId: string;
  /** The instance acted on; {@link ALL_INSTANCES} for a service-level action. */
  readonly instanceId: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  /** 1-based attempt of the caller (a flow's retry), so a receiver can tell retries apart. */
  readonly attempt: number;
  /**
   * Stable across every retry of one (execution, instance, action[, step]); build it
   * with {@link actionIdempotencyKey} so a receiver can recognise a repeated call.
   */
  readonly idempotencyKey: string;
  /** Action-specific data, e.g. `{ weights: { blue: 0, green: 100 } }` for `switch-traffic`. */
  readonly payload?: Readonly<Record<string, unknown>>;
}

/**
 * What the target said. A failure says whether trying again may help (a timeout, a
 * throttle, a 5xx) or not (a 4xx, a function error): the caller retries the first
 * with backoff and counts the second at once.
 *
 * For `health`, adapters always set `healthy` (a successful call without an explicit
 * answer counts as healthy, like a 2xx from a health URL).
 */
export type ActionResult =
  | { readonly ok: true; readonly healthy?: boolean; readonly detail?: string }
  | { readonly ok: false; readonly retryable: boolean; readonly detail: string };

export interface TargetAdapter {
  /**
   * Performs one action. It never rejects for anything the target does — failures
   * come back as `{ ok: false }`; a caller's abort comes back as a retryable failure.
   */
  perform(request: ActionRequest, signal?: AbortSignal): Promise<ActionResult>;
}

/** Everything the three adapters may need; each takes the part it uses. All optional. */
export interface TargetAdapterDeps {
  /** Waits of the simulated latency and of webhook backoff. Default: real timers. */
  readonly sleep?: Sleep;
  /** Webhook signature timestamps and `Retry-After` dates. Default: system clock. */
  readonly clock?: Clock;
  /** Jitter source in [0, 1). Default: `Math.random`. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Where the simulated fleet keeps weights and versions. Default: {@link simulatedTraffic}. */
  readonly registry?: SimulatedFleetRegistry;
  /** Webhook only: allow loopback/private receivers. Tests and the local runtime only. */
  readonly allowPrivateNetworks?: boolean;
  /** Webhook only: allow `http:` URLs. Tests and the local runtime only. */
  readonly allowInsecureHttp?: boolean;
  /** Webhook only: DNS resolution (default `node:dns` lookup with `all: true`). */
  readonly lookup?: AddressLookup;
  /** Webhook only: certificate authorities (PEM) to trust besides the system's. Local receivers only. */
  readonly ca?: string;
  /** Lambda only: the invoke port. Default: an SDK-backed invoker created on first use. */
  readonly lambda?: LambdaInvoker;
}

/**
 * Picks the adapter for a service's target.
 *
 * @example
 * ```ts
 * const adapter = createTargetAdapter(service.target, { logger });
 * const result = await adapter.perform({
 *   action: 'upgrade', tenantId, project, service: name, executionId, instanceId: 'i-1',
 *   fromVersion: '1.2.3', toVersion: '1.3.0', attempt: 1,
 *   idempotencyKey: actionIdempotencyKey({ executionId, instanceId: 'i-1', action: 'upgrade' }),
 * });
 * if (!result.ok && result.retryable) // retry with backoff
 * ```
 */
export function createTargetAdapter(target: Target, deps: TargetAdapterDeps = {}): TargetAdapter {
  switch (target.type) {
    case 'simulated':
      return createSimulatedTarget(target, deps);
    case 'webhook':
      return createWebhookTarget(target, deps);
    case 'lambda':
      return createLambdaTarget(target, deps.lambda === undefined ? {} : { invoker: deps.lambda });
  }
}

/**
 * The idempotency key of one action: the same for every retry of it, different for
 * each execution, instance, action and (for actions repeated within one execution,
 * like health polls or the steps of a traffic shift) step: `<executionId>:<instanceId>:<action>[#<step>]`.
 * Execution ids hold no `:` and instance ids no `#`, so no two inputs share a key.
 */
export function actionIdempotencyKey(parts: {
  executionId: string;
  instanceId: string;
  action: TargetAction;
  step?: string | number;
}): string {
  const base = `${parts.executionId}:${parts.instanceId}:${parts.action}`;
  return parts.step === undefined ? base : `${base}#${parts.step}`;
}
