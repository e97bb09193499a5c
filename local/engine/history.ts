/**
 * Execution history in the shape of GetExecutionHistory: ids from 1,
 * `previousEventId` pointing at the causally preceding event, and details
 * under the `<camelType>EventDetails` key the SDK expects.
 */
import { SfnApiError } from './errors.js';

/** Hard quota on history entries per execution (Step Functions service quotas). */
export const MAX_HISTORY_EVENTS = 25_000;

/** One stored history event; `timestamp` is epoch milliseconds. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

/** A history event as the API returns it (`timestamp` as a Date). */
export interface ApiHistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

/** The details key the SDK uses for an event type. */
export function detailsKey(type: string): `${string}EventDetails` {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** Builds a stored event. */
export function makeEvent(
  id: number,
  previousEventId: number,
  timestamp: number,
  type: string,
  details?: Record<string, unknown>,
): HistoryEvent {
  const event: HistoryEvent = { id, previousEventId, timestamp, type };
  if (details !== undefined) event[detailsKey(type)] = withoutUndefined(details);
  return event;
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** Options of GetExecutionHistory. */
export interface HistoryPageOptions {
  maxResults?: number;
  nextToken?: string;
  reverseOrder?: boolean;
  includeExecutionData?: boolean;
}

const DATA_FIELDS = new Set(['input', 'output', 'parameters']);

/**
 * Pages through a history like GetExecutionHistory: default page of 100,
 * at most 1000, `nextToken` opaque, `reverseOrder` newest first.
 */
export function pageHistory(
  events: readonly HistoryEvent[],
  options: HistoryPageOptions,
): { events: ApiHistoryEvent[]; nextToken?: string } {
  const max = options.maxResults === undefined || options.maxResults === 0 ? 100 : options.maxResults;
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new SfnApiError('ValidationException', 'maxResults must be between 0 and 1000');
  }
  const start = decodePageToken(options.nextToken);
  const ordered = options.reverseOrder ? [...events].reverse() : events;
  const slice = ordered.slice(start, start + max);
  const includeData = options.includeExecutionData !== false;
  const out = slice.map((e) => toApiEvent(e, includeData));
  const end = start + slice.length;
  return end < ordered.length ? { events: out, nextToken: encodePageToken(end) } : { events: out };
}

function toApiEvent(e: HistoryEvent, includeData: boolean): ApiHistoryEvent {
  const out: ApiHistoryEvent = { ...e, timestamp: new Date(e.timestamp) };
  if (!includeData) {
    for (const key of Object.keys(out)) {
      if (!key.endsWith('EventDetails')) continue;
      const details = out[key as `${string}EventDetails`];
      if (details === undefined) continue;
      out[key as `${string}EventDetails`] = Object.fromEntries(Object.entries(details).filter(([k]) => !DATA_FIELDS.has(k)));
    }
  }
  return out;
}

/** Encodes a list offset as an opaque page token. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

/** Decodes a page token made by {@link encodePageToken}; answers `InvalidToken` otherwise. */
export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch (err) {
    throw new SfnApiError('InvalidToken', 'Invalid pagination token', { cause: err });
  }
  throw new SfnApiError('InvalidToken', 'Invalid pagination token');
}
