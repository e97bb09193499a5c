import { describe, expect, it } from 'vitest';
import { checkAddress, classifyAddress } from '../../../functions/targets/address-guard.js';

// [address, class, allowed in production, allowed with allowPrivateNetworks]
const TABLE: ReadonlyArray<readonly [string, string | undefined, boolean, boolean]> = [
  // public
  ['93.184.216.34', 'public', true, true],
  ['8.8.8.8', 'public', true, true],
  ['172.32.0.1', 'public', true, true], // just past 172.16/12
  ['100.128.0.1', 'public', true, true], // just past 100.64/10
  ['2606:4700:4700::1111', 'public', true, true],
  ['::ffff:8.8.8.8', 'public', true, true],
  // metadata: refused even for tests and the local runtime
  ['169.254.169.254', 'metadata', false, false],
  ['169.254.170.2', 'metadata', false, false],
  ['fd00:ec2::254', 'metadata', false, false],
  ['::ffff:169.254.169.254', 'metadata', false, false],
  ['::ffff:a9fe:a9fe', 'metadata', false, false],
  ['64:ff9b::a9fe:a9fe', 'metadata', false, false], // NAT64
  ['2002:a9fe:a9fe::1', 'metadata', false, false], // 6to4
  ['100.100.100.200', 'metadata', false, false],
  // loopback
  ['127.0.0.1', 'loopback', false, true],
  ['127.255.255.254', 'loopback', false, true],
  ['::1', 'loopback', false, true],
  ['::ffff:127.0.0.1', 'loopback', false, true],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback', false, true],
  // link-local
  ['169.254.1.1', 'link-local', false, false],
  ['fe80::1', 'link-local', false, false],
  ['fe80::1%eth0', 'link-local', false, false],
  ['febf::1', 'link-local', false, false],
  // unspecified
  ['0.0.0.0', 'unspecified', false, false],
  ['0.1.2.3', 'unspecified', false, false],
  ['::', 'unspecified', false, false],
  // multicast
  ['224.0.0.1', 'multicast', false, false],
  ['239.255.255.250', 'multicast', false, false],
  ['ff02::1', 'multicast', false, false],
  // private
  ['10.0.0.1', 'private', false, true],
  ['10.255.255.255', 'private', false, true],
  ['172.16.0.1', 'private', false, true],
  ['172.31.255.255', 'private', false, true],
  ['192.168.1.1', 'private', false, true],
  ['100.64.0.1', 'private', false, true],
  ['100.127.255.255', 'private', false, true],
  ['fc00::1', 'private', false, true],
  ['fd12:3456::1', 'private', false, true],
  ['::ffff:10.1.2.3', 'private', false, true],
  // reserved
  ['255.255.255.255', 'reserved', false, false],
  ['240.0.0.1', 'reserved', false, false],
  ['192.0.2.1', 'reserved', false, false],
  ['2001:db8::1', 'reserved', false, false],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved', false, false], // Teredo
  // not an address at all
  ['example.com', undefined, false, false],
  ['', undefined, false, false],
  ['1.2.3', undefined, false, false],
];

describe('SSRF address guard', () => {
  it.each(TABLE)('classifies %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(TABLE)('%s (%s): allowed in production %s, with allowPrivateNetworks %s', (address, _kind, production, privateAllowed) => {
    expect(checkAddress(address).allowed).toBe(production);
    expect(checkAddress(address, { allowPrivateNetworks: true }).allowed).toBe(privateAllowed);
  });

  it('says why it refuses', () => {
    expect(checkAddress('169.254.169.254')).toEqual({ allowed: false, reason: '169.254.169.254 is a metadata address' });
  });
});
