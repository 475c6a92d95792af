import type { TaskPriority } from './scheduling.js';
import type { TaskType } from './task.js';

/** How a program's interval is measured: calendar days, flown hours or flight cycles. */
export const INTERVAL_TYPES = ['calendar', 'flight_hours', 'cycles'] as const;

export type IntervalType = (typeof INTERVAL_TYPES)[number];

/** The unit of `interval_value` for each interval type, for messages and documentation. */
export const INTERVAL_UNITS: Record<IntervalType, string> = {
  calendar: 'days',
  flight_hours: 'flight hours',
  cycles: 'cycles',
};

/** The largest interval accepted, in any unit (about 2 700 years of days; far beyond any real program). */
export const MAX_INTERVAL_VALUE = 1_000_000;

/** An aircraft's usage counters as read together with a program bound to it. */
export interface AircraftUsage {
  flightHours: number;
  cycles: number;
}

/**
 * A recurring maintenance requirement. Bound to one aircraft, or a template when `aircraftId` is
 * null. `lastPerformedFlightHours` / `lastPerformedCycles` are the aircraft's counters when a task
 * of the program last completed; only task completion sets them.
 */
export interface MaintenanceProgram {
  id: string;
  orgId: string;
  aircraftId: string | null;
  name: string;
  intervalType: IntervalType;
  intervalValue: number;
  lastPerformed: Date | null;
  lastPerformedFlightHours: number | null;
  lastPerformedCycles: number | null;
  /** The bound aircraft's current counters, read with the program; null for a template. */
  aircraftUsage: AircraftUsage | null;
  /**
   * The bound aircraft's own `next_due`, read with the program (null when unset, or for a
   * template): when a calendar program that was never performed first falls due.
   */
  aircraftNextDue: Date | null;
  /**
   * How early before its due point the program generates a task, in its own units (days, hours or
   * cycles); null means the default, a tenth of the interval (see `leadValueOf`).
   */
  leadValue: number | null;
  /** The type of the tasks the generator creates for the program. */
  taskType: TaskType;
  /** The length of a generated task's window, in minutes. */
  taskDurationMinutes: number;
  /** The priority of the tasks the generator creates for the program (unset: routine). */
  taskPriority?: TaskPriority;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * When a program is next due. Exactly one of `at`, `flightHours` and `cycles` is set, by interval
 * type; `remaining` is what is left of the interval on the bound aircraft's counters (negative
 * when overdue), known for flight_hours and cycles programs bound to an aircraft only.
 */
export interface NextDue {
  at: Date | null;
  flightHours: number | null;
  cycles: number | null;
  remaining: number | null;
}

const DAY_MS = 86_400_000;

/** Flight hours are kept to the hundredth, as the database stores them. */
const hundredths = (value: number): number => Math.round(value * 100) / 100;

/**
 * When the program is next due, or undefined when that cannot be known yet (it was never
 * performed, or the counters of its last performance are unknown). Calendar programs fall due
 * `intervalValue` days after `lastPerformed` — or, never performed, at the aircraft's own
 * `next_due` when it has one (the specification: "schedule first task at next_due"); counter
 * programs `intervalValue` hours or cycles after the counters of their last performance.
 */
export function nextDue(program: MaintenanceProgram): NextDue | undefined {
  const usage = program.aircraftUsage;
  switch (program.intervalType) {
    case 'calendar':
      if (program.lastPerformed === null) {
        if (program.aircraftNextDue === null) return undefined;
        return { at: program.aircraftNextDue, flightHours: null, cycles: null, remaining: null };
      }
      return {
        at: new Date(program.lastPerformed.getTime() + program.intervalValue * DAY_MS),
        flightHours: null,
        cycles: null,
        remaining: null,
      };
    case 'flight_hours': {
      if (program.lastPerformedFlightHours === null) return undefined;
      const due = hundredths(program.lastPerformedFlightHours + program.intervalValue);
      return {
        at: null,
        flightHours: due,
        cycles: null,
        remaining: usage === null ? null : hundredths(due - usage.flightHours),
      };
    }
    case 'cycles': {
      if (program.lastPerformedCycles === null) return undefined;
      const due = program.lastPerformedCycles + program.intervalValue;
      return {
        at: null,
        flightHours: null,
        cycles: due,
        remaining: usage === null ? null : due - usage.cycles,
      };
    }
  }
}

/** One problem with one field of a program, as the API names it. */
export interface ProgramProblem {
  field: 'name' | 'last_performed';
  reason: 'PROGRAM_NAME_BLANK' | 'LAST_PERFORMED_IN_FUTURE';
  message: string;
}

/** Trims a program name; surrounding whitespace never distinguishes two programs. */
export const normalizeProgramName = (name: string): string => name.trim();

/**
 * What is wrong with the writable fields of a program, given the current time: a blank name, or
 * a `lastPerformed` in the future (maintenance cannot have been performed yet).
 */
export function programProblems(
  fields: { name?: string | undefined; lastPerformed?: Date | null | undefined },
  now: Date,
): ProgramProblem[] {
  const problems: ProgramProblem[] = [];
  if (fields.name !== undefined && normalizeProgramName(fields.name) === '') {
    problems.push({ field: 'name', reason: 'PROGRAM_NAME_BLANK', message: 'must not be blank' });
  }
  if (fields.lastPerformed && fields.lastPerformed.getTime() > now.getTime()) {
    problems.push({
      field: 'last_performed',
      reason: 'LAST_PERFORMED_IN_FUTURE',
      message: 'must not be in the future',
    });
  }
  return problems;
}
