/**
 * Choice rule evaluation (JSONPath dialect): every comparison operator of the
 * "Choice workflow state" page of the Step Functions developer guide,
 * including the `...Path` variants, `Is...` type tests and And/Or/Not.
 */
import { runtimeError, StatesError } from './errors.js';
import { stringifyJson } from './json.js';
import { readReference, type Variables } from './references.js';

/** A Choice rule as written in ASL. */
export type ChoiceRule = Record<string, unknown>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function isTimestamp(v: unknown): v is string {
  return typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
}

function read(path: string, input: unknown, context: unknown, vars?: Variables): { found: boolean; value: unknown } {
  try {
    const r = readReference(path, { input, context, vars });
    return r.found ? { found: true, value: r.value } : { found: false, value: undefined };
  } catch (err) {
    throw runtimeError(`Invalid path '${path}' in Choice rule`, err);
  }
}

function mustRead(path: string, input: unknown, context: unknown, vars?: Variables): unknown {
  const r = read(path, input, context, vars);
  if (!r.found) throw runtimeError(`Invalid path '${path}': The choice state's condition path references an invalid value.`);
  return r.value;
}

/** `*` matches any run of characters; `\*` and `\\` are literal. */
export function stringMatches(value: string, pattern: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern.charAt(i);
    if (ch === '\\' && i + 1 < pattern.length) {
      re += escapeRegex(pattern.charAt(i + 1));
      i += 1;
    } else if (ch === '*') re += '[\\s\\S]*';
    else re += escapeRegex(ch);
  }
  return new RegExp(`${re}$`).test(value);
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type Compare = (a: unknown, b: unknown) => boolean;

function cmp<T>(
  guard: (v: unknown) => v is T,
  key: (v: T) => number | string,
  test: (x: number | string, y: number | string) => boolean,
): Compare {
  return (a, b) => guard(a) && guard(b) && test(key(a), key(b));
}

// An integer beyond 2^53 is a BigInt here (json.ts): still a number to compare.
const isNum = (v: unknown): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const eq = (x: number | string, y: number | string): boolean => x === y;
const lt = (x: number | string, y: number | string): boolean => x < y;
const gt = (x: number | string, y: number | string): boolean => x > y;
const lte = (x: number | string, y: number | string): boolean => x <= y;
const gte = (x: number | string, y: number | string): boolean => x >= y;
const ts = (v: string): number => Date.parse(v);

const comparators: Record<string, Compare> = {
  StringEquals: cmp(isStr, String, eq),
  StringLessThan: cmp(isStr, String, lt),
  StringGreaterThan: cmp(isStr, String, gt),
  StringLessThanEquals: cmp(isStr, String, lte),
  StringGreaterThanEquals: cmp(isStr, String, gte),
  NumericEquals: cmp(isNum, Number, eq),
  NumericLessThan: cmp(isNum, Number, lt),
  NumericGreaterThan: cmp(isNum, Number, gt),
  NumericLessThanEquals: cmp(isNum, Number, lte),
  NumericGreaterThanEquals: cmp(isNum, Number, gte),
  BooleanEquals: (a, b) => isBool(a) && isBool(b) && a === b,
  TimestampEquals: cmp(isTimestamp, ts, eq),
  TimestampLessThan: cmp(isTimestamp, ts, lt),
  TimestampGreaterThan: cmp(isTimestamp, ts, gt),
  TimestampLessThanEquals: cmp(isTimestamp, ts, lte),
  TimestampGreaterThanEquals: cmp(isTimestamp, ts, gte),
  StringMatches: (a, b) => isStr(a) && isStr(b) && stringMatches(a, b),
};

const typeTests: Record<string, (v: unknown) => boolean> = {
  IsNull: (v) => v === null,
  IsNumeric: isNum,
  IsString: (v) => typeof v === 'string',
  IsBoolean: (v) => typeof v === 'boolean',
  IsTimestamp: isTimestamp,
};

/** Evaluates one Choice rule (or nested boolean expression) against the state's effective input. */
export function evaluateRule(rule: ChoiceRule, input: unknown, context: unknown, vars?: Variables): boolean {
  if (Array.isArray(rule.And)) return (rule.And as ChoiceRule[]).every((r) => evaluateRule(r, input, context, vars));
  if (Array.isArray(rule.Or)) return (rule.Or as ChoiceRule[]).some((r) => evaluateRule(r, input, context, vars));
  if (typeof rule.Not === 'object' && rule.Not !== null) return !evaluateRule(rule.Not as ChoiceRule, input, context, vars);

  const variable = rule.Variable;
  if (typeof variable !== 'string') throw runtimeError('Choice rule without Variable');

  if ('IsPresent' in rule) return read(variable, input, context, vars).found === rule.IsPresent;

  for (const [op, test] of Object.entries(typeTests)) {
    if (op in rule) return test(mustRead(variable, input, context, vars)) === rule[op];
  }
  for (const [op, compare] of Object.entries(comparators)) {
    if (op in rule) return compare(mustRead(variable, input, context, vars), rule[op]);
    const pathOp = `${op}Path`;
    if (pathOp in rule && op !== 'StringMatches') {
      const other = rule[pathOp];
      if (typeof other !== 'string') throw runtimeError(`${pathOp} must be a path`);
      return compare(mustRead(variable, input, context, vars), mustRead(other, input, context, vars));
    }
  }
  throw new StatesError('States.Runtime', `Unsupported Choice rule: ${stringifyJson(rule)}`);
}
