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

/**
 * The idempotency table's key schema, as plain data: Powertools' DynamoDB persistence
 * layer keys each record by a hash of (scope, subject, Idempotency-Key) in `id` and
 * expires it through `expiration` (epoch seconds), which DynamoDB TTL then deletes.
 *
 * A table of its own rather than a static partition in the single table: with one
 * static partition value every tenant's mutations would write to the same partition
 * (a hot key capped at 1,000 writes/s), idempotency writes would flow into the main
 * table's stream (which feeds the timeline publisher), and these records, disposable
 * after 24 h, would share the main table's PITR and RETAIN policy for no benefit.
 */
export const IDEMPOTENCY_TABLE_SCHEMA = {
  partitionKey: 'id',
  timeToLiveAttribute: 'expiration',
} as const;

/** Default physical name of the idempotency table for the local runtime and tests. */
export const LOCAL_IDEMPOTENCY_TABLE_NAME = 'sluice-idempotency';
