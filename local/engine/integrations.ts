/**
 * Task resources: the pluggable registry of service integrations and the
 * built-in ones (Lambda, EventBridge PutEvents, nested Step Functions).
 */

import { randomUUID } from 'node:crypto';
import { runtimeError, StatesError, StatesErrors } from './errors.js';
import { parseJson, stringifyJson, toPlainJson } from './json.js';

/** How the engine waits on an integration, from the resource suffix. */
export type IntegrationPattern = 'request-response' | 'sync' | 'sync:2' | 'wait-for-task-token';

/** What an integration receives for one Task attempt. */
export interface IntegrationRequest {
  /** The resource exactly as written in the definition. */
  resource: string;
  pattern: IntegrationPattern;
  /** The effective parameters (after InputPath and Parameters). */
  parameters: unknown;
  /** Set for `.waitForTaskToken` resources; the engine waits on it after the call returns. */
  taskToken?: string;
  /** Aborted when the task times out or the execution ends. */
  signal: AbortSignal;
  execution: { executionArn: string; stateMachineArn: string; name: string };
}

/**
 * A service integration. It returns the task result, or throws a
 * {@link StatesError} whose `error`/`errorCause` become the task's failure.
 */
export type Integration = (request: IntegrationRequest) => Promise<unknown>;

/** Invokes a Lambda function by name or ARN; a throw is the function's error. */
export type InvokeLambda = (functionNameOrArn: string, payload: unknown) => Promise<unknown>;

/** A resource split the way history events name it (`resourceType`, `resource`). */
export interface ParsedResource {
  /** `lambda-function` for a plain Lambda ARN, else the `arn:aws:states:::` base without suffix. */
  base: string;
  pattern: IntegrationPattern;
  resourceType: string;
  resourceName: string;
  plainLambda: boolean;
}

const SUFFIXES: [string, IntegrationPattern][] = [
  ['.waitForTaskToken', 'wait-for-task-token'],
  ['.sync:2', 'sync:2'],
  ['.sync', 'sync'],
];

/** Splits a Task resource into its integration, pattern and history names. */
export function parseResource(resource: string): ParsedResource {
  if (/^arn:aws[a-z-]*:lambda:[^:]*:\d*:function:.+/.test(resource)) {
    return { base: resource, pattern: 'request-response', resourceType: 'lambda', resourceName: resource, plainLambda: true };
  }
  let base = resource;
  let pattern: IntegrationPattern = 'request-response';
  for (const [suffix, p] of SUFFIXES) {
    if (resource.endsWith(suffix)) {
      base = resource.slice(0, -suffix.length);
      pattern = p;
      break;
    }
  }
  const m = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:([^:]+):(.+)$/.exec(resource);
  return {
    base,
    pattern,
    resourceType: m?.[1] ?? 'unknown',
    resourceName: m?.[2] ?? resource,
    plainLambda: false,
  };
}

/**
 * Turns what a Lambda handler threw into the error Step Functions reports:
 * Error = the error's `name`, Cause = the runtime's JSON error document.
 */
export function lambdaFailure(err: unknown): StatesError {
  if (err instanceof StatesError) return err;
  const errorType = err instanceof Error ? err.name : 'Error';
  const errorMessage = err instanceof Error ? err.message : String(err);
  return new StatesError(errorType, JSON.stringify({ errorType, errorMessage, trace: [] }), { cause: err });
}

/**
 * A JSON round trip, as the value crosses the Lambda wire in AWS (a handler
 * parses numbers beyond 2^53 as the nearest double, as JSON.parse would).
 */
export function jsonRoundTrip(value: unknown): unknown {
  return toPlainJson(value);
}

function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw runtimeError(`${what} must be an object`);
  return v as Record<string, unknown>;
}

/** `arn:aws:states:::lambda:invoke` (and its `.waitForTaskToken` form). */
export function lambdaInvokeIntegration(invokeLambda: InvokeLambda): Integration {
  return async ({ parameters }) => {
    const params = asRecord(parameters, 'Parameters of lambda:invoke');
    const fn = params.FunctionName;
    if (typeof fn !== 'string') throw runtimeError('lambda:invoke needs Parameters.FunctionName');
    let payload: unknown;
    try {
      payload = await invokeLambda(fn, jsonRoundTrip(params.Payload ?? {}));
    } catch (err) {
      throw lambdaFailure(err);
    }
    const requestId = randomUUID();
    return {
      ExecutedVersion: '$LATEST',
      Payload: jsonRoundTrip(payload),
      SdkHttpMetadata: {
        AllHttpHeaders: { 'X-Amz-Executed-Version': ['$LATEST'], 'x-amzn-RequestId': [requestId] },
        HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': requestId },
        HttpStatusCode: 200,
      },
      SdkResponseMetadata: { RequestId: requestId },
      StatusCode: 200,
    };
  };
}

/** An EventBridge entry as PutEvents receives it. */
export type PutEventsEntry = Record<string, unknown>;

/** `arn:aws:states:::events:putEvents`: hands entries to `sink` and answers like PutEvents. */
export function putEventsIntegration(sink: (entries: PutEventsEntry[]) => void | Promise<void>): Integration {
  return async ({ parameters }) => {
    const entries = asRecord(parameters, 'Parameters of events:putEvents').Entries;
    if (!Array.isArray(entries)) throw runtimeError('events:putEvents needs Parameters.Entries');
    await sink(toPlainJson(entries) as PutEventsEntry[]);
    return { Entries: entries.map(() => ({ EventId: randomUUID() })), FailedEntryCount: 0 };
  };
}

/** What the nested-execution integration needs from the engine. */
export interface ChildExecutionPort {
  start(stateMachineArn: string, name: string | undefined, input: string): Promise<{ executionArn: string; startDate: Date }>;
  waitFor(executionArn: string, signal: AbortSignal): Promise<ChildDescription>;
  stop(executionArn: string): Promise<void>;
}

/** DescribeExecution of a child, the part the parent sees. */
export interface ChildDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/**
 * `arn:aws:states:::states:startExecution` with request-response, `.sync`,
 * `.sync:2` and `.waitForTaskToken`. `.sync:2` returns Output parsed as JSON,
 * `.sync` keeps it a string; a failed child fails the task with
 * `States.TaskFailed` and the child's description as Cause.
 */
export function startExecutionIntegration(port: ChildExecutionPort): Integration {
  return async ({ parameters, pattern, signal }) => {
    const params = asRecord(parameters, 'Parameters of states:startExecution');
    const arn = params.StateMachineArn;
    if (typeof arn !== 'string') throw runtimeError('states:startExecution needs Parameters.StateMachineArn');
    const input =
      params.Input === undefined ? '{}' : typeof params.Input === 'string' ? params.Input : (stringifyJson(params.Input) ?? 'null');
    const name = typeof params.Name === 'string' ? params.Name : undefined;
    let started: Awaited<ReturnType<typeof port.start>>;
    try {
      started = await port.start(arn, name, input);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'Error';
      throw new StatesError(`StepFunctions.${code}Exception`, (err as Error).message, { cause: err });
    }
    if (pattern === 'request-response' || pattern === 'wait-for-task-token') {
      return { ExecutionArn: started.executionArn, StartDate: started.startDate.getTime() };
    }
    let described: ChildDescription;
    try {
      described = await port.waitFor(started.executionArn, signal);
    } catch (err) {
      // The parent task ended first (timeout or stop): AWS stops the child too.
      await port.stop(started.executionArn).catch(() => undefined);
      throw err;
    }
    const shaped: Record<string, unknown> = {
      ExecutionArn: described.executionArn,
      StateMachineArn: described.stateMachineArn,
      Name: described.name,
      Status: described.status,
      StartDate: described.startDate.getTime(),
      StopDate: described.stopDate?.getTime(),
      Input: pattern === 'sync:2' ? parseJson(described.input) : described.input,
      InputDetails: { Included: true },
    };
    if (described.status !== 'SUCCEEDED') {
      shaped.Error = described.error;
      shaped.Cause = described.cause;
      throw new StatesError(StatesErrors.TaskFailed, stringifyJson(shaped));
    }
    shaped.Output = pattern === 'sync:2' && described.output !== undefined ? parseJson(described.output) : described.output;
    shaped.OutputDetails = { Included: true };
    return shaped;
  };
}
