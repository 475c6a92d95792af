/**
 * Airworthiness directives, service bulletins and engineering orders: what a directive applies to,
 * when it first falls due on an aircraft, when it falls due again after each compliance, and
 * whether it is overdue. Limits are "whichever comes first" of a calendar day, flight hours and
 * cycles. Calendar days are ISO dates ('YYYY-MM-DD'); calendar arithmetic follows PostgreSQL's
 * `date + interval` (a month after 31 January is the last day of February, a year after 29 February
 * is 28 February), so the SQL that sorts and filters agrees with these functions.
 */

export const DIRECTIVE_TYPES = ['ad', 'emergency_ad', 'sb', 'alert_sb', 'eo'] as const;
export type DirectiveType = (typeof DIRECTIVE_TYPES)[number];

export const DIRECTIVE_APPLICABILITIES = ['mandatory', 'recommended', 'optional'] as const;
export type DirectiveApplicability = (typeof DIRECTIVE_APPLICABILITIES)[number];

export const DIRECTIVE_STATUSES = ['active', 'superseded', 'cancelled'] as const;
export type DirectiveStatus = (typeof DIRECTIVE_STATUSES)[number];

export const CALENDAR_UNITS = ['days', 'months', 'years'] as const;
export type CalendarUnit = (typeof CALENDAR_UNITS)[number];

/** A directive's status on one aircraft. */
export const TRACKING_STATUSES = [
  'pending',
  'in_progress',
  'complied',
  'not_applicable',
  'deferred',
  'overdue',
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Tracking statuses that still owe compliance: the due tracker, the due list and reports watch these. */
export const OPEN_TRACKING_STATUSES: readonly TrackingStatus[] = [
  'pending',
  'in_progress',
  'deferred',
  'overdue',
];

/** A calendar day, 'YYYY-MM-DD'. */
export type CalendarDay = string;

const CALENDAR_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar day written 'YYYY-MM-DD' (2025-02-29 is not). */
export function isCalendarDay(text: string): boolean {
  const match = CALENDAR_DAY.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** The UTC calendar day of an instant. */
export function calendarDayOf(instant: Date): CalendarDay {
  return instant.toISOString().slice(0, 10);
}

/** `day` moved by `amount` days, months or years (negative moves back), as PostgreSQL's `date + interval`. */
export function addCalendar(day: CalendarDay, amount: number, unit: CalendarUnit): CalendarDay {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  if (unit === 'days') return calendarDayOf(new Date(Date.UTC(year, month - 1, date + amount)));
  const months = unit === 'months' ? amount : amount * 12;
  const index = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(index / 12);
  const targetMonth = (index % 12) + 1;
  const clamped = Math.min(date, daysInMonth(targetYear, targetMonth));
  return `${pad(targetYear, 4)}-${pad(targetMonth, 2)}-${pad(clamped, 2)}`;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDay, to: CalendarDay): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The earlier of two optional days. */
export function earlierDay(a: CalendarDay | null, b: CalendarDay | null): CalendarDay | null {
  if (a === null) return b;
  if (b === null) return a;
  return a <= b ? a : b;
}

/** A point in an aircraft's life: a day and its counters then. */
export interface AircraftPoint {
  date: CalendarDay;
  flightHours: number;
  cycles: number;
}

/**
 * When something falls due, whichever comes first of a day, a flight-hour reading and a cycle
 * count; a null part does not limit. All null: nothing is due.
 */
export interface Due {
  date: CalendarDay | null;
  flightHours: number | null;
  cycles: number | null;
}

export const NOTHING_DUE: Due = { date: null, flightHours: null, cycles: null };

/** The initial compliance limit: a date and/or within N days / flight hours / cycles of the effective date. */
export interface ComplianceLimit {
  date: CalendarDay | null;
  days: number | null;
  flightHours: number | null;
  cycles: number | null;
}

/** Recurrence after each compliance, whichever comes first; all null: once only. */
export interface Recurrence {
  calendar: { value: number; unit: CalendarUnit } | null;
  flightHours: number | null;
  cycles: number | null;
}

/** What a directive applies to: aircraft types, and optionally only some tails or a serial range. */
export interface Applicability {
  aircraftTypeIds: readonly string[];
  tailNumbers: readonly string[] | null;
  serialFrom: string | null;
  serialTo: string | null;
}

/** The facts about an aircraft that applicability looks at. */
export interface ApplicabilityTarget {
  aircraftTypeId: string | null;
  tailNumber: string;
  serialNumber: string | null;
}

/** Flight hours are kept to the hundredth, as the database stores them. */
const hundredths = (value: number): number => Math.round(value * 100) / 100;

export function isRecurring(recurrence: Recurrence): boolean {
  return recurrence.calendar !== null || recurrence.flightHours !== null || recurrence.cycles !== null;
}

export function hasLimit(limit: ComplianceLimit): boolean {
  return limit.date !== null || limit.days !== null || limit.flightHours !== null || limit.cycles !== null;
}

/**
 * Serial numbers compare naturally: a shorter one first, then by character code, so '999' comes
 * before '1000' for the numeric MSNs most manufacturers use. The same order as the database's
 * `amss_serial_in_range`.
 */
export function compareSerials(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether a directive applies to an aircraft: the aircraft's type is one of the directive's types
 * (an aircraft of unknown type matches none), and — when the directive narrows further — its tail
 * is listed and its serial number lies in the range (an aircraft without a serial number is outside
 * any range). Mirrors the SQL of the fleet scan.
 */
export function appliesTo(applicability: Applicability, aircraft: ApplicabilityTarget): boolean {
  if (aircraft.aircraftTypeId === null || !applicability.aircraftTypeIds.includes(aircraft.aircraftTypeId)) {
    return false;
  }
  if (applicability.tailNumbers !== null && !applicability.tailNumbers.includes(aircraft.tailNumber))
    return false;
  if (applicability.serialFrom === null && applicability.serialTo === null) return true;
  const serial = aircraft.serialNumber;
  if (serial === null) return false;
  if (applicability.serialFrom !== null && compareSerials(serial, applicability.serialFrom) < 0) return false;
  return applicability.serialTo === null || compareSerials(serial, applicability.serialTo) <= 0;
}

/**
 * When a directive first falls due on an aircraft: the limit date, the effective date plus the limit
 * days, and the aircraft's counters at the effective date (`baseline`) plus the limit hours and
 * cycles — each that the directive sets, whichever comes first.
 */
export function initialDue(limit: ComplianceLimit, baseline: AircraftPoint): Due {
  const byDays = limit.days === null ? null : addCalendar(baseline.date, limit.days, 'days');
  return {
    date: earlierDay(limit.date, byDays),
    flightHours: limit.flightHours === null ? null : hundredths(baseline.flightHours + limit.flightHours),
    cycles: limit.cycles === null ? null : baseline.cycles + limit.cycles,
  };
}

/**
 * The next due after an act of compliance: for a recurring directive, the recurrence counted from
 * the compliance (its day and the aircraft's counters then), whichever comes first; a directive
 * complied with once is closed (nothing due).
 */
export function dueAfterCompliance(recurrence: Recurrence, compliance: AircraftPoint): Due {
  if (!isRecurring(recurrence)) return NOTHING_DUE;
  return {
    date:
      recurrence.calendar === null
        ? null
        : addCalendar(compliance.date, recurrence.calendar.value, recurrence.calendar.unit),
    flightHours:
      recurrence.flightHours === null ? null : hundredths(compliance.flightHours + recurrence.flightHours),
    cycles: recurrence.cycles === null ? null : compliance.cycles + recurrence.cycles,
  };
}

export function isNothingDue(due: Due): boolean {
  return due.date === null && due.flightHours === null && due.cycles === null;
}

/**
 * Whether a limit is past on an aircraft now: the day after the due date has begun, or the counters
 * have gone beyond the due hours or cycles (reaching the limit exactly is still within it).
 */
export function isOverdue(due: Due, now: AircraftPoint): boolean {
  return (
    (due.date !== null && now.date > due.date) ||
    (due.flightHours !== null && now.flightHours > due.flightHours) ||
    (due.cycles !== null && now.cycles > due.cycles)
  );
}

/** An aircraft's recent average use per calendar day. */
export interface DailyUtilisation {
  flightHours: number;
  cycles: number;
}

/**
 * The day a limit is projected to be reached: the due date, or the day the aircraft's counters reach
 * the due hours or cycles at its recent average daily utilisation — whichever comes first. A usage
 * limit already reached projects to today; one on an aircraft that does not fly never comes (null
 * when nothing else limits).
 */
export function projectedDueDate(
  due: Due,
  now: AircraftPoint,
  utilisation: DailyUtilisation,
): CalendarDay | null {
  const byUsage = (limit: number | null, current: number, perDay: number): CalendarDay | null => {
    if (limit === null) return null;
    if (current >= limit) return now.date;
    if (perDay <= 0) return null;
    return addCalendar(now.date, Math.ceil((limit - current) / perDay), 'days');
  };
  return [
    due.date,
    byUsage(due.flightHours, now.flightHours, utilisation.flightHours),
    byUsage(due.cycles, now.cycles, utilisation.cycles),
  ].reduce<CalendarDay | null>(earlierDay, null);
}

/**
 * Whether something due falls within a horizon from now: its projected day within `days`, or its
 * hours or cycles within `flightHours` / `cycles` of the current counters (each horizon that is
 * given), whichever comes first. Overdue items are always within.
 */
export function withinHorizon(
  due: Due,
  now: AircraftPoint,
  projected: CalendarDay | null,
  horizon: { days: number | null; flightHours: number | null; cycles: number | null },
): boolean {
  if (isOverdue(due, now)) return true;
  if (horizon.days !== null && projected !== null && daysBetween(now.date, projected) <= horizon.days)
    return true;
  if (
    horizon.flightHours !== null &&
    due.flightHours !== null &&
    due.flightHours - now.flightHours <= horizon.flightHours
  ) {
    return true;
  }
  return horizon.cycles !== null && due.cycles !== null && due.cycles - now.cycles <= horizon.cycles;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** What of a tracking row decides when it is due: its status, its next due and a deferral's approved limit. */
export interface TrackedDue {
  status: TrackingStatus;
  /** The limit the directive sets (initial, or after the last compliance); kept through a deferral. */
  nextDue: Due;
  /** The approved new limit of a deferral (all null unless deferred). */
  deferredUntil: Due;
}

/**
 * The limit that counts now: while a row is deferred, the deferral's approved limit replaces the
 * directive's own (which the row keeps, so ending the deferral restores it); otherwise its next due.
 * The overdue check, the due list and the views all judge a row by this.
 */
export function effectiveDue(row: TrackedDue): Due {
  return row.status === 'deferred' ? row.deferredUntil : row.nextDue;
}

/**
 * Whether a row still owes compliance and its effective limit is past on the aircraft now, whatever
 * the due tracker has marked yet (an `overdue` row whose limit was since moved is not past).
 */
export function isPastLimit(row: TrackedDue, now: AircraftPoint): boolean {
  return OPEN_TRACKING_STATUSES.includes(row.status) && isOverdue(effectiveDue(row), now);
}

// The tracking row's own state changes: every service that moves a row asks these.

/** A row's status once compliance is recorded: a recurring directive is owed again, a one-time one is closed. */
export function statusAfterCompliance(recurrence: Recurrence): TrackingStatus {
  return isRecurring(recurrence) ? 'pending' : 'complied';
}

/**
 * A row's status while a task that complies with it is worked (started, or completed without the
 * signature): a pending row is in progress; an overdue or deferred one stays so until compliance.
 */
export function statusWithTask(status: TrackingStatus): TrackingStatus {
  return status === 'pending' ? 'in_progress' : status;
}

/** A row's status once its task is cancelled or deleted: in progress goes back to pending, others stay. */
export function statusWithoutTask(status: TrackingStatus): TrackingStatus {
  return status === 'in_progress' ? 'pending' : status;
}
