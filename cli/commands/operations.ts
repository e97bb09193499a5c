/**
 * One command per API operation, made from the command table and the generated
 * operation specs: positional arguments, a flag per query parameter and body field,
 * `--body FILE` for a whole body (JSON or YAML, `-` for stdin), `--all` to page through a list.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { unwrap } from '../client/index.js';
import { OPERATIONS } from '../client/operations.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { FieldSpec, OperationSpec } from '../generate.js';
import { moreHint, render, renderSelection, select } from '../output.js';
import type { CommandSpec } from './table.js';

export const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** Flags every command has (program-level): a field cannot take their names. */
export const GLOBAL_FLAGS = [
  'endpoint',
  'token',
  'tenant',
  'profile',
  'local',
  'user',
  'output',
  'query',
  'help',
  'project',
  'body',
  'all',
];

export function operationSpec(id: string): OperationSpec {
  const spec = (OPERATIONS as readonly OperationSpec[]).find((operation) => operation.id === id);
  if (!spec) throw new Error(`no operation ${id} in the generated client`);
  return spec;
}

/** Reads a `json` flag's value: inline JSON or YAML, or `@file` (JSON or YAML). */
export function readStructured(text: string, flag: string): unknown {
  const source = text.startsWith('@') ? readFile(text.slice(1), flag) : text;
  try {
    return parseYaml(source);
  } catch (error) {
    throw new UsageError(`--${flag}: not JSON or YAML (${(error as Error).message.split('\n')[0]})`);
  }
}

function readFile(path: string, flag: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function convert(field: FieldSpec, value: unknown, flag: string): unknown {
  if (value === undefined) return undefined;
  switch (field.type) {
    case 'integer':
    case 'number': {
      const number = Number(value);
      if (value === '' || !Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number)))
        throw new UsageError(`--${flag} takes ${field.type === 'integer' ? 'an integer' : 'a number'}, not ${String(value)}`);
      return number;
    }
    case 'string[]':
      return String(value)
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    case 'json':
      return readStructured(String(value), flag);
    default:
      return value;
  }
}

function optionsFor(field: FieldSpec, flag: string): Option[] {
  // The document's description when it has one; else what the field is called and takes.
  const described = field.description ?? `the request's ${field.name}${field.type === 'json' ? ' (see /docs for its shape)' : ''}`;
  const description = [described, field.required ? '(required)' : ''].filter(Boolean).join(' ');
  if (field.type === 'boolean') return [new Option(`--${flag}`, description), new Option(`--no-${flag}`, `set ${field.name} to false`)];
  const placeholder = field.type === 'json' ? '<json|yaml|@file>' : field.type === 'string[]' ? '<a,b>' : `<${field.type}>`;
  const option = new Option(`--${flag} ${placeholder}`, description);
  if (field.enum) option.choices(field.enum);
  return [option];
}

export interface Invocation {
  readonly spec: OperationSpec;
  readonly path: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body?: Record<string, unknown>;
}

/** Adds the command of `command` to `parent` (its group), with `run` acting on the parsed input. */
export function addOperationCommand(
  parent: Command,
  command: CommandSpec,
  context: (cmd: Command) => Context,
  run: (ctx: Context, invocation: Invocation, options: Record<string, unknown>) => Promise<void> = callAndPrint,
): Command {
  const spec = operationSpec(command.op);
  const args = command.args ?? [];
  const leaf = parent.command(command.words[command.words.length - 1] ?? command.op);
  const summary = command.description ?? `${spec.summary.replace(/\.$/, '')}.`;
  leaf.summary(summary).description(spec.roles ? `${summary}\n${spec.roles}` : summary);
  for (const arg of args) leaf.argument(`<${kebab(arg)}>`);
  const flagOf = (field: FieldSpec) => command.flags?.[field.name] ?? kebab(field.name);
  const bodyFields = (spec.body?.fields ?? []).filter((field) => !args.includes(field.name) && field.name !== 'project');
  const queryFields = spec.query;
  for (const field of [...queryFields, ...bodyFields]) {
    const flag = flagOf(field);
    if (GLOBAL_FLAGS.includes(flag)) throw new Error(`${command.op}: field ${field.name} would take the global flag --${flag}`);
    for (const option of optionsFor(field, flag)) leaf.addOption(option);
  }
  const projectInBody = (spec.body?.fields ?? []).some((field) => field.name === 'project');
  if (spec.pathParams.includes('projectName') || projectInBody) leaf.option('--project <name>', 'the project (required)');
  if (spec.body) leaf.option('--body <json|yaml|@file|->', 'the whole request body (flags override its fields)');
  if (queryFields.some((field) => field.name === 'nextToken') && !queryFields.some((field) => field.name === 'after'))
    leaf.option('--all', 'every page, not only the first');
  leaf.addHelpText('after', `\nExample:\n  ${command.example}\n`);
  leaf.action(async (...received: unknown[]) => {
    const cmd = received[received.length - 1] as Command;
    const options = cmd.opts() as Record<string, unknown>;
    const ctx = context(cmd);
    const values = received.slice(0, args.length) as string[];
    const path: Record<string, string> = {};
    const body: Record<string, unknown> = {};
    if (spec.body && options.body !== undefined) {
      const given = options.body === '-' ? readStructured('@-', 'body') : readStructured(String(options.body), 'body');
      if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new UsageError('--body must be an object');
      Object.assign(body, given);
    }
    args.forEach((arg, index) => {
      if (spec.pathParams.includes(arg)) path[arg] = values[index] ?? '';
      else body[arg] = values[index];
    });
    for (const param of spec.pathParams) {
      if (param === 'tenantId') path.tenantId = ctx.tenant();
      else if (param === 'projectName') path.projectName = requireProject(options);
    }
    if (projectInBody && options.project !== undefined) body.project = options.project;
    const query: Record<string, unknown> = {};
    for (const field of queryFields) {
      const value = convert(field, options[camel(flagOf(field))], flagOf(field));
      if (value !== undefined) query[field.name] = Array.isArray(value) ? value.join(',') : value;
    }
    for (const field of bodyFields) {
      const value = convert(field, options[camel(flagOf(field))], flagOf(field));
      if (value !== undefined) body[field.name] = value;
    }
    await run(ctx, { spec, path, query, ...(spec.body ? { body } : {}) }, options);
  });
  return leaf;
}

function requireProject(options: Record<string, unknown>): string {
  if (typeof options.project !== 'string' || options.project === '') throw new UsageError('--project is required');
  return options.project;
}

/** Calls the operation (every page with `--all`) and prints the answer. */
export async function callAndPrint(ctx: Context, invocation: Invocation, options: Record<string, unknown>): Promise<void> {
  let answer = await call(ctx, invocation);
  if (options.all === true) {
    const items = [...((answer as { items?: unknown[] }).items ?? [])];
    let next = (answer as { nextToken?: string }).nextToken;
    while (next) {
      const page = (await call(ctx, { ...invocation, query: { ...invocation.query, nextToken: next } })) as {
        items?: unknown[];
        nextToken?: string;
      };
      items.push(...(page.items ?? []));
      next = page.nextToken;
    }
    answer = { items };
  }
  if (answer === undefined) {
    // No content (a delete): an empty object for machines (JSON and YAML alike), a word for people.
    ctx.out(ctx.output === 'table' ? 'done' : '{}');
    return;
  }
  ctx.out(ctx.query === undefined ? render(answer, ctx.output) : renderSelection(select(answer, ctx.query), ctx.output));
  const hint = ctx.output === 'table' && ctx.query === undefined && options.all !== true ? moreHint(answer) : undefined;
  if (hint) ctx.err(hint);
}

/** One call of an operation through the typed client. */
export async function call(ctx: Context, { spec, path, query, body }: Invocation): Promise<unknown> {
  const client = ctx.client as unknown as {
    request: (
      method: string,
      url: string,
      init: Record<string, unknown>,
    ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  };
  return unwrap(
    await client.request(spec.method.toLowerCase(), spec.path, {
      params: { path, query },
      ...(body === undefined ? {} : { body }),
    }),
  );
}
