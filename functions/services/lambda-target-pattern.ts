import { ValidationError } from '../common/errors.js';
import type { Target } from './schemas.js';

/**
 * Which functions a `lambda` target may name: a function ARN pattern where `*` stands
 * for any run of characters, e.g. `arn:aws:lambda:eu-west-1:123456789012:function:sluice-target-*`.
 * In AWS the stack sets it (`SLUICE_LAMBDA_TARGET_PATTERN`, from the context key
 * `sluice:lambdaTargetPattern`) to exactly what the task function may invoke, so a
 * target the task function could never call is refused when it is configured instead
 * of failing every upgrade. Unset (the local runtime), any function ARN is allowed.
 * A qualified ARN (`…:function:name:alias`) matches when its function does.
 */
export function matchesLambdaTargetPattern(functionArn: string, pattern: string | undefined): boolean {
  if (pattern === undefined || pattern === '') return true;
  const unqualified = functionArn.split(':').slice(0, 7).join(':');
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(unqualified);
}

/** 422 naming `body.target.functionArn` when a lambda target is outside the pattern. */
export function assertLambdaTargetAllowed(target: Target | undefined, pattern: string | undefined): void {
  if (target?.type !== 'lambda' || matchesLambdaTargetPattern(target.functionArn, pattern)) return;
  throw new ValidationError(`Sluice may invoke only functions matching ${pattern}.`, {
    errors: [{ field: 'body.target.functionArn', message: `the function must match ${pattern}` }],
  });
}
