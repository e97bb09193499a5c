import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Env } from './env.js';

/**
 * A raw DynamoDB client. Locally `DYNAMODB_ENDPOINT` points the real SDK client at
 * DynamoDB Local with dummy credentials; in Lambda the default provider chain applies.
 */
export function createDynamoDbClient(env: Pick<Env, 'DYNAMODB_ENDPOINT' | 'AWS_REGION'>): DynamoDBClient {
  return new DynamoDBClient({
    region: env.AWS_REGION,
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

/** The document client every repository uses, over {@link createDynamoDbClient}. */
export function createDocumentClient(env: Pick<Env, 'DYNAMODB_ENDPOINT' | 'AWS_REGION'>): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(env), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
