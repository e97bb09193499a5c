import { describe, expect, it } from 'vitest';
import { DEFAULT_UPGRADE_SECONDS, estimateRun, expectedSeconds, planRun, resolveConcurrency } from '../../functions/fleet/plan.js';
import type { MemberRecord } from '../../functions/fleet/run-records.js';
import type { StageSpec } from '../../functions/fleet/schemas.js';
import type { ServiceRecord } from '../../functions/services/service.js';

const NOW = new Date('2026-03-02T10:00:00Z'); // a Monday
const service = (name: string, extra: Partial<ServiceRecord> = {}): ServiceRecord =>
  ({
    tenantId: 't',
    project: 'p',
    name,
    componentId: 'c',
    version: '1.0.0',
    powered: true,
    instances: [{ id: 'i-0' }, { id: 'i-1' }],
    labels: {},
    target: { type: 'simulated' },
    autoUpgradeChannel: 'none',
    revision: 1,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...extra,
  }) as ServiceRecord;

describe('resolveConcurrency', () => {
  it('takes a count up to the members, a percentage of them, and at least one', () => {
    expect(resolveConcurrency(undefined, 7)).toBe(7);
    expect(resolveConcurrency(3, 7)).toBe(3);
    expect(resolveConcurrency(30, 7)).toBe(7);
    expect(resolveConcurrency('25%', 8)).toBe(2);
    expect(resolveConcurrency('25%', 3)).toBe(1);
    expect(resolveConcurrency('100%', 5)).toBe(5);
    expect(resolveConcurrency(undefined, 0)).toBe(1);
  });
});

describe('planRun', () => {
  const stages: StageSpec[] = [
    { name: 'a', groups: [{ name: 'web', selector: { matchLabels: { tier: 'web' } } }], beforeGates: [{ type: 'approval', name: 'go' }] },
    {
      name: 'b',
      groups: [{ name: 'listed', services: [{ project: 'p', name: 'db' }], afterGates: [{ type: 'approval', name: 'check' }] }],
      afterGates: [{ type: 'approval', name: 'done' }],
    },
  ];
  const fleet = [
    service('web-2', { labels: { tier: 'web' } }),
    service('web-1', { labels: { tier: 'web' } }),
    service('web-3', { labels: { tier: 'web' }, version: '1.1.0' }),
    service('web-4', { labels: { tier: 'web' }, powered: false }),
    service('db'),
  ];

  it('resolves selectors in project/name order, lists as given, skips current and powered-off services, numbers gates in order', () => {
    const plan = planRun({ runId: 'run_x', stages, services: fleet, toVersion: '1.1.0', now: NOW });
    if ('problems' in plan) throw new Error(JSON.stringify(plan.problems));
    expect(plan.members.map((m) => `${m.stage}/${m.group}/${m.service}:${m.status}${m.reason ? `(${m.reason})` : ''}`)).toEqual([
      '0/0/web-1:PENDING',
      '0/0/web-2:PENDING',
      '0/0/web-3:SKIPPED(already-current)',
      '0/0/web-4:SKIPPED(powered-off)',
      '1/0/db:PENDING',
    ]);
    expect(plan.gates.map((g) => `${g.gateId}:${g.name}:${g.position}:${g.stage}:${g.group ?? '-'}`)).toEqual([
      'gate-1:go:before:0:-',
      'gate-2:check:after:1:0',
      'gate-3:done:after:1:-',
    ]);
    expect(plan.stages[0]?.groups[0]).toMatchObject({ members: 4, maxConcurrency: 4, status: 'PENDING' });
  });

  it('refuses a service in two groups (naming both) and a listed service the component does not have', () => {
    const twice: StageSpec[] = [
      { name: 'a', groups: [{ name: 'web', selector: { matchLabels: { tier: 'web' } } }] },
      {
        name: 'b',
        groups: [
          {
            name: 'again',
            services: [
              { project: 'p', name: 'web-1' },
              { project: 'p', name: 'ghost' },
            ],
          },
        ],
      },
    ];
    const plan = planRun({ runId: 'run_x', stages: twice, services: fleet, toVersion: '1.1.0', now: NOW });
    expect('problems' in plan && plan.problems).toEqual([
      { field: 'body.stages[1].groups[0].services[1]', message: 'p/ghost is not a service of this component' },
      { field: 'body.stages[1].groups[0]', message: 'p/web-1 is in two groups: a/web and b/again' },
    ]);
  });
});

describe('estimateRun', () => {
  const member = (index: number, group: number, stage = 0, extra: Partial<MemberRecord> = {}): MemberRecord => ({
    runId: 'run_x',
    stage,
    group,
    index,
    project: 'p',
    service: `s${index}`,
    status: 'PENDING',
    fromVersion: '1.0.0',
    updatedAt: NOW.toISOString(),
    ...extra,
  });
  const upgrade = { batchSize: 1, batchDelaySeconds: 60, maxUnavailablePercentage: 100 };
  const each = expectedSeconds({ upgrade }, service('x'), DEFAULT_UPGRADE_SECONDS);
  const plan = (over: Record<string, unknown> = {}) => ({
    stages: [
      {
        name: 'one',
        afterStageWaitSeconds: 600,
        beforeGates: [],
        afterGates: [],
        status: 'PENDING' as const,
        groups: [{ name: 'g', maxConcurrency: 2, beforeGates: [], afterGates: [], members: 3, status: 'PENDING' as const }],
      },
      {
        name: 'two',
        afterStageWaitSeconds: 0,
        beforeGates: ['gate-1'],
        afterGates: [],
        status: 'PENDING' as const,
        groups: [{ name: 'g', maxConcurrency: 1, beforeGates: [], afterGates: [], members: 1, status: 'PENDING' as const }],
      },
    ],
    emergency: false,
    upgrade,
    ...over,
  });
  const services = (extra: Partial<ServiceRecord> = {}) => new Map([0, 1, 2, 3].map((i) => [`p/s${i}`, service(`s${i}`, extra)]));
  const at = (ms: number) => new Date(ms).toISOString();

  it('fills a group’s slots in order, then waits after the stage, then holds for a schedule gate', () => {
    expect(each).toBe(2 * (60 + 300));
    const startAt = at(NOW.getTime() + 10 * 3_600_000);
    const estimates = estimateRun({
      run: plan(),
      members: [member(0, 0), member(1, 0), member(2, 0), member(3, 0, 1)],
      gates: [
        { runId: 'run_x', gateId: 'gate-1', type: 'schedule', name: 'night', status: 'PENDING', startAt, stage: 1, position: 'before' },
      ],
      services: services(),
      averageUpgradeSeconds: DEFAULT_UPGRADE_SECONDS,
      now: NOW,
    });
    const t0 = NOW.getTime();
    expect(estimates.get('p/s0')).toEqual({ startAt: at(t0), endAt: at(t0 + each * 1000) });
    expect(estimates.get('p/s1')).toEqual({ startAt: at(t0), endAt: at(t0 + each * 1000) });
    expect(estimates.get('p/s2')).toEqual({ startAt: at(t0 + each * 1000), endAt: at(t0 + 2 * each * 1000) });
    // Stage two: after the 600 s wait, but not before its schedule gate.
    expect(estimates.get('p/s3')?.startAt).toBe(startAt);
  });

  it('starts a member in its maintenance window unless the run is an emergency; a running member keeps its start', () => {
    const window = { dayOfWeek: 'tuesday' as const, startHour: 2, durationHours: 2 };
    const args = {
      members: [member(0, 0, 0, { status: 'RUNNING', startedAt: at(NOW.getTime() - 60_000) }), member(1, 0)],
      gates: [],
      services: services({ maintenanceWindow: window }),
      averageUpgradeSeconds: DEFAULT_UPGRADE_SECONDS,
      now: NOW,
    };
    const normal = estimateRun({ run: plan(), ...args });
    expect(normal.get('p/s0')?.startAt).toBe(at(NOW.getTime() - 60_000));
    expect(normal.get('p/s1')?.startAt).toBe('2026-03-03T02:00:00.000Z');
    const emergency = estimateRun({ run: plan({ emergency: true }), ...args });
    expect(emergency.get('p/s1')?.startAt).toBe(NOW.toISOString());
  });

  it('leaves out members that are done', () => {
    const estimates = estimateRun({
      run: plan(),
      members: [member(0, 0, 0, { status: 'COMPLETED' }), member(1, 0, 0, { status: 'SKIPPED' })],
      gates: [],
      services: services(),
      averageUpgradeSeconds: 100,
      now: NOW,
    });
    expect([...estimates.keys()]).toEqual([]);
  });
});
