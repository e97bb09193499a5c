import { createRequire } from 'node:module';
import { lazy } from './lazy.js';

/**
 * The functions' one door to the AWS SDK v3 (docs/decisions/0033-sdk-through-require-and-lazy-clients.md).
 *
 * The SDK's packages are CommonJS, in node_modules and in the Lambda runtime alike. An ES
 * module that `import`s one makes Node's ES module loader lex its source, and the modules
 * it re-exports, for their export names before it runs; for the two DynamoDB packages that
 * doubles what loading them costs. `require` loads the very same module (one module cache
 * serves both) without that step, so the bundles, which stay ES modules, take the SDK
 * through `require`.
 *
 * DynamoDB is loaded with the module: nearly every request of every function reads or
 * writes the table. The other clients are loaded on the first call that needs them, so a
 * cold start pays only for what its first request uses.
 *
 * With `sluice:bundleAwsSdk` the stack defines `process.env.SLUICE_AWS_SDK` as `bundled`
 * and esbuild bundles the `import()` branches (tree-shaken ES builds) instead.
 */
// Each choice below compares `process.env.SLUICE_AWS_SDK` in place (not through a
// constant) so that esbuild folds it and drops the branch a bundle does not take.
const runtimeRequire = createRequire(import.meta.url);

type DynamoDb = typeof import('@aws-sdk/client-dynamodb');
type DocumentClient = typeof import('@aws-sdk/lib-dynamodb');

const dynamoDb: DynamoDb =
  process.env.SLUICE_AWS_SDK === 'bundled' ? await import('@aws-sdk/client-dynamodb') : runtimeRequire('@aws-sdk/client-dynamodb');
const documentClient: DocumentClient =
  process.env.SLUICE_AWS_SDK === 'bundled' ? await import('@aws-sdk/lib-dynamodb') : runtimeRequire('@aws-sdk/lib-dynamodb');

export const { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } = dynamoDb;
export const {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} = documentClient;

/** `@aws-sdk/client-sfn`, on first use: starting and moving flows. */
export const stepFunctionsSdk = /* @__PURE__ */ lazy(
  async (): Promise<typeof import('@aws-sdk/client-sfn')> =>
    process.env.SLUICE_AWS_SDK === 'bundled' ? await import('@aws-sdk/client-sfn') : runtimeRequire('@aws-sdk/client-sfn'),
);

/** `@aws-sdk/client-scheduler`, on first use: the pipelines' one-time schedules. */
export const schedulerSdk = /* @__PURE__ */ lazy(
  async (): Promise<typeof import('@aws-sdk/client-scheduler')> =>
    process.env.SLUICE_AWS_SDK === 'bundled' ? await import('@aws-sdk/client-scheduler') : runtimeRequire('@aws-sdk/client-scheduler'),
);

/** `@aws-sdk/client-lambda`, on first use: services with a lambda target. */
export const lambdaSdk = /* @__PURE__ */ lazy(
  async (): Promise<typeof import('@aws-sdk/client-lambda')> =>
    process.env.SLUICE_AWS_SDK === 'bundled' ? await import('@aws-sdk/client-lambda') : runtimeRequire('@aws-sdk/client-lambda'),
);

/** `@aws-sdk/client-secrets-manager`, on first use: the notifier's signing secret, read once per cold start. */
export const secretsManagerSdk = /* @__PURE__ */ lazy(
  async (): Promise<typeof import('@aws-sdk/client-secrets-manager')> =>
    process.env.SLUICE_AWS_SDK === 'bundled'
      ? await import('@aws-sdk/client-secrets-manager')
      : runtimeRequire('@aws-sdk/client-secrets-manager'),
);

/** `@aws-sdk/client-cloudwatch`, on first use: alarm gates. */
export const cloudWatchSdk = /* @__PURE__ */ lazy(
  async (): Promise<typeof import('@aws-sdk/client-cloudwatch')> =>
    process.env.SLUICE_AWS_SDK === 'bundled' ? await import('@aws-sdk/client-cloudwatch') : runtimeRequire('@aws-sdk/client-cloudwatch'),
);
