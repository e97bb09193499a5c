import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { IDEMPOTENCY_TABLE_SCHEMA } from '../../domain/table-schema.js';
import { ConflictError, ValidationError } from '../errors.js';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_REPLAYED_HEADER,
  IDEMPOTENCY_RETENTION_SECONDS,
  type Idempotency,
  type IdempotentRequest,
} from './idempotency.js';

/**
 * One key space for every API function. Powertools would otherwise prefix keys with
 * the function name, so a key reused on another route group would pass unnoticed in
 * Lambda (one function per group) yet be caught locally (one process).
 */
const KEY_PREFIX = 'sluice-api';

export interface PowertoolsIdempotencyOptions {
  readonly tableName: string;
  /** A raw (not document) client: the persistence layer marshals its own items. */
  readonly client: DynamoDBClient;
  /** @default IDEMPOTENCY_RETENTION_SECONDS (24 h) */
  readonly retentionSeconds?: number;
}

/** What the persistence layer hashes: `owner` becomes the record key, `request` the payload check. */
interface HashedPayload {
  readonly owner: { readonly scope: string; readonly subject: string; readonly key: string };
  readonly request: IdempotentRequest['request'];
}

/**
 * {@link Idempotency} over Powertools for AWS Lambda's idempotency utility and its
 * DynamoDB persistence layer: a conditional put claims the key (INPROGRESS, expiring
 * with the invocation), the answer is stored on success, the claim deleted on error.
 *
 * @example
 * ```ts
 * const idempotency = createPowertoolsIdempotency({ tableName: env.IDEMPOTENCY_TABLE_NAME, client: createDynamoDbClient(env) });
 * const answer = await idempotency.run(request, context, () => respond());
 * ```
 */
export function createPowertoolsIdempotency(options: PowertoolsIdempotencyOptions): Idempotency {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
    keyAttr: IDEMPOTENCY_TABLE_SCHEMA.partitionKey,
    expiryAttr: IDEMPOTENCY_TABLE_SCHEMA.timeToLiveAttribute,
  });
  const settings = {
    eventKeyJmesPath: 'owner',
    payloadValidationJmesPath: 'request',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.retentionSeconds ?? IDEMPOTENCY_RETENTION_SECONDS,
    // Record ids derive from caller-chosen keys; a collision-resistant hash keeps one
    // caller from ever landing on another's record.
    hashFunction: 'sha256',
  } as const;

  return {
    async run(request, context, execute) {
      // A config per request: it carries this invocation's context, whose remaining
      // time bounds the in-progress claim (a timed-out Lambda does not hold the key for
      // 24 h), and the local server runs requests of one function concurrently.
      const config = new IdempotencyConfig({
        ...settings,
        lambdaContext: context,
        // Called only when answering from a stored record.
        responseHook: (stored) => markReplayed(stored as APIGatewayProxyStructuredResultV2) as typeof stored,
      });
      const idempotent = makeIdempotent((_payload: HashedPayload) => execute(), { persistenceStore, config, keyPrefix: KEY_PREFIX });
      const { scope, subject, key } = request;
      try {
        return await idempotent({ owner: { scope, subject, key }, request: request.request });
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

function markReplayed(stored: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 {
  return { ...stored, headers: { ...stored.headers, [IDEMPOTENCY_REPLAYED_HEADER]: 'true' } };
}

const field = `header.${IDEMPOTENCY_KEY_HEADER}`;

/** The utility's own errors as Sluice's; the operation's errors pass through untouched. */
function translate(error: unknown): unknown {
  if (error instanceof IdempotencyAlreadyInProgressError || error instanceof IdempotencyInconsistentStateError) {
    return new ConflictError('A request with this Idempotency-Key is still in progress; retry once it has finished.', {
      cause: error,
      errors: [{ field, message: 'in progress' }],
    });
  }
  if (error instanceof IdempotencyValidationError) {
    return new ValidationError(
      'This Idempotency-Key was already used for a different request (route, path, query or body); use a new key.',
      {
        cause: error,
        errors: [{ field, message: 'already used for a different request' }],
      },
    );
  }
  return error;
}
