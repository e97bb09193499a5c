import { createRequire } from 'node:module';
import { lazy } from './lazy.js';

/**
 * The functions' one door to the AWS SDK v3 (docs/decisions/0034-what-a-cold-start-builds.md,
 * which revises 0033).
 *
 * DynamoDB is bundled: nearly every request of every function reads or writes the table,
 * so its client is loaded at init whatever happens. Imported by name, its ES build is
 * tree-shaken to the commands used here: about 210 kB of the SDK in each bundle where the
 * runtime's copy loads every command and protocol of the package, and init is 15-30 ms
 * shorter (measured in decision 0034). It also pins the DynamoDB client to the version
 * the tests ran.
 *
 * The other clients are loaded on the first call that needs them, so a cold start pays
 * only for what its first request uses. They come from the Lambda runtime through
 * `require` (an ES module that `import`s one of the SDK's CommonJS packages makes Node
 * lex it and what it re-exports for their export names first, which doubles the load;
 * `require` shares the same module cache without that step). With `sluice:bundleAwsSdk`
 * the stack defines `process.env.SLUICE_AWS_SDK` as `bundled`, and esbuild bundles the
 * `import()` branches instead.
 */
// Each choice below compares `process.env.SLUICE_AWS_SDK` in place (not through a
// constant) so that esbuild folds it and drops the branch a bundle does not take.
const runtimeRequire = createRequire(import.meta.url);

export { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
export {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

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
