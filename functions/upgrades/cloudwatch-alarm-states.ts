import { cloudWatchSdk as sdk } from '../common/aws-sdk.js';
import type { Env } from '../common/env.js';
import { lazy } from '../common/lazy.js';
import type { AlarmState, AlarmStates } from './alarm-states.js';

/**
 * The alarms port over CloudWatch's DescribeAlarms (the one action granted:
 * `cloudwatch:DescribeAlarms`). Locally `CLOUDWATCH_ENDPOINT` points the same client at
 * the runtime's embedded alarms endpoint, so `aws cloudwatch set-alarm-state` there trips
 * a running rollout exactly as in AWS. The client is made on the first call, so a function
 * whose requests name no alarm never loads it.
 */
export function createCloudWatchAlarmStates(env: Pick<Env, 'AWS_REGION' | 'CLOUDWATCH_ENDPOINT'>): AlarmStates {
  const client = lazy(async () => {
    const { CloudWatchClient } = await sdk();
    return new CloudWatchClient({
      region: env.AWS_REGION,
      ...(env.CLOUDWATCH_ENDPOINT
        ? { endpoint: env.CLOUDWATCH_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
  });
  return {
    async describe(names) {
      const { DescribeAlarmsCommand } = await sdk();
      const cloudwatch = await client();
      const states = new Map<string, { state: AlarmState; reason?: string }>();
      // At most 100 names a call; an upgrade watches at most 10.
      for (let start = 0; start < names.length; start += 100) {
        let NextToken: string | undefined;
        do {
          const page = await cloudwatch.send(
            new DescribeAlarmsCommand({
              AlarmNames: names.slice(start, start + 100),
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              ...(NextToken ? { NextToken } : {}),
            }),
          );
          for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
            if (alarm.AlarmName && alarm.StateValue)
              states.set(alarm.AlarmName, {
                state: alarm.StateValue as AlarmState,
                ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
              });
          }
          NextToken = page.NextToken;
        } while (NextToken);
      }
      return states;
    },
  };
}
