/**
 * Operability in the synthesized template (lib/constructs/sluice-monitoring.ts): the
 * dashboard and its widgets, every alarm with its metric, threshold and action, the alarm
 * topic, its key and policy, the `sluice:alarmEmail` subscription, `sluice:tracing`, the
 * outputs, and a clean cdk-nag report. Nothing here needs the bundles, so no synthesis
 * bundles (test/infra/stack.test.ts covers them).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOWS } from '../../functions/domain/flows.js';
import { ROUTE_GROUPS } from '../../functions/domain/routes.js';
import { CONTEXT_KEYS, SluiceConfigError } from '../../lib/config.js';
import { SluiceStack } from '../../lib/sluice-stack.js';

type CfnResource = { Type: string; Properties?: Record<string, any> };
type Template = { Resources: Record<string, CfnResource>; Outputs: Record<string, { Value: unknown }> };
type ValidationReport = {
  pluginReports: {
    conclusion: string;
    violations: { ruleName: string; severity?: string; violatingConstructs?: { constructPath?: string }[] }[];
  }[];
};
type Synthesized = { stack: SluiceStack; template: Template; report: ValidationReport; findings: string[] };

const outdirs: string[] = [];

/** The stack as `bin/sluice.ts` names it, with cdk-nag as a validation plugin; no bundling. */
function synth(context: Record<string, unknown> = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'sluice-operability-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      [CONTEXT_KEYS.jwtIssuer]: 'https://issuer.example.com/sluice-test',
      [CONTEXT_KEYS.jwtAudience]: 'sluice-test',
      // Keep the report on disk instead of throwing, so a failure names the findings.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      'aws:cdk:bundling-stacks': [],
      ...context,
    },
  });
  const stack = new SluiceStack(app, 'Sluice');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as Template;
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  const findings = [
    ...report.pluginReports.flatMap((r) =>
      r.violations.map(
        (v) => `${v.severity ?? ''} ${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`,
      ),
    ),
    ...new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.filter((v) => v.severity === 'error')
      .map((v) => `direct ${v.ruleName}`),
  ];
  return { stack, template, report, findings };
}

let plain: Synthesized;
let configured: Synthesized;

beforeAll(() => {
  plain = synth();
  configured = synth({ [CONTEXT_KEYS.alarmEmail]: 'oncall@example.com', [CONTEXT_KEYS.tracing]: 'true' });
}, 120_000);

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const resourcesOf = (template: Template, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const idsOf = (type: string): string[] => resourcesOf(plain.template, type).map(([id]) => id);
const only = (type: string): [string, CfnResource] => {
  const found = resourcesOf(plain.template, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

const FUNCTIONS = [...ROUTE_GROUPS, 'upgrade-tasks', 'fleet-tasks', 'pipeline-scheduled', 'auto-upgrade'];
const DEAD_LETTER_QUEUES = ['timeline', 'pipeline-schedules', 'auto-upgrade'];
const UPGRADE_METRICS = [
  'UpgradeStarted',
  'UpgradeCompleted',
  'UpgradeFailed',
  'UpgradeRolledBack',
  'InstanceFailed',
  'UpgradeDurationSeconds',
  'GateWaitSeconds',
  'UpdateRunCompleted',
];

describe('dashboard', () => {
  type Widget = { type: string; properties: { title?: string; metrics?: unknown[][]; alarms?: string[]; markdown?: string } };
  let widgets: Widget[];

  /** The body is an Fn::Join around references; each becomes `{{Ref:<id>}}` (or `{{GetAtt:<id>.<attr>}}`) inside its JSON string. */
  beforeAll(() => {
    const [, dashboard] = only('AWS::CloudWatch::Dashboard');
    const parts = (dashboard.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
        if (p.Ref) return `{{Ref:${p.Ref}}}`;
        if (p['Fn::GetAtt']) return `{{GetAtt:${p['Fn::GetAtt'].join('.')}}}`;
        throw new Error(`Unexpected token in the dashboard body: ${JSON.stringify(part)}`);
      })
      .join('');
    widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
  });

  const widget = (title: string): Widget => {
    const found = widgets.filter((w) => w.properties.title === title);
    expect(found, title).toHaveLength(1);
    return found[0]!;
  };
  /** `[namespace, name, dimension, value, …, {options}]` → its parts. */
  const metricsOf = (title: string) =>
    (widget(title).properties.metrics ?? []).map((line) => {
      const options = (typeof line.at(-1) === 'object' ? line.at(-1) : {}) as { stat?: string; label?: string; expression?: string };
      const fields = (typeof line.at(-1) === 'object' ? line.slice(0, -1) : line) as string[];
      const [namespace, metricName, ...dims] = fields;
      const dimensions = Object.fromEntries(
        dims.flatMap((_, i) => (i % 2 === 0 ? [[dims[i], dims[i + 1]]] : [])) as [string, string | undefined][],
      );
      return { namespace, metricName, dimensions, ...options };
    });
  const refsOf = (type: string) => idsOf(type).map((id) => `{{Ref:${id}}}`);

  it('is one dashboard named after the stack (Sluice)', () => {
    const [, dashboard] = only('AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties?.DashboardName).toBe('Sluice');
  });

  it("shows the HTTP API's 5xx and 4xx counts, and its latency at p50, p90 and p99", () => {
    const api = `{{Ref:${only('AWS::ApiGatewayV2::Api')[0]}}}`;
    expect(metricsOf('API: 5xx and 4xx')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ namespace: 'AWS/ApiGateway', metricName: '5xx', dimensions: { ApiId: api }, stat: 'Sum' }),
        expect.objectContaining({ namespace: 'AWS/ApiGateway', metricName: '4xx', dimensions: { ApiId: api }, stat: 'Sum' }),
      ]),
    );
    expect(metricsOf('API latency (p50, p90, p99)')).toEqual(
      ['p50', 'p90', 'p99'].map((stat) =>
        expect.objectContaining({ namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions: { ApiId: api }, stat }),
      ),
    );
  });

  it.each([
    ['Lambda errors', 'Errors', 'Sum'],
    ['Lambda throttles', 'Throttles', 'Sum'],
  ])('shows %s of every function', (title, metricName, stat) => {
    const lines = metricsOf(title);
    for (const line of lines) expect(line).toMatchObject({ namespace: 'AWS/Lambda', metricName, stat });
    expect(lines.map((l) => l.dimensions.FunctionName).sort()).toEqual(refsOf('AWS::Lambda::Function').sort());
    expect(lines.map((l) => l.label).sort()).toEqual([...FUNCTIONS].sort());
  });

  it('shows the p99 duration of every function: the API ones apart from the long-running ones', () => {
    const api = metricsOf('Lambda duration p99, ms: API functions');
    const background = metricsOf('Lambda duration p99, ms: tasks, schedules, fan-out');
    for (const line of [...api, ...background])
      expect(line).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'Duration', stat: 'p99' });
    expect(api.map((l) => l.label)).toEqual([...ROUTE_GROUPS]);
    expect([...api, ...background].map((l) => l.dimensions.FunctionName).sort()).toEqual(refsOf('AWS::Lambda::Function').sort());
  });

  it.each([
    ['Flow executions failed', 'ExecutionsFailed'],
    ['Flow executions timed out', 'ExecutionsTimedOut'],
    ['Flow executions aborted', 'ExecutionsAborted'],
  ])('shows %s of every state machine', (title, metricName) => {
    const lines = metricsOf(title);
    for (const line of lines) expect(line).toMatchObject({ namespace: 'AWS/States', metricName, stat: 'Sum' });
    expect(lines.map((l) => l.dimensions.StateMachineArn).sort()).toEqual(refsOf('AWS::StepFunctions::StateMachine').sort());
    expect(lines.map((l) => l.label)).toEqual(FLOWS.map((f) => f.name));
  });

  it('shows the visible messages of every dead-letter queue (every queue of the stack is one)', () => {
    const lines = metricsOf('Dead-letter queues: visible messages');
    for (const line of lines)
      expect(line).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', stat: 'Maximum' });
    expect(lines.map((l) => l.dimensions.QueueName).sort()).toEqual(
      idsOf('AWS::SQS::Queue')
        .map((id) => `{{GetAtt:${id}.QueueName}}`)
        .sort(),
    );
    expect(lines.map((l) => l.label)).toEqual(DEAD_LETTER_QUEUES);
  });

  it('shows every upgrade metric without dimensions, counts as sums and times at p50, p90 and p99', () => {
    const lines = [
      ...metricsOf('Upgrades'),
      ...metricsOf('Instances failed and update runs completed'),
      ...metricsOf('Upgrade duration, seconds (p50, p90, p99)'),
      ...metricsOf('Gate wait, seconds (p50, p90, p99)'),
    ];
    for (const line of lines) expect(line).toMatchObject({ namespace: 'Sluice', dimensions: {} });
    expect([...new Set(lines.map((l) => l.metricName))].sort()).toEqual([...UPGRADE_METRICS].sort());
    for (const name of ['UpgradeDurationSeconds', 'GateWaitSeconds']) {
      expect(lines.filter((l) => l.metricName === name).map((l) => l.stat)).toEqual(['p50', 'p90', 'p99']);
    }
    for (const line of lines.filter((l) => !l.metricName?.endsWith('Seconds'))) expect(line.stat ?? 'Sum', line.metricName).toBe('Sum');
  });

  it.each([
    ['Upgrades started by strategy', 'UpgradeStarted', 'Sum'],
    ['Upgrades completed by strategy', 'UpgradeCompleted', 'Sum'],
    ['Upgrades failed by strategy', 'UpgradeFailed', 'Sum'],
    ['Upgrades rolled back by strategy', 'UpgradeRolledBack', 'Sum'],
    ['Instances failed by strategy', 'InstanceFailed', 'Sum'],
    ['Upgrade duration p90 by strategy, seconds', 'UpgradeDurationSeconds', 'p90'],
    ['Update runs completed by strategy', 'UpdateRunCompleted', 'Sum'],
  ])('shows %s: a search over the strategy dimension, a line per value', (title, metricName, stat) => {
    expect(widget(title).properties.metrics).toEqual([
      [{ expression: `SEARCH('{Sluice,strategy} MetricName="${metricName}"', '${stat}', 300)`, label: "${PROP('Dim.strategy')}" }],
    ]);
  });

  it('lists every alarm of the stack in an alarm status widget', () => {
    const alarms = widget('Alarms').properties.alarms ?? [];
    expect(alarms.sort()).toEqual(
      idsOf('AWS::CloudWatch::Alarm')
        .map((id) => `{{GetAtt:${id}.Arn}}`)
        .sort(),
    );
  });
});

describe('alarms', () => {
  const alarms = () => resourcesOf(plain.template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
  const alarmNamed = (name: string) => {
    const found = alarms().filter((a) => a.AlarmName === name);
    expect(found, name).toHaveLength(1);
    return found[0]!;
  };
  const topic = () => ({ Ref: only('AWS::SNS::Topic')[0] });
  const resourceId = (construct: { node: { defaultChild?: unknown } }): string =>
    plain.stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  const functionRef = (name: string) => {
    const { stack } = plain;
    const fn =
      name === 'upgrade-tasks'
        ? stack.taskFunction
        : name === 'fleet-tasks'
          ? stack.fleetTaskFunction
          : name === 'pipeline-scheduled'
            ? stack.scheduledFunction
            : name === 'auto-upgrade'
              ? stack.autoUpgrade.function
              : stack.functions[name as (typeof ROUTE_GROUPS)[number]];
    return { Ref: resourceId(fn.lambda) };
  };

  /** Every alarm: its name after `Sluice-`, its metric, threshold and how it compares. */
  const expected = () => {
    const api = { Name: 'ApiId', Value: { Ref: only('AWS::ApiGatewayV2::Api')[0] } };
    const once = { ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, DatapointsToAlarm: 1 };
    const machineRef = (flow: string) => ({ Ref: resourceId(plain.stack.flows[flow as keyof typeof plain.stack.flows].stateMachine) });
    const queues: Record<string, { node: { defaultChild?: unknown } }> = {
      timeline: plain.stack.timeline.deadLetterQueue,
      'pipeline-schedules': plain.stack.scheduler.deadLetterQueue,
      'auto-upgrade': plain.stack.autoUpgrade.deadLetterQueue,
    };
    return {
      'Api-5xx': {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [api],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 5,
        ...once,
      },
      'Api-LatencyP99': {
        Namespace: 'AWS/ApiGateway',
        MetricName: 'Latency',
        Dimensions: [api],
        ExtendedStatistic: 'p99',
        Period: 300,
        Threshold: 22_000,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
      },
      ...Object.fromEntries(
        FUNCTIONS.flatMap((name) =>
          (['Errors', 'Throttles'] as const).map((metric) => [
            `Lambda-${name}-${metric}`,
            {
              Namespace: 'AWS/Lambda',
              MetricName: metric,
              Dimensions: [{ Name: 'FunctionName', Value: functionRef(name) }],
              Statistic: 'Sum',
              Period: 300,
              Threshold: 1,
              ...once,
            },
          ]),
        ),
      ),
      ...Object.fromEntries(
        FLOWS.flatMap((flow) =>
          (
            [
              ['Failed', 'ExecutionsFailed'],
              ['TimedOut', 'ExecutionsTimedOut'],
            ] as const
          ).map(([suffix, metric]) => [
            `Flow-${flow.name}-${suffix}`,
            {
              Namespace: 'AWS/States',
              MetricName: metric,
              Dimensions: [{ Name: 'StateMachineArn', Value: machineRef(flow.name) }],
              Statistic: 'Sum',
              Period: 300,
              Threshold: 1,
              ...once,
            },
          ]),
        ),
      ),
      ...Object.fromEntries(
        DEAD_LETTER_QUEUES.map((name) => [
          `DeadLetters-${name}`,
          {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [resourceId(queues[name]!), 'QueueName'] } }],
            Statistic: 'Maximum',
            Period: 300,
            Threshold: 0,
            ...once,
            ComparisonOperator: 'GreaterThanThreshold',
          },
        ]),
      ),
      // The dimensionless series: one alarm whatever the strategy.
      'Upgrades-Failed': { Namespace: 'Sluice', MetricName: 'UpgradeFailed', Statistic: 'Sum', Period: 300, Threshold: 1, ...once },
    } as Record<string, Record<string, unknown>>;
  };
  it('are exactly these: API 5xx and p99 latency, errors and throttles per function, failed and timed-out executions per flow, each DLQ, failed upgrades', () => {
    expect(
      alarms()
        .map((a) => a.AlarmName)
        .sort(),
    ).toEqual(
      Object.keys(expected())
        .map((name) => `Sluice-${name}`)
        .sort(),
    );
    expect(alarms()).toHaveLength(2 + 2 * FUNCTIONS.length + 2 * FLOWS.length + DEAD_LETTER_QUEUES.length + 1);
  });

  it('each watch its metric with its statistic, period, threshold, comparison and evaluation periods', () => {
    for (const [name, want] of Object.entries(expected())) {
      const alarm = alarmNamed(`Sluice-${name}`);
      const metric = Object.fromEntries(
        [
          'Namespace',
          'MetricName',
          'Dimensions',
          'Statistic',
          'ExtendedStatistic',
          'Period',
          'Threshold',
          'ComparisonOperator',
          'EvaluationPeriods',
          'DatapointsToAlarm',
        ].map((key) => [key, alarm[key]]),
      );
      expect(metric, name).toEqual({ Dimensions: undefined, Statistic: undefined, ExtendedStatistic: undefined, ...want });
    }
  });

  it('cover every function, state machine and queue of the template', () => {
    const watched = (metricName: string, dimension: string) =>
      alarms()
        .filter((a) => a.MetricName === metricName)
        .map((a) => JSON.stringify((a.Dimensions as { Name: string; Value: unknown }[]).find((d) => d.Name === dimension)?.Value));
    const refs = (type: string) => idsOf(type).map((id) => JSON.stringify({ Ref: id }));
    expect(watched('Errors', 'FunctionName').sort()).toEqual(refs('AWS::Lambda::Function').sort());
    expect(watched('Throttles', 'FunctionName').sort()).toEqual(refs('AWS::Lambda::Function').sort());
    expect(watched('ExecutionsFailed', 'StateMachineArn').sort()).toEqual(refs('AWS::StepFunctions::StateMachine').sort());
    expect(watched('ExecutionsTimedOut', 'StateMachineArn').sort()).toEqual(refs('AWS::StepFunctions::StateMachine').sort());
    expect(watched('ApproximateNumberOfMessagesVisible', 'QueueName').sort()).toEqual(
      idsOf('AWS::SQS::Queue')
        .map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] }))
        .sort(),
    );
  });

  it('all treat missing data as not breaching, and notify the topic when they fire and when they clear', () => {
    for (const alarm of alarms()) {
      expect(alarm, alarm.AlarmName).toMatchObject({
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic()],
        OKActions: [topic()],
      });
      expect(alarm.ActionsEnabled, alarm.AlarmName).not.toBe(false);
      expect(alarm.AlarmDescription, alarm.AlarmName).toEqual(expect.any(String));
    }
  });

  it("are all named Sluice-*, which is what the topic's and the key's policies admit", () => {
    for (const alarm of alarms()) expect(alarm.AlarmName).toMatch(/^Sluice-/);
  });
});

describe('alarm topic', () => {
  const alarmArns = {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:Sluice-*'],
    ],
  };
  const fromOurAlarms = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': alarmArns } };

  it('is encrypted with a key of its own, rotated yearly', () => {
    const [keyId, key] = only('AWS::KMS::Key');
    expect(only('AWS::SNS::Topic')[1].Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties?.EnableKeyRotation).toBe(true);
  });

  it('has a key that CloudWatch may use only for this account and these alarms', () => {
    const statements = only('AWS::KMS::Key')[1].Properties?.KeyPolicy.Statement as Record<string, unknown>[];
    expect(statements.filter((s) => JSON.stringify(s.Principal).includes('cloudwatch'))).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: fromOurAlarms,
      }),
    ]);
  });

  it('refuses publishing without TLS, and lets CloudWatch publish for these alarms only', () => {
    const [topicId] = only('AWS::SNS::Topic');
    const policy = only('AWS::SNS::TopicPolicy')[1].Properties;
    expect(policy?.Topics).toEqual([{ Ref: topicId }]);
    expect(policy?.PolicyDocument.Statement).toEqual([
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: fromOurAlarms,
      },
    ]);
  });

  it('has no subscription without sluice:alarmEmail', () => {
    expect(resourcesOf(plain.template, 'AWS::SNS::Subscription')).toEqual([]);
  });

  it('subscribes the address of sluice:alarmEmail by email', () => {
    const topicId = resourcesOf(configured.template, 'AWS::SNS::Topic')[0]![0];
    expect(resourcesOf(configured.template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } },
    ]);
  });

  it('stops synthesis on a malformed sluice:alarmEmail, naming the key', () => {
    const app = new App({
      context: {
        [CONTEXT_KEYS.jwtIssuer]: 'https://issuer.example.com/sluice-test',
        [CONTEXT_KEYS.jwtAudience]: 'sluice-test',
        [CONTEXT_KEYS.alarmEmail]: 'oncall@example',
        'aws:cdk:bundling-stacks': [],
      },
    });
    expect(() => new SluiceStack(app, 'Sluice')).toThrow(
      new SluiceConfigError('Context "sluice:alarmEmail" must be one email address such as ops@example.com, got "oncall@example"'),
    );
  });
});

describe('tracing', () => {
  const functions = (s: Synthesized) =>
    resourcesOf(s.template, 'AWS::Lambda::Function').map(([id, fn]) => [id, fn.Properties ?? {}] as const);

  it('is off on every function without sluice:tracing: no X-Ray, and Powertools Tracer told so', () => {
    expect(functions(plain)).toHaveLength(FUNCTIONS.length);
    for (const [id, fn] of functions(plain)) {
      expect(fn.TracingConfig, id).toBeUndefined();
      expect(fn.Environment.Variables, id).toMatchObject({ POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_SERVICE_NAME: 'sluice' });
    }
  });

  it('is active on every function with sluice:tracing=true, and Powertools Tracer enabled', () => {
    expect(functions(configured)).toHaveLength(FUNCTIONS.length);
    for (const [id, fn] of functions(configured)) {
      expect(fn.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(fn.Environment.Variables, id).toMatchObject({ POWERTOOLS_TRACE_ENABLED: 'true', POWERTOOLS_SERVICE_NAME: 'sluice' });
    }
  });

  it('names the metrics namespace the alarms read on every function', () => {
    for (const [id, fn] of functions(plain)) expect(fn.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE, id).toBe('Sluice');
  });

  it('is on for every state machine either way (cdk-nag SF2)', () => {
    for (const s of [plain, configured]) {
      const machines = resourcesOf(s.template, 'AWS::StepFunctions::StateMachine');
      expect(machines).toHaveLength(FLOWS.length);
      for (const [id, machine] of machines) expect(machine.Properties?.TracingConfiguration, id).toEqual({ Enabled: true });
    }
  });
});

describe('outputs', () => {
  it('give the dashboard URL', () => {
    expect(plain.template.Outputs.DashboardUrl?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: 'AWS::Region' },
          '.console.aws.amazon.com/cloudwatch/home?region=',
          { Ref: 'AWS::Region' },
          '#dashboards/dashboard/Sluice',
        ],
      ],
    });
  });

  it('give the alarm topic ARN', () => {
    expect(plain.template.Outputs.AlarmTopicArn?.Value).toEqual({ Ref: only('AWS::SNS::Topic')[0] });
  });
});

describe('alarm gates', () => {
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
  const roleIdOf = (fn: { role: unknown }) => plain.stack.resolve((fn.role as { roleName: string }).roleName) as { Ref: string };
  /** Every policy statement naming a CloudWatch action, with the roles it is attached to. */
  const cloudwatchStatements = () =>
    resourcesOf(plain.template, 'AWS::IAM::Policy').flatMap(([, policy]) =>
      ((policy.Properties?.PolicyDocument?.Statement ?? []) as Statement[])
        .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('cloudwatch:')))
        .map((statement) => ({ statement, roles: (policy.Properties?.Roles as { Ref: string }[]).map((role) => role.Ref) })),
    );

  it('grant cloudwatch:DescribeAlarms only, on the alarms of this account and region, to exactly the functions that call it', () => {
    const found = cloudwatchStatements();
    const expected = [
      plain.stack.functions.upgrades,
      plain.stack.functions.fleet,
      plain.stack.fleetTaskFunction,
      plain.stack.taskFunction,
    ].map((fn) => roleIdOf(fn).Ref);
    expect(found.flatMap((entry) => entry.roles).sort()).toEqual(expected.sort());
    for (const { statement } of found) {
      expect(statement.Action).toBe('cloudwatch:DescribeAlarms');
      expect(statement.Effect).toBe('Allow');
      expect(statement.Resource).toEqual({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*'],
        ],
      });
    }
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it.each([
    ['the default stack', () => plain],
    ['the stack with an alarm email and tracing', () => configured],
  ])('finds nothing unacknowledged in %s', (_name, synthesized) => {
    const { findings, report } = synthesized();
    expect(findings).toEqual([]);
    expect(report.pluginReports.every((r) => r.conclusion === 'success')).toBe(true);
  });

  it('would report a topic without TLS and a key without rotation (the checks above are not vacuous)', () => {
    const probe = new Stack(new App(), 'NagProbe');
    new Topic(probe, 'PlainTopic');
    new Key(probe, 'UnrotatedKey');
    const rules = new AwsSolutionsChecks().validateScope(probe).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SNS3', 'AwsSolutions-KMS5']));
  });
});
