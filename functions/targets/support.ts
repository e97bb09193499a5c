/** Pieces the target adapters share: waiting, the wire body and reading a receiver's answer. */
import { setTimeout as delay } from 'node:timers/promises';
import * as z from 'zod';
import type { ActionRequest, ActionResult } from './target-adapter.js';

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) => delay(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal });

/** Longest `detail` a result carries: it ends up in an execution record. */
export const MAX_DETAIL_CHARS = 500;

export function capDetail(text: string): string {
  // Control characters from a receiver have no business in a stored record or a log line.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > MAX_DETAIL_CHARS ? `${clean.slice(0, MAX_DETAIL_CHARS - 1)}…` : clean;
}

/**
 * The JSON document a webhook receives as its body and a Lambda function as its event.
 * `deliveryAttempt` counts the adapter's own retries of this one call (the webhook's
 * backoff); `attempt` is the caller's.
 */
/** What a webhook or Lambda target receives: the request itself, versioned, with the delivery attempt. */
export interface ActionBody extends ActionRequest {
  readonly specVersion: 1;
  readonly deliveryAttempt: number;
}

export function actionBody(request: ActionRequest, deliveryAttempt = 1): ActionBody {
  return {
    specVersion: 1,
    action: request.action,
    tenantId: request.tenantId,
    project: request.project,
    service: request.service,
    executionId: request.executionId,
    instanceId: request.instanceId,
    fromVersion: request.fromVersion,
    toVersion: request.toVersion,
    attempt: request.attempt,
    deliveryAttempt,
    idempotencyKey: request.idempotencyKey,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  };
}

/**
 * What a receiver may answer (webhook 2xx body, Lambda return value). Unknown fields
 * are tolerated: the receiver is someone else's code, and newer receivers may say more.
 * `ok: false` lets a Lambda function report a failure without throwing.
 */
const ReceiverAnswer = z.looseObject({
  ok: z.boolean().optional(),
  healthy: z.boolean().optional(),
  retryable: z.boolean().optional(),
  detail: z.string().optional(),
});

/**
 * Turns a successful call's answer into a result. A body that is not JSON, or JSON of
 * another shape, still means "done": the call itself succeeded.
 */
export function answerToResult(request: ActionRequest, text: string | undefined): ActionResult {
  let parsed: z.infer<typeof ReceiverAnswer> = {};
  if (text !== undefined && text.trim() !== '') {
    try {
      const result = ReceiverAnswer.safeParse(JSON.parse(text));
      if (result.success) parsed = result.data;
    } catch {
      // not JSON: counts as ok, see above
    }
  }
  const detail = parsed.detail === undefined ? undefined : capDetail(parsed.detail);
  if (parsed.ok === false) {
    return { ok: false, retryable: parsed.retryable ?? false, detail: detail ?? `target reported ${request.action} failed` };
  }
  return {
    ok: true,
    ...(request.action === 'health' ? { healthy: parsed.healthy ?? true } : {}),
    ...(detail === undefined || detail === '' ? {} : { detail }),
  };
}

/** The result of a call the caller aborted: trying again later may well succeed. */
export function abortedResult(action: ActionRequest['action']): ActionResult {
  return { ok: false, retryable: true, detail: `${action} aborted by the caller` };
}
