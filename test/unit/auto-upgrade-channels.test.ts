/**
 * Which published versions an auto-upgrade profile's channel admits for a tenant
 * (functions/fleet/auto-upgrade.ts `admits`): by the channel, the version policy and the
 * versions the tenant's services of the component run.
 */
import { describe, expect, it } from 'vitest';
import type { CatalogVersion } from '../../functions/catalog/schemas.js';
import { admits } from '../../functions/fleet/auto-upgrade.js';

const v = (version: string, channel: 'stable' | 'rapid' = 'stable', extra: Partial<CatalogVersion> = {}): CatalogVersion => ({
  version,
  channel,
  security: false,
  ...extra,
});

const versions: CatalogVersion[] = [
  v('1.2.3'),
  v('1.2.4'),
  v('1.2.5', 'rapid'),
  v('1.2.6-rc.1', 'rapid'),
  v('1.2.6', 'stable', { security: true }),
  v('1.2.7', 'stable', { blockers: [{ code: 'KNOWN_BAD', reason: 'corrupts the index' }] }),
  v('1.2.8-rc.1', 'rapid', { security: true }),
  v('1.3.0'),
  v('1.3.1', 'stable', { security: true }),
  v('1.4.0'),
  v('1.4.1', 'rapid'),
  v('1.4.2', 'stable', { security: true }),
  v('1.5.0-beta.1', 'rapid'),
];

const check = (channel: Parameters<typeof admits>[0], version: string, memberVersions: string[]) =>
  admits(channel, version, { versions, memberVersions });

describe('patch', () => {
  it('admits a newer release of a member’s major.minor, on any release channel', () => {
    expect(check('patch', '1.2.4', ['1.2.3'])).toBe(true);
    expect(check('patch', '1.2.5', ['1.2.3'])).toBe(true);
    expect(check('patch', '1.2.6', ['1.2.4'])).toBe(true);
  });

  it('admits when any one member is in that series at an older patch', () => {
    expect(check('patch', '1.2.4', ['1.4.0', '1.3.0', '1.2.3'])).toBe(true);
  });

  it('admits nothing of another minor, a pre-release, a blocked version, or nothing newer', () => {
    expect(check('patch', '1.3.0', ['1.2.3'])).toBe(false);
    expect(check('patch', '1.2.6-rc.1', ['1.2.3'])).toBe(false);
    expect(check('patch', '1.2.7', ['1.2.3'])).toBe(false);
    expect(check('patch', '1.2.4', ['1.2.4'])).toBe(false);
    expect(check('patch', '1.2.4', ['1.2.5'])).toBe(false);
  });

  it('admits nothing to a tenant without a service on the component, or one on a version outside the catalog', () => {
    expect(check('patch', '1.2.4', [])).toBe(false);
    expect(check('patch', '1.2.4', ['1.2.0'])).toBe(false);
  });
});

describe('stable', () => {
  it('admits a stable release within the series or one minor up', () => {
    expect(check('stable', '1.2.4', ['1.2.3'])).toBe(true);
    expect(check('stable', '1.3.0', ['1.2.3'])).toBe(true);
    expect(check('stable', '1.4.0', ['1.3.1'])).toBe(true);
  });

  it('admits a minor only from the minor just below: not two minors up', () => {
    expect(check('stable', '1.4.0', ['1.2.3'])).toBe(false);
    expect(check('stable', '1.4.0', ['1.2.3', '1.3.0'])).toBe(true);
  });

  it('admits nothing released on rapid, pre-releases, or blocked versions', () => {
    expect(check('stable', '1.2.5', ['1.2.3'])).toBe(false);
    expect(check('stable', '1.4.1', ['1.4.0'])).toBe(false);
    expect(check('stable', '1.2.6-rc.1', ['1.2.3'])).toBe(false);
    expect(check('stable', '1.2.7', ['1.2.3'])).toBe(false);
  });

  it('crosses a major only from the newest minor of the old major', () => {
    const majors = [v('1.8.0'), v('1.9.0'), v('1.9.1'), v('2.0.0')];
    expect(admits('stable', '2.0.0', { versions: majors, memberVersions: ['1.9.0'] })).toBe(true);
    expect(admits('stable', '2.0.0', { versions: majors, memberVersions: ['1.8.0'] })).toBe(false);
  });
});

describe('rapid', () => {
  it('admits what stable admits and what is released on rapid, pre-releases included', () => {
    expect(check('rapid', '1.3.0', ['1.2.3'])).toBe(true);
    expect(check('rapid', '1.2.5', ['1.2.3'])).toBe(true);
    expect(check('rapid', '1.4.1', ['1.4.0'])).toBe(true);
    expect(check('rapid', '1.2.6-rc.1', ['1.2.5'])).toBe(true);
    expect(check('rapid', '1.5.0-beta.1', ['1.4.0'])).toBe(true);
  });

  it('keeps to one minor at a time and skips blocked versions', () => {
    expect(check('rapid', '1.5.0-beta.1', ['1.3.0'])).toBe(false);
    expect(check('rapid', '1.4.1', ['1.2.3'])).toBe(false);
    expect(check('rapid', '1.2.7', ['1.2.3'])).toBe(false);
  });
});

describe('security-only', () => {
  it('admits a release flagged security, within the series or one minor up', () => {
    expect(check('security-only', '1.2.6', ['1.2.3'])).toBe(true);
    expect(check('security-only', '1.3.1', ['1.2.3'])).toBe(true);
    expect(check('security-only', '1.4.2', ['1.3.1'])).toBe(true);
  });

  it('admits nothing unflagged, a flagged pre-release, or a security fix two minors up', () => {
    expect(check('security-only', '1.2.4', ['1.2.3'])).toBe(false);
    expect(check('security-only', '1.3.0', ['1.2.3'])).toBe(false);
    expect(check('security-only', '1.2.8-rc.1', ['1.2.3'])).toBe(false);
    expect(check('security-only', '1.4.2', ['1.2.3'])).toBe(false);
  });
});

it('admits nothing not in the catalog, or not a version', () => {
  for (const channel of ['patch', 'stable', 'rapid', 'security-only'] as const) {
    expect(check(channel, '1.2.9', ['1.2.3'])).toBe(false);
    expect(check(channel, 'v1.2.4', ['1.2.3'])).toBe(false);
  }
});
