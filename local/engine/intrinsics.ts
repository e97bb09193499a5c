/**
 * Intrinsic functions of the JSONPath dialect (`States.Format(...)` and
 * friends) as documented in "Intrinsic functions for JSONPath states" of the
 * Step Functions developer guide.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { runtimeError, StatesError, StatesErrors } from './errors.js';
import { readPath } from './jsonpath.js';

type Arg = { t: 'lit'; value: unknown; template?: string } | { t: 'path'; context: boolean; path: string } | { t: 'call'; call: Call };

interface Call {
  name: string;
  args: Arg[];
}

const cache = new Map<string, Call>();

/** True when a `.$` value is an intrinsic call rather than a path. */
export function isIntrinsic(expr: string): boolean {
  return /^States\.[A-Za-z0-9]+\s*\(/.test(expr);
}

function fail(message: string): StatesError {
  return new StatesError(StatesErrors.IntrinsicFailure, message);
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

  call(): Call {
    this.spaces();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.src.slice(this.pos));
    if (!m) throw fail(`Invalid intrinsic function call: ${this.src}`);
    this.pos += m[0].length;
    this.spaces();
    if (this.peek() !== '(') throw fail(`Expected '(' in ${this.src}`);
    this.pos += 1;
    const args: Arg[] = [];
    this.spaces();
    if (this.peek() === ')') {
      this.pos += 1;
      return { name: m[0], args };
    }
    for (;;) {
      args.push(this.arg());
      this.spaces();
      const c = this.peek();
      this.pos += 1;
      if (c === ')') break;
      if (c !== ',') throw fail(`Expected ',' or ')' in ${this.src}`);
    }
    return { name: m[0], args };
  }

  private arg(): Arg {
    this.spaces();
    const c = this.peek();
    if (c === "'") return this.stringLiteral();
    if (c === '$') {
      const start = this.pos;
      let depth = 0;
      let quote: string | undefined;
      while (this.pos < this.src.length) {
        const ch = this.peek();
        if (quote) {
          if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === '[' || ch === '(') depth += 1;
        else if (ch === ']' || (ch === ')' && depth > 0)) depth -= 1;
        else if ((ch === ',' || ch === ')') && depth === 0) break;
        this.pos += 1;
      }
      const text = this.src.slice(start, this.pos).trim();
      return text.startsWith('$$') ? { t: 'path', context: true, path: text.slice(1) } : { t: 'path', context: false, path: text };
    }
    if (this.src.startsWith('States.', this.pos)) return { t: 'call', call: this.call() };
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.src.slice(this.pos));
    if (!m) throw fail(`Invalid argument in ${this.src}`);
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
    if (this.peek() !== "'") throw fail(`Unterminated string in ${this.src}`);
    this.pos += 1;
    return { t: 'lit', value, template };
  }
}

function parseCall(expr: string): Call {
  const hit = cache.get(expr);
  if (hit) return hit;
  const p = new Parser(expr);
  const call = p.call();
  if (p.pos < expr.trim().length) throw fail(`Unexpected trailing text in ${expr}`);
  cache.set(expr, call);
  return call;
}

/**
 * Evaluates an intrinsic call such as `States.Format('Hi {}', $.name)`
 * against a state's input and the context object.
 */
export function evaluateIntrinsic(expr: string, input: unknown, context: unknown): unknown {
  return evalCall(parseCall(expr), input, context);
}

function evalArg(arg: Arg, input: unknown, context: unknown): unknown {
  switch (arg.t) {
    case 'lit':
      return arg.value;
    case 'call':
      return evalCall(arg.call, input, context);
    case 'path': {
      const read = readPath(arg.context ? context : input, arg.path);
      if (!read.found) throw runtimeError(`The JSONPath '${arg.context ? '$' : ''}${arg.path}' could not be found in the input`);
      return read.value;
    }
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
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

function evalCall(call: Call, input: unknown, context: unknown): unknown {
  const args = call.args.map((a) => evalArg(a, input, context));
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
          if (typeof v === 'object' && v !== null) throw fail('States.Format arguments must be strings, numbers, booleans or null');
          out += String(v);
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
        return JSON.parse(a0);
      } catch (err) {
        throw new StatesError(StatesErrors.IntrinsicFailure, 'States.StringToJson: invalid JSON', { cause: err });
      }
    case 'States.JsonToString':
      arity(1);
      return JSON.stringify(a0);
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
      if (!isInt(a0) || !isInt(a1) || !isInt(a2) || a2 === 0) throw fail('States.ArrayRange needs integers and a non-zero step');
      const out: number[] = [];
      for (let v = a0; a2 > 0 ? v <= a1 : v >= a1; v += a2) {
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
        const key = JSON.stringify(canonical(v));
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    case 'States.Base64Encode':
      arity(1);
      if (typeof a0 !== 'string' || a0.length > 10_000) throw fail('States.Base64Encode needs a string of at most 10000 characters');
      return Buffer.from(a0, 'utf8').toString('base64');
    case 'States.Base64Decode':
      arity(1);
      if (typeof a0 !== 'string' || a0.length > 10_000) throw fail('States.Base64Decode needs a string of at most 10000 characters');
      return Buffer.from(a0, 'base64').toString('utf8');
    case 'States.Hash': {
      arity(2);
      const algo = typeof a1 === 'string' ? hashAlgorithms[a1] : undefined;
      if (typeof a0 !== 'string' || algo === undefined)
        throw fail('States.Hash needs a string and one of MD5, SHA-1, SHA-256, SHA-384, SHA-512');
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
      if (!isInt(a0) || !isInt(a1) || a1 <= a0) throw fail('States.MathRandom needs integers start < end');
      if (a2 !== undefined) {
        if (!isInt(a2)) throw fail('States.MathRandom seed must be an integer');
        // Deterministic for a given seed, as the AWS docs promise.
        const x = Math.sin(a2) * 10_000;
        return a0 + Math.floor((x - Math.floor(x)) * (a1 - a0));
      }
      return randomInt(a0, a1);
    }
    case 'States.MathAdd':
      arity(2);
      if (!isInt(a0) || !isInt(a1)) throw fail('States.MathAdd needs two integers');
      return a0 + a1;
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
