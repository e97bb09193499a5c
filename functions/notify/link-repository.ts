import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, GetCommand, PutCommand, UpdateCommand } from '../common/aws-sdk.js';
import type { DecisionLinkRecord, DecisionLinkRepository } from './decision-links.js';

/** A link is kept a day past its expiry, so that a late click answers "expired" (410) rather than "not valid" (404). */
const KEEP_AFTER_EXPIRY_SECONDS = 86_400;

const key = (hash: string) => ({ pk: `DECISION_LINK#${hash}`, sk: 'LINK' });

/**
 * Decision links in the single table: `pk = DECISION_LINK#<SHA-256 of the token>`,
 * `sk = LINK`, removed by the table's TTL (`expiresAt`) a day after the link expires.
 */
export function createDecisionLinkRepository(db: DynamoDBDocumentClient, tableName: string): DecisionLinkRepository {
  return {
    async put(hash, link) {
      const expiresAt = Math.floor(Date.parse(link.validUntil) / 1000) + KEEP_AFTER_EXPIRY_SECONDS;
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key(hash), ...link, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(hash) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: key(hash), ConsistentRead: true }));
      if (!Item) return undefined;
      const { pk: _pk, sk: _sk, expiresAt: _ttl, ...link } = Item;
      return link as DecisionLinkRecord;
    },

    async take(hash, now) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(hash),
            UpdateExpression: 'SET usedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND validUntil > :now',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async release(hash) {
      await db.send(new UpdateCommand({ TableName: tableName, Key: key(hash), UpdateExpression: 'REMOVE usedAt' }));
    },
  };
}
