import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from './aws-sdk.js';
import { decodeNextToken, type Page, toPage } from './pagination.js';

/** A condition on the items of a page that the key cannot express, such as a version's channel. */
export interface ItemFilter {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * One page of the items of partition `pk` whose sort key begins with `prefix`: the
 * shape of almost every list in the API. The `nextToken` only resumes this list: this
 * partition, a sort key under this prefix.
 *
 * With a `filter`, DynamoDB's `Limit` counts the items read, not the items kept, so a
 * page could come back short or empty with more to read: it reads on until the page
 * is full or the partition ends, and resumes after the last item it keeps.
 */
export async function queryPrefixPage(
  db: DynamoDBDocumentClient,
  input: { tableName: string; pk: string; prefix: string; limit: number; nextToken?: string; newestFirst?: boolean; filter?: ItemFilter },
): Promise<Page<Record<string, unknown>>> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined = decodeNextToken(input.nextToken, { pk: input.pk, sk: { prefix: input.prefix } });
  do {
    const result = await db.send(
      new QueryCommand({
        TableName: input.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': input.pk, ':prefix': input.prefix, ...input.filter?.values },
        ...(input.filter ? { FilterExpression: input.filter.expression } : {}),
        ...(input.filter?.names ? { ExpressionAttributeNames: input.filter.names } : {}),
        ...(input.newestFirst ? { ScanIndexForward: false } : {}),
        Limit: input.limit,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(result.Items ?? []));
    start = result.LastEvaluatedKey;
  } while (input.filter && start && items.length < input.limit);
  if (items.length <= input.limit) return toPage(items, start);
  const page = items.slice(0, input.limit);
  const last = page[page.length - 1] ?? {};
  return toPage(page, { pk: last.pk, sk: last.sk });
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
