import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../functions/common/errors.js';
import { fieldErrors } from '../../functions/common/http/zod-errors.js';
import { MAX_AFTER_STAGE_WAIT_SECONDS, MAX_STAGES, ReplaceStrategyBody, UpdateStrategyBody } from '../../functions/fleet/schemas.js';

type Json = Record<string, unknown>;

const service = (name: string, project = 'shop') => ({ project, name });
const group = (name: string, extra: Json = {}): Json => ({ name, services: [service(name.toLowerCase())], ...extra });
const stage = (name: string, groups: Json[], extra: Json = {}): Json => ({ name, groups, ...extra });
const body = (...stages: Json[]): Json => ({ name: 'weekly', stages });
/** One stage of one group with `extra` on the group. */
const withGroup = (extra: Json) => body(stage('canary', [group('first', extra)]));

/** What the API would answer in `errors[]` for this body (functions/common/http/zod-errors.ts). */
function errorsOf(value: unknown): FieldError[] {
  const parsed = UpdateStrategyBody.safeParse(value);
  return parsed.success ? [] : fieldErrors('body', parsed.error);
}

const at = (errors: FieldError[], field: string) => errors.filter((error) => error.field === field);

describe('update strategy body', () => {
  it('accepts stages of groups by selector and by list, with gates, waits and concurrency', () => {
    const parsed = UpdateStrategyBody.parse(
      body(
        stage('canary', [group('first', { maxConcurrency: 1, beforeGates: [{ type: 'approval', name: 'go' }] })], {
          afterStageWaitSeconds: 3600,
          afterGates: [{ type: 'approval', name: 'looks good' }],
        }),
        stage(
          'rest',
          [
            { name: 'eu', selector: { matchLabels: { region: 'eu-west-1', tier: 'web' } }, maxConcurrency: '25%' },
            group('us', { afterGates: [{ type: 'approval', name: 'us done' }] }),
          ],
          { beforeGates: [{ type: 'schedule', name: 'night', startAt: '2030-01-01T02:00:00Z' }], maxConcurrency: 3 },
        ),
      ),
    );
    expect(parsed.stages.map((s) => s.name)).toEqual(['canary', 'rest']);
    expect(parsed.stages[1]?.groups[0]?.maxConcurrency).toBe('25%');
  });

  it('refuses a second stage of the same name, at the second one', () => {
    const errors = errorsOf(body(stage('canary', [group('a')]), stage('canary', [group('b')])));
    expect(errors).toEqual([expect.objectContaining({ field: 'body.stages[1].name', message: expect.stringContaining('"canary"') })]);
  });

  it('refuses two groups of the same name in a stage, but allows the name in another stage', () => {
    const errors = errorsOf(body(stage('canary', [group('a'), { name: 'a', services: [service('other')] }])));
    expect(errors).toEqual([expect.objectContaining({ field: 'body.stages[0].groups[1].name', message: expect.stringContaining('"a"') })]);
    expect(errorsOf(body(stage('one', [group('a')]), stage('two', [{ name: 'a', services: [service('other')] }])))).toEqual([]);
  });

  it('refuses a gate name used twice in a stage scope (the stage and its groups), but allows it in another stage', () => {
    const approval = (name: string) => ({ type: 'approval', name });
    expect(
      at(
        errorsOf(body(stage('s', [group('a')], { beforeGates: [approval('go')], afterGates: [approval('go')] }))),
        'body.stages[0].afterGates[0].name',
      ),
    ).toHaveLength(1);
    const acrossGroup = errorsOf(
      body(stage('s', [group('a'), group('b', { beforeGates: [approval('go')] })], { beforeGates: [approval('go')] })),
    );
    expect(acrossGroup).toEqual([
      expect.objectContaining({ field: 'body.stages[0].groups[1].beforeGates[0].name', message: expect.stringContaining('"go"') }),
    ]);
    expect(errorsOf(body(stage('s', [group('a', { afterGates: [approval('go'), approval('go')] })])))).toEqual([
      expect.objectContaining({ field: 'body.stages[0].groups[0].afterGates[1].name' }),
    ]);
    expect(
      errorsOf(
        body(stage('one', [group('a')], { beforeGates: [approval('go')] }), stage('two', [group('b')], { beforeGates: [approval('go')] })),
      ),
    ).toEqual([]);
  });

  it('refuses a service in two groups, naming both as stage/group, in the same stage or across stages', () => {
    const sameStage = errorsOf(
      body(stage('canary', [group('a', { services: [service('web')] }), group('b', { services: [service('api'), service('web')] })])),
    );
    expect(sameStage).toEqual([
      expect.objectContaining({
        field: 'body.stages[0].groups[1].services[1]',
        message: expect.stringMatching(/shop\/web.*canary\/a.*canary\/b/),
      }),
    ]);
    const acrossStages = errorsOf(
      body(stage('canary', [group('a', { services: [service('web')] })]), stage('rest', [group('b', { services: [service('web')] })])),
    );
    expect(acrossStages).toEqual([
      expect.objectContaining({ field: 'body.stages[1].groups[0].services[0]', message: expect.stringMatching(/canary\/a.*rest\/b/) }),
    ]);
    // The same service name in two projects is two services.
    expect(
      errorsOf(
        body(stage('canary', [group('a', { services: [service('web', 'shop')] }), group('b', { services: [service('web', 'blog')] })])),
      ),
    ).toEqual([]);
  });

  it('refuses a service listed twice in one group', () => {
    expect(errorsOf(withGroup({ services: [service('web'), service('web')] }))).toEqual([
      expect.objectContaining({ field: 'body.stages[0].groups[0].services[1]', message: expect.stringContaining('shop/web') }),
    ]);
  });

  it('refuses a schedule gate after a stage or a group, and accepts one before', () => {
    const schedule = { type: 'schedule', name: 'night', startAt: '2030-01-01T02:00:00Z' };
    expect(errorsOf(body(stage('s', [group('a')], { afterGates: [schedule] })))).toEqual([
      expect.objectContaining({ field: 'body.stages[0].afterGates[0].type', message: expect.stringContaining('before') }),
    ]);
    expect(errorsOf(withGroup({ afterGates: [schedule] }))).toEqual([
      expect.objectContaining({ field: 'body.stages[0].groups[0].afterGates[0].type' }),
    ]);
    expect(errorsOf(withGroup({ beforeGates: [schedule] }))).toEqual([]);
    expect(errorsOf(body(stage('s', [group('a')], { beforeGates: [schedule] })))).toEqual([]);
  });

  it('refuses a schedule gate without an ISO startAt and a gate of an unknown type', () => {
    expect(
      at(
        errorsOf(withGroup({ beforeGates: [{ type: 'schedule', name: 'n', startAt: 'tomorrow' }] })),
        'body.stages[0].groups[0].beforeGates[0].startAt',
      ),
    ).toHaveLength(1);
    expect(
      at(errorsOf(withGroup({ beforeGates: [{ type: 'schedule', name: 'n' }] })), 'body.stages[0].groups[0].beforeGates[0].startAt'),
    ).toHaveLength(1);
    expect(
      at(errorsOf(withGroup({ beforeGates: [{ type: 'wait', name: 'n' }] })), 'body.stages[0].groups[0].beforeGates[0].type'),
    ).toHaveLength(1);
  });

  it.each([
    [0, 'at least 1'],
    ['0%', '"1%"'],
    ['101%', '"100%"'],
    ['25', 'percentage'],
    ['1.5%', 'percentage'],
    [1.5, 'whole count'],
    [true, 'whole count'],
    [2001, 'at most 2000'],
  ])('refuses maxConcurrency %j with a clear message', (maxConcurrency, message) => {
    for (const value of [withGroup({ maxConcurrency }), body(stage('s', [group('a')], { maxConcurrency }))]) {
      const errors = errorsOf(value);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.field).toMatch(/^body\.stages\[0\](\.groups\[0\])?\.maxConcurrency$/);
      expect(errors[0]?.message).toContain(message);
    }
  });

  it.each([['25%'], ['1%'], ['100%'], [3], [1]])('accepts maxConcurrency %j', (maxConcurrency) => {
    expect(errorsOf(withGroup({ maxConcurrency }))).toEqual([]);
    expect(errorsOf(body(stage('s', [group('a')], { maxConcurrency })))).toEqual([]);
  });

  it('refuses a group with both a selector and services, or with neither', () => {
    const both = errorsOf(withGroup({ selector: { matchLabels: { tier: 'web' } } }));
    expect(both).toEqual([
      expect.objectContaining({ field: 'body.stages[0].groups[0].services', message: expect.stringContaining('not both') }),
    ]);
    const neither = errorsOf(body(stage('s', [{ name: 'empty' }])));
    expect(neither).toEqual([expect.objectContaining({ field: 'body.stages[0].groups[0].selector' })]);
    expect(at(errorsOf(withGroup({ services: [] })), 'body.stages[0].groups[0].services')).toHaveLength(1);
  });

  it('bounds afterStageWaitSeconds from 0 to 30 days, in whole seconds', () => {
    const wait = (afterStageWaitSeconds: unknown) => errorsOf(body(stage('s', [group('a')], { afterStageWaitSeconds })));
    expect(wait(0)).toEqual([]);
    expect(wait(MAX_AFTER_STAGE_WAIT_SECONDS)).toEqual([]);
    for (const refused of [-1, MAX_AFTER_STAGE_WAIT_SECONDS + 1, 1.5, '60']) {
      expect(wait(refused)).toEqual([expect.objectContaining({ field: 'body.stages[0].afterStageWaitSeconds' })]);
    }
    expect(wait(-1)[0]?.message).toContain('30 days');
  });

  it(`takes 1 to ${MAX_STAGES} stages`, () => {
    const stages = (count: number) => Array.from({ length: count }, (_, index) => stage(`stage ${index}`, [group(`g${index}`)]));
    expect(errorsOf(body(...stages(MAX_STAGES)))).toEqual([]);
    expect(errorsOf(body(...stages(MAX_STAGES + 1)))).toEqual([expect.objectContaining({ field: 'body.stages' })]);
    expect(errorsOf(body())).toEqual([expect.objectContaining({ field: 'body.stages' })]);
  });

  it('validates label selector keys and values, and takes 1 to 20 labels', () => {
    const selector = (matchLabels: Json) => errorsOf(body(stage('s', [{ name: 'g', selector: { matchLabels } }])));
    const base = 'body.stages[0].groups[0].selector.matchLabels';
    expect(selector({ 'app.kubernetes.io_name': 'web-1' })).toEqual([]);
    expect(selector({ Region: 'eu' })).toEqual([
      expect.objectContaining({ field: `${base}.Region`, message: expect.stringContaining('label key') }),
    ]);
    expect(selector({ 'has space': 'eu' })).toEqual([expect.objectContaining({ field: `${base}.has space` })]);
    expect(selector({ ['k'.repeat(64)]: 'eu' })).toEqual([expect.objectContaining({ field: `${base}.${'k'.repeat(64)}` })]);
    expect(selector({ constructor: 'x' })).toEqual([
      expect.objectContaining({ field: `${base}.constructor`, message: expect.stringContaining('constructor') }),
    ]);
    expect(selector({ region: 'EU' })).toEqual([
      expect.objectContaining({ field: `${base}.region`, message: expect.stringContaining('label value') }),
    ]);
    expect(selector({})).toEqual([expect.objectContaining({ field: base })]);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`k${index}`, 'v']));
    expect(selector(many)).toEqual([expect.objectContaining({ field: base })]);
    expect(
      at(
        errorsOf(body(stage('s', [{ name: 'g', selector: { matchLabels: { a: 'b' }, matchExpressions: [] } }]))),
        'body.stages[0].groups[0].selector.matchExpressions',
      ),
    ).toHaveLength(1);
  });

  it('refuses names that are not stage, group or gate names, and a trailing space that would hide a duplicate', () => {
    expect(at(errorsOf(body(stage('', [group('a')]))), 'body.stages[0].name')).toHaveLength(1);
    expect(at(errorsOf(body(stage('canary ', [group('a')]))), 'body.stages[0].name')).toHaveLength(1);
    expect(at(errorsOf(body(stage('a/b', [group('a')]))), 'body.stages[0].name')).toHaveLength(1);
    expect(at(errorsOf(body(stage('s', [group('x'.repeat(64))]))), 'body.stages[0].groups[0].name')).toHaveLength(1);
    expect(errorsOf(body(stage('Canary 1.a_b-c', [group('x'.repeat(63))])))).toEqual([]);
    expect(at(errorsOf({ name: 'Weekly', stages: [stage('s', [group('a')])] }), 'body.name')).toHaveLength(1);
  });

  it('refuses unknown fields at every level', () => {
    expect(at(errorsOf({ ...body(stage('s', [group('a')])), color: 'blue' }), 'body.color')).toHaveLength(1);
    expect(at(errorsOf(body(stage('s', [group('a')], { parallel: true }))), 'body.stages[0].parallel')).toHaveLength(1);
    expect(at(errorsOf(withGroup({ weight: 2 })), 'body.stages[0].groups[0].weight')).toHaveLength(1);
  });

  it('lets a replacement leave the name out', () => {
    expect(ReplaceStrategyBody.safeParse({ stages: [stage('s', [group('a')])] }).success).toBe(true);
    expect(UpdateStrategyBody.safeParse({ stages: [stage('s', [group('a')])] }).success).toBe(false);
  });
});
