import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactionCanceledException, TransactWriteCommand } from '../common/aws-sdk.js';
import { batchGetAll } from '../common/ddb-batch.js';
import { conditionFailuresOf } from '../common/ddb-items.js';
import { queryAll, queryPrefixPage } from '../common/ddb-query.js';
import { ConflictError } from '../common/errors.js';
import { decodeNextToken, type Page, toPage } from '../common/pagination.js';
import type { ReleaseChannel } from '../domain/channels.js';
import { VERSION_PUBLISHED, type VersionPublishedDetail } from '../domain/events.js';
import type { Component, Version } from './schemas.js';
import { versionSortKey } from './version-policy.js';

/** The catalog's storage port. Use cases depend on this, never on the SDK. */
export interface CatalogRepository {
  /** Fails with `ConflictError` when the name is taken. */
  createComponent(component: Component): Promise<void>;
  getComponent(componentId: string): Promise<Component | undefined>;
  listComponents(page: { limit: number; nextToken?: string; name?: string }): Promise<Page<Component>>;
  /**
   * Writes the version and its VersionPublished event (functions/domain/events.ts) in one
   * transaction: both or neither. Fails with `ConflictError` when the version is already published.
   */
  putVersion(version: Version): Promise<void>;
  getVersion(componentId: string, version: string): Promise<Version | undefined>;
  /** The versions of these keys that exist, read together (one BatchGet per 100 keys). In no particular order. */
  getVersions(keys: readonly { componentId: string; version: string }[]): Promise<Version[]>;
  /** Newest first. */
  /** Newest first; `channel` keeps only the versions published on it. */
  listVersions(componentId: string, page: { limit: number; nextToken?: string; channel?: ReleaseChannel }): Promise<Page<Version>>;
  /** Every version of a component (the policy needs the whole catalog of one component). */
  allVersions(componentId: string): Promise<Version[]>;
}

const componentKey = (componentId: string) => ({ pk: `COMPONENT#${componentId}`, sk: '#COMPONENT' });
const nameKey = (name: string) => ({ pk: `COMPONENT_NAME#${name}`, sk: '#NAME' });
const versionKey = (componentId: string, version: string) => ({ pk: `COMPONENT#${componentId}`, sk: `VERSION#${versionSortKey(version)}` });
const COMPONENTS_INDEX_PK = 'COMPONENTS';

export function createCatalogRepository(db: DynamoDBDocumentClient, tableName: string): CatalogRepository {
  const toComponent = (item: Record<string, unknown>): Component => ({
    componentId: item.componentId as string,
    name: item.name as string,
    ...(item.description === undefined ? {} : { description: item.description as string }),
    createdAt: item.createdAt as string,
  });
  const toVersion = ({ pk, sk, ...version }: Record<string, unknown>): Version => version as Version;

  return {
    async createComponent(component) {
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              // The name item makes `name` unique across the catalog: both writes or neither.
              {
                Put: {
                  TableName: tableName,
                  Item: { ...nameKey(component.name), componentId: component.componentId },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: { ...componentKey(component.componentId), gsi1pk: COMPONENTS_INDEX_PK, gsi1sk: component.name, ...component },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          throw new ConflictError(`A component named ${component.name} already exists.`, { cause: error });
        }
        throw error;
      }
    },

    async getComponent(componentId) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: componentKey(componentId) }));
      return Item ? toComponent(Item) : undefined;
    },

    async listComponents({ limit, nextToken, name }) {
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: name === undefined ? 'gsi1pk = :pk' : 'gsi1pk = :pk AND gsi1sk = :name',
          ExpressionAttributeValues: { ':pk': COMPONENTS_INDEX_PK, ...(name === undefined ? {} : { ':name': name }) },
          Limit: limit,
          ExclusiveStartKey: decodeNextToken(nextToken, {
            gsi1pk: COMPONENTS_INDEX_PK,
            gsi1sk: name === undefined ? { prefix: '' } : name,
            pk: { prefix: 'COMPONENT#' },
            sk: componentKey('').sk,
          }),
        }),
      );
      return toPage((result.Items ?? []).map(toComponent), result.LastEvaluatedKey);
    },

    async putVersion(version) {
      const detail: VersionPublishedDetail = {
        componentId: version.componentId,
        version: version.version,
        channel: version.channel,
        security: version.security,
      };
      // The event, in the component's partition, reaches the auto-upgrade fan-out through the
      // table's stream; nothing but this write happens inside the publish request.
      const event = {
        pk: componentKey(version.componentId).pk,
        // A random suffix keeps two events of the same millisecond apart, in order of time.
        sk: `EVENT#${version.publishedAt}#${randomUUID().slice(0, 8)}`,
        type: VERSION_PUBLISHED,
        at: version.publishedAt,
        actor: version.publishedBy,
        detail,
      };
      try {
        await db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: { ...versionKey(version.componentId, version.version), ...version },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName: tableName, Item: event, ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        );
      } catch (error) {
        if (conditionFailuresOf(error)?.includes(0)) {
          throw new ConflictError(`Version ${version.version} is already published.`, { cause: error });
        }
        throw error;
      }
    },

    async getVersion(componentId, version) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: versionKey(componentId, version) }));
      return Item ? toVersion(Item) : undefined;
    },

    async getVersions(keys) {
      if (keys.length === 0) return [];
      const items = await batchGetAll(
        db,
        tableName,
        keys.map(({ componentId, version }) => versionKey(componentId, version)),
      );
      return items.map(toVersion);
    },

    async listVersions(componentId, { channel, ...page }) {
      const filter = channel
        ? { expression: '#channel = :channel', names: { '#channel': 'channel' }, values: { ':channel': channel } }
        : undefined;
      const { items, nextToken } = await queryPrefixPage(db, {
        tableName,
        pk: componentKey(componentId).pk,
        prefix: 'VERSION#',
        newestFirst: true,
        ...page,
        ...(filter ? { filter } : {}),
      });
      return toPage(items.map(toVersion), undefined, nextToken);
    },

    async allVersions(componentId) {
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': componentKey(componentId).pk, ':prefix': 'VERSION#' },
      });
      return items.map(toVersion);
    },
  };
}
