import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Move } from '../../functions/fleet/run-tasks.js';
import { type ApiHistoryEvent, ManualClock, type SfnEngine } from '../../local/engine/index.js';
import { type FlowRun, inTurn, type StandIn, type TaskCall, throwing, withFlows } from './flow-harness.js';

/**
 * The deployed update-run.asl.json (the parent, one look at the run at a time) and
 * update-run-stage.asl.json (its child, one per stage) run as they are on the embedded
 * engine, with stand-in fleet tasks answering what functions/fleet/run-tasks.ts would: what
 * is tested is the flows' wiring (which task runs after which move, the child's name, the
 * park's token and timeout, the retries and catches), not the tasks.
 */

/** The run the flows work on, as the fleet API starts the parent (functions/fleet/runs.ts). */
const IDS = { tenantId: 't', runId: 'run_0lx9a2b3c0k1m2n3p4q5r6s7', generation: 2 };

/** A park that must not time out while the test answers it (flow seconds). */
const NEVER = 31_536_000;

/** A move as nextRunMove / nextStageMove answer it (every field: the ResultSelector reads them all). */
const move = (next: Move['next'] | 'bogus', { stage = -1, attempt = 0, looks = 0, wakeups = 0, recheckSeconds = 1 } = {}) => ({
  next,
  stage,
  attempt,
  looks,
  wakeups,
  recheckSeconds,
});

/** The parent runs stage 0 and then finds the run done; each stage's first look finds it done. */
const ONE_STAGE: Record<string, StandIn> = {
  nextRunMove: inTurn(move('stage', { stage: 0 }), move('done')),
  nextStageMove: () => move('done'),
  // Stores the token (as the real park does when nothing moved since the look); nobody wakes it.
  park: () => ({ parked: true }),
  restartStage: () => ({ restarted: true, attempt: 1 }),
  failRun: () => ({ failed: true }),
};

/** What the flows send each task: the run's ids, never the parent's own input fields. */
const nextRunMove = { task: 'nextRunMove', ...IDS };
const nextStageMove = (stage: number, looks = 0) => ({ task: 'nextStageMove', ...IDS, stage, looks });
const park = (seen: number) => ({ task: 'park', ...IDS, seen, token: expect.any(String) });

/** The task token a `park` call carried (the flows send it as `token`). */
const tokenOf = (call: TaskCall | undefined): string => (typeof call?.token === 'string' ? call.token : '');

/** The name RunStage gives a stage's child: `<runId>-g<generation>-s<stage>-a<attempt>`. */
const childName = (stage: number, attempt = 0) => `${IDS.runId}-g${IDS.generation}-s${stage}-a${attempt}`;

async function stateMachineArn(engine: SfnEngine, flow: 'update-run' | 'update-run-stage'): Promise<string> {
  const { stateMachines } = await engine.listStateMachines({ maxResults: 1000 });
  const found = stateMachines.find((sm) => sm.name === `test-${flow}`);
  if (found === undefined) throw new Error(`no state machine for ${flow}`);
  return found.stateMachineArn;
}

/**
 * Starts what the parent would, under the names the fleet API and RunStage give them: the
 * parent as `<runId>-g<generation>`, a stage child with exactly RunStage's name and input.
 */
async function asTheParentWould(engine: SfnEngine) {
  const parentMachine = await stateMachineArn(engine, 'update-run');
  const stageMachine = await stateMachineArn(engine, 'update-run-stage');
  const name = `${IDS.runId}-g${IDS.generation}`;
  const arn = `${parentMachine.replace(':stateMachine:', ':execution:')}:${name}`;
  return {
    async start(): Promise<string> {
      const { executionArn } = await engine.startExecution({ stateMachineArn: parentMachine, name, input: JSON.stringify(IDS) });
      expect(executionArn).toBe(arn);
      return executionArn;
    },
    async startStageChild(stage: number): Promise<string> {
      const input = JSON.stringify({ ...IDS, stage, move: { looks: 0 }, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn });
      return (await engine.startExecution({ stateMachineArn: stageMachine, name: childName(stage), input })).executionArn;
    },
  };
}

/** The stage children started so far, by name (s0 before s1), with their descriptions. */
async function stageChildren(run: FlowRun) {
  const { executions } = await run.engine.listExecutions({
    stateMachineArn: await stateMachineArn(run.engine, 'update-run-stage'),
    maxResults: 1000,
  });
  const sorted = [...executions].sort((a, b) => a.name.localeCompare(b.name));
  return Promise.all(sorted.map((execution) => run.engine.describeExecution({ executionArn: execution.executionArn })));
}

/** Every history event of one execution (its own history only). */
async function historyOf(engine: SfnEngine, executionArn: string): Promise<ApiHistoryEvent[]> {
  const events: ApiHistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await engine.getExecutionHistory({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

/** The details of the events of `type` (e.g. `TaskTimedOut` → its `taskTimedOutEventDetails`). */
async function detailsOf(engine: SfnEngine, executionArn: string, type: string): Promise<Record<string, unknown>[]> {
  const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails` as const;
  return (await historyOf(engine, executionArn)).filter((event) => event.type === type).map((event) => event[key] ?? {});
}

/** The Cause the engine gives a stand-in's throw, as Lambda reports an unhandled error. */
const lambdaCause = (error: Error) => JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });

describe('update-run.asl.json with update-run-stage.asl.json', () => {
  it('runs each stage as its own named child, whose park is woken through its token, then ends the run', async () => {
    // Time never moves: a park could only end through its token, never through its 300 s recheck.
    const clock = new ManualClock();
    const standIns: Record<string, StandIn> = {
      ...ONE_STAGE,
      nextRunMove: inTurn(move('stage', { stage: 0 }), move('stage', { stage: 1 }), move('done')),
      // Each stage: the first look starts members and parks (seen = 10 + stage), the second ends it.
      nextStageMove: inTurn(
        move('park', { stage: 0, wakeups: 10, recheckSeconds: 300 }),
        move('done', { wakeups: 11 }),
        move('park', { stage: 1, wakeups: 11, recheckSeconds: 300 }),
        move('done', { wakeups: 12 }),
      ),
      // The run moved since the look: the park completes its own token, as the real park
      // (and the waker, a moment later) do with SendTaskSuccess.
      park: async (call, _nth, engine) => {
        await engine.sendTaskSuccess({ taskToken: tokenOf(call), output: JSON.stringify({ woke: true }) });
        return { parked: false };
      },
    };
    await withFlows(
      standIns,
      async (run) => {
        const arn = await run.start('update-run', IDS);
        const result = await run.finished(arn);
        expect(result.status).toBe('SUCCEEDED');
        expect(run.calls).toEqual([
          nextRunMove,
          nextStageMove(0),
          park(10),
          nextStageMove(0),
          nextRunMove,
          nextStageMove(1),
          park(11),
          nextStageMove(1),
          nextRunMove,
        ]);
        const parks = run.calls.filter((call) => call.task === 'park');
        expect(tokenOf(parks[0])).not.toBe(tokenOf(parks[1]));
        expect(await run.entered(arn)).toEqual([
          'NextRunMove',
          'WhichRunMove',
          'RunStage',
          'NextRunMove',
          'WhichRunMove',
          'RunStage',
          'NextRunMove',
          'WhichRunMove',
          'Done',
        ]);

        // Exactly two children, named for the run, its generation and the stage, started by the parent.
        const children = await stageChildren(run);
        expect(children.map((child) => child.name)).toEqual([childName(0), childName(1)]);
        for (const [stage, child] of children.entries()) {
          expect(child.status).toBe('SUCCEEDED');
          expect(JSON.parse(child.input)).toEqual({ ...IDS, stage, move: { looks: 0 }, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn });
          expect(await run.entered(child.executionArn)).toEqual([
            'NextStageMove',
            'WhichStageMove',
            'ParkStage',
            'NextStageMove',
            'WhichStageMove',
            'Done',
          ]);
          // The park waited with the move's recheck as its timeout, and ended by its token.
          expect(await detailsOf(run.engine, child.executionArn, 'TaskScheduled')).toContainEqual(
            expect.objectContaining({ resource: 'invoke.waitForTaskToken', timeoutInSeconds: 300 }),
          );
          expect(await detailsOf(run.engine, child.executionArn, 'TaskSucceeded')).toContainEqual(
            expect.objectContaining({ resource: 'invoke.waitForTaskToken', output: '{"woke":true}' }),
          );
          expect(await detailsOf(run.engine, child.executionArn, 'TaskTimedOut')).toEqual([]);
        }
      },
      { clock },
    );
  });

  it('a stage park nobody wakes times out at recheckSeconds and the child looks again', async () => {
    const standIns: Record<string, StandIn> = {
      ...ONE_STAGE,
      nextStageMove: inTurn(
        move('park', { stage: 0, wakeups: 3, recheckSeconds: 1 }),
        move('park', { stage: 0, wakeups: 3, recheckSeconds: 1 }),
        move('done', { wakeups: 3 }),
      ),
    };
    await withFlows(standIns, async (run) => {
      const arn = await run.start('update-run', IDS);
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      // Three looks, two parks between them: each park's States.Timeout is caught back to NextStageMove.
      expect(run.calls).toEqual([nextRunMove, nextStageMove(0), park(3), nextStageMove(0), park(3), nextStageMove(0), nextRunMove]);
      const [child] = await stageChildren(run);
      expect(child?.status).toBe('SUCCEEDED');
      const childArn = child?.executionArn ?? '';
      expect(await run.entered(childArn)).toEqual([
        'NextStageMove',
        'WhichStageMove',
        'ParkStage',
        'NextStageMove',
        'WhichStageMove',
        'ParkStage',
        'NextStageMove',
        'WhichStageMove',
        'Done',
      ]);
      expect(await detailsOf(run.engine, childArn, 'TaskTimedOut')).toEqual([
        expect.objectContaining({ error: 'States.Timeout' }),
        expect.objectContaining({ error: 'States.Timeout' }),
      ]);
      // A waker that comes after the timeout finds the token dead (TaskTimedOut, which
      // functions/upgrades/sfn-workflow.ts treats as "nothing to wake").
      const first = run.calls.find((call) => call.task === 'park');
      await expect(run.engine.sendTaskSuccess({ taskToken: tokenOf(first), output: '{"woke":true}' })).rejects.toMatchObject({
        code: 'TaskTimedOut',
      });
      expect(await run.entered(arn)).toEqual(['NextRunMove', 'WhichRunMove', 'RunStage', 'NextRunMove', 'WhichRunMove', 'Done']);
    });
  });

  it('a run park nobody wakes times out at recheckSeconds and the parent looks again, without a child', async () => {
    const standIns: Record<string, StandIn> = {
      ...ONE_STAGE,
      // A gate or the after-stage wait holds the run: park (stage -1), then the run is done.
      nextRunMove: inTurn(move('park', { wakeups: 5, recheckSeconds: 1 }), move('done', { wakeups: 5 })),
    };
    await withFlows(standIns, async (run) => {
      const arn = await run.start('update-run', IDS);
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.calls).toEqual([nextRunMove, park(5), nextRunMove]);
      expect(await run.entered(arn)).toEqual(['NextRunMove', 'WhichRunMove', 'ParkRun', 'NextRunMove', 'WhichRunMove', 'Done']);
      expect(await detailsOf(run.engine, arn, 'TaskScheduled')).toContainEqual(
        expect.objectContaining({ resource: 'invoke.waitForTaskToken', timeoutInSeconds: 1 }),
      );
      expect(await detailsOf(run.engine, arn, 'TaskTimedOut')).toEqual([expect.objectContaining({ error: 'States.Timeout' })]);
      expect(await stageChildren(run)).toEqual([]);
    });
  });

  it('retries a look that keeps throwing 3 times (States.TaskFailed), then fails the run and ends the child; the parent looks again', async () => {
    const error = new Error('the run table is unreachable');
    await withFlows({ ...ONE_STAGE, nextStageMove: throwing(error) }, async (run) => {
      const arn = await run.start('update-run', IDS);
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      // The stand-in's plain Error surfaces as Error "Error" (its name), which no Lambda.*
      // retrier names: the States.TaskFailed retrier applies, 1 attempt + 3 retries.
      const failRun = { task: 'failRun', ...IDS, error: { Error: 'Error', Cause: lambdaCause(error) } };
      expect(run.calls).toEqual([
        nextRunMove,
        nextStageMove(0),
        nextStageMove(0),
        nextStageMove(0),
        nextStageMove(0),
        failRun,
        nextRunMove,
      ]);
      const [child] = await stageChildren(run);
      const childArn = child?.executionArn ?? '';
      // FailRun → Done: the child itself succeeds, so RunStage succeeds and the parent goes on.
      expect(child?.status).toBe('SUCCEEDED');
      expect(await run.entered(childArn)).toEqual(['NextStageMove', 'FailRun', 'Done']);
      expect(await detailsOf(run.engine, childArn, 'TaskFailed')).toHaveLength(4);
      expect(await run.entered(arn)).toEqual(['NextRunMove', 'WhichRunMove', 'RunStage', 'NextRunMove', 'WhichRunMove', 'Done']);
    });
  });

  it('a Lambda service error is retried by its own retrier (4 retries), not the States.TaskFailed one', async () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
    await withFlows({ ...ONE_STAGE, nextStageMove: throwing(error) }, async (run) => {
      const arn = await run.start('update-run', IDS);
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      // The first retrier whose ErrorEquals matches decides, with its own count.
      expect(run.tasks()).toEqual([
        'nextRunMove',
        'nextStageMove',
        'nextStageMove',
        'nextStageMove',
        'nextStageMove',
        'nextStageMove',
        'failRun',
        'nextRunMove',
      ]);
      expect(await run.called('failRun')).toMatchObject({ error: { Error: 'Lambda.TooManyRequestsException' } });
    });
  });

  it('when failRun keeps failing too, the child ends FAILED and the parent fails the run itself, then ends FAILED', async () => {
    const error = new Error('the run table is unreachable');
    await withFlows({ ...ONE_STAGE, nextStageMove: throwing(error), failRun: throwing(error) }, async (run) => {
      const arn = await run.start('update-run', IDS);
      const result = await run.finished(arn);
      // FailRun has no Catch: its error ends each execution.
      expect(result).toMatchObject({ status: 'FAILED', error: 'Error', cause: lambdaCause(error) });
      const [child] = await stageChildren(run);
      expect(child).toMatchObject({ status: 'FAILED', error: 'Error' });
      expect(run.tasks()).toEqual(['nextRunMove', ...Array(4).fill('nextStageMove'), ...Array(8).fill('failRun')]);
      // The parent's FailRun gets the failed child as RunStage's States.TaskFailed.
      const failRuns = run.calls.filter((call) => call.task === 'failRun');
      expect(failRuns[0]).toMatchObject({ error: { Error: 'Error' } });
      expect(failRuns[4]).toMatchObject({ ...IDS, error: { Error: 'States.TaskFailed' } });
      expect(JSON.parse(failRuns[4]?.error?.Cause ?? '{}')).toMatchObject({ Name: childName(0), Status: 'FAILED', Error: 'Error' });
      expect(await run.entered(arn)).toEqual(['NextRunMove', 'WhichRunMove', 'RunStage', 'FailRun']);
    });
  });

  it('a stage child that already ended under its name makes RunStage hit ExecutionAlreadyExists: RestartStage, then the parent looks again', async () => {
    await withFlows(ONE_STAGE, async (run) => {
      const { engine } = run;
      const parent = await asTheParentWould(engine);
      const first = await parent.startStageChild(0);
      expect((await engine.waitForExecution(first)).status).toBe('SUCCEEDED');

      const executionArn = await parent.start();
      expect((await engine.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
      expect(run.calls).toEqual([nextStageMove(0), nextRunMove, { task: 'restartStage', ...IDS, stage: 0 }, nextRunMove]);
      expect(await run.entered(executionArn)).toEqual([
        'NextRunMove',
        'WhichRunMove',
        'RunStage',
        'RestartStage',
        'NextRunMove',
        'WhichRunMove',
        'Done',
      ]);
      expect(await detailsOf(engine, executionArn, 'TaskFailed')).toEqual([
        expect.objectContaining({ resource: 'startExecution.sync:2', error: 'StepFunctions.ExecutionAlreadyExistsException' }),
      ]);
      expect((await stageChildren(run)).map((child) => child.executionArn)).toEqual([first]);
    });
  });

  it('a stage child still running under its name is joined by RunStage, not started twice', async () => {
    const standIns: Record<string, StandIn> = {
      ...ONE_STAGE,
      nextStageMove: inTurn(move('park', { stage: 0, wakeups: 1, recheckSeconds: NEVER }), move('done', { wakeups: 2 })),
    };
    await withFlows(standIns, async (run) => {
      const { engine } = run;
      const parent = await asTheParentWould(engine);
      // What a restart leaves: the child runs (parked), the parent's RunStage starts it again.
      const first = await parent.startStageChild(0);
      const parked = await run.called('park');
      const executionArn = await parent.start();
      await expect
        .poll(async () => (await detailsOf(engine, executionArn, 'TaskStarted')).some((d) => d.resource === 'startExecution.sync:2'))
        .toBe(true);
      // Let RunStage's start call return and its wait on the child begin (were the child to
      // end first, the start would hit ExecutionAlreadyExists and the checks below fail).
      await sleep(50);
      await engine.sendTaskSuccess({ taskToken: tokenOf(parked), output: JSON.stringify({ woke: true }) });
      expect((await engine.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
      expect(run.calls).toEqual([nextStageMove(0), park(1), nextRunMove, nextStageMove(0), nextRunMove]);
      // The repeated start answered the running child, whose end ended RunStage.
      expect(await detailsOf(engine, executionArn, 'TaskFailed')).toEqual([]);
      expect(await detailsOf(engine, executionArn, 'TaskSucceeded')).toContainEqual(
        expect.objectContaining({ resource: 'startExecution.sync:2' }),
      );
      expect((await stageChildren(run)).map((child) => child.executionArn)).toEqual([first]);
    });
  });

  /*
   * A stage child can end FAILED (its own FailRun failed for good, e.g. the table was down)
   * before a repeated start of it (a restart) sees it: the stage is not done, so
   * nextRunMove answers it again, and RunStage meets the ended child of that name
   * (ExecutionAlreadyExists). RestartStage counts a new attempt, part of the child's name,
   * so the next RunStage starts a fresh child instead of meeting the ended one again (which
   * once looped until the 25,000-event history quota).
   */
  it('a stage child that already ended FAILED under its name: RestartStage counts an attempt and a fresh child runs the stage', async () => {
    const error = new Error('the run table is unreachable');
    let attempts = 0;
    let stageDone = false;
    const standIns: Record<string, StandIn> = {
      ...ONE_STAGE,
      nextRunMove: () => (stageDone ? move('done') : move('stage', { stage: 0, attempt: attempts })),
      restartStage: () => {
        attempts += 1;
        return { restarted: true, attempt: attempts };
      },
      // The first child's looks fail for good (1 + 3 retries), and so does its FailRun; then the table is back.
      nextStageMove: (_call, nth) => {
        if (nth <= 4) throw error;
        stageDone = true;
        return move('done', { stage: 0 });
      },
      failRun: (_call, nth) => {
        if (nth <= 4) throw error;
        return { failed: true };
      },
    };
    await withFlows(standIns, async (run) => {
      const { engine } = run;
      const parent = await asTheParentWould(engine);
      const first = await parent.startStageChild(0);
      expect((await engine.waitForExecution(first)).status).toBe('FAILED');

      const executionArn = await parent.start();
      const result = await engine.waitForExecution(executionArn);
      expect(result.status).toBe('SUCCEEDED');
      expect(run.tasks().filter((task) => task === 'restartStage')).toHaveLength(1);
      const children = await stageChildren(run);
      expect(children.map((child) => `${child.name}:${child.status}`)).toEqual([`${childName(0)}:FAILED`, `${childName(0, 1)}:SUCCEEDED`]);
      expect(await run.entered(executionArn)).toEqual([
        'NextRunMove',
        'WhichRunMove',
        'RunStage',
        'RestartStage',
        'NextRunMove',
        'WhichRunMove',
        'RunStage',
        'NextRunMove',
        'WhichRunMove',
        'Done',
      ]);
    });
  });

  it('an unexpected run move ends the parent through the Choice’s Default, with no other task', async () => {
    await withFlows({ ...ONE_STAGE, nextRunMove: () => move('bogus') }, async (run) => {
      const arn = await run.start('update-run', IDS);
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.calls).toEqual([nextRunMove]);
      expect(await run.entered(arn)).toEqual(['NextRunMove', 'WhichRunMove', 'Done']);
      expect(await stageChildren(run)).toEqual([]);
    });
  });

  it('an unexpected stage move ends the child through the Choice’s Default; the parent looks again', async () => {
    await withFlows({ ...ONE_STAGE, nextStageMove: () => move('bogus', { stage: 0 }) }, async (run) => {
      const arn = await run.start('update-run', IDS);
      expect((await run.finished(arn)).status).toBe('SUCCEEDED');
      expect(run.calls).toEqual([nextRunMove, nextStageMove(0), nextRunMove]);
      const [child] = await stageChildren(run);
      expect(child?.status).toBe('SUCCEEDED');
      expect(await run.entered(child?.executionArn ?? '')).toEqual(['NextStageMove', 'WhichStageMove', 'Done']);
    });
  });
});
