import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { functionMetrics } from '../../functions/common/metrics.js';
import { observe } from '../../functions/common/observe.js';
import type { Strategy } from '../../functions/domain/knobs.js';
import { captureLogStream, type LogStream } from '../support/log-stream.js';

let stream: LogStream;
beforeAll(() => {
  process.env.LOG_LEVEL = 'silent';
  stream = captureLogStream();
});
afterAll(() => stream.stop());
let from = 0;
beforeEach(() => {
  from = stream.records().length;
});
const emf = () =>
  stream
    .records()
    .slice(from)
    .filter((line) => line._aws);

const context = { awsRequestId: 'r', functionName: 'sluice-upgrade-tasks', getRemainingTimeInMillis: () => 10_000 } as Context;
const task = (work: () => void) =>
  middy<unknown, unknown>()
    .use(observe({ keys: () => ({}), done: 'task' }))
    .handler(async () => work());

describe('functionMetrics, flushed by observe', () => {
  it('writes what a task recorded before it threw', async () => {
    const failing = task(() => {
      functionMetrics().count('InstanceFailed', 'ROLLING');
      throw new Error('after the metric');
    });
    await expect(failing({}, context)).rejects.toThrow('after the metric');
    expect(emf()).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            { Namespace: 'Sluice', Dimensions: [['strategy'], []], Metrics: [{ Name: 'InstanceFailed', Unit: 'Count' }] },
          ],
        },
        strategy: 'ROLLING',
        InstanceFailed: 1,
      },
    ]);
  });

  it('writes one line per strategy, each datum once with its strategy and once without dimensions', async () => {
    await task(() => {
      functionMetrics().count('UpgradeStarted', 'CANARY');
      functionMetrics().count('UpgradeStarted', 'BLUE_GREEN');
      functionMetrics().seconds('GateWaitSeconds', 42.5, 'BLUE_GREEN');
      functionMetrics().count('UpdateRunCompleted');
    })({}, context);
    const lines = emf();
    expect(lines.map((line) => [line.strategy, line._aws.CloudWatchMetrics[0].Dimensions])).toEqual([
      ['CANARY', [['strategy'], []]],
      ['BLUE_GREEN', [['strategy'], []]],
      [undefined, [[]]],
    ]);
    expect(lines[1]).toMatchObject({ UpgradeStarted: 1, GateWaitSeconds: 42.5 });
    expect(lines[2]).toMatchObject({ UpdateRunCompleted: 1 });
  });

  it('keeps the dimensions on every line when Powertools publishes by itself (100 values of one metric)', async () => {
    await task(() => {
      for (let index = 0; index < 150; index += 1) functionMetrics().count('InstanceFailed', 'RECREATE');
    })({}, context);
    const lines = emf();
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatchObject({ strategy: 'RECREATE', _aws: { CloudWatchMetrics: [{ Dimensions: [['strategy'], []] }] } });
    expect(lines.flatMap((line) => line.InstanceFailed)).toHaveLength(150);
  });

  it('never makes a value that is no strategy a dimension, and writes nothing for an invocation that recorded nothing', async () => {
    await task(() => functionMetrics().count('UpgradeFailed', 'tenant-acme' as Strategy))({}, context);
    expect(emf().map((line) => [line.strategy, line._aws.CloudWatchMetrics[0].Dimensions])).toEqual([[undefined, [[]]]]);
    const before = stream.text().length;
    await task(() => {})({}, context);
    expect(stream.text().slice(before)).toBe('');
  });
});
