// Input/output processing, payload templates, intrinsics and the context
// object. AWS references: "Processing input and output in Step Functions",
// "Intrinsic functions for JSONPath states", "Accessing execution data from
// the Context object" (Step Functions developer guide).
import { describe, expect, it } from 'vitest';
import { applySubstitutions, SubstitutionError } from '../../local/engine/index.js';
import { readPath } from '../../local/engine/jsonpath.js';
import { fastEngine, runToEnd, single } from './helpers.js';

const echo = async (_fn: string, payload: unknown): Promise<unknown> => payload;

describe('JSONPath dialect', () => {
  it('reads definite paths as one value and indefinite paths as arrays (Jayway semantics)', () => {
    const data = {
      a: { b: [10, 20, 30] },
      items: [
        { n: 1, ok: true },
        { n: 2, ok: false },
      ],
      'odd key': 5,
    };
    expect(readPath(data, '$.a.b[1]')).toEqual({ found: true, value: 20 });
    expect(readPath(data, "$['odd key']")).toEqual({ found: true, value: 5 });
    expect(readPath(data, '$.items[*].n')).toEqual({ found: true, value: [1, 2] });
    expect(readPath(data, '$.items[?(@.ok == true)].n')).toEqual({ found: true, value: [1] });
    expect(readPath(data, '$..n')).toEqual({ found: true, value: [1, 2] });
    expect(readPath(data, '$.a.b[0:2]')).toEqual({ found: true, value: [10, 20] });
    expect(readPath(data, '$.a.b[-1]')).toEqual({ found: true, value: 30 });
    expect(readPath(data, '$.missing')).toEqual({ found: false });
  });
});

describe('input and output processing', () => {
  it('InputPath selects the part of the input a state sees', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', InputPath: '$.inner' }), { inner: { x: 1 }, other: 2 });
    expect(r.output).toEqual({ x: 1 });
  });

  it('InputPath null gives the state an empty object', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', InputPath: null }), { a: 1 });
    expect(r.output).toEqual({});
  });

  it('Pass with Result 0 outputs 0: presence of Result matters, not truthiness', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: 0 }), { a: 1 });
    expect(r.output).toBe(0);
  });

  it('Pass with Result false placed by ResultPath keeps the rest of the input', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: false, ResultPath: '$.flag' }), { a: 1 });
    expect(r.output).toEqual({ a: 1, flag: false });
  });

  it('ResultPath "$" replaces the whole input with the result', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: { r: 1 }, ResultPath: '$' }), { a: 1 });
    expect(r.output).toEqual({ r: 1 });
  });

  it('ResultPath null discards the result and passes the raw input through', async () => {
    const engine = await fastEngine({ invokeLambda: async () => ({ ignored: true }) });
    const r = await runToEnd(
      engine,
      single({ Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', ResultPath: null }),
      { keep: 'me' },
    );
    expect(r.output).toEqual({ keep: 'me' });
  });

  it('ResultPath creates missing intermediate objects', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: 7, ResultPath: '$.a.b.c' }), { z: 1 });
    expect(r.output).toEqual({ z: 1, a: { b: { c: 7 } } });
  });

  it('OutputPath null outputs an empty object', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', OutputPath: null }), { a: 1 });
    expect(r.output).toEqual({});
  });

  it('OutputPath selects from the state output after ResultPath', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: { v: 3 }, ResultPath: '$.res', OutputPath: '$.res.v' }), { a: 1 });
    expect(r.output).toBe(3);
  });

  it('Parameters resolves .$ keys, including inside arrays, and keeps plain keys literal', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      single({ Type: 'Pass', Parameters: { lit: 'x', 'v.$': '$.a', list: [{ 'w.$': '$.b' }, 2], nested: { 'deep.$': '$.c.d' } } }),
      { a: 1, b: 2, c: { d: 3 } },
    );
    expect(r.output).toEqual({ lit: 'x', v: 1, list: [{ w: 2 }, 2], nested: { deep: 3 } });
  });

  it('ResultSelector shapes the task result before ResultPath', async () => {
    const engine = await fastEngine({ invokeLambda: echo });
    const r = await runToEnd(
      engine,
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'f', 'Payload.$': '$' },
        ResultSelector: { 'body.$': '$.Payload', 'code.$': '$.StatusCode' },
        ResultPath: '$.result',
      }),
      { n: 5 },
    );
    expect(r.output).toEqual({ n: 5, result: { body: { n: 5 }, code: 200 } });
  });

  it('a .$ path that matches nothing is a States.Runtime failure', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'x.$': '$.nope' } }), {});
    expect(r.description.status).toBe('FAILED');
    expect(r.description.error).toBe('States.Runtime');
  });

  it('ResultPath into a non-object input is a States.ResultPathMatchFailure ("Error names")', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Result: 1, ResultPath: '$.a.b' }), { a: 'text' });
    expect(r.description.error).toBe('States.ResultPathMatchFailure');
  });
});

describe('intrinsic functions', () => {
  async function evalParams(parameters: Record<string, unknown>, input: unknown = {}): Promise<Record<string, unknown>> {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: parameters }), input);
    if (r.description.status !== 'SUCCEEDED') throw new Error(`${r.description.error}: ${r.description.cause}`);
    return r.output as Record<string, unknown>;
  }

  it('States.Format fills {} in order and honours escaped braces', async () => {
    const out = await evalParams({ 'a.$': "States.Format('Hello {} from \\{{}\\}', $.name, $.n)" }, { name: 'Ada', n: 3 });
    expect(out.a).toBe('Hello Ada from {3}');
  });

  it('States.StringToJson and States.JsonToString round-trip', async () => {
    const out = await evalParams(
      { 'o.$': 'States.StringToJson($.s)', 's.$': 'States.JsonToString($.o)' },
      { s: '{"a":[1]}', o: { b: true } },
    );
    expect(out).toEqual({ o: { a: [1] }, s: '{"b":true}' });
  });

  it('States.Array, ArrayPartition, ArrayLength, ArrayContains, ArrayGetItem, ArrayUnique', async () => {
    const out = await evalParams(
      {
        'arr.$': "States.Array('a', 1, $.x)",
        'parts.$': 'States.ArrayPartition($.xs, 2)',
        'len.$': 'States.ArrayLength($.xs)',
        'has.$': 'States.ArrayContains($.xs, 3)',
        'item.$': 'States.ArrayGetItem($.xs, 1)',
        'uniq.$': 'States.ArrayUnique($.dups)',
      },
      { x: true, xs: [1, 2, 3, 4, 5], dups: [1, 1, { a: 1 }, { a: 1 }, 2] },
    );
    expect(out).toEqual({ arr: ['a', 1, true], parts: [[1, 2], [3, 4], [5]], len: 5, has: true, item: 2, uniq: [1, { a: 1 }, 2] });
  });

  it('States.ArrayRange includes the end and rejects more than 1000 items', async () => {
    expect((await evalParams({ 'r.$': 'States.ArrayRange(1, 9, 2)' })).r).toEqual([1, 3, 5, 7, 9]);
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass', Parameters: { 'r.$': 'States.ArrayRange(1, 5000, 1)' } }));
    expect(r.description.error).toBe('States.IntrinsicFailure');
  });

  it('States.MathAdd and States.MathRandom', async () => {
    const out = await evalParams({ 'sum.$': 'States.MathAdd($.a, -3)', 'rnd.$': 'States.MathRandom(1, 10)' }, { a: 10 });
    expect(out.sum).toBe(7);
    expect(out.rnd).toBeGreaterThanOrEqual(1);
    expect(out.rnd).toBeLessThan(10);
  });

  it('States.UUID gives a v4 UUID', async () => {
    const out = await evalParams({ 'id.$': 'States.UUID()' });
    expect(out.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('States.Hash supports MD5, SHA-1, SHA-256, SHA-384 and SHA-512 (hex)', async () => {
    const out = await evalParams({
      'md5.$': "States.Hash('abc', 'MD5')",
      'sha1.$': "States.Hash('abc', 'SHA-1')",
      'sha256.$': "States.Hash('abc', 'SHA-256')",
      'sha384.$': "States.Hash('abc', 'SHA-384')",
      'sha512.$': "States.Hash('abc', 'SHA-512')",
    });
    expect(out.md5).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(out.sha1).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(out.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(String(out.sha384)).toHaveLength(96);
    expect(String(out.sha512)).toHaveLength(128);
  });

  it('States.Base64Encode and States.Base64Decode', async () => {
    const out = await evalParams({ 'e.$': "States.Base64Encode('Data to encode')", 'd.$': "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')" });
    expect(out).toEqual({ e: 'RGF0YSB0byBlbmNvZGU=', d: 'Data to encode' });
  });

  it('States.StringSplit treats every character of the second argument as a delimiter', async () => {
    const out = await evalParams({ 's.$': "States.StringSplit('This.is+a,test=string', '.+,=')" });
    expect(out.s).toEqual(['This', 'is', 'a', 'test', 'string']);
  });

  it('States.JsonMerge is shallow: the second object wins for a shared key', async () => {
    const out = await evalParams(
      { 'm.$': 'States.JsonMerge($.a, $.b, false)' },
      { a: { x: 1, n: { p: 1, q: 2 } }, b: { y: 2, n: { r: 3 } } },
    );
    expect(out.m).toEqual({ x: 1, y: 2, n: { r: 3 } });
  });

  it('nested intrinsic calls evaluate inside out', async () => {
    const out = await evalParams({ 'n.$': "States.ArrayLength(States.StringSplit($.csv, ','))" }, { csv: 'a,b,c' });
    expect(out.n).toBe(3);
  });
});

describe('context object', () => {
  it('exposes $$.Execution, $$.State and $$.StateMachine fields', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      single({
        Type: 'Pass',
        Parameters: {
          'id.$': '$$.Execution.Id',
          'name.$': '$$.Execution.Name',
          'input.$': '$$.Execution.Input',
          'start.$': '$$.Execution.StartTime',
          'role.$': '$$.Execution.RoleArn',
          'state.$': '$$.State.Name',
          'entered.$': '$$.State.EnteredTime',
          'retries.$': '$$.State.RetryCount',
          'smId.$': '$$.StateMachine.Id',
          'smName.$': '$$.StateMachine.Name',
        },
      }),
      { hello: 'world' },
    );
    const out = r.output as Record<string, unknown>;
    expect(out.id).toBe(r.executionArn);
    expect(r.executionArn).toContain(`:execution:${String(out.smName)}:${String(out.name)}`);
    expect(out.input).toEqual({ hello: 'world' });
    expect(out.state).toBe('S');
    expect(out.retries).toBe(0);
    expect(String(out.smId)).toMatch(/^arn:aws:states:us-east-1:000000000000:stateMachine:/);
    expect(String(out.role)).toMatch(/^arn:aws:iam::/);
    expect(Number.isNaN(Date.parse(String(out.start)))).toBe(false);
    expect(Number.isNaN(Date.parse(String(out.entered)))).toBe(false);
  });

  it('$$.Map.Item.Index and $$.Map.Item.Value are available in ItemSelector', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(
      engine,
      single({
        Type: 'Map',
        ItemsPath: '$.xs',
        ItemSelector: { 'i.$': '$$.Map.Item.Index', 'v.$': '$$.Map.Item.Value', 'tag.$': '$.tag' },
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      }),
      { xs: ['a', 'b'], tag: 't' },
    );
    expect(r.output).toEqual([
      { i: 0, v: 'a', tag: 't' },
      { i: 1, v: 'b', tag: 't' },
    ]);
  });
});

describe('applySubstitutions', () => {
  it('replaces ${Key} placeholders like CloudFormation DefinitionSubstitutions', () => {
    const text = '{"Resource":"${FnArn}","Comment":"${Stage}-${Stage}"}';
    expect(applySubstitutions(text, { FnArn: 'arn:aws:lambda:us-east-1:1:function:f', Stage: 'dev' })).toBe(
      '{"Resource":"arn:aws:lambda:us-east-1:1:function:f","Comment":"dev-dev"}',
    );
  });

  it('throws on a placeholder that has no value', () => {
    expect(() => applySubstitutions('{"a":"${Missing}"}', {})).toThrow(SubstitutionError);
  });

  it('leaves States.Format braces alone', () => {
    const text = '{"x.$":"States.Format(\'{}\', $.a)","r":"${R}"}';
    expect(applySubstitutions(text, { R: 'v' })).toBe('{"x.$":"States.Format(\'{}\', $.a)","r":"v"}');
  });
});
