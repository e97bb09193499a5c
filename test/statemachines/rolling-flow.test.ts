import { describe, expect, it } from 'vitest';
import { childErrorName } from '../../functions/upgrade-tasks/batch-tasks.js';
import { createEngine } from '../../local/engine/index.js';
import { createFlowStateMachines } from '../../local/flows.js';

/**
 * The deployed rolling.asl.json and batch.asl.json, run as they are on the embedded
 * engine, with a stand-in task function: what is tested is the flows' wiring (retries,
 * catches, the order of tasks), not the tasks.
 */
describe('rolling.asl.json', () => {
  it('retries a task that keeps throwing, then fails only that batch’s unfinished instances and goes on', async () => {
    const calls: { task: string; batch?: number; error?: { Error?: string; Cause?: string } }[] = [];
    let completedBatches = 0;
    const tasks = async (_fn: string, payload: unknown): Promise<unknown> => {
      const event = payload as { task: string; batch?: number; error?: { Error?: string; Cause?: string } };
      calls.push(event);
      switch (event.task) {
        case 'preChecks':
          return { passed: true };
        case 'control':
          return {
            action: completedBatches < 3 ? 'run' : 'complete',
            batch: completedBatches,
            batchDelaySeconds: 1,
            gate: 0,
            gateTimeoutSeconds: 60,
          };
        case 'startBatch':
          if (event.batch === 1) throw new TypeError('the target adapter blew up');
          return { pending: 0, intervalSeconds: 1, more: false };
        case 'settleBatch':
          return {};
        case 'finishBatch':
          completedBatches = (event.batch ?? 0) + 1;
          return { action: completedBatches < 3 ? 'continue' : 'complete' };
        case 'complete':
          return { action: 'done' };
        default:
          throw new Error(`unexpected task ${event.task}`);
      }
    };
    const engine = await createEngine({ invokeLambda: tasks, timeScale: 100_000 });
    try {
      const arns = await createFlowStateMachines(engine, {
        taskFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:tasks',
        prefix: 'test-',
      });
      const { executionArn } = await engine.startExecution({
        stateMachineArn: arns.rolling ?? '',
        input: JSON.stringify({ tenantId: 't', executionId: 'e' }),
      });
      const result = await engine.waitForExecution(executionArn);
      expect(result.status).toBe('SUCCEEDED');
      // 1 attempt + 3 retries of States.TaskFailed (the Retry of every task state).
      expect(calls.filter((call) => call.task === 'startBatch' && call.batch === 1)).toHaveLength(4);
      const settled = calls.filter((call) => call.task === 'settleBatch');
      // A failed `.sync:2` child surfaces as States.TaskFailed with its description as Cause.
      expect(settled).toEqual([expect.objectContaining({ batch: 1, error: expect.objectContaining({ Error: 'States.TaskFailed' }) })]);
      expect(childErrorName(settled[0]?.error as { Error?: string; Cause?: string })).toBe('TypeError');
      expect(calls.map((call) => call.task).filter((task) => task === 'finishBatch')).toHaveLength(3);
      expect(calls.at(-1)?.task).toBe('complete');
    } finally {
      await engine.close();
    }
  });
});
