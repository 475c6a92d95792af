/**
 * The due list and the due tracker: what falls due on an aircraft — the next occurrence of each
 * maintenance program bound to it and each open directive limit — with the day it is projected
 * to come from the aircraft's recent utilisation, and whether it is already overdue. The SQL of
 * the due list and of the due tracker mirrors these functions (tests compare them case by case).
 */
import {
  addCalendar,
  calendarDayOf,
  daysBetween,
  isPastLimit,
  type AircraftPoint,
  type CalendarDay,
  type DailyUtilisation,
  type Due,
  type TrackedDue,
  type TrackingStatus,
} from './directive.js';
import type { NextDue } from './program.js';

/** Where a due item comes from: a maintenance program's next occurrence, or a directive's limit. */
export const DUE_SOURCES = ['program', 'directive'] as const;
export type DueSource = (typeof DUE_SOURCES)[number];

/** The window of recorded flights an aircraft's average daily utilisation is taken over. */
export const UTILISATION_WINDOW_DAYS = 90;

/** The due list's horizon when the request names none. */
export const DEFAULT_HORIZON_DAYS = 30;

/** How far ahead the due list looks, whichever comes first; a null part does not limit. */
export interface DueHorizon {
  days: number | null;
  flightHours: number | null;
  cycles: number | null;
}

/** The horizon asked for, or `DEFAULT_HORIZON_DAYS` days when none of the three is given. */
export function resolveHorizon(input: Partial<DueHorizon>): DueHorizon {
  const horizon = {
    days: input.days ?? null,
    flightHours: input.flightHours ?? null,
    cycles: input.cycles ?? null,
  };
  if (horizon.days === null && horizon.flightHours === null && horizon.cycles === null) {
    return { ...horizon, days: DEFAULT_HORIZON_DAYS };
  }
  return horizon;
}

/**
 * An aircraft's average use per calendar day over the last `UTILISATION_WINDOW_DAYS` days: the
 * flights recorded in that window, summed, over the whole window (days without flights count).
 */
export function averageDailyUtilisation(flown: { flightHours: number; cycles: number }): DailyUtilisation {
  return {
    flightHours: flown.flightHours / UTILISATION_WINDOW_DAYS,
    cycles: flown.cycles / UTILISATION_WINDOW_DAYS,
  };
}

/** Tracking statuses the due tracker may turn into `overdue`. */
export const OVERDUE_CANDIDATE_STATUSES: readonly TrackingStatus[] = ['pending', 'in_progress', 'deferred'];

/**
 * Whether the due tracker turns a tracking row into `overdue` now: it is still open and its
 * effective limit is past (`isOverdue`: the day after the due date has begun, or the counters are
 * beyond the due hours or cycles).
 */
export function becomesOverdue(row: TrackedDue, now: AircraftPoint): boolean {
  return OVERDUE_CANDIDATE_STATUSES.includes(row.status) && isPastLimit(row, now);
}

/**
 * A program's next due as a due-list limit: a calendar program's due instant as its UTC day, a
 * counter program's hours or cycles. Nothing due when the program's next due is not known.
 */
export function programDue(next: NextDue | undefined): Due {
  if (next === undefined) return { date: null, flightHours: null, cycles: null };
  return {
    date: next.at === null ? null : calendarDayOf(next.at),
    flightHours: next.flightHours,
    cycles: next.cycles,
  };
}

/** What is left before a limit: days to the due date, hours and cycles to the due counters (negative once past). */
export interface Remaining {
  days: number | null;
  flightHours: number | null;
  cycles: number | null;
}

export function remainingUntil(due: Due, now: AircraftPoint): Remaining {
  return {
    days: due.date === null ? null : daysBetween(now.date, due.date),
    flightHours:
      due.flightHours === null ? null : Math.round((due.flightHours - now.flightHours) * 100) / 100,
    cycles: due.cycles === null ? null : due.cycles - now.cycles,
  };
}

/**
 * The instant a task complying with a limit must end by: the end of the limit's (projected) due
 * day, UTC — compliance on the due day itself is still on time. Null when nothing is projected.
 */
export function complianceDeadline(projected: CalendarDay | null): Date | null {
  return projected === null ? null : new Date(`${addCalendar(projected, 1, 'days')}T00:00:00.000Z`);
}
