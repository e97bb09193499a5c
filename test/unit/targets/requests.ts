import type { ActionRequest, TargetAction } from '../../../functions/targets/target-adapter.js';
import { actionIdempotencyKey } from '../../../functions/targets/target-adapter.js';

let counter = 0;

/** A service of its own for each test, so tests never share simulated state. */
export function uniqueService(): { tenantId: string; project: string; service: string } {
  counter += 1;
  return { tenantId: `t-${process.pid}-${counter}`, project: 'shop', service: `svc-${counter}` };
}

export function actionRequest(action: TargetAction, overrides: Partial<ActionRequest> = {}): ActionRequest {
  const executionId = overrides.executionId ?? 'ex-1';
  const instanceId = overrides.instanceId ?? 'i-1';
  return {
    action,
    tenantId: 't-1',
    project: 'shop',
    service: 'cart',
    executionId,
    instanceId,
    fromVersion: '1.2.3',
    toVersion: '1.3.0',
    attempt: 1,
    idempotencyKey: actionIdempotencyKey({ executionId, instanceId, action }),
    ...overrides,
  };
}
