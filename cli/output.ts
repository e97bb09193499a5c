/**
 * What a command prints: JSON and YAML as the API answered; tables for people, with the
 * columns a resource is known by first. Errors as the problem's title, detail and fields.
 */
import { stringify } from 'yaml';
import type { ApiError } from './client/index.js';
import type { Output } from './context.js';
import { UsageError } from './errors.js';

/** The columns a list shows first, by the id field its items carry. */
const COLUMNS: Readonly<Record<string, readonly string[]>> = {
  executionId: ['executionId', 'project', 'service', 'strategy', 'status', 'fromVersion', 'toVersion', 'progress', 'createdAt'],
  runId: ['runId', 'name', 'componentId', 'toVersion', 'status', 'emergency', 'counts', 'createdAt'],
  stepId: [
    'stepId',
    'sourceProjectName',
    'sourceServiceName',
    'destinationProjectName',
    'destinationServiceName',
    'autoValidationDelayDays',
  ],
  versionId: ['version', 'channel', 'security', 'publishedAt', 'notes'],
  componentId: ['componentId', 'name', 'description'],
  instanceId: ['instanceId', 'batch', 'status', 'attempts', 'detail'],
  cursor: ['at', 'type', 'actor', 'executionId', 'runId', 'detail'],
};

export function render(value: unknown, output: Output): string {
  if (output === 'json') return JSON.stringify(value, null, 2);
  if (output === 'yaml') return stringify(value).trimEnd();
  return table(value);
}

/**
 * `--query PATH`: the part of an answer a dotted path names (`executionId`,
 * `progress.completed`, `items.version`). Over a list, a name takes that field from every
 * item that has it and a number picks an item (`items.0.version`). A path that names
 * nothing (a typo) is a usage error that lists the fields there are.
 */
export function select(value: unknown, path: string): unknown {
  const missing = Symbol('missing');
  let nearest: { at: string; there: string } | undefined;
  const walk = (current: unknown, names: readonly string[], at: string): unknown => {
    const [name, ...rest] = names;
    if (name === undefined) return current;
    const here = at ? `${at}.${name}` : name;
    if (Array.isArray(current)) {
      if (/^\d+$/.test(name)) {
        if (Number(name) < current.length) return walk(current[Number(name)], rest, here);
        nearest ??= { at: here, there: ` (a list of ${current.length})` };
        return missing;
      }
      const found = current.map((item) => walk(item, names, at)).filter((item) => item !== missing);
      return found.length > 0 || current.length === 0 ? found : missing;
    }
    if (current !== null && typeof current === 'object' && name in current)
      return walk((current as Record<string, unknown>)[name], rest, here);
    const fields = current !== null && typeof current === 'object' ? Object.keys(current) : [];
    nearest ??= { at: here, there: fields.length > 0 ? ` (fields there: ${fields.join(', ')})` : '' };
    return missing;
  };
  const selected = walk(value, path.split('.'), '');
  if (selected !== missing) return selected;
  throw new UsageError(`--query ${path}: the answer has no ${nearest?.at ?? path}${nearest?.there ?? ''}`);
}

/** What `--query` selected: a value, or one line per value of a list, as plain text; objects as tables; JSON or YAML as asked. */
export function renderSelection(value: unknown, output: Output): string {
  const plain = (item: unknown) => item === null || typeof item !== 'object';
  if (output === 'table' && (plain(value) || (Array.isArray(value) && value.every(plain))))
    return (Array.isArray(value) ? value : [value]).map((item) => (item === null ? '' : String(item))).join('\n');
  return render(value, output);
}

function table(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return String(value);
  const items = Array.isArray(value) ? value : (value as { items?: unknown }).items;
  if (Array.isArray(items)) {
    const rows = items as Record<string, unknown>[];
    return rows.length === 0 ? '(none)' : grid(rows, columnsOf(rows));
  }
  return Object.entries(value as Record<string, unknown>)
    .map(([key, field]) => `${`${key}:`.padEnd(24)} ${cell(field, 400)}`)
    .join('\n');
}

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const first = rows[0] ?? {};
  const known = Object.keys(COLUMNS).find((id) => id in first);
  if (known) return (COLUMNS[known] ?? []).filter((column) => rows.some((row) => row[column] !== undefined));
  return Object.keys(first)
    .filter((key) => typeof first[key] !== 'object' || first[key] === null)
    .slice(0, 7);
}

function grid(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(row[column], 60)));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((text, index) => text.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.toUpperCase())), ...cells.map(line)].join('\n');
}

/** One table cell: objects compact (`progress` as `3/10 (1 failed)`), long text cut. */
function cell(value: unknown, max: number): string {
  if (value === undefined || value === null) return '';
  let text: string;
  if (typeof value === 'object' && value !== null && 'total' in value && 'completed' in value) {
    const { total, completed, failed } = value as { total: number; completed: number; failed?: number };
    text = `${completed}/${total}${failed ? ` (${failed} failed)` : ''}`;
  } else text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The hint a table gives when a list has more pages (on stderr: stdout stays the table). */
export function moreHint(value: unknown): string | undefined {
  const next =
    value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { nextToken?: unknown }).nextToken : undefined;
  return typeof next === 'string' ? 'more: --all for every page, or --next-token <the nextToken of -o json>' : undefined;
}

/**
 * A problem as a person reads it: `Error 422 Unprocessable content: detail`, then each
 * field with its code; as JSON or YAML (the problem as the API sent it) for `-o json|yaml`.
 */
export function describeProblem(error: ApiError, output: Output = 'table'): string {
  const { problem, status } = error;
  if (output !== 'table') return render({ status, ...problem }, output);
  const lines = [`Error ${status} ${problem.title ?? ''}: ${problem.detail ?? ''}`.replace(/: $/, '')];
  for (const field of problem.errors ?? []) lines.push(`  ${field.field}: ${field.message}${field.code ? ` (${field.code})` : ''}`);
  for (const blocker of (problem.blockers as { code: string; reason: string }[] | undefined) ?? [])
    lines.push(`  blocker ${blocker.code}: ${blocker.reason}`);
  if (typeof problem.currentStatus === 'string') lines.push(`  current status: ${problem.currentStatus}`);
  return lines.join('\n');
}
