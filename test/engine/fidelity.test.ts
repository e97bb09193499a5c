// Fidelity classes found by running an outside body of ASL cases against the
// engine (issue 18). References, all from the Step Functions developer guide:
// "Error names" (concepts-error-handling), "Intrinsic functions for JSONPath
// states" (intrinsic-functions: arguments, nesting limit, input validation,
// reserved characters), "Processing input and output" (ResultPath).
import { describe, expect, it } from 'vitest';
import { SfnApiError } from '../../local/engine/index.js';
import { fastEngine, runToEnd, single } from './helpers.js';

async function createError(definition: unknown): Promise<SfnApiError> {
  const engine = await fastEngine();
  try {
    await engine.createStateMachine({ name: 'refused', definition: JSON.stringify(definition) });
  } catch (err) {
    if (err instanceof SfnApiError) return err;
    throw err;
  }
  throw new Error('definition was accepted');
}

async function evalParams(parameters: Record<string, unknown>, input: unknown = {}): Promise<Record<string, unknown>> {
  const engine = await fastEngine();
  const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: parameters }), input);
  if (r.description.status !== 'SUCCEEDED') throw new Error(`${r.description.error}: ${r.description.cause}`);
  return r.output as Record<string, unknown>;
}

describe('ResultPath that cannot be applied: States.ResultPathMatchFailure', () => {
  it('a field of a string input fails with States.ResultPathMatchFailure and the ReferencePath in the cause', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: 1, ResultPath: '$.x' }), 'text');
    expect(r.description.status).toBe('FAILED');
    expect(r.description.error).toBe('States.ResultPathMatchFailure');
    expect(r.description.cause).toContain('Unable to apply ReferencePath $.x');
  });

  it('is catchable: States.ALL in a Task Catch matches it (it is not States.Runtime)', async () => {
    const engine = await fastEngine({ invokeLambda: async () => 42 });
    const r = await runToEnd(
      engine,
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            ResultPath: '$.x',
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', Result: 'handled', End: true },
        },
      },
      'a string input',
    );
    expect(r.description.status).toBe('SUCCEEDED');
    expect(r.output).toBe('handled');
  });

  it('a Catch naming States.ResultPathMatchFailure itself matches, and an index past the end fails the same way', async () => {
    const engine = await fastEngine({ invokeLambda: async () => 'r' });
    const r = await runToEnd(
      engine,
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            ResultPath: '$.list[5]',
            Catch: [{ ErrorEquals: ['States.ResultPathMatchFailure'], ResultPath: '$.error', Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { list: [1] },
    );
    expect(r.output).toMatchObject({ list: [1], error: { Error: 'States.ResultPathMatchFailure' } });
  });
});

describe('intrinsic arguments: decimals accepted, rounding where AWS rounds', () => {
  it('decimal literals are accepted at CreateStateMachine and kept (States.Array, States.Format)', async () => {
    const out = await evalParams({ 'a.$': 'States.Array(1.5, -0.25, 2e3)', 'f.$': "States.Format('a {}', 1.5)" });
    expect(out).toEqual({ a: [1.5, -0.25, 2000], f: 'a 1.5' });
  });

  it('States.MathAdd rounds each argument to the closest integer, halves up', async () => {
    const out = await evalParams(
      {
        'lit.$': 'States.MathAdd(1.5, 2)',
        'a.$': 'States.MathAdd($.x, $.y)',
        'b.$': 'States.MathAdd($.y, 1.51)',
        'c.$': 'States.MathAdd($.nx, $.ny)',
      },
      { x: 1.49, y: 1.5, nx: -1.49, ny: -1.5 },
    );
    expect(out).toEqual({ lit: 4, a: 3, b: 4, c: -2 });
  });

  it('States.ArrayRange rounds its bounds and step; States.MathRandom its bounds', async () => {
    const out = await evalParams({ 'r.$': 'States.ArrayRange($.a, 5.4, 1.6)', 'rnd.$': 'States.MathRandom(1.4, 1.6)' }, { a: 0.6 });
    expect(out.r).toEqual([1, 3, 5]);
    expect(out.rnd).toBe(1);
  });

  it('a non-number where a number is taken is still an intrinsic failure', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'x.$': 'States.MathAdd($.s, 1)' } }), { s: 'one' });
    expect(r.description.error).toBe('States.IntrinsicFailure');
  });
});

describe('States.Format renders objects and arrays', () => {
  it('objects as {key=value, ...}, arrays as [a, b], nested values the same way', async () => {
    const out = await evalParams(
      { 'o.$': "States.Format('o={}', $.o)", 'a.$': "States.Format('a={} n={}', $.a, $.n)" },
      { o: { a: 1, b: 'x', c: { d: true } }, a: [1, 'two', [3]], n: null },
    );
    expect(out).toEqual({ o: 'o={a=1, b=x, c={d=true}}', a: 'a=[1, two, [3]] n=null' });
  });
});

describe('intrinsic syntax refused at CreateStateMachine', () => {
  it('an unknown function, an open escape and a malformed call are InvalidDefinition naming the field', async () => {
    for (const expr of ['States.Nope(1)', "States.Format('a \\q {}', 1)", 'States.Array(1,', 'States.Array(1) x', 'States.Array(01)']) {
      const err = await createError(single({ Type: 'Pass', Parameters: { 'x.$': expr } }));
      expect(err.code).toBe('InvalidDefinition');
      expect(err.message).toContain("'x.$'");
      expect(err.message).toContain('/States/S/Parameters');
    }
  });

  it('a path argument that is not a JSONPath is refused too, in ResultSelector as in Parameters', async () => {
    const err = await createError(
      single({
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        ResultSelector: { 'y.$': 'States.Array($.a[)' },
      }),
    );
    expect(err.message).toContain("'y.$'");
    expect(err.message).toContain('/States/S/ResultSelector');
  });

  it('10 nested intrinsic functions are accepted, 11 refused (the documented nesting limit)', async () => {
    const nest = (n: number): string => (n === 0 ? '$.v' : `States.Array(${nest(n - 1)})`);
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'x.$': nest(10) } }), { v: 1 });
    expect(r.description.status).toBe('SUCCEEDED');
    expect(JSON.stringify(r.output)).toBe(`{"x":${'['.repeat(10)}1${']'.repeat(10)}}`);
    const err = await createError(single({ Type: 'Pass', Parameters: { 'x.$': nest(11) } }));
    expect(err.message).toContain('More than 10 nested intrinsic functions');
  });

  it('a ResultPath that is not a definite reference path is InvalidDefinition', async () => {
    const err = await createError(single({ Type: 'Pass', ResultPath: '$.a[*]' }));
    expect(err.message).toContain('/States/S/ResultPath');
  });
});

describe('States.Hash input limit', () => {
  it('10,000 characters hash; 10,001 fail with States.IntrinsicFailure (input validation)', async () => {
    const ok = await evalParams({ 'h.$': "States.Hash($.s, 'SHA-256')" }, { s: 'a'.repeat(10_000) });
    expect(String(ok.h)).toHaveLength(64);
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'h.$': "States.Hash($.s, 'MD5')" } }), { s: 'a'.repeat(10_001) });
    expect(r.description.error).toBe('States.IntrinsicFailure');
    expect(r.description.cause).toContain('10000 characters');
  });
});

describe('intrinsic failure naming (decision 0032)', () => {
  it('a failing function is States.IntrinsicFailure, which a Catch on States.ALL handles', async () => {
    const engine = await fastEngine({ invokeLambda: async (_f, p) => p });
    const r = await runToEnd(
      engine,
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            Parameters: { 'x.$': 'States.ArrayGetItem($.a, 9)' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { a: [1] },
    );
    expect(r.description.status).toBe('SUCCEEDED');
    expect(r.output).toMatchObject({ Error: 'States.IntrinsicFailure' });
  });

  it('a path argument that matches nothing is States.Runtime, as any .$ path that matches nothing', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'x.$': 'States.Array($.missing)' } }), {});
    expect(r.description.error).toBe('States.Runtime');
    expect(r.description.cause).toContain("The JSONPath '$.missing' specified for the field 'x.$' could not be found");
  });
});

describe('numbers beyond 2^53 keep their digits (JSON numbers are carried as written)', () => {
  const big = '12345678901234567890';

  it('from execution input to output, through Parameters, ResultPath, intrinsics and the history', async () => {
    const engine = await fastEngine();
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'big-numbers',
      definition: JSON.stringify({
        StartAt: 'P',
        States: {
          P: {
            Type: 'Pass',
            Parameters: {
              'n.$': '$.n',
              'arr.$': 'States.Array($.n)',
              's.$': 'States.JsonToString($.n)',
              'f.$': "States.Format('{}', $.n)",
            },
            ResultPath: '$.copied',
            End: true,
          },
        },
      }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: `{"n": ${big}, "neg": -${big}, "small": 1.5}` });
    const done = await engine.waitForExecution(executionArn);
    expect(done.output).toBe(`{"n":${big},"neg":-${big},"small":1.5,"copied":{"n":${big},"arr":[${big}],"s":"${big}","f":"${big}"}}`);
    const { events } = await engine.getExecutionHistory({ executionArn });
    expect(events.find((e) => e.type === 'PassStateEntered')?.stateEnteredEventDetails?.input).toContain(big);
  });

  it('Choice compares them as numbers: IsNumeric, NumericEquals and NumericGreaterThan', async () => {
    const engine = await fastEngine();
    const definition = JSON.stringify({
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.n', IsNumeric: true },
                { Variable: '$.n', NumericEquals: 'BIG' },
                { Variable: '$.n', NumericGreaterThan: 9007199254740991 },
              ],
              Next: 'Yes',
            },
          ],
          Default: 'No',
        },
        Yes: { Type: 'Pass', Result: 'yes', End: true },
        No: { Type: 'Pass', Result: 'no', End: true },
      },
    }).replace('"BIG"', big);
    const { stateMachineArn } = await engine.createStateMachine({ name: 'big-choice', definition });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: `{"n": ${big}}` });
    expect((await engine.waitForExecution(executionArn)).output).toBe('"yes"');
  });

  it('through SendTaskSuccess output and States.StringToJson', async () => {
    const tokens: string[] = [];
    const engine = await fastEngine({
      invokeLambda: async (_fn, payload) => {
        tokens.push((payload as { token: string }).token);
        return {};
      },
    });
    const { stateMachineArn } = await engine.createStateMachine({
      name: 'big-callback',
      definition: JSON.stringify({
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
            Next: 'Parse',
          },
          Parse: { Type: 'Pass', Parameters: { 'v.$': 'States.StringToJson($.text)', 'id.$': '$.id' }, End: true },
        },
      }),
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn, input: '{}' });
    for (let i = 0; i < 200 && tokens.length === 0; i += 1) await new Promise<void>((r) => setImmediate(r));
    await engine.sendTaskSuccess({ taskToken: tokens[0] as string, output: `{"id": ${big}, "text": "[${big}]"}` });
    const done = await engine.waitForExecution(executionArn);
    expect(done.output).toBe(`{"v":[${big}],"id":${big}}`);
  });
});

describe('fields the engine does not run are refused at CreateStateMachine, never accepted and ignored (decision 0031)', () => {
  const processor = { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } };
  const map = (extra: Record<string, unknown>): unknown =>
    single({ Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...processor }, ...extra });
  const cases: [string, unknown][] = [
    ['ItemReader', map({ ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } } })],
    ['ItemBatcher', map({ ItemBatcher: { MaxItemsPerBatch: 10 } })],
    ['ResultWriter', map({ ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } } })],
    ['ToleratedFailurePercentage', map({ ToleratedFailurePercentage: 10 })],
    ['ToleratedFailureCount', map({ ToleratedFailureCount: 1 })],
    [
      'Credentials',
      single({
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        Credentials: { RoleArn: 'arn:aws:iam::111111111111:role/x' },
      }),
    ],
  ];
  for (const [field, definition] of cases) {
    it(`${field}: InvalidDefinition naming the field and saying it is not supported locally`, async () => {
      const err = await createError(definition);
      expect(err.code).toBe('InvalidDefinition');
      expect(err.message).toContain(`The field '${field}' is not supported by the local engine`);
      expect(err.message).toContain(`/States/S/${field}`);
    });
  }
});
