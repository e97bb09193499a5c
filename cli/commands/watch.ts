/**
 * `sluice upgrade watch ID` and `sluice run watch ID`: follow the timeline with the events
 * feed's long poll (no polling of the resource on a timer) and show where the rollout is.
 * On a terminal: a block redrawn in place (status, batches, an instance bar, the waiting
 * gate and the command that approves it) above the latest events. Otherwise: one plain
 * line per event, then the final status. Exit 0 on COMPLETED, 3 on any other end.
 */
import type { Command } from 'commander';
import { unwrap } from '../client/index.js';
import type { components } from '../client/schema.js';
import type { Context } from '../context.js';
import { EXIT, ExitCode } from '../errors.js';
import { render } from '../output.js';

const UPGRADE_ENDS = ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];
/** A stopped run can be started again, but a watch of it has nothing more to follow. */
const RUN_ENDS = ['COMPLETED', 'FAILED', 'CANCELLED', 'STOPPED'];
const WAIT_SECONDS = 20;

type Event = components['schemas']['TimelineEvent'];
type Upgrade = components['schemas']['Upgrade'];
type UpdateRun = components['schemas']['UpdateRun'];

/** A detail value on one line: lists and objects by their size (`preChecks=5 items`), text cut at 80. */
function compact(value: unknown): string {
  if (Array.isArray(value))
    return value.every((item) => typeof item !== 'object') && value.length <= 5 ? value.join(',') : `${value.length} items`;
  if (value !== null && typeof value === 'object') {
    const text = JSON.stringify(value);
    return text.length <= 80 ? text : `{${Object.keys(value).join(',')}}`;
  }
  const text = String(value).replace(/\s+/g, ' ');
  return text.length <= 80 ? text : `${text.slice(0, 79)}…`;
}

/** `12:04:05  BatchStarted            batch=1 instances=5  (olga)` */
export function eventLine(event: Event): string {
  const time = event.at.slice(11, 19);
  const detail = Object.entries(event.detail ?? {})
    .map(([key, value]) => `${key}=${compact(value)}`)
    .join(' ');
  return [time, event.type.padEnd(22), detail, event.actor && event.actor !== 'sluice' ? `(${event.actor})` : '']
    .filter(Boolean)
    .join('  ')
    .trimEnd();
}

/** `[########----------]`: completed, then failed (x), then what is left. */
export function bar(completed: number, failed: number, total: number, width = 30): string {
  if (total <= 0) return `[${'-'.repeat(width)}]`;
  const done = Math.round((completed / total) * width);
  const bad = Math.min(width - done, Math.round((failed / total) * width));
  return `[${'#'.repeat(done)}${'x'.repeat(bad)}${'-'.repeat(width - done - bad)}]`;
}

export function upgradeBlock(execution: Upgrade): string[] {
  const progress = execution.progress ?? { total: 0, completed: 0, failed: 0 };
  const lines = [
    `${execution.executionId}  ${execution.project}/${execution.service}  ${execution.fromVersion} -> ${execution.toVersion}  ${execution.strategy}  ${execution.status}`,
    `batches ${execution.completedBatches ?? 0}/${execution.totalBatches ?? '?'}   instances ${bar(progress.completed, progress.failed, progress.total)} ${progress.completed}/${progress.total}${progress.failed ? `, ${progress.failed} failed` : ''}`,
  ];
  const waiting = execution.waitingFor as
    | { gate: string; stage?: string; since: string; timeoutAt?: string; onTimeout?: string }
    | undefined;
  if (waiting) {
    lines.push(
      `waiting for approval: ${waiting.gate}${waiting.stage ? ` (stage ${waiting.stage})` : ''} since ${waiting.since}${waiting.timeoutAt ? `, then ${waiting.onTimeout ?? 'reject'} at ${waiting.timeoutAt}` : ''}`,
      `  approve: sluice upgrade approve ${execution.executionId} --comment "…"   reject: sluice upgrade reject ${execution.executionId}`,
    );
  }
  if (execution.statusReason) lines.push(`reason: ${execution.statusReason}`);
  return lines;
}

export function runBlock(run: UpdateRun): string[] {
  const counts: Partial<Record<string, number>> = run.counts ?? {};
  const total = Object.values(counts).reduce((sum: number, n) => sum + (n ?? 0), 0);
  const lines = [
    `${run.runId}  ${run.name}  -> ${run.toVersion}${run.emergency ? '  EMERGENCY' : ''}  ${run.status}`,
    `members ${bar(counts.COMPLETED ?? 0, counts.FAILED ?? 0, total)} ${counts.COMPLETED ?? 0}/${total} completed, ${counts.RUNNING ?? 0} running, ${counts.WAITING ?? 0} waiting, ${counts.FAILED ?? 0} failed, ${counts.SKIPPED ?? 0} skipped`,
  ];
  for (const stage of run.stages ?? []) {
    const members = stage.groups.flatMap((group) => group.members);
    const done = members.filter((member) => ['COMPLETED', 'SKIPPED'].includes(member.status)).length;
    lines.push(`  stage ${stage.name}: ${stage.status} ${done}/${members.length}`);
    for (const gate of [
      ...stage.beforeGates,
      ...stage.afterGates,
      ...stage.groups.flatMap((group) => [...group.beforeGates, ...group.afterGates]),
    ]) {
      if (gate.status !== 'WAITING' || gate.type !== 'approval') continue;
      lines.push(`    gate ${gate.gateId} waits for approval: sluice run approve ${run.runId} ${gate.gateId} --comment "…"   (or reject)`);
    }
  }
  if (run.statusReason) lines.push(`reason: ${run.statusReason}`);
  return lines;
}

interface Target {
  readonly kind: 'upgrade' | 'run';
  readonly id: string;
}

/** Follows until the end; answers the final state (the exit code follows from its status). */
async function follow(ctx: Context, target: Target, recent: number): Promise<Upgrade | UpdateRun> {
  const tenantId = ctx.tenant();
  const read = async () =>
    target.kind === 'upgrade'
      ? unwrap(
          await ctx.client.GET('/v1/tenants/{tenantId}/upgrades/{executionId}', { params: { path: { tenantId, executionId: target.id } } }),
        )
      : unwrap(await ctx.client.GET('/v1/tenants/{tenantId}/update-runs/{runId}', { params: { path: { tenantId, runId: target.id } } }));
  const events = async (after: string | undefined, waitSeconds: number) => {
    const query = { ...(after ? { after } : {}), waitSeconds, limit: 100 };
    return target.kind === 'upgrade'
      ? unwrap(
          await ctx.client.GET('/v1/tenants/{tenantId}/upgrades/{executionId}/events', {
            params: { path: { tenantId, executionId: target.id }, query },
          }),
        )
      : unwrap(
          await ctx.client.GET('/v1/tenants/{tenantId}/update-runs/{runId}/events', {
            params: { path: { tenantId, runId: target.id }, query },
          }),
        );
  };
  const ends = target.kind === 'upgrade' ? UPGRADE_ENDS : RUN_ENDS;
  const block = (state: Upgrade | UpdateRun) => ('executionId' in state ? upgradeBlock(state) : runBlock(state));

  let state: Upgrade | UpdateRun = await read();
  let cursor: string | undefined;
  const latest: string[] = [];
  let drawn = 0;
  const draw = () => {
    if (!ctx.tty) return;
    const lines = [...block(state), '', ...latest.slice(-recent)];
    // Up over what was drawn, clear to the end, draw again.
    ctx.out(`${drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : ''}${lines.join('\n')}`);
    drawn = lines.length;
  };
  if (!ctx.tty) ctx.out(block(state)[0] ?? '');
  draw();
  let lastWaiting = '';
  // Ended as last read: the events of that end were committed with it, so one more read
  // of the timeline (without waiting) shows them before the watch stops.
  let ended = ends.includes(state.status);
  for (;;) {
    // The whole timeline first (no wait until it is read), then long polls.
    const page = await events(cursor, cursor === undefined || ended ? 0 : WAIT_SECONDS);
    cursor = page.cursor;
    for (const event of page.items) {
      if (ctx.tty) latest.push(eventLine(event));
      else ctx.out(eventLine(event));
    }
    if (ended && page.nextToken === undefined) {
      draw();
      if (!ctx.tty) ctx.out(`${target.kind} ${target.id} ${state.status}${state.statusReason ? `: ${state.statusReason}` : ''}`);
      return state;
    }
    if (page.items.length > 0) state = await read();
    ended = ends.includes(state.status);
    if (!ctx.tty) {
      // Without a terminal, how to act on a waiting gate is a line of its own, once.
      const waiting = block(state).filter((line) => line.includes('approve'));
      const key = waiting.join('\n');
      if (key && key !== lastWaiting) for (const line of waiting) ctx.out(line.trim());
      lastWaiting = key;
    }
    draw();
  }
}

export function registerWatch(upgrades: Command, runs: Command, context: (cmd: Command) => Context): void {
  const add = (group: Command, kind: Target['kind'], example: string) =>
    group
      .command('watch')
      .description(
        `Follow ${kind === 'upgrade' ? 'an upgrade' : 'an update run'} live until it ends: exit 0 on COMPLETED, 3 on any other end.`,
      )
      .argument(`<${kind === 'upgrade' ? 'execution-id' : 'run-id'}>`)
      .option('--recent <n>', 'how many of the latest events a terminal shows', '8')
      .addHelpText('after', `\nExample:\n  ${example}\n`)
      .action(async (id: string, options: { recent: string }, cmd: Command) => {
        const ctx = context(cmd);
        // Machine output: nothing while it runs, the final state once it ends.
        const machine = ctx.output !== 'table';
        const followed = machine ? ({ ...ctx, tty: false, out: () => undefined } as Context) : ctx;
        const final = await follow(followed, { kind, id }, machine ? 0 : Math.max(0, Number(options.recent) || 0));
        if (machine) ctx.out(render(final, ctx.output));
        throw new ExitCode(final.status === 'COMPLETED' ? EXIT.ok : EXIT.notCompleted);
      });
  add(upgrades, 'upgrade', 'sluice upgrade watch upg_0123');
  add(runs, 'run', 'sluice run watch run_0123');
}
