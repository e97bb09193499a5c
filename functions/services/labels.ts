import * as z from 'zod';
import { SafeKey } from '../common/schemas.js';
import { deferred } from '../domain/deferred.js';

/** Label keys and values (docs/architecture.md#fleet-update-runs): lower-case, up to 63 characters. */
const LABEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MAX_LABELS = 20;

export const LabelKey = z.string().regex(LABEL_PATTERN, 'a label key of 1-63 lower-case letters, digits, dots, dashes, underscores');
export const LabelValue = z.string().regex(LABEL_PATTERN, 'a label value of 1-63 lower-case letters, digits, dots, dashes, underscores');

/**
 * Refuses an own `__proto__` key before the record sees it. zod's records drop that key
 * without running the key schema, so SafeKey never gets to refuse it and
 * `{"__proto__": "x"}` would pass as `{}`; the contract is a 422 like `constructor` and
 * `prototype` get, not a silent strip.
 */
function refuseProtoKey(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
    ctx.addIssue({
      code: 'custom',
      message: 'the keys __proto__, constructor and prototype are not allowed',
      path: ['__proto__'],
      input: value,
    });
  }
  return value;
}

/** A service's labels: at most {@link MAX_LABELS} pairs. Groups of update runs select services by them. */
export const Labels = deferred(() =>
  z.preprocess(
    refuseProtoKey,
    z.record(SafeKey(LabelKey), LabelValue).refine((labels) => Object.keys(labels).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`),
  ),
);
export type Labels = z.infer<typeof Labels>;

/** Whether `labels` carry every pair of `matchLabels`. */
export function matchesLabels(
  labels: Readonly<Record<string, string>> | undefined,
  matchLabels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(matchLabels).every(([key, value]) => labels?.[key] === value);
}
