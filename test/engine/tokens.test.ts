// Callback tasks (".waitForTaskToken" in "Discover service integration
// patterns") and the SendTask* API errors of the SFN API reference:
// TaskDoesNotExist, TaskTimedOut, InvalidToken, InvalidOutput.
import { describe, expect, it } from 'vitest';
import { createEngine, ManualClock, SfnApiError, type SfnEngine } from '../../local/engine/index.js';
import { eventually, fastEngine, machine } from './helpers.js';

function callbackState(extra: Record<string, unknown> = {}): unknown {
  return {
    StartAt: 'Wait for callback',
    States: {
      'Wait for callback': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token', 'input.$': '$' } },
        End: true,
        ...extra,
      },
    },
  };
}

async function startCallback(
  engine: SfnEngine,
  tokens: string[],
  extra: Record<string, unknown> = {},
  input: unknown = { job: 1 },
): Promise<{ executionArn: string; token: string }> {
  const arn = await machine(engine, callbackState(extra));
  const before = tokens.length;
  const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: JSON.stringify(input) });
  const token = await eventually(() => tokens[before]);
  return { executionArn, token };
}

function recordingEngineOptions(tokens: string[]): { invokeLambda: (fn: string, p: unknown) => Promise<unknown> } {
  return {
    invokeLambda: async (_fn, payload) => {
      tokens.push((payload as { token: string }).token);
      return { accepted: true };
    },
  };
}

async function apiError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SfnApiError) return err.code;
    throw err;
  }
  throw new Error('expected an API error');
}

describe('task tokens', () => {
  it('SendTaskSuccess completes the task with the output; the Lambda return value is ignored', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine(recordingEngineOptions(tokens));
    const { executionArn, token } = await startCallback(engine, tokens);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await engine.sendTaskSuccess({ taskToken: token, output: '{"approved":true}' });
    const done = await engine.waitForExecution(executionArn);
    expect(JSON.parse(done.output ?? '')).toEqual({ approved: true });
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('tokens are unique per task', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine(recordingEngineOptions(tokens));
    const a = await startCallback(engine, tokens);
    const b = await startCallback(engine, tokens);
    expect(a.token).not.toBe(b.token);
  });

  it('SendTaskFailure fails the task with the given error and cause (catchable)', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine(recordingEngineOptions(tokens));
    const { executionArn, token } = await startCallback(engine, tokens);
    await engine.sendTaskFailure({ taskToken: token, error: 'Rejected', cause: 'by reviewer' });
    const done = await engine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'by reviewer' });
  });

  it('a task that fails its own token before returning fails the state (no unhandled rejection)', async () => {
    // The callback pattern allows the token to be answered at any time after it is
    // issued, including by the very Lambda that received it, before it returns.
    let engine!: SfnEngine;
    engine = await fastEngine({
      invokeLambda: async (_fn, payload) => {
        await engine.sendTaskFailure({ taskToken: (payload as { token: string }).token, error: 'Closed', cause: 'early' });
        return { accepted: false };
      },
    });
    const arn = await machine(engine, callbackState());
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: '{}' });
    const done = await engine.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Closed', cause: 'early' });
  });

  it('a reused token answers TaskDoesNotExist', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine(recordingEngineOptions(tokens));
    const { token, executionArn } = await startCallback(engine, tokens);
    await engine.sendTaskSuccess({ taskToken: token, output: '{}' });
    await engine.waitForExecution(executionArn);
    expect(await apiError(engine.sendTaskSuccess({ taskToken: token, output: '{}' }))).toBe('TaskDoesNotExist');
  });

  it('an unknown well-formed token answers TaskDoesNotExist, a malformed one InvalidToken', async () => {
    const engine = await fastEngine();
    expect(await apiError(engine.sendTaskSuccess({ taskToken: `AQ${'a'.repeat(128)}`, output: '{}' }))).toBe('TaskDoesNotExist');
    expect(await apiError(engine.sendTaskHeartbeat({ taskToken: 'not a token' }))).toBe('InvalidToken');
  });

  it('output that is not JSON answers InvalidOutput and leaves the task waiting', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine(recordingEngineOptions(tokens));
    const { token, executionArn } = await startCallback(engine, tokens);
    expect(await apiError(engine.sendTaskSuccess({ taskToken: token, output: '{nope' }))).toBe('InvalidOutput');
    await engine.sendTaskSuccess({ taskToken: token, output: '1' });
    expect((await engine.waitForExecution(executionArn)).output).toBe('1');
  });

  it('a token of a timed-out task answers TaskTimedOut', async () => {
    const clock = new ManualClock();
    const tokens: string[] = [];
    const engine = await createEngine({ clock, ...recordingEngineOptions(tokens) });
    const { token, executionArn } = await startCallback(engine, tokens, { TimeoutSeconds: 60 });
    await clock.advance(60_000);
    expect((await engine.waitForExecution(executionArn)).error).toBe('States.Timeout');
    expect(await apiError(engine.sendTaskSuccess({ taskToken: token, output: '{}' }))).toBe('TaskTimedOut');
  });

  it('heartbeats keep a task alive; missing one fails it with States.HeartbeatTimeout, caught by States.Timeout', async () => {
    const clock = new ManualClock();
    const tokens: string[] = [];
    const engine = await createEngine({ clock, ...recordingEngineOptions(tokens) });
    const arn = await machine(engine, {
      StartAt: 'Cb',
      States: {
        Cb: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
          HeartbeatSeconds: 10,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
          End: true,
        },
        TimedOut: { Type: 'Pass', End: true },
      },
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn });
    const token = await eventually(() => tokens[0]);
    await clock.advance(8_000);
    await engine.sendTaskHeartbeat({ taskToken: token });
    await clock.advance(8_000);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await clock.advance(2_000);
    const done = await engine.waitForExecution(executionArn);
    expect(JSON.parse(done.output ?? '')).toEqual({ Error: 'States.HeartbeatTimeout', Cause: 'No heartbeat for 10 seconds' });
  });

  it('States.HeartbeatTimeout can be caught by its own name (HeartbeatSecondsPath)', async () => {
    const clock = new ManualClock();
    const tokens: string[] = [];
    const engine = await createEngine({ clock, ...recordingEngineOptions(tokens) });
    const arn = await machine(engine, {
      StartAt: 'Cb',
      States: {
        Cb: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
          HeartbeatSecondsPath: '$.hb',
          Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.err', Next: 'H' }],
          End: true,
        },
        H: { Type: 'Pass', End: true },
      },
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: '{"hb":3}' });
    await eventually(() => tokens[0]);
    await clock.advance(3_000);
    const done = await engine.waitForExecution(executionArn);
    expect(JSON.parse(done.output ?? '')).toMatchObject({ hb: 3, err: { Error: 'States.HeartbeatTimeout' } });
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types).toContain('TaskTimedOut');
  });

  it('StopExecution aborts a waiting task; its token then answers TaskTimedOut', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine(recordingEngineOptions(tokens));
    const { token, executionArn } = await startCallback(engine, tokens);
    await engine.stopExecution({ executionArn, error: 'Manual', cause: 'operator' });
    const done = await engine.describeExecution({ executionArn });
    expect(done).toMatchObject({ status: 'ABORTED', error: 'Manual', cause: 'operator' });
    expect(await apiError(engine.sendTaskSuccess({ taskToken: token, output: '{}' }))).toBe('TaskTimedOut');
  });
});

describe('nested executions (states:startExecution)', () => {
  it('.sync:2 waits for the child and returns the DescribeExecution shape with Output parsed', async () => {
    const engine = await fastEngine();
    const child = await machine(engine, {
      StartAt: 'P',
      States: { P: { Type: 'Pass', Parameters: { 'doubled.$': 'States.MathAdd($.n, $.n)' }, End: true } },
    });
    const parent = await machine(engine, {
      StartAt: 'Run',
      States: {
        Run: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution.sync:2',
          Parameters: { StateMachineArn: child, Input: { 'n.$': '$.n' } },
          End: true,
        },
      },
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: parent, input: '{"n":21}' });
    const done = await engine.waitForExecution(executionArn);
    const out = JSON.parse(done.output ?? '') as Record<string, unknown>;
    expect(out.Output).toEqual({ doubled: 42 });
    expect(out.Status).toBe('SUCCEEDED');
    expect(String(out.ExecutionArn)).toContain(':execution:');
  });

  it('.waitForTaskToken on a child completes when the child sends the token back', async () => {
    const engine = await fastEngine();
    const child = await machine(engine, { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const parent = await machine(engine, {
      StartAt: 'Run',
      States: {
        Run: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution.waitForTaskToken',
          Parameters: { StateMachineArn: child, Input: { 'token.$': '$$.Task.Token' } },
          End: true,
        },
      },
    });
    const childExecutions: string[] = [];
    void poll();
    const { executionArn } = await engine.startExecution({ stateMachineArn: parent });
    const childArn = await eventually(() => childExecutions[0]);
    const childInput = JSON.parse((await engine.describeExecution({ executionArn: childArn })).input) as { token: string };
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await engine.sendTaskSuccess({ taskToken: childInput.token, output: '{"fromChild":true}' });
    const done = await engine.waitForExecution(executionArn);
    expect(JSON.parse(done.output ?? '')).toEqual({ fromChild: true });

    async function poll(): Promise<void> {
      const { executions } = await engine.listExecutions({ stateMachineArn: child });
      if (executions[0]) childExecutions.push(executions[0].executionArn);
      else setImmediate(() => void poll());
    }
  });
});
