import { LocalCloudWatch, startCloudWatchServer } from './cloudwatch/index.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambdas.js';

export interface LocalAlarms {
  readonly cloudwatch: LocalCloudWatch;
  /** The CloudWatch endpoint the real SDK client (and the AWS CLI) can use for alarms. */
  readonly endpoint: string;
  /** What the handlers read to reach it: `CLOUDWATCH_ENDPOINT=…`. */
  readonly environment: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The embedded CloudWatch alarms behind the CloudWatch API on localhost: alarms are
 * created, described, deleted and set to a state, never evaluated (decision 0026).
 */
export async function startLocalAlarms(options: { persistDir?: string } = {}): Promise<LocalAlarms> {
  const cloudwatch = await LocalCloudWatch.create({
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    ...(options.persistDir ? { persistDir: options.persistDir } : {}),
  });
  const server = await startCloudWatchServer(cloudwatch, { port: 0 });
  return {
    cloudwatch,
    endpoint: server.url,
    environment: { CLOUDWATCH_ENDPOINT: server.url },
    async stop() {
      await server.close();
      await cloudwatch.close();
    },
  };
}
