/**
 * The auto-upgrade fan-out construct on its own (lib/constructs/auto-upgrade-fanout.ts),
 * in a small stack beside the timeline pipe it depends on: the rule, the function's input,
 * its grants, the dead-letter queue, and a clean cdk-nag report. Until it is wired into
 * SluiceStack, this is the only synthesis that sees it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/domain/functions.js';
import { AUTO_UPGRADE_INPUT_PATHS, AutoUpgradeFanout, VERSION_PUBLISHED_PATTERN } from '../../lib/constructs/auto-upgrade-fanout.js';
import { SluiceTable } from '../../lib/constructs/sluice-table.js';
import { TIMELINE_INPUT_TEMPLATE, TimelinePublisher } from '../../lib/constructs/timeline-publisher.js';
import { PROJECT_ROOT } from '../../lib/sluice-stack.js';

type CfnResource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };

let outdir: string;
let stack: Stack;
let fanout: AutoUpgradeFanout;
let tableLogicalId: string;
let template: Template;
let resources: Record<string, CfnResource>;
let nagFindings: string[];

const logicalIdOf = (construct: IConstruct): string =>
  stack.resolve((construct.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'Arn'] });
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'sluice-fanout-'));
  const app = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
  stack = new Stack(app, 'FanoutTest');
  const { table } = new SluiceTable(stack, 'Data', { stream: StreamViewType.NEW_IMAGE });
  const eventBus = new EventBus(stack, 'Events');
  new TimelinePublisher(stack, 'Timeline', { table, eventBus });
  fanout = new AutoUpgradeFanout(stack, 'AutoUpgrade', {
    table,
    eventBus,
    entry: join(PROJECT_ROOT, 'functions', 'handlers', 'auto-upgrade.handler.ts'),
    projectRoot: PROJECT_ROOT,
  });
  tableLogicalId = logicalIdOf(table);
  template = Template.fromStack(stack);
  resources = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources;
  nagFindings = new AwsSolutionsChecks()
    .validateScope(stack)
    .violations.map((v) => `${v.severity ?? ''} ${v.ruleName} at ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('auto-upgrade fan-out', () => {
  it('has a rule on the bus for VersionPublished events of the timeline pipe', () => {
    const [[, rule] = []] = ofType('AWS::Events::Rule');
    expect(ofType('AWS::Events::Rule')).toHaveLength(1);
    expect(rule?.Properties).toMatchObject({
      EventBusName: { Ref: logicalIdOf(stack.node.findChild('Events')) },
      EventPattern: { source: ['sluice.upgrades'], 'detail-type': ['VersionPublished'] },
      State: 'ENABLED',
    });
    expect(VERSION_PUBLISHED_PATTERN).toEqual({ source: ['sluice.upgrades'], detailType: ['VersionPublished'] });
  });

  it('hands the function {componentId, version} out of the pipe’s detail, with retries and a dead-letter queue', () => {
    const [[, rule] = []] = ofType('AWS::Events::Rule');
    const targets = rule?.Properties?.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: arnOf(fanout.function.lambda),
      DeadLetterConfig: { Arn: arnOf(fanout.deadLetterQueue) },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
      InputTransformer: {
        InputPathsMap: {
          'detail-detailDynamoDb-componentId-S': AUTO_UPGRADE_INPUT_PATHS.componentId,
          'detail-detailDynamoDb-version-S': AUTO_UPGRADE_INPUT_PATHS.version,
        },
        InputTemplate: '{"componentId":<detail-detailDynamoDb-componentId-S>,"version":<detail-detailDynamoDb-version-S>}',
      },
    });
    // The paths match what the pipe's template makes of a VersionPublished item.
    const detail = JSON.parse(
      TIMELINE_INPUT_TEMPLATE.replace(
        /<(\$[^>]+)>/g,
        (_m, path: string) =>
          ({
            '$.dynamodb.NewImage.executionId.S': '',
            '$.dynamodb.NewImage.tenantId.S': '',
            '$.dynamodb.NewImage.sk.S': 'EVENT#2026-01-01T00:00:00.000Z#0a1b2c3d',
            '$.dynamodb.NewImage.type.S': 'VersionPublished',
            '$.dynamodb.NewImage.at.S': '2026-01-01T00:00:00.000Z',
            '$.dynamodb.NewImage.actor.S': 'catalog-admin',
            '$.dynamodb.NewImage.detail.M': '{"componentId":{"S":"cmp_1"},"version":{"S":"1.2.4"},"security":{"BOOL":true}}',
          })[path] ?? `MISSING:${path}`,
      ),
    ) as { detailDynamoDb: Record<string, { S?: string }> };
    expect([detail.detailDynamoDb.componentId?.S, detail.detailDynamoDb.version?.S]).toEqual(['cmp_1', '1.2.4']);
  });

  it('lets only its rule invoke the function', () => {
    const permissions = ofType('AWS::Lambda::Permission').map(([, permission]) => permission.Properties);
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(fanout.function.lambda),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(fanout.rule),
      },
    ]);
  });

  it('lets only its rule send to the dead-letter queue besides the function, over TLS, encrypted', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalIdOf(fanout.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': arnOf(fanout.rule) } },
          }),
        ]),
      },
    });
  });

  it('retries a failed invocation twice, then parks the event in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(fanout.function.lambda) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: arnOf(fanout.deadLetterQueue) } },
    });
  });

  it('runs the handler with the table name and its own timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(fanout.function.role),
      Timeout: FUNCTION_TIMEOUT_SECONDS['auto-upgrade'],
      Environment: { Variables: Match.objectLike({ TABLE_NAME: { Ref: tableLogicalId } }) },
    });
  });

  it('gives the function the table (and its indexes), the dead-letter queue and its logs, nothing else', () => {
    const roleRef = JSON.stringify({ Ref: logicalIdOf(fanout.function.role) });
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties?.Roles as unknown[]).some((role) => JSON.stringify(role) === roleRef))
      .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
    const resourcesOf = (s: Statement) => JSON.stringify(s.Resource);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const resource = resourcesOf(statement);
      const allowed = [tableLogicalId, logicalIdOf(fanout.deadLetterQueue), logicalIdOf(fanout.function.logGroup)];
      expect(
        allowed.some((id) => resource.includes(id)),
        resource,
      ).toBe(true);
      expect(resource).not.toBe('"*"');
    }
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actions.filter((action) => !/^(dynamodb|sqs|logs):/.test(action))).toEqual([]);
  });

  it('leaves cdk-nag nothing unacknowledged, and acknowledges only the index wildcard and the DLQ', () => {
    expect(nagFindings).toEqual([]);
    const acknowledged: string[] = [];
    for (const construct of fanout.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          expect(reason.length).toBeGreaterThan(40);
          acknowledged.push(`${id.replace(/^Annotation::/, '')} @ ${construct.node.path}`);
        }
      }
    }
    expect(acknowledged.sort()).toEqual(
      [
        `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*] @ FanoutTest/AutoUpgrade/Function/Role`,
        'AwsSolutions-SQS3 @ FanoutTest/AutoUpgrade/DeadLetterQueue',
      ].sort(),
    );
  });
});
