/**
 * The embedded Step Functions engine: state machines, executions, task
 * tokens and history behind an API shaped like the SFN API (same operation
 * and field names as `@aws-sdk/client-sfn`, Dates for timestamps).
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { ActivityBoard, type ActivityRecord } from './activities.js';
import { type Clock, RealClock } from './clock.js';
import { checkDefinition, DefinitionProblem, withQueryLanguages } from './definition-checks.js';
import { HaltSignal, runtimeError, SfnApiError, StatesError, StatesErrors } from './errors.js';
import {
  type ApiHistoryEvent,
  decodePageToken,
  encodePageToken,
  type HistoryEvent,
  type HistoryPageOptions,
  MAX_HISTORY_EVENTS,
  makeEvent,
  pageHistory,
} from './history.js';
import {
  type ChildDescription,
  type Integration,
  type InvokeLambda,
  lambdaInvokeIntegration,
  type PutEventsEntry,
  putEventsIntegration,
  startExecutionIntegration,
} from './integrations.js';
import { type FrameState, type Graph, Interpreter, type RuntimePort, type TokenWaiter } from './interpreter.js';
import { parseJson, stringifyJson, toPlainJson } from './json.js';
import { assertWithinPayloadLimit, MAX_PAYLOAD_BYTES } from './paths.js';
import { SnapshotStore } from './persistence.js';

/** Receives the engine's debug output (state transitions). Never given task tokens. */
export interface EngineLogger {
  debug(message: string, fields: Record<string, unknown>): void;
}

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** How Lambda functions are invoked; the engine does not know how they are found. */
  invokeLambda?: InvokeLambda;
  /** Time source; defaults to the wall clock. */
  clock?: Clock;
  /** Runs time N times faster: Wait, Retry intervals, timeouts and heartbeats are divided by it. */
  timeScale?: number;
  /** When set, state machines, executions and outstanding tokens survive a restart. */
  persistDir?: string;
  logger?: EngineLogger;
  /** Sink of `events:putEvents` entries. */
  onEvents?: (entries: PutEventsEntry[]) => void | Promise<void>;
  region?: string;
  accountId?: string;
  /** How long GetActivityTask waits for a task before answering none; 60 seconds as in AWS (not scaled). */
  activityPollMilliseconds?: number;
}

/** Execution status, as the SFN API names it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
  updateDate?: number;
  tags?: Record<string, string>;
}

interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  /** Absolute end of the execution's own TimeoutSeconds. */
  deadline?: number;
  history: HistoryEvent[];
  root: FrameState;
  /** The definition the execution started with (a later update does not change it). */
  definition: string;
  redriveCount?: number;
  redriveDate?: number;
}

interface ExecutionRun {
  record: ExecutionRecord;
  controller: AbortController;
  graph: Graph;
  listeners: (() => void)[];
}

interface TokenEntry {
  executionArn: string;
  lastBeat: number;
  resolve: (output: unknown) => void;
  reject: (err: StatesError) => void;
}

/** DescribeExecution output. */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveStatus: string;
  redriveDate?: Date;
}

/** RedriveExecution restarts an execution that ended in one of these (SFN API reference). */
const REDRIVABLE = new Set<ExecutionStatus>(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** DescribeStateMachine output. */
export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: 'ACTIVE';
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: Date;
  loggingConfiguration: { level: 'OFF'; includeExecutionData: boolean };
  tracingConfiguration: { enabled: boolean };
}

const TOKEN_PATTERN = /^AQ[A-Za-z0-9_-]{128}$/;
// Names: 1-80 characters, none of whitespace, brackets, wildcards, the listed
// special characters or control characters (SFN API reference, CreateStateMachine "name").
// biome-ignore lint/suspicious/noControlCharactersInRegex: the API refuses names with control characters.
const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

type AslValidator = (
  definition: unknown,
  opts?: { checkPaths: boolean; checkArn: boolean },
) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
const validatedDefinitions = new Map<string, Graph>();
const requireHere = createRequire(import.meta.url);
const aslValidator = requireHere('asl-validator') as AslValidator;
reuseAslSchemaCompilation();

/**
 * asl-validator builds a fresh Ajv and compiles its state-machine schema on
 * every call (~100 ms each), which dominates creating a state machine. The
 * compiled validator only depends on the formats registered, which are the
 * same for our fixed options, so the first compiled one is reused. Scoped to
 * that one schema id; any other use of Ajv is untouched.
 */
function reuseAslSchemaCompilation(): void {
  const SCHEMA_ID = 'http://asl-validator.cloud/state-machine.json#';
  try {
    const ajvModule = createRequire(requireHere.resolve('asl-validator'))('ajv') as {
      default?: { prototype: AjvLike };
      prototype?: AjvLike;
    };
    const proto = ajvModule.default?.prototype ?? ajvModule.prototype;
    if (proto === undefined || typeof proto.validate !== 'function' || typeof proto.getSchema !== 'function') return;
    const original = proto.validate;
    let compiled: (((data: unknown) => boolean) & { errors?: unknown }) | undefined;
    proto.validate = function validate(this: AjvLike, schema: unknown, data: unknown): boolean {
      if (schema !== SCHEMA_ID) return original.call(this, schema, data);
      compiled ??= this.getSchema(SCHEMA_ID);
      if (compiled === undefined) return original.call(this, schema, data);
      const ok = compiled(data);
      this.errors = ok ? null : (compiled.errors ?? null);
      return ok;
    };
  } catch {
    // Without the shortcut validation is only slower.
  }
}

interface AjvLike {
  validate(schema: unknown, data: unknown): boolean;
  getSchema(id: string): (((data: unknown) => boolean) & { errors?: unknown }) | undefined;
  errors?: unknown;
}

/**
 * Parses and validates a definition with `asl-validator`; answers
 * `InvalidDefinition` as CreateStateMachine does.
 */
export function validateDefinition(definition: string): Graph {
  // asl-validator compiles its JSON schemas on every call (~100 ms), and the
  // local runtime creates the same few definitions again and again.
  const known = validatedDefinitions.get(definition);
  if (known !== undefined) return structuredClone(known);
  let parsed: unknown;
  try {
    parsed = parseJson(definition);
  } catch (err) {
    throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: not JSON'`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SfnApiError('InvalidDefinition', 'Invalid State Machine Definition: not an object');
  }
  // The validator annotates the object it is given; hand it a copy. Its path
  // and intrinsic grammar is not AWS's (it refuses decimals in intrinsics):
  // checkDefinition parses those with the engine's own parsers instead.
  // (A copy with plain numbers: its schema knows no BigInt.)
  const result = aslValidator(toPlainJson(parsed), { checkPaths: false, checkArn: true });
  if (!result.isValid) {
    throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${result.errorsText('; ')}'`);
  }
  try {
    checkDefinition(parsed as Graph);
    withQueryLanguages(parsed as Graph);
  } catch (err) {
    if (!(err instanceof DefinitionProblem)) throw err;
    throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${err.code}: ${err.message} at ${err.location}'`, {
      cause: err,
    });
  }
  checkStatesAllLast(parsed as Graph);
  if (validatedDefinitions.size > 500) validatedDefinitions.clear();
  validatedDefinitions.set(definition, structuredClone(parsed as Graph));
  return parsed as Graph;
}

/**
 * "States.ALL must appear alone in its ErrorEquals and in the last Retrier
 * or Catcher" (ASL spec, Retrying after an error); Step Functions rejects the
 * definition otherwise.
 */
function checkStatesAllLast(graph: Graph): void {
  for (const [name, state] of Object.entries(graph.States ?? {})) {
    for (const [field, rules] of [
      ['Retry', state.Retry],
      ['Catch', state.Catch],
    ] as const) {
      (rules ?? []).forEach((rule, i, all) => {
        if (!rule.ErrorEquals.includes('States.ALL')) return;
        if (rule.ErrorEquals.length !== 1 || i !== all.length - 1) {
          throw new SfnApiError(
            'InvalidDefinition',
            `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: States.ALL must appear alone in the last ${field} rule of state ${name}'`,
          );
        }
      });
    }
    for (const sub of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (sub !== undefined) checkStatesAllLast(sub);
    }
  }
}

function parseJsonInput(input: string | undefined, code: 'InvalidExecutionInput' | 'InvalidOutput'): unknown {
  try {
    return parseJson(input ?? '{}');
  } catch (err) {
    throw new SfnApiError(code, `Invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function pageList<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const max = maxResults === undefined || maxResults === 0 ? 100 : maxResults;
  if (!Number.isInteger(max) || max < 0 || max > 1000)
    throw new SfnApiError('ValidationException', 'maxResults must be between 0 and 1000');
  const start = decodePageToken(nextToken);
  const page = items.slice(start, start + max);
  const end = start + page.length;
  return end < items.length ? { items: page, nextToken: encodePageToken(end) } : { items: page };
}

/**
 * An embedded AWS Step Functions. Create it with {@link createEngine}.
 *
 * @example
 * const engine = await createEngine({ invokeLambda: (fn, payload) => handlers[fn](payload) });
 * const { stateMachineArn } = await engine.createStateMachine({ name: 'flow', definition });
 * const { executionArn } = await engine.startExecution({ stateMachineArn, input: '{}' });
 * const done = await engine.waitForExecution(executionArn);
 */
export class SfnEngine {
  private readonly clock: Clock;
  private readonly timeScale: number;
  private readonly region: string;
  private readonly accountId: string;
  private readonly store: SnapshotStore | undefined;
  private readonly stateMachines = new Map<string, StateMachineRecord>();
  private readonly graphs = new Map<string, Graph>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly deadTokens = new Map<string, 'used' | 'timedout'>();
  private readonly integrations = new Map<string, Integration>();
  private readonly activities: ActivityBoard;
  private closed = false;

  /** Use {@link createEngine}, which also loads persisted state. */
  constructor(private readonly options: EngineOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    const scale = options.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`timeScale must be a positive number, got ${scale}`);
    this.timeScale = scale;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.store = options.persistDir === undefined ? undefined : new SnapshotStore(options.persistDir);
    this.activities = new ActivityBoard(options.activityPollMilliseconds ?? 60_000);
    const invokeLambda = options.invokeLambda ?? noLambda;
    this.integrations.set('arn:aws:states:::lambda:invoke', lambdaInvokeIntegration(invokeLambda));
    this.integrations.set('arn:aws:states:::events:putEvents', putEventsIntegration(options.onEvents ?? (() => undefined)));
    this.integrations.set(
      'arn:aws:states:::states:startExecution',
      startExecutionIntegration({
        start: (stateMachineArn, name, input) => this.startExecution({ stateMachineArn, input, ...(name === undefined ? {} : { name }) }),
        waitFor: (executionArn, signal) => this.waitForExecution(executionArn, signal) as Promise<ChildDescription>,
        stop: async (executionArn) => {
          await this.stopExecution({ executionArn, error: 'States.Aborted', cause: 'Parent task ended' });
        },
      }),
    );
  }

  /**
   * Registers a service integration for a Task `Resource` (without its
   * `.sync`/`.waitForTaskToken` suffix, which the engine handles).
   */
  registerIntegration(resourceArn: string, integration: Integration): void {
    this.integrations.set(resourceArn, integration);
  }

  // ---------------------------------------------------------------- state machines

  private stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  private checkName(name: string): void {
    if (!NAME_PATTERN.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
  }

  private stateMachine(arn: string): StateMachineRecord {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    const sm = this.stateMachines.get(arn);
    if (sm === undefined) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  private execution(arn: string): ExecutionRecord {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    const ex = this.executions.get(arn);
    if (ex === undefined) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return ex;
  }

  /** CreateStateMachine: idempotent for an identical definition and role, else StateMachineAlreadyExists. */
  async createStateMachine(input: {
    name: string;
    definition: string;
    roleArn?: string;
    type?: 'STANDARD' | 'EXPRESS';
    tags?: ApiTag[];
  }): Promise<{ stateMachineArn: string; creationDate: Date }> {
    this.checkName(input.name);
    const graph = validateDefinition(input.definition);
    const arn = this.stateMachineArn(input.name);
    const roleArn = input.roleArn ?? `arn:aws:iam::${this.accountId}:role/sluice-local-sfn`;
    const existing = this.stateMachines.get(arn);
    if (existing !== undefined) {
      if (existing.definition === input.definition && existing.roleArn === roleArn) {
        return { stateMachineArn: arn, creationDate: new Date(existing.creationDate) };
      }
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const record: StateMachineRecord = {
      stateMachineArn: arn,
      name: input.name,
      definition: input.definition,
      roleArn,
      type: input.type ?? 'STANDARD',
      creationDate: this.clock.now(),
    };
    if (input.tags !== undefined && input.tags.length > 0) record.tags = tagRecord(input.tags);
    this.stateMachines.set(arn, record);
    this.graphs.set(arn, graph);
    this.store?.schedule('state-machines', arn, () => record);
    return { stateMachineArn: arn, creationDate: new Date(record.creationDate) };
  }

  /** DescribeStateMachine. */
  async describeStateMachine(input: { stateMachineArn: string }): Promise<StateMachineDescription> {
    const sm = this.stateMachine(input.stateMachineArn);
    return {
      stateMachineArn: sm.stateMachineArn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: new Date(sm.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  /** ListStateMachines. */
  async listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): Promise<{
    stateMachines: { stateMachineArn: string; name: string; type: string; creationDate: Date }[];
    nextToken?: string;
  }> {
    const all = [...this.stateMachines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = pageList(all, input.maxResults, input.nextToken);
    const stateMachines = page.items.map((sm) => ({
      stateMachineArn: sm.stateMachineArn,
      name: sm.name,
      type: sm.type,
      creationDate: new Date(sm.creationDate),
    }));
    return page.nextToken === undefined ? { stateMachines } : { stateMachines, nextToken: page.nextToken };
  }

  /** DeleteStateMachine. Running executions go on to their end, as in AWS. */
  async deleteStateMachine(input: { stateMachineArn: string }): Promise<Record<string, never>> {
    const sm = this.stateMachine(input.stateMachineArn);
    this.stateMachines.delete(sm.stateMachineArn);
    this.graphs.delete(sm.stateMachineArn);
    await this.store?.remove('state-machines', sm.stateMachineArn);
    return {};
  }

  // ---------------------------------------------------------------- executions

  /**
   * StartExecution. Idempotent as for STANDARD workflows: the same name and
   * input while the execution runs answers the original response; a closed
   * execution or another input answers ExecutionAlreadyExists.
   */
  async startExecution(input: { stateMachineArn: string; name?: string; input?: string }): Promise<{
    executionArn: string;
    startDate: Date;
  }> {
    if (this.closed) throw new SfnApiError('ValidationException', 'Engine is closed');
    const sm = this.stateMachine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    this.checkName(name);
    const text = input.input ?? '{}';
    if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw new SfnApiError('InvalidExecutionInput', `Execution input exceeds ${MAX_PAYLOAD_BYTES} bytes`);
    }
    const parsedInput = parseJsonInput(text, 'InvalidExecutionInput');
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const graph = this.graphs.get(sm.stateMachineArn) as Graph;
    const now = this.clock.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: sm.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: now,
      input: text,
      roleArn: sm.roleArn,
      history: [],
      root: { stateName: graph.StartAt, input: parsedInput, lastEventId: 0 },
      definition: sm.definition,
    };
    if (graph.TimeoutSeconds !== undefined) record.deadline = now + (graph.TimeoutSeconds * 1000) / this.timeScale;
    this.executions.set(executionArn, record);
    const run = this.makeRun(record, graph);
    this.emit(run, record.root, 'ExecutionStarted', {
      input: text,
      inputDetails: { truncated: false },
      roleArn: sm.roleArn,
    });
    this.log('execution started', { executionArn });
    this.persistExecution(record);
    this.launch(run, parsedInput);
    return { executionArn, startDate: new Date(now) };
  }

  private makeRun(record: ExecutionRecord, graph: Graph): ExecutionRun {
    const run: ExecutionRun = { record, controller: new AbortController(), graph, listeners: [] };
    this.runs.set(record.executionArn, run);
    return run;
  }

  private launch(run: ExecutionRun, parsedInput: unknown): void {
    const { record } = run;
    const smName = record.stateMachineArn.slice(record.stateMachineArn.lastIndexOf(':') + 1);
    const port: RuntimePort = {
      clock: this.clock,
      timeScale: this.timeScale,
      executionContext: {
        Id: record.executionArn,
        Input: parsedInput,
        Name: record.name,
        RoleArn: record.roleArn,
        StartTime: new Date(record.startDate).toISOString(),
        RedriveCount: record.redriveCount ?? 0,
      },
      stateMachineContext: { Id: record.stateMachineArn, Name: smName },
      executionRef: { executionArn: record.executionArn, stateMachineArn: record.stateMachineArn, name: record.name },
      invokeLambda: this.options.invokeLambda ?? noLambda,
      emit: (frame, type, details) => this.emit(run, frame, type, details),
      persist: () => this.persistExecution(record),
      durable: async () => {
        await this.store?.flush();
      },
      log: (message, fields) => this.log(message, { executionArn: record.executionArn, ...fields }),
      integration: (resource) => this.integrations.get(resource.base),
      newToken: () => `AQ${randomBytes(96).toString('base64url')}`,
      waitForToken: (token) => this.waitForToken(token, record.executionArn),
      scheduleActivity: (activityArn, token, input, onStarted) => this.activities.schedule(activityArn, { token, input, onStarted }),
    };
    if (record.deadline !== undefined) {
      this.clock.sleep(Math.max(0, record.deadline - this.clock.now()), run.controller.signal).then(
        () => this.finish(run, 'TIMED_OUT', { error: StatesErrors.Timeout, cause: 'The execution timed out (TimeoutSeconds)' }),
        () => undefined,
      );
    }
    void this.drive(run, new Interpreter(port));
  }

  private async drive(run: ExecutionRun, interpreter: Interpreter): Promise<void> {
    const { record } = run;
    try {
      const output = await interpreter.runFrame(record.root, run.graph, run.controller.signal);
      assertWithinPayloadLimit(output, 'execution output');
      this.finish(run, 'SUCCEEDED', { output: stringifyJson(output) ?? 'null' });
    } catch (err) {
      if (err instanceof HaltSignal || record.status !== 'RUNNING' || this.closed) return;
      const failure = err instanceof StatesError ? err : runtimeError(`Internal error: ${(err as Error)?.message ?? String(err)}`, err);
      this.finish(run, 'FAILED', {
        ...(failure.error === '' ? {} : { error: failure.error }),
        ...(failure.errorCause === undefined ? {} : { cause: failure.errorCause }),
      });
    }
  }

  private emit(run: ExecutionRun, frame: FrameState, type: string, details?: Record<string, unknown>): void {
    const { record } = run;
    if (record.status !== 'RUNNING' || this.closed) return;
    // Quota: when event 25,000 would be anything but ExecutionSucceeded, the
    // execution fails instead ("Avoid reaching the history quota", developer guide).
    if (record.history.length >= MAX_HISTORY_EVENTS - 1 && !type.startsWith('Execution')) {
      this.finish(run, 'FAILED', {
        error: StatesErrors.Runtime,
        cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`,
      });
      throw new HaltSignal('aborted');
    }
    const id = record.history.length + 1;
    record.history.push(makeEvent(id, frame.lastEventId, this.clock.now(), type, details));
    frame.lastEventId = id;
  }

  private finish(
    run: ExecutionRun,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: string; error?: string; cause?: string },
  ): void {
    const { record } = run;
    if (record.status !== 'RUNNING' || this.closed) return;
    const type = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      TIMED_OUT: 'ExecutionTimedOut',
      ABORTED: 'ExecutionAborted',
    }[status];
    const details =
      status === 'SUCCEEDED'
        ? { output: result.output, outputDetails: { truncated: false } }
        : { error: result.error, cause: result.cause };
    const previous = status === 'SUCCEEDED' || status === 'FAILED' ? record.root.lastEventId : record.history.length;
    record.history.push(makeEvent(record.history.length + 1, previous, this.clock.now(), type, details));
    record.status = status;
    record.stopDate = this.clock.now();
    if (result.output !== undefined) record.output = result.output;
    if (result.error !== undefined) record.error = result.error;
    if (result.cause !== undefined) record.cause = result.cause;
    run.controller.abort(new HaltSignal('aborted'));
    this.runs.delete(record.executionArn);
    for (const [token, entry] of this.tokens) {
      if (entry.executionArn === record.executionArn) {
        this.tokens.delete(token);
        this.deadTokens.set(token, 'timedout');
      }
    }
    this.log('execution finished', { executionArn: record.executionArn, status });
    this.persistExecution(record);
    for (const listener of run.listeners.splice(0)) listener();
  }

  private persistExecution(record: ExecutionRecord): void {
    this.store?.schedule('executions', record.executionArn, () => record);
  }

  private log(message: string, fields: Record<string, unknown>): void {
    this.options.logger?.debug(message, fields);
  }

  /** DescribeExecution. */
  async describeExecution(input: { executionArn: string }): Promise<ExecutionDescription> {
    return this.describe(this.execution(input.executionArn));
  }

  private describe(ex: ExecutionRecord): ExecutionDescription {
    const out: ExecutionDescription = {
      executionArn: ex.executionArn,
      stateMachineArn: ex.stateMachineArn,
      name: ex.name,
      status: ex.status,
      startDate: new Date(ex.startDate),
      input: ex.input,
      inputDetails: { included: true },
      redriveCount: ex.redriveCount ?? 0,
      redriveStatus: REDRIVABLE.has(ex.status) ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
    };
    if (ex.redriveDate !== undefined) out.redriveDate = new Date(ex.redriveDate);
    if (ex.stopDate !== undefined) out.stopDate = new Date(ex.stopDate);
    if (ex.output !== undefined) {
      out.output = ex.output;
      out.outputDetails = { included: true };
    }
    if (ex.error !== undefined) out.error = ex.error;
    if (ex.cause !== undefined) out.cause = ex.cause;
    return out;
  }

  /** ListExecutions, newest first. */
  async listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): Promise<{
    executions: {
      executionArn: string;
      stateMachineArn: string;
      name: string;
      status: ExecutionStatus;
      startDate: Date;
      stopDate?: Date;
    }[];
    nextToken?: string;
  }> {
    this.stateMachine(input.stateMachineArn);
    const matching = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === input.stateMachineArn && (input.statusFilter === undefined || e.status === input.statusFilter))
      .sort((a, b) => b.startDate - a.startDate);
    const page = pageList(matching, input.maxResults, input.nextToken);
    const executions = page.items.map((e) => ({
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startDate),
      ...(e.stopDate === undefined ? {} : { stopDate: new Date(e.stopDate) }),
    }));
    return page.nextToken === undefined ? { executions } : { executions, nextToken: page.nextToken };
  }

  /** StopExecution: the execution ends ABORTED with the given error and cause. */
  async stopExecution(input: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    const ex = this.execution(input.executionArn);
    const run = this.runs.get(ex.executionArn);
    if (run !== undefined && ex.status === 'RUNNING') {
      this.finish(run, 'ABORTED', {
        ...(input.error === undefined ? {} : { error: input.error }),
        ...(input.cause === undefined ? {} : { cause: input.cause }),
      });
    }
    return { stopDate: new Date(ex.stopDate ?? this.clock.now()) };
  }

  /** GetExecutionHistory. */
  async getExecutionHistory(
    input: { executionArn: string } & HistoryPageOptions,
  ): Promise<{ events: ApiHistoryEvent[]; nextToken?: string }> {
    const ex = this.execution(input.executionArn);
    return pageHistory(ex.history, input);
  }

  /**
   * Resolves with the description once the execution is closed (not an
   * SFN operation: a convenience for tests and `.sync` integrations).
   */
  waitForExecution(executionArn: string, signal?: AbortSignal): Promise<ExecutionDescription> {
    const ex = this.execution(executionArn);
    const run = this.runs.get(executionArn);
    if (ex.status !== 'RUNNING' || run === undefined) return Promise.resolve(this.describe(ex));
    return new Promise<ExecutionDescription>((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      run.listeners.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.describe(ex));
      });
    });
  }

  // ---------------------------------------------------------------- task tokens

  private waitForToken(token: string, executionArn: string): TokenWaiter {
    let resolve!: (v: unknown) => void;
    let reject!: (e: StatesError) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The token may be answered while the task that received it is still running (a
    // Lambda that calls SendTaskFailure on its own token): the rejection is awaited
    // later, so it must not count as unhandled meanwhile.
    promise.catch(() => undefined);
    const entry: TokenEntry = { executionArn, lastBeat: this.clock.now(), resolve, reject };
    this.tokens.set(token, entry);
    return {
      promise,
      get lastBeat() {
        return entry.lastBeat;
      },
      cancel: () => {
        if (this.tokens.get(token) === entry) {
          this.tokens.delete(token);
          this.deadTokens.set(token, 'timedout');
        }
      },
    };
  }

  private claimToken(token: string): TokenEntry {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) throw new SfnApiError('InvalidToken', 'Invalid Token');
    const entry = this.tokens.get(token);
    if (entry !== undefined) return entry;
    if (this.deadTokens.get(token) === 'timedout') throw new SfnApiError('TaskTimedOut', 'Task Timed Out');
    throw new SfnApiError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  /** SendTaskSuccess: `output` must be JSON. */
  async sendTaskSuccess(input: { taskToken: string; output: string }): Promise<Record<string, never>> {
    const entry = this.claimToken(input.taskToken);
    const output = parseJsonInput(input.output, 'InvalidOutput');
    this.tokens.delete(input.taskToken);
    this.deadTokens.set(input.taskToken, 'used');
    entry.resolve(output);
    return {};
  }

  /** SendTaskFailure. */
  async sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Promise<Record<string, never>> {
    const entry = this.claimToken(input.taskToken);
    this.tokens.delete(input.taskToken);
    this.deadTokens.set(input.taskToken, 'used');
    entry.reject(new StatesError(input.error ?? '', input.cause));
    return {};
  }

  /** SendTaskHeartbeat: restarts the HeartbeatSeconds window. */
  async sendTaskHeartbeat(input: { taskToken: string }): Promise<Record<string, never>> {
    const entry = this.claimToken(input.taskToken);
    entry.lastBeat = this.clock.now();
    return {};
  }

  // ---------------------------------------------------------------- more of the API

  /**
   * UpdateStateMachine: a new definition and/or role for the executions
   * started from now on; running ones keep the definition they started with.
   */
  async updateStateMachine(input: {
    stateMachineArn: string;
    definition?: string;
    roleArn?: string;
    loggingConfiguration?: unknown;
    tracingConfiguration?: unknown;
    publish?: boolean;
  }): Promise<{ updateDate: Date; revisionId: string }> {
    const sm = this.stateMachine(input.stateMachineArn);
    if (input.publish === true)
      throw new SfnApiError('ValidationException', 'State machine versions are not supported by the local engine');
    if (
      input.definition === undefined &&
      input.roleArn === undefined &&
      input.loggingConfiguration === undefined &&
      input.tracingConfiguration === undefined
    ) {
      throw new SfnApiError(
        'MissingRequiredParameter',
        'Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be given',
      );
    }
    if (input.definition !== undefined) {
      const graph = validateDefinition(input.definition);
      sm.definition = input.definition;
      this.graphs.set(sm.stateMachineArn, graph);
    }
    if (input.roleArn !== undefined) sm.roleArn = input.roleArn;
    sm.updateDate = this.clock.now();
    this.store?.schedule('state-machines', sm.stateMachineArn, () => sm);
    return { updateDate: new Date(sm.updateDate), revisionId: randomUUID() };
  }

  /** DescribeStateMachineForExecution: the definition the execution runs, even after an update. */
  async describeStateMachineForExecution(input: { executionArn: string }): Promise<{
    stateMachineArn: string;
    name: string;
    definition: string;
    roleArn: string;
    updateDate: Date;
    loggingConfiguration: { level: 'OFF'; includeExecutionData: boolean };
    tracingConfiguration: { enabled: boolean };
  }> {
    const ex = this.execution(input.executionArn);
    const sm = this.stateMachines.get(ex.stateMachineArn);
    return {
      stateMachineArn: ex.stateMachineArn,
      name: ex.stateMachineArn.slice(ex.stateMachineArn.lastIndexOf(':') + 1),
      definition: ex.definition,
      roleArn: ex.roleArn,
      updateDate: new Date(sm?.updateDate ?? sm?.creationDate ?? ex.startDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  /**
   * ValidateStateMachineDefinition: the checks CreateStateMachine makes,
   * answered as diagnostics instead of an error.
   */
  async validateStateMachineDefinition(input: { definition: string; type?: string }): Promise<{
    result: 'OK' | 'FAIL';
    diagnostics: { severity: 'ERROR'; code: string; message: string; location?: string }[];
    truncated: boolean;
  }> {
    try {
      validateDefinition(input.definition);
      return { result: 'OK', diagnostics: [], truncated: false };
    } catch (err) {
      if (!(err instanceof SfnApiError)) throw err;
      const problem = err.cause instanceof DefinitionProblem ? err.cause : undefined;
      const diagnostic =
        problem === undefined
          ? { severity: 'ERROR' as const, code: 'SCHEMA_VALIDATION_FAILED', message: err.message }
          : { severity: 'ERROR' as const, code: problem.code, message: problem.message, location: problem.location };
      return { result: 'FAIL', diagnostics: [diagnostic], truncated: false };
    }
  }

  private taggable(resourceArn: string): { tags?: Record<string, string> } & ({ name: string } | object) {
    const sm = this.stateMachines.get(resourceArn);
    if (sm !== undefined) return sm;
    const activity = this.activities.records.get(resourceArn);
    if (activity !== undefined) return activity;
    throw new SfnApiError('ResourceNotFound', `Resource not found: '${resourceArn}'`);
  }

  private persistTaggable(resourceArn: string): void {
    const sm = this.stateMachines.get(resourceArn);
    if (sm !== undefined) this.store?.schedule('state-machines', resourceArn, () => sm);
    const activity = this.activities.records.get(resourceArn);
    if (activity !== undefined) this.store?.schedule('activities', resourceArn, () => activity);
  }

  /** ListTagsForResource (state machines and activities). */
  async listTagsForResource(input: { resourceArn: string }): Promise<{ tags: ApiTag[] }> {
    const target = this.taggable(input.resourceArn);
    return { tags: Object.entries(target.tags ?? {}).map(([key, value]) => ({ key, value })) };
  }

  /** TagResource: adds or overwrites tags. */
  async tagResource(input: { resourceArn: string; tags: ApiTag[] }): Promise<Record<string, never>> {
    const target = this.taggable(input.resourceArn);
    target.tags = { ...target.tags, ...tagRecord(input.tags) };
    this.persistTaggable(input.resourceArn);
    return {};
  }

  /** UntagResource: removes the given keys (absent ones are ignored). */
  async untagResource(input: { resourceArn: string; tagKeys: string[] }): Promise<Record<string, never>> {
    const target = this.taggable(input.resourceArn);
    if (!Array.isArray(input.tagKeys)) throw new SfnApiError('ValidationException', 'tagKeys must be a list');
    const tags = { ...target.tags };
    for (const key of input.tagKeys) delete tags[key];
    target.tags = tags;
    this.persistTaggable(input.resourceArn);
    return {};
  }

  /**
   * StartSyncExecution: runs an EXPRESS state machine to its end and answers
   * the result; a STANDARD one is StateMachineTypeNotSupported, as in AWS.
   */
  async startSyncExecution(input: { stateMachineArn: string; name?: string; input?: string }): Promise<{
    executionArn: string;
    stateMachineArn: string;
    name: string;
    startDate: Date;
    stopDate: Date;
    status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
    input: string;
    inputDetails: { included: boolean };
    output?: string;
    outputDetails?: { included: boolean };
    error?: string;
    cause?: string;
    billingDetails: { billedMemoryUsedInMB: number; billedDurationInMilliseconds: number };
  }> {
    const sm = this.stateMachine(input.stateMachineArn);
    if (sm.type !== 'EXPRESS') {
      throw new SfnApiError('StateMachineTypeNotSupported', 'StartSyncExecution is only supported for EXPRESS state machines');
    }
    const { executionArn } = await this.startExecution(input);
    const done = await this.waitForExecution(executionArn);
    const stopDate = done.stopDate ?? new Date(this.clock.now());
    return {
      executionArn,
      stateMachineArn: done.stateMachineArn,
      name: done.name,
      startDate: done.startDate,
      stopDate,
      status: done.status === 'SUCCEEDED' ? 'SUCCEEDED' : done.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED',
      input: done.input,
      inputDetails: { included: true },
      ...(done.output === undefined ? {} : { output: done.output, outputDetails: { included: true } }),
      ...(done.error === undefined ? {} : { error: done.error }),
      ...(done.cause === undefined ? {} : { cause: done.cause }),
      billingDetails: {
        billedMemoryUsedInMB: 64,
        billedDurationInMilliseconds: Math.max(100, stopDate.getTime() - done.startDate.getTime()),
      },
    };
  }

  /**
   * TestState: runs one state on an input, as the TestState API does: its
   * output, or its error, and the state it would go to next. Activities,
   * `.sync` and `.waitForTaskToken` tasks cannot be tested (as in AWS).
   */
  async testState(input: { definition: string; input?: string; roleArn?: string; inspectionLevel?: string }): Promise<{
    status: 'SUCCEEDED' | 'FAILED' | 'CAUGHT_ERROR';
    output?: string;
    error?: string;
    cause?: string;
    nextState?: string;
  }> {
    let state: Record<string, unknown>;
    try {
      state = parseJson(input.definition) as Record<string, unknown>;
    } catch (err) {
      throw new SfnApiError('InvalidDefinition', 'Invalid State Definition: not JSON', { cause: err });
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state) || typeof state.Type !== 'string') {
      throw new SfnApiError('InvalidDefinition', "Invalid State Definition: a state is an object with a 'Type'");
    }
    const resource = typeof state.Resource === 'string' ? state.Resource : '';
    if (/:activity:|\.sync(:2)?$|\.waitForTaskToken$/.test(resource)) {
      throw new SfnApiError('ValidationException', 'TestState does not support activities, .sync or .waitForTaskToken tasks');
    }
    const TESTED = 'TestState';
    const catchTargets = new Set(((state.Catch as { Next?: string }[] | undefined) ?? []).map((c) => c.Next));
    const targets = new Set<string>();
    for (const t of [
      state.Next,
      state.Default,
      ...((state.Choices as { Next?: string }[] | undefined) ?? []).map((c) => c.Next),
      ...catchTargets,
    ]) {
      if (typeof t === 'string') targets.add(t);
    }
    const tested =
      state.Type === 'Choice' || state.Type === 'Fail' || state.Type === 'Succeed' || state.Next !== undefined
        ? state
        : { ...state, End: true };
    const graph = {
      StartAt: TESTED,
      States: { [TESTED]: tested, ...Object.fromEntries([...targets].map((t) => [t, { Type: 'Pass', End: true }])) },
    };
    const name = `test-state-${randomUUID().slice(0, 8)}`;
    const { stateMachineArn } = await this.createStateMachine({
      name,
      definition: JSON.stringify(graph),
      ...(input.roleArn === undefined ? {} : { roleArn: input.roleArn }),
    });
    try {
      const { executionArn } = await this.startExecution({ stateMachineArn, input: input.input ?? '{}' });
      const done = await this.waitForExecution(executionArn);
      const record = this.executions.get(executionArn);
      const entered =
        record?.history
          .filter((e) => e.type.endsWith('StateEntered'))
          .map((e) => (e as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name) ?? [];
      const nextState = entered.find((n) => n !== undefined && n !== TESTED);
      this.executions.delete(executionArn);
      await this.store?.remove('executions', executionArn);
      if (done.status !== 'SUCCEEDED') {
        return {
          status: 'FAILED',
          ...(done.error === undefined ? {} : { error: done.error }),
          ...(done.cause === undefined ? {} : { cause: done.cause }),
        };
      }
      const caught = nextState !== undefined && catchTargets.has(nextState) && nextState !== state.Next;
      const out: { status: 'SUCCEEDED' | 'CAUGHT_ERROR'; output?: string; nextState?: string } = {
        status: caught ? 'CAUGHT_ERROR' : 'SUCCEEDED',
      };
      if (done.output !== undefined) out.output = done.output;
      if (nextState !== undefined) out.nextState = nextState;
      return out;
    } finally {
      await this.deleteStateMachine({ stateMachineArn });
    }
  }

  /**
   * RedriveExecution: an execution that FAILED, TIMED_OUT or was ABORTED
   * goes on from the state where it stopped; a Map or Parallel re-runs only
   * its unfinished iterations or branches, and a Task starts a fresh attempt.
   */
  async redriveExecution(input: { executionArn: string }): Promise<{ redriveDate: Date }> {
    const ex = this.execution(input.executionArn);
    if (!REDRIVABLE.has(ex.status) || this.runs.has(ex.executionArn)) {
      throw new SfnApiError('ExecutionNotRedrivable', `Execution is not redrivable: '${ex.executionArn}' is ${ex.status}`);
    }
    const graph = withQueryLanguages(parseJson(ex.definition) as Graph);
    ex.status = 'RUNNING';
    delete ex.stopDate;
    delete ex.output;
    delete ex.error;
    delete ex.cause;
    ex.redriveCount = (ex.redriveCount ?? 0) + 1;
    ex.redriveDate = this.clock.now();
    if (graph.TimeoutSeconds !== undefined) ex.deadline = ex.redriveDate + (graph.TimeoutSeconds * 1000) / this.timeScale;
    resetForRedrive(ex.root);
    const run = this.makeRun(ex, graph);
    this.emit(run, ex.root, 'ExecutionRedriven', { redriveCount: ex.redriveCount });
    this.persistExecution(ex);
    this.launch(run, parseJson(ex.input));
    return { redriveDate: new Date(ex.redriveDate) };
  }

  /** ListStateMachineVersions: the local engine publishes none. */
  async listStateMachineVersions(input: { stateMachineArn: string }): Promise<{ stateMachineVersions: never[] }> {
    this.stateMachine(input.stateMachineArn);
    return { stateMachineVersions: [] };
  }

  /** PublishStateMachineVersion: not supported by the local engine (decision 0031). */
  async publishStateMachineVersion(input: { stateMachineArn: string }): Promise<never> {
    this.stateMachine(input.stateMachineArn);
    throw new SfnApiError('ValidationException', 'State machine versions are not supported by the local engine');
  }

  // ---------------------------------------------------------------- activities

  private activityArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:activity:${name}`;
  }

  /** CreateActivity: idempotent for a name. */
  async createActivity(input: { name: string; tags?: ApiTag[] }): Promise<{ activityArn: string; creationDate: Date }> {
    this.checkName(input.name);
    const arn = this.activityArn(input.name);
    const existing = this.activities.records.get(arn);
    if (existing !== undefined) return { activityArn: arn, creationDate: new Date(existing.creationDate) };
    const record: ActivityRecord = { activityArn: arn, name: input.name, creationDate: this.clock.now() };
    if (input.tags !== undefined && input.tags.length > 0) record.tags = tagRecord(input.tags);
    this.activities.records.set(arn, record);
    this.store?.schedule('activities', arn, () => record);
    return { activityArn: arn, creationDate: new Date(record.creationDate) };
  }

  /** DescribeActivity. */
  async describeActivity(input: { activityArn: string }): Promise<{ activityArn: string; name: string; creationDate: Date }> {
    const record = this.activities.get(input.activityArn);
    return { activityArn: record.activityArn, name: record.name, creationDate: new Date(record.creationDate) };
  }

  /** ListActivities, by name. */
  async listActivities(input: { maxResults?: number; nextToken?: string } = {}): Promise<{
    activities: { activityArn: string; name: string; creationDate: Date }[];
    nextToken?: string;
  }> {
    const all = [...this.activities.records.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = pageList(all, input.maxResults, input.nextToken);
    const activities = page.items.map((a) => ({ activityArn: a.activityArn, name: a.name, creationDate: new Date(a.creationDate) }));
    return page.nextToken === undefined ? { activities } : { activities, nextToken: page.nextToken };
  }

  /** DeleteActivity: waiting workers are answered with no task. */
  async deleteActivity(input: { activityArn: string }): Promise<Record<string, never>> {
    this.activities.delete(input.activityArn);
    await this.store?.remove('activities', input.activityArn);
    return {};
  }

  /**
   * GetActivityTask: the next task of the activity with its token and input,
   * or `{}` when none came within the long poll. Taking a task starts its
   * HeartbeatSeconds window.
   */
  async getActivityTask(input: { activityArn: string; workerName?: string }): Promise<{ taskToken?: string; input?: string }> {
    if (this.closed) return {};
    return this.activities.poll(input.activityArn, input.workerName, (token) => {
      const entry = this.tokens.get(token);
      if (entry !== undefined) entry.lastBeat = this.clock.now();
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Loads persisted state and resumes running executions (called by {@link createEngine});
   * with `deferResume`, only loads them: `resume()` starts them once whatever their tasks
   * call is up.
   */
  async load(options: { deferResume?: boolean } = {}): Promise<void> {
    if (this.store === undefined) return;
    await this.store.init();
    for (const doc of (await this.store.loadAll('activities')) as ActivityRecord[]) this.activities.records.set(doc.activityArn, doc);
    for (const doc of (await this.store.loadAll('state-machines')) as StateMachineRecord[]) {
      this.stateMachines.set(doc.stateMachineArn, doc);
      this.graphs.set(doc.stateMachineArn, withQueryLanguages(parseJson(doc.definition) as Graph));
    }
    const docs = (await this.store.loadAll('executions')) as ExecutionRecord[];
    for (const record of docs) this.executions.set(record.executionArn, record);
    if (!options.deferResume) this.resume();
  }

  /** Starts every loaded RUNNING execution again from the state it had reached (once). */
  resume(): void {
    for (const record of this.executions.values()) {
      if (this.runs.has(record.executionArn)) continue;
      if (record.status !== 'RUNNING') continue;
      const run = this.makeRun(record, withQueryLanguages(parseJson(record.definition) as Graph));
      this.log('execution resumed', { executionArn: record.executionArn, state: record.root.stateName });
      this.launch(run, parseJson(record.input));
    }
  }

  /**
   * Stops the engine as a process exit would: running executions stay
   * RUNNING, and with `persistDir` their state at this moment is written so
   * that a new engine resumes them.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const run of this.runs.values()) this.persistExecution(run.record);
    this.closed = true;
    this.activities.close();
    for (const run of this.runs.values()) run.controller.abort(new HaltSignal('closed'));
    this.runs.clear();
    await this.store?.freeze();
  }
}

/** A tag as the SFN API carries it. */
export interface ApiTag {
  key: string;
  value?: string;
}

function tagRecord(tags: unknown): Record<string, string> {
  if (!Array.isArray(tags)) throw new SfnApiError('ValidationException', 'tags must be a list of {key, value}');
  const out: Record<string, string> = {};
  for (const tag of tags as ApiTag[]) {
    if (typeof tag?.key !== 'string' || tag.key.length === 0 || tag.key.length > 128) {
      throw new SfnApiError('ValidationException', 'A tag key must be a string of 1 to 128 characters');
    }
    out[tag.key] = typeof tag.value === 'string' ? tag.value : '';
  }
  return out;
}

/**
 * Prepares the frames of a stopped execution to go on: a Map or Parallel
 * keeps what finished and redrives its unfinished children; any other state
 * starts again (a Task with a fresh attempt and retry counts).
 */
function resetForRedrive(frame: FrameState): void {
  delete frame.enteredAt;
  delete frame.retryCounts;
  delete frame.retryCount;
  delete frame.assigned;
  const step = frame.step;
  if (step?.kind === 'map' || step?.kind === 'parallel') {
    for (const child of Object.values(step.frames)) resetForRedrive(child);
  } else delete frame.step;
}

async function noLambda(fn: string): Promise<never> {
  throw new StatesError('Lambda.ResourceNotFoundException', `No invokeLambda configured; cannot invoke '${fn}'`);
}

/**
 * Creates an engine, loading and resuming persisted state when
 * `options.persistDir` is set.
 *
 * @example
 * const engine = await createEngine({
 *   invokeLambda: (fn, payload) => handlers[fn](payload),
 *   timeScale: Number(process.env.SLUICE_TIME_SCALE ?? 1),
 *   persistDir: '.sluice/sfn',
 * });
 */
export async function createEngine(options: EngineOptions & { deferResume?: boolean } = {}): Promise<SfnEngine> {
  const engine = new SfnEngine(options);
  await engine.load(options.deferResume ? { deferResume: true } : {});
  return engine;
}
