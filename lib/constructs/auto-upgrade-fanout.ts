import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventField, type IEventBus, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { VERSION_PUBLISHED } from '../../functions/domain/events.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/domain/functions.js';
import { createDeadLetterQueue } from './dead-letter-queue.js';
import { SluiceFunction } from './sluice-function.js';
import { TIMELINE_EVENT_SOURCE } from './timeline-publisher.js';

/**
 * The events the fan-out takes: what the timeline pipe puts on the bus for an inserted
 * VersionPublished item (functions/domain/events.ts). The pipe gives every event of the
 * table the same source; the detail-type is the item's `type`.
 */
export const VERSION_PUBLISHED_PATTERN = { source: [TIMELINE_EVENT_SOURCE], detailType: [VERSION_PUBLISHED] } as const;

/**
 * Where the function's input comes from in such an event: the pipe carries the item's
 * `detail` map as DynamoDB JSON (`detailDynamoDb`), so the strings are under `.S`. The
 * function gets `{componentId, version}`, as locally (`local/events.ts`).
 */
export const AUTO_UPGRADE_INPUT_PATHS = {
  componentId: '$.detail.detailDynamoDb.componentId.S',
  version: '$.detail.detailDynamoDb.version.S',
} as const;

export interface AutoUpgradeFanoutProps {
  /** The single table: the fan-out reads profiles, services and the catalog, writes markers, and creates runs. */
  readonly table: Table;
  /** The bus the timeline pipe puts the table's events on. */
  readonly eventBus: IEventBus;
  /** `functions/handlers/auto-upgrade.handler.ts`. */
  readonly entry: string;
  readonly projectRoot: string;
  /** More environment for the update runs (state machine ARNs, …); TABLE_NAME is set here. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly logRetention?: RetentionDays;
  readonly tracing?: boolean;
  readonly bundleAwsSdk?: boolean;
}

/**
 * Auto-upgrade profiles' fan-out in AWS (docs/architecture.md#auto-upgrade-profiles):
 * publishing a version writes a VersionPublished item with it; the table's stream and the
 * timeline pipe put it on the bus; this rule hands `{componentId, version}` to the
 * auto-upgrade function, which starts the runs of every profile that admits it.
 *
 * Delivery is at least once, and the function's run markers make a repeat harmless.
 * Failures, both of them into {@link deadLetterQueue} (holding the event, so it can be
 * sent again): the rule cannot invoke the function (EventBridge retries, up to 24 h), or
 * the function fails (an unexpected error on some profile; Lambda retries twice).
 *
 * The function may read and write the table and send to the dead-letter queue; the rule
 * may invoke only this function. The stack adds what the update runs need beyond the
 * table (starting their flow) through {@link function}.
 *
 * @example
 * ```ts
 * const fanout = new AutoUpgradeFanout(this, 'AutoUpgrade', { table, eventBus, entry, projectRoot: PROJECT_ROOT });
 * ```
 */
export class AutoUpgradeFanout extends Construct {
  readonly function: SluiceFunction;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: AutoUpgradeFanoutProps) {
    super(scope, id);

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'DeadLetterQueue',
      "the auto-upgrade rule target's DeadLetterConfig and the function's asynchronous on-failure destination",
    );

    this.function = new SluiceFunction(this, 'Function', {
      entry: props.entry,
      projectRoot: props.projectRoot,
      description: 'Sluice fleet: the auto-upgrade fan-out of a published version (one update run per admitting profile)',
      environment: { ...props.environment, TABLE_NAME: props.table.tableName },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS['auto-upgrade']),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.tracing === undefined ? {} : { tracing: props.tracing }),
      ...(props.bundleAwsSdk === undefined ? {} : { bundleAwsSdk: props.bundleAwsSdk }),
    });
    // The function fails when a profile should be tried again: Lambda retries it twice, then parks the event.
    this.function.lambda.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    props.table.grantReadWriteData(this.function);
    const tableLogicalId = Stack.of(this).resolve((props.table.node.defaultChild as CfnTable).logicalId) as string;
    Validations.of(this.function.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason:
        "The fan-out queries gsi1 for a component's profiles (and the update runs query the table's other GSIs): <table ARN>/index/*, never leaving this table.",
    });

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: 'Sluice: a published version (VersionPublished) to the auto-upgrade fan-out',
      eventPattern: { source: [...VERSION_PUBLISHED_PATTERN.source], detailType: [...VERSION_PUBLISHED_PATTERN.detailType] },
    });
    this.rule.addTarget(
      new LambdaFunction(this.function.lambda, {
        event: RuleTargetInput.fromObject({
          componentId: EventField.fromPath(AUTO_UPGRADE_INPUT_PATHS.componentId),
          version: EventField.fromPath(AUTO_UPGRADE_INPUT_PATHS.version),
        }),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
