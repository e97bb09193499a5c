/**
 * The two wire protocols CloudWatch speaks, for the operations the embedded endpoint
 * answers. `@aws-sdk/client-cloudwatch` (v3) and recent AWS CLIs (v1 1.45 on botocore 1.43
 * does) speak AWS JSON 1.0 with `awsQueryCompatible`: a POST whose `X-Amz-Target` is
 * `GraniteServiceVersion20100801.<Operation>`, a JSON body, timestamps as epoch seconds,
 * and errors whose `x-amzn-query-error` header carries the Query error code. Older CLIs
 * and SDKs (botocore 1.34 does) speak AWS Query: form-encoded `Action=<Operation>&…` (lists as
 * `Name.member.N`, structures as `Name.Field`) answered in XML.
 */

import { CloudWatchApiError, TIMESTAMP_FIELDS } from './alarms.js';

export type Protocol = 'json' | 'query';

/** The JSON protocol's `X-Amz-Target` prefix (the model's `targetPrefix`). */
export const JSON_TARGET_PREFIX = 'GraniteServiceVersion20100801.';
/** The Query protocol's XML namespace and API version. */
export const XML_NAMESPACE = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
export const API_VERSION = '2010-08-01';

export interface ParsedRequest {
  readonly protocol: Protocol;
  /** The operation the request names; '' when it names none. */
  readonly operation: string;
  /** The input with the SDK's field names: what the operations of {@link LocalCloudWatch} take. */
  readonly input: Record<string, unknown>;
}

/** An error of the protocol itself (the operation is unknown, the body is not JSON), before any operation runs. */
export class ProtocolError extends Error {
  constructor(
    /** As the Query protocol names it. */
    readonly code: string,
    /** As the JSON protocol names it (`__type`). */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** An error as both protocols write it. */
export interface WireError {
  readonly status: number;
  /** The Query error code, and in the JSON protocol the `x-amzn-query-error` header's. */
  readonly code: string;
  /** The JSON protocol's `__type`. */
  readonly type: string;
  readonly message: string;
  /** Whether the JSON answer carries `x-amzn-query-error` (only errors of the service model do). */
  readonly modeled: boolean;
}

export function wireError(error: unknown): WireError {
  if (error instanceof CloudWatchApiError)
    return {
      status: error.status,
      code: error.code,
      type: `com.amazonaws.cloudwatch#${error.shape}`,
      message: error.message,
      modeled: true,
    };
  if (error instanceof ProtocolError)
    return { status: error.status, code: error.code, type: error.type, message: error.message, modeled: false };
  // Anything else is our bug: a generic 500 that leaks nothing.
  return {
    status: 500,
    code: 'InternalServiceError',
    type: 'com.amazonaws.cloudwatch#InternalServiceFault',
    message: 'Internal failure',
    modeled: true,
  };
}

/** Fields the Query protocol sends as text that the model types as numbers or booleans. */
const NUMBER_FIELDS = new Set(['Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold', 'MaxRecords', 'EvaluationInterval']);
const BOOLEAN_FIELDS = new Set(['ActionsEnabled', 'ReturnData']);
/** Lists of the operations' inputs: the Query protocol sends an empty one as `Name=`. */
const LIST_FIELDS = new Set([
  'AlarmNames',
  'AlarmTypes',
  'OKActions',
  'AlarmActions',
  'InsufficientDataActions',
  'Dimensions',
  'Metrics',
  'Tags',
]);
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Tree = { [key: string]: Tree | string };

/** Turns `{member: {1: a, 2: b}}` into `[a, b]`, and types the leaves the model types. */
function shape(node: Tree | string, key: string): unknown {
  if (typeof node === 'string') {
    if (NUMBER_FIELDS.has(key) && node.trim() !== '' && Number.isFinite(Number(node))) return Number(node);
    if (BOOLEAN_FIELDS.has(key) && (node === 'true' || node === 'false')) return node === 'true';
    if (LIST_FIELDS.has(key) && node === '') return [];
    return node;
  }
  const keys = Object.keys(node);
  const members = node.member;
  if (keys.length === 1 && members !== undefined && typeof members !== 'string') {
    const indexes = Object.keys(members);
    if (indexes.every((index) => /^[1-9]\d*$/.test(index)))
      return indexes
        .map(Number)
        .sort((a, b) => a - b)
        .map((index) => shape(members[String(index)] as Tree | string, ''));
  }
  return Object.fromEntries(keys.map((name) => [name, shape(node[name] as Tree | string, name)]));
}

/**
 * The input of a Query request from its parameters: `AlarmNames.member.1=a` becomes
 * `{AlarmNames: ['a']}`, `Dimensions.member.1.Name=n` becomes `{Dimensions: [{Name: 'n'}]}`.
 * `Action` and `Version` are the protocol's, not the input's.
 */
export function decodeQueryInput(params: URLSearchParams): Record<string, unknown> {
  const root: Tree = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    if (path.some((segment) => segment === '' || UNSAFE_KEYS.has(segment))) continue;
    let node = root;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (typeof next === 'object') node = next;
      else node = node[segment] = {};
    });
  }
  return shape(root, '') as Record<string, unknown>;
}

/**
 * Which protocol a request speaks, the operation it names and its input. A request with
 * `X-Amz-Target` is AWS JSON; anything else is AWS Query, its parameters in the URL's
 * query and, form-encoded, in the body.
 */
export function parseRequest(request: {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}): ParsedRequest {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const operation = target.startsWith(JSON_TARGET_PREFIX) ? target.slice(JSON_TARGET_PREFIX.length) : target;
    if (request.method !== 'POST')
      throw new ProtocolError('InvalidAction', 'UnknownOperationException', 'The AWS JSON protocol takes POST only.', 404);
    let input: unknown;
    try {
      input = request.body.trim() === '' ? {} : JSON.parse(request.body);
    } catch {
      input = undefined;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new ProtocolError('MalformedInput', 'SerializationException', 'The request body is not a JSON object.');
    return { protocol: 'json', operation, input: input as Record<string, unknown> };
  }
  const params = new URL(request.url, 'http://localhost').searchParams;
  for (const [key, value] of new URLSearchParams(request.body)) params.append(key, value);
  return { protocol: 'query', operation: params.get('Action') ?? '', input: decodeQueryInput(params) };
}

/** The AWS JSON protocol writes timestamps as epoch seconds; the endpoint keeps milliseconds. */
export function jsonBody(value: unknown): string {
  return JSON.stringify(value, (key, item: unknown) => (TIMESTAMP_FIELDS.has(key) && typeof item === 'number' ? item / 1000 : item));
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] ?? char);

/** One value as the Query protocol's XML writes it: lists as `<member>`s, timestamps in ISO 8601. */
function xmlValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => `<member>${xmlValue('', item)}</member>`).join('');
  if (typeof value === 'object' && value !== null)
    return Object.entries(value)
      .filter(([, item]) => item !== undefined && item !== null)
      .map(([name, item]) => `<${name}>${xmlValue(name, item)}</${name}>`)
      .join('');
  if (TIMESTAMP_FIELDS.has(key) && typeof value === 'number') return new Date(value).toISOString();
  return escapeXml(String(value));
}

/** A Query protocol answer: `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`; no result element for an operation without output. */
export function xmlBody(operation: string, result: Record<string, unknown>, requestId: string): string {
  const output = Object.keys(result).length === 0 ? '' : `<${operation}Result>${xmlValue('', result)}</${operation}Result>`;
  return (
    `<${operation}Response xmlns="${XML_NAMESPACE}">${output}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/** A Query protocol error: `<ErrorResponse><Error><Type>Sender</Type><Code>…`. */
export function xmlErrorBody(error: WireError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
