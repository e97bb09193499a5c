/** A service's weekly maintenance window (UTC), as the services API stores it. */
export interface MaintenanceWindow {
  readonly dayOfWeek: 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
  readonly startHour: number;
  readonly durationHours: number;
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

/**
 * When work may start in `window`: `now` itself while the window is open, else the next
 * time it opens.
 *
 * @example
 * nextWindowStart({ dayOfWeek: 'sunday', startHour: 2, durationHours: 4 }, new Date('2024-01-01T12:00:00Z'));
 * // 2024-01-07T02:00:00.000Z (the Monday noon is past this week's window)
 */
export function nextWindowStart(window: MaintenanceWindow, now: Date): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const daysBack = (now.getUTCDay() - DAYS.indexOf(window.dayOfWeek) + 7) % 7;
  let opens = midnight - daysBack * 24 * HOUR + window.startHour * HOUR;
  // The latest opening at or before now, then: open now, or the next one.
  if (opens > now.getTime()) opens -= WEEK;
  if (now.getTime() < opens + window.durationHours * HOUR) return now;
  return new Date(opens + WEEK);
}
