import { type AddressLookup, type Connect, pinnedRequest, resolveChecked, urlHostname } from '../targets/guarded-request.js';

/** Checks that an instance's health URL answers. */
export interface HealthProbe {
  check(url: string): Promise<{ ok: boolean; detail: string }>;
}

export interface HttpHealthProbeOptions {
  /** Lets loopback and private addresses through (SLUICE_ALLOW_PRIVATE_NETWORKS: local runtime and tests only). */
  readonly allowPrivateNetworks: boolean;
  readonly timeoutMs?: number;
  /** Resolves the URL's host; DNS by default. */
  readonly lookup?: AddressLookup;
  /** Opens the request's socket (tests); Node connects to the checked addresses otherwise. */
  readonly connect?: Connect;
}

/** A health answer is judged by its status; only this much of its body is read. */
const MAX_BODY_BYTES = 4 * 1024;

/**
 * A GET with a short timeout, refused for addresses a tenant must not make us call
 * (metadata, link-local, and private ranges unless allowed — local runtime and tests only).
 * The host is resolved once and the GET goes to the addresses that were checked
 * ({@link pinnedRequest}, shared with the webhook target), so a name that answers a
 * public address to the check and 127.0.0.1 to the connection cannot rebind the probe
 * onto an internal address. Redirects are not followed (a 3xx is not healthy).
 */
export function createHttpHealthProbe(options: HttpHealthProbeOptions): HealthProbe {
  return {
    async check(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return { ok: false, detail: 'not a URL' };
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        return { ok: false, detail: `scheme ${parsed.protocol} not supported` };
      const signal = AbortSignal.timeout(options.timeoutMs ?? 3000);
      try {
        const checked = await resolveChecked(urlHostname(parsed), {
          ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
          allowPrivateNetworks: options.allowPrivateNetworks,
          signal,
        });
        if (checked.kind === 'refused') return { ok: false, detail: `refused: ${checked.reason}` };
        if (checked.kind === 'no-address') return { ok: false, detail: 'unreachable' };
        const response = await pinnedRequest({
          url: parsed,
          addresses: checked.addresses,
          method: 'GET',
          headers: { accept: '*/*', 'user-agent': 'sluice-health/1' },
          signal,
          maxBytes: MAX_BODY_BYTES,
          ...(options.connect === undefined ? {} : { connect: options.connect }),
        });
        const ok = response.status >= 200 && response.status < 300;
        return { ok, detail: `HTTP ${response.status}` };
      } catch (error) {
        return { ok: false, detail: signal.aborted || (error as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable' };
      }
    },
  };
}
