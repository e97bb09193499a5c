/**
 * The EventBridge Scheduler API over HTTP (REST-JSON, as `@aws-sdk/client-scheduler`
 * speaks it) in front of a {@link LocalScheduler}, so the real SDK client pointed at
 * `url` works unchanged. SigV4 is not checked: any credentials are accepted.
 *
 * Routes (from the SDK's operation schemas): POST/GET/PUT/DELETE `/schedules/{Name}`
 * (`groupName` in the query for GET and DELETE), GET `/schedules` (`ScheduleGroup`,
 * `NamePrefix`, `State`, `NextToken`, `MaxResults`), and the schedule-group routes.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../listen.js';
import { type LocalScheduler, type ScheduleInput, SchedulerApiError } from './scheduler.js';

export interface SchedulerServer {
  /** Base URL to use as the SDK `endpoint`. */
  readonly url: string;
  close(): Promise<void>;
}

const DATE_FIELDS = new Set(['CreationDate', 'LastModificationDate', 'StartDate', 'EndDate']);

/** REST-JSON sends timestamps in bodies as epoch seconds; the scheduler keeps milliseconds. */
function toWire(value: unknown): string {
  return JSON.stringify(value, (key, item: unknown) => (DATE_FIELDS.has(key) && typeof item === 'number' ? item / 1000 : item));
}

function fromWire(body: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...body };
  for (const field of ['StartDate', 'EndDate']) {
    const value = copy[field];
    if (typeof value === 'number') copy[field] = value * 1000;
    else if (typeof value === 'string') copy[field] = Date.parse(value);
  }
  return copy;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = toWire(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const text = JSON.stringify({ Message: message, message });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-ErrorType': code,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SchedulerApiError('ValidationException', 'The request body is not a JSON object.');
  return parsed as Record<string, unknown>;
}

async function route(scheduler: LocalScheduler, req: IncomingMessage): Promise<unknown> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const query = Object.fromEntries(url.searchParams.entries());
  const [, collection, rawName, extra] = url.pathname.split('/');
  if (extra !== undefined) throw new SchedulerApiError('ResourceNotFoundException', `No route ${method} ${url.pathname}.`);
  const name = rawName === undefined || rawName === '' ? undefined : decodeURIComponent(rawName);

  if (collection === 'schedules') {
    if (name === undefined) {
      if (method !== 'GET') throw new SchedulerApiError('ValidationException', `${method} /schedules is not an operation.`);
      return scheduler.listSchedules({
        ...(query.ScheduleGroup ? { GroupName: query.ScheduleGroup } : {}),
        ...(query.NamePrefix ? { NamePrefix: query.NamePrefix } : {}),
        ...(query.State ? { State: query.State } : {}),
        ...(query.NextToken ? { NextToken: query.NextToken } : {}),
        ...(query.MaxResults ? { MaxResults: Number(query.MaxResults) } : {}),
      });
    }
    const group = query.groupName ? { GroupName: query.groupName } : {};
    switch (method) {
      case 'POST':
        return scheduler.createSchedule({ ...(fromWire(await readJson(req)) as unknown as ScheduleInput), Name: name });
      case 'PUT':
        return scheduler.updateSchedule({ ...(fromWire(await readJson(req)) as unknown as ScheduleInput), Name: name });
      case 'GET':
        return scheduler.getSchedule({ Name: name, ...group });
      case 'DELETE':
        return scheduler.deleteSchedule({ Name: name, ...group });
    }
  }
  if (collection === 'schedule-groups') {
    if (name === undefined) return scheduler.listScheduleGroups();
    switch (method) {
      case 'POST':
        return scheduler.createScheduleGroup({ Name: name });
      case 'GET':
        return scheduler.getScheduleGroup({ Name: name });
      case 'DELETE':
        return scheduler.deleteScheduleGroup({ Name: name });
    }
  }
  throw new SchedulerApiError('ResourceNotFoundException', `No route ${method} ${url.pathname}.`);
}

/**
 * Serves the EventBridge Scheduler API of `scheduler` over HTTP.
 *
 * @example
 * const server = await startSchedulerServer(scheduler, { port: 0 });
 * const client = new SchedulerClient({ endpoint: server.url, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startSchedulerServer(scheduler: LocalScheduler, options: { port: number; host?: string }): Promise<SchedulerServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(scheduler, req)
      // A change is answered once it is on disk (with --persist), as AWS answers once it is stored.
      .then(async (body) => (req.method === 'GET' ? body : scheduler.durable().then(() => body)))
      .then(
        (body) => send(res, 200, body),
        (error: unknown) => {
          if (error instanceof SchedulerApiError) return sendError(res, error.status, error.code, error.message);
          if (error instanceof SyntaxError) return sendError(res, 400, 'ValidationException', 'The request body is not valid JSON.');
          // Anything else is our bug: a generic 500 that leaks nothing.
          sendError(res, 500, 'InternalServerException', 'Internal failure');
        },
      );
  });
  return listen(server, { port: options.port, host });
}
