// Workflow variables in JSONPath states: "Passing data between states with
// variables" (Step Functions developer guide, workflow-variables): Assign on
// Pass, Task, Map, Parallel, Choice (and its rules) and Wait, and on a Catch;
// `$name` references; values assigned in a state are seen from the next state
// on; Map iterations and Parallel branches read outer variables and their own
// assignments are not seen outside.
import { describe, expect, it } from 'vitest';
import { SfnApiError } from '../../local/engine/index.js';
import { fastEngine, runToEnd } from './helpers.js';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:f';

describe('workflow variables', () => {
  it('Assign stores values that later states read with $name, $name.path and in intrinsic arguments', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { greeting: 'hello', 'user.$': '$.user', limit: 3 }, Next: 'Use' },
          Use: {
            Type: 'Pass',
            Parameters: {
              'g.$': '$greeting',
              'name.$': '$user.name',
              'text.$': "States.Format('{} {} ({})', $greeting, $user.name, $limit)",
            },
            End: true,
          },
        },
      },
      { user: { name: 'Ada' } },
    );
    expect(r.output).toEqual({ g: 'hello', name: 'Ada', text: 'hello Ada (3)' });
  });

  it('a state reads the values from its entry; its own assignments are seen from the next state', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, {
      StartAt: 'One',
      States: {
        One: { Type: 'Pass', Assign: { x: 1 }, Next: 'Two' },
        Two: { Type: 'Pass', Parameters: { 'seen.$': '$x' }, Assign: { 'x.$': 'States.MathAdd($x, 1)', 'was.$': '$x' }, Next: 'Three' },
        Three: { Type: 'Pass', Parameters: { 'x.$': '$x', 'was.$': '$was', 'prev.$': '$.seen' }, End: true },
      },
    });
    expect(r.output).toEqual({ x: 2, was: 1, prev: 1 });
  });

  it('in a Task, Assign reads the result after ResultSelector, not the state input', async () => {
    const engine = await fastEngine({ invokeLambda: async () => ({ id: 'r-1', noise: true }) });
    const r = await runToEnd(
      engine,
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: FN, ResultSelector: { 'rid.$': '$.id' }, Assign: { 'got.$': '$.rid' }, ResultPath: null, Next: 'P' },
          P: { Type: 'Pass', Parameters: { 'got.$': '$got', 'in.$': '$.in' }, End: true },
        },
      },
      { in: 'input' },
    );
    expect(r.output).toEqual({ got: 'r-1', in: 'input' });
  });

  it('a Map iteration reads outer variables; what it assigns is not visible after the Map', async () => {
    const engine = await fastEngine();
    const def = (after: Record<string, unknown>): unknown => ({
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { factor: 10 }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            StartAt: 'Inner',
            States: {
              Inner: { Type: 'Pass', Assign: { inner: 'x' }, Next: 'Read' },
              Read: { Type: 'Pass', Parameters: { 'v.$': 'States.MathAdd($factor, $.n)', 'inner.$': '$inner' }, End: true },
            },
          },
          Next: 'After',
        },
        After: { Type: 'Pass', Parameters: after, End: true },
      },
    });
    const ok = await runToEnd(engine, def({ 'r.$': '$', 'factor.$': '$factor' }), { items: [{ n: 1 }, { n: 2 }] });
    expect(ok.output).toEqual({
      r: [
        { v: 11, inner: 'x' },
        { v: 12, inner: 'x' },
      ],
      factor: 10,
    });
    const leaked = await runToEnd(engine, def({ 'inner.$': '$inner' }), { items: [{ n: 1 }] });
    expect(leaked.description.error).toBe('States.Runtime');
    expect(leaked.description.cause).toContain("'$inner'");
  });

  it('a Distributed Map iteration cannot read outer variables (its iterations are child workflows)', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { outer: 1 }, Next: 'M' },
          M: {
            Type: 'Map',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'Read',
              States: { Read: { Type: 'Pass', Parameters: { 'o.$': '$outer' }, End: true } },
            },
            End: true,
          },
        },
      },
      [1],
    );
    expect(r.description.error).toBe('States.Runtime');
    expect(r.description.cause).toContain("'$outer'");
  });

  it('a Parallel branch reads outer variables; the Parallel state assigns from its results', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, {
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { base: 'b' }, Next: 'Par' },
        Par: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { mine: 1 }, Parameters: { 'x.$': '$base' }, End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Pass', Result: 'two', End: true } } },
          ],
          Assign: { 'first.$': '$[0].x', 'second.$': '$[1]' },
          Next: 'After',
        },
        After: { Type: 'Pass', Parameters: { 'first.$': '$first', 'second.$': '$second' }, End: true },
      },
    });
    expect(r.output).toEqual({ first: 'b', second: 'two' });
  });

  it('Choice compares a variable and a matched rule assigns; Wait assigns from its input', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { count: 5 }, Next: 'C' },
          C: {
            Type: 'Choice',
            Assign: { checked: true },
            Choices: [{ Variable: '$count', NumericGreaterThan: 3, Assign: { verdict: 'big' }, Next: 'W' }],
            Default: 'Fail',
          },
          W: { Type: 'Wait', Seconds: 1, Assign: { 'waited.$': '$.tag' }, Next: 'Out' },
          Out: { Type: 'Pass', Parameters: { 'v.$': '$verdict', 'c.$': '$checked', 'w.$': '$waited' }, End: true },
          Fail: { Type: 'Fail', Error: 'Small' },
        },
      },
      { tag: 't' },
    );
    expect(r.output).toEqual({ v: 'big', c: true, w: 't' });
  });

  it('a Catch assigns from the error output; the failed state assigns nothing', async () => {
    const engine = await fastEngine({
      invokeLambda: async () => {
        throw Object.assign(new Error('boom'), { name: 'Custom' });
      },
    });
    const r = await runToEnd(engine, {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: FN,
          Assign: { never: 1 },
          Catch: [{ ErrorEquals: ['States.ALL'], Assign: { 'err.$': '$.Error' }, Next: 'After' }],
          End: true,
        },
        After: { Type: 'Pass', Parameters: { 'err.$': '$err', 'defined.$': 'States.ArrayLength(States.Array($err))' }, Next: 'Never' },
        Never: { Type: 'Pass', Parameters: { 'n.$': '$never' }, End: true },
      },
    });
    expect(r.description.error).toBe('States.Runtime');
    const { events } = await engine.getExecutionHistory({ executionArn: r.executionArn });
    const after = events.find((e) => e.type === 'PassStateExited' && e.stateExitedEventDetails?.name === 'After');
    expect(JSON.parse(String(after?.stateExitedEventDetails?.output))).toEqual({ err: 'Custom', defined: 1 });
  });

  it('history records assignedVariables on the StateExited event, values as JSON text', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, { StartAt: 'S', States: { S: { Type: 'Pass', Assign: { a: 1, b: { c: 'd' } }, End: true } } });
    const { events } = await engine.getExecutionHistory({ executionArn: r.executionArn });
    const exited = events.find((e) => e.type === 'PassStateExited') as unknown as { stateExitedEventDetails: Record<string, unknown> };
    expect(exited.stateExitedEventDetails.assignedVariables).toEqual({ a: '1', b: '{"c":"d"}' });
  });

  it('an invalid variable name or the reserved $states is refused at CreateStateMachine', async () => {
    const engine = await fastEngine();
    for (const assign of [{ '1bad': 1 }, { states: 1 }, { 'ok.$': '$states.input' }]) {
      await expect(
        engine.createStateMachine({
          name: 'bad-assign',
          definition: JSON.stringify({ StartAt: 'S', States: { S: { Type: 'Pass', Assign: assign, End: true } } }),
        }),
      ).rejects.toBeInstanceOf(SfnApiError);
    }
  });
});
