/**
 * Infrastructure tests: synthesize the Sluice stack once (bundling every function with
 * esbuild, which is the slow part) and assert on the template and the cdk-nag report.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childFlowsOf,
  FLEET_TASK_FUNCTION_ARN_KEY,
  FLOWS,
  placeholdersOf,
  stateMachineArnKey,
  TASK_FUNCTION_ARN_KEY,
} from '../../functions/domain/flows.js';
import { acceptsIdempotencyKey, ROUTE_GROUPS, ROUTES, routeKey } from '../../functions/domain/routes.js';
import { IDEMPOTENCY_TABLE_SCHEMA, TABLE_SCHEMA } from '../../functions/domain/table-schema.js';
import { CONFIG_DEFAULTS, CONTEXT_KEYS } from '../../lib/config.js';
import { IDEMPOTENCY_ACTIONS } from '../../lib/constructs/idempotency-table.js';
import { BUNDLE_BUDGET_BYTES, type SluiceFunction } from '../../lib/constructs/sluice-function.js';
import type { SluiceStateMachine } from '../../lib/constructs/sluice-state-machine.js';
import { SYNC_EXECUTION_RULE_NAME } from '../../lib/constructs/sluice-state-machine.js';
import {
  TIMELINE_DETAIL_TYPE_PATH,
  TIMELINE_EVENT_SOURCE,
  TIMELINE_FILTER_PATTERN,
  TIMELINE_INPUT_TEMPLATE,
  TimelinePublisher,
} from '../../lib/constructs/timeline-publisher.js';
import { PROJECT_ROOT, SluiceStack } from '../../lib/sluice-stack.js';

const ISSUER = 'https://issuer.example.com/sluice-test';
const AUDIENCE = 'sluice-test';
const RETENTION_DAYS = 14;
/** What every function tells Powertools; tracing is off without sluice:tracing (test/infra/operability.test.ts turns it on). */
const POWERTOOLS_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'sluice',
  POWERTOOLS_METRICS_NAMESPACE: 'Sluice',
  POWERTOOLS_TRACE_ENABLED: 'false',
} as const;

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

const resourcesOfType = (type: string): [string, CfnResource][] => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalIdOf = (construct: IConstruct): string =>
  stack.resolve((construct.node.defaultChild as unknown as { logicalId: string }).logicalId) as string;

/** Every function of the stack: one per route group, the flows' two task functions, the schedules' target. */
const FUNCTION_NAMES = [...ROUTE_GROUPS, 'upgrade-tasks', 'fleet-tasks', 'pipeline-scheduled'] as const;
const functionNamed = (name: (typeof FUNCTION_NAMES)[number]): SluiceFunction =>
  name === 'upgrade-tasks'
    ? stack.taskFunction
    : name === 'fleet-tasks'
      ? stack.fleetTaskFunction
      : name === 'pipeline-scheduled'
        ? stack.scheduledFunction
        : stack.functions[name];
const allFunctions = (): SluiceFunction[] => FUNCTION_NAMES.map(functionNamed);
/** A CfnResource is its own default child. */
const groupId = (): string => stack.resolve(stack.scheduler.group.logicalId) as string;
/** The scheduled function's ARN, built from its fixed name (a reference would close a cycle). */
const scheduledFunctionArn = () => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':lambda:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':function:SluiceTest-pipeline-scheduled',
    ],
  ],
});

const statements = (): { policyId: string; statement: Statement }[] =>
  resourcesOfType('AWS::IAM::Policy').flatMap(([policyId, policy]) =>
    ((policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((statement) => ({
      policyId,
      statement,
    })),
  );
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
/** The statements of every policy attached to `role`, whichever construct holds the policy. */
const statementsOf = (role: IConstruct): Statement[] => {
  const roleRef = JSON.stringify({ Ref: logicalIdOf(role) });
  return statements()
    .filter(({ policyId }) => (resources[policyId]?.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
    .map(({ statement }) => statement);
};
const rolesAllowedTo = (action: string): string[] =>
  statements()
    .filter(({ statement }) => actionsOf(statement).includes(action))
    .flatMap(({ policyId }) => (resources[policyId]?.Properties?.Roles as { Ref: string }[]).map((r) => r.Ref));

const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'Arn'] });
const stateMachineArnOf = (machine: SluiceStateMachine) => ({ Ref: logicalIdOf(machine.stateMachine) });
/** `arn:…:execution:<state machine name>:*`, as CDK's grantExecution builds it. */
const executionArnsOf = (machine: SluiceStateMachine) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':execution:',
      { 'Fn::Select': [6, { 'Fn::Split': [':', stateMachineArnOf(machine)] }] },
      ':*',
    ],
  ],
});
const timeline = (): TimelinePublisher => {
  const found = stack.node.findAll().filter((c): c is TimelinePublisher => c instanceof TimelinePublisher);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const flowMachines = (): [(typeof FLOWS)[number], SluiceStateMachine][] => FLOWS.map((flow) => [flow, stack.flows[flow.name]]);
/** The flows of one upgrade execution (`startedBy: 'upgrades'`), which the upgrades API and the fleet tasks start. */
const upgradeMachines = () => [stack.flows.rolling, stack.flows.canary, stack.flows['blue-green']];
/** The task function a flow's Task states name: the fleet one for `${FleetTasksFunctionArn}`, else the upgrade one. */
const taskFunctionOf = (flow: (typeof FLOWS)[number]): SluiceFunction =>
  (flow.substitutionKeys as readonly string[]).includes(FLEET_TASK_FUNCTION_ARN_KEY) ? stack.fleetTaskFunction : stack.taskFunction;
const variablesOf = (fn: SluiceFunction): Record<string, unknown> =>
  (resources[logicalIdOf(fn.lambda)]?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
const startsOf = (fn: SluiceFunction): unknown[] =>
  statementsOf(fn.role)
    .filter((s) => actionsOf(s).includes('states:StartExecution'))
    .flatMap(resourcesOf);

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
    // The single table, and the idempotency table (below).
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
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

describe('idempotency table', () => {
  const mutatingGroups = ROUTE_GROUPS.filter((group) => ROUTES.some((route) => route.group === group && acceptsIdempotencyKey(route)));
  const idempotencyArn = () => arnOf(stack.idempotencyTable);

  it('has the hash key and TTL of IDEMPOTENCY_TABLE_SCHEMA, on demand, and nothing else', () => {
    const table = resources[logicalIdOf(stack.idempotencyTable)];
    expect(table?.Properties).toEqual({
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE_SCHEMA.partitionKey, AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: IDEMPOTENCY_TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
    });
  });

  it('has no point-in-time recovery and goes with the stack (records matter for 24 h only)', () => {
    expect(resources[logicalIdOf(stack.idempotencyTable)]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('is read and written by the API functions of groups with mutations, with exactly the calls Powertools makes', () => {
    expect(mutatingGroups.sort()).toEqual(['catalog', 'fleet', 'pipeline', 'registry', 'services', 'upgrades']);
    for (const group of mutatingGroups) {
      const onTable = statementsOf(stack.functions[group].role).filter((s) =>
        resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(idempotencyArn())),
      );
      expect(onTable.map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s) }))).toEqual([
        { actions: [...IDEMPOTENCY_ACTIONS].sort(), resources: [idempotencyArn()] },
      ]);
    }
  });

  it('is reachable by no other role: not system, the task or scheduled functions, the flows or the pipe', () => {
    const granted = statements()
      .filter(({ statement }) => resourcesOf(statement).some((r) => JSON.stringify(r).includes(logicalIdOf(stack.idempotencyTable))))
      .flatMap(({ policyId }) => (resources[policyId]?.Properties?.Roles as { Ref: string }[]).map((r) => r.Ref));
    expect([...new Set(granted)].sort()).toEqual(mutatingGroups.map((group) => logicalIdOf(stack.functions[group].role)).sort());
  });

  it('is named to those functions by IDEMPOTENCY_TABLE_NAME, and to no other', () => {
    for (const fn of allFunctions()) {
      const variables = (resources[logicalIdOf(fn.lambda)]?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      const isApiWithMutations = mutatingGroups.some((group) => stack.functions[group] === fn);
      expect(variables.IDEMPOTENCY_TABLE_NAME).toEqual(isApiWithMutations ? { Ref: logicalIdOf(stack.idempotencyTable) } : undefined);
    }
  });
});

describe('functions', () => {
  it('are one per route group plus the two task functions, the scheduled function and the auto-upgrade fan-out, and nothing else', () => {
    template.resourceCountIs('AWS::Lambda::Function', ROUTE_GROUPS.length + 4);
    expect(Object.keys(stack.functions).sort()).toEqual([...ROUTE_GROUPS].sort());
  });

  it.each(ROUTE_GROUPS)('%s runs on Node.js 24 arm64 with JSON logs and the Sluice environment, without --enable-source-maps', (group) => {
    const fn = resources[logicalIdOf(stack.functions[group].lambda)];
    // Parsing the map at every cold start costs 6-12 ms; it is read when an error is reported (decision 0034).
    expect(variablesOf(stack.functions[group]).NODE_OPTIONS).toBeUndefined();
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
          ...POWERTOOLS_ENVIRONMENT,
        },
      },
    });
  });

  it.each(['upgrades', 'registry'] as const)('%s finds the rolling state machine through ROLLING_STATE_MACHINE_ARN', (name) => {
    const fn = resources[logicalIdOf(stack.functions[name].lambda)];
    expect(fn?.Properties).toMatchObject({
      Environment: { Variables: { ROLLING_STATE_MACHINE_ARN: stateMachineArnOf(stack.flows.rolling) } },
    });
  });

  it('fleet finds the update-run state machine through UPDATE_RUN_STATE_MACHINE_ARN, and no upgrade flow', () => {
    const variables = variablesOf(stack.functions.fleet);
    expect(variables.UPDATE_RUN_STATE_MACHINE_ARN).toEqual(stateMachineArnOf(stack.flows['update-run']));
    for (const name of ['ROLLING_STATE_MACHINE_ARN', 'CANARY_STATE_MACHINE_ARN', 'BLUE_GREEN_STATE_MACHINE_ARN']) {
      expect(variables[name], name).toBeUndefined();
    }
  });

  it('no function but fleet knows the update-run state machine', () => {
    for (const name of FUNCTION_NAMES) {
      const fn = functionNamed(name);
      expect(variablesOf(fn).UPDATE_RUN_STATE_MACHINE_ARN, name).toEqual(
        fn === stack.functions.fleet ? stateMachineArnOf(stack.flows['update-run']) : undefined,
      );
    }
  });

  it('fleet-tasks runs up to 5 minutes with 1024 MB and knows the table and the upgrade flows, not the claims or the bus', () => {
    const fn = resources[logicalIdOf(stack.fleetTaskFunction.lambda)];
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      MemorySize: 1024,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(stack.fleetTaskFunction.logGroup) } },
    });
    expect(variablesOf(stack.fleetTaskFunction)).toEqual({
      TABLE_NAME: { Ref: logicalIdOf(stack.table) },
      ...POWERTOOLS_ENVIRONMENT,
      // Member upgrades are started through the upgrades use case.
      ROLLING_STATE_MACHINE_ARN: stateMachineArnOf(stack.flows.rolling),
      CANARY_STATE_MACHINE_ARN: stateMachineArnOf(stack.flows.canary),
      BLUE_GREEN_STATE_MACHINE_ARN: stateMachineArnOf(stack.flows['blue-green']),
    });
  });

  it('upgrade-tasks runs up to 5 minutes with 1024 MB and knows the table and the bus, not the claims', () => {
    const fn = resources[logicalIdOf(stack.taskFunction.lambda)];
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      MemorySize: 1024,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalIdOf(stack.taskFunction.logGroup) } },
    });
    expect((fn?.Properties?.Environment as { Variables: unknown }).Variables).toEqual({
      TABLE_NAME: { Ref: logicalIdOf(stack.table) },
      EVENT_BUS_NAME: { Ref: logicalIdOf(stack.eventBus) },
      ...POWERTOOLS_ENVIRONMENT,
      // Where a completed upgrade schedules its pipeline's auto-validations.
      SCHEDULE_GROUP: { Ref: groupId() },
      SCHEDULER_ROLE_ARN: arnOf(stack.scheduler.role),
      SCHEDULER_DLQ_ARN: arnOf(stack.scheduler.deadLetterQueue),
      SCHEDULED_FUNCTION_ARN: scheduledFunctionArn(),
    });
  });

  it.each(FUNCTION_NAMES)('%s is bundled as minified ESM with the createRequire banner and a source map', (name) => {
    const fn = resources[logicalIdOf(functionNamed(name).lambda)];
    // The code's S3 key is `<asset hash>.zip`; the staged bundle sits in `asset.<hash>`.
    const s3Key = (fn?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key ?? '';
    const assetDir = join(assemblyDir, `asset.${s3Key.replace(/\.zip$/, '')}`);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as __sluiceCreateRequire } from 'node:module';")).toBe(true);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    // Decision 0034: DynamoDB's client bundled and tree-shaken, zod's locales shaken out.
    expect(Buffer.byteLength(bundle)).toBeLessThan(BUNDLE_BUDGET_BYTES);
    expect(bundle).not.toMatch(/from\s*["']@smithy\//);
    // Nothing of the SDK is imported from outside the bundle; DynamoDB is inside it, not required.
    expect(bundle).not.toMatch(/(from|import\()\s*["']@aws-sdk\//);
    expect(bundle).not.toMatch(/require\)?\(["']@aws-sdk\/(client-dynamodb|lib-dynamodb)["']\)/);
    // The SDK's credential chain is aliased away (functions/common/aws-credentials.ts): none of its STS and SSO clients.
    expect(bundle).not.toContain('AssumeRoleWithWebIdentity');
    // The system function has no table: no DynamoDB client in it at all.
    if (name === 'system') expect(bundle).not.toContain('DynamoDBDocumentClient');
    else expect(bundle).toContain('DynamoDBDocumentClient');
  });

  it('use roles without AWS managed policies', () => {
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('permissions', () => {
  it('grant no wildcard action', () => {
    for (const { statement } of statements()) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
      }
    }
  });

  it('aim every DynamoDB grant at the table and its indexes, its stream (reads), or the idempotency table, only', () => {
    const tableId = logicalIdOf(stack.table);
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const streamArn = { 'Fn::GetAtt': [tableId, 'StreamArn'] };
    const idempotencyArn = arnOf(stack.idempotencyTable);
    const streamReads = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
    const dynamoStatements = statements().filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
    expect(dynamoStatements.length).toBeGreaterThan(0);
    for (const { statement } of dynamoStatements) {
      const targets = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const target of targets) {
        expect([tableArn, { 'Fn::Join': ['', [tableArn, '/index/*']] }, streamArn, idempotencyArn]).toContainEqual(target);
        if (JSON.stringify(target) === JSON.stringify(streamArn)) expect(streamReads).toEqual(expect.arrayContaining(actionsOf(statement)));
      }
    }
  });

  it('give the system group and the flows no table access, and the other functions read-write', () => {
    const dynamoActionsOf = (role: IConstruct): string[] =>
      statementsOf(role)
        .flatMap((statement) => actionsOf(statement))
        .filter((a) => a.startsWith('dynamodb:'));
    expect(dynamoActionsOf(stack.functions.system.role)).toEqual([]);
    for (const [, machine] of flowMachines()) expect(dynamoActionsOf(machine.role)).toEqual([]);
    for (const fn of allFunctions().filter((fn) => fn !== stack.functions.system)) {
      expect(dynamoActionsOf(fn.role)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']));
    }
  });

  // The registry API (the orchestrator-style routes) runs the upgrade use cases, so it holds what the upgrades API holds.
  const upgradeApis = () =>
    [
      ['upgrades', stack.functions.upgrades],
      ['registry', stack.functions.registry],
    ] as const;

  const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

  it.each(['upgrades', 'registry', 'pipeline', 'pipeline-scheduled', 'fleet-tasks'] as const)(
    'let the %s function start the upgrade flows (rolling, canary, blue-green) and nothing else, never an update run',
    (name) => {
      const starts = startsOf(functionNamed(name));
      expect(starts.sort(byJson)).toEqual(upgradeMachines().map(stateMachineArnOf).sort(byJson));
      expect(starts).not.toContainEqual(stateMachineArnOf(stack.flows['update-run']));
      expect(starts).not.toContainEqual(stateMachineArnOf(stack.flows['update-run-stage']));
    },
  );

  it('let the fleet function start the update-run flow and nothing else (its tasks start the member upgrades)', () => {
    expect(startsOf(stack.functions.fleet)).toEqual([stateMachineArnOf(stack.flows['update-run'])]);
    const control = statementsOf(stack.functions.fleet.role)
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('states:') && !a.startsWith('states:SendTask'));
    expect(control).toEqual(['states:StartExecution']);
  });

  it('let the fleet task function stop or describe no execution (it only starts member upgrades)', () => {
    const control = statementsOf(stack.fleetTaskFunction.role)
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('states:') && !a.startsWith('states:SendTask'));
    expect([...new Set(control)]).toEqual(['states:StartExecution']);
  });

  it('let only the upgrade APIs, the pipeline functions, the fleet functions and parent flows start executions', () => {
    // Only the upgrades and registry functions, the pipeline functions (upgrades a validation
    // releases), the fleet API (update runs), the fleet task function (member upgrades) and
    // parent flows (for their children) start executions at all.
    const starters = [
      ...upgradeApis().map(([, fn]) => logicalIdOf(fn.role)),
      logicalIdOf(stack.functions.pipeline.role),
      logicalIdOf(stack.scheduledFunction.role),
      logicalIdOf(stack.functions.fleet.role),
      logicalIdOf(stack.fleetTaskFunction.role),
      logicalIdOf(stack.autoUpgrade.function.role),
      ...flowMachines()
        .filter(([flow]) => childFlowsOf(flow).length > 0)
        .map(([, m]) => logicalIdOf(m.role)),
    ];
    expect([...new Set(rolesAllowedTo('states:StartExecution'))].sort()).toEqual(starters.sort());
  });

  it.each(['upgrades', 'registry'] as const)('let the %s function stop and describe executions of the top-level flows only', (name) => {
    const control = statementsOf(stack.functions[name].role).filter((s) =>
      actionsOf(s).some((a) => a === 'states:StopExecution' || a === 'states:DescribeExecution'),
    );
    expect([...new Set(control.flatMap(actionsOf))].sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(control.flatMap(resourcesOf).sort(byJson)).toEqual(upgradeMachines().map(executionArnsOf).sort(byJson));
  });

  it('give task-token calls on "*" alone: success to every function that can end an upgrade or wake a run, failure to the upgrade APIs and the task function', () => {
    const apiRoles = upgradeApis().map(([, fn]) => logicalIdOf(fn.role));
    const tasksRole = logicalIdOf(stack.taskFunction.role);
    // A member upgrade ending wakes its update run (completes the run's token): the pipeline
    // functions start upgrades (a failed start ends one), the fleet functions wake runs.
    const wakers = [
      stack.functions.pipeline,
      stack.scheduledFunction,
      stack.functions.fleet,
      stack.fleetTaskFunction,
      stack.autoUpgrade.function,
    ].map((fn) => logicalIdOf(fn.role));
    // A decision link decides an upgrade's gate (its token succeeds or fails) or wakes a run.
    const decisions = logicalIdOf(stack.functions.decisions.role);
    expect(rolesAllowedTo('states:SendTaskSuccess').sort()).toEqual([...apiRoles, tasksRole, ...wakers, decisions].sort());
    // The task function fails a waiting token when a gate closes or a hold is interrupted.
    expect(rolesAllowedTo('states:SendTaskFailure').sort()).toEqual([...apiRoles, tasksRole, decisions].sort());
    expect(rolesAllowedTo('states:SendTaskHeartbeat')).toEqual([]);
    const tokenStatements = statements().filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('states:SendTask')));
    for (const { policyId, statement } of tokenStatements) {
      // A policy of its own, so the acknowledged "*" covers this one statement only.
      expect(resources[policyId]?.Properties?.PolicyDocument).toEqual({ Statement: [statement], Version: '2012-10-17' });
      expect(statement.Resource).toBe('*');
      expect(actionsOf(statement).every((a) => a.startsWith('states:SendTask'))).toBe(true);
    }
  });

  it('let no function but the task function invoke a function (the flows invoke the task function)', () => {
    for (const fn of allFunctions()) {
      if (fn === stack.taskFunction) continue;
      expect(statementsOf(fn.role).flatMap(actionsOf)).not.toContain('lambda:InvokeFunction');
    }
  });

  it('let the task function invoke only the lambda targets of the pattern, in its account and region', () => {
    const invoke = statementsOf(stack.taskFunction.role).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.flatMap(actionsOf)).toEqual(['lambda:InvokeFunction']);
    const arn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':lambda:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:function:${CONFIG_DEFAULTS.lambdaTargetPattern}`,
        ],
      ],
    };
    const qualified = {
      'Fn::Join': ['', [...(arn['Fn::Join'][1] as unknown[])].slice(0, -1).concat(`:function:${CONFIG_DEFAULTS.lambdaTargetPattern}:*`)],
    };
    expect(invoke.flatMap(resourcesOf)).toEqual([arn, qualified]);
    // The services API checks targets against the same pattern.
    const services = resources[logicalIdOf(stack.functions.services.lambda)]?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(services.Environment.Variables.SLUICE_LAMBDA_TARGET_PATTERN).toEqual(arn);
  });
});

describe('flows', () => {
  const definitionOf = (machine: SluiceStateMachine): { text: string; properties: Record<string, unknown> } => {
    const properties = resources[logicalIdOf(machine.stateMachine)]?.Properties ?? {};
    const key = (properties.DefinitionS3Location as { Key: string }).Key;
    return { text: readFileSync(join(assemblyDir, `asset.${key}`), 'utf8'), properties };
  };
  /** The staged definition with each `${Key}` replaced by its (CloudFormation) value. */
  const substitutedDefinitionOf = (machine: SluiceStateMachine): unknown => {
    const { text, properties } = definitionOf(machine);
    const substitutions = properties.DefinitionSubstitutions as Record<string, unknown>;
    const marked = text.replace(/\$\{([^}]*)\}/g, (_m, key: string) => `@@${key}@@`);
    return JSON.parse(marked, (_k, value: unknown) => {
      const match = typeof value === 'string' ? /^@@(.+)@@$/.exec(value) : null;
      return match ? substitutions[match[1]!] : value;
    });
  };
  type TaskState = { Type: string; Resource?: string; Parameters?: Record<string, unknown> };
  /** The managed rule through which a parent learns that its sync child finished. */
  const syncRuleArn = () => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':events:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:rule/${SYNC_EXECUTION_RULE_NAME}`,
      ],
    ],
  });
  const tasksOf = (definition: unknown): TaskState[] =>
    Object.values((definition as { States: Record<string, TaskState> }).States).filter((state) => state.Type === 'Task');

  it('are one STANDARD state machine per entry of FLOWS, children first', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', FLOWS.length);
    expect(Object.keys(stack.flows)).toEqual(FLOWS.map((flow) => flow.name));
    for (const [, machine] of flowMachines()) {
      expect(resources[logicalIdOf(machine.stateMachine)]?.Properties?.StateMachineType).toBe('STANDARD');
    }
  });

  it.each(FLOWS.map((flow) => flow.name))('%s outputs its state machine ARN', (name) => {
    template.hasOutput(stateMachineArnKey(name), { Value: stateMachineArnOf(stack.flows[name]) });
  });

  it.each(FLOWS.map((flow) => flow.name))('%s logs ALL events without execution data to its own log group, with X-Ray on', (name) => {
    const machine = stack.flows[name];
    expect(resources[logicalIdOf(machine.stateMachine)]?.Properties).toMatchObject({
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(machine.logGroup) } }],
      },
      TracingConfiguration: { Enabled: true },
      RoleArn: arnOf(machine.role),
    });
    expect(resources[logicalIdOf(machine.logGroup)]?.Properties?.LogGroupName).toBe(`/aws/vendedlogs/states/SluiceTest-${name}`);
  });

  it.each(FLOWS.map((flow) => flow.name))('%s is deployed from its ASL file as-is', (name) => {
    const machine = stack.flows[name];
    expect(definitionOf(machine).text).toBe(readFileSync(join(PROJECT_ROOT, machine.flow.file), 'utf8'));
  });

  it.each(FLOWS.map((flow) => flow.name))("%s substitutes exactly its substitutionKeys with the stack's values", (name) => {
    const machine = stack.flows[name];
    const expected: Record<string, unknown> = {};
    for (const key of machine.flow.substitutionKeys) {
      const child = FLOWS.find((f) => stateMachineArnKey(f.name) === key);
      expected[key] =
        key === TASK_FUNCTION_ARN_KEY
          ? arnOf(stack.taskFunction.lambda)
          : key === FLEET_TASK_FUNCTION_ARN_KEY
            ? arnOf(stack.fleetTaskFunction.lambda)
            : child
              ? stateMachineArnOf(stack.flows[child.name])
              : undefined;
    }
    expect(definitionOf(machine).properties.DefinitionSubstitutions).toEqual(expected);
  });

  it('invoke their task function from every Lambda task once substituted: the fleet one in update runs, the upgrade one elsewhere', () => {
    for (const [flow, machine] of flowMachines()) {
      const lambdaTasks = tasksOf(substitutedDefinitionOf(machine)).filter((t) => t.Resource?.startsWith('arn:aws:states:::lambda:invoke'));
      expect(lambdaTasks.length).toBeGreaterThan(0);
      const expected = flow.name.startsWith('update-run') ? stack.fleetTaskFunction : stack.taskFunction;
      expect(taskFunctionOf(flow)).toBe(expected);
      for (const task of lambdaTasks) expect(task.Parameters?.FunctionName, flow.name).toEqual(arnOf(expected.lambda));
    }
  });

  it('update-run runs stages as child executions of the update-run-stage state machine once substituted', () => {
    const childTasks = tasksOf(substitutedDefinitionOf(stack.flows['update-run'])).filter((t) =>
      t.Resource?.startsWith('arn:aws:states:::states:startExecution'),
    );
    expect(childTasks.map((t) => t.Resource)).toEqual(['arn:aws:states:::states:startExecution.sync:2']);
    expect(childTasks[0]?.Parameters?.StateMachineArn).toEqual(stateMachineArnOf(stack.flows['update-run-stage']));
  });

  it('rolling runs batches as child executions of the batch state machine once substituted', () => {
    const childTasks = tasksOf(substitutedDefinitionOf(stack.flows.rolling)).filter((t) =>
      t.Resource?.startsWith('arn:aws:states:::states:startExecution'),
    );
    expect(childTasks.map((t) => t.Resource)).toEqual(['arn:aws:states:::states:startExecution.sync:2']);
    expect(childTasks[0]?.Parameters?.StateMachineArn).toEqual(stateMachineArnOf(stack.flows.batch));
  });

  it('have roles that may invoke the task function their file names, by its unqualified ARN, and nothing else', () => {
    const invokers = rolesAllowedTo('lambda:InvokeFunction');
    // Besides the flows, only the Scheduler role invokes anything (see "pipeline scheduler"),
    // and the task function its lambda targets (asserted with the function grants).
    const tasksRole = logicalIdOf(stack.taskFunction.role);
    expect(invokers.sort()).toEqual(
      [...flowMachines().map(([, m]) => logicalIdOf(m.role)), logicalIdOf(stack.scheduler.role), tasksRole].sort(),
    );
    for (const { statement, policyId } of statements().filter(({ statement }) => actionsOf(statement).includes('lambda:InvokeFunction'))) {
      expect(actionsOf(statement)).toEqual(['lambda:InvokeFunction']);
      const roles = (resources[policyId]?.Properties?.Roles as { Ref: string }[]).map((r) => r.Ref);
      if (roles.includes(tasksRole)) continue;
      if (roles.includes(logicalIdOf(stack.scheduler.role))) {
        expect(resourcesOf(statement)).toEqual([arnOf(stack.scheduledFunction.lambda)]);
        continue;
      }
      const [flow] = flowMachines().find(([, m]) => roles.includes(logicalIdOf(m.role)))!;
      expect(resourcesOf(statement), flow.name).toEqual([arnOf(taskFunctionOf(flow).lambda)]);
    }
  });

  it.each(FLOWS.map((flow) => flow.name))('%s may invoke exactly one task function: the one its file names', (name) => {
    const [flow, machine] = flowMachines().find(([f]) => f.name === name)!;
    const invoked = statementsOf(machine.role)
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
      .flatMap(resourcesOf);
    expect(invoked).toEqual([arnOf(taskFunctionOf(flow).lambda)]);
  });

  it.each(['update-run', 'update-run-stage'] as const)(
    '%s may invoke the fleet task function and not the upgrade task function',
    (name) => {
      const invoked = statementsOf(stack.flows[name].role)
        .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
        .flatMap(resourcesOf);
      expect(invoked).toContainEqual(arnOf(stack.fleetTaskFunction.lambda));
      expect(invoked).not.toContainEqual(arnOf(stack.taskFunction.lambda));
    },
  );

  it('give rolling exactly what states:startExecution.sync:2 of batch needs', () => {
    const rollingStatements = statementsOf(stack.flows.rolling.role).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:') || a.startsWith('events:')),
    );
    const ruleArn = syncRuleArn();
    expect(rollingStatements.map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s) }))).toEqual([
      { actions: ['states:StartExecution'], resources: [stateMachineArnOf(stack.flows.batch)] },
      { actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executionArnsOf(stack.flows.batch)] },
      { actions: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'], resources: [ruleArn] },
    ]);
  });

  it('give update-run exactly what states:startExecution.sync:2 of update-run-stage needs, and no upgrade flow', () => {
    const runStatements = statementsOf(stack.flows['update-run'].role).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:') || a.startsWith('events:')),
    );
    expect(runStatements.map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s) }))).toEqual([
      { actions: ['states:StartExecution'], resources: [stateMachineArnOf(stack.flows['update-run-stage'])] },
      { actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executionArnsOf(stack.flows['update-run-stage'])] },
      { actions: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'], resources: [syncRuleArn()] },
    ]);
  });

  it.each(['batch', 'canary-monitor', 'update-run-stage'] as const)(
    'give %s no Step Functions or EventBridge permission (it starts no child)',
    (name) => {
      const actions = statementsOf(stack.flows[name].role).flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('states:') || a.startsWith('events:'))).toEqual([]);
    },
  );

  it('have roles whose only "*" statements are the logging and tracing ones CDK adds', () => {
    for (const [, machine] of flowMachines()) {
      const starred = statementsOf(machine.role).filter((s) => resourcesOf(s).includes('*'));
      for (const statement of starred) {
        expect(actionsOf(statement).every((a) => a.startsWith('logs:') || a.startsWith('xray:'))).toBe(true);
      }
    }
  });
});

describe('ASL files (statemachines/*.asl.json)', () => {
  const STATEMACHINES_DIR = join(PROJECT_ROOT, 'statemachines');
  const files = readdirSync(STATEMACHINES_DIR)
    .filter((f) => f.endsWith('.asl.json'))
    .sort();
  type AslValidator = (
    definition: unknown,
    opts?: { checkPaths: boolean; checkArn: boolean },
  ) => {
    isValid: boolean;
    errorsText: (separator?: string) => string;
  };
  const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;
  const SAMPLE_VALUES: Record<string, string> = {
    [TASK_FUNCTION_ARN_KEY]: 'arn:aws:lambda:us-east-1:123456789012:function:sluice-upgrade-tasks',
    [FLEET_TASK_FUNCTION_ARN_KEY]: 'arn:aws:lambda:us-east-1:123456789012:function:sluice-fleet-tasks',
    ...Object.fromEntries(
      FLOWS.map((f) => [stateMachineArnKey(f.name), `arn:aws:states:us-east-1:123456789012:stateMachine:sluice-${f.name}`]),
    ),
  };

  it('exist, and each has an entry in FLOWS (and each entry a file)', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((f) => `statemachines/${f}`)).toEqual(FLOWS.map((flow) => flow.file).sort());
  });

  it.each(files)('%s uses only placeholders that the stack provides for it', (file) => {
    const flow = FLOWS.find((f) => f.file === `statemachines/${file}`)!;
    const placeholders = placeholdersOf(readFileSync(join(STATEMACHINES_DIR, file), 'utf8'));
    expect(placeholders.length).toBeGreaterThan(0);
    const provided = Object.keys(definitionOfFlow(flow.name));
    for (const key of placeholders) expect(provided, `\${${key}} in ${file}`).toContain(key);
  });

  it.each(files)('%s passes asl-validator, as written and once substituted', (file) => {
    const text = readFileSync(join(STATEMACHINES_DIR, file), 'utf8');
    const substituted = text.replace(/\$\{([^}!][^}]*)\}/g, (_m, key: string) => SAMPLE_VALUES[key] ?? `MISSING:${key}`);
    for (const definition of [text, substituted]) {
      const result = aslValidator(JSON.parse(definition), { checkPaths: true, checkArn: true });
      expect(result.isValid, result.errorsText('; ')).toBe(true);
    }
  });

  /** The DefinitionSubstitutions the synthesized stack gives flow `name`. */
  function definitionOfFlow(name: (typeof FLOWS)[number]['name']): Record<string, unknown> {
    return (resources[logicalIdOf(stack.flows[name].stateMachine)]?.Properties?.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  }
});

describe('event bus', () => {
  it('is the custom bus named by context, with no resource policy', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: CONFIG_DEFAULTS.eventBusName });
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });

  it('takes events from the task function and the timeline pipe only', () => {
    expect(rolesAllowedTo('events:PutEvents').sort()).toEqual([logicalIdOf(stack.taskFunction.role), logicalIdOf(timeline().role)].sort());
    const puts = statements().filter(({ statement }) => actionsOf(statement).includes('events:PutEvents'));
    for (const { statement } of puts) {
      expect(actionsOf(statement)).toEqual(['events:PutEvents']);
      expect(resourcesOf(statement)).toEqual([arnOf(stack.eventBus)]);
    }
  });

  it('outputs its name', () => {
    template.hasOutput('EventBusName', { Value: { Ref: logicalIdOf(stack.eventBus) } });
  });
});

describe('timeline publisher', () => {
  // The pipe is an L1: it is its own CloudFormation resource, with no default child.
  const pipeId = () => stack.resolve(timeline().pipe.logicalId) as string;
  const pipeProperties = () => resources[pipeId()]?.Properties ?? {};
  const streamArn = () => ({ 'Fn::GetAtt': [logicalIdOf(stack.table), 'StreamArn'] });

  it('reads a NEW_IMAGE stream of the table', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
  });

  it('is one pipe from the table stream, from the latest record, 10 at a time, with bounded retries into its DLQ', () => {
    template.resourceCountIs('AWS::Pipes::Pipe', 1);
    expect(pipeProperties().Source).toEqual(streamArn());
    expect(pipeProperties().RoleArn).toEqual(arnOf(timeline().role));
    const source = (pipeProperties().SourceParameters as { DynamoDBStreamParameters: Record<string, unknown> }).DynamoDBStreamParameters;
    expect(source).toMatchObject({
      StartingPosition: 'LATEST',
      BatchSize: 10,
      DeadLetterConfig: { Arn: arnOf(timeline().deadLetterQueue) },
    });
    expect(source.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(source.MaximumRetryAttempts).toBeLessThanOrEqual(10);
  });

  it('lets through only INSERTs of EVENT# items with a type (not voided sequence numbers)', () => {
    const { FilterCriteria } = pipeProperties().SourceParameters as { FilterCriteria: { Filters: { Pattern: string }[] } };
    expect(FilterCriteria.Filters).toHaveLength(1);
    expect(JSON.parse(FilterCriteria.Filters[0]!.Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { sk: { S: [{ prefix: 'EVENT#' }] }, type: { S: [{ exists: true }] } } },
    });
  });

  it('puts on the bus with source sluice.upgrades and the item type as detail-type', () => {
    expect(pipeProperties().Target).toEqual(arnOf(stack.eventBus));
    expect(pipeProperties().TargetParameters).toEqual({
      EventBridgeEventBusParameters: { Source: 'sluice.upgrades', DetailType: '$.dynamodb.NewImage.type.S' },
      InputTemplate: TIMELINE_INPUT_TEMPLATE,
    });
    expect([TIMELINE_EVENT_SOURCE, TIMELINE_DETAIL_TYPE_PATH]).toEqual(['sluice.upgrades', '$.dynamodb.NewImage.type.S']);
  });

  /** The template with each <$.…> variable replaced by the sample's value (a missing one stands out). */
  const render = (sample: Record<string, string>) =>
    TIMELINE_INPUT_TEMPLATE.replace(/<(\$[^>]+)>/g, (_m, path: string) => sample[path] ?? `MISSING:${path}`);

  it('uses only variables of the new image: both keys, tenant, sort key, type, time, actor and the detail map', () => {
    const paths = [...TIMELINE_INPUT_TEMPLATE.matchAll(/<(\$[^>]+)>/g)].map(([, path]) => path);
    expect(paths).toEqual([
      '$.dynamodb.NewImage.executionId.S',
      '$.dynamodb.NewImage.runId.S',
      '$.dynamodb.NewImage.tenantId.S',
      '$.dynamodb.NewImage.sk.S',
      '$.dynamodb.NewImage.type.S',
      '$.dynamodb.NewImage.at.S',
      '$.dynamodb.NewImage.actor.S',
      '$.dynamodb.NewImage.detail.M',
    ]);
  });

  it("makes an upgrade's detail from the new image: key, type, time, actor, and the detail map as DynamoDB JSON", () => {
    // Sample values in place of the <$.…> variables must give valid JSON with exactly these fields.
    const rendered = render({
      '$.dynamodb.NewImage.executionId.S': 'upg_exec1',
      '$.dynamodb.NewImage.tenantId.S': 'acme',
      '$.dynamodb.NewImage.sk.S': 'EVENT#000000000007',
      '$.dynamodb.NewImage.type.S': 'BatchCompleted',
      '$.dynamodb.NewImage.at.S': '2025-01-01T00:00:00.000Z',
      '$.dynamodb.NewImage.actor.S': 'alice',
      '$.dynamodb.NewImage.detail.M': '{"batch":{"N":"2"}}',
    }).replace(/"runId": "MISSING:[^"]*", /, ''); // as Pipes leaves out an absent path
    expect(JSON.parse(rendered)).toEqual({
      executionId: 'upg_exec1',
      tenantId: 'acme',
      sk: 'EVENT#000000000007',
      type: 'BatchCompleted',
      at: '2025-01-01T00:00:00.000Z',
      actor: 'alice',
      detailDynamoDb: { batch: { N: '2' } },
    });
  });

  it("makes an update run's detail with its runId (UPDATE_RUN#<runId> / EVENT#…, no executionId)", () => {
    const item = {
      runId: 'run_1',
      tenantId: 'acme',
      sk: 'EVENT#000000000001',
      type: 'UpdateRunCreated',
      at: '2025-01-01T00:00:00.000Z',
      actor: 'bob',
    };
    const sample = Object.fromEntries(Object.entries(item).map(([key, value]) => [`$.dynamodb.NewImage.${key}.S`, value]));
    const rendered = render({ ...sample, '$.dynamodb.NewImage.detail.M': '{"stage":{"N":"0"}}' }).replace(
      /"executionId": "MISSING:[^"]*", /,
      '',
    ); // as Pipes leaves out an absent path
    expect(JSON.parse(rendered)).toEqual({ ...item, detailDynamoDb: { stage: { N: '0' } } });
    // Its sort key passes the filter as an upgrade's does.
    expect(TIMELINE_FILTER_PATTERN.dynamodb.NewImage.sk.S[0].prefix).toBe('EVENT#');
  });

  it('has a role that may read the stream, put on the bus and send to its DLQ, and nothing else', () => {
    expect(
      statementsOf(timeline().role).map((s) => ({ effect: s.Effect, actions: actionsOf(s).sort(), resources: resourcesOf(s) })),
    ).toEqual([
      {
        effect: 'Allow',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn()],
      },
      { effect: 'Allow', actions: ['events:PutEvents'], resources: [arnOf(stack.eventBus)] },
      { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [arnOf(timeline().deadLetterQueue)] },
    ]);
    expect(resources[logicalIdOf(timeline().role)]?.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(resources[logicalIdOf(timeline().role)]?.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'pipes.amazonaws.com' } }],
    });
  });

  it('is created after its role policy (Pipes checks permissions at creation)', () => {
    const dependsOn = (template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[pipeId()]?.DependsOn;
    expect(dependsOn).toContain(logicalIdOf(timeline().role.node.findChild('DefaultPolicy') as IConstruct));
  });

  it('has an encrypted dead-letter queue that refuses plain HTTP', () => {
    expect(resources[logicalIdOf(timeline().deadLetterQueue)]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalIdOf(timeline().deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('pipeline scheduler', () => {
  const scheduleArns = () => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':scheduler:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':schedule/',
        { Ref: groupId() },
        '/*',
      ],
    ],
  });

  it('has a schedule group of its own', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    expect(resources[groupId()]?.Type).toBe('AWS::Scheduler::ScheduleGroup');
  });

  it('has a role only Scheduler may assume, for this account and group, that invokes only the scheduled function and dead-letters', () => {
    const role = resources[logicalIdOf(stack.scheduler.role)];
    expect(role?.Properties?.AssumeRolePolicyDocument).toEqual({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnEquals: { 'aws:SourceArn': scheduleArns() } },
        },
      ],
      Version: '2012-10-17',
    });
    const granted = statementsOf(stack.scheduler.role).map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) }));
    expect(granted).toEqual([
      { actions: ['lambda:InvokeFunction'], resources: [arnOf(stack.scheduledFunction.lambda)] },
      { actions: ['sqs:SendMessage'], resources: [arnOf(stack.scheduler.deadLetterQueue)] },
    ]);
  });

  it('has an encrypted, SSL-only dead-letter queue', () => {
    expect(resources[logicalIdOf(stack.scheduler.deadLetterQueue)]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalIdOf(stack.scheduler.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('lets the pipeline API create and delete schedules, the scheduled and task functions create them, in its group only', () => {
    const scheduleActions = (fn: SluiceFunction) =>
      statementsOf(fn.role).filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
    expect(scheduleActions(stack.functions.pipeline).map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s) }))).toEqual([
      { actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule'], resources: [scheduleArns()] },
    ]);
    for (const fn of [stack.scheduledFunction, stack.taskFunction]) {
      expect(scheduleActions(fn).map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s) }))).toEqual([
        { actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule'], resources: [scheduleArns()] },
      ]);
    }
    const schedulers = [stack.functions.pipeline, stack.scheduledFunction, stack.taskFunction].map((fn) => logicalIdOf(fn.role)).sort();
    expect([...new Set(rolesAllowedTo('scheduler:CreateSchedule'))].sort()).toEqual(schedulers);
    expect(rolesAllowedTo('scheduler:DeleteSchedule')).toEqual([logicalIdOf(stack.functions.pipeline.role)]);
  });

  it('lets only those functions pass the scheduler role, and only to Scheduler', () => {
    const passes = statements().filter(({ statement }) => actionsOf(statement).includes('iam:PassRole'));
    expect(passes.length).toBe(3);
    for (const { statement } of passes) {
      expect(resourcesOf(statement)).toEqual([arnOf(stack.scheduler.role)]);
      expect((statement as Statement & { Condition?: unknown }).Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      });
    }
  });

  it('tells the functions where to schedule, with what role, and which function to target', () => {
    const variables = (fn: SluiceFunction) =>
      (resources[logicalIdOf(fn.lambda)]?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const fn of [stack.functions.pipeline, stack.scheduledFunction, stack.taskFunction]) {
      expect(variables(fn)).toMatchObject({
        SCHEDULE_GROUP: { Ref: groupId() },
        SCHEDULER_ROLE_ARN: arnOf(stack.scheduler.role),
        SCHEDULER_DLQ_ARN: arnOf(stack.scheduler.deadLetterQueue),
      });
    }
    expect(variables(stack.functions.pipeline).SCHEDULED_FUNCTION_ARN).toEqual(scheduledFunctionArn());
    expect(variables(stack.taskFunction).SCHEDULED_FUNCTION_ARN).toEqual(scheduledFunctionArn());
    // The name that ARN is built from is the function's own.
    expect(resources[logicalIdOf(stack.scheduledFunction.lambda)]?.Properties?.FunctionName).toBe('SluiceTest-pipeline-scheduled');
    // Its own ARN would be a circular reference: it reads it from the invocation context.
    expect(variables(stack.scheduledFunction).SCHEDULED_FUNCTION_ARN).toBeUndefined();
    expect(variables(stack.scheduledFunction).ROLLING_STATE_MACHINE_ARN).toEqual(stateMachineArnOf(stack.flows.rolling));
  });
});

describe('log groups', () => {
  it('all have the retention from context', () => {
    const logGroups = resourcesOfType('AWS::Logs::LogGroup');
    // One per function (route groups, the two task functions, the scheduled function, the fan-out), one per flow, and the API access log.
    expect(logGroups).toHaveLength(ROUTE_GROUPS.length + 4 + FLOWS.length + 1);
    for (const [, logGroup] of logGroups) {
      expect(logGroup.Properties?.RetentionInDays).toBe(RETENTION_DAYS);
    }
  });
});

describe('HTTP API', () => {
  const routeResources = (): CfnResource[] => resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r);
  const routeByKey = (key: string): CfnResource | undefined => routeResources().find((r) => r.Properties?.RouteKey === key);

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
      expect(properties?.AuthorizationType).toBe('NONE');
      expect(properties?.AuthorizerId).toBeUndefined();
    } else {
      expect(properties?.AuthorizationType).toBe('JWT');
      expect(properties?.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  it.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s reaches the function of its route group', (key, route) => {
    const target = JSON.stringify(routeByKey(key)?.Properties?.Target);
    const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
    const integration = integrationId ? resources[integrationId] : undefined;
    expect(integration?.Properties?.IntegrationUri).toEqual({
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

  it('requires no OAuth scope on any route without sluice:jwtScopes', () => {
    for (const route of routeResources()) expect(route.Properties?.AuthorizationScopes).toBeUndefined();
  });

  it('requires the scopes of sluice:jwtScopes on every protected route, and none on public ones', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'sluice-infra-scopes-')),
      context: {
        [CONTEXT_KEYS.jwtIssuer]: ISSUER,
        [CONTEXT_KEYS.jwtAudience]: AUDIENCE,
        [CONTEXT_KEYS.jwtScopes]: 'sluice/api, sluice/admin', // as `-c` would pass it
        // No bundling: this synthesis is only about the routes.
        'aws:cdk:bundling-stacks': [],
      },
    });
    const scoped = Template.fromStack(new SluiceStack(app, 'SluiceScopes'));
    const routes = Object.values(scoped.findResources('AWS::ApiGatewayV2::Route')) as CfnResource[];
    expect(routes).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const properties = routes.find((r) => r.Properties?.RouteKey === routeKey(route))?.Properties;
      if (route.access === 'public') expect(properties?.AuthorizationScopes, routeKey(route)).toBeUndefined();
      else expect(properties?.AuthorizationScopes, routeKey(route)).toEqual(['sluice/api', 'sluice/admin']);
    }
    rmSync(app.outdir, { recursive: true, force: true });
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('finds no unacknowledged finding of any severity during synthesis (cdk synth fails on warnings too)', () => {
    const findings = validationReport.pluginReports.flatMap((report) =>
      report.violations.map(
        (v) => `${v.severity ?? ''} ${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`,
      ),
    );
    expect(findings).toEqual([]);
    expect(validationReport.pluginReports.every((report) => report.conclusion === 'success')).toBe(true);
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
    const executions = (machine: SluiceStateMachine) =>
      `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalIdOf(machine.stateMachine)}"}]}]}:*`;
    expect(acknowledged.map(({ id, path }) => `${id} @ ${path}`).sort()).toEqual(
      [
        ...ROUTES.filter((r) => r.access === 'public').map((r) => `AwsSolutions-APIG4 @ SluiceTest/Http/Route-${r.id}`),
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/CatalogFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/ServicesFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/UpgradesFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/RegistryFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/UpgradeTasksFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/PipelineFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/PipelineScheduledFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/FleetFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/FleetTasksFunction/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/AutoUpgrade/Function/Role`,
        `AwsSolutions-IAM5[Resource::${tableArn}/index/*] @ SluiceTest/DecisionsFunction/Role`,
        'AwsSolutions-IAM5[Resource::*] @ SluiceTest/DecisionsFunction/TaskResponsePolicy',
        'AwsSolutions-SQS3 @ SluiceTest/AutoUpgrade/DeadLetterQueue',
        // Schedules are named per step and version: "<the pipelines' group>/*", in a policy of its own.
        ...['PipelineFunction', 'PipelineScheduledFunction', 'UpgradeTasksFunction'].map(
          (fn) =>
            `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${groupId()}>/*] @ SluiceTest/${fn}/SchedulesPolicy`,
        ),
        'AwsSolutions-SQS3 @ SluiceTest/PipelineScheduler/DeadLetterQueue',
        // Alarm gates: DescribeAlarms on any alarm of the account and region, for the functions that read them.
        ...['UpgradesFunction', 'FleetFunction', 'FleetTasksFunction', 'UpgradeTasksFunction'].map(
          (fn) =>
            `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*] @ SluiceTest/${fn}/Role`,
        ),
        // The console's distribution: its *.cloudfront.net certificate, no geo restriction, no WAF web ACL (lib/constructs/sluice-console.ts).
        ...['CFR1', 'CFR2', 'CFR4'].map((rule) => `AwsSolutions-${rule} @ SluiceTest/Console/Distribution`),
        // CDK's own, on the log bucket that CloudFront writes its standard logs to with an ACL.
        'CloudFormation-Validate::W3045 @ SluiceTest/Console/Logs',
        // SendTaskSuccess/Failure take no resource type: one statement, in a policy of its own.
        'AwsSolutions-IAM5[Resource::*] @ SluiceTest/UpgradesFunction/TaskResponsePolicy',
        'AwsSolutions-IAM5[Resource::*] @ SluiceTest/RegistryFunction/TaskResponsePolicy',
        'AwsSolutions-IAM5[Resource::*] @ SluiceTest/UpgradeTasksFunction/TaskResponsePolicy',
        // SendTaskSuccess alone: a member upgrade ending (or a run changing) wakes its parked update run.
        ...['PipelineFunction', 'PipelineScheduledFunction', 'FleetFunction', 'FleetTasksFunction', 'AutoUpgrade/Function'].map(
          (fn) => `AwsSolutions-IAM5[Resource::*] @ SluiceTest/${fn}/TaskResponsePolicy`,
        ),
        ...['', ':*'].map(
          (qualifier) =>
            `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:sluice-target-*${qualifier}] @ SluiceTest/UpgradeTasksFunction/Role`,
        ),
        ...['UpgradesFunction', 'RegistryFunction'].flatMap((fn) =>
          upgradeMachines().map((machine) => `AwsSolutions-IAM5[Resource::${executions(machine)}] @ SluiceTest/${fn}/Role`),
        ),
        // Log delivery and X-Ray on every flow role; a parent follows its children's executions.
        ...flowMachines().map(([, machine]) => `AwsSolutions-IAM5[Resource::*] @ ${machine.role.node.path}`),
        ...flowMachines().flatMap(([flow, machine]) =>
          childFlowsOf(flow).map(
            (child) =>
              `AwsSolutions-IAM5[Resource::${executions(stack.flows[child.name as keyof typeof stack.flows])}] @ ${machine.role.node.path}`,
          ),
        ),
        // The pipe's DLQ is a DLQ through the pipe's DeadLetterConfig, which SQS3 does not see.
        'AwsSolutions-SQS3 @ SluiceTest/Timeline/DeadLetterQueue',
        // Idempotency records live 24 h: a point-in-time restore of them has nothing to give back.
        'AwsSolutions-DDB3 @ SluiceTest/Idempotency/Table',
      ].sort(),
    );
  });
});
