import * as z from 'zod';
import { SafeKey } from '../shared/schemas.js';

/** Label keys and values (docs/architecture.md#fleet-update-runs): lower-case, up to 63 characters. */
const LABEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MAX_LABELS = 20;

export const LabelKey = z.string().regex(LABEL_PATTERN, 'a label key of 1-63 lower-case letters, digits, dots, dashes, underscores');
export const LabelValue = z.string().regex(LABEL_PATTERN, 'a label value of 1-63 lower-case letters, digits, dots, dashes, underscores');

/** A service's labels: at most {@link MAX_LABELS} pairs. Groups of update runs select services by them. */
export const Labels = z
  .record(SafeKey(LabelKey), LabelValue)
  .refine((labels) => Object.keys(labels).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`);
export type Labels = z.infer<typeof Labels>;

/** Whether `labels` carry every pair of `matchLabels`. */
export function matchesLabels(
  labels: Readonly<Record<string, string>> | undefined,
  matchLabels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(matchLabels).every(([key, value]) => labels?.[key] === value);
}
