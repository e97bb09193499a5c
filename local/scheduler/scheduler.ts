/**
 * An embedded EventBridge Scheduler: one-time `at(...)` schedules kept in memory (and
 * on disk with `persistDir`), fired by timers that run `timeScale` times faster than
 * the wall clock, invoking local functions the way Scheduler invokes Lambda targets
 * (the schedule's `Input` is the event). It knows schedules, not Sluice.
 *
 * Deliberate limits: only `at()` expressions in UTC fire (rate/cron are refused with a
 * ValidationException), SigV4 is not checked, and the dead-letter queue is a list.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonFileStore } from '../json-file-store.js';

export class SchedulerApiError extends Error {
  constructor(
    readonly code: 'ValidationException' | 'ConflictException' | 'ResourceNotFoundException',
    message: string,
  ) {
    super(message);
    this.name = code;
  }

  get status(): number {
    return this.code === 'ValidationException' ? 400 : this.code === 'ConflictException' ? 409 : 404;
  }
}

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

/** A schedule as the API names its fields (dates as epoch milliseconds). */
export interface StoredSchedule {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  Target: ScheduleTarget;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  ActionAfterCompletion: 'NONE' | 'DELETE';
  KmsKeyArn?: string;
  StartDate?: number;
  EndDate?: number;
  CreationDate: number;
  LastModificationDate: number;
  /** Set once a one-time schedule has run (kept only with ActionAfterCompletion NONE). */
  completed?: boolean;
}

export interface ScheduleInput {
  Name: string;
  GroupName?: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  Description?: string;
  State?: 'ENABLED' | 'DISABLED';
  Target: ScheduleTarget;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  ActionAfterCompletion?: 'NONE' | 'DELETE';
  KmsKeyArn?: string;
  StartDate?: number;
  EndDate?: number;
}

export interface DeadLetter {
  schedule: string;
  groupName: string;
  deadLetterArn?: string;
  input?: string;
  error: string;
  at: string;
}

export interface LocalSchedulerOptions {
  /** Invokes a target (a Lambda ARN) with a payload; rejects when the invocation fails. */
  readonly invoke: (targetArn: string, payload: unknown) => Promise<unknown>;
  /** Every wait passes this many times faster. Default 1. */
  readonly timeScale?: number;
  /** Keep schedules in `<persistDir>/schedules.json`; overdue ones fire on start. */
  readonly persistDir?: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly logger?: {
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
  };
}

const NAME = /^[0-9a-zA-Z_.-]{1,64}$/;
const MAX_TIMER_MS = 2_147_483_647;
const DEFAULT_GROUP = 'default';

/** The time an `at(yyyy-mm-ddThh:mm:ss)` expression names, in UTC. */
export function dueTimeOf(expression: string): number | undefined {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (!match) return undefined;
  const time = Date.parse(`${match[1]}Z`);
  return Number.isNaN(time) ? undefined : time;
}

export class LocalScheduler {
  private readonly schedules = new Map<string, StoredSchedule>();
  private readonly groups = new Map<string, { Name: string; Arn: string; CreationDate: number; LastModificationDate: number }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timeScale: number;
  private readonly region: string;
  private readonly accountId: string;
  private closed = false;
  private started = false;
  private readonly store: JsonFileStore;
  /** Invocations that failed every retry, as a dead-letter queue would hold them. */
  readonly deadLetters: DeadLetter[] = [];

  private constructor(private readonly options: LocalSchedulerOptions) {
    this.timeScale = options.timeScale ?? 1;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.store = new JsonFileStore(options.persistDir, 'schedules.json', () => ({
      groups: [...this.groups.values()].map(({ Name, CreationDate }) => ({ Name, CreationDate })),
      schedules: [...this.schedules.values()],
      deadLetters: this.deadLetters,
    }));
    this.addGroup(DEFAULT_GROUP, Date.now());
  }

  /** Creates a scheduler, loading (and arming) persisted schedules first. */
  static async create(options: LocalSchedulerOptions): Promise<LocalScheduler> {
    const scheduler = new LocalScheduler(options);
    if (options.persistDir) {
      await mkdir(options.persistDir, { recursive: true });
      const text = await readFile(join(options.persistDir, 'schedules.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (text !== undefined) {
        const saved = JSON.parse(text) as {
          groups?: { Name: string; CreationDate: number }[];
          schedules?: StoredSchedule[];
          deadLetters?: DeadLetter[];
        };
        for (const group of saved.groups ?? []) scheduler.addGroup(group.Name, group.CreationDate);
        for (const schedule of saved.schedules ?? []) scheduler.schedules.set(scheduler.key(schedule.GroupName, schedule.Name), schedule);
        scheduler.deadLetters.push(...(saved.deadLetters ?? []));
      }
    }
    return scheduler;
  }

  /**
   * Starts firing: arms every schedule, and fires overdue ones (a restart with
   * persisted schedules) at once. Until then schedules are only kept, so the caller can
   * finish wiring what the targets need first.
   */
  start(): void {
    this.started = true;
    for (const schedule of this.schedules.values()) this.arm(schedule);
  }

  private key(group: string, name: string): string {
    return `${group}/${name}`;
  }

  private addGroup(name: string, created: number): void {
    this.groups.set(name, {
      Name: name,
      Arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule-group/${name}`,
      CreationDate: created,
      LastModificationDate: created,
    });
  }

  // ---- schedule groups -------------------------------------------------------------

  createScheduleGroup(input: { Name: string }): { ScheduleGroupArn: string } {
    if (!NAME.test(input.Name ?? '')) throw new SchedulerApiError('ValidationException', 'Name must be 1-64 of [0-9a-zA-Z-_.].');
    if (this.groups.has(input.Name)) throw new SchedulerApiError('ConflictException', `Schedule group ${input.Name} already exists.`);
    this.addGroup(input.Name, Date.now());
    this.store.save();
    return { ScheduleGroupArn: this.groups.get(input.Name)?.Arn ?? '' };
  }

  /** Creates the group unless it exists (for the runtime's own group at start). */
  ensureScheduleGroup(name: string): void {
    if (!this.groups.has(name)) this.createScheduleGroup({ Name: name });
  }

  getScheduleGroup(input: { Name: string }) {
    const group = this.groups.get(input.Name);
    if (!group) throw new SchedulerApiError('ResourceNotFoundException', `Schedule group ${input.Name} does not exist.`);
    return { ...group, State: 'ACTIVE' };
  }

  listScheduleGroups() {
    return { ScheduleGroups: [...this.groups.values()].map((group) => ({ ...group, State: 'ACTIVE' })) };
  }

  deleteScheduleGroup(input: { Name: string }): Record<string, never> {
    if (input.Name === DEFAULT_GROUP) throw new SchedulerApiError('ValidationException', 'The default group cannot be deleted.');
    if (!this.groups.delete(input.Name))
      throw new SchedulerApiError('ResourceNotFoundException', `Schedule group ${input.Name} does not exist.`);
    for (const schedule of [...this.schedules.values()].filter((s) => s.GroupName === input.Name)) this.remove(schedule);
    this.store.save();
    return {};
  }

  // ---- schedules ---------------------------------------------------------------------

  createSchedule(input: ScheduleInput): { ScheduleArn: string } {
    const schedule = this.validate(input);
    const key = this.key(schedule.GroupName, schedule.Name);
    if (this.schedules.has(key)) throw new SchedulerApiError('ConflictException', `Schedule ${schedule.Name} already exists.`);
    this.schedules.set(key, schedule);
    this.arm(schedule);
    this.store.save();
    return { ScheduleArn: schedule.Arn };
  }

  updateSchedule(input: ScheduleInput): { ScheduleArn: string } {
    const next = this.validate(input);
    const key = this.key(next.GroupName, next.Name);
    const current = this.schedules.get(key);
    if (!current) throw new SchedulerApiError('ResourceNotFoundException', `Schedule ${next.Name} does not exist.`);
    // UpdateSchedule replaces every field: what the request leaves out returns to its default.
    const updated = { ...next, CreationDate: current.CreationDate };
    this.schedules.set(key, updated);
    this.arm(updated);
    this.store.save();
    return { ScheduleArn: updated.Arn };
  }

  getSchedule(input: { Name: string; GroupName?: string }): Omit<StoredSchedule, 'completed'> {
    const schedule = this.schedules.get(this.key(input.GroupName ?? DEFAULT_GROUP, input.Name));
    if (!schedule) throw new SchedulerApiError('ResourceNotFoundException', `Schedule ${input.Name} does not exist.`);
    const { completed, ...view } = schedule;
    return view;
  }

  deleteSchedule(input: { Name: string; GroupName?: string }): Record<string, never> {
    const schedule = this.schedules.get(this.key(input.GroupName ?? DEFAULT_GROUP, input.Name));
    if (!schedule) throw new SchedulerApiError('ResourceNotFoundException', `Schedule ${input.Name} does not exist.`);
    this.remove(schedule);
    this.store.save();
    return {};
  }

  listSchedules(input: { GroupName?: string; NamePrefix?: string; State?: string; NextToken?: string; MaxResults?: number }) {
    const limit = Math.min(Math.max(input.MaxResults ?? 100, 1), 100);
    const after = input.NextToken ? Buffer.from(input.NextToken, 'base64url').toString('utf8') : '';
    const matching = [...this.schedules.values()]
      .filter(
        (s) =>
          (input.GroupName === undefined || s.GroupName === input.GroupName) &&
          s.Name.startsWith(input.NamePrefix ?? '') &&
          (input.State === undefined || s.State === input.State),
      )
      .map((s) => ({ schedule: s, sortKey: this.key(s.GroupName, s.Name) }))
      .sort((a, b) => a.sortKey.localeCompare(b.sortKey))
      .filter((entry) => entry.sortKey > after);
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      Schedules: page.map(({ schedule }) => ({
        Arn: schedule.Arn,
        Name: schedule.Name,
        GroupName: schedule.GroupName,
        State: schedule.State,
        CreationDate: schedule.CreationDate,
        LastModificationDate: schedule.LastModificationDate,
        Target: { Arn: schedule.Target.Arn },
      })),
      ...(matching.length > limit && last ? { NextToken: Buffer.from(last.sortKey, 'utf8').toString('base64url') } : {}),
    };
  }

  /** How many schedules are waiting to fire. */
  get pendingCount(): number {
    return [...this.schedules.values()].filter((s) => !s.completed && s.State === 'ENABLED').length;
  }

  /** Stops every timer, waits for invocations in flight, and writes the state down. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
    await this.store.flush();
  }

  private validate(input: ScheduleInput): StoredSchedule {
    const group = input.GroupName ?? DEFAULT_GROUP;
    if (!NAME.test(input.Name ?? '')) throw new SchedulerApiError('ValidationException', 'Name must be 1-64 of [0-9a-zA-Z-_.].');
    if (!this.groups.has(group)) throw new SchedulerApiError('ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    if (typeof input.ScheduleExpression !== 'string' || dueTimeOf(input.ScheduleExpression) === undefined) {
      throw new SchedulerApiError(
        'ValidationException',
        `Invalid Schedule Expression ${String(input.ScheduleExpression)}: the embedded scheduler runs at(yyyy-mm-ddThh:mm:ss) one-time schedules only.`,
      );
    }
    if (input.ScheduleExpressionTimezone !== undefined && !['UTC', 'Etc/UTC'].includes(input.ScheduleExpressionTimezone)) {
      throw new SchedulerApiError('ValidationException', 'The embedded scheduler evaluates at() expressions in UTC only.');
    }
    if (!input.Target?.Arn || !input.Target.RoleArn)
      throw new SchedulerApiError('ValidationException', 'Target.Arn and Target.RoleArn are required.');
    if (!input.FlexibleTimeWindow?.Mode) throw new SchedulerApiError('ValidationException', 'FlexibleTimeWindow.Mode is required.');
    const now = Date.now();
    return {
      Name: input.Name,
      GroupName: group,
      Arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${group}/${input.Name}`,
      ScheduleExpression: input.ScheduleExpression,
      ...(input.ScheduleExpressionTimezone ? { ScheduleExpressionTimezone: input.ScheduleExpressionTimezone } : {}),
      ...(input.Description ? { Description: input.Description } : {}),
      State: input.State ?? 'ENABLED',
      Target: input.Target,
      FlexibleTimeWindow: input.FlexibleTimeWindow,
      ActionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      ...(input.KmsKeyArn ? { KmsKeyArn: input.KmsKeyArn } : {}),
      ...(input.StartDate === undefined ? {} : { StartDate: input.StartDate }),
      ...(input.EndDate === undefined ? {} : { EndDate: input.EndDate }),
      CreationDate: now,
      LastModificationDate: now,
    };
  }

  private remove(schedule: StoredSchedule): void {
    const key = this.key(schedule.GroupName, schedule.Name);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.schedules.delete(key);
  }

  /** (Re)arms the timer of a schedule: due − now, compressed by the time scale. */
  private arm(schedule: StoredSchedule): void {
    const key = this.key(schedule.GroupName, schedule.Name);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (!this.started || this.closed || schedule.completed || schedule.State !== 'ENABLED') return;
    const due = dueTimeOf(schedule.ScheduleExpression) ?? Date.now();
    const wait = Math.max(0, (due - Date.now()) / this.timeScale);
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        // A wait longer than a timer can hold is taken in steps.
        if (wait > MAX_TIMER_MS) return this.arm(schedule);
        this.fire(key);
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    timer.unref?.();
    this.timers.set(key, timer);
  }

  private fire(key: string): void {
    const schedule = this.schedules.get(key);
    if (!schedule || this.closed) return;
    const run = this.invokeWithRetries(schedule).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async invokeWithRetries(schedule: StoredSchedule): Promise<void> {
    const attempts = 1 + Math.min(schedule.Target.RetryPolicy?.MaximumRetryAttempts ?? 185, 185);
    let failure = '';
    let succeeded = false;
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt += 1) {
      try {
        const payload: unknown = schedule.Target.Input === undefined ? {} : JSON.parse(schedule.Target.Input);
        await this.options.invoke(schedule.Target.Arn, payload);
        succeeded = true;
        break;
      } catch (error) {
        failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.options.logger?.warn('scheduled invocation failed', { schedule: schedule.Name, attempt, error: failure });
        if (attempt < attempts) await new Promise((done) => setTimeout(done, Math.min(60_000, 1000 * 2 ** (attempt - 1)) / this.timeScale));
      }
    }
    // Stopped before it could succeed: it stays pending, and fires again after a restart.
    if (!succeeded && this.closed) return;
    if (!succeeded) {
      this.deadLetters.push({
        schedule: schedule.Name,
        groupName: schedule.GroupName,
        ...(schedule.Target.DeadLetterConfig?.Arn ? { deadLetterArn: schedule.Target.DeadLetterConfig.Arn } : {}),
        ...(schedule.Target.Input === undefined ? {} : { input: schedule.Target.Input }),
        error: failure,
        at: new Date().toISOString(),
      });
    }
    const key = this.key(schedule.GroupName, schedule.Name);
    // Only if it is still the same schedule: an update while it ran re-armed a new one.
    if (this.schedules.get(key) === schedule) {
      if (schedule.ActionAfterCompletion === 'DELETE') this.remove(schedule);
      else schedule.completed = true;
    }
    this.store.save();
  }

  /**
   * Resolves once every change made so far is on disk (at once without `persistDir`).
   * The API answers a change only after this, as EventBridge Scheduler's answer means the
   * schedule exists: a process killed right after cannot lose it.
   */
  durable(): Promise<void> {
    return this.store.flush();
  }
}
