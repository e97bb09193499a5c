import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '../common/aws-sdk.js';
import { isConditionFailure, withoutKeys } from '../common/ddb-items.js';
import { queryPrefixPage } from '../common/ddb-query.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { type Page, toPage } from '../common/pagination.js';
import type { AutoUpgradeProfileView } from './profile-schemas.js';

/** A stored profile: the view plus its tenant and the revision every write moves on. */
export interface ProfileRecord extends AutoUpgradeProfileView {
  readonly tenantId: string;
  readonly revision: number;
}

export type LastRun = NonNullable<AutoUpgradeProfileView['lastRun']>;

/**
 * What the fan-out did for one (tenant, profile, version): the marker that makes a
 * publish start at most one run per profile however often its event is delivered.
 *
 * - `CLAIMED`: an invocation took it (`claimedAt`) and is creating the run; it cannot be
 *   running after `leaseUntil` (its deadline), so from then on another may take it over.
 * - `CREATED`: the run exists (`runId`) and is not started yet; once `leaseUntil` is over,
 *   another delivery takes it over and starts that run (never a second one).
 * - `STARTED`: the run was started.
 * - `FAILED`: a refusal (a 4xx: strategy gone, another run of the component running, …);
 *   final, `error` says what.
 * - `RETRY`: an unexpected error; a later delivery of the event takes the marker again.
 */
export type RunMarkerStatus = 'CLAIMED' | 'CREATED' | 'STARTED' | 'FAILED' | 'RETRY';

export interface RunMarker {
  readonly tenantId: string;
  readonly profile: string;
  readonly version: string;
  readonly status: RunMarkerStatus;
  readonly claimedAt: string;
  /** When the invocation holding the claim is over for sure (its timeout). */
  readonly leaseUntil: string;
  /** How many invocations have taken the marker. */
  readonly attempts: number;
  readonly runId?: string;
  readonly startedAt?: string;
  readonly failedAt?: string;
  readonly error?: { readonly name: string; readonly message: string; readonly status?: number };
}

/** The fields a marker update may set (never its identity). */
export type RunMarkerPatch = Partial<Pick<RunMarker, 'status' | 'runId' | 'startedAt' | 'failedAt' | 'error'>>;

/** Auto-upgrade profiles' storage port, and the fan-out's run markers. */
export interface ProfileRepository {
  /** Fails with `ConflictError` when the tenant has a profile of that name. */
  create(profile: ProfileRecord): Promise<void>;
  get(tenantId: string, name: string): Promise<ProfileRecord | undefined>;
  list(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<ProfileRecord>>;
  /**
   * Writes `next` only if the stored revision is still `next.revision - 1`: `NotFoundError`
   * when the profile is gone, `ConflictError` when it changed meanwhile.
   */
  replace(next: ProfileRecord): Promise<void>;
  /** Fails with `NotFoundError` when there is nothing to delete. */
  delete(tenantId: string, name: string): Promise<void>;
  /**
   * Every profile of every tenant on a component: one query of gsi1
   * (`AUTO_UPGRADE#<componentId>`), followed page by page; no scan.
   */
  byComponent(componentId: string): Promise<ProfileRecord[]>;
  /** Sets `lastRun` and moves the revision on; a profile deleted meanwhile is left alone (false). */
  recordLastRun(tenantId: string, name: string, lastRun: LastRun, at: string): Promise<boolean>;

  /**
   * Takes the marker of (tenant, profile, version) for a new attempt, held until
   * `leaseUntil`: creates it as CLAIMED, or takes over one left RETRY, or one still CLAIMED
   * or CREATED whose lease is over (its invocation died). Answers the marker taken (with
   * any `runId` an earlier attempt recorded: that run is started, not created again), or,
   * when it is not to be taken, `{taken: false, marker}` with the marker as it stands.
   */
  claimRun(
    key: { tenantId: string; profile: string; version: string },
    now: string,
    leaseUntil: string,
  ): Promise<{ taken: true; marker: RunMarker } | { taken: false; marker: RunMarker }>;
  /** Records progress on a marker. */
  updateRun(key: { tenantId: string; profile: string; version: string }, patch: RunMarkerPatch): Promise<void>;
  getRun(key: { tenantId: string; profile: string; version: string }): Promise<RunMarker | undefined>;
}

export const profileKey = (tenantId: string, name: string) => ({ pk: `TENANT#${tenantId}`, sk: `AUTO_UPGRADE_PROFILE#${name}` });
const profileIndexKey = (componentId: string, tenantId: string, name: string) => ({
  gsi1pk: `AUTO_UPGRADE#${componentId}`,
  gsi1sk: `${tenantId}#${name}`,
});
export const runMarkerKey = ({ tenantId, profile, version }: { tenantId: string; profile: string; version: string }) => ({
  pk: `TENANT#${tenantId}`,
  sk: `AUTO_UPGRADE_RUN#${profile}#${version}`,
});

/**
 * The view of a record, field by field: an item read back keeps no attribute order, and
 * the view is a strict object (no tenant, no revision).
 */
export function toProfileView(record: ProfileRecord): AutoUpgradeProfileView {
  return {
    name: record.name,
    componentId: record.componentId,
    channel: record.channel,
    strategyName: record.strategyName,
    ...(record.upgrade === undefined ? {} : { upgrade: record.upgrade }),
    emergencyForSecurity: record.emergencyForSecurity,
    disabled: record.disabled,
    ...(record.lastRun === undefined ? {} : { lastRun: record.lastRun }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function createProfileRepository(db: DynamoDBDocumentClient, tableName: string): ProfileRepository {
  const toRecord = (item: Record<string, unknown>) => withoutKeys<ProfileRecord>(item);
  const item = (record: ProfileRecord) => ({
    ...profileKey(record.tenantId, record.name),
    ...profileIndexKey(record.componentId, record.tenantId, record.name),
    ...record,
  });

  const get = async (tenantId: string, name: string) => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: profileKey(tenantId, name), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  };
  const getRun = async (key: { tenantId: string; profile: string; version: string }) => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: runMarkerKey(key), ConsistentRead: true }));
    return Item ? withoutKeys<RunMarker>(Item) : undefined;
  };

  return {
    async create(profile) {
      try {
        await db.send(new PutCommand({ TableName: tableName, Item: item(profile), ConditionExpression: 'attribute_not_exists(pk)' }));
      } catch (error) {
        if (isConditionFailure(error)) {
          throw new ConflictError(`An auto-upgrade profile named ${profile.name} already exists.`, { cause: error });
        }
        throw error;
      }
    },

    get,

    async list(tenantId, page) {
      const { items, nextToken } = await queryPrefixPage(db, {
        tableName,
        pk: `TENANT#${tenantId}`,
        prefix: 'AUTO_UPGRADE_PROFILE#',
        ...page,
      });
      return toPage(items.map(toRecord), undefined, nextToken);
    },

    async replace(next) {
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: item(next),
            ConditionExpression: 'revision = :previous',
            ExpressionAttributeValues: { ':previous': next.revision - 1 },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (!(await get(next.tenantId, next.name))) {
          throw new NotFoundError(`Auto-upgrade profile ${next.name} was not found.`, { cause: error });
        }
        throw new ConflictError(`Auto-upgrade profile ${next.name} was changed concurrently; read it again and retry.`, { cause: error });
      }
    },

    async delete(tenantId, name) {
      try {
        await db.send(
          new DeleteCommand({ TableName: tableName, Key: profileKey(tenantId, name), ConditionExpression: 'attribute_exists(pk)' }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw new NotFoundError(`Auto-upgrade profile ${name} was not found.`, { cause: error });
        throw error;
      }
    },

    async byComponent(componentId) {
      // A GSI reads eventually consistent: a profile created a moment before the publish
      // may be missed, as it would be had it been created a moment after.
      const records: ProfileRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const result = await db.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': `AUTO_UPGRADE#${componentId}` },
            ExclusiveStartKey: start,
          }),
        );
        records.push(...(result.Items ?? []).map(toRecord));
        start = result.LastEvaluatedKey;
      } while (start);
      return records;
    },

    async recordLastRun(tenantId, name, lastRun, at) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey(tenantId, name),
            // The revision moves too, so a PATCH read before this write cannot put the old lastRun back.
            UpdateExpression: 'SET lastRun = :lastRun, updatedAt = :at, revision = revision + :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':lastRun': lastRun, ':at': at, ':one': 1 },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async claimRun(key, now, leaseUntil) {
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...runMarkerKey(key), ...key, status: 'CLAIMED', claimedAt: now, leaseUntil, attempts: 1 },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { taken: true, marker: { ...key, status: 'CLAIMED', claimedAt: now, leaseUntil, attempts: 1 } };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const existing = await getRun(key);
      if (!existing) {
        // Deleted between the put and the read: nothing deletes markers, so this is not expected.
        throw new ConflictError(`The auto-upgrade marker of ${key.profile} ${key.version} vanished; deliver the event again.`);
      }
      const abandoned = (existing.status === 'CLAIMED' || existing.status === 'CREATED') && existing.leaseUntil < now;
      const takeable = existing.status === 'RETRY' || abandoned;
      if (!takeable) return { taken: false, marker: existing };
      try {
        // Only the marker as read: of two invocations taking over the same one, one wins.
        const { Attributes } = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: runMarkerKey(key),
            UpdateExpression: 'SET #status = :claimed, claimedAt = :now, leaseUntil = :lease, attempts = attempts + :one',
            ConditionExpression: '#status = :seen AND claimedAt = :seenAt',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':claimed': 'CLAIMED',
              ':now': now,
              ':lease': leaseUntil,
              ':one': 1,
              ':seen': existing.status,
              ':seenAt': existing.claimedAt,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { taken: true, marker: withoutKeys<RunMarker>(Attributes ?? {}) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { taken: false, marker: (await getRun(key)) ?? existing };
      }
    },

    async updateRun(key, patch) {
      const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
      if (entries.length === 0) return;
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: runMarkerKey(key),
          UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([field], index) => [`#f${index}`, field])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])),
        }),
      );
    },

    getRun,
  };
}
