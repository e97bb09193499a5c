/**
 * JSON text in and out of the engine without losing digits: Step Functions
 * carries numbers as they were written, so `12345678901234567890` in an
 * execution input comes out of the execution unchanged. An integer that a
 * double cannot hold exactly is parsed as a BigInt, and written back as its
 * digits; every other value parses as `JSON.parse` would.
 */

/** Any run of 16 or more digits may be an integer beyond 2^53; without one the native parser is exact. */
const LONG_DIGITS = /\d{16,}/;

/** Parses JSON text; integers beyond Number.MAX_SAFE_INTEGER become BigInts. Throws SyntaxError as JSON.parse does. */
export function parseJson(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  const parser = new LosslessParser(text);
  parser.space();
  const value = parser.value();
  parser.space();
  if (parser.pos < text.length) parser.fail('Unexpected trailing text');
  return value;
}

/** JSON text of `value` (undefined when JSON.stringify would give undefined); BigInts as their digits. */
export function stringifyJson(value: unknown): string | undefined {
  let marked = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    marked = true;
    return `\u0000bigint:${v.toString()}`;
  });
  if (!marked || text === undefined) return text;
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

/**
 * The value as a plain JS value for code outside the engine (a handler):
 * BigInts become the nearest Number, as JSON.parse in a Lambda would read
 * them.
 */
export function toPlainJson(value: unknown): unknown {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

class LosslessParser {
  pos = 0;
  constructor(private readonly src: string) {}

  fail(message: string): never {
    throw new SyntaxError(`${message} in JSON at position ${this.pos}`);
  }

  space(): void {
    for (;;) {
      const c = this.src.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos += 1;
      else return;
    }
  }

  value(): unknown {
    const c = this.src.charAt(this.pos);
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.src.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(`Unexpected token '${c}'`);
  }

  private object(): Record<string, unknown> {
    this.pos += 1;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.src.charAt(this.pos) === '}') {
      this.pos += 1;
      return out;
    }
    for (;;) {
      this.space();
      if (this.src.charAt(this.pos) !== '"') this.fail('Expected a property name');
      const key = this.string();
      this.space();
      if (this.src.charAt(this.pos) !== ':') this.fail("Expected ':'");
      this.pos += 1;
      this.space();
      // Own data property even for "__proto__", as JSON.parse makes it.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.space();
      const c = this.src.charAt(this.pos);
      this.pos += 1;
      if (c === '}') return out;
      if (c !== ',') this.fail("Expected ',' or '}'");
    }
  }

  private array(): unknown[] {
    this.pos += 1;
    const out: unknown[] = [];
    this.space();
    if (this.src.charAt(this.pos) === ']') {
      this.pos += 1;
      return out;
    }
    for (;;) {
      this.space();
      out.push(this.value());
      this.space();
      const c = this.src.charAt(this.pos);
      this.pos += 1;
      if (c === ']') return out;
      if (c !== ',') this.fail("Expected ',' or ']'");
    }
  }

  private string(): string {
    const start = this.pos;
    this.pos += 1;
    for (;;) {
      const c = this.src.charAt(this.pos);
      if (c === '') this.fail('Unterminated string');
      if (c === '\\') this.pos += 2;
      else {
        this.pos += 1;
        if (c === '"') break;
      }
    }
    // The native parser decodes escapes exactly as JSON defines them.
    return JSON.parse(this.src.slice(start, this.pos)) as string;
  }

  private number(): number | bigint {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.src.slice(this.pos, this.pos + 400));
    if (!m) return this.fail('Invalid number');
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  }
}
