/**
 * The dashboard's figures (issue 14): the windows they look at and the rates they derive. Pure
 * functions; the counts themselves come from aggregate SQL (src/infra/postgres/dashboard.ts).
 */

/** On-time completion rate and average turnaround look at tasks completed in the last this many days. */
export const COMPLETION_WINDOW_DAYS = 30;

/** Certifications are counted as expiring within each of these many days (cumulative windows). */
export const CERTIFICATION_EXPIRY_WINDOWS_DAYS = [30, 60, 90] as const;

/**
 * The hours of one mechanic's shift: utilisation is the hours booked on the current UTC day
 * divided by this (so 1.0 is a full shift; overtime shows above 1).
 */
export const SHIFT_HOURS = 8;

/** The share `part / whole` rounded to 4 decimals, or null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

/** A number of hours rounded to 2 decimals (null stays null). */
export function hours(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}

/** The share of a shift `bookedHours` fill. */
export function utilisation(bookedHours: number, shiftHours: number = SHIFT_HOURS): number {
  return Math.round((bookedHours / shiftHours) * 10_000) / 10_000;
}

/** The UTC calendar day of `now`: [midnight, next midnight). */
export function utcDay(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { start, end: new Date(start.getTime() + 86_400_000) };
}
