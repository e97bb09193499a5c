/**
 * The Step Functions API over HTTP (AWS JSON 1.0 protocol) in front of an
 * {@link SfnEngine}, so that `@aws-sdk/client-sfn` pointed at `url` works
 * unchanged. SigV4 is not checked: any credentials are accepted.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../listen.js';
import type { SfnEngine } from './engine.js';
import { SfnApiError } from './errors.js';

/** A running server. */
export interface SfnServer {
  /** Base URL to use as the SDK `endpoint`. */
  url: string;
  close(): Promise<void>;
}

type Operation = (engine: SfnEngine, body: Record<string, unknown>) => Promise<unknown>;

// Each operation passes the request body on: the engine takes the SDK's own
// field names, and checks what it needs.
const operations: Record<string, Operation> = {
  CreateStateMachine: (e, b) => e.createStateMachine(b as unknown as Parameters<SfnEngine['createStateMachine']>[0]),
  DescribeStateMachine: (e, b) => e.describeStateMachine(b as unknown as Parameters<SfnEngine['describeStateMachine']>[0]),
  ListStateMachines: (e, b) => e.listStateMachines(b as Parameters<SfnEngine['listStateMachines']>[0]),
  DeleteStateMachine: (e, b) => e.deleteStateMachine(b as unknown as Parameters<SfnEngine['deleteStateMachine']>[0]),
  StartExecution: (e, b) => e.startExecution(b as unknown as Parameters<SfnEngine['startExecution']>[0]),
  DescribeExecution: (e, b) => e.describeExecution(b as unknown as Parameters<SfnEngine['describeExecution']>[0]),
  ListExecutions: (e, b) => e.listExecutions(b as unknown as Parameters<SfnEngine['listExecutions']>[0]),
  StopExecution: (e, b) => e.stopExecution(b as unknown as Parameters<SfnEngine['stopExecution']>[0]),
  GetExecutionHistory: (e, b) => e.getExecutionHistory(b as unknown as Parameters<SfnEngine['getExecutionHistory']>[0]),
  SendTaskSuccess: (e, b) => e.sendTaskSuccess(b as unknown as Parameters<SfnEngine['sendTaskSuccess']>[0]),
  SendTaskFailure: (e, b) => e.sendTaskFailure(b as unknown as Parameters<SfnEngine['sendTaskFailure']>[0]),
  SendTaskHeartbeat: (e, b) => e.sendTaskHeartbeat(b as unknown as Parameters<SfnEngine['sendTaskHeartbeat']>[0]),
  UpdateStateMachine: (e, b) => e.updateStateMachine(b as unknown as Parameters<SfnEngine['updateStateMachine']>[0]),
  DescribeStateMachineForExecution: (e, b) =>
    e.describeStateMachineForExecution(b as unknown as Parameters<SfnEngine['describeStateMachineForExecution']>[0]),
  ValidateStateMachineDefinition: (e, b) =>
    e.validateStateMachineDefinition(b as unknown as Parameters<SfnEngine['validateStateMachineDefinition']>[0]),
  ListTagsForResource: (e, b) => e.listTagsForResource(b as unknown as Parameters<SfnEngine['listTagsForResource']>[0]),
  TagResource: (e, b) => e.tagResource(b as unknown as Parameters<SfnEngine['tagResource']>[0]),
  UntagResource: (e, b) => e.untagResource(b as unknown as Parameters<SfnEngine['untagResource']>[0]),
  StartSyncExecution: (e, b) => e.startSyncExecution(b as unknown as Parameters<SfnEngine['startSyncExecution']>[0]),
  TestState: (e, b) => e.testState(b as unknown as Parameters<SfnEngine['testState']>[0]),
  RedriveExecution: (e, b) => e.redriveExecution(b as unknown as Parameters<SfnEngine['redriveExecution']>[0]),
  ListStateMachineVersions: (e, b) => e.listStateMachineVersions(b as unknown as Parameters<SfnEngine['listStateMachineVersions']>[0]),
  PublishStateMachineVersion: (e, b) =>
    e.publishStateMachineVersion(b as unknown as Parameters<SfnEngine['publishStateMachineVersion']>[0]),
  CreateActivity: (e, b) => e.createActivity(b as unknown as Parameters<SfnEngine['createActivity']>[0]),
  DescribeActivity: (e, b) => e.describeActivity(b as unknown as Parameters<SfnEngine['describeActivity']>[0]),
  ListActivities: (e, b) => e.listActivities(b as unknown as Parameters<SfnEngine['listActivities']>[0]),
  DeleteActivity: (e, b) => e.deleteActivity(b as unknown as Parameters<SfnEngine['deleteActivity']>[0]),
  GetActivityTask: (e, b) => e.getActivityTask(b as unknown as Parameters<SfnEngine['getActivityTask']>[0]),
};

const REQUIRED: Record<string, string[]> = {
  CreateStateMachine: ['name', 'definition'],
  DescribeStateMachine: ['stateMachineArn'],
  DeleteStateMachine: ['stateMachineArn'],
  StartExecution: ['stateMachineArn'],
  DescribeExecution: ['executionArn'],
  ListExecutions: ['stateMachineArn'],
  StopExecution: ['executionArn'],
  GetExecutionHistory: ['executionArn'],
  SendTaskSuccess: ['taskToken', 'output'],
  SendTaskFailure: ['taskToken'],
  SendTaskHeartbeat: ['taskToken'],
  UpdateStateMachine: ['stateMachineArn'],
  DescribeStateMachineForExecution: ['executionArn'],
  ValidateStateMachineDefinition: ['definition'],
  ListTagsForResource: ['resourceArn'],
  TagResource: ['resourceArn', 'tags'],
  UntagResource: ['resourceArn', 'tagKeys'],
  StartSyncExecution: ['stateMachineArn'],
  TestState: ['definition'],
  RedriveExecution: ['executionArn'],
  ListStateMachineVersions: ['stateMachineArn'],
  PublishStateMachineVersion: ['stateMachineArn'],
  CreateActivity: ['name'],
  DescribeActivity: ['activityArn'],
  DeleteActivity: ['activityArn'],
  GetActivityTask: ['activityArn'],
};

/** The AWS JSON protocol sends timestamps as epoch seconds (numbers). */
function serialise(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = serialise(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, code: string, message: string, status = 400): void {
  send(res, status, { __type: `com.amazonaws.sfn#${code}`, message });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(engine: SfnEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, 'UnknownOperationException', 'Only POST is supported', 404);
    return;
  }
  const target = req.headers['x-amz-target'];
  const op = typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  const operation = operations[op];
  if (operation === undefined) {
    sendError(res, 'UnknownOperationException', `Unsupported operation '${op}'`);
    return;
  }
  let body: Record<string, unknown>;
  try {
    const text = await readBody(req);
    const parsed: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('body is not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    sendError(res, 'SerializationException', 'Request body is not a JSON object');
    return;
  }
  const missing = (REQUIRED[op] ?? []).filter((k) => body[k] === undefined);
  if (missing.length > 0) {
    sendError(res, 'ValidationException', `Missing required field(s): ${missing.join(', ')}`);
    return;
  }
  try {
    send(res, 200, await operation(engine, body));
  } catch (err) {
    if (err instanceof SfnApiError) {
      sendError(res, err.code, err.message);
      return;
    }
    // Anything else is our bug: answer a generic 500 that leaks nothing.
    sendError(res, 'InternalFailure', 'Internal failure', 500);
  }
}

/**
 * Serves the Step Functions API of `engine` over HTTP.
 *
 * @example
 * const server = await startSfnServer(engine, { port: 0 });
 * const sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startSfnServer(engine: SfnEngine, options: { port: number; host?: string }): Promise<SfnServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(engine, req, res).catch(() => {
      if (!res.headersSent) sendError(res, 'InternalFailure', 'Internal failure', 500);
      else res.end();
    });
  });
  return listen(server, { port: options.port, host });
}
