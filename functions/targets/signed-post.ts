/**
 * One signed POST of a JSON body to a receiver's URL, and the backoff between two of
 * them: what the webhook target and the notifier send, signed and guarded the same way.
 *
 * - The signature: `x-sluice-timestamp` (unix seconds) and `x-sluice-signature:
 *   sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` ({@link signWebhookBody});
 *   a receiver checks it with {@link verifyWebhookSignature}.
 * - The connection: the host is resolved once per attempt, every address goes through
 *   the SSRF guard, and the request goes to those very addresses ({@link pinnedRequest}).
 * - The backoff: full jitter, exponential, a `Retry-After` honoured up to a cap.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type AddressLookup, type Connect, pinnedRequest, resolveChecked, urlHostname } from './guarded-request.js';
import { capDetail } from './support.js';

export const SIGNATURE_HEADER = 'x-sluice-signature';
export const TIMESTAMP_HEADER = 'x-sluice-timestamp';

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

/** One attempt's outcome: a response (of any status) or why there was none. */
export type SignedPostOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly headers: IncomingHttpHeaders; readonly text: string }
  | { readonly kind: 'failed'; readonly retryable: boolean; readonly detail: string };

export interface SignedPostOptions {
  readonly url: URL;
  readonly secret: string;
  readonly body: string;
  /** Headers beyond content type, signature and timestamp (an idempotency key, a delivery id). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Unix seconds of the signature. */
  readonly timestamp: number;
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly signal?: AbortSignal;
  readonly lookup?: AddressLookup;
  readonly connect?: Connect;
  readonly allowPrivateNetworks?: boolean;
  readonly ca?: string | readonly string[];
  readonly maxResponseBytes: number;
}

class Timeout extends Error {}

/**
 * One attempt: resolve and check the host, sign, POST to the checked addresses. Never
 * throws: a timeout or a network error is a retryable failure, a refused host is not.
 */
export async function signedPost(options: SignedPostOptions): Promise<SignedPostOutcome> {
  const { signal } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Timeout()), options.timeoutMs);
  const onCallerAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const hostname = urlHostname(options.url);
    const checked = await resolveChecked(hostname, {
      ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      allowPrivateNetworks: options.allowPrivateNetworks === true,
      signal: controller.signal,
    });
    if (checked.kind === 'no-address') return { kind: 'failed', retryable: true, detail: `webhook host ${hostname} has no address` };
    if (checked.kind === 'refused')
      return { kind: 'failed', retryable: false, detail: `webhook host ${hostname} refused: ${checked.reason}` };
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(options.body)),
      accept: 'application/json',
      'user-agent': options.userAgent,
      ...options.headers,
      [TIMESTAMP_HEADER]: String(options.timestamp),
      [SIGNATURE_HEADER]: signWebhookBody(options.secret, options.timestamp, options.body),
    };
    const response = await pinnedRequest({
      url: options.url,
      addresses: checked.addresses,
      method: 'POST',
      headers,
      body: options.body,
      signal: controller.signal,
      maxBytes: options.maxResponseBytes,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.connect === undefined ? {} : { connect: options.connect }),
    });
    return { kind: 'response', ...response };
  } catch (error) {
    if (controller.signal.reason instanceof Timeout)
      return { kind: 'failed', retryable: true, detail: `webhook timed out after ${options.timeoutMs / 1000} s` };
    if (signal?.aborted === true) return { kind: 'failed', retryable: true, detail: 'aborted by the caller' };
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return {
      kind: 'failed',
      retryable: true,
      detail: capDetail(`webhook network error${code === undefined ? '' : ` ${code}`}: ${message}`),
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Whether an answer's status is worth another attempt: 408, 429 and 5xx. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface BackoffOptions {
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Longest `Retry-After` honoured; a longer one is cut to this. */
  readonly retryAfterCapMs: number;
  readonly random: () => number;
  readonly nowMs: number;
}

/** The pause before the attempt after `attempt`: the receiver's `Retry-After` (capped), else full jitter. */
export function backoffMs(attempt: number, headers: IncomingHttpHeaders | undefined, options: BackoffOptions): number {
  const retryAfter = parseRetryAfter(headers?.['retry-after'], options.nowMs);
  if (retryAfter !== undefined) return Math.min(retryAfter, options.retryAfterCapMs);
  return Math.floor(options.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1)));
}

/** `Retry-After` in milliseconds from now: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
