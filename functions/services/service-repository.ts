import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '../common/aws-sdk.js';
import { batchGetAll } from '../common/ddb-batch.js';
import { isConditionFailure, type TransactItem } from '../common/ddb-items.js';
import { queryAll, queryPrefixPage } from '../common/ddb-query.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { type Page, toPage } from '../common/pagination.js';
import type { ServiceRecord } from './service.js';

export interface ServiceKey {
  readonly tenantId: string;
  readonly project: string;
  readonly name: string;
}

/** The services' storage port. */
export interface ServiceRepository {
  /** Fails with `ConflictError` when the service exists. */
  create(service: ServiceRecord): Promise<void>;
  get(key: ServiceKey): Promise<ServiceRecord | undefined>;
  list(tenantId: string, project: string, page: { limit: number; nextToken?: string }): Promise<Page<ServiceRecord>>;
  /**
   * Every service of a component in a tenant, in project/name order: one query of the
   * tenant's partition (no scan), bounded by the tenant's own service count. What update
   * runs resolve their members from and compliance counts.
   */
  listByComponent(tenantId: string, componentId: string): Promise<ServiceRecord[]>;
  /** The services of these keys that exist (one BatchGet per 100), in no particular order. */
  getMany(keys: readonly ServiceKey[]): Promise<ServiceRecord[]>;
  /**
   * Writes `next` only if the stored revision is still `next.revision - 1`: two
   * concurrent patches cannot both win, the loser gets `ConflictError`.
   */
  replace(next: ServiceRecord): Promise<void>;
  /** The write `replace` makes, for a transaction of another repository (same optimistic condition). */
  replaceWrite(next: ServiceRecord): TransactItem;
  /** Fails with `NotFoundError` when there is nothing to delete. */
  delete(key: ServiceKey): Promise<void>;
}

export const serviceKey = ({ tenantId, project, name }: ServiceKey) => ({ pk: `TENANT#${tenantId}`, sk: `SERVICE#${project}#${name}` });

/** A put of the whole service, conditional on the revision it was read at. */
const putAtRevision = (tableName: string, next: ServiceRecord) => ({
  TableName: tableName,
  Item: { ...serviceKey({ tenantId: next.tenantId, project: next.project, name: next.name }), ...next },
  ConditionExpression: 'revision = :previous',
  ExpressionAttributeValues: { ':previous': next.revision - 1 },
});

export function createServiceRepository(db: DynamoDBDocumentClient, tableName: string): ServiceRepository {
  const toRecord = ({ pk, sk, ...record }: Record<string, unknown>): ServiceRecord => record as unknown as ServiceRecord;
  const replacePut = (next: ServiceRecord) => putAtRevision(tableName, next);

  return {
    async create(service) {
      try {
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...serviceKey({ tenantId: service.tenantId, project: service.project, name: service.name }), ...service },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (isConditionFailure(error))
          throw new ConflictError(`Service ${service.project}/${service.name} already exists.`, { cause: error });
        throw error;
      }
    },

    async get(key) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: serviceKey(key), ConsistentRead: true }));
      return Item ? toRecord(Item) : undefined;
    },

    async list(tenantId, project, page) {
      const { items, nextToken } = await queryPrefixPage(db, {
        tableName,
        pk: `TENANT#${tenantId}`,
        prefix: `SERVICE#${project}#`,
        ...page,
      });
      return toPage(items.map(toRecord), undefined, nextToken);
    },

    async listByComponent(tenantId, componentId) {
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: 'componentId = :component',
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'SERVICE#', ':component': componentId },
        ConsistentRead: true,
      });
      return items.map(toRecord);
    },

    async getMany(keys) {
      return (await batchGetAll(db, tableName, keys.map(serviceKey))).map(toRecord);
    },

    replaceWrite: (next) => ({ Put: replacePut(next) }),

    async replace(next) {
      try {
        await db.send(new PutCommand(replacePut(next)));
      } catch (error) {
        if (isConditionFailure(error)) {
          throw new ConflictError(`Service ${next.project}/${next.name} was changed or deleted concurrently; read it again and retry.`, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async delete(key) {
      try {
        await db.send(new DeleteCommand({ TableName: tableName, Key: serviceKey(key), ConditionExpression: 'attribute_exists(pk)' }));
      } catch (error) {
        if (isConditionFailure(error)) throw new NotFoundError(`Service ${key.project}/${key.name} was not found.`, { cause: error });
        throw error;
      }
    },
  };
}
