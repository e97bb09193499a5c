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
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../common/clock.js';
import { systemClock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Target } from '../services/schemas.js';
import { type AddressLookup, type Connect, pinnedRequest, resolveChecked, urlHostname } from './guarded-request.js';
import type { Sleep } from './support.js';
import { abortedResult, actionBody, answerToResult, capDetail, realSleep } from './support.js';
import type { ActionRequest, ActionResult, TargetAdapter } from './target-adapter.js';

export { checkAddress } from './address-guard.js';
export type { AddressLookup } from './guarded-request.js';

type WebhookTargetConfig = Extract<Target, { type: 'webhook' }>;

export const SIGNATURE_HEADER = 'x-sluice-signature';
export const TIMESTAMP_HEADER = 'x-sluice-timestamp';
export const IDEMPOTENCY_HEADER = 'x-sluice-idempotency-key';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the value of `x-sluice-signature`. */
export function signWebhookBody(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * A receiver's check of a Sluice call: the signature matches (constant-time) and the
 * timestamp is within `toleranceSeconds` (default 300) of `nowSeconds`.
 *
 * @example
 * ```ts
 * const ok = verifyWebhookSignature({
 *   secret, body: rawBody,
 *   timestamp: req.headers['x-sluice-timestamp'], signature: req.headers['x-sluice-signature'],
 * });
 * ```
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  const { secret, body, timestamp, signature } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

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

/** One attempt's outcome: a response (of any status) or why there was none. */
type Delivery =
  | { readonly kind: 'response'; readonly status: number; readonly headers: IncomingHttpHeaders; readonly text: string }
  | { readonly kind: 'failed'; readonly retryable: boolean; readonly detail: string };

class Timeout extends Error {}

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

  async function attemptOnce(
    request: ActionRequest,
    deliveryAttempt: number,
    endpoint: URL,
    signal: AbortSignal | undefined,
  ): Promise<Delivery> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Timeout()), timeoutMs);
    const onCallerAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const failure = (error: unknown): Delivery => {
      if (controller.signal.reason instanceof Timeout)
        return { kind: 'failed', retryable: true, detail: `webhook timed out after ${timeoutMs / 1000} s` };
      if (signal?.aborted === true) return { kind: 'failed', retryable: true, detail: 'aborted by the caller' };
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const message = error instanceof Error ? error.message : String(error);
      return {
        kind: 'failed',
        retryable: true,
        detail: capDetail(`webhook network error${code === undefined ? '' : ` ${code}`}: ${message}`),
      };
    };
    try {
      const hostname = urlHostname(endpoint);
      const checked = await resolveChecked(hostname, {
        ...(deps.lookup === undefined ? {} : { lookup: deps.lookup }),
        allowPrivateNetworks: deps.allowPrivateNetworks === true,
        signal: controller.signal,
      });
      if (checked.kind === 'no-address') return { kind: 'failed', retryable: true, detail: `webhook host ${hostname} has no address` };
      if (checked.kind === 'refused')
        return { kind: 'failed', retryable: false, detail: `webhook host ${hostname} refused: ${checked.reason}` };
      const body = JSON.stringify(actionBody(request, deliveryAttempt));
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        accept: 'application/json',
        'user-agent': USER_AGENT,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhookBody(target.secret, timestamp, body),
        [IDEMPOTENCY_HEADER]: request.idempotencyKey,
      };
      const response = await pinnedRequest({
        url: endpoint,
        addresses: checked.addresses,
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
        maxBytes: maxResponseBytes,
        ...(deps.ca === undefined ? {} : { ca: deps.ca }),
        ...(deps.connect === undefined ? {} : { connect: deps.connect }),
      });
      return { kind: 'response', ...response };
    } catch (error) {
      return failure(error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  function backoffMs(attempt: number, headers: IncomingHttpHeaders | undefined): number {
    const retryAfter = parseRetryAfter(headers?.['retry-after'], clock.now().getTime());
    if (retryAfter !== undefined) return Math.min(retryAfter, retryAfterCapMs);
    return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  }

  return {
    async perform(request: ActionRequest, signal?: AbortSignal): Promise<ActionResult> {
      if (url === undefined || configError !== undefined)
        return { ok: false, retryable: false, detail: configError ?? 'webhook URL is not valid' };
      let last: ActionResult = abortedResult(request.action);
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        if (signal?.aborted) return abortedResult(request.action);
        const delivery = await attemptOnce(request, attempt, url, signal);
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
          const retryable = status === 408 || status === 429 || status >= 500;
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
          await sleep(backoffMs(attempt, retryAfterHeaders), signal);
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

/** `Retry-After` in milliseconds from now: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
