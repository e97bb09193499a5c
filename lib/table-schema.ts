/**
 * The single table's key schema, as plain data.
 *
 * The CDK stack, the local runtime (which creates the table in DynamoDB Local) and the
 * tests all build the table from this one description, so they cannot drift apart.
 * Nothing here imports CDK: handlers and the local runtime may import it freely.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Attribute holding an epoch-seconds expiry for DynamoDB TTL (idempotency records, locks). */
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    {
      /** Lists that cross partitions: components by name, upgrades by status or component. */
      indexName: 'gsi1',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
    },
    {
      /** A second cross-partition list for items that gsi1 already serves: upgrades by status. */
      indexName: 'gsi2',
      partitionKey: 'gsi2pk',
      sortKey: 'gsi2sk',
    },
  ],
} as const;

export type GsiName = (typeof TABLE_SCHEMA.globalSecondaryIndexes)[number]['indexName'];

/** Default physical table name for the local runtime and tests; CDK names the deployed one. */
export const LOCAL_TABLE_NAME = 'sluice';
