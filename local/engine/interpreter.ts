/**
 * The ASL interpreter (JSONPath dialect). One {@link Interpreter} runs one
 * execution; the engine gives it a {@link RuntimePort} for history, time,
 * tokens and integrations.
 *
 * Every frame (the top level, a Map iteration, a Parallel branch) keeps its
 * continuation in a plain, JSON-serialisable {@link FrameState}. The engine
 * persists those objects as they are, so a new engine can pick an execution
 * up at the state it was in: a Wait sleeps on until its end, a task token
 * wait re-registers its token, a Task that was mid-call runs again (as
 * after a worker loss), and a Map/Parallel resumes only its unfinished parts.
 */

import { type ChoiceRule, evaluateRule } from './choice.js';
import type { Clock } from './clock.js';
import { HaltSignal, runtimeError, StatesError, StatesErrors } from './errors.js';
import { type Integration, type InvokeLambda, jsonRoundTrip, lambdaFailure, type ParsedResource, parseResource } from './integrations.js';
import { stringifyJson } from './json.js';
import { evaluateJsonata, isJsonataExpression, QUERY_EVALUATION_ERROR, type StatesBinding } from './jsonata.js';
import {
  applyInputPath,
  applyOutputPath,
  applyResultPath,
  assertTextWithinPayloadLimit,
  assertWithinPayloadLimit,
  evaluateExpression,
  evaluatePayloadTemplate,
} from './paths.js';

/** A Retry rule of a Task, Map or Parallel state. */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/** A Catch rule. */
export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Assign?: unknown;
  Output?: unknown;
}

/** A state of an ASL definition (JSONPath dialect); fields as in the spec. */
export interface StateDef {
  Type: string;
  Next?: string;
  End?: boolean;
  Comment?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
  Parameters?: unknown;
  ResultSelector?: unknown;
  Result?: unknown;
  Resource?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Choices?: (ChoiceRule & { Next: string })[];
  Default?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  ItemsPath?: string;
  ItemSelector?: unknown;
  ItemProcessor?: Graph;
  Iterator?: Graph;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  Branches?: Graph[];
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
  Assign?: unknown;
  /** Set on every state at validation: its own, or the machine's (JSONPath by default). */
  QueryLanguage?: 'JSONPath' | 'JSONata';
  Arguments?: unknown;
  Output?: unknown;
  Items?: unknown;
}

/** A state graph: a whole definition, a Map processor or a Parallel branch. */
export interface Graph {
  StartAt: string;
  States: Record<string, StateDef>;
  TimeoutSeconds?: number;
  Comment?: string;
  /** Of a Map's ItemProcessor: INLINE (the default) or DISTRIBUTED. */
  ProcessorConfig?: { Mode?: string; ExecutionType?: string };
}

/** Continuation of one frame; plain data so that it can be persisted. */
export interface FrameState {
  stateName: string;
  /** Raw input of the current state. */
  input: unknown;
  lastEventId: number;
  enteredAt?: number;
  retryCounts?: number[];
  retryCount?: number;
  step?: StepState;
  /**
   * Workflow variables this frame sees: a Map iteration or Parallel branch
   * starts with a copy of its parent's, and what it assigns stays in it
   * ("Passing data between states with variables": inner scopes read outer
   * variables, outer scopes never see inner ones). Absent until assigned.
   */
  vars?: Record<string, unknown>;
  /** Assign values of the current state, taken when its result was, committed when it succeeds. */
  assigned?: Record<string, unknown>;
}

/** What the current state of a frame is in the middle of. */
export type StepState =
  | { kind: 'wait'; until: number }
  | { kind: 'retry'; until: number }
  | { kind: 'task'; token?: string; deadline?: number }
  | { kind: 'map'; items: unknown[]; effective: unknown; results: unknown[]; done: boolean[]; frames: Record<string, FrameState> }
  | { kind: 'parallel'; effective: unknown; results: unknown[]; done: boolean[]; frames: Record<string, FrameState> };

/** A registered wait on a task token. */
export interface TokenWaiter {
  readonly promise: Promise<unknown>;
  /** Time of the last heartbeat (or of registration). */
  readonly lastBeat: number;
  /** Withdraws the wait; later calls with the token get TaskTimedOut. */
  cancel(): void;
}

/** What the interpreter needs from the engine for one execution. */
export interface RuntimePort {
  readonly clock: Clock;
  readonly timeScale: number;
  readonly executionContext: Record<string, unknown>;
  readonly stateMachineContext: Record<string, unknown>;
  readonly executionRef: { executionArn: string; stateMachineArn: string; name: string };
  readonly invokeLambda: InvokeLambda;
  /** Appends a history event after the frame's last one; may throw HaltSignal (history quota). */
  emit(frame: FrameState, type: string, details?: Record<string, unknown>): void;
  persist(): void;
  /** Resolves once every persist() so far is on disk (at once without persistence). */
  durable(): Promise<void>;
  log(message: string, fields: Record<string, unknown>): void;
  integration(resource: ParsedResource): Integration | undefined;
  newToken(): string;
  waitForToken(token: string): TokenWaiter;
  /**
   * Queues an activity task for a worker's GetActivityTask; `onStarted` runs
   * when a worker takes it. Returns the withdrawal (the task ended first).
   */
  scheduleActivity(activityArn: string, token: string, input: string, onStarted: (workerName: string | undefined) => void): () => void;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function json(value: unknown): string {
  return stringifyJson(value) ?? 'null';
}

/** Links a child controller to a parent signal; returns the unlink function. */
function link(parent: AbortSignal, child: AbortController): () => void {
  if (parent.aborted) {
    child.abort(parent.reason);
    return () => undefined;
  }
  const onAbort = (): void => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

/**
 * Does `errorName` match a Retrier/Catcher's ErrorEquals? Per the "Error
 * handling" page of the developer guide: States.ALL matches every error but
 * States.Runtime and States.DataLimitExceeded; States.TaskFailed matches any
 * error but States.Timeout; a heartbeat timeout also matches States.Timeout.
 */
export function errorMatches(errorName: string, equals: readonly string[]): boolean {
  if (errorName === StatesErrors.Runtime) return false;
  if (equals.includes(errorName)) return true;
  const isTimeout = errorName === StatesErrors.Timeout || errorName === StatesErrors.HeartbeatTimeout;
  if (errorName === StatesErrors.HeartbeatTimeout && equals.includes(StatesErrors.Timeout)) return true;
  if (errorName === StatesErrors.DataLimitExceeded) return false;
  if (equals.includes(StatesErrors.TaskFailed) && !isTimeout) return true;
  return equals.includes(StatesErrors.ALL);
}

/** Delay before retry number `attempt` (0-based) of a retrier, in seconds, before jitter. */
export function retryDelaySeconds(retrier: Retrier, attempt: number): number {
  const base = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  return retrier.MaxDelaySeconds === undefined ? base : Math.min(base, retrier.MaxDelaySeconds);
}

interface Outcome {
  output: unknown;
  next: string | undefined;
}

/** Runs the frames of one execution. */
export class Interpreter {
  constructor(private readonly port: RuntimePort) {}

  private ms(seconds: number): number {
    return (seconds * 1000) / this.port.timeScale;
  }

  private async sleepUntil(until: number, signal: AbortSignal): Promise<void> {
    const remaining = until - this.port.clock.now();
    if (remaining > 0) await this.port.clock.sleep(remaining, signal);
    if (signal.aborted) throw signal.reason;
  }

  private context(frame: FrameState, extra: { token?: string; mapItem?: { index: number; value: unknown } } = {}): Record<string, unknown> {
    const ctx: Record<string, unknown> = {
      Execution: this.port.executionContext,
      State: { EnteredTime: iso(frame.enteredAt ?? this.port.clock.now()), Name: frame.stateName, RetryCount: frame.retryCount ?? 0 },
      StateMachine: this.port.stateMachineContext,
    };
    if (extra.token !== undefined) ctx.Task = { Token: extra.token };
    if (extra.mapItem !== undefined) ctx.Map = { Item: { Index: extra.mapItem.index, Value: extra.mapItem.value } };
    return ctx;
  }

  /** Runs a frame from its current state to a terminal state and returns the output. */
  async runFrame(frame: FrameState, graph: Graph, signal: AbortSignal): Promise<unknown> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const state = graph.States[frame.stateName];
      if (state === undefined) throw runtimeError(`State '${frame.stateName}' does not exist`);
      const { output, next } = await this.runState(frame, state, signal);
      if (next === undefined) return output;
      frame.stateName = next;
      frame.input = output;
      delete frame.enteredAt;
      delete frame.step;
      delete frame.retryCounts;
      delete frame.retryCount;
      this.port.persist();
    }
  }

  private next(state: StateDef): string | undefined {
    return state.End === true ? undefined : state.Next;
  }

  /**
   * Evaluates an Assign block against `value` with the variables as they were
   * when the state was entered: every reference in one state reads the same
   * values, new ones are seen from the next state on.
   */
  private evaluateAssign(
    frame: FrameState,
    assign: unknown,
    value: unknown,
    ctx: Record<string, unknown>,
  ): Record<string, unknown> | undefined {
    if (assign === undefined) return undefined;
    const values = evaluatePayloadTemplate(assign, value, ctx, frame.vars) as Record<string, unknown>;
    assertWithinPayloadLimit(values, 'assigned variables');
    return values;
  }

  private exit(frame: FrameState, state: StateDef, output: unknown): void {
    const text = json(output);
    assertTextWithinPayloadLimit(text, 'state output');
    const assigned = frame.assigned;
    delete frame.assigned;
    const details: Record<string, unknown> = { name: frame.stateName, output: text };
    if (assigned !== undefined) {
      frame.vars = { ...frame.vars, ...assigned };
      details.assignedVariables = Object.fromEntries(Object.entries(assigned).map(([k, v]) => [k, json(v)]));
      details.assignedVariablesDetails = { truncated: false };
    }
    this.port.emit(frame, `${state.Type}StateExited`, details);
    this.port.log('state exited', { state: frame.stateName, type: state.Type });
  }

  private async runState(frame: FrameState, state: StateDef, signal: AbortSignal): Promise<Outcome> {
    if (frame.enteredAt === undefined) {
      frame.enteredAt = this.port.clock.now();
      this.port.emit(frame, `${state.Type}StateEntered`, { name: frame.stateName, input: json(frame.input) });
      this.port.log('state entered', { state: frame.stateName, type: state.Type });
      this.port.persist();
    }
    if (state.QueryLanguage === 'JSONata' && ['Pass', 'Choice', 'Wait', 'Succeed', 'Fail'].includes(state.Type)) {
      return this.runJsonataState(frame, state, signal);
    }
    switch (state.Type) {
      case 'Pass': {
        const effective = applyInputPath(frame.input, state.InputPath);
        const ctx = this.context(frame);
        let result = state.Parameters !== undefined ? evaluatePayloadTemplate(state.Parameters, effective, ctx, frame.vars) : effective;
        // `Result: 0` or `Result: false` still replaces: presence matters, not truthiness.
        if ('Result' in state) result = state.Result;
        const assigned = this.evaluateAssign(frame, state.Assign, result, ctx);
        const output = applyOutputPath(applyResultPath(frame.input, result, state.ResultPath), state.OutputPath);
        if (assigned !== undefined) frame.assigned = assigned;
        this.exit(frame, state, output);
        return { output, next: this.next(state) };
      }
      case 'Choice': {
        const effective = applyInputPath(frame.input, state.InputPath);
        const ctx = this.context(frame);
        const match = (state.Choices ?? []).find((rule) => evaluateRule(rule, effective, ctx, frame.vars));
        const next = match?.Next ?? state.Default;
        if (next === undefined) {
          throw new StatesError(StatesErrors.NoChoiceMatched, `No Choice rule matched and no Default in state '${frame.stateName}'`);
        }
        // The state's Assign, then the matched rule's, both on the values at entry.
        const assigned = {
          ...this.evaluateAssign(frame, state.Assign, effective, ctx),
          ...this.evaluateAssign(frame, (match as { Assign?: unknown } | undefined)?.Assign, effective, ctx),
        };
        if (state.Assign !== undefined || (match as { Assign?: unknown } | undefined)?.Assign !== undefined) frame.assigned = assigned;
        const output = applyOutputPath(effective, state.OutputPath);
        this.exit(frame, state, output);
        return { output, next };
      }
      case 'Wait': {
        const effective = applyInputPath(frame.input, state.InputPath);
        if (frame.step?.kind !== 'wait') {
          frame.step = { kind: 'wait', until: this.waitUntil(state, effective, frame.vars) };
          this.port.persist();
        }
        await this.sleepUntil(frame.step.until, signal);
        const assigned = this.evaluateAssign(frame, state.Assign, effective, this.context(frame));
        if (assigned !== undefined) frame.assigned = assigned;
        const output = applyOutputPath(effective, state.OutputPath);
        this.exit(frame, state, output);
        return { output, next: this.next(state) };
      }
      case 'Succeed': {
        const output = applyOutputPath(applyInputPath(frame.input, state.InputPath), state.OutputPath);
        this.exit(frame, state, output);
        return { output, next: undefined };
      }
      case 'Fail': {
        const ctx = this.context(frame);
        const error =
          state.ErrorPath !== undefined ? evaluateExpression(state.ErrorPath, frame.input, ctx, 'ErrorPath', frame.vars) : state.Error;
        const cause =
          state.CausePath !== undefined ? evaluateExpression(state.CausePath, frame.input, ctx, 'CausePath', frame.vars) : state.Cause;
        throw new StatesError(error === undefined ? '' : String(error), cause === undefined ? undefined : String(cause));
      }
      case 'Task':
        return this.withRetryCatch(frame, state, signal, () => this.runTask(frame, state, signal));
      case 'Map':
        return this.withRetryCatch(frame, state, signal, () => this.runMap(frame, state, signal));
      case 'Parallel':
        return this.withRetryCatch(frame, state, signal, () => this.runParallel(frame, state, signal));
      default:
        throw runtimeError(`Unsupported state type '${state.Type}'`);
    }
  }

  private waitUntil(state: StateDef, effective: unknown, vars: Record<string, unknown> | undefined): number {
    const now = this.port.clock.now();
    let seconds: number;
    if (state.Seconds !== undefined) seconds = state.Seconds;
    else if (state.SecondsPath !== undefined) {
      const v = evaluateExpression(state.SecondsPath, effective, {}, 'SecondsPath', vars);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw runtimeError(`The SecondsPath parameter does not reference a valid non-negative integer: ${json(v)}`);
      }
      seconds = v;
    } else {
      const ts = state.Timestamp ?? evaluateExpression(state.TimestampPath ?? '$', effective, {}, 'TimestampPath', vars);
      const at = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
      if (Number.isNaN(at)) throw runtimeError(`The TimestampPath parameter does not reference a valid ISO-8601 timestamp: ${json(ts)}`);
      seconds = Math.max(0, (at - now) / 1000);
    }
    return now + this.ms(seconds);
  }

  /**
   * Applies Retry then Catch around a state body, per "Error handling":
   * the first retrier whose ErrorEquals matches decides (its own attempt
   * count, MaxAttempts 0 = never); when it is exhausted, Catchers are tried
   * in order; a Catcher's output is `{Error, Cause}` put on the raw input at
   * its ResultPath.
   */
  private async withRetryCatch(frame: FrameState, state: StateDef, signal: AbortSignal, body: () => Promise<unknown>): Promise<Outcome> {
    for (;;) {
      if (frame.step?.kind === 'retry') {
        await this.sleepUntil(frame.step.until, signal);
        delete frame.step;
        this.port.persist();
      }
      try {
        const output = await body();
        delete frame.step;
        this.exit(frame, state, output);
        return { output, next: this.next(state) };
      } catch (err) {
        if (err instanceof HaltSignal) throw err;
        if (signal.aborted) throw signal.reason;
        const failure = err instanceof StatesError ? err : lambdaFailure(err);
        const retriers = state.Retry ?? [];
        const index = retriers.findIndex((r) => errorMatches(failure.error, r.ErrorEquals));
        const retrier = retriers[index];
        if (retrier !== undefined) {
          const counts = frame.retryCounts ?? retriers.map(() => 0);
          const done = counts[index] ?? 0;
          if (done < (retrier.MaxAttempts ?? 3)) {
            let delay = retryDelaySeconds(retrier, done);
            if (retrier.JitterStrategy === 'FULL') delay = Math.random() * delay;
            counts[index] = done + 1;
            frame.retryCounts = counts;
            frame.retryCount = (frame.retryCount ?? 0) + 1;
            frame.step = { kind: 'retry', until: this.port.clock.now() + this.ms(delay) };
            this.port.log('state retrying', { state: frame.stateName, error: failure.error, attempt: done + 1 });
            this.port.persist();
            continue;
          }
        }
        const catcher = (state.Catch ?? []).find((c) => errorMatches(failure.error, c.ErrorEquals));
        if (catcher === undefined) throw failure;
        const errorOutput: Record<string, unknown> = { Error: failure.error };
        if (failure.errorCause !== undefined) errorOutput.Cause = failure.errorCause;
        let assigned: Record<string, unknown> | undefined;
        let output: unknown;
        if (state.QueryLanguage === 'JSONata') {
          const bind: StatesBinding = { input: frame.input, context: this.context(frame), errorOutput };
          [output, assigned] = await Promise.all([
            catcher.Output === undefined ? errorOutput : evaluateJsonata(catcher.Output, 'Output', bind, frame.vars),
            catcher.Assign === undefined
              ? undefined
              : (evaluateJsonata(catcher.Assign, 'Assign', bind, frame.vars) as Promise<Record<string, unknown>>),
          ]);
        } else {
          assigned = this.evaluateAssign(frame, catcher.Assign, errorOutput, this.context(frame));
          output = applyResultPath(frame.input, errorOutput, catcher.ResultPath);
        }
        assertWithinPayloadLimit(output, 'state output');
        delete frame.assigned;
        if (assigned !== undefined) frame.vars = { ...frame.vars, ...assigned };
        this.port.log('state caught error', { state: frame.stateName, error: failure.error, next: catcher.Next });
        return { output, next: catcher.Next };
      }
    }
  }

  private secondsField(
    value: number | undefined,
    path: string | undefined,
    effective: unknown,
    field: string,
    vars?: Record<string, unknown>,
  ): number | undefined {
    if (path === undefined) return value;
    const v = evaluateExpression(path, effective, {}, field, vars);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw runtimeError(`${field} must reference a positive integer`);
    return v;
  }

  private postProcess(frame: FrameState, state: StateDef, result: unknown, ctx: Record<string, unknown>): unknown {
    const selected = state.ResultSelector !== undefined ? evaluatePayloadTemplate(state.ResultSelector, result, ctx, frame.vars) : result;
    const assigned = this.evaluateAssign(frame, state.Assign, selected, ctx);
    if (assigned !== undefined) frame.assigned = assigned;
    else delete frame.assigned;
    return applyOutputPath(applyResultPath(frame.input, selected, state.ResultPath), state.OutputPath);
  }

  /** A number field of a JSONata state: a number, or a `{% %}` expression giving one. */
  private async jsonataNumber(value: unknown, field: string, bind: StatesBinding, frame: FrameState): Promise<number | undefined> {
    if (value === undefined) return undefined;
    const v = isJsonataExpression(value) ? await evaluateJsonata(value, field, bind, frame.vars) : value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new StatesError(QUERY_EVALUATION_ERROR, `The field '${field}' must evaluate to a non-negative number, got ${json(v)}`);
    }
    return v;
  }

  /**
   * Output and Assign of a JSONata state, evaluated together on the same
   * bindings (the result as `$states.result`); Output defaults to the result.
   */
  private async jsonataOutput(frame: FrameState, state: StateDef, result: unknown, ctx: Record<string, unknown>): Promise<unknown> {
    const bind: StatesBinding = { input: frame.input, context: ctx, result };
    const [output, assigned] = await Promise.all([
      state.Output === undefined ? result : evaluateJsonata(state.Output, 'Output', bind, frame.vars),
      state.Assign === undefined ? undefined : evaluateJsonata(state.Assign, 'Assign', bind, frame.vars),
    ]);
    if (assigned !== undefined) frame.assigned = assigned as Record<string, unknown>;
    else delete frame.assigned;
    return output;
  }

  /** Pass, Choice, Wait, Succeed and Fail in JSONata: no paths, `{% %}` fields instead. */
  private async runJsonataState(frame: FrameState, state: StateDef, signal: AbortSignal): Promise<Outcome> {
    const ctx = this.context(frame);
    const bind: StatesBinding = { input: frame.input, context: ctx };
    switch (state.Type) {
      case 'Choice': {
        type Rule = ChoiceRule & { Next: string; Output?: unknown; Assign?: unknown };
        let match: Rule | undefined;
        for (const [i, rule] of (state.Choices ?? []).entries()) {
          const condition = await evaluateJsonata(rule.Condition, `Choices[${i}].Condition`, bind, frame.vars);
          if (typeof condition !== 'boolean') {
            throw new StatesError(
              QUERY_EVALUATION_ERROR,
              `The Condition of Choices[${i}] must evaluate to a boolean, got ${json(condition)}`,
            );
          }
          if (condition) {
            match = rule as Rule;
            break;
          }
        }
        const next = match?.Next ?? state.Default;
        if (next === undefined) {
          throw new StatesError(StatesErrors.NoChoiceMatched, `No Choice rule matched and no Default in state '${frame.stateName}'`);
        }
        const outputTemplate = match?.Output ?? state.Output;
        const [output, stateAssign, ruleAssign] = await Promise.all([
          outputTemplate === undefined ? frame.input : evaluateJsonata(outputTemplate, 'Output', bind, frame.vars),
          state.Assign === undefined ? undefined : evaluateJsonata(state.Assign, 'Assign', bind, frame.vars),
          match?.Assign === undefined ? undefined : evaluateJsonata(match.Assign, 'Assign', bind, frame.vars),
        ]);
        if (stateAssign !== undefined || ruleAssign !== undefined) {
          frame.assigned = { ...(stateAssign as Record<string, unknown>), ...(ruleAssign as Record<string, unknown>) };
        }
        this.exit(frame, state, output);
        return { output, next };
      }
      case 'Wait': {
        if (frame.step?.kind !== 'wait') {
          const resolved: StateDef = { ...state };
          const seconds = await this.jsonataNumber(state.Seconds, 'Seconds', bind, frame);
          if (seconds !== undefined) resolved.Seconds = seconds;
          if (isJsonataExpression(state.Timestamp))
            resolved.Timestamp = String(await evaluateJsonata(state.Timestamp, 'Timestamp', bind, frame.vars));
          frame.step = { kind: 'wait', until: this.waitUntil(resolved, frame.input, frame.vars) };
          this.port.persist();
        }
        await this.sleepUntil(frame.step.until, signal);
        const output = await this.jsonataOutput(frame, state, frame.input, ctx);
        this.exit(frame, state, output);
        return { output, next: this.next(state) };
      }
      case 'Fail': {
        const error = isJsonataExpression(state.Error) ? await evaluateJsonata(state.Error, 'Error', bind, frame.vars) : state.Error;
        const cause = isJsonataExpression(state.Cause) ? await evaluateJsonata(state.Cause, 'Cause', bind, frame.vars) : state.Cause;
        throw new StatesError(error === undefined ? '' : String(error), cause === undefined ? undefined : String(cause));
      }
      default: {
        // Pass and Succeed: Output (the input by default) and Assign.
        const output = await this.jsonataOutput(frame, state, frame.input, ctx);
        this.exit(frame, state, output);
        return { output, next: state.Type === 'Succeed' ? undefined : this.next(state) };
      }
    }
  }

  private async runTask(frame: FrameState, state: StateDef, signal: AbortSignal): Promise<unknown> {
    const { clock } = this.port;
    const resource = parseResource(state.Resource ?? '');
    const effective = applyInputPath(frame.input, state.InputPath);
    const previous = frame.step?.kind === 'task' ? frame.step : undefined;
    // A resumed token wait keeps its token; anything else is a fresh attempt.
    const resumedToken = previous?.token;
    // An activity task is answered by a worker with the token it polled, as a callback is.
    const activity = resource.resourceType === 'activity';
    const token = resumedToken ?? (resource.pattern === 'wait-for-task-token' || activity ? this.port.newToken() : undefined);
    const ctx = this.context(frame, token === undefined ? {} : { token });
    const jsonataState = state.QueryLanguage === 'JSONata';
    const bind: StatesBinding = { input: frame.input, context: ctx };
    const timeoutSeconds = jsonataState
      ? await this.jsonataNumber(state.TimeoutSeconds, 'TimeoutSeconds', bind, frame)
      : this.secondsField(state.TimeoutSeconds, state.TimeoutSecondsPath, effective, 'TimeoutSecondsPath', frame.vars);
    const heartbeatSeconds = jsonataState
      ? await this.jsonataNumber(state.HeartbeatSeconds, 'HeartbeatSeconds', bind, frame)
      : this.secondsField(state.HeartbeatSeconds, state.HeartbeatSecondsPath, effective, 'HeartbeatSecondsPath', frame.vars);
    const argumentsOf = async (): Promise<unknown> => {
      if (jsonataState)
        return state.Arguments === undefined ? frame.input : evaluateJsonata(state.Arguments, 'Arguments', bind, frame.vars);
      return state.Parameters !== undefined ? evaluatePayloadTemplate(state.Parameters, effective, ctx, frame.vars) : effective;
    };
    const startedAt = clock.now();
    const deadline = previous?.deadline ?? (timeoutSeconds === undefined ? undefined : startedAt + this.ms(timeoutSeconds));

    const eventPrefix = resource.plainLambda ? 'LambdaFunction' : activity ? 'Activity' : 'Task';
    const eventBase = resource.plainLambda || activity ? {} : { resourceType: resource.resourceType, resource: resource.resourceName };

    const controller = new AbortController();
    const unlink = link(signal, controller);
    let waiter: TokenWaiter | undefined;
    let withdraw: (() => void) | undefined;
    // An activity's HeartbeatSeconds window opens when a worker takes the task
    // (ActivityStarted); until then only TimeoutSeconds runs.
    let markStarted: () => void = () => undefined;
    const started = activity ? new Promise<void>((resolve) => (markStarted = resolve)) : Promise.resolve();
    const offer = (activityToken: string, parameters: unknown): void => {
      withdraw = this.port.scheduleActivity(resource.base, activityToken, json(parameters), (workerName) => {
        this.port.emit(frame, 'ActivityStarted', workerName === undefined ? {} : { workerName });
        markStarted();
      });
    };
    try {
      let work: Promise<unknown>;
      if (resumedToken !== undefined) {
        waiter = this.port.waitForToken(resumedToken);
        // The queue is not persisted: a resumed activity task is offered to workers again.
        if (activity) offer(resumedToken, await argumentsOf());
        work = waiter.promise;
      } else {
        const parameters = await argumentsOf();
        assertWithinPayloadLimit(parameters, 'state input');
        frame.step = token === undefined ? { kind: 'task' } : { kind: 'task', token };
        if (deadline !== undefined) frame.step.deadline = deadline;
        if (activity) {
          this.port.emit(frame, 'ActivityScheduled', {
            resource: resource.base,
            input: json(parameters),
            timeoutInSeconds: timeoutSeconds,
            heartbeatInSeconds: heartbeatSeconds,
          });
        } else if (resource.plainLambda) {
          this.port.emit(frame, 'LambdaFunctionScheduled', {
            resource: resource.base,
            input: json(parameters),
            timeoutInSeconds: timeoutSeconds,
          });
          this.port.emit(frame, 'LambdaFunctionStarted');
        } else {
          this.port.emit(frame, 'TaskScheduled', {
            ...eventBase,
            region: 'us-east-1',
            parameters: json(parameters),
            timeoutInSeconds: timeoutSeconds,
            heartbeatInSeconds: heartbeatSeconds,
          });
          this.port.emit(frame, 'TaskStarted', eventBase);
        }
        this.port.persist();
        if (token !== undefined) waiter = this.port.waitForToken(token);
        if (activity && token !== undefined && waiter !== undefined) {
          await this.port.durable();
          offer(token, parameters);
          work = waiter.promise;
        } else work = this.invoke(frame, resource, parameters, token, waiter, controller.signal);
      }

      const racers: Promise<unknown>[] = [raceAbort(work, signal)];
      if (deadline !== undefined) {
        racers.push(
          clock.sleep(Math.max(0, deadline - clock.now()), controller.signal).then(() => {
            throw new StatesError(StatesErrors.Timeout, `Task timed out after ${timeoutSeconds ?? ''} seconds`);
          }),
        );
      }
      if (heartbeatSeconds !== undefined && waiter !== undefined) {
        const beating = waiter;
        racers.push(started.then(() => this.watchHeartbeat(beating, heartbeatSeconds, controller.signal)));
      }
      let result: unknown;
      try {
        result = await Promise.race(racers);
      } catch (err) {
        if (err instanceof HaltSignal) throw err;
        if (signal.aborted) throw signal.reason;
        const failure = err instanceof StatesError ? err : lambdaFailure(err);
        const timedOut = failure.error === StatesErrors.Timeout || failure.error === StatesErrors.HeartbeatTimeout;
        this.port.emit(frame, `${eventPrefix}${timedOut ? 'TimedOut' : 'Failed'}`, {
          ...eventBase,
          error: failure.error,
          cause: failure.errorCause,
        });
        throw failure;
      }
      const resultText = json(result);
      assertTextWithinPayloadLimit(resultText, 'task result');
      this.port.emit(frame, `${eventPrefix}Succeeded`, { ...eventBase, output: resultText });
      return jsonataState ? await this.jsonataOutput(frame, state, result, ctx) : this.postProcess(frame, state, result, ctx);
    } finally {
      controller.abort(new HaltSignal('aborted'));
      unlink();
      withdraw?.();
      // A wait still registered here lost the race (timeout, failure, stop):
      // the token is dead from now on. A no-op when the token was answered.
      waiter?.cancel();
    }
  }

  private async watchHeartbeat(waiter: TokenWaiter, seconds: number, signal: AbortSignal): Promise<never> {
    const { clock } = this.port;
    for (;;) {
      const due = waiter.lastBeat + this.ms(seconds);
      const now = clock.now();
      if (now >= due) throw new StatesError(StatesErrors.HeartbeatTimeout, `No heartbeat for ${seconds} seconds`);
      await clock.sleep(due - now, signal);
    }
  }

  private async invoke(
    frame: FrameState,
    resource: ParsedResource,
    parameters: unknown,
    token: string | undefined,
    waiter: TokenWaiter | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    // Step Functions records a task as scheduled before it calls the resource, so a crash
    // after the call re-runs the task (at least once), never skips it: the state this
    // frame entered is on disk before the call goes out.
    await this.port.durable();
    if (resource.plainLambda) {
      try {
        return jsonRoundTrip(await this.port.invokeLambda(resource.base, jsonRoundTrip(parameters)));
      } catch (err) {
        throw lambdaFailure(err);
      }
    }
    const integration = this.port.integration(resource);
    if (integration === undefined) {
      throw new StatesError(StatesErrors.TaskFailed, `No integration registered for resource '${resource.base}'`);
    }
    const request = {
      resource: resource.base,
      pattern: resource.pattern,
      parameters,
      signal,
      execution: this.port.executionRef,
      ...(token === undefined ? {} : { taskToken: token }),
    };
    const submitted = await integration(request);
    if (waiter === undefined) return submitted;
    // For callback tasks the call's own answer is only recorded; the task
    // result is what SendTaskSuccess delivers.
    this.port.emit(frame, 'TaskSubmitted', {
      resourceType: resource.resourceType,
      resource: resource.resourceName,
      output: json(submitted),
    });
    return waiter.promise;
  }

  private async runMap(frame: FrameState, state: StateDef, signal: AbortSignal): Promise<unknown> {
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor === undefined) throw runtimeError('Map state without ItemProcessor');
    let step = frame.step?.kind === 'map' ? frame.step : undefined;
    if (step === undefined) {
      const effective = applyInputPath(frame.input, state.InputPath);
      const items =
        state.QueryLanguage === 'JSONata'
          ? state.Items === undefined
            ? effective
            : await evaluateJsonata(state.Items, 'Items', { input: frame.input, context: this.context(frame) }, frame.vars)
          : state.ItemsPath === undefined
            ? effective
            : evaluateExpression(state.ItemsPath, effective, this.context(frame), 'ItemsPath', frame.vars);
      if (!Array.isArray(items)) throw runtimeError(`Map ItemsPath '${state.ItemsPath ?? '$'}' did not select an array`);
      step = { kind: 'map', items, effective, results: items.map(() => null), done: items.map(() => false), frames: {} };
      frame.step = step;
      this.port.emit(frame, 'MapStateStarted', { length: items.length });
      this.port.persist();
    }
    const current = step;
    const selector = state.ItemSelector ?? state.Parameters;
    let limit =
      state.QueryLanguage === 'JSONata'
        ? ((await this.jsonataNumber(
            state.MaxConcurrency,
            'MaxConcurrency',
            { input: frame.input, context: this.context(frame) },
            frame,
          )) ?? 0)
        : (state.MaxConcurrency ?? 0);
    if (state.MaxConcurrencyPath !== undefined) {
      const v = evaluateExpression(state.MaxConcurrencyPath, current.effective, {}, 'MaxConcurrencyPath', frame.vars);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw runtimeError('MaxConcurrencyPath must reference a non-negative integer');
      limit = v;
    }
    const indices = current.items.map((_, i) => i).filter((i) => current.done[i] !== true);
    const name = frame.stateName;
    await this.runChildren(frame, signal, indices, limit === 0 ? indices.length : limit, {
      prepare: async (i) => {
        const existing = current.frames[String(i)];
        if (existing !== undefined) return existing;
        const value = current.items[i];
        const itemContext = this.context(frame, { mapItem: { index: i, value } });
        const input =
          selector === undefined
            ? value
            : state.QueryLanguage === 'JSONata'
              ? await evaluateJsonata(selector, 'ItemSelector', { input: frame.input, context: itemContext }, frame.vars)
              : evaluatePayloadTemplate(selector, current.effective, itemContext, frame.vars);
        const child: FrameState = { stateName: processor.StartAt, input, lastEventId: frame.lastEventId };
        // A Distributed Map's iterations are child workflows: they cannot read the
        // outer variables ("Passing data between states with variables", scope).
        if (frame.vars !== undefined && processor.ProcessorConfig?.Mode !== 'DISTRIBUTED') child.vars = { ...frame.vars };
        this.port.emit(child, 'MapIterationStarted', { name, index: i });
        current.frames[String(i)] = child;
        return child;
      },
      graph: () => processor,
      finished: (i, child, output) => {
        current.results[i] = output;
        current.done[i] = true;
        delete current.frames[String(i)];
        this.port.emit(child, 'MapIterationSucceeded', { name, index: i });
      },
      failed: (i, child) => this.port.emit(child, 'MapIterationFailed', { name, index: i }),
      aborted: (i, child) => this.port.emit(child, 'MapIterationAborted', { name, index: i }),
      kind: 'Map',
    });
    this.port.emit(frame, 'MapStateSucceeded');
    if (state.QueryLanguage === 'JSONata') return this.jsonataOutput(frame, state, current.results, this.context(frame));
    return this.postProcess(frame, state, current.results, this.context(frame));
  }

  private async runParallel(frame: FrameState, state: StateDef, signal: AbortSignal): Promise<unknown> {
    const branches = state.Branches ?? [];
    let step = frame.step?.kind === 'parallel' ? frame.step : undefined;
    if (step === undefined) {
      const input = applyInputPath(frame.input, state.InputPath);
      const effective =
        state.QueryLanguage === 'JSONata'
          ? state.Arguments === undefined
            ? input
            : await evaluateJsonata(state.Arguments, 'Arguments', { input: frame.input, context: this.context(frame) }, frame.vars)
          : state.Parameters !== undefined
            ? evaluatePayloadTemplate(state.Parameters, input, this.context(frame), frame.vars)
            : input;
      step = { kind: 'parallel', effective, results: branches.map(() => null), done: branches.map(() => false), frames: {} };
      frame.step = step;
      this.port.emit(frame, 'ParallelStateStarted');
      this.port.persist();
    }
    const current = step;
    const indices = branches.map((_, i) => i).filter((i) => current.done[i] !== true);
    await this.runChildren(frame, signal, indices, indices.length, {
      prepare: (i) => {
        const existing = current.frames[String(i)];
        if (existing !== undefined) return existing;
        const branch = branches[i] as Graph;
        const child: FrameState = { stateName: branch.StartAt, input: current.effective, lastEventId: frame.lastEventId };
        if (frame.vars !== undefined) child.vars = { ...frame.vars };
        current.frames[String(i)] = child;
        return child;
      },
      graph: (i) => branches[i] as Graph,
      finished: (i, _child, output) => {
        current.results[i] = output;
        current.done[i] = true;
        delete current.frames[String(i)];
      },
      failed: () => undefined,
      aborted: () => undefined,
      kind: 'Parallel',
    });
    this.port.emit(frame, 'ParallelStateSucceeded');
    if (state.QueryLanguage === 'JSONata') return this.jsonataOutput(frame, state, current.results, this.context(frame));
    return this.postProcess(frame, state, current.results, this.context(frame));
  }

  /**
   * Runs child frames with at most `limit` in flight (a true bound: a new
   * child starts only when one finishes). The first failure aborts the
   * others, waits for them to stop, and fails the parent with that error.
   */
  private async runChildren(
    frame: FrameState,
    signal: AbortSignal,
    indices: number[],
    limit: number,
    hooks: {
      prepare: (i: number) => FrameState | Promise<FrameState>;
      graph: (i: number) => Graph;
      finished: (i: number, child: FrameState, output: unknown) => void;
      failed: (i: number, child: FrameState) => void;
      aborted: (i: number, child: FrameState) => void;
      kind: 'Map' | 'Parallel';
    },
  ): Promise<void> {
    const controller = new AbortController();
    const unlink = link(signal, controller);
    let failure: unknown;
    let cursor = 0;
    const worker = async (): Promise<void> => {
      while (cursor < indices.length && failure === undefined && !controller.signal.aborted) {
        const i = indices[cursor] as number;
        cursor += 1;
        let child: FrameState | undefined;
        try {
          child = await hooks.prepare(i);
          this.port.persist();
          const output = await this.runFrame(child, hooks.graph(i), controller.signal);
          hooks.finished(i, child, output);
          this.port.persist();
        } catch (err) {
          if (err instanceof HaltSignal && signal.aborted) throw err;
          if (err instanceof HaltSignal) {
            if (child !== undefined) hooks.aborted(i, child);
            continue;
          }
          if (failure === undefined) {
            failure = err;
            if (child !== undefined) hooks.failed(i, child);
            controller.abort(new HaltSignal('aborted'));
          }
        }
      }
    };
    try {
      const workers = Array.from({ length: Math.max(1, Math.min(limit, indices.length)) }, () => worker());
      const settled = await Promise.allSettled(workers);
      const halted = settled.find((s) => s.status === 'rejected');
      if (halted !== undefined && halted.status === 'rejected') throw halted.reason;
    } finally {
      unlink();
    }
    if (signal.aborted) throw signal.reason;
    if (failure !== undefined) {
      const err = failure instanceof StatesError ? failure : lambdaFailure(failure);
      this.port.emit(frame, `${hooks.kind}StateFailed`);
      throw err;
    }
  }
}
