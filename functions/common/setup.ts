import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from './clock.js';
import { createDocumentClient } from './ddb.js';
import { type Env, readEnv } from './env.js';
import { createEventFeed, type EventFeed } from './feed.js';
import { functionLogger, type Logger } from './logger.js';
import { functionMetrics, type Metrics } from './metrics.js';

/** What every route group builds first, once per cold start. */
export interface BaseSetup {
  readonly env: Env;
  readonly logger: Logger;
  /** What happened, as CloudWatch metrics (published by `observe` at the end of each invocation). */
  readonly metrics: Metrics;
  readonly claims: { readonly tenant: string; readonly roles: string };
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** Timelines and the tenant's events feed (common/feed.ts), on `db`. */
  readonly feed: EventFeed;
}

export function baseSetup(env: Env = readEnv()): BaseSetup {
  const db = createDocumentClient(env);
  return {
    env,
    logger: functionLogger(),
    metrics: functionMetrics(),
    claims: { tenant: env.TENANT_CLAIM, roles: env.ROLES_CLAIM },
    db,
    tableName: env.TABLE_NAME,
    clock: systemClock,
    feed: createEventFeed(db, env.TABLE_NAME, { now: () => systemClock.now(), pollMs: env.SLUICE_FEED_POLL_MS }),
  };
}
