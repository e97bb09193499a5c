/**
 * The runtime's embedded CloudWatch alarms through the real `@aws-sdk/client-cloudwatch`
 * (AWS JSON 1.0): listed by /health, given to the handlers as CLOUDWATCH_ENDPOINT, kept
 * across a restart with --persist, and reached by the AWS CLI when one is installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  ListMetricsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readEnv } from '../../functions/common/env.js';
import { generateDevKey } from '../../local/dev-auth.js';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { awsCliEnv, hasAwsCli } from '../support/aws-cli.js';

let api: TestApi;
let client: CloudWatchClient;
beforeAll(async () => {
  api = await startTestApi();
  client = cloudwatchAt(api.runtime.endpoints.cloudwatch);
});
afterAll(async () => {
  client.destroy();
  await api.stop();
});

function cloudwatchAt(endpoint: string): CloudWatchClient {
  // Any credentials and region: the endpoint checks no signature.
  return new CloudWatchClient({ endpoint, region: 'eu-west-3', credentials: { accessKeyId: 'someone', secretAccessKey: 'anything' } });
}

const putAlarm = (cw: CloudWatchClient, name: string) =>
  cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'Sluice',
      MetricName: 'UpgradeFailures',
      Dimensions: [{ Name: 'Service', Value: 'orders-db' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      Threshold: 0.5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: ['arn:aws:sns:us-east-1:000000000000:oncall'],
    }),
  );

/** Every page of DescribeAlarms, following NextToken. */
async function describeAll(cw: CloudWatchClient, input: DescribeAlarmsCommandInput): Promise<{ pages: number; alarms: MetricAlarm[] }> {
  const alarms: MetricAlarm[] = [];
  let pages = 0;
  let NextToken: string | undefined;
  do {
    const page = await cw.send(new DescribeAlarmsCommand({ ...input, ...(NextToken ? { NextToken } : {}) }));
    pages += 1;
    alarms.push(...(page.MetricAlarms ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return { pages, alarms };
}

/** What the SDK throws, with the status it came with. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; status?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
    return { name: e.name, status: e.$metadata?.httpStatusCode, code: e.Code, message: e.message };
  }
  throw new Error('the call succeeded');
}

describe('the embedded CloudWatch alarms', () => {
  it('are listed by /health as endpoints.cloudwatch, and handlers find them at CLOUDWATCH_ENDPOINT', async () => {
    const health = await api.request<{ endpoints: Record<string, string> }>('GET', '/health');
    expect(health.body.endpoints.cloudwatch).toBe(api.runtime.endpoints.cloudwatch);
    expect(health.body.endpoints.cloudwatch).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.CLOUDWATCH_ENDPOINT).toBe(api.runtime.endpoints.cloudwatch);
    expect(readEnv().CLOUDWATCH_ENDPOINT).toBe(api.runtime.endpoints.cloudwatch);

    // As a handler would build its client: the endpoint from the environment, the credentials of the Lambda.
    const fromEnv = new CloudWatchClient({
      endpoint: process.env.CLOUDWATCH_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    try {
      const name = unique('env');
      await putAlarm(fromEnv, name);
      expect((await fromEnv.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]?.AlarmName).toBe(name);
    } finally {
      fromEnv.destroy();
    }
  });

  it('keep a new alarm as PutMetricAlarm gave it, in INSUFFICIENT_DATA', async () => {
    const name = unique('put');
    await putAlarm(client, name);
    const { MetricAlarms, CompositeAlarms } = await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
    expect(CompositeAlarms).toEqual([]);
    expect(MetricAlarms).toHaveLength(1);
    const alarm = MetricAlarms?.[0];
    expect(alarm).toMatchObject({
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}`,
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      Namespace: 'Sluice',
      MetricName: 'UpgradeFailures',
      Dimensions: [{ Name: 'Service', Value: 'orders-db' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      Threshold: 0.5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ActionsEnabled: true,
      AlarmActions: ['arn:aws:sns:us-east-1:000000000000:oncall'],
      OKActions: [],
      InsufficientDataActions: [],
    });
    // Timestamps arrive as dates, close to now.
    for (const field of ['StateUpdatedTimestamp', 'StateTransitionedTimestamp', 'AlarmConfigurationUpdatedTimestamp'] as const) {
      expect(alarm?.[field]).toBeInstanceOf(Date);
      expect(Math.abs((alarm?.[field]?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    }
  });

  it('describe by names, by prefix and by state, a page of MaxRecords at a time', async () => {
    const prefix = unique('page');
    const all = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`);
    for (const name of all) await putAlarm(client, name);
    for (const name of [all[1], all[4], all[6]]) {
      await client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'test' }));
    }

    const byPrefix = await describeAll(client, { AlarmNamePrefix: prefix, MaxRecords: 3 });
    expect(byPrefix.pages).toBe(3);
    expect(byPrefix.alarms.map((a) => a.AlarmName)).toEqual(all);

    const firstPage = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 3 }));
    expect(firstPage.MetricAlarms?.map((a) => a.AlarmName)).toEqual(all.slice(0, 3));
    expect(firstPage.NextToken).toEqual(expect.any(String));

    const inAlarm = await describeAll(client, { AlarmNamePrefix: prefix, StateValue: 'ALARM', MaxRecords: 2 });
    expect(inAlarm.pages).toBe(2);
    expect(inAlarm.alarms.map((a) => a.AlarmName)).toEqual([all[1], all[4], all[6]]);
    expect(inAlarm.alarms.every((a) => a.StateValue === 'ALARM' && a.StateReason === 'test')).toBe(true);

    const byNames = await describeAll(client, { AlarmNames: [all[5] ?? '', all[0] ?? '', `${prefix}-missing`], MaxRecords: 1 });
    expect(byNames.alarms.map((a) => a.AlarmName)).toEqual([all[0], all[5]]);
    expect(byNames.pages).toBe(2);

    const insufficient = await describeAll(client, { AlarmNamePrefix: prefix, StateValue: 'INSUFFICIENT_DATA' });
    expect(insufficient.alarms.map((a) => a.AlarmName)).toEqual([all[0], all[2], all[3], all[5]]);

    expect(await failure(client.send(new DescribeAlarmsCommand({ NextToken: 'not-a-token' })))).toMatchObject({
      name: 'InvalidNextToken',
      status: 400,
    });
  });

  it('set a state with its reason and reason data, and the state changes the timestamps', async () => {
    const name = unique('state');
    await putAlarm(client, name);
    const created = (await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
    await new Promise((done) => setTimeout(done, 5));
    await client.send(
      new SetAlarmStateCommand({
        AlarmName: name,
        StateValue: 'ALARM',
        StateReason: 'a canary failed',
        StateReasonData: '{"canary":"c1"}',
      }),
    );
    const alarmed = (await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
    expect(alarmed).toMatchObject({ StateValue: 'ALARM', StateReason: 'a canary failed', StateReasonData: '{"canary":"c1"}' });
    expect(alarmed?.StateUpdatedTimestamp?.getTime()).toBeGreaterThan(
      created?.StateUpdatedTimestamp?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    expect(alarmed?.StateTransitionedTimestamp).toEqual(alarmed?.StateUpdatedTimestamp);
    expect(alarmed?.AlarmConfigurationUpdatedTimestamp).toEqual(created?.AlarmConfigurationUpdatedTimestamp);

    await client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'recovered' }));
    const ok = (await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
    expect(ok).toMatchObject({ StateValue: 'OK', StateReason: 'recovered' });
    expect(ok?.StateReasonData).toBeUndefined();
  });

  it('answer errors as AWS names them, with their HTTP status', async () => {
    const name = unique('errors');
    await putAlarm(client, name);

    const unknown = await failure(
      client.send(new SetAlarmStateCommand({ AlarmName: `${name}-nope`, StateValue: 'ALARM', StateReason: 'r' })),
    );
    expect(unknown).toEqual({ name: 'ResourceNotFound', status: 404, code: 'ResourceNotFound', message: `Alarm ${name}-nope not found` });
    await expect(
      client.send(new SetAlarmStateCommand({ AlarmName: `${name}-nope`, StateValue: 'OK', StateReason: 'r' })),
    ).rejects.toBeInstanceOf(ResourceNotFound);

    // AWS checks a value against the model's enum before anything else: ValidationError (the SDK's ValidationException).
    const badState = await failure(
      client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'RED' as never, StateReason: 'r' })),
    );
    expect(badState).toEqual({
      name: 'ValidationException',
      status: 400,
      code: 'ValidationError',
      message:
        "1 validation error detected: Value 'RED' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]",
    });

    const noReason = await failure(client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM' } as never)));
    expect(noReason).toEqual({
      name: 'MissingRequiredParameterException',
      status: 400,
      code: 'MissingParameter',
      message: 'The parameter StateReason is required.',
    });

    const badData = await failure(
      client.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'r', StateReasonData: 'nope' })),
    );
    expect(badData).toMatchObject({ name: 'InvalidFormatFault', status: 400, code: 'InvalidFormat' });

    const badPut = await failure(
      client.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          EvaluationPeriods: 1,
          ComparisonOperator: 'Bigger' as never,
          MetricName: 'm',
          Namespace: 'n',
        }),
      ),
    );
    expect(badPut).toMatchObject({ name: 'ValidationException', status: 400, code: 'ValidationError' });

    // Nothing of that changed the alarm.
    expect((await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]).toMatchObject({
      StateValue: 'INSUFFICIENT_DATA',
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('answer an operation they do not have with UnknownOperationException, naming it', async () => {
    expect(await failure(client.send(new ListMetricsCommand({})))).toMatchObject({
      name: 'UnknownOperationException',
      status: 400,
      message: expect.stringContaining('ListMetrics'),
    });
  });

  it('delete alarms; unknown names answer ResourceNotFound and the others are deleted all the same', async () => {
    const prefix = unique('delete');
    for (const suffix of ['a', 'b', 'c']) await putAlarm(client, `${prefix}-${suffix}`);
    await client.send(new DeleteAlarmsCommand({ AlarmNames: [`${prefix}-a`] }));
    expect(await failure(client.send(new DeleteAlarmsCommand({ AlarmNames: [`${prefix}-b`, `${prefix}-zz`] })))).toMatchObject({
      name: 'ResourceNotFound',
      status: 404,
    });
    const left = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }));
    expect(left.MetricAlarms?.map((a) => a.AlarmName)).toEqual([`${prefix}-c`]);
  });
});

describe('with --persist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cloudwatch-persist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (): Promise<Runtime> =>
    startRuntime({
      port: 0,
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      devKey: await generateDevKey(),
      logLevel: 'silent',
      jwtScopes: [],
      tableEvents: false,
      persistDir: dir,
    });

  it('keeps alarms and their states across a restart, in <dir>/cloudwatch', async () => {
    const first = await start();
    let cw = cloudwatchAt(first.endpoints.cloudwatch);
    try {
      await putAlarm(cw, 'kept');
      await putAlarm(cw, 'deleted');
      await cw.send(new SetAlarmStateCommand({ AlarmName: 'kept', StateValue: 'ALARM', StateReason: 'before the restart' }));
      await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['deleted'] }));
    } finally {
      cw.destroy();
      await first.stop();
    }

    const second = await start();
    cw = cloudwatchAt(second.endpoints.cloudwatch);
    try {
      const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({}));
      expect(MetricAlarms?.map((a) => [a.AlarmName, a.StateValue, a.StateReason])).toEqual([['kept', 'ALARM', 'before the restart']]);
    } finally {
      cw.destroy();
      await second.stop();
    }
    expect(existsSync(join(dir, 'cloudwatch', 'alarms.json'))).toBe(true);
  });
});

describe.skipIf(!hasAwsCli)('the AWS CLI (skipped when `aws` is not installed)', () => {
  const run = promisify(execFile);
  const cliEnv = awsCliEnv();

  it('aws cloudwatch set-alarm-state --endpoint-url … sets the state', async () => {
    const name = unique('cli');
    await putAlarm(client, name);
    const endpoint = api.runtime.endpoints.cloudwatch;
    await run(
      'aws',
      [
        'cloudwatch',
        'set-alarm-state',
        '--alarm-name',
        name,
        '--state-value',
        'ALARM',
        '--state-reason',
        'test',
        '--endpoint-url',
        endpoint,
      ],
      { env: cliEnv },
    );
    expect((await client.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0]).toMatchObject({
      StateValue: 'ALARM',
      StateReason: 'test',
    });

    const described = await run(
      'aws',
      ['cloudwatch', 'describe-alarms', '--alarm-names', name, '--output', 'json', '--endpoint-url', endpoint],
      {
        env: cliEnv,
      },
    );
    expect(JSON.parse(described.stdout).MetricAlarms).toMatchObject([{ AlarmName: name, StateValue: 'ALARM' }]);

    const unknown = await run(
      'aws',
      [
        'cloudwatch',
        'set-alarm-state',
        '--alarm-name',
        `${name}-nope`,
        '--state-value',
        'OK',
        '--state-reason',
        'r',
        '--endpoint-url',
        endpoint,
      ],
      { env: cliEnv },
    ).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(unknown?.code).not.toBe(0);
    expect(unknown?.stderr).toContain('(ResourceNotFound) when calling the SetAlarmState operation');
  }, 60_000);
});
