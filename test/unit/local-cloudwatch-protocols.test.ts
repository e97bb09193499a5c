/**
 * How the embedded CloudWatch endpoint reads requests in its two protocols and writes
 * answers: the Query bodies here are what botocore 1.34 (a Query-speaking AWS CLI) sends.
 */
import { describe, expect, it } from 'vitest';
import { CloudWatchApiError } from '../../local/cloudwatch/index.js';
import {
  decodeQueryInput,
  JSON_TARGET_PREFIX,
  jsonBody,
  ProtocolError,
  parseRequest,
  wireError,
  xmlBody,
  xmlErrorBody,
} from '../../local/cloudwatch/protocols.js';

const form = (pairs: Record<string, string>) => new URLSearchParams(pairs).toString();
const query = (body: string, url = '/') =>
  parseRequest({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
const json = (operation: string, body: string, method = 'POST') =>
  parseRequest({ method, url: '/', headers: { 'x-amz-target': `${JSON_TARGET_PREFIX}${operation}` }, body });

describe('the AWS Query protocol', () => {
  it('reads PutMetricAlarm as botocore sends it: lists of strings and of structures, numbers and booleans typed', () => {
    const body = form({
      Action: 'PutMetricAlarm',
      Version: '2010-08-01',
      AlarmName: 'a',
      MetricName: 'Errors',
      Namespace: 'Sluice',
      Statistic: 'Sum',
      Period: '60',
      EvaluationPeriods: '1',
      Threshold: '1.5',
      ComparisonOperator: 'GreaterThanThreshold',
      'Dimensions.member.1.Name': 'Fn',
      'Dimensions.member.1.Value': 'x',
      'Dimensions.member.2.Name': 'Stage',
      'Dimensions.member.2.Value': 'prod',
      'AlarmActions.member.2': 'arn:2',
      'AlarmActions.member.1': 'arn:1',
      ActionsEnabled: 'false',
      'Tags.member.1.Key': 'k',
      'Tags.member.1.Value': 'v',
    });
    expect(query(body)).toEqual({
      protocol: 'query',
      operation: 'PutMetricAlarm',
      input: {
        AlarmName: 'a',
        MetricName: 'Errors',
        Namespace: 'Sluice',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1.5,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [
          { Name: 'Fn', Value: 'x' },
          { Name: 'Stage', Value: 'prod' },
        ],
        AlarmActions: ['arn:1', 'arn:2'],
        ActionsEnabled: false,
        Tags: [{ Key: 'k', Value: 'v' }],
      },
    });
  });

  it('orders list members by their index, not as they come (10 after 9)', () => {
    const pairs = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`AlarmNames.member.${11 - i}`, `n${11 - i}`]));
    expect(decodeQueryInput(new URLSearchParams(pairs)).AlarmNames).toEqual(Array.from({ length: 11 }, (_, i) => `n${i + 1}`));
  });

  it('reads nested structures in lists (metric math), typing their numbers and booleans too', () => {
    const input = decodeQueryInput(
      new URLSearchParams({
        'Metrics.member.1.Id': 'm1',
        'Metrics.member.1.ReturnData': 'true',
        'Metrics.member.1.MetricStat.Period': '300',
        'Metrics.member.1.MetricStat.Stat': 'Sum',
        'Metrics.member.1.MetricStat.Metric.MetricName': 'Errors',
        'Metrics.member.1.MetricStat.Metric.Dimensions.member.1.Name': 'Fn',
        'Metrics.member.1.MetricStat.Metric.Dimensions.member.1.Value': 'x',
      }),
    );
    expect(input).toEqual({
      Metrics: [
        {
          Id: 'm1',
          ReturnData: true,
          MetricStat: { Period: 300, Stat: 'Sum', Metric: { MetricName: 'Errors', Dimensions: [{ Name: 'Fn', Value: 'x' }] } },
        },
      ],
    });
  });

  it('reads an empty list (`AlarmNames=`) as one, and leaves a value that is not a number as text for the model to refuse', () => {
    expect(decodeQueryInput(new URLSearchParams('AlarmNames=&MaxRecords=ten&StateValue=OK'))).toEqual({
      AlarmNames: [],
      MaxRecords: 'ten',
      StateValue: 'OK',
    });
  });

  it('takes parameters from the URL as well as the body (a GET), and ignores keys that would reach a prototype', () => {
    const request = parseRequest({
      method: 'GET',
      url: '/?Action=DescribeAlarms&StateValue=ALARM&__proto__.polluted=1',
      headers: {},
      body: '',
    });
    expect(request).toEqual({ protocol: 'query', operation: 'DescribeAlarms', input: { StateValue: 'ALARM' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names no operation when Action is missing', () => {
    expect(query('AlarmName=a').operation).toBe('');
  });

  it('answers in XML: the result in <OpResult>, lists as <member>, timestamps in ISO 8601, text escaped', () => {
    const xml = xmlBody(
      'DescribeAlarms',
      {
        MetricAlarms: [
          {
            AlarmName: 'a<b>&c',
            ActionsEnabled: true,
            OKActions: [],
            Threshold: 2,
            StateUpdatedTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
          },
        ],
        CompositeAlarms: [],
      },
      'req-1',
    );
    expect(xml).toBe(
      '<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult>' +
        '<MetricAlarms><member><AlarmName>a&lt;b&gt;&amp;c</AlarmName><ActionsEnabled>true</ActionsEnabled><OKActions></OKActions>' +
        '<Threshold>2</Threshold><StateUpdatedTimestamp>2026-01-02T03:04:05.006Z</StateUpdatedTimestamp></member></MetricAlarms>' +
        '<CompositeAlarms></CompositeAlarms></DescribeAlarmsResult>' +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DescribeAlarmsResponse>',
    );
  });

  it('answers an operation without output with its response element and request id only', () => {
    expect(xmlBody('SetAlarmState', {}, 'req-2')).toBe(
      '<SetAlarmStateResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">' +
        '<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></SetAlarmStateResponse>',
    );
  });

  it('writes errors as <ErrorResponse> with the Query code, Sender for 4xx', () => {
    const error = wireError(new CloudWatchApiError('ResourceNotFound', 'Alarm a not found'));
    expect(error).toMatchObject({ status: 404, code: 'ResourceNotFound', type: 'com.amazonaws.cloudwatch#ResourceNotFound' });
    expect(xmlErrorBody(error, 'req-3')).toBe(
      '<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type>' +
        '<Code>ResourceNotFound</Code><Message>Alarm a not found</Message></Error><RequestId>req-3</RequestId></ErrorResponse>',
    );
  });
});

describe('the AWS JSON 1.0 protocol', () => {
  it('takes the operation from X-Amz-Target and the input from the body as it is', () => {
    expect(json('SetAlarmState', '{"AlarmName":"a","StateValue":"OK","StateReason":"r"}')).toEqual({
      protocol: 'json',
      operation: 'SetAlarmState',
      input: { AlarmName: 'a', StateValue: 'OK', StateReason: 'r' },
    });
    expect(json('DescribeAlarms', '').input).toEqual({});
  });

  it('refuses a body that is not a JSON object (SerializationException) and a method other than POST', () => {
    for (const body of ['{', '[1]', '"text"', 'null']) {
      expect(() => json('DescribeAlarms', body)).toThrow(ProtocolError);
      expect(wireError(captured(() => json('DescribeAlarms', body)))).toMatchObject({ status: 400, type: 'SerializationException' });
    }
    expect(wireError(captured(() => json('DescribeAlarms', '{}', 'GET')))).toMatchObject({
      status: 404,
      type: 'UnknownOperationException',
    });
  });

  it('writes timestamps as epoch seconds, and nothing else changes', () => {
    expect(JSON.parse(jsonBody({ MetricAlarms: [{ StateUpdatedTimestamp: 1_700_000_000_123, Period: 60 }] }))).toEqual({
      MetricAlarms: [{ StateUpdatedTimestamp: 1_700_000_000.123, Period: 60 }],
    });
  });

  it('names modeled errors by their shape (__type) and Query code (x-amzn-query-error), and anything else a 500 that leaks nothing', () => {
    expect(wireError(new CloudWatchApiError('MissingParameter', 'The parameter StateReason is required.'))).toEqual({
      status: 400,
      code: 'MissingParameter',
      type: 'com.amazonaws.cloudwatch#MissingRequiredParameterException',
      message: 'The parameter StateReason is required.',
      modeled: true,
    });
    expect(wireError(new CloudWatchApiError('ValidationError', 'x'))).toMatchObject({
      type: 'com.amazonaws.cloudwatch#ValidationException',
    });
    expect(wireError(new TypeError('secret detail'))).toEqual({
      status: 500,
      code: 'InternalServiceError',
      type: 'com.amazonaws.cloudwatch#InternalServiceFault',
      message: 'Internal failure',
      modeled: true,
    });
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}
