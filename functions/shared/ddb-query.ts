import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { decodeNextToken, toPage, type Page } from './pagination.js';

/**
 * One page of the items of partition `pk` whose sort key begins with `prefix`: the
 * shape of almost every list in the API. The `nextToken` only resumes this partition.
 */
export async function queryPrefixPage(
  db: DynamoDBDocumentClient,
  input: { tableName: string; pk: string; prefix: string; limit: number; nextToken?: string; newestFirst?: boolean },
): Promise<Page<Record<string, unknown>>> {
  const result = await db.send(
    new QueryCommand({
      TableName: input.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': input.pk, ':prefix': input.prefix },
      ...(input.newestFirst ? { ScanIndexForward: false } : {}),
      Limit: input.limit,
      ExclusiveStartKey: decodeNextToken(input.nextToken, { pk: input.pk }),
    }),
  );
  return toPage(result.Items ?? [], result.LastEvaluatedKey);
}

/** Every item a query matches, following `LastEvaluatedKey` (callers bound it by key). */
export async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const result = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(result.Items ?? []));
    start = result.LastEvaluatedKey;
  } while (start);
  return items;
}
