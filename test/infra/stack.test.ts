/**
 * Infrastructure tests: synthesize the Sluice stack once (bundling every function with
 * esbuild, which is the slow part) and assert on the template and the cdk-nag report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_GROUPS, ROUTES, routeKey } from '../../functions/api/routes.js';
import { CONTEXT_KEYS } from '../../lib/config.js';
import { SluiceStack } from '../../lib/sluice-stack.js';
import { TABLE_SCHEMA } from '../../lib/table-schema.js';

const ISSUER = 'https://issuer.example.com/sluice-test';
const AUDIENCE = 'sluice-test';
const RETENTION_DAYS = 14;

type CfnResource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type ReportViolation = { ruleName: string; severity?: string; violatingConstructs?: { constructPath?: string }[] };
type ValidationReport = { pluginReports: { pluginName: string; conclusion: string; violations: ReportViolation[] }[] };

let outdir: string;
let stack: SluiceStack;
let template: Template;
let resources: Record<string, CfnResource>;
let assemblyDir: string;
let validationReport: ValidationReport;

const resourcesOfType = (type: string): [string, CfnResource][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalIdOf = (construct: IConstruct): string =>
  stack.resolve((construct.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'sluice-infra-'));
  const app = new App({
    outdir,
    context: {
      [CONTEXT_KEYS.jwtIssuer]: ISSUER,
      [CONTEXT_KEYS.jwtAudience]: AUDIENCE,
      [CONTEXT_KEYS.logRetentionDays]: String(RETENTION_DAYS), // as `-c` would pass it
      // Keep the report on disk instead of throwing, so a failure names the findings.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
    },
  });
  stack = new SluiceStack(app, 'SluiceTest');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const assembly = app.synth();
  assemblyDir = assembly.directory;
  const artifact = assembly.getStackArtifact(stack.artifactId);
  template = Template.fromJSON(artifact.template as Record<string, unknown>);
  resources = (artifact.template as { Resources: Record<string, CfnResource> }).Resources;
  validationReport = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as ValidationReport;
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('table', () => {
  it('has the key schema, GSI and TTL of TABLE_SCHEMA', () => {
    const gsi = TABLE_SCHEMA.globalSecondaryIndexes[0]!;
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: 'S' },
        { AttributeName: gsi.partitionKey, AttributeType: 'S' },
        { AttributeName: gsi.sortKey, AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: TABLE_SCHEMA.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
    });
  });

  it('is on-demand, with point-in-time recovery and deletion protection, and outlives the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('functions', () => {
  it('are one per route group and nothing else', () => {
    template.resourceCountIs('AWS::Lambda::Function', ROUTE_GROUPS.length);
    expect(Object.keys(stack.functions).sort()).toEqual([...ROUTE_GROUPS].sort());
  });

  it.each(ROUTE_GROUPS)('%s runs on Node.js 24 arm64 with JSON logs, source maps and the Sluice environment', (group) => {
    const fn = resources[logicalIdOf(stack.functions[group].lambda)];
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(stack.functions[group].logGroup) } },
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalIdOf(stack.table) },
          TENANT_CLAIM: 'tenant',
          ROLES_CLAIM: 'roles',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it.each(ROUTE_GROUPS)('%s is bundled as minified ESM with the createRequire banner and a source map', (group) => {
    const fn = resources[logicalIdOf(stack.functions[group].lambda)];
    // The code's S3 key is `<asset hash>.zip`; the staged bundle sits in `asset.<hash>`.
    const s3Key = (fn?.Properties?.['Code'] as { S3Key?: string } | undefined)?.S3Key ?? '';
    const assetDir = join(assemblyDir, `asset.${s3Key.replace(/\.zip$/, '')}`);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as __sluiceCreateRequire } from 'node:module';")).toBe(true);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    // DESIGN §7: small bundles. The SDK comes from the runtime, zod's locales are shaken out.
    expect(Buffer.byteLength(bundle)).toBeLessThan(300 * 1024);
    expect(bundle).not.toMatch(/from\s*["']@smithy\//);
  });

  it('use roles without AWS managed policies', () => {
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      expect(role.Properties?.['ManagedPolicyArns']).toBeUndefined();
    }
  });
});

describe('permissions', () => {
  const statements = (): { policyId: string; statement: Statement }[] =>
    resourcesOfType('AWS::IAM::Policy').flatMap(([policyId, policy]) =>
      ((policy.Properties?.['PolicyDocument'] as { Statement: Statement[] }).Statement ?? []).map((statement) => ({
        policyId,
        statement,
      })),
    );
  const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

  it('grant no wildcard action', () => {
    for (const { statement } of statements()) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
      }
    }
  });

  it('aim every DynamoDB grant at the table and its indexes only', () => {
    const tableId = logicalIdOf(stack.table);
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const dynamoStatements = statements().filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
    expect(dynamoStatements.length).toBeGreaterThan(0);
    for (const { statement } of dynamoStatements) {
      const targets = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const target of targets) {
        expect([tableArn, { 'Fn::Join': ['', [tableArn, '/index/*']] }]).toContainEqual(target);
      }
    }
  });

  it('give the system group no table access and the catalog and services groups read-write', () => {
    const dynamoActionsOf = (group: (typeof ROUTE_GROUPS)[number]): string[] => {
      const roleId = logicalIdOf(stack.functions[group].role);
      return statements()
        .filter(({ policyId }) =>
          (resources[policyId]?.Properties?.['Roles'] as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
        )
        .flatMap(({ statement }) => actionsOf(statement))
        .filter((a) => a.startsWith('dynamodb:'));
    };
    expect(dynamoActionsOf('system')).toEqual([]);
    for (const group of ['catalog', 'services'] as const) {
      expect(dynamoActionsOf(group)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']));
    }
  });
});

describe('log groups', () => {
  it('all have the retention from context', () => {
    const logGroups = resourcesOfType('AWS::Logs::LogGroup');
    // One per function plus the API access log.
    expect(logGroups).toHaveLength(ROUTE_GROUPS.length + 1);
    for (const [, logGroup] of logGroups) {
      expect(logGroup.Properties?.['RetentionInDays']).toBe(RETENTION_DAYS);
    }
  });
});

describe('HTTP API', () => {
  const routeResources = (): CfnResource[] => resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r);
  const routeByKey = (key: string): CfnResource | undefined =>
    routeResources().find((r) => r.Properties?.['RouteKey'] === key);

  it('has exactly one route per entry of ROUTES', () => {
    expect(routeResources()).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      expect(routeByKey(routeKey(route)), routeKey(route)).toBeDefined();
    }
  });

  it('trusts the issuer and audience from context in its JWT authorizer', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] },
    });
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s has the authorizer its access calls for', (key, route) => {
    const [authorizerId] = resourcesOfType('AWS::ApiGatewayV2::Authorizer')[0]!;
    const properties = routeByKey(key)?.Properties;
    if (route.access === 'public') {
      expect(properties?.['AuthorizationType']).toBe('NONE');
      expect(properties?.['AuthorizerId']).toBeUndefined();
    } else {
      expect(properties?.['AuthorizationType']).toBe('JWT');
      expect(properties?.['AuthorizerId']).toEqual({ Ref: authorizerId });
    }
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s reaches the function of its route group', (key, route) => {
    const target = JSON.stringify(routeByKey(key)?.Properties?.['Target']);
    const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
    const integration = integrationId ? resources[integrationId] : undefined;
    expect(integration?.Properties?.['IntegrationUri']).toEqual({
      'Fn::GetAtt': [logicalIdOf(stack.functions[route.group].lambda), 'Arn'],
    });
  });

  it('serves a $default stage with JSON access logs and stage-wide throttling, and no CORS', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalIdOf(stack.api.accessLogGroup), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
  });

  it('outputs its URL', () => {
    template.hasOutput('ApiUrl', {});
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('finds no unacknowledged error during synthesis', () => {
    const errors = validationReport.pluginReports.flatMap((report) =>
      report.violations
        .filter((v) => v.severity === 'error' || v.severity === 'fatal')
        .map((v) => `${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`),
    );
    expect(errors).toEqual([]);
  });

  it('finds no unacknowledged error when run directly on the stack', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const errors = report.violations.filter((v) => v.severity === 'error').map((v) => v.ruleName);
    expect(errors).toEqual([]);
  });

  it('reports findings at all (the two checks above are not vacuous)', () => {
    const probe = new Stack(new App(), 'NagProbe');
    new Queue(probe, 'UnencryptedQueueWithoutDlq');
    const report = new AwsSolutionsChecks().validateScope(probe);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-SQS3');
  });

  it('acknowledges only the reviewed rules, each with a reason', () => {
    const acknowledged: { id: string; path: string; reason: string }[] = [];
    for (const construct of stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          // Stored with an `Annotation::` prefix; the rule id follows it.
          acknowledged.push({ id: id.replace(/^Annotation::/, ''), path: construct.node.path, reason });
        }
      }
    }
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);

    const tableArn = `<${logicalIdOf(stack.table)}.Arn>`;
    expect(acknowledged.map(({ id, path }) => `${id} @ ${path}`).sort()).toEqual(
      [
        ...ROUTES.filter((r) => r.access === 'public').map((r) => `AwsSolutions-APIG4 @ SluiceTest/Http/Route-${r.id}`),
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/CatalogFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/ServicesFunction/Role`,
      ].sort(),
    );
  });
});
