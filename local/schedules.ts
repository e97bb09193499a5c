import type { Logger } from '../functions/common/logger.js';
import { invokeLocalFunction, LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn, SCHEDULED_FUNCTION_NAME } from './lambdas.js';
import { LocalScheduler, startSchedulerServer } from './scheduler/index.js';

/** The schedule group the local runtime creates, as the stack does in AWS. */
export const LOCAL_SCHEDULE_GROUP = 'sluice';

export interface LocalSchedules {
  readonly scheduler: LocalScheduler;
  /** The EventBridge Scheduler endpoint the real SDK client can use. */
  readonly endpoint: string;
  /** What the handlers read to create schedules: `SCHEDULER_ENDPOINT=…`, `SCHEDULE_GROUP=…`, … */
  readonly environment: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The embedded EventBridge Scheduler with the pipelines' schedule group, behind the
 * Scheduler API on localhost; due schedules invoke the same function module Lambda runs.
 */
export async function startLocalSchedules(options: { timeScale: number; persistDir?: string; logger: Logger }): Promise<LocalSchedules> {
  const scheduler = await LocalScheduler.create({
    invoke: invokeLocalFunction,
    timeScale: options.timeScale,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    logger: options.logger,
    ...(options.persistDir ? { persistDir: options.persistDir } : {}),
  });
  scheduler.ensureScheduleGroup(LOCAL_SCHEDULE_GROUP);
  const server = await startSchedulerServer(scheduler, { port: 0 });
  return {
    scheduler,
    endpoint: server.url,
    environment: {
      SCHEDULER_ENDPOINT: server.url,
      SCHEDULE_GROUP: LOCAL_SCHEDULE_GROUP,
      SCHEDULER_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/sluice-scheduler`,
      SCHEDULED_FUNCTION_ARN: localFunctionArn(SCHEDULED_FUNCTION_NAME),
      SCHEDULER_DLQ_ARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:sluice-scheduler-dlq`,
    },
    async stop() {
      await server.close();
      await scheduler.close();
    },
  };
}
