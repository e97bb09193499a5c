/**
 * `sluice apply -f FILE`: a YAML (or JSON) file of services, upgrade steps, update
 * strategies and auto-upgrade profiles, each written as the API's create body. Every
 * entry is read from the API first and compared with what the file says: missing ones
 * are created, differing ones updated (only the fields the file names), the rest left
 * alone; the plan is printed first, and `--dry-run` stops there. A second apply of the
 * same file changes nothing. Nothing is deleted: an entry removed from the file stays.
 *
 * Not compared: a service's `version` once it exists (upgrades move it, not apply), and
 * the identity fields (a service's `componentId`, a profile's `componentId`), which the
 * API cannot change: a difference there is reported and refused.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { ApiError, unwrap } from '../client/index.js';
import type { paths } from '../client/schema.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';

type Body<P extends keyof paths, M extends 'post' | 'patch' | 'put'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
type ServiceBody = Body<'/v1/tenants/{tenantId}/projects/{projectName}/services', 'post'> & { project: string };
type StepBody = Body<'/v1/tenants/{tenantId}/upgrade-pipeline/steps', 'post'>;
type StrategyBody = Body<'/v1/tenants/{tenantId}/update-strategies', 'post'>;
type ProfileBody = Body<'/v1/tenants/{tenantId}/auto-upgrade-profiles', 'post'>;

interface ApplyFile {
  readonly services?: ServiceBody[];
  readonly steps?: StepBody[];
  readonly strategies?: StrategyBody[];
  readonly profiles?: ProfileBody[];
}

export interface Change {
  readonly action: 'create' | 'update' | 'unchanged' | 'refused';
  readonly kind: 'service' | 'step' | 'strategy' | 'profile';
  readonly key: string;
  readonly fields?: readonly string[];
  readonly reason?: string;
  /** Applies the change. */
  readonly apply?: () => Promise<unknown>;
}

/**
 * Whether `current` already says what `desired` says: objects compare only the keys
 * `desired` names (the API adds defaults and ids); arrays compare element by element.
 */
export function covers(current: unknown, desired: unknown): boolean {
  if (Array.isArray(desired))
    return Array.isArray(current) && current.length === desired.length && desired.every((item, index) => covers(current[index], item));
  if (desired !== null && typeof desired === 'object') {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return false;
    return Object.entries(desired).every(([key, value]) => covers((current as Record<string, unknown>)[key], value));
  }
  return current === desired;
}

const differing = (current: Record<string, unknown>, desired: Record<string, unknown>, skip: readonly string[]) =>
  Object.keys(desired).filter((key) => !skip.includes(key) && !covers(current[key], desired[key]));

async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, source[key]]));
}

export async function plan(ctx: Context, file: ApplyFile): Promise<Change[]> {
  const tenantId = ctx.tenant();
  const { client } = ctx;
  const changes: Change[] = [];

  for (const desired of file.services ?? []) {
    const { project, ...body } = desired;
    if (!project || !body.name) throw new UsageError('every service needs project and name');
    const path = { tenantId, projectName: project };
    const key = `${project}/${body.name}`;
    const current = await orMissing(async () =>
      unwrap(
        await client.GET('/v1/tenants/{tenantId}/projects/{projectName}/services/{serviceName}', {
          params: { path: { ...path, serviceName: body.name } },
        }),
      ),
    );
    if (!current) {
      changes.push({
        action: 'create',
        kind: 'service',
        key,
        apply: async () => unwrap(await client.POST('/v1/tenants/{tenantId}/projects/{projectName}/services', { params: { path }, body })),
      });
      continue;
    }
    if (current.componentId !== body.componentId) {
      changes.push({
        action: 'refused',
        kind: 'service',
        key,
        reason: `componentId is ${current.componentId}; a service cannot change component`,
      });
      continue;
    }
    const fields = differing(current as Record<string, unknown>, body as Record<string, unknown>, ['name', 'componentId', 'version']);
    changes.push(
      fields.length === 0
        ? { action: 'unchanged', kind: 'service', key }
        : {
            action: 'update',
            kind: 'service',
            key,
            fields,
            apply: async () =>
              unwrap(
                await client.PATCH('/v1/tenants/{tenantId}/projects/{projectName}/services/{serviceName}', {
                  params: { path: { ...path, serviceName: body.name } },
                  body: pick(body as Record<string, unknown>, fields),
                }),
              ),
          },
    );
  }

  if ((file.steps ?? []).length > 0) {
    const existing: {
      stepId: string;
      sourceProjectName: string;
      sourceServiceName: string;
      destinationProjectName: string;
      destinationServiceName: string;
      autoValidationDelayDays: number;
    }[] = [];
    let nextToken: string | undefined;
    do {
      const page = unwrap(
        await client.GET('/v1/tenants/{tenantId}/upgrade-pipeline/steps', {
          params: { path: { tenantId }, query: { limit: 100, ...(nextToken ? { nextToken } : {}) } },
        }),
      );
      existing.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    for (const desired of file.steps ?? []) {
      const key = `${desired.sourceProjectName}/${desired.sourceServiceName} -> ${desired.destinationProjectName}/${desired.destinationServiceName}`;
      const current = existing.find(
        (step) =>
          step.sourceProjectName === desired.sourceProjectName &&
          step.sourceServiceName === desired.sourceServiceName &&
          step.destinationProjectName === desired.destinationProjectName &&
          step.destinationServiceName === desired.destinationServiceName,
      );
      if (!current) {
        changes.push({
          action: 'create',
          kind: 'step',
          key,
          apply: async () =>
            unwrap(await client.POST('/v1/tenants/{tenantId}/upgrade-pipeline/steps', { params: { path: { tenantId } }, body: desired })),
        });
      } else if (desired.autoValidationDelayDays !== undefined && desired.autoValidationDelayDays !== current.autoValidationDelayDays) {
        changes.push({
          action: 'update',
          kind: 'step',
          key,
          fields: ['autoValidationDelayDays'],
          apply: async () =>
            unwrap(
              await client.PATCH('/v1/tenants/{tenantId}/upgrade-pipeline/steps/{stepId}', {
                params: { path: { tenantId, stepId: current.stepId } },
                body: { autoValidationDelayDays: desired.autoValidationDelayDays as number },
              }),
            ),
        });
      } else changes.push({ action: 'unchanged', kind: 'step', key });
    }
  }

  for (const desired of file.strategies ?? []) {
    const path = { tenantId, strategyName: desired.name };
    const current = await orMissing(async () =>
      unwrap(await client.GET('/v1/tenants/{tenantId}/update-strategies/{strategyName}', { params: { path } })),
    );
    if (!current) {
      changes.push({
        action: 'create',
        kind: 'strategy',
        key: desired.name,
        apply: async () =>
          unwrap(await client.POST('/v1/tenants/{tenantId}/update-strategies', { params: { path: { tenantId } }, body: desired })),
      });
    } else if (!covers(current.stages, desired.stages)) {
      changes.push({
        action: 'update',
        kind: 'strategy',
        key: desired.name,
        fields: ['stages'],
        apply: async () =>
          unwrap(
            await client.PUT('/v1/tenants/{tenantId}/update-strategies/{strategyName}', {
              params: { path },
              body: { stages: desired.stages },
            }),
          ),
      });
    } else changes.push({ action: 'unchanged', kind: 'strategy', key: desired.name });
  }

  for (const desired of file.profiles ?? []) {
    const path = { tenantId, profileName: desired.name };
    const current = await orMissing(async () =>
      unwrap(await client.GET('/v1/tenants/{tenantId}/auto-upgrade-profiles/{profileName}', { params: { path } })),
    );
    if (!current) {
      changes.push({
        action: 'create',
        kind: 'profile',
        key: desired.name,
        apply: async () =>
          unwrap(await client.POST('/v1/tenants/{tenantId}/auto-upgrade-profiles', { params: { path: { tenantId } }, body: desired })),
      });
      continue;
    }
    if (current.componentId !== desired.componentId) {
      changes.push({
        action: 'refused',
        kind: 'profile',
        key: desired.name,
        reason: `componentId is ${current.componentId}; a profile cannot change component`,
      });
      continue;
    }
    const fields = differing(current as Record<string, unknown>, desired as Record<string, unknown>, ['name', 'componentId']);
    changes.push(
      fields.length === 0
        ? { action: 'unchanged', kind: 'profile', key: desired.name }
        : {
            action: 'update',
            kind: 'profile',
            key: desired.name,
            fields,
            apply: async () =>
              unwrap(
                await client.PATCH('/v1/tenants/{tenantId}/auto-upgrade-profiles/{profileName}', {
                  params: { path },
                  body: pick(desired as Record<string, unknown>, fields),
                }),
              ),
          },
    );
  }
  return changes;
}

const SYMBOL = { create: '+', update: '~', unchanged: '=', refused: '!' } as const;

export function planText(changes: readonly Change[]): string {
  const lines = changes.map(
    (change) =>
      `${SYMBOL[change.action]} ${change.action.padEnd(9)} ${change.kind} ${change.key}${change.fields ? ` (${change.fields.join(', ')})` : ''}${change.reason ? `: ${change.reason}` : ''}`,
  );
  const count = (action: Change['action']) => changes.filter((change) => change.action === action).length;
  const summary =
    count('create') + count('update') === 0
      ? 'No changes.'
      : `Plan: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged.`;
  return [...lines, summary, ...(count('refused') > 0 ? [`${count('refused')} refused: fix the file.`] : [])].join('\n');
}

export function readApplyFile(path: string): ApplyFile {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new UsageError(`-f: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new UsageError(`-f ${path}: not YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`-f ${path}: expected a mapping of services, steps, strategies, profiles`);
  const unknown = Object.keys(value).filter((key) => !['services', 'steps', 'strategies', 'profiles'].includes(key));
  if (unknown.length > 0)
    throw new UsageError(`-f ${path}: unknown section(s) ${unknown.join(', ')} (services, steps, strategies, profiles)`);
  for (const [section, entries] of Object.entries(value)) {
    if (!Array.isArray(entries)) throw new UsageError(`-f ${path}: ${section} must be a list`);
  }
  return value as ApplyFile;
}

export function registerApply(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('apply')
    .description('Create or update the services, steps, strategies and profiles a file describes; print the plan first.')
    .requiredOption('-f, --file <path>', 'the YAML or JSON file (- for stdin)')
    .option('--dry-run', 'print the plan and change nothing')
    .addHelpText('after', '\nExample:\n  sluice apply -f fleet.yaml --dry-run\n')
    .action(async (options: { file: string; dryRun?: boolean }, cmd: Command) => {
      const file = readApplyFile(options.file);
      const ctx = context(cmd);
      const changes = await plan(ctx, file);
      const shown = changes.map(({ apply: _apply, ...change }) => change);
      if (ctx.output === 'table') ctx.out(planText(changes));
      if (changes.some((change) => change.action === 'refused')) {
        if (ctx.output !== 'table') ctx.out(JSON.stringify({ changes: shown }, null, 2));
        throw new UsageError('apply: some entries cannot be applied (see the plan)');
      }
      if (!options.dryRun) {
        for (const change of changes) await change.apply?.();
        if (ctx.output === 'table' && changes.some((change) => change.apply)) ctx.out('Applied.');
      }
      if (ctx.output !== 'table') ctx.out(JSON.stringify({ changes: shown, applied: !options.dryRun }, null, 2));
    });
}
