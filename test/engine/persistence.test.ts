// Persistence: a new engine on the same persistDir resumes executions that
// were waiting on a Wait or a task token; a Task that was mid-call runs
// again, as Step Functions re-runs a task after a worker loss.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, ManualClock } from '../../local/engine/index.js';
import { eventually, machine, settle } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-engine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('resumes an execution waiting on a task token in a new engine', async () => {
    const tokens: string[] = [];
    const first = await createEngine({
      persistDir: dir,
      invokeLambda: async (_fn, p) => {
        tokens.push((p as { token: string }).token);
        return null;
      },
    });
    const arn = await machine(first, {
      StartAt: 'Before',
      States: {
        Before: { Type: 'Pass', Result: { step: 1 }, Next: 'Callback' },
        Callback: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
          ResultPath: '$.answer',
          Next: 'After',
        },
        After: { Type: 'Pass', End: true },
      },
    });
    const { executionArn } = await first.startExecution({ stateMachineArn: arn, name: 'resume-me' });
    const token = await eventually(() => tokens[0]);
    await first.close();
    expect((await readdir(join(dir, 'executions'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const second = await createEngine({ persistDir: dir });
    expect((await second.describeExecution({ executionArn })).status).toBe('RUNNING');
    await second.sendTaskSuccess({ taskToken: token, output: '{"ok":true}' });
    const done = await second.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '')).toEqual({ step: 1, answer: { ok: true } });
    const types = (await second.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types.filter((t) => t === 'TaskStateEntered')).toHaveLength(1);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    await second.close();
  });

  it('resumes a Wait where it was, without entering the state again', async () => {
    const clock = new ManualClock();
    const first = await createEngine({ persistDir: dir, clock });
    const arn = await machine(first, { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } });
    const { executionArn } = await first.startExecution({ stateMachineArn: arn });
    await clock.advance(20_000);
    await first.close();

    const clock2 = new ManualClock(clock.now());
    const second = await createEngine({ persistDir: dir, clock: clock2 });
    await clock2.advance(39_000);
    expect((await second.describeExecution({ executionArn })).status).toBe('RUNNING');
    await clock2.advance(1_000);
    expect((await second.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    const types = (await second.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types).toEqual(['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'ExecutionSucceeded']);
  });

  it('re-runs a Task that was mid-call when the engine went away', async () => {
    const first = await createEngine({ persistDir: dir, invokeLambda: () => new Promise(() => undefined) });
    const arn = await machine(first, {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', End: true } },
    });
    const { executionArn } = await first.startExecution({ stateMachineArn: arn, input: '{"n":1}' });
    await settle();
    await first.close();

    let calls = 0;
    const second = await createEngine({
      persistDir: dir,
      invokeLambda: async (_fn, p) => {
        calls += 1;
        return p;
      },
    });
    const done = await second.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(calls).toBe(1);
    const types = (await second.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types.filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(2);
  });

  it('resumes a Map with only its unfinished iterations, keeping output order', async () => {
    const tokens = new Map<number, string>();
    const first = await createEngine({
      persistDir: dir,
      invokeLambda: async (_fn, p) => {
        const { i, token } = p as { i: number; token: string };
        tokens.set(i, token);
        return null;
      },
    });
    const arn = await machine(first, {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemSelector: { 'i.$': '$$.Map.Item.Index' },
          ItemProcessor: {
            StartAt: 'Cb',
            States: {
              Cb: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                Parameters: { FunctionName: 'f', Payload: { 'i.$': '$.i', 'token.$': '$$.Task.Token' } },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    });
    const { executionArn } = await first.startExecution({ stateMachineArn: arn, input: '["a","b","c"]' });
    await eventually(() => (tokens.size === 3 ? true : undefined));
    await first.sendTaskSuccess({ taskToken: tokens.get(1) ?? '', output: '"B"' });
    await settle();
    await first.close();

    const second = await createEngine({ persistDir: dir });
    await second.sendTaskSuccess({ taskToken: tokens.get(2) ?? '', output: '"C"' });
    await second.sendTaskSuccess({ taskToken: tokens.get(0) ?? '', output: '"A"' });
    const done = await second.waitForExecution(executionArn);
    expect(JSON.parse(done.output ?? '')).toEqual(['A', 'B', 'C']);
  });

  it('keeps state machines and finished executions across engines', async () => {
    const first = await createEngine({ persistDir: dir });
    const arn = await machine(first, { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const { executionArn } = await first.startExecution({ stateMachineArn: arn, input: '{"x":1}' });
    await first.waitForExecution(executionArn);
    await first.close();
    const second = await createEngine({ persistDir: dir });
    expect((await second.describeStateMachine({ stateMachineArn: arn })).stateMachineArn).toBe(arn);
    expect(await second.describeExecution({ executionArn })).toMatchObject({ status: 'SUCCEEDED', output: '{"x":1}' });
  });

  it('keeps variables, activities and a waiting activity task across a restart; the task is offered to workers again', async () => {
    const first = await createEngine({ persistDir: dir, activityPollMilliseconds: 20 });
    const { activityArn } = await first.createActivity({ name: 'resumed-activity' });
    // A definition literal beyond 2^53 keeps its digits too.
    const definition = JSON.stringify({
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { big: 'BIG' }, Next: 'Work' },
        Work: { Type: 'Task', Resource: activityArn, ResultPath: '$.r', Next: 'Read' },
        Read: { Type: 'Pass', Parameters: { 'big.$': '$big', 'r.$': '$.r' }, End: true },
      },
    }).replace('"BIG"', '12345678901234567890');
    const { stateMachineArn: arn } = await first.createStateMachine({ name: 'activity-restart', definition });
    const { executionArn } = await first.startExecution({ stateMachineArn: arn, input: '{}' });
    await settle(50);
    await first.close();

    const second = await createEngine({ persistDir: dir, activityPollMilliseconds: 20 });
    expect((await second.describeActivity({ activityArn })).name).toBe('resumed-activity');
    let task: { taskToken?: string; input?: string } = {};
    for (let i = 0; i < 100 && task.taskToken === undefined; i += 1) task = await second.getActivityTask({ activityArn });
    expect(task.taskToken).toBeDefined();
    await second.sendTaskSuccess({ taskToken: task.taskToken as string, output: '"done"' });
    const done = await second.waitForExecution(executionArn);
    expect(done.output).toBe('{"big":12345678901234567890,"r":"done"}');
    await second.close();
  });
});
