/**
 * Events written as items of the single table, in the partition of what they are about,
 * so that they are committed with the change they report (one transaction) and reach
 * their consumers through the table's stream: in AWS the timeline pipe puts every
 * inserted `EVENT#` item on the bus; locally `local/events.ts` reads the stream of
 * DynamoDB Local and applies the same filter.
 *
 * Every such item is `{pk, sk: EVENT#<ISO time>#<8 hex>, type, at, actor?, detail?}`, the
 * shape of an execution's timeline items, so one pipe and one input template carry them all.
 */

/**
 * A platform admin published a version: `pk COMPONENT#<componentId>`, `actor` the
 * publisher, `detail {componentId, version, channel, security}`. The auto-upgrade
 * fan-out starts the update runs of the profiles it admits.
 */
export const VERSION_PUBLISHED = 'VersionPublished';

/** What the VersionPublished item's `detail` holds. */
export interface VersionPublishedDetail {
  readonly componentId: string;
  readonly version: string;
  readonly channel: string;
  readonly security: boolean;
}
