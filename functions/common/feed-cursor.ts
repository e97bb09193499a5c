import { BadRequestError, GoneError } from './errors.js';

/**
 * The feed's cursors and limits, apart from the feed itself (functions/common/feed.ts):
 * the schemas and the OpenAPI document read them without loading the DynamoDB client.
 */

/** How long the tenant feed keeps an event (timelines keep theirs for good). */
export const FEED_RETENTION_DAYS = 7;
/** A cursor older than this answers 410: the events after it may have expired. */
export const CURSOR_LIFETIME_DAYS = FEED_RETENTION_DAYS - 1;
/** The most events one read answers. */
export const FEED_PAGE_LIMIT = 100;
/** The longest a long poll holds. API Gateway gives up at 30 s. */
export const MAX_WAIT_SECONDS = 20;

/**
 * A cursor as clients see it: opaque, and dated by the event it stands at, so that one
 * older than the tenant feed keeps its events answers 410 instead of silently skipping what
 * expired. Dated by the event, not by the read, the cursor of an event is the same however
 * often it is read. The cursor before the first event (0) is undated: nothing before it can expire.
 */
export function encodeCursor(seq: number, at: Date | string): string {
  const t = seq === 0 ? 0 : Math.floor(new Date(at).getTime() / 1000);
  return Buffer.from(JSON.stringify({ s: seq, t }), 'utf8').toString('base64url');
}

/**
 * The sequence number of a cursor (0 without one). A malformed cursor is 400; one older
 * than {@link CURSOR_LIFETIME_DAYS} is 410 when `expires` (the tenant feed's cursors).
 */
export function decodeCursor(cursor: string | undefined, options: { now: Date; expires: boolean; field?: string }): number {
  if (cursor === undefined) return 0;
  const field = options.field ?? 'query.after';
  const invalid = () => new BadRequestError('The cursor is not valid.', { errors: [{ field, message: 'invalid cursor' }] });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { s, t } = (value ?? {}) as { s?: unknown; t?: unknown };
  if (!Number.isSafeInteger(s) || (s as number) < 0 || !Number.isSafeInteger(t)) throw invalid();
  if (options.expires && s !== 0 && options.now.getTime() / 1000 - (t as number) > CURSOR_LIFETIME_DAYS * 86_400) {
    throw new GoneError(
      `The cursor is older than ${CURSOR_LIFETIME_DAYS} days; events after it may have expired. Read again without one.`,
      {
        errors: [{ field, message: 'expired cursor' }],
      },
    );
  }
  return s as number;
}
