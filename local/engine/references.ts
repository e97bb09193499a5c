/**
 * Reference paths of the JSONPath dialect and what they read: `$...` the
 * state's input, `$$...` the context object, `$name...` a workflow variable
 * ("Passing data between states with variables", Step Functions developer
 * guide).
 */
import { parsePath, readPath } from './jsonpath.js';

/** The variables a state can see: its own scope over copies of the outer ones. */
export type Variables = Readonly<Record<string, unknown>>;

/** What a reference path can read. */
export interface Sources {
  input: unknown;
  context: unknown;
  vars?: Variables | undefined;
}

const VARIABLE = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

/** A variable name as Assign may declare it (`$states` is reserved). */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Split = { source: 'input'; path: string } | { source: 'context'; path: string } | { source: 'variable'; name: string; path: string };

function split(expr: string): Split {
  if (expr.startsWith('$$')) return { source: 'context', path: expr.slice(1) };
  const m = VARIABLE.exec(expr);
  if (m) return { source: 'variable', name: m[1] as string, path: `$${m[2] ?? ''}` };
  return { source: 'input', path: expr };
}

/** Throws (JsonPathSyntaxError or Error) when `expr` is not a reference path this dialect reads. */
export function checkReference(expr: string): void {
  const s = split(expr);
  if (s.source === 'variable' && s.name === 'states') throw new Error('$states is reserved for JSONata states');
  parsePath(s.path);
}

/** Reads a reference; `found: false` when the path (or the variable) is not there. */
export function readReference(expr: string, sources: Sources): { found: boolean; value?: unknown } {
  const s = split(expr);
  if (s.source === 'context') return readPath(sources.context, s.path);
  if (s.source === 'input') return readPath(sources.input, s.path);
  const vars = sources.vars ?? {};
  if (!Object.hasOwn(vars, s.name)) return { found: false };
  return readPath(vars[s.name], s.path);
}

/** Where a reference reads from, for error messages. */
export function referenceTarget(expr: string, sources: Sources): unknown {
  const s = split(expr);
  if (s.source === 'context') return sources.context;
  if (s.source === 'input') return sources.input;
  return sources.vars?.[s.name];
}
