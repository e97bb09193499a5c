import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactionCanceledException, TransactWriteCommand, UpdateCommand } from '../common/aws-sdk.js';
import { batchGetAll, batchPutAll } from '../common/ddb-batch.js';
import { conditionFailuresOf, isConditionFailure, withoutKeys as strip, type TransactItem } from '../common/ddb-items.js';
import { queryAll, queryPrefixPage } from '../common/ddb-query.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { createEventFeed, type EventFeed, type FeedPage, type FeedQuery, type Timeline } from '../common/feed.js';
import { decodeNextToken, type Page, type TokenShape, toPage } from '../common/pagination.js';
import { assertLegalTransition, type InstanceStatus, isTerminal, type Status } from '../domain/status.js';
import type { ExecutionRecord, InstanceRecord, NewTimelineEvent } from './execution.js';

/** Fields a transition or update may set on an execution (never its identity). */
export type ExecutionPatch = Partial<Omit<ExecutionRecord, 'executionId' | 'tenantId' | 'project' | 'service' | 'componentId' | 'status'>>;

export interface TransitionRequest {
  readonly from: readonly Status[];
  readonly to: Status;
  readonly set?: ExecutionPatch;
  /** Attributes to remove in the same write (e.g. `waitingFor`, `resumeToken`). */
  readonly remove?: readonly (keyof ExecutionRecord)[];
  readonly event: NewTimelineEvent;
  /**
   * Writes of other repositories committed in the same transaction (a completion's
   * service version and pending auto-validations), so that whoever reads the new status
   * reads its consequences too. If one of their conditions fails, nothing is written
   * and the transition answers `ConflictError` like a status that moved.
   */
  readonly alsoWrite?: readonly TransactItem[];
}

export interface ComponentStatistics {
  totalExecutions: number;
  successfulExecutions: number;
  failedExecutions: number;
  durationSecondsSum: number;
  /** Executions that started and so have a duration (in `durationSecondsSum`). */
  timedExecutions: number;
}

/** The executions' storage port. */
export interface UpgradeRepository {
  /** Fails with `ConflictError` when the service already has an active execution. */
  create(execution: ExecutionRecord, instances: readonly InstanceRecord[], event: NewTimelineEvent): Promise<void>;
  get(tenantId: string, executionId: string): Promise<ExecutionRecord | undefined>;
  /** The executions of these ids that exist, strongly consistent (a fleet run reads its running members'). */
  getMany(tenantId: string, executionIds: readonly string[]): Promise<ExecutionRecord[]>;
  list(
    tenantId: string,
    query: { limit: number; nextToken?: string; status?: Status; componentId?: string },
  ): Promise<Page<ExecutionRecord>>;
  /** The active execution ids of a component's services in a tenant. */
  active(tenantId: string, componentId: string): Promise<ExecutionRecord[]>;
  /**
   * A conditional status change: succeeds only from one of `from`, else `ConflictError`
   * carrying the current status. `from` must hold only sources of `to` in the status
   * table (`assertLegalTransition`); anything else throws before a write. A terminal `to` also releases the service's active
   * lock and counts the execution in its component's statistics, in the same transaction.
   */
  transition(tenantId: string, executionId: string, request: TransitionRequest): Promise<ExecutionRecord>;
  /**
   * Sets fields without a status change, optionally only while the status is one of
   * `whileStatus` and only while `expect.field` still holds `expect.value` (absent when
   * `undefined`): a counter moved by one writer only, whatever the retries.
   */
  update(
    tenantId: string,
    executionId: string,
    set: ExecutionPatch,
    options?: {
      whileStatus?: readonly Status[];
      remove?: readonly (keyof ExecutionRecord)[];
      expect?: { readonly field: keyof ExecutionRecord; readonly value: string | number | undefined };
    },
  ): Promise<ExecutionRecord>;
  /** Removes an attribute and returns the value it had (used to take a task token exactly once). */
  take(tenantId: string, executionId: string, attribute: 'resumeToken' | 'gateToken'): Promise<string | undefined>;
  appendEvent(tenantId: string, executionId: string, event: NewTimelineEvent): Promise<void>;
  /** The execution's timeline in order, from a cursor, optionally held as a long poll (common/feed.ts). */
  events(executionId: string, query: FeedQuery): Promise<FeedPage>;
  instances(executionId: string, page: { limit: number; nextToken?: string }): Promise<Page<InstanceRecord>>;
  /** Instances with index in [start, end). */
  instanceRange(executionId: string, start: number, end: number): Promise<InstanceRecord[]>;
  /** The instances with these indexes, in index order (missing ones left out). */
  instancesAt(executionId: string, indexes: readonly number[]): Promise<InstanceRecord[]>;
  /**
   * Moves one instance to `to` if it is in one of `from` (else returns false and changes
   * nothing: a retried task cannot count twice). Counters move in the same transaction.
   */
  moveInstance(
    tenantId: string,
    instance: InstanceRecord,
    move: {
      from: readonly InstanceStatus[];
      to: InstanceStatus;
      set?: Partial<InstanceRecord>;
      countCompleted?: boolean;
      countFailed?: boolean;
      /** The instance was counted completed and no longer is (a canary found unhealthy later). */
      uncountCompleted?: boolean;
      /** The instance was counted failed and no longer is (it gets the retry pass). */
      uncountFailed?: boolean;
      rolledBack?: boolean;
      /** Settle an instance of an execution that already ended (cancel); otherwise an ended execution refuses every move. */
      afterEnd?: boolean;
    },
  ): Promise<boolean>;
  statistics(tenantId: string, componentId: string): Promise<ComponentStatistics>;
}

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const executionKey = (tenantId: string, executionId: string) => ({ pk: tenantPk(tenantId), sk: `UPGRADE#${executionId}` });
/** The base-table half of an execution's key, as a list token must carry it. */
const executionKeyShape = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: { prefix: 'UPGRADE#upg_' } }) satisfies TokenShape;
const activeKey = (e: Pick<ExecutionRecord, 'tenantId' | 'componentId' | 'project' | 'service'>) => ({
  pk: tenantPk(e.tenantId),
  sk: `ACTIVE#${e.componentId}#${e.project}#${e.service}`,
});
const statsKey = (tenantId: string, componentId: string) => ({ pk: tenantPk(tenantId), sk: `STATS#${componentId}` });
const timelinePk = (executionId: string) => `UPGRADE#${executionId}`;
const instanceKey = (executionId: string, index: number) => ({
  pk: timelinePk(executionId),
  sk: `INSTANCE#${String(index).padStart(6, '0')}`,
});
const statusIndexPk = (tenantId: string, status: Status) => `UPGRADES#${tenantId}#STATUS#${status}`;
const componentIndexPk = (tenantId: string, componentId: string) => `UPGRADES#${tenantId}#COMPONENT#${componentId}`;

export function createUpgradeRepository(
  db: DynamoDBDocumentClient,
  tableName: string,
  now: () => Date,
  feed: EventFeed = createEventFeed(db, tableName, { now }),
): UpgradeRepository {
  const timeline = (tenantId: string, executionId: string): Timeline => ({ tenantId, pk: timelinePk(executionId), about: { executionId } });

  const get = async (tenantId: string, executionId: string) => {
    const { Item } = await db.send(
      new GetCommand({ TableName: tableName, Key: executionKey(tenantId, executionId), ConsistentRead: true }),
    );
    return Item ? strip<ExecutionRecord>(Item) : undefined;
  };

  const getMany = async (tenantId: string, executionIds: readonly string[]) =>
    (
      await batchGetAll(
        db,
        tableName,
        executionIds.map((id) => executionKey(tenantId, id)),
      )
    ).map((item) => strip<ExecutionRecord>(item));

  const require = async (tenantId: string, executionId: string) => {
    const record = await get(tenantId, executionId);
    if (!record) throw new NotFoundError(`Upgrade ${executionId} was not found.`);
    return record;
  };

  /** Builds `SET a = :a, …` / `REMOVE …` for a patch. */
  const expression = (set: Record<string, unknown>, remove: readonly string[] = []) => {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    Object.entries(set).forEach(([key, value], index) => {
      if (value === undefined) return;
      names[`#s${index}`] = key;
      values[`:s${index}`] = value;
      sets.push(`#s${index} = :s${index}`);
    });
    const removes = remove.map((key, index) => {
      names[`#r${index}`] = key;
      return `#r${index}`;
    });
    const text = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    return { text, names, values };
  };

  return {
    async create(execution, instances, event) {
      if ((await db.send(new GetCommand({ TableName: tableName, Key: activeKey(execution), ConsistentRead: true }))).Item) {
        throw new ConflictError(`Service ${execution.project}/${execution.service} already has an active upgrade.`);
      }
      await batchPutAll(
        db,
        tableName,
        instances.map((instance) => ({ ...instanceKey(instance.executionId, instance.index), ...instance })),
      );
      try {
        await feed.transact(timeline(execution.tenantId, execution.executionId), [event], (eventWrites) => [
          {
            Put: {
              TableName: tableName,
              Item: {
                ...executionKey(execution.tenantId, execution.executionId),
                gsi1pk: componentIndexPk(execution.tenantId, execution.componentId),
                gsi1sk: execution.executionId,
                gsi2pk: statusIndexPk(execution.tenantId, execution.status),
                gsi2sk: execution.executionId,
                ...execution,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          // One active execution per service: the lock item exists exactly while one is active.
          {
            Put: {
              TableName: tableName,
              Item: { ...activeKey(execution), executionId: execution.executionId },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...eventWrites,
        ]);
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          throw new ConflictError(`Service ${execution.project}/${execution.service} already has an active upgrade.`, { cause: error });
        }
        throw error;
      }
    },

    get,
    getMany,

    async list(tenantId, { limit, nextToken, status, componentId }) {
      // Newest first everywhere: execution ids sort by creation time.
      const query: { IndexName?: string; KeyConditionExpression: string; partition: string; token: TokenShape } = status
        ? {
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :pk',
            partition: statusIndexPk(tenantId, status),
            token: { gsi2pk: statusIndexPk(tenantId, status), gsi2sk: { prefix: 'upg_' }, ...executionKeyShape(tenantId) },
          }
        : componentId
          ? {
              IndexName: 'gsi1',
              KeyConditionExpression: 'gsi1pk = :pk',
              partition: componentIndexPk(tenantId, componentId),
              token: { gsi1pk: componentIndexPk(tenantId, componentId), gsi1sk: { prefix: 'upg_' }, ...executionKeyShape(tenantId) },
            }
          : {
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              partition: tenantPk(tenantId),
              token: executionKeyShape(tenantId),
            };
      const partition = query.partition;
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          ...(query.IndexName ? { IndexName: query.IndexName } : {}),
          KeyConditionExpression: query.KeyConditionExpression,
          // Both filters at once: the status index narrows, the component is checked on the page.
          ...(status && componentId ? { FilterExpression: 'componentId = :component' } : {}),
          ExpressionAttributeValues: {
            ':pk': partition,
            ...(query.IndexName ? {} : { ':prefix': 'UPGRADE#' }),
            ...(status && componentId ? { ':component': componentId } : {}),
          },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: decodeNextToken(nextToken, query.token),
        }),
      );
      return toPage(
        (result.Items ?? []).map((item) => strip<ExecutionRecord>(item)),
        result.LastEvaluatedKey,
      );
    },

    async active(tenantId, componentId) {
      const locks = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': `ACTIVE#${componentId}#` },
          ConsistentRead: true,
        }),
      );
      const ids = (locks.Items ?? []).map((item) => item.executionId as string);
      return (await getMany(tenantId, ids)).sort((a, b) => b.executionId.localeCompare(a.executionId));
    },

    async transition(tenantId, executionId, { from, to, set = {}, remove = [], event, alsoWrite = [] }) {
      assertLegalTransition(from, to);
      const current = await require(tenantId, executionId);
      const terminal = isTerminal(to);
      const finishedAt = terminal ? (set.finishedAt ?? now().toISOString()) : set.finishedAt;
      const update = expression(
        { ...set, ...(finishedAt ? { finishedAt } : {}), status: to, gsi2pk: statusIndexPk(tenantId, to) },
        remove as string[],
      );
      const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tableName,
            Key: executionKey(tenantId, executionId),
            UpdateExpression: update.text,
            ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')})`,
            ExpressionAttributeNames: { ...update.names, '#status': 'status' },
            ExpressionAttributeValues: { ...update.values, ...fromValues },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ];
      if (terminal) {
        // An execution cancelled before it started has no duration to count.
        const timed = current.startedAt === undefined ? 0 : 1;
        const seconds =
          timed === 0 ? 0 : Math.max(0, (Date.parse(finishedAt ?? now().toISOString()) - Date.parse(current.startedAt ?? '')) / 1000);
        const success = to === 'COMPLETED' ? 1 : 0;
        const failure = to === 'FAILED' || to === 'ROLLED_BACK' ? 1 : 0;
        items.push(
          {
            Delete: {
              TableName: tableName,
              Key: activeKey(current),
              ConditionExpression: 'executionId = :id',
              ExpressionAttributeValues: { ':id': executionId },
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: statsKey(tenantId, current.componentId),
              UpdateExpression:
                'ADD totalExecutions :one, successfulExecutions :success, failedExecutions :failure, durationSecondsSum :seconds, timedExecutions :timed',
              ExpressionAttributeValues: { ':one': 1, ':success': success, ':failure': failure, ':seconds': seconds, ':timed': timed },
            },
          },
        );
      }
      items.push(...alsoWrite);
      try {
        await feed.transact(timeline(tenantId, executionId), [event], (eventWrites) => [...items, ...eventWrites]);
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          const latest = (await get(tenantId, executionId)) ?? current;
          throw new ConflictError(`The upgrade is ${latest.status}; it cannot move to ${to}.`, {
            cause: error,
            extensions: { currentStatus: latest.status },
          });
        }
        throw error;
      }
      return require(tenantId, executionId);
    },

    async update(tenantId, executionId, set, options = {}) {
      const update = expression(set, (options.remove ?? []) as string[]);
      const whileValues = Object.fromEntries((options.whileStatus ?? []).map((status, index) => [`:while${index}`, status]));
      const conditions = ['attribute_exists(pk)'];
      const names: Record<string, string> = { ...update.names };
      const values: Record<string, unknown> = { ...update.values, ...whileValues };
      if (options.whileStatus) {
        conditions.push(`#status IN (${Object.keys(whileValues).join(', ')})`);
        names['#status'] = 'status';
      }
      if (options.expect) {
        names['#expect'] = options.expect.field;
        if (options.expect.value === undefined) conditions.push('attribute_not_exists(#expect)');
        else {
          conditions.push('#expect = :expect');
          values[':expect'] = options.expect.value;
        }
      }
      try {
        const result = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: executionKey(tenantId, executionId),
            UpdateExpression: update.text,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return strip<ExecutionRecord>(result.Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) {
          const old = (error as { Item?: Record<string, unknown> }).Item;
          if (!old) throw new NotFoundError(`Upgrade ${executionId} was not found.`, { cause: error });
          throw new ConflictError(`The upgrade is ${String(old.status)}.`, { cause: error, extensions: { currentStatus: old.status } });
        }
        throw error;
      }
    },

    async take(tenantId, executionId, attribute) {
      const result = await db
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: executionKey(tenantId, executionId),
            UpdateExpression: 'REMOVE #a',
            ConditionExpression: 'attribute_exists(#a)',
            ExpressionAttributeNames: { '#a': attribute },
            ReturnValues: 'ALL_OLD',
          }),
        )
        .catch((error: unknown) => {
          if (isConditionFailure(error)) return undefined;
          throw error;
        });
      return result?.Attributes?.[attribute] as string | undefined;
    },

    async appendEvent(tenantId, executionId, event) {
      await feed.transact(timeline(tenantId, executionId), [event], (eventWrites) => eventWrites);
    },

    events: (executionId, query) => feed.timeline(timelinePk(executionId), query),

    async instances(executionId, page) {
      const { items, nextToken } = await queryPrefixPage(db, { tableName, pk: `UPGRADE#${executionId}`, prefix: 'INSTANCE#', ...page });
      return toPage(
        items.map((item) => strip<InstanceRecord>(item)),
        undefined,
        nextToken,
      );
    },

    async instanceRange(executionId, start, end) {
      if (end <= start) return [];
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': `UPGRADE#${executionId}`,
          ':from': instanceKey(executionId, start).sk,
          ':to': instanceKey(executionId, end - 1).sk,
        },
        ConsistentRead: true,
      });
      return items.map((item) => strip<InstanceRecord>(item));
    },

    async instancesAt(executionId, indexes) {
      const found = await batchGetAll(
        db,
        tableName,
        indexes.map((index) => instanceKey(executionId, index)),
      );
      return found.map((item) => strip<InstanceRecord>(item)).sort((a, b) => a.index - b.index);
    },

    async moveInstance(
      tenantId,
      instance,
      { from, to, set = {}, countCompleted, countFailed, uncountCompleted, uncountFailed, rolledBack, afterEnd },
    ) {
      const update = expression({ ...set, status: to, updatedAt: now().toISOString() });
      const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
      const counters: string[] = [];
      const counterValues: Record<string, unknown> = {};
      if (countCompleted) counters.push('completedCount :one');
      if (countFailed) counters.push('failedCount :one');
      if (uncountCompleted) counters.push('completedCount :minusOne');
      if (uncountFailed) counters.push('failedCount :minusOne');
      if (countCompleted || countFailed) counterValues[':one'] = 1;
      if (uncountCompleted || uncountFailed) counterValues[':minusOne'] = -1;
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tableName,
            Key: instanceKey(instance.executionId, instance.index),
            UpdateExpression: update.text,
            ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')})`,
            ExpressionAttributeNames: { ...update.names, '#status': 'status' },
            ExpressionAttributeValues: { ...update.values, ...fromValues },
          },
        },
      ];
      // A task still running when its execution ended (a cancel) must not move instances
      // on behind its back: every move is also conditional on the execution being live.
      const live = afterEnd
        ? {}
        : {
            ConditionExpression: 'NOT #status IN (:c, :f, :d, :r)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':c': 'CANCELLED', ':f': 'FAILED', ':d': 'COMPLETED', ':r': 'ROLLED_BACK' },
          };
      if (counters.length > 0 || rolledBack) {
        items.push({
          Update: {
            TableName: tableName,
            Key: executionKey(tenantId, instance.executionId),
            UpdateExpression: [
              counters.length ? `ADD ${counters.join(', ')}` : '',
              rolledBack ? 'SET rolledBackInstances = list_append(rolledBackInstances, :rolled)' : '',
            ]
              .filter(Boolean)
              .join(' '),
            ...live,
            ExpressionAttributeValues: {
              ...counterValues,
              ...(rolledBack ? { ':rolled': [instance.instanceId] } : {}),
              ...(live.ExpressionAttributeValues ?? {}),
            },
          },
        });
      } else if (!afterEnd) {
        items.push({ ConditionCheck: { TableName: tableName, Key: executionKey(tenantId, instance.executionId), ...live } as never });
      }
      try {
        await db.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        if (conditionFailuresOf(error)?.length) return false;
        throw error;
      }
    },

    async statistics(tenantId, componentId) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: statsKey(tenantId, componentId) }));
      return {
        totalExecutions: Number(Item?.totalExecutions ?? 0),
        successfulExecutions: Number(Item?.successfulExecutions ?? 0),
        failedExecutions: Number(Item?.failedExecutions ?? 0),
        durationSecondsSum: Number(Item?.durationSecondsSum ?? 0),
        // Items counted before timedExecutions existed timed every execution.
        timedExecutions: Number(Item?.timedExecutions ?? Item?.totalExecutions ?? 0),
      };
    },
  };
}
