import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { IDEMPOTENCY_TABLE_SCHEMA } from '../../domain/table-schema.js';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '../aws-sdk.js';
import { isConditionFailure } from '../ddb-items.js';
import { ConflictError, ValidationError } from '../errors.js';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_REPLAYED_HEADER, IDEMPOTENCY_RETENTION_SECONDS, type Idempotency } from './idempotency.js';

/**
 * One key space for every API function: a key reused on another route group is caught
 * in Lambda (one function per group) as it is locally (one process).
 */
const KEY_PREFIX = 'sluice-api';

/** How often a claim is tried again when the record it lost to vanished or expired meanwhile (Powertools' MAX_RETRIES). */
const CLAIM_RETRIES = 2;

/** The TTL attribute (epoch seconds), DynamoDB's own expiry of the records. */
const EXPIRY = IDEMPOTENCY_TABLE_SCHEMA.timeToLiveAttribute;

export interface DynamoDbIdempotencyOptions {
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
  /** @default IDEMPOTENCY_RETENTION_SECONDS (24 h) */
  readonly retentionSeconds?: number;
}

/**
 * A record as stored: the attributes of Powertools' DynamoDB persistence layer, whose
 * protocol this is, besides the key and the TTL (`expiration`, epoch seconds).
 */
interface StoredRecord {
  readonly status: 'INPROGRESS' | 'COMPLETED';
  readonly expiration: number;
  /** Epoch milliseconds after which an INPROGRESS claim may be taken over. */
  readonly in_progress_expiration?: number;
  /** The stored answer (COMPLETED). */
  readonly data?: APIGatewayProxyStructuredResultV2;
  /** The hash of the request the key was first used for. */
  readonly validation: string;
}

/**
 * {@link Idempotency} over the idempotency table: the protocol of Powertools for AWS
 * Lambda's idempotency utility, written out here without the utility (it brought a
 * JMESPath interpreter and a second copy of Powertools' commons, 47 kB of every API
 * bundle, for two fixed paths; docs/decisions/0027-powertools-logs-and-metrics.md).
 *
 * - A conditional put claims the key (INPROGRESS, its claim expiring with the
 *   invocation's remaining time, so a timed-out Lambda does not hold the key for 24 h);
 *   it takes over a record whose retention or claim has expired.
 * - A claim that loses reads the record: another request's parameters answer 422, a
 *   claim still held 409, a completed answer is replayed with `idempotency-replayed`.
 * - The answer is stored on success; on an error the claim is deleted, so error answers
 *   are never replayed.
 *
 * Record ids and request hashes are SHA-256 (base64) of the key-sorted JSON: a caller
 * chooses its keys, and a collision-resistant hash keeps it from landing on another's
 * record.
 *
 * @example
 * ```ts
 * const idempotency = createDynamoDbIdempotency({ tableName: env.IDEMPOTENCY_TABLE_NAME, client: base.db });
 * const answer = await idempotency.run(request, context, () => respond());
 * ```
 */
export function createDynamoDbIdempotency(options: DynamoDbIdempotencyOptions): Idempotency {
  const { client, tableName } = options;
  const retentionSeconds = options.retentionSeconds ?? IDEMPOTENCY_RETENTION_SECONDS;
  const keyOf = (id: string) => ({ [IDEMPOTENCY_TABLE_SCHEMA.partitionKey]: id });
  const expiresAt = () => Math.round(Date.now() / 1000 + retentionSeconds);

  /** True when this request now holds the key. */
  const claim = async (id: string, validation: string, remainingMs: number): Promise<boolean> => {
    const now = Date.now();
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...keyOf(id),
            [EXPIRY]: expiresAt(),
            status: 'INPROGRESS',
            ...(remainingMs > 0 ? { in_progress_expiration: now + remainingMs } : {}),
            validation,
          },
          ConditionExpression:
            'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#claim) AND #claim < :nowMs)',
          ExpressionAttributeNames: {
            '#id': IDEMPOTENCY_TABLE_SCHEMA.partitionKey,
            '#expiry': EXPIRY,
            '#status': 'status',
            '#claim': 'in_progress_expiration',
          },
          ExpressionAttributeValues: { ':now': now / 1000, ':nowMs': now, ':inprogress': 'INPROGRESS' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  const read = async (id: string): Promise<StoredRecord | undefined> =>
    (await client.send(new GetCommand({ TableName: tableName, Key: keyOf(id), ConsistentRead: true }))).Item as StoredRecord | undefined;

  return {
    async run(request, context, execute) {
      const { scope, subject, key } = request;
      const id = `${KEY_PREFIX}#${hashOf({ scope, subject, key })}`;
      const validation = hashOf(request.request);
      for (let attempt = 0; ; attempt += 1) {
        if (await claim(id, validation, context.getRemainingTimeInMillis())) break;
        const record = await read(id);
        // The key used for another request is refused, whatever its record's state.
        if (record && record.validation !== validation) throw reused();
        const live = record !== undefined && record.expiration >= Date.now() / 1000;
        if (live && record.status === 'COMPLETED' && record.data) return markReplayed(record.data);
        // A claim held by a request in flight; or the record vanished or expired since the claim lost to it: claim again.
        if (live || attempt >= CLAIM_RETRIES) throw inProgress();
      }
      let answer: APIGatewayProxyStructuredResultV2;
      try {
        answer = await execute();
      } catch (error) {
        await client.send(new DeleteCommand({ TableName: tableName, Key: keyOf(id) }));
        throw error;
      }
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keyOf(id),
          UpdateExpression: 'SET #expiry = :expiry, #status = :completed, #data = :data',
          ExpressionAttributeNames: { '#expiry': EXPIRY, '#status': 'status', '#data': 'data' },
          ExpressionAttributeValues: { ':expiry': expiresAt(), ':completed': 'COMPLETED', ':data': answer },
        }),
      );
      return answer;
    },
  };
}

/** SHA-256 (base64) of the JSON of `value` with every object's keys sorted: equal requests hash equal whatever their key order. */
function hashOf(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(sortKeys(value)))
    .digest('base64');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((name) => [name, sortKeys((value as Record<string, unknown>)[name])]),
  );
}

function markReplayed(stored: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 {
  return { ...stored, headers: { ...stored.headers, [IDEMPOTENCY_REPLAYED_HEADER]: 'true' } };
}

const field = `header.${IDEMPOTENCY_KEY_HEADER}`;

function inProgress(): ConflictError {
  return new ConflictError('A request with this Idempotency-Key is still in progress; retry once it has finished.', {
    errors: [{ field, message: 'in progress' }],
  });
}

function reused(): ValidationError {
  return new ValidationError('This Idempotency-Key was already used for a different request (route, path, query or body); use a new key.', {
    errors: [{ field, message: 'already used for a different request' }],
  });
}
