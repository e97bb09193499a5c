/**
 * The stack with a notifier (`sluice:notifyUrl`, lib/constructs/sluice-notifier.ts): its
 * function, rule, dead-letter queue and depth alarm, least-privilege grants, the decision
 * links' public routes, a clean cdk-nag report, and a bundle within the functions' budget.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/domain/functions.js';
import { DEFAULT_NOTIFY_TYPES } from '../../functions/domain/notify-types.js';
import { CONTEXT_KEYS, readSluiceConfig } from '../../lib/config.js';
import { BUNDLE_BUDGET_BYTES } from '../../lib/constructs/sluice-function.js';
import { SluiceStack } from '../../lib/sluice-stack.js';

type CfnResource = { Type: string; Properties?: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const URL_ = 'https://hooks.example.com/services/T000/B000/XXXX';
let outdir: string;
let stack: SluiceStack;
let resources: Record<string, CfnResource>;
let assemblyDir: string;
let findings: string[];

const logicalIdOf = (construct: IConstruct): string =>
  stack.resolve((construct.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'Arn'] });
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const notifier = () => {
  if (!stack.notifier) throw new Error('no notifier');
  return stack.notifier;
};
const statementsOfRole = (role: IConstruct): Statement[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties?.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: logicalIdOf(role) })),
    )
    .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as Statement[]);
const actions = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'sluice-notifier-'));
  const app = new App({
    outdir,
    context: {
      [CONTEXT_KEYS.jwtIssuer]: 'https://issuer.example.com/',
      [CONTEXT_KEYS.jwtAudience]: 'sluice',
      [CONTEXT_KEYS.notifyUrl]: URL_,
      [CONTEXT_KEYS.notifyTypes]: 'GateWaiting,UpgradeRolledBack',
      '@aws-cdk/core:failSynthOnValidationErrors': false,
    },
  });
  stack = new SluiceStack(app, 'NotifyTest');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  assemblyDir = assembly.directory;
  resources = (assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, CfnResource> }).Resources;
  const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations: { ruleName: string; severity?: string; violatingConstructs?: { constructPath: string }[] }[] }[];
  };
  findings = report.pluginReports.flatMap((r) =>
    r.violations.map((v) => `${v.severity ?? ''} ${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`),
  );
}, 300_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('notifier context', () => {
  const config = (context: Record<string, unknown>) => {
    const app = new App({
      context: { [CONTEXT_KEYS.jwtIssuer]: 'https://issuer.example.com/', [CONTEXT_KEYS.jwtAudience]: 'sluice', ...context },
    });
    return readSluiceConfig(app);
  };
  it('is off without sluice:notifyUrl, and its other keys alone are an error', () => {
    expect(config({}).notify).toBeUndefined();
    expect(() => config({ [CONTEXT_KEYS.notifyTypes]: 'GateWaiting' })).toThrow(/needs "sluice:notifyUrl"/);
  });
  it('takes an https URL, the default types, links on', () => {
    expect(config({ [CONTEXT_KEYS.notifyUrl]: URL_ }).notify).toEqual({ url: URL_, types: [...DEFAULT_NOTIFY_TYPES], links: true });
    expect(
      config({ [CONTEXT_KEYS.notifyUrl]: URL_, [CONTEXT_KEYS.notifyLinks]: 'false', [CONTEXT_KEYS.notifySecretName]: 'team/hook' }).notify,
    ).toMatchObject({
      links: false,
      secretName: 'team/hook',
    });
  });
  it('refuses http, credentials in the URL and unknown event types', () => {
    expect(() => config({ [CONTEXT_KEYS.notifyUrl]: 'http://hooks.example.com/x' })).toThrow(/https URL/);
    expect(() => config({ [CONTEXT_KEYS.notifyUrl]: 'https://user:pw@hooks.example.com/x' })).toThrow(/without credentials/);
    expect(() => config({ [CONTEXT_KEYS.notifyUrl]: URL_, [CONTEXT_KEYS.notifyTypes]: 'GateWaiting,Nope' })).toThrow(/Nope/);
  });
});

describe('notifier in the stack', () => {
  it('has a rule for the chosen types only, to the function, with retries and the dead-letter queue', () => {
    const rule = resources[logicalIdOf(notifier().rule)];
    expect(rule?.Properties).toMatchObject({
      EventPattern: { source: ['sluice.upgrades'], 'detail-type': ['GateWaiting', 'UpgradeRolledBack'] },
      State: 'ENABLED',
    });
    expect(rule?.Properties?.Targets).toEqual([
      expect.objectContaining({
        Arn: arnOf(notifier().function.lambda),
        DeadLetterConfig: { Arn: arnOf(notifier().deadLetterQueue) },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
      }),
    ]);
    expect(rule?.Properties?.Targets[0].Input).toBeUndefined();
  });

  it('configures the function from context, the secret by ARN, never its value', () => {
    const fn = resources[logicalIdOf(notifier().function.lambda)];
    expect(fn?.Properties?.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS.notifier);
    const variables = fn?.Properties?.Environment.Variables as Record<string, unknown>;
    expect(variables).toMatchObject({
      NOTIFY_URL: URL_,
      NOTIFY_TYPES: 'GateWaiting,UpgradeRolledBack',
      NOTIFY_SECRET_ARN: { Ref: logicalIdOf(notifier().secret as unknown as IConstruct) },
      NOTIFY_LINKS: 'true',
    });
    expect(variables.NOTIFY_SECRET).toBeUndefined();
    expect(variables.SLUICE_ALLOW_PRIVATE_NETWORKS).toBeUndefined();
    expect(variables.API_BASE_URL).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack.api.httpApi), 'ApiEndpoint'] });
    const secret = resources[logicalIdOf(notifier().secret as unknown as IConstruct)];
    expect(secret?.Properties?.GenerateSecretString).toMatchObject({ GenerateStringKey: 'secret', PasswordLength: 48 });
  });

  it('sends failed invocations to an encrypted dead-letter queue, alarmed on its depth', () => {
    const invoke = ofType('AWS::Lambda::EventInvokeConfig').find(
      ([, config]) => JSON.stringify(config.Properties?.FunctionName) === JSON.stringify({ Ref: logicalIdOf(notifier().function.lambda) }),
    );
    expect(invoke?.[1].Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(notifier().deadLetterQueue) } },
    });
    expect(resources[logicalIdOf(notifier().deadLetterQueue)]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties?.AlarmName === 'NotifyTest-DeadLetters-notifier');
    expect(alarm?.[1].Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(notifier().deadLetterQueue), 'QueueName'] } }],
    });
    expect(alarm?.[1].Properties?.AlarmActions).toHaveLength(1);
    expect(
      ofType('AWS::CloudWatch::Alarm').some(
        ([, a]) =>
          String(a.Properties?.AlarmName).startsWith('NotifyTest-') &&
          String(a.Properties?.AlarmName).includes('notifier') &&
          a.Properties?.Namespace === 'AWS/Lambda',
      ),
    ).toBe(true);
  });

  it('grants the function only its secret, link items of the table and its dead-letter queue', () => {
    const statements = statementsOfRole(notifier().function.role);
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: arnOf(stack.table),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DECISION_LINK#*'] } },
      },
    ]);
    const secrets = statements.filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap(actions).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(secrets.map((s) => s.Resource)).toEqual([{ Ref: logicalIdOf(notifier().secret as unknown as IConstruct) }]);
    const rest = statements.filter((s) => !dynamo.includes(s) && !secrets.includes(s));
    expect(rest.flatMap(actions).sort()).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    // Beyond those: its dead-letter queue, and its own log group (SluiceFunction's).
    for (const statement of rest) {
      for (const action of actions(statement)) expect(action).toMatch(/^(sqs:(SendMessage|GetQueueAttributes|GetQueueUrl)|logs:)/);
      if (actions(statement).some((action) => action.startsWith('sqs:')))
        expect(statement.Resource).toEqual(arnOf(notifier().deadLetterQueue));
    }
  });

  it('serves the decision links outside the JWT authorizer, from a function of their own', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => String(r.Properties?.RouteKey).endsWith('/v1/decision-links'));
    expect(routes.map(([, r]) => r.Properties?.RouteKey).sort()).toEqual(['GET /v1/decision-links', 'POST /v1/decision-links']);
    for (const [, route] of routes) expect(route.Properties?.AuthorizationType).toBe('NONE');
    const statements = statementsOfRole(stack.functions.decisions.role);
    expect(statements.flatMap(actions)).toEqual(expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']));
    expect(statements.flatMap(actions)).not.toContain('states:StartExecution');
  });

  it('is cdk-nag clean', () => {
    expect(findings).toEqual([]);
  });

  it('bundles the notifier within the functions’ budget', () => {
    const fn = resources[logicalIdOf(notifier().function.lambda)];
    const s3Key = (fn?.Properties?.Code as { S3Key?: string }).S3Key ?? '';
    const bundle = readFileSync(join(assemblyDir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
    expect(Buffer.byteLength(bundle)).toBeLessThan(BUNDLE_BUDGET_BYTES);
    console.log(`notifier bundle: ${(Buffer.byteLength(bundle) / 1024).toFixed(1)} kB`);
  });
});
