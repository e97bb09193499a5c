import { Duration, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/domain/functions.js';
import { createDeadLetterQueue } from './dead-letter-queue.js';
import { SluiceFunction } from './sluice-function.js';
import { TIMELINE_EVENT_SOURCE } from './timeline-publisher.js';

/** The items the notifier may write: decision links only (functions/notify/link-repository.ts). */
export const DECISION_LINK_KEY_PATTERN = 'DECISION_LINK#*';

export interface SluiceNotifierProps {
  /** The single table: the notifier writes decision link items to it, nothing else. */
  readonly table: Table;
  /** The bus the timeline pipe puts the table's events on. */
  readonly eventBus: IEventBus;
  /** `functions/handlers/notifier.handler.ts`. */
  readonly entry: string;
  readonly projectRoot: string;
  /** The https webhook (context `sluice:notifyUrl`). */
  readonly url: string;
  /** The event types to post: the rule's detail-type pattern. */
  readonly types: readonly string[];
  /** A Secrets Manager secret's name holding the signing key (`sluice:notifySecretName`). @default a secret this construct generates */
  readonly secretName?: string;
  /** Approve/reject links on gate notifications (`sluice:notifyLinks`). */
  readonly links: boolean;
  /** Where the links point: the HTTP API's URL. */
  readonly apiBaseUrl: string;
  readonly logRetention?: RetentionDays;
  readonly tracing?: boolean;
  readonly bundleAwsSdk?: boolean;
}

/**
 * The notifier in AWS (README, Notifications; docs/decisions/0029-notifications-and-decision-links.md):
 * a rule on the bus takes the chosen timeline events to the notifier function, which posts
 * each to the webhook, signed with the secret, retried with backoff inside the invocation.
 *
 * When every attempt failed the function fails: Lambda tries the event twice more, then
 * parks it in {@link deadLetterQueue}, as it does an event the rule could not deliver at
 * all; every try of one event carries the same `x-sluice-delivery-id`.
 *
 * Grants: the function reads the one secret, and may only put items whose partition key
 * begins with `DECISION_LINK#` (IAM's `dynamodb:LeadingKeys`); the rule may invoke only it.
 *
 * @example
 * ```ts
 * new SluiceNotifier(this, 'Notifier', { table, eventBus, entry, projectRoot, url, types, links: true, apiBaseUrl: api.url });
 * ```
 */
export class SluiceNotifier extends Construct {
  readonly function: SluiceFunction;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: SluiceNotifierProps) {
    super(scope, id);

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'DeadLetterQueue',
      "the notifier rule target's DeadLetterConfig and the function's asynchronous on-failure destination",
    );

    if (props.secretName) {
      this.secret = Secret.fromSecretNameV2(this, 'Secret', props.secretName);
    } else {
      const generated = new Secret(this, 'Secret', {
        description: 'Sluice notifier: the HMAC key of x-sluice-signature (JSON {"secret": "…"}); give it to the receiver',
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'secret',
          passwordLength: 48,
          excludePunctuation: true,
        },
      });
      Validations.of(generated).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The signing key is shared with the webhook receiver, which must change its copy at the same moment: rotation is a manual step (README, Notifications), not a Lambda that would break the receiver.',
      });
      this.secret = generated;
    }

    this.function = new SluiceFunction(this, 'Function', {
      entry: props.entry,
      projectRoot: props.projectRoot,
      description: 'Sluice: the notifier (chosen timeline events to a signed webhook, with decision links for gates)',
      environment: {
        TABLE_NAME: props.table.tableName,
        NOTIFY_URL: props.url,
        NOTIFY_TYPES: props.types.join(','),
        NOTIFY_SECRET_ARN: this.secret.secretArn,
        NOTIFY_LINKS: String(props.links),
        API_BASE_URL: props.apiBaseUrl,
      },
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.notifier),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.tracing === undefined ? {} : { tracing: props.tracing }),
      ...(props.bundleAwsSdk === undefined ? {} : { bundleAwsSdk: props.bundleAwsSdk }),
    });
    this.function.lambda.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    this.secret.grantRead(this.function);
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [DECISION_LINK_KEY_PATTERN] } },
      }),
    );

    this.rule = new Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: 'Sluice: the chosen timeline events to the notifier',
      eventPattern: { source: [TIMELINE_EVENT_SOURCE], detailType: [...props.types] },
    });
    this.rule.addTarget(
      new LambdaFunction(this.function.lambda, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
  }
}
