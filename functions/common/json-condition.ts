/**
 * A metric analysis's `successCondition`: one JSONPath comparison such as
 * `$.errorRate < 0.01` or `$.checks[0].status == "pass"`, parsed once when the upgrade
 * is created (a bad one is refused there) and evaluated against each JSON answer of the
 * metric webhook. Deliberately small: a path of names and indexes from the root, one of
 * six operators, one literal (number, string, true, false, null). No filters, no
 * wildcards, no arithmetic: a webhook that needs more computes it and answers the result.
 */

export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type Literal = number | string | boolean | null;

export interface JsonCondition {
  /** The path below `$`, one name or index a step. */
  readonly path: readonly (string | number)[];
  readonly operator: ComparisonOperator;
  readonly value: Literal;
}

export type ParsedCondition = { readonly ok: true; readonly condition: JsonCondition } | { readonly ok: false; readonly error: string };

const OPERATORS: readonly ComparisonOperator[] = ['<=', '>=', '==', '!=', '<', '>'];

/**
 * Parses `$.a.b[0] <op> literal`.
 *
 * @example
 * parseCondition('$.errorRate < 0.01') // { ok: true, condition: { path: ['errorRate'], operator: '<', value: 0.01 } }
 */
export function parseCondition(text: string): ParsedCondition {
  const source = text.trim();
  if (!source.startsWith('$')) return { ok: false, error: 'must start with $ (the root of the JSON answer)' };
  const path: (string | number)[] = [];
  let at = 1;
  while (at < source.length) {
    const char = source[at];
    if (char === '.') {
      const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(at + 1));
      if (!name) return { ok: false, error: `a name must follow the dot at position ${at + 1}` };
      path.push(name[0]);
      at += 1 + name[0].length;
    } else if (char === '[') {
      const index = /^\[(\d{1,6})\]/.exec(source.slice(at));
      const quoted = /^\[(?:'([^'\\]*)'|"([^"\\]*)")\]/.exec(source.slice(at));
      if (index) {
        path.push(Number(index[1]));
        at += index[0].length;
      } else if (quoted) {
        path.push(quoted[1] ?? quoted[2] ?? '');
        at += quoted[0].length;
      } else return { ok: false, error: `an index or a quoted name must follow [ at position ${at + 1}` };
    } else break;
  }
  if (path.length === 0) return { ok: false, error: 'compare a field of the answer ($.name), not the whole answer' };
  const rest = source.slice(at).trimStart();
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  if (!operator) return { ok: false, error: `expected one of ${OPERATORS.join(' ')} after the path` };
  const literal = parseLiteral(rest.slice(operator.length).trim());
  if (!literal.ok) return literal;
  const ordering = operator !== '==' && operator !== '!=';
  if (ordering && typeof literal.value !== 'number') return { ok: false, error: `${operator} compares numbers only` };
  return { ok: true, condition: { path, operator, value: literal.value } };
}

function parseLiteral(text: string): { ok: true; value: Literal } | { ok: false; error: string } {
  if (text === '') return { ok: false, error: 'a value must follow the operator' };
  if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
  if (text === 'null') return { ok: true, value: null };
  if (/^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return { ok: true, value: Number(text) };
  const quoted = /^(?:'([^'\\]*)'|"([^"\\]*)")$/.exec(text);
  if (quoted) return { ok: true, value: quoted[1] ?? quoted[2] ?? '' };
  return { ok: false, error: `${JSON.stringify(text.slice(0, 40))} is not a number, a quoted string, true, false or null` };
}

/** What one answer says: the condition held, did not, or the answer lacks a comparable value there. */
export type Evaluation =
  | { readonly outcome: 'passed' | 'failed'; readonly value: Literal }
  | { readonly outcome: 'inconclusive'; readonly detail: string };

/**
 * Evaluates a parsed condition against a parsed JSON answer. A missing field, or one of
 * the wrong type for an ordering comparison, is inconclusive: the webhook did not say.
 */
export function evaluateCondition(condition: JsonCondition, answer: unknown): Evaluation {
  let node: unknown = answer;
  for (const step of condition.path) {
    if (typeof step === 'number' ? !Array.isArray(node) : node === null || typeof node !== 'object' || Array.isArray(node))
      return { outcome: 'inconclusive', detail: `the answer has no ${formatPath(condition.path)}` };
    // Own properties only: `$.constructor` must not find Object's.
    node = Object.hasOwn(node as object, step) ? (node as Record<string | number, unknown>)[step] : undefined;
    if (node === undefined) return { outcome: 'inconclusive', detail: `the answer has no ${formatPath(condition.path)}` };
  }
  if (node !== null && (typeof node === 'object' || typeof node === 'function'))
    return { outcome: 'inconclusive', detail: `${formatPath(condition.path)} is not a number, string, boolean or null` };
  const value = node as Literal;
  const expected = condition.value;
  let held: boolean;
  switch (condition.operator) {
    case '==':
      held = value === expected;
      break;
    case '!=':
      held = value !== expected;
      break;
    default: {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return { outcome: 'inconclusive', detail: `${formatPath(condition.path)} is not a number` };
      const limit = expected as number;
      held =
        condition.operator === '<'
          ? value < limit
          : condition.operator === '<='
            ? value <= limit
            : condition.operator === '>'
              ? value > limit
              : value >= limit;
    }
  }
  return { outcome: held ? 'passed' : 'failed', value };
}

export function formatPath(path: readonly (string | number)[]): string {
  return `$${path.map((step) => (typeof step === 'number' ? `[${step}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(step) ? `.${step}` : `['${step}']`)).join('')}`;
}
