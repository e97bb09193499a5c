import { describe, expect, it } from 'vitest';
import type { CatalogRepository } from '../../functions/catalog/catalog-repository.js';
import type { Version } from '../../functions/catalog/schemas.js';
import { NotFoundError, ValidationError } from '../../functions/common/errors.js';
import { type ComplianceService, complianceOf, defaultComplianceVersion, makeCompliance } from '../../functions/fleet/compliance.js';
import type { ServiceRecord } from '../../functions/services/service.js';
import type { ServiceRepository } from '../../functions/services/service-repository.js';

/** A service of project `p` whose instances run `versions` (undefined: the service's version). */
function service(name: string, version: string, versions: readonly (string | undefined)[] = [], extra: Partial<ComplianceService> = {}) {
  return {
    project: 'p',
    name,
    version,
    powered: true,
    instances: versions.map((running, index) => ({ id: `i-${index}`, ...(running === undefined ? {} : { version: running }) })),
    ...extra,
  } satisfies ComplianceService;
}

const at = (version: string, services: readonly ComplianceService[]) => complianceOf({ componentId: 'cmp_x', version, services });

describe('complianceOf', () => {
  it('counts services by their lowest version and instances one by one', () => {
    const report = at('1.2.3', [
      service('ahead', '1.3.0', ['1.3.0', '1.3.0']),
      service('exact', '1.2.3', ['1.2.3']),
      // Mixed, lowest 1.2.0: the service lags though 3 of its 5 instances comply.
      service('mixed', '1.2.0', ['1.2.3', '1.3.0', '1.2.0', '1.2.3', '1.2.0']),
      service('behind', '1.0.0', [undefined, undefined]),
    ]);
    expect(report).toEqual({
      componentId: 'cmp_x',
      version: '1.2.3',
      services: { total: 4, compliant: 2, percent: 50 },
      instances: { total: 10, compliant: 6, percent: 60 },
      byVersion: { '1.0.0': 1, '1.2.0': 1, '1.2.3': 1, '1.3.0': 1 },
      laggards: [
        { project: 'p', service: 'behind', version: '1.0.0', reason: 'runs 1.0.0, older than 1.2.3' },
        { project: 'p', service: 'mixed', version: '1.2.0', reason: '3 of 5 instances run 1.2.3 or newer (mixed)' },
      ],
    });
  });

  it('reads an instance without a recorded version as running the service’s version', () => {
    const report = at('1.1.0', [service('s', '1.1.0', [undefined, '1.2.0', undefined])]);
    expect(report.instances).toEqual({ total: 3, compliant: 3, percent: 100 });
    expect(at('1.2.0', [service('s', '1.1.0', [undefined, '1.2.0', undefined])]).instances).toEqual({
      total: 3,
      compliant: 1,
      percent: 33.33,
    });
  });

  it('answers 100 percent when there is nothing to count: nothing lags', () => {
    expect(at('1.0.0', [])).toEqual({
      componentId: 'cmp_x',
      version: '1.0.0',
      services: { total: 0, compliant: 0, percent: 100 },
      instances: { total: 0, compliant: 0, percent: 100 },
      byVersion: {},
      laggards: [],
    });
    // A service without instances counts among the services, not the instances.
    const bare = at('1.0.0', [service('bare', '0.9.0')]);
    expect(bare.services).toEqual({ total: 1, compliant: 0, percent: 0 });
    expect(bare.instances).toEqual({ total: 0, compliant: 0, percent: 100 });
    expect(bare.laggards[0]?.reason).toBe('runs 0.9.0, older than 1.0.0');
  });

  it('rounds to 2 decimals, but never to 100 with a laggard or to 0 with a compliant one', () => {
    const thirds = at('2.0.0', [service('a', '2.0.0'), service('b', '1.0.0'), service('c', '1.0.0')]);
    expect(thirds.services.percent).toBe(33.33);
    const twoThirds = at('2.0.0', [service('a', '2.0.0'), service('b', '2.0.0'), service('c', '1.0.0')]);
    expect(twoThirds.services.percent).toBe(66.67);
    const many = (compliant: number, total: number) =>
      at('2.0.0', [
        service(
          's',
          '1.0.0',
          Array.from({ length: total }, (_, index) => (index < compliant ? '2.0.0' : '1.0.0')),
        ),
      ]).instances;
    expect(many(99_999, 100_000)).toEqual({ total: 100_000, compliant: 99_999, percent: 99.99 });
    expect(many(1, 100_000)).toEqual({ total: 100_000, compliant: 1, percent: 0.01 });
    expect(many(0, 7)).toEqual({ total: 7, compliant: 0, percent: 0 });
    expect(many(1, 8).percent).toBe(12.5);
  });

  it('says when a laggard is powered off', () => {
    const report = at('2.0.0', [
      service('off', '1.0.0', ['1.0.0'], { powered: false }),
      service('off-mixed', '1.0.0', ['1.0.0', '2.0.0'], { powered: false }),
      // Compliant and off: not a laggard, so nothing to say.
      service('off-current', '2.0.0', ['2.0.0'], { powered: false }),
    ]);
    expect(report.laggards.map((laggard) => laggard.reason)).toEqual([
      'runs 1.0.0, older than 2.0.0; powered off',
      '1 of 2 instances run 2.0.0 or newer (mixed); powered off',
    ]);
    expect(report.services).toEqual({ total: 3, compliant: 1, percent: 33.33 });
  });

  it('orders laggards oldest version first, then by project and name; byVersion oldest first', () => {
    const report = at('3.0.0', [
      service('z', '2.10.0', [], { project: 'a' }),
      service('b', '2.9.0', [], { project: 'b' }),
      service('a', '2.9.0', [], { project: 'b' }),
      service('y', '2.9.0', [], { project: 'a' }),
      service('x', '1.0.0-rc.1', [], { project: 'z' }),
      service('w', '1.0.0', [], { project: 'a' }),
    ]);
    expect(report.laggards.map(({ project, service: name, version }) => `${version} ${project}/${name}`)).toEqual([
      '1.0.0-rc.1 z/x',
      '1.0.0 a/w',
      '2.9.0 a/y',
      '2.9.0 b/a',
      '2.9.0 b/b',
      '2.10.0 a/z',
    ]);
    expect(Object.entries(report.byVersion)).toEqual([
      ['1.0.0-rc.1', 1],
      ['1.0.0', 1],
      ['2.9.0', 3],
      ['2.10.0', 1],
    ]);
  });

  it('compares by semver precedence, not as strings', () => {
    const report = at('1.10.0', [service('s', '1.9.0'), service('t', '1.10.0'), service('u', '1.10.0-rc.1')]);
    expect(report.services.compliant).toBe(1);
    expect(report.laggards.map((laggard) => laggard.service)).toEqual(['s', 'u']);
  });
});

describe('defaultComplianceVersion', () => {
  const v = (version: string, security = false) => ({ version, security });

  it('is the newest security-flagged release', () => {
    expect(defaultComplianceVersion([v('1.3.0'), v('1.2.3', true), v('1.10.0'), v('1.1.0', true)])).toBe('1.2.3');
  });

  it('is the newest release when none is flagged security, by semver precedence', () => {
    expect(defaultComplianceVersion([v('1.9.0'), v('1.10.0'), v('1.2.0')])).toBe('1.10.0');
  });

  it('leaves pre-releases out unless there is nothing else', () => {
    expect(defaultComplianceVersion([v('1.0.0'), v('2.0.0-rc.1', true), v('2.0.0-rc.2')])).toBe('1.0.0');
    expect(defaultComplianceVersion([v('2.0.0-rc.1'), v('2.0.0-rc.2')])).toBe('2.0.0-rc.2');
  });

  it('is undefined for a component without versions', () => {
    expect(defaultComplianceVersion([])).toBeUndefined();
  });
});

describe('makeCompliance', () => {
  const version = (value: string, security = false): Version => ({
    version: value,
    channel: 'stable',
    security,
    versionId: `ver_${value}`,
    componentId: 'cmp_x',
    publishedAt: '2026-01-01T00:00:00.000Z',
    publishedBy: 'admin',
  });
  const versions = [version('1.0.0'), version('1.1.0', true), version('1.2.0')];
  const catalog = {
    getComponent: async (componentId: string) =>
      componentId === 'cmp_x' || componentId === 'cmp_empty'
        ? { componentId, name: componentId, createdAt: '2026-01-01T00:00:00.000Z' }
        : undefined,
    getVersion: async (componentId: string, value: string) =>
      componentId === 'cmp_x' ? versions.find((entry) => entry.version === value) : undefined,
    allVersions: async (componentId: string) => (componentId === 'cmp_x' ? versions : []),
  } as unknown as CatalogRepository;
  const asked: string[] = [];
  const services = {
    listByComponent: async (tenantId: string, componentId: string) => {
      asked.push(`${tenantId} ${componentId}`);
      return [service('s', '1.0.0', ['1.0.0']), service('t', '1.2.0', ['1.2.0'])] as unknown as ServiceRecord[];
    },
  } as unknown as ServiceRepository;
  const report = makeCompliance({ services, catalog });

  it('measures against the newest security release by default, from the tenant’s services of the component', async () => {
    const answer = await report.of('acme', { componentId: 'cmp_x' });
    expect(answer).toMatchObject({ version: '1.1.0', services: { total: 2, compliant: 1, percent: 50 } });
    expect(asked).toContain('acme cmp_x');
  });

  it('measures against the version asked for', async () => {
    expect((await report.of('acme', { componentId: 'cmp_x', version: '1.0.0' })).services.compliant).toBe(2);
  });

  it('answers 404 for an unknown component and 422 naming query.version for an unpublished version', async () => {
    await expect(report.of('acme', { componentId: 'cmp_nope' })).rejects.toBeInstanceOf(NotFoundError);
    const unknown = await report.of('acme', { componentId: 'cmp_x', version: '9.9.9' }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).errors).toEqual([{ field: 'query.version', message: 'unknown version' }]);
  });

  it('answers 422 naming query.version for a component without any version to default to', async () => {
    const empty = await report.of('acme', { componentId: 'cmp_empty' }).catch((error: unknown) => error);
    expect(empty).toBeInstanceOf(ValidationError);
    expect((empty as ValidationError).errors[0]?.field).toBe('query.version');
  });
});
