import { type Env, readEnv } from '../env.js';
import { type BaseSetup, baseSetup } from '../setup.js';
import { createDynamoDbIdempotency } from './dynamodb-idempotency.js';
import type { Idempotency } from './idempotency.js';

/** What every API route group builds first: {@link BaseSetup} plus the Idempotency-Key store. */
export interface ApiSetup extends BaseSetup {
  /** `undefined` when `IDEMPOTENCY_TABLE_NAME` is not set: keys are then checked but not honoured. */
  readonly idempotency: Idempotency | undefined;
}

/**
 * {@link baseSetup} for a function behind the API. Kept apart from `baseSetup` so the
 * task and scheduled functions, which take no Idempotency-Key, bundle none of it.
 *
 * @example
 * setup: () => { const base = apiSetup(); return { ...base, dependencies: makeThings(base) }; }
 */
export function apiSetup(env: Env = readEnv()): ApiSetup {
  const base = baseSetup(env);
  return {
    ...base,
    idempotency: env.IDEMPOTENCY_TABLE_NAME
      ? createDynamoDbIdempotency({ tableName: env.IDEMPOTENCY_TABLE_NAME, client: base.db })
      : undefined,
  };
}
