/**
 * The CloudWatch alarms API over HTTP in front of a {@link LocalCloudWatch}, in both
 * protocols CloudWatch speaks (see ./protocols.ts): AWS JSON 1.0, as
 * `@aws-sdk/client-cloudwatch` and current AWS CLIs call it, and AWS Query (form-encoded,
 * XML answers), as older CLIs and SDKs do. SigV4 is not checked: any credentials are
 * accepted.
 *
 * Operations: PutMetricAlarm, DescribeAlarms, SetAlarmState, DeleteAlarms. Any other
 * answers UnknownOperationException (JSON) or InvalidAction (Query), naming it.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../listen.js';
import type { LocalCloudWatch } from './alarms.js';
import { jsonBody, type Protocol, ProtocolError, parseRequest, wireError, xmlBody, xmlErrorBody } from './protocols.js';

export interface CloudWatchServer {
  /** Base URL to use as the SDK `endpoint` (or the CLI's `--endpoint-url`). */
  readonly url: string;
  close(): Promise<void>;
}

type Operation = (cloudwatch: LocalCloudWatch, input: Record<string, unknown>) => Record<string, unknown>;

const OPERATIONS: Record<string, Operation> = {
  PutMetricAlarm: (cw, input) => cw.putMetricAlarm(input),
  DescribeAlarms: (cw, input) => cw.describeAlarms(input),
  SetAlarmState: (cw, input) => cw.setAlarmState(input),
  DeleteAlarms: (cw, input) => cw.deleteAlarms(input),
};
/** The operations that change nothing, answered without waiting for the disk. */
const READS = new Set(['DescribeAlarms']);

function send(res: ServerResponse, status: number, protocol: Protocol, body: string, headers: Record<string, string>): void {
  res.writeHead(status, {
    'Content-Type': protocol === 'json' ? 'application/x-amz-json-1.0' : 'text/xml',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, protocol: Protocol, requestId: string, error: unknown): void {
  const wire = wireError(error);
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId };
  if (protocol === 'query') {
    send(res, wire.status, protocol, xmlErrorBody(wire, requestId), headers);
    return;
  }
  // awsQueryCompatible: the SDK and botocore take the error's code from this header.
  if (wire.modeled) headers['x-amzn-query-error'] = `${wire.code};${wire.status < 500 ? 'Sender' : 'Receiver'}`;
  send(res, wire.status, protocol, jsonBody({ __type: wire.type, message: wire.message }), headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(cloudwatch: LocalCloudWatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  // Until the request is read, an error is answered in the protocol its headers point to.
  let protocol: Protocol = typeof req.headers['x-amz-target'] === 'string' ? 'json' : 'query';
  try {
    const request = parseRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: await readBody(req) });
    protocol = request.protocol;
    const operation = OPERATIONS[request.operation];
    if (operation === undefined) {
      const named = request.operation === '' ? 'The request names no operation' : `The operation ${request.operation} is unknown`;
      throw new ProtocolError(
        'InvalidAction',
        'UnknownOperationException',
        `${named}: the embedded CloudWatch endpoint answers ${Object.keys(OPERATIONS).join(', ')}.`,
      );
    }
    const result = operation(cloudwatch, request.input);
    // A change is answered once it is on disk (with --persist), as AWS answers once it is stored.
    if (!READS.has(request.operation)) await cloudwatch.durable();
    const headers = { 'x-amzn-RequestId': requestId };
    if (protocol === 'json') send(res, 200, protocol, jsonBody(result), headers);
    else send(res, 200, protocol, xmlBody(request.operation, result, requestId), headers);
  } catch (error) {
    sendError(res, protocol, requestId, error);
  }
}

/**
 * Serves the CloudWatch alarms API of `cloudwatch` over HTTP.
 *
 * @example
 * const server = await startCloudWatchServer(cloudwatch, { port: 0 });
 * const client = new CloudWatchClient({ endpoint: server.url, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startCloudWatchServer(
  cloudwatch: LocalCloudWatch,
  options: { port: number; host?: string },
): Promise<CloudWatchServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(cloudwatch, req, res).catch(() => {
      if (!res.headersSent) sendError(res, 'query', randomUUID(), undefined);
      else res.end();
    });
  });
  return listen(server, { port: options.port, host });
}
