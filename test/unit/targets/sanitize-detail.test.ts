import { describe, expect, it } from 'vitest';
import { matchesLambdaTargetPattern } from '../../../functions/services/lambda-target-pattern.js';
import { createLambdaTarget } from '../../../functions/targets/lambda-target.js';
import { sanitizeDetail } from '../../../functions/targets/sanitize-detail.js';

const ACCESS_DENIED =
  'User: arn:aws:sts::123456789012:assumed-role/SluiceStack-UpgradeTasksFunctionRole-ABC/SluiceStack-UpgradeTasks is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:eu-west-1:123456789012:function:sluice-target-db because no identity-based policy allows the lambda:InvokeFunction action';

describe('sanitizeDetail', () => {
  it('masks ARNs and account ids, keeps the gist', () => {
    const text = sanitizeDetail(`AccessDeniedException: ${ACCESS_DENIED}`);
    expect(text).not.toMatch(/arn:|123456789012|UpgradeTasksFunctionRole/);
    expect(text).toContain('AccessDeniedException');
    expect(text).toContain('not authorized to perform: lambda:InvokeFunction');
  });

  it('masks access key ids and replaces a credentials message whole', () => {
    expect(sanitizeDetail('key AKIAABCDEFGHIJKLMNOP used')).toBe('key <access-key> used');
    expect(sanitizeDetail('CredentialsProviderError: Could not load credentials from any providers')).not.toMatch(/providers/);
    expect(sanitizeDetail('The security token included in the request is invalid.')).not.toMatch(/included/);
  });

  it('leaves a plain detail alone', () => {
    expect(sanitizeDetail('function error (Unhandled): boom')).toBe('function error (Unhandled): boom');
  });

  it('is what the lambda adapter stores for an AccessDenied invoke', async () => {
    const adapter = createLambdaTarget(
      { type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:sluice-target-db' },
      {
        invoker: {
          invoke: async () => {
            throw Object.assign(new Error(ACCESS_DENIED), {
              name: 'AccessDeniedException',
              $fault: 'client',
              $metadata: { httpStatusCode: 403 },
            });
          },
        },
      },
    );
    const result = await adapter.perform({ action: 'upgrade', executionId: 'upg_x', instance: { id: 'i-0' }, toVersion: '1.0.1' } as never);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/arn:|123456789012/);
  });
});

describe('matchesLambdaTargetPattern', () => {
  const pattern = 'arn:aws:lambda:eu-west-1:123456789012:function:sluice-target-*';
  it('admits the pattern, qualified or not, and nothing else', () => {
    expect(matchesLambdaTargetPattern('arn:aws:lambda:eu-west-1:123456789012:function:sluice-target-db', pattern)).toBe(true);
    expect(matchesLambdaTargetPattern('arn:aws:lambda:eu-west-1:123456789012:function:sluice-target-db:live', pattern)).toBe(true);
    expect(matchesLambdaTargetPattern('arn:aws:lambda:eu-west-1:123456789012:function:other', pattern)).toBe(false);
    expect(matchesLambdaTargetPattern('arn:aws:lambda:eu-west-1:210987654321:function:sluice-target-db', pattern)).toBe(false);
    expect(matchesLambdaTargetPattern('arn:aws:lambda:us-east-1:123456789012:function:sluice-target-db', pattern)).toBe(false);
  });
  it('admits any function when no pattern is set (the local runtime)', () => {
    expect(matchesLambdaTargetPattern('arn:aws:lambda:eu-west-1:123456789012:function:other', undefined)).toBe(true);
  });
});
