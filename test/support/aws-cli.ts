import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether the AWS CLI is installed: the tests that drive it are skipped otherwise. */
export const hasAwsCli = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v aws'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * The environment the AWS CLI runs in against a local endpoint: any credentials and region
 * work, the user's own profile and config stay out, one attempt, no pager.
 */
export function awsCliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(tmpdir(), 'sluice-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'sluice-no-aws-credentials'),
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
    ...extra,
  };
  delete env.AWS_PROFILE;
  return env;
}
