import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withSynthesizedBundles } from '../../bench/bundle-sizes.js';
import { LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

/**
 * A function as it is deployed: the catalog's bundle from `cdk synth` (DynamoDB's client
 * bundled and tree-shaken, the SDK's credential chain aliased to
 * functions/common/aws-credentials.ts, no --enable-source-maps), imported in a Node
 * process of its own and invoked with an API Gateway event, against the run's DynamoDB
 * Local. Every other test runs the TypeScript sources; this one runs what Lambda runs.
 * Its endpoint comes from `AWS_ENDPOINT_URL_DYNAMODB`, not `DYNAMODB_ENDPOINT` (which
 * brings dummy credentials of its own), so the credentials are the bundle's to find.
 */
const ROOT = join(import.meta.dirname, '..', '..');
// Under the repository, so that `require` finds node_modules as Lambda's finds the runtime's SDK.
const WORK = join(ROOT, '.cache', 'lambda-bundles-test');

let api: TestApi;
let bundle: string;
let componentId: string;

beforeAll(async () => {
  api = await startTestApi();
  ({ componentId } = await seedComponent(api, ['1.0.0', '1.1.0']));
  rmSync(WORK, { recursive: true, force: true });
  bundle = await withSynthesizedBundles((bundles) => {
    const { dir } = bundles.catalog ?? { dir: '' };
    mkdirSync(WORK, { recursive: true });
    for (const file of readdirSync(dir)) copyFileSync(join(dir, file), join(WORK, file));
    return join(WORK, 'index.mjs');
  });
}, 120_000);
afterAll(async () => {
  rmSync(WORK, { recursive: true, force: true });
  await api?.stop();
});

/** `GET /v1/components/{componentId}` through the bundle's handler, in a fresh process. */
function invoke(env: Record<string, string>): { statusCode: number; body: Record<string, unknown> } {
  const event = {
    version: '2.0',
    routeKey: 'GET /v1/components/{componentId}',
    rawPath: `/v1/components/${componentId}`,
    headers: {},
    pathParameters: { componentId },
    isBase64Encoded: false,
    requestContext: { requestId: 'bundle-1', http: { method: 'GET' }, authorizer: { jwt: { claims: { sub: 'u', roles: 'viewer' } } } },
  };
  const context = { awsRequestId: 'req-1', functionName: 'sluice-catalog', getRemainingTimeInMillis: () => 10_000 };
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const answer = await handler(${JSON.stringify(event)}, ${JSON.stringify(context)});
    process.stdout.write(JSON.stringify(answer));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: WORK,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: LOCAL_TABLE_NAME,
      TENANT_CLAIM: 'tenant',
      ROLES_CLAIM: 'roles',
      LOG_LEVEL: process.env.BUNDLE_TEST_LOG ?? 'silent',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...env,
    },
  }).toString();
  if (process.env.BUNDLE_TEST_LOG) console.log(out);
  const answer = JSON.parse(out.slice(out.lastIndexOf('{"statusCode"'))) as { statusCode: number; body: string };
  return { statusCode: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
}

describe('a deployed bundle', () => {
  it('reads the table with the credentials Lambda puts in the environment', () => {
    const answer = invoke({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_SESSION_TOKEN: 'session' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ componentId });
  });

  it('falls back to the SDK’s whole chain without them (a shared profile here)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-profile-'));
    writeFileSync(join(dir, 'credentials'), '[bundle]\naws_access_key_id = profilekey\naws_secret_access_key = profilesecret\n');
    const answer = invoke({ AWS_PROFILE: 'bundle', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: '/dev/null' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ componentId });
  });

  it('answers a 500 that says nothing when there are no credentials at all', () => {
    const answer = invoke({ AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' });
    expect(answer.statusCode).toBe(500);
    expect(JSON.stringify(answer.body)).not.toMatch(/credential/i);
  });
});
