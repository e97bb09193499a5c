import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, BatchWriteCommand } from './aws-sdk.js';

/** BatchWrite and BatchGet may leave part of a request unprocessed under load: ask again after a short backoff. */
const backoff = (attempt: number) => new Promise((done) => setTimeout(done, Math.min(1000, 25 * 2 ** attempt)));

/** Puts every item, 25 to a BatchWrite, sending again whatever comes back unprocessed. */
export async function batchPutAll(db: DynamoDBDocumentClient, tableName: string, items: readonly Record<string, unknown>[]): Promise<void> {
  for (let offset = 0; offset < items.length; offset += 25) {
    let requests: Record<string, unknown>[] | undefined = items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests && requests.length > 0; attempt += 1) {
      if (attempt > 0) await backoff(attempt);
      const result = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests as never } }));
      requests = result.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
    }
  }
}

/** Reads every key that exists (strongly consistent), 100 to a BatchGet, asking again for unprocessed keys. In no particular order. */
export async function batchGetAll(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let offset = 0; offset < keys.length; offset += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(offset, offset + 100);
    for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
      if (attempt > 0) await backoff(attempt);
      const result = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(result.Responses?.[tableName] ?? []));
      pending = result.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return found;
}
