import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createDeadLetterQueue } from './dead-letter-queue.js';

/** The `source` of every event the publisher puts on the bus. */
export const TIMELINE_EVENT_SOURCE = 'sluice.upgrades';

/**
 * Only new timeline items pass: the timeline items of an upgrade execution and of a fleet
 * update run (`sk = EVENT#…` under `UPGRADE#<executionId>` or `UPDATE_RUN#<runId>`) are
 * inserted once and never changed, so INSERT is the whole story, and every other item
 * kind of the single table (executions, runs, members, instances, locks, the tenant feed's
 * copies, …) stays off the bus. A voided sequence number is an `EVENT#` item without a
 * `type` (functions/common/feed.ts): it reports nothing, so it stays off too.
 */
export const TIMELINE_FILTER_PATTERN = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { sk: { S: [{ prefix: 'EVENT#' }] }, type: { S: [{ exists: true }] } } },
} as const;

/** The event's detail-type is the timeline item's `type` (UpgradeStarted, BatchCompleted, UpdateRunCreated, …). */
export const TIMELINE_DETAIL_TYPE_PATH = '$.dynamodb.NewImage.type.S';

/**
 * The event's detail, built from the stream record by the pipe's input transformer.
 *
 * - `executionId` is stored on every timeline item of an upgrade execution, `runId` on
 *   every one of a fleet update run, for this template (an input template has no string
 *   functions to cut either out of the partition key). An item has one or the other, so
 *   an event carries exactly one of them.
 * - `tenantId` and `sk` (`EVENT#<seq>`) name the tenant and the event's place on its
 *   timeline: the notifier (lib/constructs/sluice-notifier.ts) needs both.
 * - `detailDynamoDb` is the item's `detail` map in DynamoDB JSON (`{"batch":{"N":"2"}}`):
 *   turning it back into plain JSON needs code, which this pipe deliberately has none of.
 * - Pipes leaves out a variable whose path is absent (EventBridge user guide, "Amazon
 *   EventBridge Pipes input transformation", common issues), which is what happens to
 *   `actor` and `detailDynamoDb` on items without them, and to `executionId` or `runId`.
 */
export const TIMELINE_INPUT_TEMPLATE = [
  '{',
  '"executionId": "<$.dynamodb.NewImage.executionId.S>", ',
  '"runId": "<$.dynamodb.NewImage.runId.S>", ',
  '"tenantId": "<$.dynamodb.NewImage.tenantId.S>", ',
  // The event's number on its timeline (`EVENT#<seq>`): the notifier's delivery id.
  '"sk": "<$.dynamodb.NewImage.sk.S>", ',
  '"type": "<$.dynamodb.NewImage.type.S>", ',
  '"at": "<$.dynamodb.NewImage.at.S>", ',
  '"actor": "<$.dynamodb.NewImage.actor.S>", ',
  // A map goes in unquoted: Pipes quotes string values, not objects.
  '"detailDynamoDb": <$.dynamodb.NewImage.detail.M>',
  '}',
].join('');

export interface TimelinePublisherProps {
  /** The table whose stream carries the timeline items; it must have a NEW_IMAGE (or NEW_AND_OLD_IMAGES) stream. */
  readonly table: ITable;
  /** Where the events go. */
  readonly eventBus: IEventBus;
  /** How often the pipe retries a failing batch before it goes to the dead-letter queue. @default 3 */
  readonly maxRetryAttempts?: number;
}

/**
 * Publishes every timeline event of an upgrade execution or a fleet update run to the
 * event bus, with no handler code: an EventBridge Pipe reads the table's stream, keeps only inserted
 * `EVENT#` items, and puts each one on the bus with source {@link TIMELINE_EVENT_SOURCE}
 * and the item's `type` as detail-type.
 *
 * Records the pipe cannot deliver after {@link TimelinePublisherProps.maxRetryAttempts}
 * retries go to {@link deadLetterQueue}. For a stream source the message names the shard
 * and sequence numbers, not the record; the item itself is still in the table, which
 * never changes a timeline item, so it can be replayed from there.
 *
 * The pipe's role may read this table's stream, put events on this bus and send to
 * this dead-letter queue, and nothing else.
 *
 * @example
 * ```ts
 * const { table } = new SluiceTable(this, 'Data', { stream: StreamViewType.NEW_IMAGE });
 * new TimelinePublisher(this, 'Timeline', { table, eventBus });
 * ```
 */
export class TimelinePublisher extends Construct {
  readonly pipe: CfnPipe;
  readonly role: Role;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: TimelinePublisherProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) {
      throw new Error(`TimelinePublisher ${this.node.path} needs a table with a stream (NEW_IMAGE); ${props.table.node.path} has none`);
    }

    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', "the timeline pipe's DeadLetterConfig");

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com'),
      description: `Role of the timeline pipe ${this.node.path}: read the table stream, put events, dead-letter`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    this.role.addToPolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.eventBus.eventBusArn] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: 'Sluice: timeline events of upgrade executions and update runs, from the table stream to the event bus',
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // Only what happens from now on; a new pipe does not replay 24 hours of history.
          startingPosition: 'LATEST',
          // PutEvents takes at most 10 entries per call.
          batchSize: 10,
          maximumRetryAttempts: props.maxRetryAttempts ?? 3,
          // Halve a failing batch until the failing record stands alone, so one bad
          // record does not send nine good ones to the dead-letter queue.
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(TIMELINE_FILTER_PATTERN) }] },
      },
      target: props.eventBus.eventBusArn,
      targetParameters: {
        // DetailType and Source accept dynamic paths (EventBridge user guide, "Amazon
        // EventBridge Pipes targets", dynamic path parameters: only EndpointId is excluded).
        eventBridgeEventBusParameters: { source: TIMELINE_EVENT_SOURCE, detailType: TIMELINE_DETAIL_TYPE_PATH },
        inputTemplate: TIMELINE_INPUT_TEMPLATE,
      },
    });
    // Pipes checks the role's permissions when the pipe is created, so the policy must exist first.
    this.pipe.node.addDependency(this.role);
  }
}
