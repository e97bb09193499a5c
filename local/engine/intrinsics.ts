/**
 * Intrinsic functions of the JSONPath dialect (`States.Format(...)` and
 * friends) as documented in "Intrinsic functions for JSONPath states" of the
 * Step Functions developer guide.
 */

import { createHash, randomInt, randomUUID } from 'node:crypto';
import { StatesError, StatesErrors } from './errors.js';
import { parseJson, stringifyJson } from './json.js';
import { checkReference } from './references.js';

type Arg = { t: 'lit'; value: unknown; template?: string } | { t: 'path'; expr: string } | { t: 'call'; call: Call };

interface Call {
  name: string;
  args: Arg[];
}

/**
 * "You can nest up to 10 intrinsic functions within a field in your
 * workflows" ("Intrinsic functions for JSONPath states", developer guide).
 */
export const MAX_INTRINSIC_NESTING = 10;

/** Names of the intrinsic functions of the JSONPath dialect, as the developer guide lists them. */
const FUNCTIONS = new Set([
  'States.Format',
  'States.StringToJson',
  'States.JsonToString',
  'States.Array',
  'States.ArrayPartition',
  'States.ArrayContains',
  'States.ArrayRange',
  'States.ArrayGetItem',
  'States.ArrayLength',
  'States.ArrayUnique',
  'States.Base64Encode',
  'States.Base64Decode',
  'States.Hash',
  'States.JsonMerge',
  'States.MathRandom',
  'States.MathAdd',
  'States.StringSplit',
  'States.UUID',
]);

/** Inputs of the encoding and hash functions are limited to 10,000 characters (developer guide, input validation). */
const MAX_TEXT_ARGUMENT = 10_000;

const cache = new Map<string, Call>();

/** Reads the value a path argument names: `$...` (input), `$$...` (context) or `$name...` (a variable). */
export type PathReader = (expr: string) => unknown;

/** True when a `.$` value is an intrinsic call rather than a path. */
export function isIntrinsic(expr: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(expr);
}

function fail(message: string): StatesError {
  return new StatesError(StatesErrors.IntrinsicFailure, message);
}

/** A call that does not parse; CreateStateMachine answers it as InvalidDefinition. */
export class IntrinsicSyntaxError extends Error {
  override readonly name = 'IntrinsicSyntaxError';
}

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  private peek(): string {
    return this.src.charAt(this.pos);
  }

  private spaces(): void {
    while (/\s/.test(this.peek())) this.pos += 1;
  }

  private error(message: string): never {
    throw new IntrinsicSyntaxError(`${message} at position ${this.pos} in ${this.src}`);
  }

  call(depth: number): Call {
    if (depth > MAX_INTRINSIC_NESTING) this.error(`More than ${MAX_INTRINSIC_NESTING} nested intrinsic functions`);
    this.spaces();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.src.slice(this.pos));
    if (!m) this.error('Expected an intrinsic function name');
    if (!FUNCTIONS.has(m[0])) this.error(`Unknown intrinsic function ${m[0]}`);
    this.pos += m[0].length;
    this.spaces();
    if (this.peek() !== '(') this.error("Expected '('");
    this.pos += 1;
    const args: Arg[] = [];
    this.spaces();
    if (this.peek() === ')') {
      this.pos += 1;
      return { name: m[0], args };
    }
    for (;;) {
      args.push(this.arg(depth));
      this.spaces();
      const c = this.peek();
      if (c === '') this.error("Expected ',' or ')'");
      this.pos += 1;
      if (c === ')') break;
      if (c !== ',') this.error("Expected ',' or ')'");
    }
    return { name: m[0], args };
  }

  private arg(depth: number): Arg {
    this.spaces();
    const c = this.peek();
    if (c === "'") return this.stringLiteral();
    if (c === '$') {
      const start = this.pos;
      let depthBrackets = 0;
      let quote: string | undefined;
      while (this.pos < this.src.length) {
        const ch = this.peek();
        if (quote) {
          if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === '[' || ch === '(') depthBrackets += 1;
        else if (ch === ']' || (ch === ')' && depthBrackets > 0)) depthBrackets -= 1;
        else if ((ch === ',' || ch === ')') && depthBrackets === 0) break;
        this.pos += 1;
      }
      const expr = this.src.slice(start, this.pos).trim();
      try {
        checkReference(expr);
      } catch (err) {
        this.error(`Invalid path argument '${expr}': ${(err as Error).message}`);
      }
      return { t: 'path', expr };
    }
    if (this.src.startsWith('States.', this.pos)) return { t: 'call', call: this.call(depth + 1) };
    // JSON numbers, decimals and exponents included: the grammar of the
    // developer guide takes any JSON literal as an argument.
    const m = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)(?![A-Za-z0-9_.])/.exec(this.src.slice(this.pos));
    if (!m) this.error('Invalid argument');
    this.pos += m[0].length;
    return { t: 'lit', value: JSON.parse(m[0]) };
  }

  private stringLiteral(): Arg {
    this.pos += 1;
    let value = '';
    let template = '';
    while (this.pos < this.src.length && this.peek() !== "'") {
      const ch = this.peek();
      if (ch === '\\') {
        const next = this.src.charAt(this.pos + 1);
        // "If an open escape backslash \ is found in the intrinsic invocation string, the interpreter will throw".
        if (!"'{}\\".includes(next) || next === '') this.error('Open escape backslash');
        this.pos += 2;
        value += next;
        // States.Format needs to tell an escaped brace from a placeholder.
        template += next === '{' || next === '}' ? `\\${next}` : next === '\\' ? '\\\\' : next;
        continue;
      }
      value += ch;
      template += ch;
      this.pos += 1;
    }
    if (this.peek() !== "'") this.error('Unterminated string');
    this.pos += 1;
    return { t: 'lit', value, template };
  }
}

/**
 * Parses an intrinsic call; throws {@link IntrinsicSyntaxError} for a call
 * that is not in the grammar (unknown function, open escape, bad argument,
 * nesting over {@link MAX_INTRINSIC_NESTING}).
 */
export function parseIntrinsic(expr: string): void {
  parseCall(expr);
}

function parseCall(expr: string): Call {
  const hit = cache.get(expr);
  if (hit) return hit;
  const p = new Parser(expr);
  const call = p.call(1);
  while (/\s/.test(expr.charAt(p.pos))) p.pos += 1;
  if (p.pos < expr.length) throw new IntrinsicSyntaxError(`Unexpected trailing text in ${expr}`);
  if (cache.size > 5000) cache.clear();
  cache.set(expr, call);
  return call;
}

/**
 * Evaluates an intrinsic call such as `States.Format('Hi {}', $.name)`;
 * `read` resolves its path arguments (input, context object, variables).
 */
export function evaluateIntrinsic(expr: string, read: PathReader): unknown {
  let call: Call;
  try {
    call = parseCall(expr);
  } catch (err) {
    throw new StatesError(StatesErrors.IntrinsicFailure, (err as Error).message, { cause: err });
  }
  return evalCall(call, read);
}

function evalArg(arg: Arg, read: PathReader): unknown {
  switch (arg.t) {
    case 'lit':
      return arg.value;
    case 'call':
      return evalCall(arg.call, read);
    case 'path':
      return read(arg.expr);
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return stringifyJson(canonical(a)) === stringifyJson(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const hashAlgorithms: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/**
 * Where AWS takes a number as an integer it rounds a non-integer to the
 * closest one, halves up (MathAdd(1.49, 1.5) is 3, MathAdd(-1.49, -1.5) is -2,
 * as Step Functions answers); anything but a number is refused.
 */
function rounded(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`${what} must be a number`);
  return Math.round(v);
}

/**
 * How States.Format renders an argument that is not a string: JSON scalars
 * as their text, objects as `{key=value, ...}` and arrays as `[a, b]`,
 * strings inside them unquoted (Step Functions' own rendering).
 */
function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${formatValue(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function evalCall(call: Call, read: PathReader): unknown {
  const args = call.args.map((a) => evalArg(a, read));
  const arity = (min: number, max = min): void => {
    if (args.length < min || args.length > max) {
      throw fail(`${call.name} takes ${min === max ? min : `${min}-${max}`} arguments, got ${args.length}`);
    }
  };
  const [a0, a1, a2] = args;
  switch (call.name) {
    case 'States.Format': {
      if (args.length < 1 || typeof a0 !== 'string') throw fail('States.Format needs a string template');
      const first = call.args[0];
      const template = first?.t === 'lit' && first.template !== undefined ? first.template : a0.replace(/[{}\\]/g, (m) => `\\${m}`);
      const values = args.slice(1);
      let used = 0;
      let out = '';
      for (let i = 0; i < template.length; i += 1) {
        const ch = template.charAt(i);
        if (ch === '\\') {
          out += template.charAt(i + 1);
          i += 1;
        } else if (ch === '{' && template.charAt(i + 1) === '}') {
          if (used >= values.length) throw fail('States.Format has more placeholders than arguments');
          const v = values[used];
          used += 1;
          out += formatValue(v);
          i += 1;
        } else out += ch;
      }
      if (used !== values.length) throw fail('States.Format has more arguments than placeholders');
      return out;
    }
    case 'States.StringToJson':
      arity(1);
      if (typeof a0 !== 'string') throw fail('States.StringToJson needs a string');
      try {
        return parseJson(a0);
      } catch (err) {
        throw new StatesError(StatesErrors.IntrinsicFailure, 'States.StringToJson: invalid JSON', { cause: err });
      }
    case 'States.JsonToString':
      arity(1);
      return stringifyJson(a0);
    case 'States.Array':
      return args;
    case 'States.ArrayPartition': {
      arity(2);
      if (!Array.isArray(a0) || !isInt(a1) || a1 <= 0) throw fail('States.ArrayPartition needs an array and a positive chunk size');
      const out: unknown[][] = [];
      for (let i = 0; i < a0.length; i += a1) out.push(a0.slice(i, i + a1));
      return out;
    }
    case 'States.ArrayContains':
      arity(2);
      if (!Array.isArray(a0)) throw fail('States.ArrayContains needs an array');
      return a0.some((v) => deepEqual(v, a1));
    case 'States.ArrayRange': {
      arity(3);
      const [first, last, step] = [rounded(a0, 'ArrayRange start'), rounded(a1, 'ArrayRange end'), rounded(a2, 'ArrayRange step')];
      if (step === 0) throw fail('States.ArrayRange needs a non-zero step');
      const out: number[] = [];
      for (let v = first; step > 0 ? v <= last : v >= last; v += step) {
        out.push(v);
        if (out.length > 1000) throw fail('States.ArrayRange cannot produce more than 1000 items');
      }
      return out;
    }
    case 'States.ArrayGetItem':
      arity(2);
      if (!Array.isArray(a0) || !isInt(a1) || a1 < 0 || a1 >= a0.length) throw fail('States.ArrayGetItem index out of bounds');
      return a0[a1];
    case 'States.ArrayLength':
      arity(1);
      if (!Array.isArray(a0)) throw fail('States.ArrayLength needs an array');
      return a0.length;
    case 'States.ArrayUnique': {
      arity(1);
      if (!Array.isArray(a0)) throw fail('States.ArrayUnique needs an array');
      const seen = new Set<string>();
      return a0.filter((v) => {
        const key = stringifyJson(canonical(v)) ?? 'null';
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    case 'States.Base64Encode':
      arity(1);
      if (typeof a0 !== 'string' || a0.length > MAX_TEXT_ARGUMENT)
        throw fail(`States.Base64Encode needs a string of at most ${MAX_TEXT_ARGUMENT} characters`);
      return Buffer.from(a0, 'utf8').toString('base64');
    case 'States.Base64Decode':
      arity(1);
      if (typeof a0 !== 'string' || a0.length > MAX_TEXT_ARGUMENT)
        throw fail(`States.Base64Decode needs a string of at most ${MAX_TEXT_ARGUMENT} characters`);
      return Buffer.from(a0, 'base64').toString('utf8');
    case 'States.Hash': {
      arity(2);
      const algo = typeof a1 === 'string' ? hashAlgorithms[a1] : undefined;
      if (typeof a0 !== 'string' || algo === undefined)
        throw fail('States.Hash needs a string and one of MD5, SHA-1, SHA-256, SHA-384, SHA-512');
      if (a0.length > MAX_TEXT_ARGUMENT) throw fail(`States.Hash input exceeds ${MAX_TEXT_ARGUMENT} characters`);
      return createHash(algo).update(a0, 'utf8').digest('hex');
    }
    case 'States.JsonMerge': {
      arity(3);
      const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
      if (!obj(a0) || !obj(a1)) throw fail('States.JsonMerge needs two objects');
      // AWS only supports the shallow mode: the third argument must be false.
      if (a2 !== false) throw fail('States.JsonMerge only supports shallow merge (third argument false)');
      return { ...a0, ...a1 };
    }
    case 'States.MathRandom': {
      arity(2, 3);
      const [start, end] = [rounded(a0, 'MathRandom start'), rounded(a1, 'MathRandom end')];
      if (end <= start) throw fail('States.MathRandom needs start < end');
      if (a2 !== undefined) {
        const seed = rounded(a2, 'MathRandom seed');
        // Deterministic for a given seed, as the AWS docs promise.
        const x = Math.sin(seed) * 10_000;
        return start + Math.floor((x - Math.floor(x)) * (end - start));
      }
      return randomInt(start, end);
    }
    case 'States.MathAdd':
      arity(2);
      return rounded(a0, 'MathAdd first argument') + rounded(a1, 'MathAdd second argument');
    case 'States.StringSplit': {
      arity(2);
      if (typeof a0 !== 'string' || typeof a1 !== 'string') throw fail('States.StringSplit needs two strings');
      // Every character of the second argument is a delimiter; empty tokens are dropped.
      const out: string[] = [];
      let cur = '';
      for (const ch of a0) {
        if (a1.includes(ch)) {
          if (cur !== '') out.push(cur);
          cur = '';
        } else cur += ch;
      }
      if (cur !== '') out.push(cur);
      return out;
    }
    case 'States.UUID':
      arity(0);
      return randomUUID();
    default:
      throw fail(`Unknown intrinsic function ${call.name}`);
  }
}
