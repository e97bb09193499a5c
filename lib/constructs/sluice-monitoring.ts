import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IMetric, IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  SearchExpression,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/domain/functions.js';
import { SLUICE_METRICS_NAMESPACE } from './sluice-function.js';

/**
 * The upgrade metrics the functions emit in EMF under {@link SLUICE_METRICS_NAMESPACE},
 * each twice: with the dimension {@link STRATEGY_DIMENSION} and with none. Alarms read
 * the dimensionless series (one per metric, whatever the strategies); the dashboard shows
 * both.
 */
export const UPGRADE_METRICS = {
  started: 'UpgradeStarted',
  completed: 'UpgradeCompleted',
  failed: 'UpgradeFailed',
  rolledBack: 'UpgradeRolledBack',
  instanceFailed: 'InstanceFailed',
  durationSeconds: 'UpgradeDurationSeconds',
  gateWaitSeconds: 'GateWaitSeconds',
  updateRunCompleted: 'UpdateRunCompleted',
} as const;
export const STRATEGY_DIMENSION = 'strategy';

/** Every alarm and graph aggregates over five minutes. */
export const MONITORING_PERIOD = Duration.minutes(5);

/**
 * Alarm thresholds, each with why. All alarms treat missing data as not breaching: most of
 * these metrics only exist while something happens (no request, no upgrade, no error).
 */
export const ALARM_THRESHOLDS = {
  /**
   * API 5xx responses, a count per period. Every expected error is a 4xx (problem+json:
   * validation 400/422, auth 401/403, conflicts 409, stage throttling 429), so a 5xx is a
   * bug, a function timeout or a failing dependency. The API is a control plane with little
   * traffic (the stage allows 50 requests/s, and most periods see far fewer), where a rate
   * swings on a handful of requests: a count is steadier. Five in five minutes lets a lone
   * transient pass (one DynamoDB call out of retries, one cold start that overran) and
   * catches a broken route or dependency within one period.
   */
  api5xxCount: 5,
  /**
   * API p99 latency, milliseconds, over three consecutive periods. API Gateway's Latency
   * of an HTTP API has no route dimension without detailed (per-route, billed) metrics,
   * and the events feeds' long polls (`waitSeconds`, up to 20 s; `sluice watch` always
   * waits 20 s) answer when the wait ends: one client following an idle gate puts every
   * period's p99 at 20 s. So the threshold sits past the longest legitimate wait and short
   * of the API functions' 25 s timeout: it fires when at least 1% of requests hang towards
   * the timeout (a throttled table, a stuck dependency), not when someone watches.
   */
  apiLatencyP99Ms: 22_000,
  apiLatencyPeriods: 3,
  /**
   * Lambda errors, per function, at least one in a period. The API handlers turn thrown
   * errors into problem+json answers, so an API function's Errors are crashes, timeouts or
   * out-of-memory; the task functions' errors are retried by their states' Retry, but each
   * one is still a bug or an AWS failure that someone should see.
   */
  lambdaErrors: 1,
  /** Lambda throttles, per function: no function reserves concurrency, so a throttle means the account's limit was reached. */
  lambdaThrottles: 1,
  /**
   * State machine executions failed or timed out, per machine. A flow reaches its Fail state
   * only on an unexpected error (an upgrade that fails its threshold or rolls back still
   * succeeds as an execution), and no flow sets an execution timeout, so both are never expected.
   */
  executionsFailed: 1,
  executionsTimedOut: 1,
  /** Dead-letter queue depth (visible messages, maximum in the period) above zero: every message is an event that was lost on its way. */
  deadLetterDepth: 0,
  /** `Sluice/UpgradeFailed` (no dimensions): every failed upgrade is worth a look. */
  upgradesFailed: 1,
} as const;

export interface MonitoredFunction {
  /** How the dashboard and the alarm name it: the route group, `upgrade-tasks`, … */
  readonly name: string;
  readonly fn: IFunction;
  /** API functions answer in milliseconds, the others run for minutes: their durations get separate graphs. */
  readonly kind: 'api' | 'background';
}

export interface MonitoredStateMachine {
  /** The flow's name (`rolling`, `batch`, …). */
  readonly name: string;
  readonly stateMachine: IStateMachine;
}

export interface MonitoredQueue {
  /** What it catches, for the dashboard and the alarm name (`timeline`, …). */
  readonly name: string;
  readonly queue: IQueue;
}

export interface SluiceMonitoringProps {
  /** @default the stack name (`Sluice` for `bin/sluice.ts`), so that two stacks in one account and region do not collide */
  readonly dashboardName?: string;
  readonly httpApi: IHttpApi;
  readonly functions: readonly MonitoredFunction[];
  readonly stateMachines: readonly MonitoredStateMachine[];
  readonly deadLetterQueues: readonly MonitoredQueue[];
  /** Subscribed to the alarm topic by email (context `sluice:alarmEmail`). @default no subscription */
  readonly alarmEmail?: string;
}

/**
 * Operability in one place: the `Sluice` dashboard, the alarms and the SNS topic they
 * notify (docs/architecture.md#aws-deployment).
 *
 * - The topic is encrypted with a key of its own (rotated), not the AWS managed
 *   `alias/aws/sns` key: CloudWatch can only publish to an encrypted topic whose key
 *   policy lets it (`kms:GenerateDataKey*`, `kms:Decrypt`), which the managed key's policy
 *   never does. The key and the topic policy admit the CloudWatch service for this
 *   account's alarms named `<stack>-*` only (confused-deputy guard), and the topic refuses
 *   publishing without TLS.
 * - Every alarm is named `<stack>-<what>`, notifies the topic when it fires and when it
 *   clears, and treats missing data as not breaching.
 *
 * @example
 * ```ts
 * new SluiceMonitoring(this, 'Monitoring', {
 *   httpApi: api.httpApi,
 *   functions: [{ name: 'catalog', fn: catalog.lambda, kind: 'api' }],
 *   stateMachines: [{ name: 'rolling', stateMachine: rolling.stateMachine }],
 *   deadLetterQueues: [{ name: 'timeline', queue: timeline.deadLetterQueue }],
 *   alarmEmail: config.alarmEmail,
 * });
 * ```
 */
export class SluiceMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly dashboardName: string;
  /** The CloudWatch console's page of the dashboard. */
  readonly dashboardUrl: string;
  readonly topic: Topic;
  readonly topicKey: Key;
  /** Every alarm, by the part of its name after `<stack>-`. */
  readonly alarms: ReadonlyMap<string, Alarm>;
  private readonly alarmNamePrefix: string;
  private readonly alarmsByName = new Map<string, Alarm>();

  constructor(scope: Construct, id: string, props: SluiceMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.alarmNamePrefix = `${stack.stackName}-`;
    this.alarms = this.alarmsByName;
    this.dashboardName = props.dashboardName ?? stack.stackName;

    // CloudWatch publishes on behalf of this account's Sluice alarms, and nothing else.
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${this.alarmNamePrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };

    this.topicKey = new Key(this, 'TopicKey', {
      description: `Encrypts the Sluice alarm topic of ${stack.stackName}`,
      enableKeyRotation: true,
      // Notifications are transient: nothing encrypted with the key outlives the topic.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheTopic',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );

    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Sluice alarms (${stack.stackName})`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail) {
      new Subscription(this, 'AlarmEmail', { topic: this.topic, protocol: SubscriptionProtocol.EMAIL, endpoint: props.alarmEmail });
    }

    const api = apiMetrics(props.httpApi);
    this.alarm('Api-5xx', api.serverErrors, {
      description: `The HTTP API answered ${ALARM_THRESHOLDS.api5xxCount} or more 5xx in 5 minutes`,
      threshold: ALARM_THRESHOLDS.api5xxCount,
    });
    this.alarm('Api-LatencyP99', api.latency.p99, {
      description: `The HTTP API's p99 latency stayed above ${ALARM_THRESHOLDS.apiLatencyP99Ms / 1000} s for 15 minutes (long polls end at 20 s; the functions time out at ${FUNCTION_TIMEOUT_SECONDS.api} s)`,
      threshold: ALARM_THRESHOLDS.apiLatencyP99Ms,
      comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: ALARM_THRESHOLDS.apiLatencyPeriods,
    });

    for (const { name, fn } of props.functions) {
      this.alarm(`Lambda-${name}-Errors`, fn.metricErrors({ period: MONITORING_PERIOD, statistic: Stats.SUM }), {
        description: `The ${name} function failed (errors, timeouts, crashes)`,
        threshold: ALARM_THRESHOLDS.lambdaErrors,
      });
      this.alarm(`Lambda-${name}-Throttles`, fn.metricThrottles({ period: MONITORING_PERIOD, statistic: Stats.SUM }), {
        description: `Invocations of the ${name} function were throttled (the account's concurrency is used up)`,
        threshold: ALARM_THRESHOLDS.lambdaThrottles,
      });
    }
    for (const { name, stateMachine } of props.stateMachines) {
      this.alarm(`Flow-${name}-Failed`, stateMachine.metricFailed({ period: MONITORING_PERIOD, statistic: Stats.SUM }), {
        description: `An execution of the ${name} flow failed (an unexpected error; see its execution history)`,
        threshold: ALARM_THRESHOLDS.executionsFailed,
      });
      this.alarm(`Flow-${name}-TimedOut`, stateMachine.metricTimedOut({ period: MONITORING_PERIOD, statistic: Stats.SUM }), {
        description: `An execution of the ${name} flow timed out`,
        threshold: ALARM_THRESHOLDS.executionsTimedOut,
      });
    }
    for (const { name, queue } of props.deadLetterQueues) {
      this.alarm(`DeadLetters-${name}`, deadLetterDepth(queue), {
        description: `The ${name} dead-letter queue holds messages: each one is an event that was not delivered`,
        threshold: ALARM_THRESHOLDS.deadLetterDepth,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    this.alarm('Upgrades-Failed', upgradeMetric(UPGRADE_METRICS.failed), {
      description: 'An upgrade ended FAILED (Sluice/UpgradeFailed, every strategy)',
      threshold: ALARM_THRESHOLDS.upgradesFailed,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.hours(12),
      widgets: this.widgets(props, api),
    });
    // The commercial partition's console; the region is the stack's (a reference when the stack is environment-agnostic).
    this.dashboardUrl = `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards/dashboard/${this.dashboardName}`;
  }

  private alarm(
    name: string,
    metric: IMetric,
    options: { description: string; threshold: number; comparison?: ComparisonOperator; evaluationPeriods?: number },
  ): Alarm {
    const alarm = new Alarm(this, `Alarm-${name}`, {
      alarmName: `${this.alarmNamePrefix}${name}`,
      alarmDescription: options.description,
      metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarmsByName.set(name, alarm);
    return alarm;
  }

  private widgets(props: SluiceMonitoringProps, api: ReturnType<typeof apiMetrics>): IWidget[][] {
    const fns = props.functions;
    const lines = <T>(items: readonly T[], metric: (item: T) => IMetric) => items.map(metric);
    const apiFns = fns.filter((f) => f.kind === 'api');
    const backgroundFns = fns.filter((f) => f.kind === 'background');
    const count = (metricName: string, label: string) => upgradeMetric(metricName).with({ label });
    const percentiles = (metricName: string) =>
      (['p50', 'p90', 'p99'] as const).map((p) => upgradeMetric(metricName).with({ statistic: p, label: p }));

    return [
      [
        new TextWidget({
          markdown: [
            `# Sluice (${Stack.of(this).stackName})`,
            'The HTTP API, the functions, the flows, the dead-letter queues and the upgrades. Alarms notify the stack output `AlarmTopicArn`; README (AWS deployment) lists each with its threshold.',
          ].join('\n\n'),
          width: 24,
          height: 2,
        }),
      ],
      [
        new AlarmStatusWidget({
          title: 'Alarms',
          alarms: [...this.alarmsByName.values()],
          width: 24,
          height: 6,
        }),
      ],
      [
        new GraphWidget({
          title: 'API: 5xx and 4xx',
          left: [api.serverErrors.with({ label: '5xx' }), api.clientErrors.with({ label: '4xx' })],
          right: [api.requests.with({ label: 'requests' })],
          width: 12,
        }),
        new GraphWidget({
          title: 'API latency (p50, p90, p99)',
          left: [api.latency.p50.with({ label: 'p50' }), api.latency.p90.with({ label: 'p90' }), api.latency.p99.with({ label: 'p99' })],
          leftAnnotations: [{ value: ALARM_THRESHOLDS.apiLatencyP99Ms, label: 'p99 alarm' }],
          width: 12,
        }),
      ],
      [
        new GraphWidget({
          title: 'Upgrades',
          left: [
            count(UPGRADE_METRICS.started, 'started'),
            count(UPGRADE_METRICS.completed, 'completed'),
            count(UPGRADE_METRICS.failed, 'failed'),
            count(UPGRADE_METRICS.rolledBack, 'rolled back'),
          ],
          width: 8,
        }),
        new GraphWidget({
          title: 'Instances failed and update runs completed',
          left: [
            count(UPGRADE_METRICS.instanceFailed, 'instances failed'),
            count(UPGRADE_METRICS.updateRunCompleted, 'update runs completed'),
          ],
          width: 8,
        }),
        new GraphWidget({
          title: 'Upgrade duration, seconds (p50, p90, p99)',
          left: percentiles(UPGRADE_METRICS.durationSeconds),
          width: 4,
        }),
        new GraphWidget({ title: 'Gate wait, seconds (p50, p90, p99)', left: percentiles(UPGRADE_METRICS.gateWaitSeconds), width: 4 }),
      ],
      [
        byStrategy('Upgrades started by strategy', UPGRADE_METRICS.started, Stats.SUM),
        byStrategy('Upgrades completed by strategy', UPGRADE_METRICS.completed, Stats.SUM),
        byStrategy('Upgrades failed by strategy', UPGRADE_METRICS.failed, Stats.SUM),
        byStrategy('Upgrades rolled back by strategy', UPGRADE_METRICS.rolledBack, Stats.SUM),
      ],
      [
        byStrategy('Instances failed by strategy', UPGRADE_METRICS.instanceFailed, Stats.SUM, 8),
        byStrategy('Upgrade duration p90 by strategy, seconds', UPGRADE_METRICS.durationSeconds, Stats.p(90), 8),
        byStrategy('Update runs completed by strategy', UPGRADE_METRICS.updateRunCompleted, Stats.SUM, 8),
      ],
      [
        new GraphWidget({
          title: 'Lambda errors',
          left: lines(fns, (f) => f.fn.metricErrors({ period: MONITORING_PERIOD, statistic: Stats.SUM, label: f.name })),
          width: 6,
        }),
        new GraphWidget({
          title: 'Lambda throttles',
          left: lines(fns, (f) => f.fn.metricThrottles({ period: MONITORING_PERIOD, statistic: Stats.SUM, label: f.name })),
          width: 6,
        }),
        new GraphWidget({
          title: 'Lambda duration p99, ms: API functions',
          left: lines(apiFns, (f) => f.fn.metricDuration({ period: MONITORING_PERIOD, statistic: Stats.p(99), label: f.name })),
          width: 6,
        }),
        new GraphWidget({
          title: 'Lambda duration p99, ms: tasks, schedules, fan-out',
          left: lines(backgroundFns, (f) => f.fn.metricDuration({ period: MONITORING_PERIOD, statistic: Stats.p(99), label: f.name })),
          width: 6,
        }),
      ],
      [
        new GraphWidget({
          title: 'Flow executions failed',
          left: lines(props.stateMachines, (m) =>
            m.stateMachine.metricFailed({ period: MONITORING_PERIOD, statistic: Stats.SUM, label: m.name }),
          ),
          width: 8,
        }),
        new GraphWidget({
          title: 'Flow executions timed out',
          left: lines(props.stateMachines, (m) =>
            m.stateMachine.metricTimedOut({ period: MONITORING_PERIOD, statistic: Stats.SUM, label: m.name }),
          ),
          width: 8,
        }),
        new GraphWidget({
          title: 'Flow executions aborted',
          left: lines(props.stateMachines, (m) =>
            m.stateMachine.metricAborted({ period: MONITORING_PERIOD, statistic: Stats.SUM, label: m.name }),
          ),
          width: 8,
        }),
      ],
      [
        new GraphWidget({
          title: 'Dead-letter queues: visible messages',
          left: lines(props.deadLetterQueues, (q) => deadLetterDepth(q.queue).with({ label: q.name })),
          width: 24,
        }),
      ],
    ];
  }
}

/** The HTTP API's own metrics (namespace AWS/ApiGateway, dimension ApiId). */
function apiMetrics(httpApi: IHttpApi) {
  const period = MONITORING_PERIOD;
  // No label: an alarm on a labelled metric is written as a metric query instead of plain Statistic/ExtendedStatistic fields.
  const latency = (statistic: string) => httpApi.metricLatency({ period, statistic });
  return {
    serverErrors: httpApi.metricServerError({ period, statistic: Stats.SUM }),
    clientErrors: httpApi.metricClientError({ period, statistic: Stats.SUM }),
    requests: httpApi.metricCount({ period, statistic: Stats.SUM }),
    latency: { p50: latency(Stats.p(50)), p90: latency(Stats.p(90)), p99: latency(Stats.p(99)) },
  };
}

/** A dimensionless upgrade metric of {@link UPGRADE_METRICS}. */
function upgradeMetric(metricName: string): Metric {
  return new Metric({ namespace: SLUICE_METRICS_NAMESPACE, metricName, statistic: Stats.SUM, period: MONITORING_PERIOD });
}

function deadLetterDepth(queue: IQueue): Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ period: MONITORING_PERIOD, statistic: Stats.MAXIMUM });
}

/**
 * One line per strategy, found by a search over the `strategy` dimension: whatever
 * strategies (or fleet strategy names, for UpdateRunCompleted) the functions report,
 * without a line per value written here.
 */
function byStrategy(title: string, metricName: string, statistic: string, width = 6): GraphWidget {
  return new GraphWidget({
    title,
    left: [
      new SearchExpression({
        expression: `SEARCH('{${SLUICE_METRICS_NAMESPACE},${STRATEGY_DIMENSION}} MetricName="${metricName}"', '${statistic}', ${MONITORING_PERIOD.toSeconds()})`,
        // CloudWatch's dynamic label: the strategy alone, not the metric name again.
        label: `\${PROP('Dim.${STRATEGY_DIMENSION}')}`,
        period: MONITORING_PERIOD,
      }),
    ],
    width,
  });
}
