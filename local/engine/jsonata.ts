/**
 * The JSONata query language of Step Functions ("Transforming data with
 * JSONata in Step Functions", developer guide): any string of the form
 * `{% expression %}` in Arguments, Output, Assign, Items, ItemSelector,
 * Condition, Error, Cause and the number fields is a JSONata expression,
 * evaluated with `$states` (`input`, `result`, `errorOutput`, `context`) and
 * the workflow variables bound. A failed evaluation is the catchable
 * `States.QueryEvaluationError`.
 */
import jsonata from 'jsonata';
import { StatesError } from './errors.js';
import { toPlainJson } from './json.js';
import type { Variables } from './references.js';

/** The error name of a JSONata expression that fails. */
export const QUERY_EVALUATION_ERROR = 'States.QueryEvaluationError';

/** `$states` of a JSONata state. */
export interface StatesBinding {
  input: unknown;
  context: unknown;
  result?: unknown;
  errorOutput?: unknown;
}

const cache = new Map<string, jsonata.Expression>();

/** True for a `{% ... %}` string. */
export function isJsonataExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{%') && value.endsWith('%}');
}

function compile(source: string, field: string): jsonata.Expression {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source.slice(2, -2));
  } catch (err) {
    throw new StatesError(
      QUERY_EVALUATION_ERROR,
      `The JSONata expression of the field '${field}' does not parse: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (cache.size > 5000) cache.clear();
  cache.set(source, expression);
  return expression;
}

async function evaluate(source: string, field: string, states: StatesBinding, vars: Variables | undefined): Promise<unknown> {
  const expression = compile(source, field);
  // JSONata works on plain numbers: integers beyond 2^53 are doubles here.
  const bindings = { ...(toPlainJson(vars ?? {}) as Record<string, unknown>), states: toPlainJson(states) };
  let value: unknown;
  try {
    value = await expression.evaluate(toPlainJson(states.input), bindings);
  } catch (err) {
    const e = err as { message?: string; code?: string };
    throw new StatesError(
      QUERY_EVALUATION_ERROR,
      `An error occurred while evaluating the field '${field}': ${e.code ?? ''} ${e.message ?? ''}`.trim(),
      {
        cause: err,
      },
    );
  }
  // JSONata sequences are arrays with extra properties: hand back plain JSON.
  return value === undefined ? undefined : toPlainJson(value);
}

/**
 * Evaluates a JSONata template: a `{% %}` string is replaced by its value,
 * objects and arrays are walked, other values are kept as they are.
 */
export async function evaluateJsonata(
  template: unknown,
  field: string,
  states: StatesBinding,
  vars: Variables | undefined,
): Promise<unknown> {
  if (isJsonataExpression(template)) return evaluate(template, field, states, vars);
  if (Array.isArray(template)) return Promise.all(template.map((v, i) => evaluateJsonata(v, `${field}[${i}]`, states, vars)));
  if (typeof template !== 'object' || template === null) return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    const v = await evaluateJsonata(value, `${field}.${key}`, states, vars);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
