/**
 * The local stand-in for the timeline pipe and the EventBridge rules (local/events.ts):
 * the same filter and input as in AWS, shards followed as DynamoDB Local rotates them,
 * failed invocations tried again, all over a fake Streams API (no DynamoDB Local here).
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import { VERSION_PUBLISHED } from '../../functions/domain/events.js';
import { AUTO_UPGRADE_INPUT_PATHS, VERSION_PUBLISHED_PATTERN } from '../../lib/constructs/auto-upgrade-fanout.js';
import { TIMELINE_EVENT_SOURCE, TIMELINE_FILTER_PATTERN } from '../../lib/constructs/timeline-publisher.js';
import {
  invocationsOf,
  passesPipeFilter,
  type Shard,
  ShardFollower,
  type StreamRecord,
  type StreamsApi,
  StreamsApiError,
  signedHeaders,
  startLocalEvents,
} from '../../local/events.js';
import { AUTO_UPGRADE_FUNCTION_NAME } from '../../local/lambdas.js';

const published = (componentId: string, version: string, sequence = '1'): StreamRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: sequence,
    NewImage: {
      pk: { S: `COMPONENT#${componentId}` },
      sk: { S: `EVENT#2026-01-01T00:00:00.000Z#0a1b2c3d` },
      type: { S: VERSION_PUBLISHED },
      at: { S: '2026-01-01T00:00:00.000Z' },
      detail: { M: { componentId: { S: componentId }, version: { S: version }, security: { BOOL: false }, channel: { S: 'stable' } } },
    },
  },
});

describe('the filter and the input', () => {
  it('is the pipe’s filter: inserted EVENT# items with a type only (a voided sequence number has none)', () => {
    expect(TIMELINE_FILTER_PATTERN).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { sk: { S: [{ prefix: 'EVENT#' }] }, type: { S: [{ exists: true }] } } },
    });
    const { type: _type, ...voided } = published('cmp_1', '1.0.0').dynamodb?.NewImage ?? {};
    expect(passesPipeFilter({ eventName: 'INSERT', dynamodb: { NewImage: { ...voided, void: { BOOL: true } } } })).toBe(false);
    expect(passesPipeFilter(published('cmp_1', '1.0.0'))).toBe(true);
    expect(passesPipeFilter({ ...published('cmp_1', '1.0.0'), eventName: 'MODIFY' })).toBe(false);
    const version = published('cmp_1', '1.0.0');
    const image = { ...version.dynamodb?.NewImage, sk: { S: 'VERSION#0001' } };
    expect(passesPipeFilter({ eventName: 'INSERT', dynamodb: { NewImage: image } })).toBe(false);
  });

  it('is the rule’s pattern and input transformer: VersionPublished to the fan-out as {componentId, version}', () => {
    expect(VERSION_PUBLISHED_PATTERN).toEqual({ source: [TIMELINE_EVENT_SOURCE], detailType: [VERSION_PUBLISHED] });
    expect(AUTO_UPGRADE_INPUT_PATHS).toEqual({
      componentId: '$.detail.detailDynamoDb.componentId.S',
      version: '$.detail.detailDynamoDb.version.S',
    });
    expect(invocationsOf(published('cmp_1', '1.2.4'))).toEqual([
      { functionName: AUTO_UPGRADE_FUNCTION_NAME, payload: { componentId: 'cmp_1', version: '1.2.4' } },
    ]);
    const timeline = published('cmp_1', '1.2.4');
    const other = { ...timeline.dynamodb?.NewImage, type: { S: 'BatchCompleted' } };
    expect(invocationsOf({ eventName: 'INSERT', dynamodb: { NewImage: other } })).toEqual([]);
    const noDetail = { ...timeline.dynamodb?.NewImage, detail: { M: {} } };
    expect(invocationsOf({ eventName: 'INSERT', dynamodb: { NewImage: noDetail } })).toEqual([]);
  });
});

/** A stream in memory: shards with records; a shard closes when the test says so. */
function fakeStream() {
  const shards: { shard: Shard; records: StreamRecord[]; closed: boolean }[] = [];
  const calls: string[] = [];
  let expireNext = false;
  let arn = 'arn:stream/1';
  const iterator = (shardId: string, position: number) => `${arn}|${shardId}|${position}`;
  const api: StreamsApi = {
    latestStreamArn: async () => arn,
    async describeStream(streamArn, start) {
      calls.push(`describe${start ? ` after ${start}` : ''}`);
      if (streamArn !== arn) throw new StreamsApiError('ResourceNotFoundException', 'gone', 400);
      // Two shards a page, as DescribeStream pages them.
      const from = start === undefined ? 0 : shards.findIndex((s) => s.shard.ShardId === start) + 1;
      const page = shards.slice(from, from + 2).map(({ shard, closed, records }) => ({
        ...shard,
        SequenceNumberRange: {
          StartingSequenceNumber: '0',
          ...(closed ? { EndingSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber ?? '0' } : {}),
        },
      }));
      const last = page.at(-1)?.ShardId;
      return { shards: page, ...(from + 2 < shards.length && last ? { lastEvaluatedShardId: last } : {}) };
    },
    async getShardIterator(streamArn, shardId, type, sequence) {
      calls.push(`iterator ${shardId} ${type}${sequence ? ` ${sequence}` : ''}`);
      const entry = shards.find((s) => s.shard.ShardId === shardId);
      if (!entry || streamArn !== arn) throw new StreamsApiError('ResourceNotFoundException', 'no shard', 400);
      const position =
        type === 'LATEST'
          ? entry.records.length
          : type === 'TRIM_HORIZON'
            ? 0
            : entry.records.findIndex((r) => r.dynamodb?.SequenceNumber === sequence) + 1;
      return iterator(shardId, position);
    },
    async getRecords(it) {
      const [streamArn, shardId, position] = it.split('|');
      if (expireNext) {
        expireNext = false;
        throw new StreamsApiError('ExpiredIteratorException', 'expired', 400);
      }
      if (streamArn !== arn) throw new StreamsApiError('ResourceNotFoundException', 'gone', 400);
      const entry = shards.find((s) => s.shard.ShardId === shardId);
      if (!entry) throw new StreamsApiError('ResourceNotFoundException', 'no shard', 400);
      const records = entry.records.slice(Number(position));
      const end = entry.records.length;
      return {
        records,
        ...(entry.closed && Number(position) + records.length >= end ? {} : { nextShardIterator: iterator(shardId ?? '', end) }),
      };
    },
  };
  let sequence = 0;
  return {
    api,
    calls,
    shards,
    addShard: (id: string, parent?: string) =>
      shards.push({ shard: { ShardId: id, ...(parent ? { ParentShardId: parent } : {}) }, records: [], closed: false }),
    write: (shardId: string, version: string) => {
      sequence += 1;
      shards.find((s) => s.shard.ShardId === shardId)?.records.push(published('cmp_1', version, String(sequence).padStart(6, '0')));
    },
    close: (shardId: string) => {
      const entry = shards.find((s) => s.shard.ShardId === shardId);
      if (entry) entry.closed = true;
    },
    expireNext: () => {
      expireNext = true;
    },
    replaceStream: () => {
      arn = 'arn:stream/2';
    },
  };
}

const versionsOf = (records: StreamRecord[]) => records.map((record) => record.dynamodb?.NewImage?.detail?.M?.version?.S);

describe('ShardFollower', () => {
  it('starts at LATEST on the open shards and leaves closed ones alone', async () => {
    const stream = fakeStream();
    stream.addShard('old');
    stream.write('old', '0.9.0');
    stream.close('old');
    stream.addShard('a', 'old');
    stream.write('a', '1.0.0');
    const follower = new ShardFollower(stream.api, 'sluice');
    await follower.start();
    expect(versionsOf(await follower.poll())).toEqual([]);
    stream.write('a', '1.0.1');
    stream.write('a', '1.0.2');
    expect(versionsOf(await follower.poll())).toEqual(['1.0.1', '1.0.2']);
    expect(versionsOf(await follower.poll())).toEqual([]);
    expect(stream.calls.filter((call) => call.startsWith('iterator'))).toEqual(['iterator a LATEST']);
  });

  it('follows a rotation: the closed shard is read to its end, then its child from its beginning', async () => {
    const stream = fakeStream();
    stream.addShard('a');
    const follower = new ShardFollower(stream.api, 'sluice', 1000);
    await follower.start();
    stream.write('a', '1.0.0');
    stream.close('a');
    stream.addShard('b', 'a');
    stream.write('b', '1.0.1');
    // The child is only found once the parent said it is done.
    expect(versionsOf(await follower.poll())).toEqual(['1.0.0']);
    expect(versionsOf(await follower.poll())).toEqual(['1.0.1']);
    stream.write('b', '1.0.2');
    expect(versionsOf(await follower.poll())).toEqual(['1.0.2']);
    expect(stream.calls).toContain('iterator b TRIM_HORIZON');
  });

  it('holds a child found while its parent is still open until the parent is done', async () => {
    const stream = fakeStream();
    stream.addShard('a');
    const follower = new ShardFollower(stream.api, 'sluice', 1);
    await follower.start();
    stream.addShard('b', 'a');
    stream.write('b', '2.0.0');
    stream.write('a', '1.9.9');
    // b has a record already, but a comes first.
    expect(versionsOf(await follower.poll())).toEqual(['1.9.9']);
    stream.write('a', '1.9.10');
    stream.close('a');
    // a is read to its end, then b, in the same poll.
    expect(versionsOf(await follower.poll())).toEqual(['1.9.10', '2.0.0']);
  });

  it('pages DescribeStream', async () => {
    const stream = fakeStream();
    for (const id of ['s1', 's2', 's3', 's4', 's5']) stream.addShard(id);
    const follower = new ShardFollower(stream.api, 'sluice');
    await follower.start();
    stream.write('s5', '5.0.0');
    expect(versionsOf(await follower.poll())).toEqual(['5.0.0']);
    expect(stream.calls.filter((call) => call.startsWith('describe'))).toEqual(['describe', 'describe after s2', 'describe after s4']);
  });

  it('opens a shard again after the last record read when its iterator expires', async () => {
    const stream = fakeStream();
    stream.addShard('a');
    const follower = new ShardFollower(stream.api, 'sluice');
    await follower.start();
    stream.write('a', '1.0.0');
    expect(versionsOf(await follower.poll())).toEqual(['1.0.0']);
    stream.write('a', '1.0.1');
    stream.expireNext();
    expect(versionsOf(await follower.poll())).toEqual([]);
    expect(versionsOf(await follower.poll())).toEqual(['1.0.1']);
    expect(stream.calls.at(-1)).toBe('iterator a AFTER_SEQUENCE_NUMBER 000001');
  });

  it('moves to the table’s new stream when the old one is gone', async () => {
    const stream = fakeStream();
    stream.addShard('a');
    const follower = new ShardFollower(stream.api, 'sluice');
    await follower.start();
    stream.replaceStream();
    expect(await follower.poll()).toEqual([]);
    stream.write('a', '3.0.0');
    expect(versionsOf(await follower.poll())).toEqual(['3.0.0']);
  });
});

describe('startLocalEvents', () => {
  const logger = createLogger('silent');
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((done) => setTimeout(done, 5));
    expect(check()).toBe(true);
  };

  it('invokes the fan-out with each version published after it started', async () => {
    const stream = fakeStream();
    stream.addShard('a');
    stream.write('a', '0.1.0');
    const invoked: unknown[] = [];
    const events = await startLocalEvents({
      endpoint: 'http://unused',
      tableName: 'sluice',
      logger,
      api: stream.api,
      pollIntervalMs: 5,
      invoke: async (name, payload) => void invoked.push([name, payload]),
    });
    stream.write('a', '1.0.0');
    stream.write('a', '1.0.1');
    await waitFor(() => invoked.length === 2);
    await events.stop();
    expect(invoked).toEqual([
      [AUTO_UPGRADE_FUNCTION_NAME, { componentId: 'cmp_1', version: '1.0.0' }],
      [AUTO_UPGRADE_FUNCTION_NAME, { componentId: 'cmp_1', version: '1.0.1' }],
    ]);
  });

  it('tries a failing invocation twice more, then gives up; stop waits for deliveries under way', async () => {
    const stream = fakeStream();
    stream.addShard('a');
    let attempts = 0;
    const lines: string[] = [];
    const events = await startLocalEvents({
      endpoint: 'http://unused',
      tableName: 'sluice',
      logger: createLogger('warn', (line) => lines.push(line)),
      api: stream.api,
      pollIntervalMs: 5,
      retryDelaysMs: [5, 5],
      invoke: async () => {
        attempts += 1;
        throw new Error('boom');
      },
    });
    stream.write('a', '1.0.0');
    await waitFor(() => attempts === 3);
    await events.stop();
    expect(attempts).toBe(3);
    expect(lines.filter((line) => line.includes('dead-lettered'))).toHaveLength(1);

    // A stop during the pause before a retry ends the pause and the delivery.
    const slow = fakeStream();
    slow.addShard('a');
    let tries = 0;
    const stopping = await startLocalEvents({
      endpoint: 'http://unused',
      tableName: 'sluice',
      logger,
      api: slow.api,
      pollIntervalMs: 5,
      retryDelaysMs: [60_000],
      invoke: async () => {
        tries += 1;
        throw new Error('boom');
      },
    });
    slow.write('a', '1.0.0');
    await waitFor(() => tries === 1);
    const started = Date.now();
    await stopping.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(tries).toBe(1);
  });
});

describe('signedHeaders', () => {
  it('signs as AWS SigV4 does (the signature @smithy/signature-v4 computes for the same request)', () => {
    const headers = signedHeaders({
      url: new URL('http://127.0.0.1:8123'),
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'secret' },
      body: '{"StreamArn":"x"}',
      target: 'DynamoDBStreams_20120810.DescribeStream',
      now: new Date('2026-01-02T03:04:05.678Z'),
    });
    expect(headers).toEqual({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-content-sha256': expect.stringMatching(/^[0-9a-f]{64}$/),
      'x-amz-date': '20260102T030405Z',
      'x-amz-target': 'DynamoDBStreams_20120810.DescribeStream',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260102/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=80ac2c593c461fd6f1c066e396fe714183060c3ce56dd1a32f448a1238369449',
    });
  });
});
