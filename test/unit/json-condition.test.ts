import { describe, expect, it } from 'vitest';
import { evaluateCondition, formatPath, parseCondition } from '../../functions/common/json-condition.js';

const parse = (text: string) => {
  const parsed = parseCondition(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.condition;
};

describe('parseCondition', () => {
  it.each([
    ['$.errorRate < 0.01', { path: ['errorRate'], operator: '<', value: 0.01 }],
    ['$.p99 <= 250', { path: ['p99'], operator: '<=', value: 250 }],
    ['  $.a.b[2].c>=-1.5e3  ', { path: ['a', 'b', 2, 'c'], operator: '>=', value: -1500 }],
    ["$['error rate'] > .5", { path: ['error rate'], operator: '>', value: 0.5 }],
    ['$.status == "healthy"', { path: ['status'], operator: '==', value: 'healthy' }],
    ["$.status != 'down'", { path: ['status'], operator: '!=', value: 'down' }],
    ['$.ok == true', { path: ['ok'], operator: '==', value: true }],
    ['$.error == null', { path: ['error'], operator: '==', value: null }],
    ['$.data[0] == 0', { path: ['data', 0], operator: '==', value: 0 }],
  ])('parses %s', (text, condition) => {
    expect(parseCondition(text)).toEqual({ ok: true, condition });
  });

  it.each([
    ['errorRate < 1', 'must start with $'],
    ['$ < 1', 'compare a field of the answer'],
    ['$. < 1', 'a name must follow the dot'],
    ['$.a[x] < 1', 'an index or a quoted name must follow ['],
    ['$.a', 'expected one of'],
    ['$.a =< 1', 'expected one of'],
    ['$.a <', 'a value must follow the operator'],
    ['$.a < one', 'is not a number, a quoted string'],
    ['$.a < "1"', '< compares numbers only'],
    ['$.a >= true', '>= compares numbers only'],
    ['$.a < 1 && $.b > 2', 'is not a number'],
    ['$.a == "unterminated', 'is not a number'],
  ])('refuses %s (%s)', (text, message) => {
    const parsed = parseCondition(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(message);
  });
});

describe('evaluateCondition', () => {
  it('judges an ordering comparison on a number', () => {
    const condition = parse('$.errorRate < 0.01');
    expect(evaluateCondition(condition, { errorRate: 0.001 })).toEqual({ outcome: 'passed', value: 0.001 });
    expect(evaluateCondition(condition, { errorRate: 0.01 })).toEqual({ outcome: 'failed', value: 0.01 });
    expect(evaluateCondition(parse('$.errorRate <= 0.01'), { errorRate: 0.01 })).toEqual({ outcome: 'passed', value: 0.01 });
    expect(evaluateCondition(parse('$.n > 2'), { n: 3 }).outcome).toBe('passed');
    expect(evaluateCondition(parse('$.n >= 3'), { n: 2 }).outcome).toBe('failed');
  });

  it('follows names and indexes', () => {
    const answer = { data: { result: [{ value: 12 }, { value: 99 }] } };
    expect(evaluateCondition(parse('$.data.result[1].value > 50'), answer)).toEqual({ outcome: 'passed', value: 99 });
    expect(evaluateCondition(parse("$['data']['result'][0].value > 50"), answer)).toEqual({ outcome: 'failed', value: 12 });
  });

  it('compares equality strictly, of any literal', () => {
    expect(evaluateCondition(parse('$.status == "ok"'), { status: 'ok' }).outcome).toBe('passed');
    expect(evaluateCondition(parse('$.status == "ok"'), { status: 'OK' }).outcome).toBe('failed');
    expect(evaluateCondition(parse('$.n == 1'), { n: '1' }).outcome).toBe('failed');
    expect(evaluateCondition(parse('$.e == null'), { e: null }).outcome).toBe('passed');
    expect(evaluateCondition(parse('$.ok != false'), { ok: true }).outcome).toBe('passed');
  });

  it('calls a missing field, a wrong type or a structure inconclusive, not failed', () => {
    const condition = parse('$.errorRate < 0.01');
    expect(evaluateCondition(condition, {})).toEqual({ outcome: 'inconclusive', detail: 'the answer has no $.errorRate' });
    expect(evaluateCondition(condition, [1, 2])).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateCondition(condition, null)).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateCondition(condition, 'text')).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateCondition(condition, { errorRate: '0.001' })).toEqual({
      outcome: 'inconclusive',
      detail: '$.errorRate is not a number',
    });
    expect(evaluateCondition(condition, { errorRate: { value: 1 } })).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateCondition(parse('$.a[3] < 1'), { a: [0] })).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateCondition(parse('$.a[0] < 1'), { a: { 0: 0 } })).toMatchObject({ outcome: 'inconclusive' });
  });

  it('does not read inherited properties', () => {
    expect(evaluateCondition(parse('$.constructor == null'), {})).toMatchObject({ outcome: 'inconclusive' });
    expect(evaluateCondition(parse('$.length == 1'), { items: [1] })).toMatchObject({ outcome: 'inconclusive' });
  });
});

describe('formatPath', () => {
  it('writes names, quoted names and indexes back', () => {
    expect(formatPath(['a', 'b c', 0])).toBe("$.a['b c'][0]");
  });
});
