import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../common/ddb-query.js';

/** One of a tenant's services of a component, as the orchestrator-style create needs it. */
export interface ComponentService {
  readonly project: string;
  readonly name: string;
  /** The version it runs. */
  readonly version: string;
}

/** What the orchestrator-style API reads beside the use cases: the services of a component. */
export interface RegistryRepository {
  /** Every service of the tenant (any project) that runs the component, by project and name. */
  servicesOfComponent(tenantId: string, componentId: string): Promise<ComponentService[]>;
}

export function createRegistryRepository(db: DynamoDBDocumentClient, tableName: string): RegistryRepository {
  return {
    async servicesOfComponent(tenantId, componentId) {
      // The services' items (functions/services/service-repository.ts, serviceKey): one
      // query of the tenant's partition, bounded by the SERVICE# prefix, kept by component.
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: 'componentId = :componentId',
        ProjectionExpression: '#project, #name, #version',
        ExpressionAttributeNames: { '#project': 'project', '#name': 'name', '#version': 'version' },
        ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'SERVICE#', ':componentId': componentId },
        ConsistentRead: true,
      });
      return items
        .map((item) => ({ project: String(item.project), name: String(item.name), version: String(item.version) }))
        .sort((a, b) => `${a.project}/${a.name}`.localeCompare(`${b.project}/${b.name}`));
    },
  };
}
