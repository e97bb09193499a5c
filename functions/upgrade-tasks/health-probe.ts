import { lookup } from 'node:dns/promises';
import { checkAddress } from '../targets/address-guard.js';

/** Checks that an instance's health URL answers. */
export interface HealthProbe {
  check(url: string): Promise<{ ok: boolean; detail: string }>;
}

/**
 * A GET with a short timeout, refused for addresses a tenant must not make us call
 * (metadata, link-local, and private ranges unless allowed — local runtime and tests only).
 */
export function createHttpHealthProbe(options: { allowPrivateNetworks: boolean; timeoutMs?: number }): HealthProbe {
  return {
    async check(url) {
      let host: string;
      try {
        host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      } catch {
        return { ok: false, detail: 'not a URL' };
      }
      try {
        for (const { address } of await lookup(host, { all: true })) {
          const verdict = checkAddress(address, { allowPrivateNetworks: options.allowPrivateNetworks });
          if (!verdict.allowed) return { ok: false, detail: `refused: ${verdict.reason}` };
        }
        const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 3000) });
        await response.body?.cancel();
        return response.ok ? { ok: true, detail: `HTTP ${response.status}` } : { ok: false, detail: `HTTP ${response.status}` };
      } catch (error) {
        return { ok: false, detail: (error as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable' };
      }
    },
  };
}
