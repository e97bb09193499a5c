// State types. AWS references: "Choice workflow state", "Wait workflow
// state", "Map workflow state", "Parallel workflow state", "Fail workflow
// state", "Succeed workflow state" (Step Functions developer guide).
import { describe, expect, it } from 'vitest';
import { createEngine, ManualClock } from '../../local/engine/index.js';
import { fastEngine, machine, runToEnd, single } from './helpers.js';

function choiceMachine(rule: Record<string, unknown>): unknown {
  return {
    StartAt: 'C',
    States: {
      C: { Type: 'Choice', Choices: [{ ...rule, Next: 'Yes' }], Default: 'No' },
      Yes: { Type: 'Pass', Result: 'yes', End: true },
      No: { Type: 'Pass', Result: 'no', End: true },
    },
  };
}

describe('Choice', () => {
  const cases: [string, Record<string, unknown>, unknown, 'yes' | 'no'][] = [
    ['StringEquals', { Variable: '$.s', StringEquals: 'abc' }, { s: 'abc' }, 'yes'],
    ['StringLessThan', { Variable: '$.s', StringLessThan: 'b' }, { s: 'a' }, 'yes'],
    ['StringGreaterThan', { Variable: '$.s', StringGreaterThan: 'b' }, { s: 'a' }, 'no'],
    ['StringLessThanEquals', { Variable: '$.s', StringLessThanEquals: 'a' }, { s: 'a' }, 'yes'],
    ['StringGreaterThanEquals', { Variable: '$.s', StringGreaterThanEquals: 'b' }, { s: 'c' }, 'yes'],
    ['StringEqualsPath', { Variable: '$.s', StringEqualsPath: '$.t' }, { s: 'x', t: 'x' }, 'yes'],
    ['StringLessThanPath', { Variable: '$.s', StringLessThanPath: '$.t' }, { s: 'x', t: 'y' }, 'yes'],
    ['StringMatches with * wildcard', { Variable: '$.s', StringMatches: 'log-*.txt' }, { s: 'log-2024.txt' }, 'yes'],
    ['StringMatches with escaped \\*', { Variable: '$.s', StringMatches: 'a\\*b' }, { s: 'axxb' }, 'no'],
    ['NumericEquals', { Variable: '$.n', NumericEquals: 3 }, { n: 3 }, 'yes'],
    ['NumericLessThan', { Variable: '$.n', NumericLessThan: 3 }, { n: 2.5 }, 'yes'],
    ['NumericGreaterThan', { Variable: '$.n', NumericGreaterThan: 3 }, { n: 3 }, 'no'],
    ['NumericLessThanEquals', { Variable: '$.n', NumericLessThanEquals: 3 }, { n: 3 }, 'yes'],
    ['NumericGreaterThanEquals', { Variable: '$.n', NumericGreaterThanEquals: 3 }, { n: 4 }, 'yes'],
    ['NumericEqualsPath', { Variable: '$.n', NumericEqualsPath: '$.m' }, { n: 4, m: 4 }, 'yes'],
    ['NumericGreaterThanPath', { Variable: '$.n', NumericGreaterThanPath: '$.m' }, { n: 5, m: 4 }, 'yes'],
    ['NumericEquals on a string is false, not an error', { Variable: '$.n', NumericEquals: 3 }, { n: '3' }, 'no'],
    ['BooleanEquals', { Variable: '$.b', BooleanEquals: false }, { b: false }, 'yes'],
    ['BooleanEqualsPath', { Variable: '$.b', BooleanEqualsPath: '$.c' }, { b: true, c: true }, 'yes'],
    [
      'TimestampEquals across offsets',
      { Variable: '$.t', TimestampEquals: '2024-01-01T00:00:00Z' },
      { t: '2024-01-01T01:00:00+01:00' },
      'yes',
    ],
    ['TimestampLessThan', { Variable: '$.t', TimestampLessThan: '2024-01-02T00:00:00Z' }, { t: '2024-01-01T00:00:00Z' }, 'yes'],
    [
      'TimestampGreaterThanEquals',
      { Variable: '$.t', TimestampGreaterThanEquals: '2024-01-02T00:00:00Z' },
      { t: '2024-01-01T00:00:00Z' },
      'no',
    ],
    [
      'TimestampLessThanEqualsPath',
      { Variable: '$.t', TimestampLessThanEqualsPath: '$.u' },
      { t: '2024-01-01T00:00:00Z', u: '2024-01-01T00:00:00Z' },
      'yes',
    ],
    ['IsNull', { Variable: '$.x', IsNull: true }, { x: null }, 'yes'],
    ['IsPresent false on a missing field', { Variable: '$.x', IsPresent: false }, {}, 'yes'],
    ['IsNumeric', { Variable: '$.x', IsNumeric: true }, { x: 1.5 }, 'yes'],
    ['IsString', { Variable: '$.x', IsString: true }, { x: 1 }, 'no'],
    ['IsBoolean', { Variable: '$.x', IsBoolean: true }, { x: true }, 'yes'],
    ['IsTimestamp', { Variable: '$.x', IsTimestamp: true }, { x: '2024-03-01T10:00:00.123Z' }, 'yes'],
    ['IsTimestamp on a plain date', { Variable: '$.x', IsTimestamp: true }, { x: '2024-03-01' }, 'no'],
    [
      'And',
      {
        And: [
          { Variable: '$.a', NumericEquals: 1 },
          { Variable: '$.b', StringEquals: 'x' },
        ],
      },
      { a: 1, b: 'x' },
      'yes',
    ],
    [
      'Or',
      {
        Or: [
          { Variable: '$.a', NumericEquals: 2 },
          { Variable: '$.b', StringEquals: 'x' },
        ],
      },
      { a: 1, b: 'x' },
      'yes',
    ],
    ['Not', { Not: { Variable: '$.a', NumericEquals: 1 } }, { a: 1 }, 'no'],
  ];

  // One machine holds every case (a Dispatch Choice picks case k), because
  // validating a definition costs ~100 ms and the cases are many.
  const shared = (async () => {
    const engine = await fastEngine();
    const states: Record<string, unknown> = {
      Dispatch: {
        Type: 'Choice',
        Choices: cases.map((_c, k) => ({ Variable: '$.k', NumericEquals: k, Next: `Case${k}` })),
      },
      Yes: { Type: 'Pass', Result: 'yes', End: true },
      No: { Type: 'Pass', Result: 'no', End: true },
    };
    cases.forEach(([, rule], k) => {
      states[`Case${k}`] = { Type: 'Choice', InputPath: '$.input', Choices: [{ ...rule, Next: 'Yes' }], Default: 'No' };
    });
    return { engine, arn: await machine(engine, { StartAt: 'Dispatch', States: states }) };
  })();

  it.each(cases.map((c, k) => [...c, k] as const))('%s', async (_name, _rule, input, expected, k) => {
    const { engine, arn } = await shared;
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: JSON.stringify({ k, input }) });
    const done = await engine.waitForExecution(executionArn);
    expect(done.output).toBe(JSON.stringify(expected));
  });

  it('the first matching rule wins and Default applies when none matches', async () => {
    const engine = await fastEngine();
    const def = {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.n', NumericGreaterThan: 1, Next: 'A' },
            { Variable: '$.n', NumericGreaterThan: 0, Next: 'B' },
          ],
          Default: 'D',
        },
        A: { Type: 'Pass', Result: 'A', End: true },
        B: { Type: 'Pass', Result: 'B', End: true },
        D: { Type: 'Pass', Result: 'D', End: true },
      },
    };
    expect((await runToEnd(engine, def, { n: 5 })).output).toBe('A');
    expect((await runToEnd(engine, def, { n: 0 })).output).toBe('D');
  });

  it('with no match and no Default the execution fails with States.NoChoiceMatched', async () => {
    const engine = await fastEngine();
    const def = {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'A' }] },
        A: { Type: 'Succeed' },
      },
    };
    const r = await runToEnd(engine, def, { n: 2 });
    expect(r.description.error).toBe('States.NoChoiceMatched');
    expect(r.types).toContain('ChoiceStateEntered');
  });

  it('a comparison on a missing Variable is States.Runtime', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, choiceMachine({ Variable: '$.missing', StringEquals: 'x' }), {});
    expect(r.description.error).toBe('States.Runtime');
  });
});

describe('Wait', () => {
  it('Seconds waits on the clock (virtual clock, nothing happens before the time)', async () => {
    const clock = new ManualClock();
    const engine = await createEngine({ clock });
    const arn = await machine(engine, single({ Type: 'Wait', Seconds: 30 }));
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: '{"a":1}' });
    await clock.advance(29_000);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await clock.advance(1_000);
    const done = await engine.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '')).toEqual({ a: 1 });
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types).toEqual(['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited', 'ExecutionSucceeded']);
  });

  it('SecondsPath, Timestamp and TimestampPath', async () => {
    const clock = new ManualClock(Date.parse('2024-01-01T00:00:00Z'));
    const engine = await createEngine({ clock });
    const def = {
      StartAt: 'A',
      States: {
        A: { Type: 'Wait', SecondsPath: '$.s', Next: 'B' },
        B: { Type: 'Wait', Timestamp: '2024-01-01T00:01:00Z', Next: 'C' },
        C: { Type: 'Wait', TimestampPath: '$.t', End: true },
      },
    };
    const arn = await machine(engine, def);
    const { executionArn } = await engine.startExecution({
      stateMachineArn: arn,
      input: JSON.stringify({ s: 10, t: '2024-01-01T00:02:00Z' }),
    });
    await clock.advance(10_000);
    expect((await engine.getExecutionHistory({ executionArn })).events.map((e) => e.type)).toContain('WaitStateExited');
    await clock.advance(50_000);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await clock.advance(60_000);
    expect((await engine.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
  });

  it('timeScale compresses waits (a one-hour wait runs under the fast engine)', async () => {
    const engine = await createEngine({ timeScale: 3_600_000 });
    const r = await runToEnd(engine, single({ Type: 'Wait', Seconds: 3600 }));
    expect(r.description.status).toBe('SUCCEEDED');
  });
});

const passProcessor = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

describe('Map', () => {
  it('keeps output order equal to input order even when iterations finish out of order', async () => {
    const engine = await fastEngine({
      invokeLambda: async (_fn, p) => {
        const n = p as number;
        await new Promise((r) => setTimeout(r, (5 - n) * 3));
        return n * 10;
      },
    });
    const r = await runToEnd(
      engine,
      single({
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'T',
          States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', End: true } },
        },
      }),
      [1, 2, 3, 4],
    );
    expect(r.output).toEqual([10, 20, 30, 40]);
  });

  it('supports the legacy Iterator and Parameters fields', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      single({ Type: 'Map', ItemsPath: '$.xs', Parameters: { 'v.$': '$$.Map.Item.Value' }, Iterator: passProcessor }),
      { xs: [1, 2] },
    );
    expect(r.output).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it.each([
    [3, 3],
    [1, 1],
    [0, 10],
  ])('MaxConcurrency %i bounds the iterations in flight to %i (measured)', async (limit, expected) => {
    let inFlight = 0;
    let max = 0;
    const engine = await fastEngine({
      invokeLambda: async () => {
        inFlight += 1;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight -= 1;
        return null;
      },
    });
    const r = await runToEnd(
      engine,
      single({
        Type: 'Map',
        MaxConcurrency: limit,
        ItemProcessor: {
          StartAt: 'T',
          States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', End: true } },
        },
      }),
      Array.from({ length: 10 }, (_, i) => i),
    );
    expect(r.description.status).toBe('SUCCEEDED');
    expect(max).toBe(expected);
  });

  it('records MapStateStarted with the length and one MapIterationStarted/Succeeded per item', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Map', ItemProcessor: passProcessor }), ['a', 'b', 'c']);
    expect(r.types.filter((t) => t === 'MapIterationStarted')).toHaveLength(3);
    expect(r.types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(3);
    const { events } = await engine.getExecutionHistory({ executionArn: r.executionArn });
    expect(events.find((e) => e.type === 'MapStateStarted')?.mapStateStartedEventDetails).toEqual({ length: 3 });
  });

  it('a failing iteration fails the Map, which its Catch handles; ResultPath places the error', async () => {
    const engine = await fastEngine();
    const def = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'C',
            States: {
              C: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 2, Next: 'Boom' }], Default: 'Ok' },
              Boom: { Type: 'Fail', Error: 'Item.Bad', Cause: 'two' },
              Ok: { Type: 'Pass', End: true },
            },
          },
          Catch: [{ ErrorEquals: ['Item.Bad'], ResultPath: '$.err', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    };
    const r = await runToEnd(engine, def, [1, 2, 3]);
    expect(r.description.status).toBe('FAILED');
    // A Catch ResultPath on an array input is a Runtime error in AWS too; use an object input instead.
    const def2 = { ...def, States: { ...def.States, M: { ...def.States.M, ItemsPath: '$.xs' } } };
    const r2 = await runToEnd(engine, def2, { xs: [1, 2, 3] });
    expect(r2.description.status).toBe('SUCCEEDED');
    expect(r2.output).toEqual({ xs: [1, 2, 3], err: { Error: 'Item.Bad', Cause: 'two' } });
    expect(r2.types).toContain('MapIterationFailed');
    expect(r2.types).toContain('MapStateFailed');
  });

  it('ItemsPath that is not an array is States.Runtime', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Map', ItemsPath: '$.x', ItemProcessor: passProcessor }), { x: 5 });
    expect(r.description.error).toBe('States.Runtime');
  });

  it('an empty array gives an empty output', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Map', ItemProcessor: passProcessor }), []);
    expect(r.output).toEqual([]);
  });
});

describe('Parallel', () => {
  it('outputs an array in branch order, each branch getting the same input', async () => {
    const engine = await fastEngine({
      invokeLambda: async (fn) => {
        await new Promise((r) => setTimeout(r, fn === 'slow' ? 10 : 0));
        return fn;
      },
    });
    const branch = (fn: string): unknown => ({
      StartAt: `T-${fn}`,
      States: {
        [`T-${fn}`]: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn, 'Payload.$': '$' },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    });
    const r = await runToEnd(engine, single({ Type: 'Parallel', Branches: [branch('slow'), branch('fast')] }), { x: 1 });
    expect(r.output).toEqual(['slow', 'fast']);
    expect(r.types).toContain('ParallelStateStarted');
    expect(r.types).toContain('ParallelStateSucceeded');
  });

  it('one failing branch fails the state with its error and stops the other branches', async () => {
    const clock = new ManualClock();
    const engine = await createEngine({ clock });
    const def = single({
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 100, Next: 'After' }, After: { Type: 'Pass', End: true } } },
        { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Branch.Broke', Cause: 'b2' } } },
      ],
    });
    const arn = await machine(engine, def);
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn });
    const done = await engine.waitForExecution(executionArn);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('Branch.Broke');
    expect(done.cause).toBe('b2');
    await clock.advance(200_000);
    const types = (await engine.getExecutionHistory({ executionArn, maxResults: 1000 })).events.map((e) => e.type);
    // The waiting branch never went on to its next state.
    expect(types).not.toContain('WaitStateExited');
    expect(types).toContain('ParallelStateFailed');
  });
});

describe('Succeed and Fail', () => {
  it('Succeed ends the execution with its (OutputPath-filtered) input', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, { StartAt: 'S', States: { S: { Type: 'Succeed', OutputPath: '$.a' } } }, { a: { b: 1 } });
    expect(r.output).toEqual({ b: 1 });
    expect(r.types).toEqual(['ExecutionStarted', 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
  });

  it('Fail reports Error and Cause on the execution', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'My.Error', Cause: 'why' } } });
    expect(r.description).toMatchObject({ status: 'FAILED', error: 'My.Error', cause: 'why' });
    expect(r.types).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
  });

  it('Fail takes ErrorPath and CausePath from its input (paths or intrinsics)', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      { StartAt: 'F', States: { F: { Type: 'Fail', ErrorPath: '$.e', CausePath: "States.Format('code {}', $.c)" } } },
      { e: 'Dyn.Error', c: 42 },
    );
    expect(r.description).toMatchObject({ error: 'Dyn.Error', cause: 'code 42' });
  });
});
