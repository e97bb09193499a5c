import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { IDEMPOTENCY_TABLE_SCHEMA } from '../../functions/domain/table-schema.js';
import type { SluiceFunction } from './sluice-function.js';

/**
 * What Powertools' DynamoDB persistence layer calls: claim a key (conditional put), read
 * a record, store an answer, free a key. No Query, Scan or batch calls.
 */
export const IDEMPOTENCY_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/**
 * The table of `Idempotency-Key` records, built from {@link IDEMPOTENCY_TABLE_SCHEMA}:
 * one hash key and TTL, on demand.
 *
 * Unlike the main table it has no point-in-time recovery and does not outlive the
 * stack: a record only lets a retry within 24 h be answered from memory, so restoring
 * or keeping one would buy nothing.
 *
 * @example
 * ```ts
 * const idempotency = new IdempotencyTable(this, 'Idempotency');
 * idempotency.grantToApiFunction(fn);
 * ```
 */
export class IdempotencyTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: IDEMPOTENCY_TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TABLE_SCHEMA.timeToLiveAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'Idempotency records live 24 hours and only let a retried request replay its first answer; a point-in-time restore of them would bring back nothing worth restoring, and the table is deleted with the stack.',
    });
  }

  /** Lets an API function keep idempotency records ({@link IDEMPOTENCY_ACTIONS}) and tells it where. */
  grantToApiFunction(fn: SluiceFunction): void {
    this.table.grant(fn, ...IDEMPOTENCY_ACTIONS);
    fn.lambda.addEnvironment('IDEMPOTENCY_TABLE_NAME', this.table.tableName);
  }
}
