/**
 * The JSONPath dialect of ASL (Step Functions evaluates paths with Jayway
 * JsonPath). A definite path (only names and indexes) yields one value; any
 * other path (wildcards, slices, unions, `..`, filters) yields an array of
 * matches. Parsed paths are cached because the same few paths are evaluated
 * on every state transition.
 */

type Literal = string | number | boolean | null;

type FilterExpr =
  | { t: 'or'; left: FilterExpr; right: FilterExpr }
  | { t: 'and'; left: FilterExpr; right: FilterExpr }
  | { t: 'not'; inner: FilterExpr }
  | { t: 'cmp'; op: string; left: Operand; right: Operand }
  | { t: 'exists'; operand: Operand };

type Operand = { t: 'path'; relative: boolean; segments: Segment[] } | { t: 'lit'; value: Literal };

type Segment =
  | { t: 'child'; name: string }
  | { t: 'index'; index: number }
  | { t: 'wild' }
  | { t: 'union'; keys: (string | number)[] }
  | { t: 'slice'; start: number | undefined; end: number | undefined; step: number | undefined }
  | { t: 'deep'; inner: Segment }
  | { t: 'filter'; expr: FilterExpr };

/** A parsed JSONPath. */
export interface ParsedPath {
  readonly source: string;
  readonly segments: readonly Segment[];
  /** True when the path can only match a single value. */
  readonly definite: boolean;
}

/** Raised for a path that does not parse; callers turn it into the right ASL error. */
export class JsonPathSyntaxError extends Error {
  override readonly name = 'JsonPathSyntaxError';
}

const cache = new Map<string, ParsedPath>();

/** Parses (and caches) a JSONPath that starts with `$`. */
export function parsePath(source: string): ParsedPath {
  const hit = cache.get(source);
  if (hit) return hit;
  if (!source.startsWith('$')) throw new JsonPathSyntaxError(`Path must start with '$': ${source}`);
  const parser = new PathParser(source, 1);
  const segments = parser.segments(() => parser.atEnd());
  const parsed: ParsedPath = {
    source,
    segments,
    definite: segments.every((s) => s.t === 'child' || s.t === 'index'),
  };
  if (cache.size > 5000) cache.clear();
  cache.set(source, parsed);
  return parsed;
}

class PathParser {
  constructor(
    readonly src: string,
    public pos: number,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private peek(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  private fail(message: string): never {
    throw new JsonPathSyntaxError(`${message} at position ${this.pos} in '${this.src}'`);
  }

  segments(stop: () => boolean): Segment[] {
    const out: Segment[] = [];
    while (!stop()) {
      const c = this.peek();
      if (c === '.') {
        if (this.peek(1) === '.') {
          this.pos += 2;
          const inner = this.peek() === '[' ? this.bracket() : this.dotMember();
          out.push({ t: 'deep', inner });
        } else {
          this.pos += 1;
          out.push(this.dotMember());
        }
      } else if (c === '[') {
        out.push(this.bracket());
      } else {
        this.fail(`Unexpected '${c}'`);
      }
    }
    return out;
  }

  private dotMember(): Segment {
    if (this.peek() === '*') {
      this.pos += 1;
      return { t: 'wild' };
    }
    const start = this.pos;
    while (!this.atEnd() && !'.[ =!<>&|)'.includes(this.peek())) this.pos += 1;
    if (this.pos === start) this.fail('Empty member name');
    return { t: 'child', name: this.src.slice(start, this.pos) };
  }

  private skipSpaces(): void {
    while (this.peek() === ' ') this.pos += 1;
  }

  private quoted(): string {
    const quote = this.peek();
    this.pos += 1;
    let out = '';
    while (!this.atEnd() && this.peek() !== quote) {
      if (this.peek() === '\\') this.pos += 1;
      out += this.peek();
      this.pos += 1;
    }
    if (this.atEnd()) this.fail('Unterminated string');
    this.pos += 1;
    return out;
  }

  private bracket(): Segment {
    this.pos += 1; // '['
    this.skipSpaces();
    let seg: Segment;
    const c = this.peek();
    if (c === '*') {
      this.pos += 1;
      seg = { t: 'wild' };
    } else if (c === '?') {
      this.pos += 1;
      this.skipSpaces();
      if (this.peek() !== '(') this.fail("Expected '(' after '?'");
      this.pos += 1;
      const expr = this.filterOr();
      this.skipSpaces();
      if (this.peek() !== ')') this.fail("Expected ')'");
      this.pos += 1;
      seg = { t: 'filter', expr };
    } else if (c === "'" || c === '"') {
      const keys: string[] = [this.quoted()];
      this.skipSpaces();
      while (this.peek() === ',') {
        this.pos += 1;
        this.skipSpaces();
        keys.push(this.quoted());
        this.skipSpaces();
      }
      seg = keys.length === 1 ? { t: 'child', name: keys[0] as string } : { t: 'union', keys };
    } else {
      const start = this.pos;
      while (!this.atEnd() && this.peek() !== ']') this.pos += 1;
      const body = this.src.slice(start, this.pos).replace(/\s+/g, '');
      if (body.includes(':')) {
        const [a, b, s] = body.split(':').map((p) => (p === '' ? undefined : toInt(p, this)));
        seg = { t: 'slice', start: a, end: b, step: s };
      } else if (body.includes(',')) {
        seg = { t: 'union', keys: body.split(',').map((p) => toInt(p, this)) };
      } else {
        seg = { t: 'index', index: toInt(body, this) };
      }
    }
    this.skipSpaces();
    if (this.peek() !== ']') this.fail("Expected ']'");
    this.pos += 1;
    return seg;

    function toInt(text: string, self: PathParser): number {
      if (!/^-?\d+$/.test(text)) self.fail(`Invalid index '${text}'`);
      return Number(text);
    }
  }

  private filterOr(): FilterExpr {
    let left = this.filterAnd();
    for (;;) {
      this.skipSpaces();
      if (this.src.startsWith('||', this.pos)) {
        this.pos += 2;
        left = { t: 'or', left, right: this.filterAnd() };
      } else return left;
    }
  }

  private filterAnd(): FilterExpr {
    let left = this.filterUnary();
    for (;;) {
      this.skipSpaces();
      if (this.src.startsWith('&&', this.pos)) {
        this.pos += 2;
        left = { t: 'and', left, right: this.filterUnary() };
      } else return left;
    }
  }

  private filterUnary(): FilterExpr {
    this.skipSpaces();
    if (this.peek() === '!' && this.peek(1) !== '=') {
      this.pos += 1;
      return { t: 'not', inner: this.filterUnary() };
    }
    if (this.peek() === '(') {
      this.pos += 1;
      const inner = this.filterOr();
      this.skipSpaces();
      if (this.peek() !== ')') this.fail("Expected ')'");
      this.pos += 1;
      return inner;
    }
    const left = this.operand();
    this.skipSpaces();
    const op = ['==', '!=', '<=', '>=', '<', '>'].find((o) => this.src.startsWith(o, this.pos));
    if (op === undefined) return { t: 'exists', operand: left };
    this.pos += op.length;
    return { t: 'cmp', op, left, right: this.operand() };
  }

  private operand(): Operand {
    this.skipSpaces();
    const c = this.peek();
    if (c === '@' || c === '$') {
      this.pos += 1;
      const segments = this.segments(() => this.atEnd() || ' )=!<>&|'.includes(this.peek()));
      return { t: 'path', relative: c === '@', segments };
    }
    if (c === "'" || c === '"') return { t: 'lit', value: this.quoted() };
    const m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.src.slice(this.pos));
    if (!m) this.fail('Invalid filter operand');
    this.pos += m[0].length;
    return { t: 'lit', value: JSON.parse(m[0]) as Literal };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  for (const c of children(v)) descendants(c, out);
}

function applySegment(seg: Segment, node: unknown, root: unknown, out: unknown[]): void {
  switch (seg.t) {
    case 'child':
      if (isObject(node) && Object.hasOwn(node, seg.name)) out.push(node[seg.name]);
      return;
    case 'index':
      if (Array.isArray(node)) {
        const i = seg.index < 0 ? node.length + seg.index : seg.index;
        if (i >= 0 && i < node.length) out.push(node[i]);
      }
      return;
    case 'wild':
      out.push(...children(node));
      return;
    case 'union':
      for (const k of seg.keys) {
        applySegment(typeof k === 'number' ? { t: 'index', index: k } : { t: 'child', name: k }, node, root, out);
      }
      return;
    case 'slice': {
      if (!Array.isArray(node)) return;
      const len = node.length;
      const step = seg.step ?? 1;
      const norm = (i: number): number => (i < 0 ? Math.max(0, len + i) : Math.min(len, i));
      const start = seg.start === undefined ? 0 : norm(seg.start);
      const end = seg.end === undefined ? len : norm(seg.end);
      for (let i = start; i < end; i += Math.max(1, step)) out.push(node[i]);
      return;
    }
    case 'deep': {
      const all: unknown[] = [];
      descendants(node, all);
      for (const d of all) applySegment(seg.inner, d, root, out);
      return;
    }
    case 'filter':
      for (const c of children(node)) if (evalFilter(seg.expr, c, root)) out.push(c);
      return;
  }
}

function evalOperand(op: Operand, current: unknown, root: unknown): { found: boolean; value: unknown } {
  if (op.t === 'lit') return { found: true, value: op.value };
  const nodes = evaluateSegments(op.segments, op.relative ? current : root, root);
  const first = nodes[0];
  return nodes.length === 0 ? { found: false, value: undefined } : { found: true, value: first };
}

function evalFilter(expr: FilterExpr, current: unknown, root: unknown): boolean {
  switch (expr.t) {
    case 'or':
      return evalFilter(expr.left, current, root) || evalFilter(expr.right, current, root);
    case 'and':
      return evalFilter(expr.left, current, root) && evalFilter(expr.right, current, root);
    case 'not':
      return !evalFilter(expr.inner, current, root);
    case 'exists':
      return evalOperand(expr.operand, current, root).found;
    case 'cmp': {
      const l = evalOperand(expr.left, current, root);
      const r = evalOperand(expr.right, current, root);
      if (!l.found || !r.found) return false;
      const a = l.value;
      const b = r.value;
      switch (expr.op) {
        case '==':
          return a === b;
        case '!=':
          return a !== b;
      }
      if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
        return false;
      }
      switch (expr.op) {
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        default:
          return a >= b;
      }
    }
  }
}

function evaluateSegments(segments: readonly Segment[], start: unknown, root: unknown): unknown[] {
  let nodes: unknown[] = [start];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const n of nodes) applySegment(seg, n, root, next);
    nodes = next;
  }
  return nodes;
}

/** Result of reading a path: definite paths may find nothing. */
export type PathRead = { found: true; value: unknown } | { found: false };

/**
 * Reads `path` from `data`. A definite path yields its single value (or
 * `found: false`); an indefinite path always yields the array of matches.
 */
export function readPath(data: unknown, path: string | ParsedPath): PathRead {
  const parsed = typeof path === 'string' ? parsePath(path) : path;
  const nodes = evaluateSegments(parsed.segments, data, data);
  if (!parsed.definite) return { found: true, value: nodes };
  return nodes.length === 0 ? { found: false } : { found: true, value: nodes[0] };
}

/**
 * Returns a copy of `data` with `value` written at the definite `path`,
 * creating missing objects on the way. Containers along the path are copied,
 * never mutated, because values are shared between states and history.
 * Throws {@link JsonPathSyntaxError} for paths that cannot be written.
 */
export function writePath(data: unknown, path: string, value: unknown): unknown {
  const parsed = parsePath(path);
  if (!parsed.definite) throw new JsonPathSyntaxError(`Reference path must be definite: ${path}`);
  return writeAt(data, parsed.segments, 0, value, path);
}

function writeAt(node: unknown, segs: readonly Segment[], i: number, value: unknown, path: string): unknown {
  const seg = segs[i];
  if (seg === undefined) return value;
  if (seg.t === 'child') {
    if (node !== undefined && !isObject(node)) {
      throw new JsonPathSyntaxError(`Cannot set field '${seg.name}' of a non-object for path ${path}`);
    }
    const obj = isObject(node) ? node : {};
    return { ...obj, [seg.name]: writeAt(obj[seg.name], segs, i + 1, value, path) };
  }
  if (seg.t === 'index' && Array.isArray(node)) {
    const idx = seg.index < 0 ? node.length + seg.index : seg.index;
    if (idx < 0 || idx >= node.length) throw new JsonPathSyntaxError(`Index out of bounds for path ${path}`);
    const copy = node.slice();
    copy[idx] = writeAt(node[idx], segs, i + 1, value, path);
    return copy;
  }
  throw new JsonPathSyntaxError(`Cannot apply path ${path}`);
}
