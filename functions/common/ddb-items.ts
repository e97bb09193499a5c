import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../domain/table-schema.js';
import { TransactionCanceledException } from './aws-sdk.js';

/** Every key attribute of the single table: the base key and each index's. */
const KEY_ATTRIBUTES: ReadonlySet<string> = new Set([
  TABLE_SCHEMA.partitionKey,
  TABLE_SCHEMA.sortKey,
  ...TABLE_SCHEMA.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/** An item as the domain sees it: the table's key attributes removed. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.has(name))) as T;
}

/** A single-item write whose `ConditionExpression` did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Which items of a cancelled transaction failed their condition: `undefined` when the
 * error is not a cancelled transaction, else the indexes (possibly none, when it was
 * cancelled for another reason such as a conflicting transaction).
 */
export function conditionFailuresOf(error: unknown): number[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
}

/**
 * One write of a transaction. Repositories hand these to each other so that one use
 * case can commit changes to several kinds of item at once (an upgrade's completion and
 * the service version it sets); only repositories build or read them.
 */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
