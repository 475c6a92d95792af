import { nextDue, type MaintenanceProgram } from './program.js';

/**
 * The due rules of the program generator. A live program bound to a live aircraft generates a
 * `scheduled` task when its next due point (see `nextDue`) comes within its lead:
 *
 * - calendar: `last_performed + interval_value days <= now + lead days`; never performed, the
 *   aircraft's own `next_due` takes the place of that due point when it has one;
 * - flight_hours / cycles: `last_performed_<counter> + interval_value <= aircraft counter + lead`;
 * - never performed otherwise (calendar without `last_performed` on an aircraft without
 *   `next_due`, a counter program without the counters of its last performance): due at once —
 *   the first task establishes the baseline.
 *
 * The repository's SQL selects candidates with the same predicate (`program-generation.ts` in
 * infra/postgres); the plan below decides, and a test keeps the two in step.
 */

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** The lead of a program without its own: a tenth of the interval, at least one unit. */
export const defaultLeadValue = (intervalValue: number): number =>
  Math.max(1, Math.floor(intervalValue / 10));

/** How early the program generates a task, in its own units (days, hours or cycles). */
export const leadValueOf = (program: Pick<MaintenanceProgram, 'leadValue' | 'intervalValue'>): number =>
  program.leadValue ?? defaultLeadValue(program.intervalValue);

/**
 * The first slot a generated task may take when its due time has passed or cannot be known (usage
 * programs): the next full hour after `now`, so a planner has a moment to react.
 */
export const nextSlot = (now: Date): Date =>
  new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);

/** Why a program generates nothing now. */
export type NotDueReason = 'TEMPLATE_PROGRAM' | 'NOT_DUE';

/** A due program's task: when it was due (calendar only) and the window it asks for. */
export interface GenerationPlan {
  programId: string;
  orgId: string;
  aircraftId: string;
  /** The calendar due time, or null for never-performed and usage programs. */
  dueAt: Date | null;
  /** What is left of the interval on the aircraft's counters (usage programs), negative when overdue. */
  remaining: number | null;
  /** The window wanted: the due time if still ahead, else the next slot (see `firstFreeStart` for collisions). */
  startTime: Date;
  endTime: Date;
}

/** How to plan: `regardlessOfLead` plans a known due time however far ahead it lies. */
export interface PlanOptions {
  /**
   * Plan a task for a due time however far ahead (the next occurrence right after a completion,
   * which the planner wants to see at once) instead of only within the lead. It applies where the
   * due time is known: a calendar program's. A usage program's day depends on flying still to be
   * done, so it is still planned only once within its lead.
   */
  regardlessOfLead?: boolean | undefined;
}

/**
 * Whether the program is due at `now` and, if so, the task window it asks for; a reason otherwise.
 * Whether a task of the program is already active is the caller's concern (it needs the database).
 */
export function planGeneration(
  program: MaintenanceProgram,
  now: Date,
  options: PlanOptions = {},
): { plan: GenerationPlan } | { reason: NotDueReason } {
  if (program.aircraftId === null || program.aircraftUsage === null) return { reason: 'TEMPLATE_PROGRAM' };
  const due = nextDue(program);
  const lead = leadValueOf(program);
  let dueAt: Date | null = null;
  if (due !== undefined) {
    if (due.at !== null) {
      const withinLead = due.at.getTime() <= now.getTime() + lead * 24 * HOUR_MS;
      if (!withinLead && options.regardlessOfLead !== true) return { reason: 'NOT_DUE' };
      dueAt = due.at;
    } else if (due.remaining === null || due.remaining > lead) {
      return { reason: 'NOT_DUE' };
    }
  }
  const startTime = dueAt !== null && dueAt.getTime() > now.getTime() ? dueAt : nextSlot(now);
  return {
    plan: {
      programId: program.id,
      orgId: program.orgId,
      aircraftId: program.aircraftId,
      dueAt,
      remaining: due?.remaining ?? null,
      startTime,
      endTime: new Date(startTime.getTime() + program.taskDurationMinutes * MINUTE_MS),
    },
  };
}

/** A window [start, end) an aircraft is already booked for. */
export interface BusyWindow {
  start: Date;
  end: Date;
}

/**
 * The first start at or after `desired` where a window of `durationMinutes` overlaps none of
 * `busy` (half-open windows, as the database's exclusion constraint compares them): the desired
 * start itself, or the end of one of the busy windows.
 */
export function firstFreeStart(desired: Date, durationMinutes: number, busy: BusyWindow[]): Date {
  const duration = durationMinutes * MINUTE_MS;
  let start = desired.getTime();
  for (const window of [...busy].sort((a, b) => a.start.getTime() - b.start.getTime())) {
    if (window.end.getTime() <= start) continue;
    if (window.start.getTime() >= start + duration) break;
    start = window.end.getTime();
  }
  return new Date(start);
}
