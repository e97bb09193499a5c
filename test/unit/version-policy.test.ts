import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { CatalogVersion } from '../../functions/catalog/schemas.js';
import {
  admitsVersion,
  checkRequirements,
  checkUpgradePath,
  compareVersions,
  isValidVersion,
  nextInChannel,
  PATH_IMPACT,
  versionSortKey,
} from '../../functions/catalog/version-policy.js';
import type { AutoUpgradeChannel } from '../../functions/domain/channels.js';
import { createRandom } from '../support/random.js';

function v(version: string, extra: Partial<CatalogVersion> = {}): CatalogVersion {
  return { version, channel: 'stable', security: false, ...extra };
}

const DATA_LOSS = { code: 'KNOWN_DATA_LOSS', reason: '1.4.2 can lose writes during failover.' };

// Deliberately not in order: the policy must not rely on the catalog's storage order.
const catalog: readonly CatalogVersion[] = [
  v('1.3.0', { impact: 'Reindexes search.', notes: 'Adds audit log.' }),
  v('1.2.9', { notes: 'Fixes a connection leak.' }),
  v('1.1.0'),
  v('1.2.3', { notes: 'Current release notes.' }),
  v('1.2.0'),
  v('1.3.0-rc.1', { channel: 'rapid', notes: 'Release candidate of 1.3.' }),
  v('1.3.1', { notes: 'Fixes audit log.' }),
  v('1.3.5'),
  v('1.3.7', { security: true, notes: 'Patches CVE-2024-0001.' }),
  v('1.3.8', { blockers: [{ code: 'BROKEN_BUILD', reason: 'Withdrawn.' }] }),
  v('1.4.0'),
  v('1.4.1-beta.1'), // a pre-release published on stable by mistake
  v('1.4.2', { blockers: [DATA_LOSS] }),
  v('1.4.3'),
  v('1.8.0'), // 1.5–1.7 were never published
  v('1.9.0'),
  v('1.9.2'),
  v('2.0.0', { impact: 'Drops the v1 API.' }),
  v('2.0.1'),
  v('2.1.0'),
  v('3.0.0'),
  v('not-a-version'), // malformed catalog entries are ignored, not fatal
];

function codes(from: string, to: string, rollbackOf?: { fromVersion: string; toVersion: string }): string[] {
  return checkUpgradePath({ from, to, versions: catalog, ...(rollbackOf ? { rollbackOf } : {}) }).blockers.map((b) => b.code);
}

describe('isValidVersion', () => {
  it.each(['1.2.3', '0.0.0', '10.20.30', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0+build.5', '1.0.0-rc.1+sha.5114f85'])(
    'accepts the strict semver %j',
    (version) => {
      expect(isValidVersion(version)).toBe(true);
    },
  );

  it.each([
    ['1.2', 'a missing patch'],
    ['v1.2.3', 'a leading v'],
    ['V1.2.3', 'a leading V'],
    ['=1.2.3', 'a leading ='],
    ['01.2.3', 'a leading zero in the major'],
    ['1.02.3', 'a leading zero in the minor'],
    ['1.0.0-01', 'a leading zero in a numeric pre-release identifier'],
    ['1.2.3.4', 'a fourth number'],
    ['', 'an empty string'],
    [' 1.2.3', 'leading whitespace'],
    ['1.2.3 ', 'trailing whitespace'],
    ['latest', 'a tag name'],
    ['1.2.x', 'a range'],
  ])('rejects %j (%s)', (version) => {
    expect(isValidVersion(version)).toBe(false);
  });
});

describe('checkUpgradePath — path rules', () => {
  it.each([
    ['allows a patch upgrade within the minor', '1.2.3', '1.2.9', []],
    ['allows an upgrade to the next minor', '1.2.3', '1.3.0', []],
    ['allows skipping patches of the next minor', '1.2.3', '1.3.7', []],
    ['blocks skipping a minor', '1.2.3', '1.4.0', ['MINOR_SKIP']],
    ['blocks skipping a minor from an older patch', '1.1.0', '1.3.0', ['MINOR_SKIP']],
    ['treats an unpublished minor number as no step', '1.4.3', '1.8.0', []],
    ['allows a patch downgrade within the minor', '1.3.5', '1.3.1', []],
    ['blocks a downgrade to the previous minor', '1.3.0', '1.2.9', ['MINOR_DOWNGRADE']],
    ['blocks a downgrade across a major', '2.0.0', '1.9.2', ['MINOR_DOWNGRADE']],
    ['allows crossing a major from the newest minor to x.0', '1.9.2', '2.0.0', []],
    ['allows crossing a major into a later patch of x.0', '1.9.0', '2.0.1', []],
    ['blocks crossing a major from an older minor', '1.8.0', '2.0.0', ['MAJOR_SKIP']],
    ['blocks crossing a major past x.0', '1.9.2', '2.1.0', ['MAJOR_SKIP']],
    ['blocks skipping a whole major', '1.9.2', '3.0.0', ['MAJOR_SKIP']],
    ['allows the next major from the newest minor of the previous', '2.1.0', '3.0.0', []],
    ['rejects moving to the version already running', '1.2.3', '1.2.3', ['SAME_VERSION']],
  ] as const)('%s (%s → %s)', (_name, from, to, expected) => {
    expect(codes(from, to)).toEqual(expected);
  });

  it('names the newest unblocked release of the next minor in a MINOR_SKIP reason', () => {
    const [blocker] = checkUpgradePath({ from: '1.2.3', to: '1.4.0', versions: catalog }).blockers;
    expect(blocker?.reason).toContain('1.3.7');
    expect(blocker?.reason).toContain('1.3');
  });

  it('names the newest release of the old major in a MAJOR_SKIP reason from an older minor', () => {
    const [blocker] = checkUpgradePath({ from: '1.8.0', to: '2.0.0', versions: catalog }).blockers;
    expect(blocker?.reason).toContain('1.9.2');
  });

  it('names x.0 of the next major in a MAJOR_SKIP reason from the newest minor', () => {
    const [blocker] = checkUpgradePath({ from: '1.9.2', to: '2.1.0', versions: catalog }).blockers;
    expect(blocker?.reason).toContain('2.0.1');
  });

  it('sets allowed exactly when there are no blockers', () => {
    expect(checkUpgradePath({ from: '1.2.3', to: '1.3.0', versions: catalog })).toMatchObject({ allowed: true, blockers: [] });
    expect(checkUpgradePath({ from: '1.2.3', to: '1.4.0', versions: catalog }).allowed).toBe(false);
  });
});

describe('checkUpgradePath — malformed and unknown versions', () => {
  it.each([
    ['1.2', '1.3.0', ['INVALID_VERSION']],
    ['v1.2.3', '1.3.0', ['INVALID_VERSION']],
    ['01.2.3', '1.3.0', ['INVALID_VERSION']],
    ['1.2.3.4', '1.3.0', ['INVALID_VERSION']],
    ['', '1.3.0', ['INVALID_VERSION']],
    ['1.2.3', '1.3', ['INVALID_VERSION']],
    ['1.2.3', 'v1.3.0', ['INVALID_VERSION']],
    ['1.2', '', ['INVALID_VERSION', 'INVALID_VERSION']],
  ] as const)('reports INVALID_VERSION for %j → %j and checks nothing else', (from, to, expected) => {
    const result = checkUpgradePath({ from, to, versions: catalog });
    expect(result.blockers.map((b) => b.code)).toEqual(expected);
    expect(result.impact).toEqual([]);
  });

  it.each([
    ['a target missing from the catalog', '1.2.3', '1.3.2', ['UNKNOWN_VERSION']],
    ['a current version missing from the catalog', '1.2.4', '1.3.0', ['UNKNOWN_VERSION']],
    ['both versions missing from the catalog', '1.2.4', '1.3.2', ['UNKNOWN_VERSION', 'UNKNOWN_VERSION']],
    ['a version that differs from a catalog entry only by build metadata', '1.2.3', '1.3.0+local', ['UNKNOWN_VERSION']],
  ] as const)('reports UNKNOWN_VERSION for %s', (_name, from, to, expected) => {
    const result = checkUpgradePath({ from, to, versions: catalog });
    expect(result.blockers.map((b) => b.code)).toEqual(expected);
    expect(result.impact).toEqual([]);
  });

  it('names which side is unknown in the reason', () => {
    const [blocker] = checkUpgradePath({ from: '1.2.4', to: '1.3.0', versions: catalog }).blockers;
    expect(blocker?.reason).toMatch(/current version 1\.2\.4/);
  });

  it('ignores malformed catalog entries instead of failing', () => {
    expect(codes('1.2.3', 'not-a-version')).toEqual(['INVALID_VERSION']);
  });
});

describe('checkUpgradePath — pre-releases', () => {
  it.each([
    ['allows a pre-release on a non-stable channel as the next minor', '1.2.9', '1.3.0-rc.1', []],
    ['treats a pre-release to its release as an upgrade', '1.3.0-rc.1', '1.3.0', []],
    ['treats a pre-release as part of its release minor', '1.3.0-rc.1', '1.3.7', []],
    ['allows a patch downgrade from a release to its pre-release', '1.3.0', '1.3.0-rc.1', []],
    ['blocks a pre-release published on the stable channel', '1.4.0', '1.4.1-beta.1', ['PRERELEASE_ON_STABLE']],
    ['blocks skipping a minor to a pre-release', '1.1.0', '1.3.0-rc.1', ['MINOR_SKIP']],
  ] as const)('%s (%s → %s)', (_name, from, to, expected) => {
    expect(codes(from, to)).toEqual(expected);
  });
});

describe('checkUpgradePath — version blockers', () => {
  it('blocks a path that lands on a version with blockers, with that blocker', () => {
    const result = checkUpgradePath({ from: '1.4.0', to: '1.4.2', versions: catalog });
    expect(result.allowed).toBe(false);
    expect(result.blockers).toEqual([DATA_LOSS]);
  });

  it.each([
    ['a patch path', '1.4.0', '1.4.3'],
    ['a minor path', '1.4.0', '1.8.0'],
    ['a path into the next minor past a blocked patch', '1.2.3', '1.3.7'],
  ])('does not apply blockers of versions that %s passes over (%s → %s)', (_name, from, to) => {
    expect(codes(from, to)).toEqual([]);
  });

  it('reports version blockers together with path blockers', () => {
    expect(codes('1.2.3', '1.4.2')).toEqual(['MINOR_SKIP', 'KNOWN_DATA_LOSS']);
  });

  it('applies blockers to a patch downgrade that lands on the blocked version', () => {
    expect(codes('1.4.3', '1.4.2')).toEqual(['KNOWN_DATA_LOSS']);
  });
});

describe('checkUpgradePath — rollback exception', () => {
  it.each([
    [
      'allows a minor downgrade that rolls back the execution that made it',
      '1.3.0',
      '1.2.9',
      { fromVersion: '1.2.9', toVersion: '1.3.0' },
      [],
    ],
    [
      'allows a major downgrade that rolls back the execution that made it',
      '2.0.0',
      '1.9.2',
      { fromVersion: '1.9.2', toVersion: '2.0.0' },
      [],
    ],
    [
      'blocks a minor downgrade when the execution started from another version',
      '1.3.0',
      '1.2.9',
      { fromVersion: '1.2.3', toVersion: '1.3.0' },
      ['MINOR_DOWNGRADE'],
    ],
    [
      'blocks a minor downgrade when the execution went the other way',
      '1.3.0',
      '1.2.9',
      { fromVersion: '1.3.0', toVersion: '1.2.9' },
      ['MINOR_DOWNGRADE'],
    ],
    ['lets a rollback return to a version blocked since', '1.8.0', '1.4.2', { fromVersion: '1.4.2', toVersion: '1.8.0' }, []],
    ['lets a patch rollback return to a version blocked since', '1.4.3', '1.4.2', { fromVersion: '1.4.2', toVersion: '1.4.3' }, []],
    ['ignores rollbackOf for an upgrade', '1.2.3', '1.4.0', { fromVersion: '1.4.0', toVersion: '1.2.3' }, ['MINOR_SKIP']],
  ] as const)('%s', (_name, from, to, rollbackOf, expected) => {
    expect(codes(from, to, rollbackOf)).toEqual(expected);
  });

  it('blocks a downgrade onto a blocked version with both blockers without rollbackOf', () => {
    expect(codes('1.8.0', '1.4.2')).toEqual(['MINOR_DOWNGRADE', 'KNOWN_DATA_LOSS']);
  });

  it('explains a rollbackOf that does not match in the reason', () => {
    const [blocker] = checkUpgradePath({
      from: '1.3.0',
      to: '1.2.9',
      versions: catalog,
      rollbackOf: { fromVersion: '1.2.3', toVersion: '1.3.0' },
    }).blockers;
    expect(blocker?.reason).toContain('1.2.3 → 1.3.0');
  });
});

describe('checkUpgradePath — impact notes', () => {
  it('describes a patch upgrade as an instance recycle without downtime', () => {
    const { impact } = checkUpgradePath({ from: '1.3.1', to: '1.3.5', versions: catalog });
    expect(impact).toEqual([PATH_IMPACT.patch]);
    expect(impact[0]).toMatch(/recycle/);
    expect(impact[0]).not.toMatch(/downtime/);
  });

  it.each([
    ['a minor', '1.3.7', '1.4.0', PATH_IMPACT.minor],
    ['a major', '1.9.2', '2.0.1', PATH_IMPACT.major],
  ])('describes %s upgrade as a recycle with brief control-plane downtime', (_kind, from, to, note) => {
    const { impact } = checkUpgradePath({ from, to, versions: catalog });
    expect(impact[0]).toBe(note);
    expect(impact[0]).toMatch(/recycle/);
    expect(impact[0]).toMatch(/control plane has a brief downtime/);
  });

  it("adds each passed version's impact and notes, oldest first, after the path note", () => {
    expect(checkUpgradePath({ from: '1.2.3', to: '1.3.1', versions: catalog }).impact).toEqual([
      PATH_IMPACT.minor,
      '1.2.9: Fixes a connection leak.',
      '1.3.0: Reindexes search.',
      '1.3.0: Adds audit log.',
      '1.3.1: Fixes audit log.',
    ]);
  });

  it('includes the notes of a pre-release target but not of pre-releases passed over', () => {
    expect(checkUpgradePath({ from: '1.2.9', to: '1.3.0-rc.1', versions: catalog }).impact).toEqual([
      PATH_IMPACT.minor,
      '1.3.0-rc.1: Release candidate of 1.3.',
    ]);
    expect(checkUpgradePath({ from: '1.2.9', to: '1.3.0', versions: catalog }).impact).not.toContain(
      '1.3.0-rc.1: Release candidate of 1.3.',
    );
  });

  it("includes the target version's impact across a major", () => {
    expect(checkUpgradePath({ from: '1.9.2', to: '2.0.0', versions: catalog }).impact).toEqual([
      PATH_IMPACT.major,
      '2.0.0: Drops the v1 API.',
    ]);
  });

  it.each([
    ['a patch downgrade', '1.3.5', '1.3.1', undefined, [PATH_IMPACT.patchRollback]],
    ['a minor rollback', '1.3.0', '1.2.9', { fromVersion: '1.2.9', toVersion: '1.3.0' }, [PATH_IMPACT.minorRollback]],
  ] as const)('gives %s a rollback impact note only', (_name, from, to, rollbackOf, expected) => {
    const { impact } = checkUpgradePath({ from, to, versions: catalog, ...(rollbackOf ? { rollbackOf } : {}) });
    expect(impact).toEqual(expected);
    expect(impact[0]).toMatch(/rollback.*recycled/i);
  });

  it('still lists the impact of a blocked path so callers can show both', () => {
    const result = checkUpgradePath({ from: '1.2.3', to: '1.4.0', versions: catalog });
    expect(result.allowed).toBe(false);
    expect(result.impact[0]).toBe(PATH_IMPACT.minor);
  });

  it('gives no impact when the service already runs the version', () => {
    expect(checkUpgradePath({ from: '1.2.3', to: '1.2.3', versions: catalog }).impact).toEqual([]);
  });
});

describe('checkRequirements', () => {
  it.each([
    ['nothing is required', undefined, { postgresql: '14' }, []],
    ['an empty requirement map', {}, {}, []],
    ['an installed version given as a bare major', { postgresql: '>=15' }, { postgresql: '15' }, []],
    ['an installed version given as major.minor', { postgresql: '>=15' }, { postgresql: '16.1' }, []],
    ['an installed version with a leading v', { postgresql: '>=15' }, { postgresql: 'v15.2' }, []],
    ['a caret range', { redis: '^3.6' }, { redis: '3.6.2' }, []],
    ['an installed version below the range', { postgresql: '>=15' }, { postgresql: '14' }, ['DEPENDENCY_UNSATISFIED']],
    ['an installed version above a caret range', { redis: '^3.6' }, { redis: '4.0.0' }, ['DEPENDENCY_UNSATISFIED']],
    ['an installed pre-release outside a release range', { redis: '^3.6' }, { redis: '3.7.0-rc.1' }, ['DEPENDENCY_UNSATISFIED']],
    ['a component that is not installed', { postgresql: '>=15' }, { redis: '7' }, ['DEPENDENCY_MISSING']],
    ['a name only present on Object.prototype', { constructor: '>=1' }, {}, ['DEPENDENCY_MISSING']],
    ['an unreadable range', { postgresql: 'fifteen' }, { postgresql: '15' }, ['DEPENDENCY_INVALID']],
    ['a blank range', { postgresql: ' ' }, { postgresql: '15' }, ['DEPENDENCY_INVALID']],
    ['an unreadable installed version', { postgresql: '>=15' }, { postgresql: 'latest' }, ['DEPENDENCY_INVALID']],
    [
      'several requirements, in their order',
      { postgresql: '>=15', redis: '^3.6', kafka: '>=3' },
      { postgresql: '14.9', kafka: '3.7' },
      ['DEPENDENCY_UNSATISFIED', 'DEPENDENCY_MISSING'],
    ],
  ] as const)('answers %s', (_name, requires, installed, expected) => {
    expect(checkRequirements(requires, installed).map((b) => b.code)).toEqual(expected);
  });

  it('names the dependency, the installed version and the range in the reason', () => {
    const [blocker] = checkRequirements({ postgresql: '>=15' }, { postgresql: '14' });
    expect(blocker?.reason).toBe('postgresql 14 does not satisfy >=15.');
  });
});

describe('nextInChannel and admitsVersion', () => {
  const channelCatalog: readonly CatalogVersion[] = [
    v('1.2.0'),
    v('1.2.3'),
    v('1.2.4', { security: true }),
    v('1.2.5', { channel: 'rapid' }),
    v('1.2.6-rc.1', { channel: 'rapid' }),
    v('1.3.0'),
    v('1.3.2'),
    v('1.3.3', { channel: 'rapid' }),
    v('1.3.4-rc.1', { channel: 'rapid' }),
    v('1.4.0', { security: true }),
  ];

  it.each([
    ['patch', 'the newest release of the current minor, whatever its channel', '1.2.5'],
    ['stable', 'the newest stable release of the next minor', '1.3.2'],
    ['rapid', 'the newest rapid or stable version of the next minor, pre-releases included', '1.3.4-rc.1'],
    ['security-only', 'the newest security release reachable in one step', '1.2.4'],
    ['none', 'nothing', undefined],
  ] as const)('moves a %s-channel service from 1.2.3 to %s', (channel, _what, expected) => {
    expect(nextInChannel('1.2.3', channel, channelCatalog)?.version).toBe(expected);
  });

  it('returns the catalog entry itself', () => {
    expect(nextInChannel('1.2.3', 'stable', channelCatalog)).toBe(channelCatalog[6]);
  });

  it.each(['patch', 'stable', 'rapid', 'security-only'] as const)(
    'returns undefined on the %s channel when nothing is newer',
    (channel) => {
      expect(nextInChannel('1.4.0', channel, channelCatalog)).toBeUndefined();
    },
  );

  it('walks one minor per call on the stable channel', () => {
    const first = nextInChannel('1.2.0', 'stable', channelCatalog);
    const second = first && nextInChannel(first.version, 'stable', channelCatalog);
    expect([first?.version, second?.version]).toEqual(['1.3.2', '1.4.0']);
  });

  it('skips a version with blockers and takes the newest unblocked one', () => {
    const withBlocked = channelCatalog.map((c) =>
      c.version === '1.3.2' ? { ...c, blockers: [{ code: 'BROKEN', reason: 'Withdrawn.' }] } : c,
    );
    expect(nextInChannel('1.2.3', 'stable', withBlocked)?.version).toBe('1.3.0');
  });

  it('stays in the current minor when the next minor has no version of the channel', () => {
    const noStableNextMinor = channelCatalog.filter((c) => !['1.3.0', '1.3.2'].includes(c.version));
    expect(nextInChannel('1.2.3', 'stable', noStableNextMinor)?.version).toBe('1.2.4');
  });

  it.each(['1.2', 'v1.2.3', '1.2.9'])('returns undefined for the invalid or unknown current version %j', (current) => {
    expect(nextInChannel(current, 'stable', channelCatalog)).toBeUndefined();
  });

  it.each([
    ['patch', '1.2.3', '1.2.4', true],
    ['patch', '1.2.3', '1.2.5', true],
    ['patch', '1.2.3', '1.2.6-rc.1', false],
    ['patch', '1.2.3', '1.3.0', false],
    ['stable', '1.2.3', '1.2.4', true],
    ['stable', '1.2.3', '1.3.0', true],
    ['stable', '1.2.3', '1.2.5', false],
    ['stable', '1.2.3', '1.4.0', false],
    ['stable', '1.2.3', '1.2.0', false],
    ['stable', '1.2.3', '1.2.3', false],
    ['rapid', '1.2.3', '1.2.5', true],
    ['rapid', '1.2.3', '1.2.6-rc.1', true],
    ['rapid', '1.2.3', '1.3.3', true],
    ['rapid', '1.2.3', '1.9.9', false],
    ['security-only', '1.2.3', '1.2.4', true],
    ['security-only', '1.2.3', '1.2.5', false],
    ['security-only', '1.3.2', '1.4.0', true],
    ['security-only', '1.2.3', '1.4.0', false],
    ['none', '1.2.3', '1.2.4', false],
  ] as const satisfies ReadonlyArray<readonly [AutoUpgradeChannel, string, string, boolean]>)(
    'on the %s channel from %s, admits %s: %s',
    (channel, current, candidate, expected) => {
      expect(admitsVersion(channel, current, candidate, channelCatalog)).toBe(expected);
    },
  );
});

describe('compareVersions', () => {
  it.each([
    ['1.2.3', '1.2.4', -1],
    ['1.10.0', '1.9.0', 1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-1', '1.0.0-alpha', -1],
    ['2.0.0', '2.0.0', 0],
    ['1.0.0', '1.0.0+build', -1],
  ])('compares %s with %s as %i', (a, b, expected) => {
    expect(Math.sign(compareVersions(a, b))).toBe(expected);
    expect(Math.sign(compareVersions(b, a))).toBe(-expected || 0);
  });

  it.each(['1.2', 'v1.2.3', ''])('throws a TypeError for the invalid version %j', (bad) => {
    expect(() => compareVersions(bad, '1.0.0')).toThrow(TypeError);
  });
});

describe('versionSortKey', () => {
  const byKey = (a: string, b: string): number => {
    const [ka, kb] = [versionSortKey(a), versionSortKey(b)];
    // DynamoDB orders string sort keys by their UTF-8 bytes.
    return Buffer.compare(Buffer.from(ka, 'utf8'), Buffer.from(kb, 'utf8'));
  };

  const inSemverOrder = [
    '0.0.1',
    '0.1.0',
    '0.9.9',
    '0.10.0',
    '1.0.0-0',
    '1.0.0-1',
    '1.0.0-2',
    '1.0.0-10',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0-rc.1+build.1',
    '1.0.0',
    '1.0.0+build.2',
    '1.0.0+build.10',
    '1.0.1',
    '1.0.10',
    '1.1.0-rc.1',
    '1.1.0',
    '1.2.0',
    '1.10.0',
    '2.0.0-a',
    '2.0.0-a.b-c', // the '.' boundary must sort below '-' inside an identifier
    '2.0.0-a-b',
    '2.0.0',
    '10.0.0',
    '9007199254740991.0.0',
  ];

  /** Seeded Fisher–Yates, so a failure reproduces. */
  const shuffled = <T>(items: readonly T[], seed: number): T[] => createRandom(seed).shuffle(items);

  it('lists the fixture in semver order (guards the fixture itself)', () => {
    expect([...inSemverOrder].sort((a, b) => semver.compareBuild(a, b))).toEqual(inSemverOrder);
  });

  it.each([1, 7, 42])('sorts a shuffled list like semver when ordering by key (seed %i)', (seed) => {
    const input = shuffled(inSemverOrder, seed);
    expect(input).not.toEqual(inSemverOrder);
    expect([...input].sort(byKey)).toEqual(inSemverOrder);
    expect([...input].sort(compareVersions)).toEqual(inSemverOrder);
  });

  it('orders every pair of the fixture exactly like semver.compareBuild', () => {
    for (const a of inSemverOrder) {
      for (const b of inSemverOrder) {
        expect([a, b, Math.sign(byKey(a, b))]).toEqual([a, b, Math.sign(semver.compareBuild(a, b))]);
      }
    }
  });

  it('orders generated versions exactly like semver.compareBuild', () => {
    const { pick } = createRandom(2024);
    const ids = ['0', '1', '2', '9', '10', '11', '100', 'a', 'a-', 'a-b', 'alpha', 'b', 'B', 'rc', '-', '1a', '--'];
    const list = (): string => Array.from({ length: pick([1, 1, 2, 3]) }, () => pick(ids)).join('.');
    const generated = Array.from({ length: 150 }, () => {
      // Few distinct cores, so that most pairs are decided by their identifiers.
      const core = [pick([1, 10]), pick([0, 9]), 0].join('.');
      const pre = pick([false, true, true]) ? `-${list()}` : '';
      const build = pick([false, false, true]) ? `+${list()}` : '';
      return `${core}${pre}${build}`;
    }).filter(isValidVersion);
    expect(generated.length).toBeGreaterThan(100);
    for (const a of generated) {
      for (const b of generated) {
        if (Math.sign(byKey(a, b)) !== Math.sign(semver.compareBuild(a, b))) {
          expect.fail(`${a} vs ${b}: key order ${byKey(a, b)}, semver ${semver.compareBuild(a, b)}`);
        }
      }
    }
  });

  it('puts every pre-release before its release and after the previous release', () => {
    expect(versionSortKey('1.0.0') < versionSortKey('1.0.1-alpha')).toBe(true);
    expect(versionSortKey('1.0.1-alpha') < versionSortKey('1.0.1-zzz.999')).toBe(true);
    expect(versionSortKey('1.0.1-zzz.999') < versionSortKey('1.0.1')).toBe(true);
  });

  it('pads numeric pre-release identifiers so 11 sorts after 2', () => {
    expect(versionSortKey('1.0.0-beta.2') < versionSortKey('1.0.0-beta.11')).toBe(true);
  });

  it('gives distinct versions distinct keys', () => {
    expect(new Set(inSemverOrder.map(versionSortKey)).size).toBe(inSemverOrder.length);
  });

  it('uses a fixed-width, ASCII-only core so keys stay readable in the table', () => {
    expect(versionSortKey('16.1.0')).toBe('0000000000000016.0000000000000001.0000000000000000~');
    expect(versionSortKey('1.0.0-beta.11')).toMatch(/^[\x20-\x7e]+$/);
  });

  it('throws a TypeError for an invalid version', () => {
    expect(() => versionSortKey('v1.0.0')).toThrow(TypeError);
  });
});
