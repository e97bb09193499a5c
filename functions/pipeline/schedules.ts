import { createHash } from 'node:crypto';

/** What a pipeline schedule does when it fires; the scheduled function's input. */
export type ScheduledEvent =
  | { readonly kind: 'auto-validate'; readonly tenantId: string; readonly stepId: string; readonly version: string }
  | {
      readonly kind: 'start-upgrade';
      readonly tenantId: string;
      readonly project: string;
      readonly service: string;
      readonly toVersion: string;
    };

/**
 * The one-time schedules the pipelines need, as a port: the use cases never see
 * EventBridge Scheduler (`scheduler-schedules.ts` is the adapter).
 */
export interface Schedules {
  /** Creates (or, if the name exists, moves) the one-time schedule `name` firing `event` at `at`. */
  put(request: { readonly name: string; readonly at: Date; readonly event: ScheduledEvent; readonly description?: string }): Promise<void>;
  /** Deletes a pending schedule; one that already fired (and deleted itself) is fine. */
  delete(name: string): Promise<void>;
}

/** Schedule names: 1-64 of `[0-9a-zA-Z-_.]`. */
const NAME_MAX = 64;
const sanitize = (value: string) => value.replace(/[^0-9a-zA-Z_.-]/g, '_');

function bounded(name: string): string {
  if (name.length <= NAME_MAX) return name;
  return `${name.slice(0, NAME_MAX - 17)}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/**
 * The auto-validation schedule of version `version` on step `stepId`. Deterministic, so
 * that creating it twice (a retried task) is one schedule.
 */
export const validationScheduleName = (stepId: string, version: string): string => bounded(`val-${stepId}-${sanitize(version)}`);

/** The schedule that starts the pipeline's upgrade of a destination to `toVersion`. */
export function upgradeScheduleName(tenantId: string, project: string, service: string, toVersion: string): string {
  return `upg-${createHash('sha256').update(`${tenantId}/${project}/${service}/${toVersion}`).digest('hex').slice(0, 40)}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up to the next whole second. */
export function atExpression(at: Date): string {
  const seconds = Math.ceil(at.getTime() / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
}

/** The time an `at(...)` expression names (UTC), or undefined for any other expression. */
export function parseAtExpression(expression: string): Date | undefined {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (!match) return undefined;
  const time = Date.parse(`${match[1]}Z`);
  return Number.isNaN(time) ? undefined : new Date(time);
}
