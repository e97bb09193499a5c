/**
 * The table's events, locally: what the timeline pipe and the EventBridge rules do in AWS
 * (lib/constructs/timeline-publisher.ts, lib/constructs/auto-upgrade-fanout.ts), done by
 * reading DynamoDB Local's stream of the data table.
 *
 * Every ~200 ms it reads each open shard of the table's stream, keeps what the pipe keeps
 * (inserted `EVENT#` items), and hands each event a local rule takes to that rule's
 * function through {@link invokeLocalFunction}, with the input the rule's input
 * transformer makes. Today one rule: VersionPublished → the auto-upgrade fan-out,
 * `{componentId, version}`. Like an asynchronous Lambda invocation, a failed one is tried
 * twice more, then logged as dead-lettered.
 *
 * It also logs one line per timeline event at info (local/progress-lines.ts), so that
 * `npm start` shows upgrades, update runs and gates move; LOG_LEVEL=warn silences them.
 *
 * Shards: DynamoDB Local closes a shard and opens a child from time to time, as DynamoDB
 * does. A shard that answers no next iterator is done; new shards are looked up every few
 * seconds (and at once when one closes) and read from their beginning, a child only once
 * its parent is done, so events keep their order.
 *
 * Start position: LATEST, as the pipe's `startingPosition`. So an event written while no
 * runtime reads the stream is not delivered. With `--persist`, DynamoDB Local keeps the
 * stream (24 h of records) across restarts, but a restart still starts from LATEST: a
 * version published in the last ~200 ms before Ctrl-C, or by something else writing the
 * folder's table while the runtime was down, does not start its runs. Its event item
 * stays in the table (`COMPONENT#<id>`, `EVENT#…`), and the marker items make handing it
 * to the function again by hand harmless.
 *
 * The Streams API is spoken directly (its JSON protocol over HTTP, signed with SigV4):
 * `@aws-sdk/client-dynamodb-streams` is not a dependency, and DynamoDB Local serves the
 * Streams API on its one endpoint.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { Logger } from '../functions/common/logger.js';
import { VERSION_PUBLISHED } from '../functions/domain/events.js';
import { localClient } from './dynamodb-local.js';
import { AUTO_UPGRADE_FUNCTION_NAME, invokeLocalFunction, NOTIFIER_FUNCTION_NAME } from './lambdas.js';
import { ProgressLines } from './progress-lines.js';

/** An attribute value of a stream record's image, in DynamoDB JSON. */
export type AttributeValue = { S?: string; N?: string; BOOL?: boolean; M?: Record<string, AttributeValue> } & Record<string, unknown>;
export type Image = Record<string, AttributeValue>;

export interface StreamRecord {
  readonly eventName?: string;
  readonly dynamodb?: { readonly NewImage?: Image; readonly SequenceNumber?: string };
}

export interface Shard {
  readonly ShardId: string;
  readonly ParentShardId?: string;
  readonly SequenceNumberRange?: { readonly StartingSequenceNumber?: string; readonly EndingSequenceNumber?: string };
}

/** The four calls of the DynamoDB Streams API this reader makes, and the table's current stream. */
export interface StreamsApi {
  latestStreamArn(tableName: string): Promise<string | undefined>;
  describeStream(streamArn: string, exclusiveStartShardId?: string): Promise<{ shards: Shard[]; lastEvaluatedShardId?: string }>;
  getShardIterator(
    streamArn: string,
    shardId: string,
    type: 'LATEST' | 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER',
    sequenceNumber?: string,
  ): Promise<string>;
  getRecords(iterator: string): Promise<{ records: StreamRecord[]; nextShardIterator?: string }>;
}

/** An error the Streams API answered, named by its `__type` (`ExpiredIteratorException`, …). */
export class StreamsApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * A local rule: which events (by the item's `type`, as a rule matches the detail-type the
 * pipe gives them) go to which local function, with what input.
 */
export interface LocalRule {
  /** The item types it takes (the rule's `detail-type` pattern). */
  readonly detailTypes: readonly string[];
  readonly functionName: string;
  /** The function's input, from the item's new image; undefined when the item lacks it. */
  input(image: Image): unknown;
}

/** The rules the stack has (lib/constructs/auto-upgrade-fanout.ts: VERSION_PUBLISHED_PATTERN, AUTO_UPGRADE_INPUT_PATHS). */
export const LOCAL_RULES: readonly LocalRule[] = [
  {
    detailTypes: [VERSION_PUBLISHED],
    functionName: AUTO_UPGRADE_FUNCTION_NAME,
    input: (image) => {
      const detail = image.detail?.M;
      const componentId = detail?.componentId?.S;
      const version = detail?.version?.S;
      return componentId === undefined || version === undefined ? undefined : { componentId, version };
    },
  },
];

/**
 * The notifier's rule (lib/constructs/sluice-notifier.ts): the chosen types, to the
 * notifier function, with the event the timeline pipe and EventBridge would make of the
 * item (TIMELINE_INPUT_TEMPLATE under the bus envelope), so the function parses the same
 * shape in both worlds.
 */
export function notifierRule(types: Iterable<string>, functionName = NOTIFIER_FUNCTION_NAME): LocalRule {
  const text = (value: AttributeValue | undefined) => value?.S;
  return {
    detailTypes: [...types],
    functionName,
    input: (image) => {
      const detail = Object.fromEntries(
        Object.entries({
          executionId: text(image.executionId),
          runId: text(image.runId),
          tenantId: text(image.tenantId),
          sk: text(image.sk),
          type: text(image.type),
          at: text(image.at),
          actor: text(image.actor),
        }).filter(([, value]) => value !== undefined),
      );
      return {
        version: '0',
        id: randomUUID(),
        source: 'sluice.upgrades',
        'detail-type': text(image.type),
        time: text(image.at),
        detail: { ...detail, ...(image.detail?.M ? { detailDynamoDb: image.detail.M } : {}) },
      };
    },
  };
}

/** The timeline pipe's filter (TIMELINE_FILTER_PATTERN): inserted items whose sort key begins with `EVENT#` and that have a `type`. */
export function passesPipeFilter(record: StreamRecord): boolean {
  const image = record.dynamodb?.NewImage;
  return record.eventName === 'INSERT' && (image?.sk?.S ?? '').startsWith('EVENT#') && image?.type?.S !== undefined;
}

/** What the rules make of one stream record: the invocations it asks for. */
export function invocationsOf(
  record: StreamRecord,
  rules: readonly LocalRule[] = LOCAL_RULES,
): { functionName: string; payload: unknown }[] {
  const image = record.dynamodb?.NewImage;
  if (!image || !passesPipeFilter(record)) return [];
  return rules.flatMap((rule) => {
    if (!rule.detailTypes.includes(image.type?.S ?? '')) return [];
    const payload = rule.input(image);
    return payload === undefined ? [] : [{ functionName: rule.functionName, payload }];
  });
}

interface Tracked {
  readonly shard: Shard;
  iterator?: string;
  /** The last record read, to resume after it when the iterator is lost. */
  lastSequence?: string;
  /** How to open the shard while nothing of it has been read. */
  start: 'LATEST' | 'TRIM_HORIZON';
}

/**
 * Follows every shard of one table's stream: `poll()` answers the records written since
 * the last poll (since the start, the first time), shard after shard, a child shard only
 * after its parent.
 */
export class ShardFollower {
  private streamArn: string | undefined;
  private readonly active = new Map<string, Tracked>();
  private readonly known = new Set<string>();
  private sinceDiscovery = 0;
  private discoverSoon = false;

  constructor(
    private readonly api: StreamsApi,
    private readonly tableName: string,
    /** Polls between two looks for new shards. */
    private readonly discoverEvery = 25,
  ) {}

  /** Opens the open shards at LATEST; closed ones are history. */
  async start(): Promise<void> {
    this.active.clear();
    this.known.clear();
    this.streamArn = await this.api.latestStreamArn(this.tableName);
    if (!this.streamArn) throw new Error(`Table ${this.tableName} has no stream; ensureTable creates it with one.`);
    for (const shard of await this.allShards(this.streamArn)) {
      this.known.add(shard.ShardId);
      if (shard.SequenceNumberRange?.EndingSequenceNumber === undefined) this.active.set(shard.ShardId, { shard, start: 'LATEST' });
    }
    for (const tracked of this.active.values()) await this.open(tracked);
  }

  async poll(): Promise<StreamRecord[]> {
    const streamArn = this.streamArn;
    if (!streamArn) return [];
    if (this.discoverSoon || ++this.sinceDiscovery >= this.discoverEvery) await this.discover(streamArn);
    const records: StreamRecord[] = [];
    for (const tracked of [...this.active.values()]) {
      // A child waits for its parent: its records come after the parent's.
      if (tracked.shard.ParentShardId !== undefined && this.active.has(tracked.shard.ParentShardId)) continue;
      try {
        if (tracked.iterator === undefined) await this.open(tracked);
        const iterator = tracked.iterator;
        if (iterator === undefined) continue;
        const page = await this.api.getRecords(iterator);
        records.push(...page.records);
        const last = page.records.at(-1)?.dynamodb?.SequenceNumber;
        if (last !== undefined) tracked.lastSequence = last;
        if (page.nextShardIterator === undefined) {
          // Closed and read to its end: its children are next.
          this.active.delete(tracked.shard.ShardId);
          this.discoverSoon = true;
        } else {
          tracked.iterator = page.nextShardIterator;
        }
      } catch (error) {
        // Not an answer of the API (the connection failed): the iterator still holds. What
        // other shards gave is kept (their iterators moved on); the error shows when there is none.
        if (!(error instanceof StreamsApiError)) {
          if (records.length === 0) throw error;
          return records;
        }
        if (error.name === 'ResourceNotFoundException') {
          // The table (or its stream) was replaced: read the new one, from now on.
          await this.start();
          return records;
        }
        // An expired, invalid or trimmed iterator: open the shard again after what was read.
        tracked.iterator = undefined;
      }
    }
    return records;
  }

  private async open(tracked: Tracked): Promise<void> {
    if (!this.streamArn) return;
    tracked.iterator =
      tracked.lastSequence === undefined
        ? await this.api.getShardIterator(this.streamArn, tracked.shard.ShardId, tracked.start)
        : await this.api.getShardIterator(this.streamArn, tracked.shard.ShardId, 'AFTER_SEQUENCE_NUMBER', tracked.lastSequence);
  }

  /** Shards not seen before came after the start: all their records are new. */
  private async discover(streamArn: string): Promise<void> {
    this.sinceDiscovery = 0;
    this.discoverSoon = false;
    for (const shard of await this.allShards(streamArn)) {
      if (this.known.has(shard.ShardId)) continue;
      this.known.add(shard.ShardId);
      this.active.set(shard.ShardId, { shard, start: 'TRIM_HORIZON' });
    }
  }

  private async allShards(streamArn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const page = await this.api.describeStream(streamArn, start);
      shards.push(...page.shards);
      start = page.lastEvaluatedShardId;
    } while (start !== undefined);
    return shards;
  }
}

/**
 * The Streams API of DynamoDB Local: JSON over HTTP (`X-Amz-Target:
 * DynamoDBStreams_20120810.<Operation>`), SigV4-signed with the dummy credentials every
 * local client uses (any would do: the runtime starts DynamoDB Local with `-sharedDb`, one
 * database whatever the access key and region).
 */
export function localStreamsApi(endpoint: string, region = 'us-east-1', credentials = { accessKeyId: 'local', secretAccessKey: 'local' }) {
  const url = new URL(endpoint);
  const call = async <T>(operation: string, input: unknown): Promise<T> => {
    const body = JSON.stringify(input);
    const headers = signedHeaders({ url, region, credentials, body, target: `DynamoDBStreams_20120810.${operation}`, now: new Date() });
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    const parsed = (text.length > 0 ? JSON.parse(text) : {}) as Record<string, unknown>;
    if (!response.ok) {
      const type = String(parsed.__type ?? 'UnknownError');
      throw new StreamsApiError(type.slice(type.lastIndexOf('#') + 1), String(parsed.Message ?? parsed.message ?? text), response.status);
    }
    return parsed as T;
  };
  const client = localClient(endpoint);

  const api: StreamsApi & { close(): void } = {
    async latestStreamArn(tableName) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      return Table?.StreamSpecification?.StreamEnabled ? Table.LatestStreamArn : undefined;
    },
    async describeStream(streamArn, exclusiveStartShardId) {
      const { StreamDescription } = await call<{ StreamDescription?: { Shards?: Shard[]; LastEvaluatedShardId?: string } }>(
        'DescribeStream',
        { StreamArn: streamArn, ...(exclusiveStartShardId === undefined ? {} : { ExclusiveStartShardId: exclusiveStartShardId }) },
      );
      return {
        shards: StreamDescription?.Shards ?? [],
        ...(StreamDescription?.LastEvaluatedShardId === undefined ? {} : { lastEvaluatedShardId: StreamDescription.LastEvaluatedShardId }),
      };
    },
    async getShardIterator(streamArn, shardId, type, sequenceNumber) {
      const { ShardIterator } = await call<{ ShardIterator?: string }>('GetShardIterator', {
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
      });
      if (ShardIterator === undefined) throw new StreamsApiError('ResourceNotFoundException', `No iterator for shard ${shardId}`, 400);
      return ShardIterator;
    },
    async getRecords(iterator) {
      const { Records, NextShardIterator } = await call<{ Records?: StreamRecord[]; NextShardIterator?: string | null }>('GetRecords', {
        ShardIterator: iterator,
        Limit: 1000,
      });
      return { records: Records ?? [], ...(NextShardIterator ? { nextShardIterator: NextShardIterator } : {}) };
    },
    close: () => client.destroy(),
  };
  return api;
}

/** AWS Signature Version 4 headers of one POST to `/` (service `dynamodb`, which the Streams API signs as). */
export function signedHeaders(input: {
  url: URL;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  body: string;
  target: string;
  now: Date;
}): Record<string, string> {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const amzDate = input.now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(input.body);
  const signed: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    host: input.url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
    'x-amz-target': input.target,
  };
  const names = Object.keys(signed).sort();
  const canonicalRequest = ['POST', '/', '', names.map((name) => `${name}:${signed[name]}\n`).join(''), names.join(';'), payloadHash].join(
    '\n',
  );
  const scope = `${day}/${input.region}/dynamodb/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = ['dynamodb', 'aws4_request'].reduce(
    (derived, part) => hmac(derived, part),
    hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region),
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  // fetch sets Host itself (from the URL, as signed) and refuses it as a header.
  const { host: _host, ...headers } = signed;
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

export interface LocalEventsOptions {
  /** DynamoDB Local's endpoint. */
  readonly endpoint: string;
  readonly tableName: string;
  readonly logger: Logger;
  /** @default 200 */
  readonly pollIntervalMs?: number;
  /** How a rule's function is invoked. @default invokeLocalFunction */
  readonly invoke?: (functionName: string, payload: unknown) => Promise<unknown>;
  /** Pauses before the second and third attempt of a failed invocation. @default [1000, 2000] */
  readonly retryDelaysMs?: readonly number[];
  /** @default the Streams API of DynamoDB Local at `endpoint` */
  readonly api?: StreamsApi;
  readonly rules?: readonly LocalRule[];
}

export interface LocalEvents {
  /** Stops polling and waits for the invocations under way (their retries are cut short). */
  stop(): Promise<void>;
}

/**
 * Starts delivering the table's events to the local rules' functions. Resolves once the
 * stream's shards are open at LATEST: every event written after that is delivered.
 */
export async function startLocalEvents(options: LocalEventsOptions): Promise<LocalEvents> {
  const ownApi = options.api ? undefined : localStreamsApi(options.endpoint);
  const api = options.api ?? (ownApi as StreamsApi);
  const follower = new ShardFollower(api, options.tableName);
  const invoke = options.invoke ?? invokeLocalFunction;
  const delays = options.retryDelaysMs ?? [1000, 2000];
  const interval = options.pollIntervalMs ?? 200;
  const { logger } = options;
  await follower.start();

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  /** Ends the pauses between attempts at once, on stop. */
  const wakers = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((done) => {
      const wake = () => {
        clearTimeout(pending);
        wakers.delete(wake);
        done();
      };
      const pending = setTimeout(wake, ms);
      wakers.add(wake);
    });

  const deliver = async (functionName: string, payload: unknown) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await invoke(functionName, payload);
        return;
      } catch (error) {
        const delay = delays[attempt];
        if (delay !== undefined && !stopped) {
          logger.warn('local event delivery failed; trying again', { functionName, payload, attempt: attempt + 1, error });
          await pause(delay);
        }
        if (delay === undefined || stopped) {
          logger.error('local event not delivered (dead-lettered)', { functionName, payload, attempts: attempt + 1, error });
          return;
        }
      }
    }
  };

  let polling: Promise<void> | undefined;
  let failures = 0;
  const progress = new ProgressLines();
  const tick = async () => {
    try {
      const records = await follower.poll();
      for (const record of records) {
        for (const { functionName, payload } of invocationsOf(record, options.rules)) {
          logger.debug('local event', { functionName, payload });
          const delivery = deliver(functionName, payload).finally(() => inFlight.delete(delivery));
          inFlight.add(delivery);
        }
      }
      failures = 0;
      // After the deliveries, and on its own: a line that cannot be made must cost no event.
      try {
        for (const line of progress.lines(records)) logger.info(line);
      } catch (error) {
        logger.debug('no progress line for these records', { error });
      }
    } catch (error) {
      // Say it once per streak, not five times a second.
      if (failures++ === 0) logger.warn('reading the table stream failed; retrying', { error });
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      polling = tick().finally(schedule);
    }, interval);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await polling;
      for (const wake of [...wakers]) wake();
      await Promise.all([...inFlight]);
      ownApi?.close();
    },
  };
}
