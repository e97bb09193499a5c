/**
 * The embedded CloudWatch alarms without HTTP: what each operation keeps, filters and
 * refuses, and what a restart on the same folder finds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CloudWatchApiError, INITIAL_STATE_REASON, LocalCloudWatch } from '../../local/cloudwatch/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const alarm = (name: string, extra: Record<string, unknown> = {}) => ({
  AlarmName: name,
  MetricName: 'Errors',
  Namespace: 'Sluice',
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  ...extra,
});

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof CloudWatchApiError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('was not refused');
}

const names = (cw: LocalCloudWatch, input: Record<string, unknown> = {}) => cw.describeAlarms(input).MetricAlarms.map((a) => a.AlarmName);

describe('LocalCloudWatch', () => {
  it('keeps what PutMetricAlarm gives, with AWS defaults, in INSUFFICIENT_DATA', async () => {
    const cw = await LocalCloudWatch.create({ region: 'eu-west-1', accountId: '123456789012' });
    cw.putMetricAlarm(alarm('a', { Dimensions: [{ Name: 'Fn', Value: 'x' }], Tags: [{ Key: 'k', Value: 'v' }] }));
    const [stored] = cw.describeAlarms({}).MetricAlarms;
    expect(stored).toMatchObject({
      AlarmName: 'a',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a',
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: INITIAL_STATE_REASON,
      Dimensions: [{ Name: 'Fn', Value: 'x' }],
      Threshold: 1,
    });
    expect(stored).not.toHaveProperty('Tags');
    expect(stored?.StateUpdatedTimestamp).toBe(stored?.AlarmConfigurationUpdatedTimestamp);
  });

  it('replaces the whole configuration of an existing alarm and leaves its state as it is', async () => {
    const cw = await LocalCloudWatch.create();
    cw.putMetricAlarm(alarm('a', { AlarmDescription: 'first', Unit: 'Count' }));
    cw.setAlarmState({ AlarmName: 'a', StateValue: 'ALARM', StateReason: 'broken', StateReasonData: '{"x":1}' });
    const before = cw.describeAlarms({}).MetricAlarms[0];
    cw.putMetricAlarm(alarm('a', { Threshold: 5 }));
    const after = cw.describeAlarms({}).MetricAlarms[0];
    expect(after).toMatchObject({ StateValue: 'ALARM', StateReason: 'broken', StateReasonData: '{"x":1}', Threshold: 5 });
    expect(after).not.toHaveProperty('AlarmDescription');
    expect(after).not.toHaveProperty('Unit');
    expect(after?.StateUpdatedTimestamp).toBe(before?.StateUpdatedTimestamp);
  });

  it('sets a state; the state it already has changes nothing', async () => {
    const cw = await LocalCloudWatch.create();
    cw.putMetricAlarm(alarm('a'));
    cw.setAlarmState({ AlarmName: 'a', StateValue: 'OK', StateReason: 'first' });
    cw.setAlarmState({ AlarmName: 'a', StateValue: 'OK', StateReason: 'second' });
    expect(cw.describeAlarms({}).MetricAlarms[0]).toMatchObject({ StateValue: 'OK', StateReason: 'first' });
  });

  it('filters by names, prefix, state and action prefix together, sorted by name', async () => {
    const cw = await LocalCloudWatch.create();
    for (const name of ['b-2', 'a-1', 'b-1', 'c-1']) cw.putMetricAlarm(alarm(name, { AlarmActions: [`arn:aws:sns:us-east-1:1:${name}`] }));
    cw.setAlarmState({ AlarmName: 'b-2', StateValue: 'ALARM', StateReason: 'r' });
    expect(names(cw)).toEqual(['a-1', 'b-1', 'b-2', 'c-1']);
    expect(names(cw, { AlarmNamePrefix: 'b-' })).toEqual(['b-1', 'b-2']);
    expect(names(cw, { AlarmNamePrefix: 'b-', StateValue: 'INSUFFICIENT_DATA' })).toEqual(['b-1']);
    expect(names(cw, { AlarmNames: ['c-1', 'a-1', 'nope'] })).toEqual(['a-1', 'c-1']);
    expect(names(cw, { AlarmNames: [] })).toEqual(['a-1', 'b-1', 'b-2', 'c-1']);
    expect(names(cw, { ActionPrefix: 'arn:aws:sns:us-east-1:1:c' })).toEqual(['c-1']);
    expect(names(cw, { AlarmTypes: ['CompositeAlarm'] })).toEqual([]);
    expect(cw.describeAlarms({}).CompositeAlarms).toEqual([]);
    expect(refusal(() => cw.describeAlarms({ AlarmNames: ['a-1'], AlarmNamePrefix: 'a' }))).toMatchObject({
      code: 'InvalidParameterCombination',
    });
  });

  it('pages with MaxRecords (50 by default) and NextToken, and refuses a token it did not give', async () => {
    const cw = await LocalCloudWatch.create();
    for (let i = 0; i < 55; i += 1) cw.putMetricAlarm(alarm(`p-${String(i).padStart(2, '0')}`));
    const first = cw.describeAlarms({});
    expect(first.MetricAlarms).toHaveLength(50);
    const rest = cw.describeAlarms({ NextToken: first.NextToken });
    expect(rest.MetricAlarms.map((a) => a.AlarmName)).toEqual(['p-50', 'p-51', 'p-52', 'p-53', 'p-54']);
    expect(rest.NextToken).toBeUndefined();
    expect(refusal(() => cw.describeAlarms({ NextToken: 'garbage' }))).toMatchObject({ code: 'InvalidNextToken' });
    expect(refusal(() => cw.describeAlarms({ MaxRecords: 101 }))).toMatchObject({
      code: 'ValidationError',
      message:
        "1 validation error detected: Value 101 at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
    });
  });

  it('refuses as AWS does: a missing parameter, every constraint broken at once, bad combinations, invalid JSON reason data', async () => {
    const cw = await LocalCloudWatch.create();
    cw.putMetricAlarm(alarm('a'));
    expect(refusal(() => cw.setAlarmState({ AlarmName: 'a', StateValue: 'OK' }))).toEqual({
      code: 'MissingParameter',
      message: 'The parameter StateReason is required.',
    });
    expect(refusal(() => cw.setAlarmState({ AlarmName: 'a', StateValue: 'RED', StateReason: 'x'.repeat(1024) }))).toEqual({
      code: 'ValidationError',
      message:
        "2 validation errors detected: Value 'RED' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]; " +
        `Value '${'x'.repeat(1024)}' at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to 1023`,
    });
    // The input is checked before the alarm is looked for.
    expect(refusal(() => cw.setAlarmState({ AlarmName: 'nope', StateValue: 'RED', StateReason: 'r' }))).toMatchObject({
      code: 'ValidationError',
    });
    expect(refusal(() => cw.setAlarmState({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'r' }))).toEqual({
      code: 'ResourceNotFound',
      message: 'Alarm nope not found',
    });
    expect(refusal(() => cw.setAlarmState({ AlarmName: 'a', StateValue: 'OK', StateReason: 'r', StateReasonData: '{' }))).toMatchObject({
      code: 'InvalidFormat',
    });
    expect(refusal(() => cw.putMetricAlarm({ ...alarm('b'), EvaluationPeriods: undefined }))).toEqual({
      code: 'MissingParameter',
      message: 'The parameter EvaluationPeriods is required.',
    });
    expect(refusal(() => cw.putMetricAlarm(alarm('b', { Statistic: 'Median', Period: 'often' })))).toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^2 validation errors detected: Value 'Median' at 'statistic' .*; Value 'often' at 'period' failed/),
    });
    expect(refusal(() => cw.putMetricAlarm(alarm('b', { Period: 45 })))).toMatchObject({ code: 'ValidationError' });
    expect(refusal(() => cw.putMetricAlarm(alarm('b', { ExtendedStatistic: 'p99' })))).toMatchObject({
      code: 'InvalidParameterCombination',
    });
    expect(refusal(() => cw.putMetricAlarm(alarm('b', { MetricName: undefined })))).toEqual({
      code: 'ValidationError',
      message: 'MetricName must not be null',
    });
    expect(refusal(() => cw.putMetricAlarm(alarm('b', { AlarmActions: ['1', '2', '3', '4', '5', '6'] })))).toMatchObject({
      code: 'ValidationError',
    });
    expect(names(cw)).toEqual(['a']);
  });

  it('deletes the named alarms; names matching none answer ResourceNotFound, and the others are deleted all the same', async () => {
    const cw = await LocalCloudWatch.create();
    for (const name of ['a', 'b', 'c']) cw.putMetricAlarm(alarm(name));
    cw.deleteAlarms({ AlarmNames: ['a'] });
    expect(refusal(() => cw.deleteAlarms({ AlarmNames: ['b', 'zz'] }))).toEqual({
      code: 'ResourceNotFound',
      message: '1 alarm(s) not found: zz',
    });
    expect(names(cw)).toEqual(['c']);
    expect(refusal(() => cw.deleteAlarms({}))).toMatchObject({ code: 'MissingParameter' });
  });

  it('with persistDir, writes every change down before durable() resolves, and a new one on the folder finds them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cloudwatch-'));
    dirs.push(dir);
    const first = await LocalCloudWatch.create({ persistDir: dir });
    first.putMetricAlarm(alarm('kept'));
    first.putMetricAlarm(alarm('gone'));
    first.setAlarmState({ AlarmName: 'kept', StateValue: 'ALARM', StateReason: 'before the restart' });
    first.deleteAlarms({ AlarmNames: ['gone'] });
    await first.durable();
    // Once durable() resolves the file holds every change: what a restart loads.
    expect(JSON.parse(readFileSync(join(dir, 'alarms.json'), 'utf8')).alarms.map((a: { AlarmName: string }) => a.AlarmName)).toEqual([
      'kept',
    ]);
    await first.close();
    const second = await LocalCloudWatch.create({ persistDir: dir });
    expect(second.describeAlarms({}).MetricAlarms).toEqual(first.describeAlarms({}).MetricAlarms);
    expect(second.describeAlarms({}).MetricAlarms[0]).toMatchObject({ StateValue: 'ALARM', StateReason: 'before the restart' });
  });
});
