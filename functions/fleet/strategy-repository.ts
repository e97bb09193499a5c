import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '../common/aws-sdk.js';
import { isConditionFailure, withoutKeys } from '../common/ddb-items.js';
import { queryPrefixPage } from '../common/ddb-query.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { type Page, toPage } from '../common/pagination.js';
import type { StageSpec } from './schemas.js';

/** An update strategy as stored under its tenant (the key attributes aside). */
export interface StrategyRecord {
  readonly name: string;
  readonly stages: readonly StageSpec[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The update strategies' storage port. */
export interface StrategyRepository {
  /** Fails with `ConflictError` when the tenant has a strategy of that name. */
  create(tenantId: string, strategy: StrategyRecord): Promise<void>;
  get(tenantId: string, name: string): Promise<StrategyRecord | undefined>;
  /** The tenant's strategies in name order. */
  list(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<StrategyRecord>>;
  /** Replaces the stages and moves `updatedAt`, keeping `createdAt`; fails with `NotFoundError` when there is none. */
  replace(tenantId: string, name: string, change: { stages: readonly StageSpec[]; updatedAt: string }): Promise<StrategyRecord>;
  /** Fails with `NotFoundError` when there is nothing to delete. */
  delete(tenantId: string, name: string): Promise<void>;
}

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const PREFIX = 'UPDATE_STRATEGY#';
const strategyKey = (tenantId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `${PREFIX}${name}` });

export function createStrategyRepository(db: DynamoDBDocumentClient, tableName: string): StrategyRepository {
  const notFound = (name: string, cause: unknown) => new NotFoundError(`Update strategy ${name} was not found.`, { cause });

  return {
    async create(tenantId, strategy) {
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...strategyKey(tenantId, strategy.name), ...strategy },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw new ConflictError(`Update strategy ${strategy.name} already exists.`, { cause: error });
        throw error;
      }
    },

    async get(tenantId, name) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: strategyKey(tenantId, name), ConsistentRead: true }));
      return Item ? withoutKeys<StrategyRecord>(Item) : undefined;
    },

    async list(tenantId, page) {
      const { items, nextToken } = await queryPrefixPage(db, { tableName, pk: tenantPk(tenantId), prefix: PREFIX, ...page });
      return toPage(
        items.map((item) => withoutKeys<StrategyRecord>(item)),
        undefined,
        nextToken,
      );
    },

    async replace(tenantId, name, { stages, updatedAt }) {
      try {
        const result = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: strategyKey(tenantId, name),
            UpdateExpression: 'SET #stages = :stages, #updatedAt = :updatedAt',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#stages': 'stages', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: { ':stages': stages, ':updatedAt': updatedAt },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return withoutKeys<StrategyRecord>(result.Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) throw notFound(name, error);
        throw error;
      }
    },

    async delete(tenantId, name) {
      try {
        await db.send(
          new DeleteCommand({ TableName: tableName, Key: strategyKey(tenantId, name), ConditionExpression: 'attribute_exists(pk)' }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw notFound(name, error);
        throw error;
      }
    },
  };
}
