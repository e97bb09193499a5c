import { createEngine, MAX_HISTORY_EVENTS, type SfnEngine } from '../local/engine/index.js';
import { createFlowStateMachines } from '../local/flows.js';

export interface HistoryFigures {
  readonly instances: number;
  readonly batchSize: number;
  readonly batches: number;
  readonly healthPollsPerBatch: number;
  /** Events in the parent execution's history: the one that must stay under 25,000. */
  readonly parentEvents: number;
  readonly largestChildEvents: number;
  /** State transitions (states entered) over parent and children. */
  readonly stateTransitions: number;
  readonly parentEventsPerInstance: number;
  readonly historyLimit: number;
}

/**
 * The history a 10,000-instance ROLLING upgrade writes, from the real ASL files on the
 * embedded engine. The task function is a stand-in that answers as the real one would
 * for a clean run (each batch needs `healthPollsPerBatch` health polls), so what is
 * measured is exactly what the flows' structure costs, without 10,000 DynamoDB Local
 * round trips in the way.
 */
export async function runHistoryBench({ instances = 10_000, batchSize = 50, healthPollsPerBatch = 3 } = {}): Promise<HistoryFigures> {
  const batches = Math.ceil(instances / batchSize);
  let completedBatches = 0;
  const polls = new Map<number, number>();
  const task = async (_name: string, payload: unknown): Promise<unknown> => {
    const event = payload as { task: string; batch?: number };
    switch (event.task) {
      case 'preChecks':
        return { passed: true };
      case 'control':
        return {
          action: completedBatches < batches ? 'run' : 'complete',
          batch: completedBatches,
          batchDelaySeconds: 60,
          gate: 0,
          gateTimeoutSeconds: 60,
        };
      case 'startBatch':
      case 'checkBatchHealth': {
        const seen = (polls.get(event.batch ?? 0) ?? 0) + (event.task === 'checkBatchHealth' ? 1 : 0);
        polls.set(event.batch ?? 0, seen);
        return { pending: seen < healthPollsPerBatch ? 1 : 0, intervalSeconds: 30, more: false };
      }
      case 'finishBatch':
        completedBatches = (event.batch ?? 0) + 1;
        return { action: completedBatches < batches ? 'continue' : 'complete' };
      case 'complete':
        return { action: 'done' };
      default:
        throw new Error(`unexpected task ${event.task}`);
    }
  };
  // Waits pass a million times faster: a 60 s batch delay takes 60 µs.
  const engine = await createEngine({ invokeLambda: task, timeScale: 1_000_000 });
  try {
    const arns = await createFlowStateMachines(engine, {
      taskFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench-tasks',
      prefix: 'bench-',
    });
    const { executionArn } = await engine.startExecution({
      stateMachineArn: arns.rolling ?? '',
      input: JSON.stringify({ tenantId: 't', executionId: 'e' }),
    });
    const result = await engine.waitForExecution(executionArn);
    if (result.status !== 'SUCCEEDED') throw new Error(`the flow ended ${result.status}`);
    const parent = await allEvents(engine, executionArn);
    const children = (await engine.listExecutions({ stateMachineArn: arns.batch ?? '', maxResults: 1000 })).executions ?? [];
    let stateTransitions = parent.filter((event) => event.type.endsWith('StateEntered')).length;
    let largestChildEvents = 0;
    for (const child of children) {
      const events = await allEvents(engine, child.executionArn ?? '');
      largestChildEvents = Math.max(largestChildEvents, events.length);
      stateTransitions += events.filter((event) => event.type.endsWith('StateEntered')).length;
    }
    return {
      instances,
      batchSize,
      batches,
      healthPollsPerBatch,
      parentEvents: parent.length,
      largestChildEvents,
      stateTransitions,
      parentEventsPerInstance: Math.round((parent.length / instances) * 1000) / 1000,
      historyLimit: MAX_HISTORY_EVENTS,
    };
  } finally {
    await engine.close();
  }
}

export interface CanaryMonitoringFigures {
  readonly checks: number;
  readonly intervalSeconds: number;
  readonly parentEvents: number;
  readonly largestChildEvents: number;
  readonly monitorChildren: number;
  readonly historyLimit: number;
}

/**
 * A canary left in CANARY_MONITORING for 7 days at 30-second checks (20,160 checks),
 * then promoted: the real canary, monitor, batch and rolling ASL files on the engine,
 * with stand-in tasks. What matters is the parent's history against the limit.
 */
export async function runCanaryMonitoringBench({ checks = 20_160, instances = 20 } = {}): Promise<CanaryMonitoringFigures> {
  let checked = 0;
  let completedBatches = 0;
  const batches = 3;
  const task = async (_name: string, payload: unknown): Promise<unknown> => {
    const event = payload as { task: string; batch?: number };
    switch (event.task) {
      case 'preChecks':
        return { passed: true };
      case 'startBatch':
        return { pending: 0, intervalSeconds: 30, more: false };
      case 'checkBatchHealth':
        return { pending: 0, intervalSeconds: 30 };
      case 'finishCanary':
        completedBatches = 1;
        return { action: 'monitor' };
      case 'monitorCanary':
        checked += 1;
        return { decision: checked >= checks ? 'promoted' : 'continue', intervalSeconds: 30 };
      case 'control':
        return {
          action: completedBatches < batches ? 'run' : 'complete',
          batch: completedBatches,
          batchDelaySeconds: 60,
          gate: 0,
          gateTimeoutSeconds: 60,
        };
      case 'finishBatch':
        completedBatches = (event.batch ?? 0) + 1;
        return { action: completedBatches < batches ? 'continue' : 'complete' };
      case 'complete':
        return { action: 'done' };
      default:
        throw new Error(`unexpected task ${event.task}`);
    }
  };
  void instances;
  const engine = await createEngine({ invokeLambda: task, timeScale: 1_000_000 });
  try {
    const arns = await createFlowStateMachines(engine, {
      taskFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench-tasks',
      prefix: 'bench-',
    });
    const { executionArn } = await engine.startExecution({
      stateMachineArn: arns.canary ?? '',
      input: JSON.stringify({ tenantId: 't', executionId: 'e' }),
    });
    const result = await engine.waitForExecution(executionArn);
    if (result.status !== 'SUCCEEDED') throw new Error(`the canary flow ended ${result.status}`);
    const parent = await allEvents(engine, executionArn);
    const monitors = (await engine.listExecutions({ stateMachineArn: arns['canary-monitor'] ?? '', maxResults: 1000 })).executions ?? [];
    let largestChildEvents = 0;
    for (const child of monitors)
      largestChildEvents = Math.max(largestChildEvents, (await allEvents(engine, child.executionArn ?? '')).length);
    return {
      checks: checked,
      intervalSeconds: 30,
      parentEvents: parent.length,
      largestChildEvents,
      monitorChildren: monitors.length,
      historyLimit: MAX_HISTORY_EVENTS,
    };
  } finally {
    await engine.close();
  }
}

async function allEvents(engine: SfnEngine, executionArn: string): Promise<{ type: string }[]> {
  const events: { type: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await engine.getExecutionHistory({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    events.push(...(page.events as { type: string }[]));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}
