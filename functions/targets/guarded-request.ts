/**
 * One HTTP(S) request to a tenant-written URL, made safe against SSRF and DNS
 * rebinding: the host is resolved once, every address is checked by the SSRF guard
 * ({@link checkAddress}), and the connection then goes to those very addresses — Node's
 * own lookup is replaced by one that answers the checked addresses, so no second DNS
 * query can swap in an internal address. The URL's host stays the Host header, the TLS
 * SNI and the name the certificate must match. No pooled socket (`agent: false`) and no
 * redirect is followed. Used by the webhook target and the health probe.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkAddress } from './address-guard.js';

/** Resolves a host name to every address it has (like `dns.lookup` with `all: true`). */
export type AddressLookup = (hostname: string) => Promise<readonly LookupAddress[]>;

export const defaultLookup: AddressLookup = (hostname) => dnsLookup(hostname, { all: true });

/** What `http.request` hands `createConnection`: `host`, `port`, `servername` and the pinned `lookup`. */
export type ConnectOptions = {
  readonly host?: string | null;
  readonly port?: number | string | null;
  readonly lookup?: (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => void;
  readonly [option: string]: unknown;
};

/** Opens the socket of a request; tests inject one, production lets Node connect. */
export type Connect = (options: ConnectOptions) => Duplex;

/** The host of `url` without IPv6 brackets. */
export function urlHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export type CheckedAddresses =
  | { readonly kind: 'allowed'; readonly addresses: readonly LookupAddress[] }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'no-address' };

/**
 * Resolves `hostname` once (an IP literal is not looked up) and checks every address:
 * one refused address refuses the host, so a name cannot mix a public and an internal one.
 */
export async function resolveChecked(
  hostname: string,
  options: { lookup?: AddressLookup; allowPrivateNetworks: boolean; signal?: AbortSignal },
): Promise<CheckedAddresses> {
  const family = isIP(hostname);
  const lookup = options.lookup ?? defaultLookup;
  const addresses: readonly LookupAddress[] =
    family === 0
      ? options.signal === undefined
        ? await lookup(hostname)
        : await abortable(lookup(hostname), options.signal)
      : [{ address: hostname, family }];
  if (addresses.length === 0) return { kind: 'no-address' };
  for (const { address } of addresses) {
    const verdict = checkAddress(address, { allowPrivateNetworks: options.allowPrivateNetworks });
    if (!verdict.allowed) return { kind: 'refused', reason: verdict.reason };
  }
  return { kind: 'allowed', addresses };
}

export interface PinnedRequest {
  readonly url: URL;
  /** The checked addresses of `url`'s host ({@link resolveChecked}); the only ones connected to. */
  readonly addresses: readonly LookupAddress[];
  readonly method: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** Most bytes of the answer read; the rest is dropped unread. */
  readonly maxBytes: number;
  /** PEM certificates trusted instead of the default roots (tests, local receivers). */
  readonly ca?: string | readonly string[];
  readonly connect?: Connect;
}

export interface PinnedResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** One request to the checked `addresses`, reading at most `maxBytes` of the answer; rejects on a network error. */
export function pinnedRequest(call: PinnedRequest): Promise<PinnedResponse> {
  const { url, addresses, maxBytes, ca } = call;
  const hostname = urlHostname(url);
  return new Promise<PinnedResponse>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: { response: PinnedResponse } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      if ('response' in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };
    // The pin: Node asks this instead of DNS, and gets the addresses already checked.
    const pinnedLookup: NonNullable<ConnectOptions['lookup']> = (_host, options, callback) => {
      const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : [...addresses];
      const first = wanted[0];
      if (first === undefined)
        callback(Object.assign(new Error(`no IPv${String(options.family)} address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      else if (options.all === true) callback(null, wanted);
      else callback(null, first.address, first.family);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      {
        protocol: url.protocol,
        hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: call.method,
        headers: call.headers ?? {},
        // No pooled socket from an earlier resolution; an injected connect replaces the agent.
        ...(call.connect === undefined ? { agent: false } : { createConnection: call.connect as never }),
        lookup: pinnedLookup,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
        ...(ca === undefined ? {} : { ca: typeof ca === 'string' ? ca : [...ca] }),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (): { response: PinnedResponse } => ({
          response: { status: res.statusCode ?? 0, headers: res.headers, text: new TextDecoder().decode(Buffer.concat(chunks, size)) },
        });
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = maxBytes - size;
          if (chunk.length < room) {
            chunks.push(chunk);
            size += chunk.length;
            return;
          }
          // Enough: keep what fits and hang up rather than read a hostile server's flood.
          chunks.push(chunk.subarray(0, room));
          size += room;
          settle(done());
          res.destroy();
        });
        res.on('end', () => settle(done()));
        res.on('error', (error) => settle({ error }));
        res.on('close', () => {
          if (!res.complete)
            settle({ error: Object.assign(new Error('connection closed before the response was complete'), { code: 'ECONNRESET' }) });
        });
      },
    );
    req.on('error', (error) => settle({ error }));
    req.end(call.body);
  });
}

/** Waits for `promise` unless `signal` aborts first (a DNS lookup cannot be cancelled). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
