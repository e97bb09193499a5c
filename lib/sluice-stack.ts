import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackProps } from 'aws-cdk-lib';
import { Annotations, ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FlowDefinition, FlowName } from '../functions/domain/flows.js';
import { childFlowsOf, FLEET_TASK_FUNCTION_ARN_KEY, FLOWS, stateMachineArnKey, TASK_FUNCTION_ARN_KEY } from '../functions/domain/flows.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../functions/domain/functions.js';
import type { RouteGroup } from '../functions/domain/routes.js';
import { acceptsIdempotencyKey, ROUTE_GROUPS, ROUTES } from '../functions/domain/routes.js';
import type { SluiceConfig } from './config.js';
import { readSluiceConfig } from './config.js';
import { AutoUpgradeFanout } from './constructs/auto-upgrade-fanout.js';
import { IdempotencyTable } from './constructs/idempotency-table.js';
import { PipelineScheduler } from './constructs/pipeline-scheduler.js';
import { apiPathPatterns, SluiceConsole } from './constructs/sluice-console.js';
import { SluiceFunction } from './constructs/sluice-function.js';
import { SluiceHttpApi } from './constructs/sluice-http-api.js';
import { SluiceMonitoring } from './constructs/sluice-monitoring.js';
import { SluiceNotifier } from './constructs/sluice-notifier.js';
import { SluiceStateMachine } from './constructs/sluice-state-machine.js';
import { SluiceTable } from './constructs/sluice-table.js';
import { TimelinePublisher } from './constructs/timeline-publisher.js';

/** Repository root: esbuild's project root and the base of every handler entry. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the handler of a route group lives: `functions/handlers/<group>.handler.ts`. */
export function routeGroupEntry(group: RouteGroup, root: string = PROJECT_ROOT): string {
  return join(root, 'functions', 'handlers', `${group}.handler.ts`);
}

/** The task function the flows invoke (not behind the API). */
export function upgradeTasksEntry(root: string = PROJECT_ROOT): string {
  return join(root, 'functions', 'handlers', 'upgrade-tasks.handler.ts');
}

/** The task function the update run flows invoke (not behind the API). */
/** The auto-upgrade fan-out the VersionPublished rule invokes (not behind the API). */
export function autoUpgradeEntry(root: string = PROJECT_ROOT): string {
  return join(root, 'functions', 'handlers', 'auto-upgrade.handler.ts');
}

export function notifierEntry(root: string = PROJECT_ROOT): string {
  return join(root, 'functions', 'handlers', 'notifier.handler.ts');
}

export function fleetTasksEntry(root: string = PROJECT_ROOT): string {
  return join(root, 'functions', 'handlers', 'fleet-tasks.handler.ts');
}

/** The function the upgrade pipelines' schedules invoke (not behind the API). */
export function pipelineScheduledEntry(root: string = PROJECT_ROOT): string {
  return join(root, 'functions', 'handlers', 'scheduled.handler.ts');
}

export interface SluiceStackProps extends StackProps {
  /** @default read from CDK context with {@link readSluiceConfig} */
  readonly config?: SluiceConfig;
}

/**
 * The whole control plane in one stack: the table, one function per route group, the
 * HTTP API in front of them, the flows (one state machine per entry of
 * `functions/domain/flows.ts`) with the task functions they invoke (the upgrade flows
 * `taskFunction`, the fleet update run flows `fleetTaskFunction`), and the progress event bus.
 *
 * Later parts plug in through the public fields: `table` for grants and `TABLE_NAME`,
 * `functions` for grants and environment, `api` for routes, `flows`, `taskFunction` and
 * `fleetTaskFunction` for the state machines, `eventBus` for rules; and through `config`
 * for context-driven settings. A new flow needs only its ASL file and a `FLOWS` entry.
 */
export class SluiceStack extends Stack {
  readonly config: SluiceConfig;
  readonly table: Table;
  /** Idempotency-Key records (24 h TTL); only the API functions of groups with mutations use it. */
  readonly idempotencyTable: Table;
  /** The function serving each route group of `functions/domain/routes.ts`. */
  readonly functions: Readonly<Record<RouteGroup, SluiceFunction>>;
  /** The function behind every Task state of the upgrade flows (those naming `${UpgradeTasksFunctionArn}`). */
  readonly taskFunction: SluiceFunction;
  /**
   * The function behind every Task state of the fleet update run flows (those naming
   * `${FleetTasksFunctionArn}`): it creates and starts the runs' member upgrades.
   */
  readonly fleetTaskFunction: SluiceFunction;
  /** What the task function may invoke: the lambda targets' function ARNs and their qualified forms. */
  lambdaTargetArns: readonly string[] = [];
  /** The state machine of each flow of `functions/domain/flows.ts`. */
  readonly flows: Readonly<Record<FlowName, SluiceStateMachine>>;
  /** Progress events (UpgradeStarted, BatchCompleted, GateWaiting, …); only the task function puts to it. */
  readonly eventBus: EventBus;
  readonly api: SluiceHttpApi;
  /** What the upgrade pipelines' one-time schedules invoke: auto-validation, start-upgrade. */
  readonly scheduledFunction: SluiceFunction;
  /** The pipelines' schedule group, the role Scheduler invokes with, and its dead-letter queue. */
  readonly scheduler: PipelineScheduler;
  /** Auto-upgrade profiles' fan-out: the VersionPublished rule, its function and dead-letter queue. */
  readonly autoUpgrade: AutoUpgradeFanout;
  /** The notifier, with `sluice:notifyUrl` (README, Notifications). */
  readonly notifier?: SluiceNotifier;
  /** The table stream → event bus pipe and its dead-letter queue. */
  readonly timeline: TimelinePublisher;
  /** The dashboard, the alarms and their SNS topic. */
  readonly monitoring: SluiceMonitoring;
  /** The web console: its bucket and the CloudFront distribution in front of it and of the API. */
  readonly console: SluiceConsole;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, {
      description: 'Sluice: serverless upgrade control plane (API, table, functions, flows, events)',
      ...props,
    });
    this.config = props.config ?? readSluiceConfig(this);
    const config = this.config;
    if (config.jwtIssuer.includes('REPLACE_ME')) {
      Annotations.of(this).addWarningV2(
        'sluice:placeholder-issuer',
        `sluice:jwtIssuer is still the cdk.json placeholder (${config.jwtIssuer}); every authenticated route will answer 401. Deploy with -c sluice:jwtIssuer=https://<your issuer>.`,
      );
    }

    this.table = new SluiceTable(this, 'Data', {
      deletionProtection: config.deletionProtection,
      stream: StreamViewType.NEW_IMAGE,
    }).table;

    const environment = {
      TABLE_NAME: this.table.tableName,
      TENANT_CLAIM: config.tenantClaim,
      ROLES_CLAIM: config.rolesClaim,
    };
    const makeFunction = (group: RouteGroup): SluiceFunction =>
      new SluiceFunction(this, `${pascalCase(group)}Function`, {
        entry: routeGroupEntry(group),
        projectRoot: PROJECT_ROOT,
        description: `Sluice API: ${group} routes`,
        environment,
        logRetention: config.logRetention,
        tracing: config.tracing,
        bundleAwsSdk: config.bundleAwsSdk,
      });
    this.functions = Object.fromEntries(ROUTE_GROUPS.map((group) => [group, makeFunction(group)])) as Record<RouteGroup, SluiceFunction>;

    // Idempotency-Key (docs/decisions/0003-separate-idempotency-table.md): the API functions whose group has a mutation keep their
    // records in a table of their own; no other function (system, tasks, schedules) may.
    const idempotency = new IdempotencyTable(this, 'Idempotency');
    this.idempotencyTable = idempotency.table;
    for (const group of ROUTE_GROUPS) {
      if (ROUTES.some((route) => route.group === group && acceptsIdempotencyKey(route)))
        idempotency.grantToApiFunction(this.functions[group]);
    }

    // `system` (health, OpenAPI) reads nothing from the table, so it gets no grant.
    // catalog and services read and write their items; the grants narrow to the exact
    // actions and keys each route group needs once its repositories settle.
    this.table.grantReadWriteData(this.functions.catalog);
    this.table.grantReadWriteData(this.functions.services);
    this.acknowledgeIndexGrant(this.functions.catalog);
    this.acknowledgeIndexGrant(this.functions.services);

    this.eventBus = new EventBus(this, 'Events', { eventBusName: config.eventBusName });
    // Timeline items reach the bus through an EventBridge Pipe from the table stream, no code.
    this.timeline = new TimelinePublisher(this, 'Timeline', { table: this.table, eventBus: this.eventBus });
    // A published version's VersionPublished item comes through that pipe; a rule hands it to the fan-out.
    this.autoUpgrade = new AutoUpgradeFanout(this, 'AutoUpgrade', {
      table: this.table,
      eventBus: this.eventBus,
      entry: autoUpgradeEntry(),
      projectRoot: PROJECT_ROOT,
      logRetention: config.logRetention,
      tracing: config.tracing,
      bundleAwsSdk: config.bundleAwsSdk,
    });

    // A batch drains and upgrades up to `batchSize` instances with retries inside one
    // invocation, hence minutes and more memory than an API call. It reads no claims.
    this.taskFunction = new SluiceFunction(this, 'UpgradeTasksFunction', {
      entry: upgradeTasksEntry(),
      projectRoot: PROJECT_ROOT,
      description: 'Sluice flows: the tasks every upgrade state machine invokes',
      environment: { TABLE_NAME: this.table.tableName, EVENT_BUS_NAME: this.eventBus.eventBusName },
      logRetention: config.logRetention,
      tracing: config.tracing,
      bundleAwsSdk: config.bundleAwsSdk,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS['upgrade-tasks']),
      memorySize: 1024,
    });
    this.table.grantReadWriteData(this.taskFunction);
    this.acknowledgeIndexGrant(this.taskFunction);
    this.eventBus.grantPutEventsTo(this.taskFunction);
    // A parked flow may need to wake itself (resume arriving while it parks).
    // and a gate closed or a hold interrupted fails the waiting token.
    this.allowTaskResponses(this.taskFunction, ['states:SendTaskSuccess', 'states:SendTaskFailure']);
    this.allowLambdaTargets(config.lambdaTargetPattern);

    // An update run's tasks look at its members, create and start the member upgrades of
    // the next groups through the upgrades use case (minutes for a large fleet), and park
    // the run's flow on a task token. It reads no claims and puts no events.
    this.fleetTaskFunction = new SluiceFunction(this, 'FleetTasksFunction', {
      entry: fleetTasksEntry(),
      projectRoot: PROJECT_ROOT,
      description: 'Sluice flows: the tasks every fleet update run state machine invokes',
      environment: { TABLE_NAME: this.table.tableName },
      logRetention: config.logRetention,
      tracing: config.tracing,
      bundleAwsSdk: config.bundleAwsSdk,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS['fleet-tasks']),
      memorySize: 1024,
    });
    this.table.grantReadWriteData(this.fleetTaskFunction);
    this.acknowledgeIndexGrant(this.fleetTaskFunction);

    this.flows = this.createFlows(config);
    const upgradeFlows = FLOWS.filter(isUpgradeFlow);

    // The upgrades API starts, stops and reads executions of one upgrade's flows (those
    // `startedBy: 'upgrades'`; never an update run), and resumes a paused one through its
    // task token. The orchestrator-style registry API runs the same use cases, so it gets the same.
    for (const upgrades of [this.functions.upgrades, this.functions.registry]) {
      this.table.grantReadWriteData(upgrades);
      this.acknowledgeIndexGrant(upgrades);
      for (const flow of upgradeFlows) {
        const { stateMachine } = this.flows[flow.name];
        upgrades.lambda.addEnvironment(flow.apiEnvVar, stateMachine.stateMachineArn);
        stateMachine.grantStartExecution(upgrades);
        stateMachine.grantExecution(upgrades, 'states:StopExecution', 'states:DescribeExecution');
        Validations.of(upgrades.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${executionArnPattern(this, this.flows[flow.name])}]`,
          reason: `Stopping and describing executions of the ${flow.name} flow only: execution ARNs end in the execution name, chosen per upgrade at start, so "<state machine>:*" is the narrowest pattern.`,
        });
      }
      this.allowTaskResponses(upgrades, ['states:SendTaskSuccess', 'states:SendTaskFailure']);
    }

    // Fleet update runs (docs/architecture.md#fleet-update-runs). The fleet API keeps
    // strategies, runs and profiles in the table, starts the update-run flow and nothing
    // else (never a member upgrade: the run's tasks start those), and wakes a parked run.
    const fleet = this.functions.fleet;
    this.table.grantReadWriteData(fleet);
    this.acknowledgeIndexGrant(fleet);
    // The auto-upgrade fan-out creates and starts runs through the same use cases.
    const autoUpgrade = this.autoUpgrade.function;
    for (const flow of FLOWS.filter(isFleetFlow)) {
      const { stateMachine } = this.flows[flow.name];
      for (const fn of [fleet, autoUpgrade]) {
        fn.lambda.addEnvironment(flow.apiEnvVar, stateMachine.stateMachineArn);
        stateMachine.grantStartExecution(fn);
      }
    }
    // The fleet task function creates and starts member upgrades with the upgrades use
    // case: it starts the upgrade flows, never stops or describes them (their ends reach
    // the run through the upgrade repository's end hook, in whichever function ends them).
    for (const flow of upgradeFlows) {
      const { stateMachine } = this.flows[flow.name];
      this.fleetTaskFunction.lambda.addEnvironment(flow.apiEnvVar, stateMachine.stateMachineArn);
      stateMachine.grantStartExecution(this.fleetTaskFunction);
    }
    // Waking a parked run completes its task token; nothing in either function fails one.
    for (const fn of [fleet, this.fleetTaskFunction, autoUpgrade]) this.allowTaskResponses(fn, ['states:SendTaskSuccess']);

    // Decision links (docs/decisions/0029-notifications-and-decision-links.md): the links'
    // function reads and takes link items, and decides gates through the upgrades' and the
    // update runs' use cases: it writes the table and completes or fails a gate's task
    // token (an upgrade's), or wakes a parked run. It starts and stops no flow.
    const decisions = this.functions.decisions;
    this.table.grantReadWriteData(decisions);
    this.acknowledgeIndexGrant(decisions);
    this.allowTaskResponses(decisions, ['states:SendTaskSuccess', 'states:SendTaskFailure']);

    // Alarm gates (docs/architecture.md#alarm-and-metric-gates): creating an upgrade or an
    // update run checks that its alarms exist, and the flows read their states: the upgrades
    // and fleet APIs and the fleet task function (member upgrades) create, the task function
    // checks. Nothing else reads alarms.
    this.allowDescribeAlarms([this.functions.upgrades, this.functions.fleet, this.fleetTaskFunction, this.taskFunction]);

    // Upgrade pipelines (docs/architecture.md#upgrade-pipelines): the pipeline API and the scheduled function read and
    // write steps and services, and start the upgrades a validated version releases; the
    // schedules they create may invoke the scheduled function and nothing else.
    // A fixed name, so the task function (which the flows invoke) can target it by an ARN
    // built from the name: a reference would close a cycle flows → task function →
    // scheduled function → flows (it starts them).
    const scheduledFunctionName = `${this.stackName}-pipeline-scheduled`.slice(-64);
    const scheduledFunctionArn = this.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: scheduledFunctionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.scheduledFunction = new SluiceFunction(this, 'PipelineScheduledFunction', {
      functionName: scheduledFunctionName,
      entry: pipelineScheduledEntry(),
      projectRoot: PROJECT_ROOT,
      description: 'Sluice pipelines: the target of every pipeline schedule (auto-validation, start-upgrade)',
      environment: { TABLE_NAME: this.table.tableName },
      logRetention: config.logRetention,
      tracing: config.tracing,
      bundleAwsSdk: config.bundleAwsSdk,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS['pipeline-scheduled']),
    });
    this.scheduler = new PipelineScheduler(this, 'PipelineScheduler', { target: this.scheduledFunction.lambda });
    const pipeline = this.functions.pipeline;
    for (const fn of [pipeline, this.scheduledFunction]) {
      this.table.grantReadWriteData(fn);
      this.acknowledgeIndexGrant(fn);
      for (const flow of upgradeFlows) fn.lambda.addEnvironment(flow.apiEnvVar, this.flows[flow.name].stateMachine.stateMachineArn);
      // A policy of its own, not the role's default one: a function waits for its default
      // policy, and the flows (through the task function, which targets the scheduled
      // function) would then wait for the function, a cycle.
      new Policy(fn, 'StartFlowsPolicy', {
        roles: [fn.role],
        statements: [
          new PolicyStatement({
            actions: ['states:StartExecution'],
            resources: upgradeFlows.map((flow) => this.flows[flow.name].stateMachine.stateMachineArn),
          }),
        ],
      });
      // An upgrade whose start fails ends there, and an update run's member ending wakes its run.
      this.allowTaskResponses(fn, ['states:SendTaskSuccess']);
    }
    this.scheduler.grantSchedules(pipeline, 'create-and-delete', scheduledFunctionArn);
    // The scheduled function reads its own ARN from the invocation context (no self-reference).
    this.scheduler.grantSchedules(this.scheduledFunction, 'create');
    this.scheduler.grantSchedules(this.taskFunction, 'create', scheduledFunctionArn);

    this.api = new SluiceHttpApi(this, 'Http', {
      routes: ROUTES,
      handlers: {
        system: this.functions.system.lambda,
        catalog: this.functions.catalog.lambda,
        services: this.functions.services.lambda,
        upgrades: this.functions.upgrades.lambda,
        pipeline: this.functions.pipeline.lambda,
        registry: this.functions.registry.lambda,
        fleet: this.functions.fleet.lambda,
        decisions: this.functions.decisions.lambda,
      },
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
      jwtScopes: config.jwtScopes,
      tenantClaim: config.tenantClaim,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogRetention: config.logRetention,
    });

    // Notifications (docs/decisions/0029-notifications-and-decision-links.md), when a webhook is configured.
    if (config.notify) {
      this.notifier = new SluiceNotifier(this, 'Notifier', {
        table: this.table,
        eventBus: this.eventBus,
        entry: notifierEntry(),
        projectRoot: PROJECT_ROOT,
        url: config.notify.url,
        types: config.notify.types,
        ...(config.notify.secretName ? { secretName: config.notify.secretName } : {}),
        links: config.notify.links,
        // The API's own endpoint (the $default stage serves it), without a trailing slash: the links append /v1/….
        apiBaseUrl: this.api.httpApi.apiEndpoint,
        logRetention: config.logRetention,
        tracing: config.tracing,
        bundleAwsSdk: config.bundleAwsSdk,
      });
    }
    const notifier = this.notifier;
    this.console = new SluiceConsole(this, 'Console', {
      apiUrl: this.api.url,
      apiPaths: apiPathPatterns(ROUTES.map((route) => route.path)),
      ...(config.consoleClientId
        ? {
            oidc: {
              issuer: config.jwtIssuer,
              clientId: config.consoleClientId,
              scopes: config.consoleScopes,
              origins: config.consoleAuthOrigins,
            },
          }
        : {}),
      claims: { tenant: config.tenantClaim, roles: config.rolesClaim },
    });

    // Every function, every flow and every dead-letter queue of the stack (test/infra/operability.test.ts checks none is left out).
    this.monitoring = new SluiceMonitoring(this, 'Monitoring', {
      httpApi: this.api.httpApi,
      functions: [
        ...ROUTE_GROUPS.map((group) => ({ name: group, fn: this.functions[group].lambda, kind: 'api' as const })),
        { name: 'upgrade-tasks', fn: this.taskFunction.lambda, kind: 'background' },
        { name: 'fleet-tasks', fn: this.fleetTaskFunction.lambda, kind: 'background' },
        { name: 'pipeline-scheduled', fn: this.scheduledFunction.lambda, kind: 'background' },
        { name: 'auto-upgrade', fn: this.autoUpgrade.function.lambda, kind: 'background' },
        ...(notifier ? [{ name: 'notifier', fn: notifier.function.lambda, kind: 'background' as const }] : []),
      ],
      stateMachines: FLOWS.map((flow) => ({ name: flow.name, stateMachine: this.flows[flow.name].stateMachine })),
      deadLetterQueues: [
        { name: 'timeline', queue: this.timeline.deadLetterQueue },
        { name: 'pipeline-schedules', queue: this.scheduler.deadLetterQueue },
        { name: 'auto-upgrade', queue: this.autoUpgrade.deadLetterQueue },
        ...(notifier ? [{ name: 'notifier', queue: notifier.deadLetterQueue }] : []),
      ],
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Sluice HTTP API' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The web console (its files: npm run deploy:console)' });
    new CfnOutput(this, 'ConsoleBucketName', { value: this.console.bucket.bucketName, description: "The console's files" });
    new CfnOutput(this, 'ConsoleDistributionId', {
      value: this.console.distribution.distributionId,
      description: 'The CloudFront distribution of the console (and of the API on its origin)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The Sluice DynamoDB table' });
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.eventBusName,
      description: 'EventBridge bus receiving Sluice progress events',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.monitoring.dashboardUrl,
      description: `The ${this.monitoring.dashboardName} CloudWatch dashboard: API, functions, flows, dead-letter queues, upgrades`,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'SNS topic every Sluice alarm notifies (subscribe with -c sluice:alarmEmail=<address>, or add your own)',
    });
    for (const flow of FLOWS) {
      new CfnOutput(this, stateMachineArnKey(flow.name), {
        value: this.flows[flow.name].stateMachine.stateMachineArn,
        description: `State machine of the ${flow.name} flow (${flow.file})`,
      });
    }
  }

  /**
   * One state machine per entry of {@link FLOWS}, in order, so that each child exists
   * before the flow that starts it. Each flow's role may invoke the task functions its
   * file names (the upgrade task function for `${UpgradeTasksFunctionArn}`, the fleet task
   * function for `${FleetTasksFunctionArn}`) and run the children whose ARNs it
   * substitutes; nothing else.
   */
  private createFlows(config: SluiceConfig): Record<FlowName, SluiceStateMachine> {
    const taskFunctions = new Map<string, SluiceFunction>([
      [TASK_FUNCTION_ARN_KEY, this.taskFunction],
      [FLEET_TASK_FUNCTION_ARN_KEY, this.fleetTaskFunction],
    ]);
    const values = new Map<string, string>([...taskFunctions].map(([key, fn]) => [key, fn.lambda.functionArn]));
    const flows = new Map<string, SluiceStateMachine>();
    for (const flow of FLOWS) {
      const substitutions: Record<string, string> = {};
      for (const key of flow.substitutionKeys) {
        const value = values.get(key);
        if (value === undefined) {
          throw new Error(`Flow "${flow.name}" uses \${${key}}, which neither a task function nor an earlier flow of FLOWS provides`);
        }
        substitutions[key] = value;
      }
      const machine = new SluiceStateMachine(this, `${pascalCase(flow.name)}Flow`, {
        flow,
        projectRoot: PROJECT_ROOT,
        substitutions,
        logRetention: config.logRetention,
      });
      for (const [key, fn] of taskFunctions) {
        if (flow.substitutionKeys.some((used) => used === key)) machine.allowInvoking(fn.lambda);
      }
      for (const child of childFlowsOf(flow)) {
        const childMachine = flows.get(child.name);
        if (!childMachine) throw new Error(`Flow "${flow.name}" starts "${child.name}", which must come earlier in FLOWS`);
        machine.allowRunningChild(childMachine);
        Validations.of(machine.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${executionArnPattern(this, childMachine)}]`,
          reason: `states:startExecution.sync:2 follows and stops the ${child.name} child executions it starts; their ARNs end in a name Step Functions generates, so "<child state machine>:*" is the narrowest pattern (AWS guide: IAM policies for nested executions).`,
        });
      }
      flows.set(flow.name, machine);
      values.set(stateMachineArnKey(flow.name), machine.stateMachine.stateMachineArn);
    }
    return Object.fromEntries(flows) as Record<FlowName, SluiceStateMachine>;
  }

  /**
   * Step Functions' task-token calls (SendTaskSuccess/Failure) support no resource-level
   * permissions (Service Authorization Reference, AWS Step Functions: no resource type),
   * so they need "*". They sit in a policy of their own so that the one acknowledgement
   * covers that statement and nothing else on the role.
   */
  private allowTaskResponses(fn: SluiceFunction, actions: readonly string[]): void {
    const policy = new Policy(fn, 'TaskResponsePolicy', {
      roles: [fn.role],
      statements: [new PolicyStatement({ actions: [...actions], resources: ['*'] })],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `${actions.join(', ')} support no resource-level permissions (Service Authorization Reference lists no resource type), so "*" is the only valid resource; a caller must also hold the flow's secret task token.`,
    });
  }

  /**
   * `cloudwatch:DescribeAlarms` and nothing more, on the alarms of this account and region:
   * an upgrade names any alarm there (the create refuses names that match none), so
   * `alarm:*` is the narrowest pattern; reading states changes nothing.
   */
  private allowDescribeAlarms(fns: readonly SluiceFunction[]): void {
    const alarms = this.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const fn of fns) {
      fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarms] }));
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
        reason:
          'An upgrade may watch any CloudWatch alarm of this account and region (alarms: [names], checked to exist at create); DescribeAlarms only reads their states, so alarm:* is the narrowest pattern.',
      });
    }
  }

  /**
   * Lambda targets: the task function may invoke functions named by
   * `sluice:lambdaTargetPattern` in this stack's account and region (any version or
   * alias), and the services API refuses a target outside the same pattern. A function
   * in another account needs its own resource policy admitting the task role too.
   */
  private allowLambdaTargets(pattern: string): void {
    const functionArn = this.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: pattern,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.lambdaTargetArns = [functionArn, `${functionArn}:*`];
    this.taskFunction.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...this.lambdaTargetArns] }),
    );
    this.functions.services.lambda.addEnvironment('SLUICE_LAMBDA_TARGET_PATTERN', functionArn);
    const nagArn = `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${pattern}`;
    for (const resource of [nagArn, `${nagArn}:*`]) {
      Validations.of(this.taskFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason: `Lambda targets are the functions named ${pattern} (context sluice:lambdaTargetPattern) in this account and region, with any version or alias; the services API refuses any other target.`,
      });
    }
  }

  /**
   * `grantReadWriteData` covers the table and `<table ARN>/index/*`, which cdk-nag
   * reports as a wildcard. The wildcard spans only this table's own indexes.
   */
  private acknowledgeIndexGrant(fn: SluiceFunction): void {
    const cfnTable = this.table.node.defaultChild as CfnTable;
    const tableLogicalId = this.resolve(cfnTable.logicalId) as string;
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason: "Queries on the table's own GSIs (TABLE_SCHEMA: gsi1, gsi2) need <table ARN>/index/*; the wildcard never leaves this table.",
    });
  }
}

type Flow = (typeof FLOWS)[number];

/** The flows of one upgrade execution, which the upgrades, registry and pipeline functions start. */
function isUpgradeFlow(flow: FlowDefinition): flow is Extract<Flow, { startedBy: 'upgrades' }> {
  return flow.startedBy === 'upgrades';
}

/** The flows of a fleet update run, which the fleet function starts. */
function isFleetFlow(flow: FlowDefinition): flow is Extract<Flow, { startedBy: 'fleet' }> {
  return flow.startedBy === 'fleet';
}

function pascalCase(value: string): string {
  return value.replace(/(^|[-_])([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}

/**
 * How cdk-nag spells the `execution:<state machine name>:*` ARN that CDK's
 * `grantExecution` builds (the name is cut out of the state machine's ARN), so that an
 * acknowledgement names exactly that one pattern.
 */
function executionArnPattern(stack: Stack, machine: SluiceStateMachine): string {
  const logicalId = stack.resolve((machine.stateMachine.node.defaultChild as CfnStateMachine).logicalId) as string;
  const name = JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalId }] }] });
  return `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*`;
}
