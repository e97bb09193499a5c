import type { CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { schedulerSdk as sdk } from '../common/aws-sdk.js';
import type { Env } from '../common/env.js';
import { lazy } from '../common/lazy.js';
import { atExpression, type Schedules } from './schedules.js';

/**
 * The EventBridge Scheduler adapter of the schedules port. In AWS it talks to the
 * service; locally `SCHEDULER_ENDPOINT` points the same client at the embedded scheduler.
 * The client is made on the first call: most requests never touch a schedule.
 */
export function createSchedulerSchedules(
  env: Pick<
    Env,
    'AWS_REGION' | 'SCHEDULER_ENDPOINT' | 'SCHEDULE_GROUP' | 'SCHEDULER_ROLE_ARN' | 'SCHEDULED_FUNCTION_ARN' | 'SCHEDULER_DLQ_ARN'
  >,
): Schedules {
  const client = lazy(async () => {
    const { SchedulerClient } = await sdk();
    return new SchedulerClient({
      region: env.AWS_REGION,
      ...(env.SCHEDULER_ENDPOINT
        ? { endpoint: env.SCHEDULER_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
  });
  const group = env.SCHEDULE_GROUP;
  const target = () => {
    if (!env.SCHEDULED_FUNCTION_ARN || !env.SCHEDULER_ROLE_ARN)
      throw new Error('SCHEDULED_FUNCTION_ARN and SCHEDULER_ROLE_ARN must be set to create schedules');
    return {
      Arn: env.SCHEDULED_FUNCTION_ARN,
      RoleArn: env.SCHEDULER_ROLE_ARN,
      ...(env.SCHEDULER_DLQ_ARN ? { DeadLetterConfig: { Arn: env.SCHEDULER_DLQ_ARN } } : {}),
    };
  };

  return {
    async put({ name, at, event, description }) {
      const input: CreateScheduleCommandInput = {
        Name: name,
        GroupName: group,
        ScheduleExpression: atExpression(at),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { ...target(), Input: JSON.stringify(event), RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86_400 } },
        ...(description ? { Description: description.slice(0, 512) } : {}),
      };
      const { ConflictException, CreateScheduleCommand, UpdateScheduleCommand } = await sdk();
      try {
        await (await client()).send(new CreateScheduleCommand(input));
      } catch (error) {
        // The name is deterministic: an existing schedule is this one, possibly moved.
        if (!(error instanceof ConflictException)) throw error;
        await (await client()).send(new UpdateScheduleCommand(input));
      }
    },

    async delete(name) {
      const { DeleteScheduleCommand, ResourceNotFoundException } = await sdk();
      try {
        await (await client()).send(new DeleteScheduleCommand({ Name: name, GroupName: group }));
      } catch (error) {
        // Fired and deleted itself meanwhile: the goal is reached.
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}
