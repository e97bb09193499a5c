// The SFN API surface of the engine: quotas ("Step Functions service
// quotas", "Avoid reaching the history quota"), StartExecution idempotency
// for STANDARD workflows and the API error names of the SFN API reference.
import { describe, expect, it } from 'vitest';
import { createEngine, MAX_HISTORY_EVENTS, type PutEventsEntry, SfnApiError } from '../../local/engine/index.js';
import { fastEngine, machine, runToEnd, single } from './helpers.js';

async function apiError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SfnApiError) return err.code;
    throw err;
  }
  throw new Error('expected an API error');
}

/** Inc (Pass) -> Check (Choice) loop: 4 events per round, then Done (Succeed). */
function counterLoop(rounds: number): unknown {
  return {
    StartAt: 'Inc',
    States: {
      Inc: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Check' },
      Check: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThanEquals: rounds, Next: 'Done' }], Default: 'Inc' },
      Done: { Type: 'Succeed' },
    },
  };
}

describe('history quota', () => {
  it('an execution whose event 25,000 is ExecutionSucceeded succeeds', async () => {
    const engine = await fastEngine();
    // 1 (started) + 4 per round + 2 (Succeed) + 1 (succeeded) = 25,000 for 6,249 rounds.
    const r = await runToEnd(engine, counterLoop(6249), { n: 0 });
    expect(r.description.status).toBe('SUCCEEDED');
    const { events } = await engine.getExecutionHistory({ executionArn: r.executionArn, reverseOrder: true, maxResults: 1 });
    expect(events[0]).toMatchObject({ id: MAX_HISTORY_EVENTS, type: 'ExecutionSucceeded' });
  });

  it('an execution that would need more events fails with ExecutionFailed as event 25,000', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, counterLoop(6250), { n: 0 });
    expect(r.description.status).toBe('FAILED');
    expect(r.description.error).toBe('States.Runtime');
    expect(r.description.cause).toContain('maximum number of history events');
    const { events } = await engine.getExecutionHistory({ executionArn: r.executionArn, reverseOrder: true, maxResults: 2 });
    expect(events[0]).toMatchObject({ id: MAX_HISTORY_EVENTS, type: 'ExecutionFailed' });
  });
});

describe('GetExecutionHistory', () => {
  it('pages with maxResults/nextToken, links previousEventId, and reverses on request', async () => {
    const engine = await fastEngine();
    const def = {
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'C' }, C: { Type: 'Pass', End: true } },
    };
    const r = await runToEnd(engine, def);
    const first = await engine.getExecutionHistory({ executionArn: r.executionArn, maxResults: 3 });
    expect(first.events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(first.nextToken).toBeDefined();
    const second = await engine.getExecutionHistory({ executionArn: r.executionArn, maxResults: 100, nextToken: first.nextToken });
    expect(second.events.map((e) => e.id)).toEqual([4, 5, 6, 7, 8]);
    expect(second.nextToken).toBeUndefined();
    expect(second.events.map((e) => e.previousEventId)).toEqual([3, 4, 5, 6, 7]);
    const reversed = await engine.getExecutionHistory({ executionArn: r.executionArn, reverseOrder: true, maxResults: 2 });
    expect(reversed.events.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'PassStateExited']);
    expect(first.events[1]?.stateEnteredEventDetails).toEqual({ name: 'A', input: '{}' });
    expect(first.events[0]?.timestamp).toBeInstanceOf(Date);
  });

  it('includeExecutionData false leaves input and output out', async () => {
    const engine = await fastEngine();
    const r = await runToEnd(engine, single({ Type: 'Pass' }), { secret: 1 });
    const { events } = await engine.getExecutionHistory({ executionArn: r.executionArn, includeExecutionData: false });
    expect(JSON.stringify(events)).not.toContain('secret');
  });
});

describe('executions API', () => {
  it('StartExecution with the same name and input while running answers the same execution', async () => {
    const engine = await fastEngine();
    const arn = await machine(engine, single({ Type: 'Wait', Seconds: 100_000_000 }));
    const a = await engine.startExecution({ stateMachineArn: arn, name: 'same', input: '{"a":1}' });
    const b = await engine.startExecution({ stateMachineArn: arn, name: 'same', input: '{"a":1}' });
    expect(b.executionArn).toBe(a.executionArn);
    expect(await apiError(engine.startExecution({ stateMachineArn: arn, name: 'same', input: '{"a":2}' }))).toBe('ExecutionAlreadyExists');
    await engine.stopExecution({ executionArn: a.executionArn });
  });

  it('a closed execution name cannot be reused (ExecutionAlreadyExists)', async () => {
    const engine = await fastEngine();
    const arn = await machine(engine, single({ Type: 'Pass' }));
    const { executionArn } = await engine.startExecution({ stateMachineArn: arn, name: 'once' });
    await engine.waitForExecution(executionArn);
    expect(await apiError(engine.startExecution({ stateMachineArn: arn, name: 'once' }))).toBe('ExecutionAlreadyExists');
  });

  it('answers InvalidExecutionInput, InvalidName, InvalidArn, StateMachineDoesNotExist, ExecutionDoesNotExist', async () => {
    const engine = await fastEngine();
    const arn = await machine(engine, single({ Type: 'Pass' }));
    expect(await apiError(engine.startExecution({ stateMachineArn: arn, input: '{bad' }))).toBe('InvalidExecutionInput');
    expect(await apiError(engine.startExecution({ stateMachineArn: arn, input: JSON.stringify('x'.repeat(262_144)) }))).toBe(
      'InvalidExecutionInput',
    );
    expect(await apiError(engine.startExecution({ stateMachineArn: arn, name: 'has space' }))).toBe('InvalidName');
    expect(await apiError(engine.startExecution({ stateMachineArn: 'not-an-arn' }))).toBe('InvalidArn');
    expect(await apiError(engine.startExecution({ stateMachineArn: `${arn}-gone` }))).toBe('StateMachineDoesNotExist');
    expect(await apiError(engine.describeExecution({ executionArn: `${arn.replace(':stateMachine:', ':execution:')}:nope` }))).toBe(
      'ExecutionDoesNotExist',
    );
  });

  it('ListExecutions filters by status and pages newest first', async () => {
    const engine = await fastEngine();
    const arn = await machine(engine, {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'S' }], Default: 'F' },
        S: { Type: 'Succeed' },
        F: { Type: 'Fail' },
      },
    });
    for (const ok of [true, false, true]) {
      const { executionArn } = await engine.startExecution({ stateMachineArn: arn, input: JSON.stringify({ ok }) });
      await engine.waitForExecution(executionArn);
    }
    const succeeded = await engine.listExecutions({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' });
    expect(succeeded.executions).toHaveLength(2);
    const page = await engine.listExecutions({ stateMachineArn: arn, maxResults: 2 });
    expect(page.executions).toHaveLength(2);
    const rest = await engine.listExecutions({ stateMachineArn: arn, maxResults: 2, nextToken: page.nextToken });
    expect(rest.executions).toHaveLength(1);
  });
});

describe('state machines API', () => {
  it('rejects an invalid definition with InvalidDefinition', async () => {
    const engine = await fastEngine();
    expect(await apiError(engine.createStateMachine({ name: 'bad', definition: '{"StartAt":"X","States":{}}' }))).toBe('InvalidDefinition');
    expect(await apiError(engine.createStateMachine({ name: 'bad2', definition: 'not json' }))).toBe('InvalidDefinition');
  });

  it('rejects States.ALL that is not alone in the last Catcher (ASL spec)', async () => {
    const engine = await fastEngine();
    const def = {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
          Catch: [
            { ErrorEquals: ['States.ALL'], Next: 'C' },
            { ErrorEquals: ['Other'], Next: 'C' },
          ],
          End: true,
        },
        C: { Type: 'Pass', End: true },
      },
    };
    expect(await apiError(engine.createStateMachine({ name: 'all-first', definition: JSON.stringify(def) }))).toBe('InvalidDefinition');
  });

  it('CreateStateMachine is idempotent for the same definition and conflicts otherwise', async () => {
    const engine = await fastEngine();
    const definition = JSON.stringify(single({ Type: 'Pass' }));
    const a = await engine.createStateMachine({ name: 'dup', definition });
    const b = await engine.createStateMachine({ name: 'dup', definition });
    expect(b.stateMachineArn).toBe(a.stateMachineArn);
    expect(
      await apiError(engine.createStateMachine({ name: 'dup', definition: JSON.stringify(single({ Type: 'Pass', Result: 1 })) })),
    ).toBe('StateMachineAlreadyExists');
    expect((await engine.listStateMachines()).stateMachines.map((s) => s.name)).toEqual(['dup']);
    await engine.deleteStateMachine({ stateMachineArn: a.stateMachineArn });
    expect(await apiError(engine.describeStateMachine({ stateMachineArn: a.stateMachineArn }))).toBe('StateMachineDoesNotExist');
  });
});

describe('integrations', () => {
  it('events:putEvents hands entries to the sink and answers like PutEvents', async () => {
    const sent: PutEventsEntry[] = [];
    const engine = await fastEngine({ onEvents: (entries) => void sent.push(...entries) });
    const r = await runToEnd(
      engine,
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::events:putEvents',
        Parameters: { Entries: [{ Source: 'sluice', DetailType: 'Thing', 'Detail.$': '$' }] },
      }),
      { id: 7 },
    );
    expect(sent).toEqual([{ Source: 'sluice', DetailType: 'Thing', Detail: { id: 7 } }]);
    expect(r.output).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) as string }] });
  });

  it('registerIntegration plugs in another service', async () => {
    const engine = await fastEngine();
    engine.registerIntegration('arn:aws:states:::sqs:sendMessage', async ({ parameters }) => ({ MessageId: 'm-1', echo: parameters }));
    const r = await runToEnd(
      engine,
      single({ Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: 'q', MessageBody: 'b' } }),
    );
    expect(r.output).toEqual({ MessageId: 'm-1', echo: { QueueUrl: 'q', MessageBody: 'b' } });
  });

  it('logs state transitions without ever logging a task token', async () => {
    const lines: string[] = [];
    let token = '';
    const engine = await createEngine({
      timeScale: 100_000,
      logger: { debug: (msg, fields) => void lines.push(`${msg} ${JSON.stringify(fields)}`) },
      invokeLambda: async (_fn, p) => {
        token = (p as { t: string }).t;
        setImmediate(() => void engine.sendTaskSuccess({ taskToken: token, output: '{}' }));
        return null;
      },
    });
    await runToEnd(
      engine,
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'f', Payload: { 't.$': '$$.Task.Token' } },
      }),
    );
    expect(lines.some((l) => l.startsWith('state entered'))).toBe(true);
    expect(token).not.toBe('');
    expect(lines.join('\n')).not.toContain(token);
  });
});
