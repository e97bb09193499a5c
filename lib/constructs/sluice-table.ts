import { RemovalPolicy } from 'aws-cdk-lib';
import type { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/domain/table-schema.js';

export interface SluiceTableProps {
  /** Refuse DeleteTable until this is turned off. @default true */
  readonly deletionProtection?: boolean;
  /** Turn on the table's stream with this view (the timeline publisher reads NEW_IMAGE). @default no stream */
  readonly stream?: StreamViewType;
}

/**
 * The single DynamoDB table, built from {@link TABLE_SCHEMA} so the deployed table, the
 * local runtime's table and the tests cannot drift apart.
 *
 * The table outlives the stack (RETAIN): it holds every tenant's audit trail, and a
 * `cdk destroy` should never be the way that trail disappears.
 *
 * @example
 * ```ts
 * const { table } = new SluiceTable(this, 'Data', { deletionProtection: true });
 * table.grantReadData(fn);
 * ```
 */
export class SluiceTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: SluiceTableProps = {}) {
    super(scope, id);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.stream ? { stream: props.stream } : {}),
    });

    for (const gsi of TABLE_SCHEMA.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
      });
    }
  }
}
