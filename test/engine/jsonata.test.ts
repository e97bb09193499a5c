// The JSONata query language: "Transforming data with JSONata in Step
// Functions" (developer guide): `{% %}` expressions in Arguments, Output,
// Assign, Items, ItemSelector, Condition, Error/Cause and number fields;
// `$states.input`, `$states.result`, `$states.errorOutput`,
// `$states.context`; variables; `States.QueryEvaluationError`.
import { describe, expect, it } from 'vitest';
import { SfnApiError } from '../../local/engine/index.js';
import { fastEngine, runToEnd } from './helpers.js';

const FN = 'arn:aws:states:::lambda:invoke';

describe('JSONata states', () => {
  it('Pass: Output is evaluated on $states.input; Assign on the same bindings, seen from the next state', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: {
          A: {
            Type: 'Pass',
            Assign: { total: '{% $sum($states.input.items.price) %}' },
            Output: { count: '{% $count($states.input.items) %}' },
            Next: 'B',
          },
          B: { Type: 'Pass', Output: { count: '{% $states.input.count %}', total: '{% $total %}', label: 'fixed' }, End: true },
        },
      },
      { items: [{ price: 2 }, { price: 3.5 }] },
    );
    expect(r.output).toEqual({ count: 2, total: 5.5, label: 'fixed' });
  });

  it('Task: Arguments build the request; Output defaults to the result and may read $states.result', async () => {
    const engine = await fastEngine({ invokeLambda: async (_fn, payload) => ({ echoed: payload }) });
    const r = await runToEnd(
      engine,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: FN,
            Arguments: { FunctionName: 'f', Payload: { name: '{% $uppercase($states.input.name) %}' } },
            Output: '{% $states.result.Payload.echoed %}',
            End: true,
          },
        },
      },
      { name: 'ada' },
    );
    expect(r.output).toEqual({ name: 'ADA' });
  });

  it('Choice: the first Condition that is true picks Next; a non-boolean Condition is States.QueryEvaluationError', async () => {
    const engine = await fastEngine();
    const def = (condition: string): unknown => ({
      QueryLanguage: 'JSONata',
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Condition: condition, Next: 'Big', Output: { size: 'big' } }], Default: 'Small' },
        Big: { Type: 'Succeed' },
        Small: { Type: 'Pass', Output: { size: 'small' }, End: true },
      },
    });
    expect((await runToEnd(engine, def('{% $states.input.n > 10 %}'), { n: 11 })).output).toEqual({ size: 'big' });
    expect((await runToEnd(engine, def('{% $states.input.n > 10 %}'), { n: 1 })).output).toEqual({ size: 'small' });
    expect((await runToEnd(engine, def('{% $states.input.n %}'), { n: 1 })).description.error).toBe('States.QueryEvaluationError');
  });

  it('Map: Items and ItemSelector (with $states.context.Map.Item), outer variables read inside', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { factor: 3 }, Next: 'M' },
          M: {
            Type: 'Map',
            Items: '{% $states.input.values %}',
            ItemSelector: { v: '{% $states.context.Map.Item.Value %}', i: '{% $states.context.Map.Item.Index %}' },
            ItemProcessor: {
              StartAt: 'Times',
              States: { Times: { Type: 'Pass', Output: '{% $states.input.v * $factor + $states.input.i %}', End: true } },
            },
            End: true,
          },
        },
      },
      { values: [1, 2, 3] },
    );
    expect(r.output).toEqual([3, 7, 11]);
  });

  it('Parallel: Arguments give each branch its input; Output reads the branch results', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Arguments: { x: '{% $states.input.x %}' },
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Pass', Output: '{% $states.input.x + 1 %}', End: true } } },
              { StartAt: 'B', States: { B: { Type: 'Pass', Output: '{% $states.input.x * 2 %}', End: true } } },
            ],
            Output: { sum: '{% $sum($states.result) %}' },
            End: true,
          },
        },
      },
      { x: 5 },
    );
    expect(r.output).toEqual({ sum: 16 });
  });

  it('a failed evaluation is States.QueryEvaluationError, caught by States.ALL; Catch Output and Assign read $states.errorOutput', async () => {
    const engine = await fastEngine({ invokeLambda: async () => ({}) });
    const r = await runToEnd(engine, {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: FN,
          Arguments: { FunctionName: 'f', Payload: '{% $error("no payload") %}' },
          Catch: [
            { ErrorEquals: ['States.ALL'], Assign: { why: '{% $states.errorOutput.Error %}' }, Output: { caught: true }, Next: 'After' },
          ],
          End: true,
        },
        After: { Type: 'Pass', Output: { caught: '{% $states.input.caught %}', why: '{% $why %}' }, End: true },
      },
    });
    expect(r.output).toEqual({ caught: true, why: 'States.QueryEvaluationError' });
  });

  it('Fail takes Error and Cause from expressions; Wait takes Seconds from one', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'W',
        States: {
          W: { Type: 'Wait', Seconds: '{% $states.input.delay %}', Next: 'F' },
          F: { Type: 'Fail', Error: "{% 'Custom.' & $states.input.kind %}", Cause: '{% $string($states.input.delay) %}' },
        },
      },
      { delay: 2, kind: 'Late' },
    );
    expect(r.description).toMatchObject({ status: 'FAILED', error: 'Custom.Late', cause: '2' });
  });

  it('one JSONata state in a JSONPath machine: QueryLanguage on the state wins', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      {
        StartAt: 'Path',
        States: {
          Path: { Type: 'Pass', Parameters: { 'n.$': '$.n' }, Next: 'Ata' },
          Ata: { Type: 'Pass', QueryLanguage: 'JSONata', Output: { doubled: '{% $states.input.n * 2 %}' }, End: true },
        },
      },
      { n: 21 },
    );
    expect(r.output).toEqual({ doubled: 42 });
  });

  it('an expression that does not parse is InvalidDefinition at CreateStateMachine', async () => {
    const engine = await fastEngine();
    await expect(
      engine.createStateMachine({
        name: 'bad-jsonata',
        definition: JSON.stringify({
          QueryLanguage: 'JSONata',
          StartAt: 'P',
          States: { P: { Type: 'Pass', Output: '{% $states.input. %}', End: true } },
        }),
      }),
    ).rejects.toBeInstanceOf(SfnApiError);
  });
});
