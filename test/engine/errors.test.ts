// Retry, Catch, timeouts and the error names of "Error handling in Step
// Functions workflows" (Step Functions developer guide): States.ALL does not
// catch States.Runtime nor States.DataLimitExceeded; States.TaskFailed
// matches everything but States.Timeout; a heartbeat timeout also matches
// States.Timeout.
import { describe, expect, it } from 'vitest';
import { createEngine, ManualClock } from '../../local/engine/index.js';
import { errorMatches, retryDelaySeconds } from '../../local/engine/interpreter.js';
import { fastEngine, machine, runToEnd, single } from './helpers.js';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:f';

class ThrottleError extends Error {
  override name = 'ThrottleError';
}

describe('error matching', () => {
  it('States.ALL matches custom errors but neither States.Runtime nor States.DataLimitExceeded', () => {
    expect(errorMatches('Custom', ['States.ALL'])).toBe(true);
    expect(errorMatches('States.Runtime', ['States.ALL'])).toBe(false);
    expect(errorMatches('States.DataLimitExceeded', ['States.ALL'])).toBe(false);
    expect(errorMatches('States.DataLimitExceeded', ['States.DataLimitExceeded'])).toBe(true);
  });

  it('States.TaskFailed matches any error except the timeouts', () => {
    expect(errorMatches('TypeError', ['States.TaskFailed'])).toBe(true);
    expect(errorMatches('States.Timeout', ['States.TaskFailed'])).toBe(false);
    expect(errorMatches('States.HeartbeatTimeout', ['States.TaskFailed'])).toBe(false);
  });

  it('States.HeartbeatTimeout is matched by both States.HeartbeatTimeout and States.Timeout', () => {
    expect(errorMatches('States.HeartbeatTimeout', ['States.HeartbeatTimeout'])).toBe(true);
    expect(errorMatches('States.HeartbeatTimeout', ['States.Timeout'])).toBe(true);
    expect(errorMatches('States.Timeout', ['States.HeartbeatTimeout'])).toBe(false);
  });
});

describe('Lambda errors', () => {
  it('a thrown error surfaces as Error = name and Cause = {errorType, errorMessage, trace}', async () => {
    const engine = await fastEngine({
      invokeLambda: async () => {
        throw new TypeError('bad type');
      },
    });
    const r = await runToEnd(
      engine,
      single({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f' } }),
    );
    expect(r.description.error).toBe('TypeError');
    expect(JSON.parse(r.description.cause ?? '')).toEqual({ errorType: 'TypeError', errorMessage: 'bad type', trace: [] });
    expect(r.types).toContain('TaskFailed');
  });

  it('a plain Lambda ARN resource records LambdaFunction* events and returns the value directly', async () => {
    const engine = await fastEngine({ invokeLambda: async (_fn, p) => ({ got: p }) });
    const r = await runToEnd(engine, single({ Type: 'Task', Resource: FN }), { a: 1 });
    expect(r.output).toEqual({ got: { a: 1 } });
    expect(r.types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('lambda:invoke wraps the return value in the AWS response shape', async () => {
    const engine = await fastEngine({ invokeLambda: async () => 'hi' });
    const r = await runToEnd(
      engine,
      single({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f', Payload: {} } }),
    );
    expect(r.output).toMatchObject({ ExecutedVersion: '$LATEST', Payload: 'hi', StatusCode: 200 });
  });
});

describe('Retry', () => {
  it('waits IntervalSeconds x BackoffRate^n capped by MaxDelaySeconds between attempts (virtual clock)', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const engine = await createEngine({
      clock,
      invokeLambda: async () => {
        calls.push(clock.now());
        throw new ThrottleError('slow down');
      },
    });
    const arn = await machine(
      engine,
      single({
        Type: 'Task',
        Resource: FN,
        Retry: [{ ErrorEquals: ['ThrottleError'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 3, MaxDelaySeconds: 10 }],
      }),
    );
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn });
    await clock.advance(60_000);
    const done = await engine.waitForExecution(executionArn);
    expect(done.error).toBe('ThrottleError');
    const first = calls[0] ?? 0;
    expect(calls.map((t) => t - first)).toEqual([0, 2_000, 8_000, 18_000]);
  });

  it('defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2', () => {
    const r = { ErrorEquals: ['States.ALL'] };
    expect([0, 1, 2].map((n) => retryDelaySeconds(r, n))).toEqual([1, 2, 4]);
  });

  it('MaxAttempts 0 never retries', async () => {
    let calls = 0;
    const engine = await fastEngine({
      invokeLambda: async () => {
        calls += 1;
        throw new Error('x');
      },
    });
    await runToEnd(engine, single({ Type: 'Task', Resource: FN, Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 0 }] }));
    expect(calls).toBe(1);
  });

  it('the first matching retrier decides, and each retrier counts its own attempts', async () => {
    let calls = 0;
    const engine = await fastEngine({
      invokeLambda: async () => {
        calls += 1;
        throw new ThrottleError('t');
      },
    });
    await runToEnd(
      engine,
      single({
        Type: 'Task',
        Resource: FN,
        Retry: [
          { ErrorEquals: ['ThrottleError'], MaxAttempts: 1 },
          { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
        ],
      }),
    );
    // 1 call + 1 retry; the States.ALL retrier is not consulted once the first one is exhausted.
    expect(calls).toBe(2);
  });

  it('succeeds on a later attempt and exposes $$.State.RetryCount', async () => {
    let calls = 0;
    const engine = await fastEngine({
      invokeLambda: async (_fn, p) => {
        calls += 1;
        if (calls < 3) throw new Error('flaky');
        return p;
      },
    });
    const r = await runToEnd(
      engine,
      single({ Type: 'Task', Resource: FN, Parameters: { 'rc.$': '$$.State.RetryCount' }, Retry: [{ ErrorEquals: ['Error'] }] }),
    );
    expect(r.output).toEqual({ rc: 2 });
    expect(r.types.filter((t) => t === 'LambdaFunctionFailed')).toHaveLength(2);
  });

  it('JitterStrategy FULL keeps every delay within [0, computed delay]', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const engine = await createEngine({
      clock,
      invokeLambda: async () => {
        calls.push(clock.now());
        throw new Error('x');
      },
    });
    const arn = await machine(
      engine,
      single({
        Type: 'Task',
        Resource: FN,
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 4, MaxAttempts: 2, JitterStrategy: 'FULL' }],
      }),
    );
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn });
    await clock.advance(60_000);
    await engine.waitForExecution(executionArn);
    const [a = 0, b = 0, c = 0] = calls;
    expect(b - a).toBeLessThanOrEqual(4_000);
    expect(c - b).toBeLessThanOrEqual(8_000);
  });

  it('States.Runtime is never retried', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      single({ Type: 'Task', Resource: FN, Parameters: { 'x.$': '$.missing' }, Retry: [{ ErrorEquals: ['States.ALL'] }] }),
    );
    expect(r.description.error).toBe('States.Runtime');
    expect(r.types).not.toContain('LambdaFunctionScheduled');
  });
});

describe('Catch', () => {
  it('the first matching catcher wins; output is {Error, Cause} at its ResultPath', async () => {
    const engine = await fastEngine({
      invokeLambda: async () => {
        throw new ThrottleError('limit');
      },
    });
    const r = await runToEnd(
      engine,
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: FN,
            Catch: [
              { ErrorEquals: ['Other'], Next: 'Wrong' },
              { ErrorEquals: ['ThrottleError'], ResultPath: '$.error', Next: 'Right' },
              { ErrorEquals: ['States.ALL'], Next: 'Wrong' },
            ],
            End: true,
          },
          Right: { Type: 'Pass', End: true },
          Wrong: { Type: 'Fail' },
        },
      },
      { keep: 1 },
    );
    expect(r.output).toEqual({
      keep: 1,
      error: { Error: 'ThrottleError', Cause: JSON.stringify({ errorType: 'ThrottleError', errorMessage: 'limit', trace: [] }) },
    });
  });

  it('without ResultPath the catcher output replaces the input', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'C' } } }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }],
            End: true,
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      { x: 1 },
    );
    expect(r.output).toEqual({ Error: 'E', Cause: 'C' });
  });

  it('Retry runs out before Catch takes over', async () => {
    let calls = 0;
    const engine = await fastEngine({
      invokeLambda: async () => {
        calls += 1;
        throw new Error('nope');
      },
    });
    const r = await runToEnd(engine, {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: FN,
          Retry: [{ ErrorEquals: ['Error'], MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['Error'], Next: 'C' }],
          End: true,
        },
        C: { Type: 'Pass', End: true },
      },
    });
    expect(calls).toBe(3);
    expect(r.description.status).toBe('SUCCEEDED');
  });

  it('States.ALL does not catch States.Runtime: the execution fails', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: FN, Parameters: { 'x.$': '$.nope' }, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C' }], End: true },
        C: { Type: 'Pass', End: true },
      },
    });
    expect(r.description.status).toBe('FAILED');
    expect(r.description.error).toBe('States.Runtime');
  });
});

describe('timeouts', () => {
  it('TimeoutSeconds fails the task with States.Timeout (TaskTimedOut event), caught by States.Timeout', async () => {
    const clock = new ManualClock();
    const engine = await createEngine({ clock, invokeLambda: () => new Promise(() => undefined) });
    const arn = await machine(engine, {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'f' },
          TimeoutSeconds: 5,
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
            { ErrorEquals: ['States.Timeout'], Next: 'Right' },
          ],
          End: true,
        },
        Right: { Type: 'Pass', Result: 'timeout', End: true },
        Wrong: { Type: 'Pass', Result: 'taskfailed', End: true },
      },
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn });
    await clock.advance(4_999);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await clock.advance(1);
    const done = await engine.waitForExecution(executionArn);
    expect(done.output).toBe('"timeout"');
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types).toContain('TaskTimedOut');
  });

  it('TimeoutSecondsPath reads the timeout from the input', async () => {
    const clock = new ManualClock();
    const engine = await createEngine({ clock, invokeLambda: () => new Promise(() => undefined) });
    const arn = await machine(engine, single({ Type: 'Task', Resource: FN, TimeoutSecondsPath: '$.t' }));
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: '{"t":7}' });
    await clock.advance(6_000);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await clock.advance(1_000);
    expect((await engine.waitForExecution(executionArn)).error).toBe('States.Timeout');
  });

  it('the execution-level TimeoutSeconds ends the execution TIMED_OUT', async () => {
    const clock = new ManualClock();
    const engine = await createEngine({ clock });
    const arn = await machine(engine, { TimeoutSeconds: 10, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } });
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn });
    await clock.advance(10_000);
    const done = await engine.waitForExecution(executionArn);
    expect(done.status).toBe('TIMED_OUT');
    const { events } = await engine.getExecutionHistory({ executionArn, reverseOrder: true, maxResults: 1 });
    expect(events[0]?.type).toBe('ExecutionTimedOut');
  });
});

describe('payload limit', () => {
  it('a task result over 256 KiB is States.DataLimitExceeded, not caught by States.ALL', async () => {
    const engine = await fastEngine({ invokeLambda: async () => 'x'.repeat(300 * 1024) });
    const r = await runToEnd(engine, {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: FN, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C' }], End: true },
        C: { Type: 'Pass', End: true },
      },
    });
    expect(r.description.error).toBe('States.DataLimitExceeded');
  });

  it('States.DataLimitExceeded named explicitly in a Catcher is caught', async () => {
    const engine = await fastEngine({ invokeLambda: async () => 'x'.repeat(300 * 1024) });
    const r = await runToEnd(engine, {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: FN, Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], Next: 'C' }], End: true },
        C: { Type: 'Pass', Result: 'caught', End: true },
      },
    });
    expect(r.output).toBe('caught');
  });

  it('multi-byte characters count as UTF-8 bytes', async () => {
    // 100,000 three-byte characters = 300,000 bytes > 262,144, though only 100,000 UTF-16 units.
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'v.$': "States.Format('{}{}{}', $.a, $.a, $.a)" } }), {
      a: '€'.repeat(40_000),
    });
    expect(r.description.error).toBe('States.DataLimitExceeded');
  });
});
