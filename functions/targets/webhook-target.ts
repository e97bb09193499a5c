/**
 * The webhook target: each action is an HTTPS POST of a signed JSON body to the
 * service's receiver.
 *
 * ## What a receiver gets
 *
 * ```http
 * POST /your/path HTTP/1.1
 * content-type: application/json
 * x-sluice-timestamp: 1767225600
 * x-sluice-signature: sha256=5f2b…
 * x-sluice-idempotency-key: ex-123:i-1:upgrade
 *
 * {"specVersion":1,"action":"upgrade","tenantId":"…","project":"…","service":"…",
 *  "executionId":"…","instanceId":"i-1","fromVersion":"1.2.3","toVersion":"1.3.0",
 *  "attempt":1,"deliveryAttempt":1,"idempotencyKey":"ex-123:i-1:upgrade","payload":{…}}
 * ```
 *
 * ## Verifying a call (the scheme of Stripe and GitHub)
 *
 * 1. Take `x-sluice-timestamp` (unix seconds) and the raw body bytes, unparsed.
 * 2. Compute `hex(HMAC-SHA256(key = the service's webhook secret, message = "<timestamp>.<body>"))`.
 * 3. Compare `"sha256=" + hex` with `x-sluice-signature` in constant time
 *    (`crypto.timingSafeEqual`).
 * 4. Refuse a timestamp more than 5 minutes from your clock, so a captured call
 *    cannot be replayed later; dedupe within the window by `x-sluice-idempotency-key`,
 *    which stays the same across every retry of one action.
 *
 * {@link verifyWebhookSignature} does exactly this for receivers written in TypeScript.
 *
 * ## What Sluice makes of the answer
 *
 * - 2xx: done. A JSON body `{ "healthy"?: boolean, "detail"?: string }` is read (for
 *   `health`, no `healthy` means healthy); any other body still counts as done. Only the
 *   first 64 KiB of any answer are read. (`{ "ok": false, "retryable"?, "detail" }` also
 *   reports a failure, as a Lambda target does; a status code says it better.)
 * - 408, 429, 5xx, a timeout (`timeoutSeconds`, default 10) or a network error: retried
 *   here up to 3 attempts with exponential backoff and full jitter (a `Retry-After` is
 *   honoured up to a cap), then reported as a retryable failure.
 * - Any other status, redirects included (never followed): a failure, not retried.
 *
 * ## Where it may connect
 *
 * The host is resolved once per attempt and every address is checked by the SSRF guard
 * ({@link checkAddress}); the connection then goes to those very addresses (no second
 * DNS lookup, so DNS rebinding cannot swap in an internal address), while the URL's host
 * stays the Host header, the TLS SNI and the name the certificate must match
 * ({@link pinnedRequest}, shared with the health probe).
 * `allowPrivateNetworks` and `allowInsecureHttp` open loopback/private receivers and
 * plain `http:` URLs: tests and the local runtime set them; production never does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../common/clock.js';
import { systemClock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Target } from '../services/schemas.js';
import type { AddressLookup, Connect } from './guarded-request.js';
import { backoffMs, retryableStatus, type SignedPostOutcome, signedPost } from './signed-post.js';
import type { Sleep } from './support.js';
import { abortedResult, actionBody, answerToResult, capDetail, realSleep } from './support.js';
import type { ActionRequest, ActionResult, TargetAdapter } from './target-adapter.js';

export { checkAddress } from './address-guard.js';
export type { AddressLookup } from './guarded-request.js';
export { parseRetryAfter, SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER, verifyWebhookSignature } from './signed-post.js';

type WebhookTargetConfig = Extract<Target, { type: 'webhook' }>;

export const IDEMPOTENCY_HEADER = 'x-sluice-idempotency-key';

export interface WebhookRetryOptions {
  /** Attempts of one call, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` honoured; a longer one is cut to this. Default 20 s. */
  readonly retryAfterCapMs?: number;
}

export interface WebhookTargetDeps {
  readonly sleep?: Sleep;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly lookup?: AddressLookup;
  /** Opens the request's socket (tests); Node connects to the checked addresses otherwise. */
  readonly connect?: Connect;
  /** Lets loopback and private addresses through the SSRF guard. Tests and the local runtime only. */
  readonly allowPrivateNetworks?: boolean;
  /** Accepts `http:` URLs (the schema demands https). Tests and the local runtime only. */
  readonly allowInsecureHttp?: boolean;
  /**
   * PEM certificates to trust for https receivers *instead of* the default roots: a
   * test's or a local receiver's self-signed certificate. Production leaves it unset.
   */
  readonly ca?: string | readonly string[];
  readonly retry?: WebhookRetryOptions;
  /** Most bytes of a response body read; the rest is dropped unread. Default 64 KiB. */
  readonly maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_SECONDS = 10;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'sluice-webhook/1';

/**
 * Builds the webhook adapter for one service's target.
 *
 * @example
 * ```ts
 * const adapter = createWebhookTarget(service.target, { logger });
 * const result = await adapter.perform(request, context.signal);
 * ```
 */
export function createWebhookTarget(target: WebhookTargetConfig, deps: WebhookTargetDeps = {}): TargetAdapter {
  const sleep = deps.sleep ?? realSleep;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const maxAttempts = Math.max(1, deps.retry?.maxAttempts ?? 3);
  const baseDelayMs = deps.retry?.baseDelayMs ?? 250;
  const maxDelayMs = deps.retry?.maxDelayMs ?? 4_000;
  const retryAfterCapMs = deps.retry?.retryAfterCapMs ?? 20_000;
  const maxResponseBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeoutMs = (target.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;

  // A bad URL is a configuration error: every call fails the same way, so none is retried.
  let url: URL | undefined;
  let configError: string | undefined;
  try {
    url = new URL(target.url);
    if (url.protocol === 'http:' && deps.allowInsecureHttp !== true) configError = 'webhook URL must use https';
    else if (url.protocol !== 'https:' && url.protocol !== 'http:') configError = `webhook URL scheme ${url.protocol} is not supported`;
  } catch {
    configError = 'webhook URL is not a valid URL';
  }
  // Only the host is logged: a path or query may carry a token of the receiver.
  const where = url?.host ?? 'invalid-url';

  function attemptOnce(request: ActionRequest, deliveryAttempt: number, endpoint: URL, signal: AbortSignal | undefined) {
    return signedPost({
      url: endpoint,
      secret: target.secret,
      body: JSON.stringify(actionBody(request, deliveryAttempt)),
      headers: { [IDEMPOTENCY_HEADER]: request.idempotencyKey },
      timestamp: Math.floor(clock.now().getTime() / 1000),
      timeoutMs,
      userAgent: USER_AGENT,
      maxResponseBytes,
      allowPrivateNetworks: deps.allowPrivateNetworks === true,
      ...(signal === undefined ? {} : { signal }),
      ...(deps.lookup === undefined ? {} : { lookup: deps.lookup }),
      ...(deps.connect === undefined ? {} : { connect: deps.connect }),
      ...(deps.ca === undefined ? {} : { ca: deps.ca }),
    });
  }

  const pause = (attempt: number, headers: IncomingHttpHeaders | undefined) =>
    backoffMs(attempt, headers, { baseDelayMs, maxDelayMs, retryAfterCapMs, random, nowMs: clock.now().getTime() });

  return {
    async perform(request: ActionRequest, signal?: AbortSignal): Promise<ActionResult> {
      if (url === undefined || configError !== undefined)
        return { ok: false, retryable: false, detail: configError ?? 'webhook URL is not valid' };
      let last: ActionResult = abortedResult(request.action);
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        if (signal?.aborted) return abortedResult(request.action);
        const delivery: SignedPostOutcome = await attemptOnce(request, attempt, url, signal);
        let retryAfterHeaders: IncomingHttpHeaders | undefined;
        if (delivery.kind === 'failed') {
          last = { ok: false, retryable: delivery.retryable, detail: delivery.detail };
        } else {
          const { status } = delivery;
          if (status >= 200 && status < 300) {
            deps.logger?.debug('webhook call done', {
              host: where,
              action: request.action,
              instanceId: request.instanceId,
              status,
              deliveryAttempt: attempt,
            });
            return scrubResult(answerToResult(request, delivery.text), target.secret);
          }
          const retryable = retryableStatus(status);
          const why = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          const snippet = scrub(capDetail(delivery.text).slice(0, 200), target.secret);
          last = { ok: false, retryable, detail: `webhook answered HTTP ${status}${why}${snippet === '' ? '' : `: ${snippet}`}` };
          retryAfterHeaders = delivery.headers;
        }
        deps.logger?.warn('webhook call failed', {
          host: where,
          action: request.action,
          instanceId: request.instanceId,
          deliveryAttempt: attempt,
          detail: last.detail,
        });
        if (last.ok || !last.retryable || attempt === maxAttempts) break;
        try {
          await sleep(pause(attempt, retryAfterHeaders), signal);
        } catch {
          return abortedResult(request.action);
        }
      }
      return last;
    },
  };
}

/**
 * A receiver's text with our secret and any signature taken out: a receiver that echoes
 * the request back ("bad signature sha256=…") must not make us store or log them.
 */
function scrub(text: string, secret: string): string {
  return text
    .split(secret)
    .join('[redacted]')
    .replace(/sha256=[0-9a-f]{8,}/gi, 'sha256=[redacted]');
}

function scrubResult(result: ActionResult, secret: string): ActionResult {
  return result.detail === undefined ? result : { ...result, detail: scrub(result.detail, secret) };
}
