import { randomUUID } from 'node:crypto';
import { createEngine, type EngineOptions, type ExecutionDescription, type SfnEngine } from '../../local/engine/index.js';

/** An engine whose time runs 100,000 times faster, so waits and retries cost nothing. */
export function fastEngine(options: EngineOptions = {}): Promise<SfnEngine> {
  return createEngine({ timeScale: 100_000, ...options });
}

/** Creates a state machine with a unique name from a definition object. */
export async function machine(engine: SfnEngine, definition: unknown): Promise<string> {
  const { stateMachineArn } = await engine.createStateMachine({
    name: `sm-${randomUUID().slice(0, 8)}`,
    definition: JSON.stringify(definition),
  });
  return stateMachineArn;
}

export interface RunResult {
  description: ExecutionDescription;
  output: unknown;
  types: string[];
  executionArn: string;
}

/** Runs a definition to its end and returns the description, parsed output and event types. */
export async function runToEnd(engine: SfnEngine, definition: unknown, input: unknown = {}): Promise<RunResult> {
  const stateMachineArn = await machine(engine, definition);
  const { executionArn } = await engine.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const description = await engine.waitForExecution(executionArn);
  const { events } = await engine.getExecutionHistory({ executionArn, maxResults: 1000 });
  return {
    description,
    output: description.output === undefined ? undefined : (JSON.parse(description.output) as unknown),
    types: events.map((e) => e.type),
    executionArn,
  };
}

/** A one-state machine around `state`, ending there. */
export function single(state: Record<string, unknown>): unknown {
  return { StartAt: 'S', States: { S: { ...state, End: true } } };
}

/**
 * Polls until `check` returns a value: by yielding to the event loop first,
 * then every few milliseconds, so that file writes of a persisting engine can
 * finish on a loaded machine (other test files, AWS CLI processes) before it
 * gives up (after some 10 seconds).
 */
export async function eventually<T>(check: () => T | undefined, rounds = 2000): Promise<T> {
  for (let i = 0; i < rounds; i += 1) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise<void>((r) => (i < 200 ? setImmediate(r) : setTimeout(r, 5)));
  }
  throw new Error('condition not met');
}

/** Lets pending promise chains run (a few event-loop turns); asserts nothing about time. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((r) => setImmediate(r));
}
