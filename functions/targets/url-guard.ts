import { type AddressLookup, resolveChecked, urlHostname } from './guarded-request.js';

/**
 * Why a URL that Sluice will call on a tenant's behalf is refused, or `undefined` when it
 * is not: the webhook target's rules, checked once when the URL is given (each call is
 * checked again, so a name that later resolves elsewhere is still refused then). https
 * only (http too where private networks are allowed: the local runtime and tests);
 * metadata, link-local, unspecified, multicast and reserved addresses always refused,
 * loopback and private ones unless allowed. A name that does not resolve now is let
 * through: DNS may be late, and every call resolves and checks again.
 */
export function createUrlGuard(options: { allowPrivateNetworks: boolean; lookup?: AddressLookup }) {
  return async (text: string): Promise<string | undefined> => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'not a URL';
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowPrivateNetworks))
      return `the URL must use https, not ${url.protocol.replace(/:$/, '')}`;
    try {
      const checked = await resolveChecked(urlHostname(url), {
        allowPrivateNetworks: options.allowPrivateNetworks,
        ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
        signal: AbortSignal.timeout(3000),
      });
      return checked.kind === 'refused' ? `refused by the SSRF guard: ${checked.reason}` : undefined;
    } catch {
      return undefined;
    }
  };
}
