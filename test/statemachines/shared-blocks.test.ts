import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOWS, type FlowName } from '../../functions/domain/flows.js';

/**
 * Blocks of states that several flows carry as copies. Each ASL file stays
 * self-contained (CDK deploys it as it is, with DefinitionBody.fromFile), so a block
 * is copied, not shared: this test is what keeps the copies equal. A change to one
 * copy must be made to every copy, or the block must leave this list (and then it is
 * no longer the same block).
 *
 * A block is compared field by field (Type, Resource, Parameters, ResultSelector,
 * ResultPath, Retry, Catch, Next, …) after deleting only the fields in its `mayDiffer`,
 * each with the reason it may.
 */

type State = Record<string, unknown>;
interface Asl {
  StartAt: string;
  States: Record<string, State>;
}

const ROOT = join(import.meta.dirname, '..', '..');
const FLOW_NAMES = FLOWS.map((flow) => flow.name);
const definitions = new Map<FlowName, Asl>(
  FLOWS.map((flow) => [flow.name, JSON.parse(readFileSync(join(ROOT, flow.file), 'utf8')) as Asl]),
);
const definitionOf = (flow: FlowName): Asl => definitions.get(flow) as Asl;

interface SharedBlock {
  /** What the block does. */
  readonly block: string;
  /** The state holding the block in each flow that has it (usually one name everywhere). */
  readonly states: Partial<Record<FlowName, string>>;
  /**
   * Fields allowed to differ between the copies, as dotted paths into the state
   * (`Choices.0.Next`), with why. Everything else must be deep-equal.
   */
  readonly mayDiffer: Readonly<Record<string, string>>;
}

const everywhere = (state: string, flows: readonly FlowName[]): Partial<Record<FlowName, string>> =>
  Object.fromEntries(flows.map((flow) => [flow, state]));
const TOP_LEVEL: readonly FlowName[] = ['rolling', 'canary', 'blue-green'];
/** The fleet update run flows: the run's stages and one stage's members. */
const FLEET: readonly FlowName[] = ['update-run', 'update-run-stage'];

const SHARED_BLOCKS: readonly SharedBlock[] = [
  {
    block: 'the pre-checks task',
    states: everywhere('PreChecks', TOP_LEVEL),
    mayDiffer: { Comment: 'names the status the checks lead to: CANARY_RUNNING in canary, IN_PROGRESS elsewhere' },
  },
  {
    block: 'the choice on the pre-checks',
    states: everywhere('DidPreChecksPass', TOP_LEVEL),
    mayDiffer: {
      'Choices.0.Next': 'where the flow starts once the checks passed: its own first step',
      Comment: 'names that first step',
    },
  },
  {
    block: 'parking a paused execution on a resume token',
    states: everywhere('ParkUntilResumed', TOP_LEVEL),
    mayDiffer: {
      Next: 'where each flow decides again after the resume: DecideNextMove, or FinishCanary for the canaries',
      Comment: 'says what the canary flow does after the resume',
    },
  },
  {
    block: 'recording an unexpected error (FAILED), then failing the flow',
    states: everywhere('FailUpgrade', TOP_LEVEL),
    mayDiffer: {},
  },
  { block: 'the failed end', states: everywhere('Failed', TOP_LEVEL), mayDiffer: {} },
  { block: 'the successful end', states: everywhere('Done', [...TOP_LEVEL, ...FLEET]), mayDiffer: {} },
  {
    block: "recording an update run's unexpected error (FAILED), then ending the flow",
    states: everywhere('FailRun', FLEET),
    mayDiffer: {},
  },
  {
    block: 'the single batch (batch 0) as a child execution',
    states: { canary: 'RunCanaries', 'blue-green': 'BringUpGreen' },
    mayDiffer: {
      Comment: 'says what batch 0 is: the canaries, or the green twins',
      Next: "the flow's own task that judges the batch: finishCanary or finishGreen",
      'Catch.0.Next': "the flow's own copy of the settle block below (named for its batch)",
    },
  },
  {
    block: 'settling the single batch after its child failed',
    states: { canary: 'SettleCanaries', 'blue-green': 'SettleGreen' },
    mayDiffer: { Next: "the flow's own task that judges the batch: finishCanary or finishGreen" },
  },
];

/**
 * States with one name in several flows that are NOT the same block: the name says the
 * same thing, the flow-specific content differs. Listed so that a state name that
 * starts appearing in two flows is a decision (shared, or different on purpose).
 */
const SAME_NAME_DIFFERENT_BLOCKS: Readonly<Record<string, string>> = {
  DecideNextMove:
    'rolling asks `control` (batch boundary: run, gate, pause, rollback, complete); blue-green asks `blueGreenControl` (after an interruption: revert, park, gate, switch, hold)',
  WhichMove: "branches on each flow's own moves",
  IsUpgradeCompleted: "a rollback goes to each flow's own revert: RollbackBatch in rolling, RevertGreen in blue-green",
};

function withoutPath(state: State, path: string): State {
  const copy = structuredClone(state);
  const keys = path.split('.');
  let node: unknown = copy;
  for (const key of keys.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[key];
  if (node !== null && typeof node === 'object') delete (node as Record<string, unknown>)[keys.at(-1) as string];
  return copy;
}

function valueAt(state: State | undefined, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], state);
}

function comparable(state: State, mayDiffer: readonly string[]): State {
  return mayDiffer.reduce(withoutPath, state);
}

describe('blocks shared between flows', () => {
  it.each(SHARED_BLOCKS.map((block) => [block.block, block] as const))('%s is the same in every flow that has it', (_name, block) => {
    const copies = Object.entries(block.states) as [FlowName, string][];
    expect(copies.length, 'a shared block is in at least two flows').toBeGreaterThanOrEqual(2);
    const [[firstFlow, firstState]] = copies as [[FlowName, string]];
    const reference = definitionOf(firstFlow).States[firstState];
    expect(reference, `${firstFlow}.${firstState}`).toBeDefined();
    for (const path of Object.keys(block.mayDiffer)) {
      // An exception for a field that is the same everywhere is stale: drop it.
      const values = new Set(copies.map(([flow, state]) => JSON.stringify(valueAt(definitionOf(flow).States[state], path))));
      expect(values.size, `${path} differs between the copies`).toBeGreaterThan(1);
    }
    for (const [flow, state] of copies.slice(1)) {
      const copy = definitionOf(flow).States[state];
      expect(copy, `${flow}.${state}`).toBeDefined();
      expect(comparable(copy as State, Object.keys(block.mayDiffer)), `${flow}.${state} against ${firstFlow}.${firstState}`).toEqual(
        comparable(reference as State, Object.keys(block.mayDiffer)),
      );
    }
  });

  it('lists every state name found in more than one flow, as shared or as different on purpose', () => {
    const flowsByState = new Map<string, FlowName[]>();
    for (const flow of FLOW_NAMES) {
      for (const state of Object.keys(definitionOf(flow).States)) flowsByState.set(state, [...(flowsByState.get(state) ?? []), flow]);
    }
    const sharedNames = new Set(SHARED_BLOCKS.flatMap((block) => Object.values(block.states)));
    const inSeveralFlows = [...flowsByState].filter(([, flows]) => flows.length > 1).map(([state]) => state);
    expect(inSeveralFlows.filter((state) => !sharedNames.has(state)).sort()).toEqual(Object.keys(SAME_NAME_DIFFERENT_BLOCKS).sort());
    for (const block of SHARED_BLOCKS) {
      for (const state of new Set(Object.values(block.states))) {
        // A same-named block must be listed in every flow that has a state by that name.
        const listed = Object.entries(block.states)
          .filter(([, name]) => name === state)
          .map(([flow]) => flow);
        expect(listed.sort(), `flows with a ${state} state`).toEqual([...(flowsByState.get(state) ?? [])].sort());
      }
    }
  });
});

describe('retry and catch policy shared by every flow', () => {
  const tasks = FLOW_NAMES.flatMap((flow) =>
    Object.entries(definitionOf(flow).States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([name, state]) => ({ at: `${flow}.${name}`, flow, state })),
  );

  it.each([
    ['Lambda task', (resource: string) => resource === 'arn:aws:states:::lambda:invoke'],
    // A task token failed by Sluice itself (GateRejected, GateClosed, HoldInterrupted,
    // RollbackRequested) is a decision: the first retrier names them with MaxAttempts 0.
    ['task-token task (waitForTaskToken)', (resource: string) => resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken'],
    ['child execution (startExecution.sync:2)', (resource: string) => resource === 'arn:aws:states:::states:startExecution.sync:2'],
  ] as const)('every %s retries the same way', (_kind, matches) => {
    const ofKind = tasks.filter(({ state }) => matches(String(state.Resource)));
    expect(ofKind.length).toBeGreaterThan(1);
    const policies = new Map<string, string[]>();
    for (const { at, state } of ofKind)
      policies.set(JSON.stringify(state.Retry), [...(policies.get(JSON.stringify(state.Retry)) ?? []), at]);
    expect([...policies.values()], 'tasks grouped by Retry').toHaveLength(1);
  });

  it('covers every task with one of those two policies', () => {
    expect(
      tasks.filter(
        ({ state }) =>
          !String(state.Resource).startsWith('arn:aws:states:::lambda:invoke') &&
          state.Resource !== 'arn:aws:states:::states:startExecution.sync:2',
      ),
    ).toEqual([]);
  });

  /**
   * FailUpgrade sends `$.error` to the fail task: a catch that put it elsewhere would
   * make FailUpgrade itself fail (States.Runtime, which no Catch handles) and leave the
   * execution unrecorded, as canary's Monitor and Rollout once did.
   */
  it('puts the error where FailUpgrade reads it on every catch that goes there', () => {
    const elsewhere = tasks.flatMap(({ at, state }) =>
      ((state.Catch ?? []) as { Next: string; ResultPath?: string | null }[])
        .filter((c) => c.Next === 'FailUpgrade' && c.ResultPath !== '$.error')
        .map(() => at),
    );
    expect(elsewhere).toEqual([]);
    for (const flow of FLOW_NAMES) {
      const failUpgrade = definitionOf(flow).States.FailUpgrade as { Parameters?: { Payload?: Record<string, unknown> } } | undefined;
      if (failUpgrade) expect(failUpgrade.Parameters?.Payload?.['error.$']).toBe('$.error');
    }
  });
});
