/**
 * The SSRF guard of the webhook target. A webhook URL is written by a tenant, and the
 * call leaves from inside our network, so before connecting we resolve the host and
 * refuse any address that reaches something of ours instead of the tenant's receiver:
 * the cloud metadata service above all, then loopback, link-local, private and
 * carrier-grade NAT ranges, and addresses nobody can legitimately serve from.
 *
 * IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address
 * inside, so `::ffff:169.254.169.254` is the metadata service it is.
 */
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'public' | 'metadata' | 'unspecified' | 'loopback' | 'link-local' | 'private' | 'multicast' | 'reserved';

type Rule = readonly [network: string, prefix: number];

const RULES: Readonly<Record<Exclude<AddressClass, 'public'>, readonly Rule[]>> = {
  // Checked first: every one of these also sits in a range below.
  metadata: [
    ['169.254.169.254', 32], // AWS, GCP, Azure, OpenStack, …
    ['169.254.170.2', 32], // ECS task metadata and credentials
    ['100.100.100.200', 32], // Alibaba Cloud
    ['fd00:ec2::254', 128], // AWS IMDS over IPv6
  ],
  unspecified: [
    ['0.0.0.0', 8],
    ['::', 128],
  ],
  loopback: [
    ['127.0.0.0', 8],
    ['::1', 128],
  ],
  'link-local': [
    ['169.254.0.0', 16],
    ['fe80::', 10],
  ],
  private: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10], // carrier-grade NAT, also used inside VPCs
    ['198.18.0.0', 15], // benchmarking, seen on internal networks
    ['fc00::', 7], // unique local
    ['fec0::', 10], // deprecated site-local
    ['64:ff9b:1::', 48], // local-use NAT64
  ],
  multicast: [
    ['224.0.0.0', 4],
    ['ff00::', 8],
  ],
  reserved: [
    ['240.0.0.0', 4], // includes 255.255.255.255
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['100::', 64], // discard-only
    ['2001::', 32], // Teredo: the IPv4 inside is obfuscated, so refuse the lot
    ['2001:db8::', 32],
  ],
};

/** Checked in this order: the first matching class wins. */
const ORDER = ['metadata', 'unspecified', 'loopback', 'link-local', 'private', 'multicast', 'reserved'] as const;

/** Built on the first check, not at module init: BlockLists cost a cold start some milliseconds, and most requests check no address. */
let lists: readonly (readonly [AddressClass, BlockList])[] | undefined;
const LISTS = () => {
  lists ??= ORDER.map((name) => {
    const list = new BlockList();
    for (const [network, prefix] of RULES[name]) list.addSubnet(network, prefix, isIP(network) === 4 ? 'ipv4' : 'ipv6');
    return [name, list] as const;
  });
  return lists;
};

/** Classes a webhook may reach only when `allowPrivateNetworks` is set (tests, local runtime). */
const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set(['loopback', 'private']);

/** What kind of address this is; `undefined` when it is not an IP address at all. */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.replace(/%.*$/, ''); // a zone id (`fe80::1%eth0`) says nothing about the class
  const family = isIP(bare);
  if (family === 0) return undefined;
  if (family === 6) {
    const embedded = embeddedIPv4(bare);
    if (embedded !== undefined && embedded !== bare) return classifyAddress(embedded);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [name, list] of LISTS()) if (list.check(bare, type)) return name;
  return 'public';
}

export type AddressVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * Whether a webhook may connect to `address`. Metadata, link-local, unspecified,
 * multicast and reserved addresses are refused always; loopback and private ones
 * unless `allowPrivateNetworks` is set — which only tests and the local runtime do.
 */
export function checkAddress(address: string, options: { allowPrivateNetworks?: boolean } = {}): AddressVerdict {
  const kind = classifyAddress(address);
  if (kind === undefined) return { allowed: false, reason: `${address} is not an IP address` };
  if (kind === 'public') return { allowed: true };
  if (options.allowPrivateNetworks === true && PRIVATE_CLASSES.has(kind)) return { allowed: true };
  return { allowed: false, reason: `${address} is a ${kind} address` };
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(address: string): string | undefined {
  const groups = expandIPv6(address);
  if (groups === undefined) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const v4 = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0xffff) return v4(g6, g7); // ::ffff:a.b.c.d
  // ::a.b.c.d (deprecated "compatible"); :: and ::1 are themselves, not 0.0.0.0 / 0.0.0.1
  if (zeroPrefix && g5 === 0 && (g6 !== 0 || g7 > 1)) return v4(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4(g6, g7); // NAT64
  if (g0 === 0x2002) return v4(g1, g2); // 6to4
  return undefined;
}

/** Eight 16-bit groups of a valid IPv6 address (as `isIP` accepts it). */
function expandIPv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' && halves[1] !== undefined ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => '0'), ...tail].map((group) =>
    Number.parseInt(group, 16),
  );
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}
