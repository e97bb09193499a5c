import { type AddressLookup, type Connect, pinnedRequest, resolveChecked, urlHostname } from '../targets/guarded-request.js';

/** One answer of a metric webhook: its JSON, or why there is none to judge (inconclusive). */
export type Measurement = { readonly kind: 'answer'; readonly json: unknown } | { readonly kind: 'inconclusive'; readonly detail: string };

/** Reads a metric webhook once (docs/architecture.md#alarm-and-metric-gates). */
export interface MetricWebhook {
  measure(url: string): Promise<Measurement>;
}

export interface HttpMetricWebhookOptions {
  /** Lets loopback and private addresses through (SLUICE_ALLOW_PRIVATE_NETWORKS: local runtime and tests only). */
  readonly allowPrivateNetworks: boolean;
  /** @default 5000 */
  readonly timeoutMs?: number;
  readonly lookup?: AddressLookup;
  readonly connect?: Connect;
}

/** An answer is a small JSON document; more than this is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A GET of the webhook with the webhook target's SSRF guard ({@link resolveChecked} and
 * {@link pinnedRequest}: the host resolved once, every address checked, the connection
 * pinned to them, no redirect followed). Never throws: a refusal, a timeout, a network
 * error, a non-2xx answer or one that is not JSON is an inconclusive measurement.
 */
export function createHttpMetricWebhook(options: HttpMetricWebhookOptions): MetricWebhook {
  return {
    async measure(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return { kind: 'inconclusive', detail: 'not a URL' };
      }
      const signal = AbortSignal.timeout(options.timeoutMs ?? 5000);
      try {
        const checked = await resolveChecked(urlHostname(parsed), {
          ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
          allowPrivateNetworks: options.allowPrivateNetworks,
          signal,
        });
        if (checked.kind === 'refused') return { kind: 'inconclusive', detail: `refused: ${checked.reason}` };
        if (checked.kind === 'no-address') return { kind: 'inconclusive', detail: 'the host has no address' };
        const response = await pinnedRequest({
          url: parsed,
          addresses: checked.addresses,
          method: 'GET',
          headers: { accept: 'application/json', 'user-agent': 'sluice-analysis/1' },
          signal,
          maxBytes: MAX_ANSWER_BYTES,
          ...(options.connect === undefined ? {} : { connect: options.connect }),
        });
        if (response.status < 200 || response.status > 299) return { kind: 'inconclusive', detail: `HTTP ${response.status}` };
        try {
          return { kind: 'answer', json: JSON.parse(response.text) as unknown };
        } catch {
          return { kind: 'inconclusive', detail: `HTTP ${response.status} with an answer that is not JSON` };
        }
      } catch (error) {
        const timedOut = signal.aborted || (error as Error).name === 'TimeoutError';
        return { kind: 'inconclusive', detail: timedOut ? 'timed out' : 'unreachable' };
      }
    },
  };
}
