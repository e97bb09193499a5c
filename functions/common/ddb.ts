import type { DynamoDBClient as Client } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient as DocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient, DynamoDBDocumentClient } from './aws-sdk.js';
import type { Env } from './env.js';

/**
 * A raw DynamoDB client. Locally `DYNAMODB_ENDPOINT` points the real SDK client at
 * DynamoDB Local with dummy credentials; in Lambda the default provider chain applies.
 */
export function createDynamoDbClient(env: Pick<Env, 'DYNAMODB_ENDPOINT' | 'AWS_REGION'>): Client {
  const client = new DynamoDBClient({
    region: env.AWS_REGION,
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  // No SDK logger is configured, yet the SDK's logger middleware copies every input and
  // output through its sensitive-data filter for the no-op logger's line: a share of every
  // call's CPU (a profile of the local API under load). The document client shares this stack.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/** The document client every repository uses, over {@link createDynamoDbClient}. */
export function createDocumentClient(env: Pick<Env, 'DYNAMODB_ENDPOINT' | 'AWS_REGION'>): DocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(env), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
