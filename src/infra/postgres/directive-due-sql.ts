import { sql, type RawBuilder } from 'kysely';
import type { CalendarDay } from '../../domain/directive.js';
import { UTILISATION_WINDOW_DAYS } from '../../domain/due-list.js';

// The SQL fragments of the directive due rules (src/domain/directive.ts, src/domain/due-list.ts),
// shared by the due list, the due tracker, the directive repository and the compliance status
// views so that all of them, and the domain, agree to the day.

/** Today as the UTC calendar day of `now`, in SQL. */
export const todayOf = (now: Date) =>
  sql<CalendarDay>`(${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')::date`;

/**
 * The counters of aircraft `a` (in scope as `a`; `aircraft` names its id column) just before the
 * instant `since`: its current totals minus the flights recorded at or after it, never below zero
 * (the current totals for an instant still to come). A LATERAL subquery with columns
 * `flight_hours` and `cycles`.
 */
export const countersBefore = (aircraft: string, since: RawBuilder<unknown>) => sql`
  (SELECT greatest(a.flight_hours_total - coalesce(sum(u.flight_hours), 0), 0) AS flight_hours,
          greatest(a.cycles_total - coalesce(sum(u.cycles), 0), 0)::integer AS cycles
     FROM aircraft_usage u
    WHERE u.org_id = a.org_id AND u.aircraft_id = ${sql.raw(aircraft)} AND u.recorded_at >= ${since})`;

/**
 * A tracking row's effective limit column (`ad` joined): a deferred row's approved new limit,
 * any other row's next due — `effectiveDue` in src/domain/directive.ts.
 */
export const effective = (part: 'date' | 'flight_hours' | 'cycles') =>
  sql.raw(`CASE WHEN ad.status = 'deferred' THEN ad.deferred_until_${part} ELSE ad.next_due_${part} END`);

/**
 * Whether a limit is past (`isOverdue`): its date before today, or the aircraft's hours or cycles
 * beyond it; a limit part that is null is never past.
 */
export const limitPassed = (
  limit: { date: RawBuilder<unknown>; flightHours: RawBuilder<unknown>; cycles: RawBuilder<unknown> },
  at: { today: RawBuilder<unknown>; flightHours: RawBuilder<unknown>; cycles: RawBuilder<unknown> },
) =>
  sql<boolean>`coalesce(${limit.date} < ${at.today} OR ${at.flightHours} > ${limit.flightHours}
                        OR ${at.cycles} > ${limit.cycles}, false)`;

/**
 * The flights an aircraft made in the utilisation window before `now`, per aircraft of the org
 * (`averageDailyUtilisation`): the average daily use is their sum over the whole window.
 */
export const flownInWindow = (orgId: string, now: Date, aircraftId?: string) => sql`
  SELECT x.aircraft_id, sum(x.flight_hours) AS flight_hours, sum(x.cycles) AS cycles
    FROM aircraft_usage x
   WHERE x.org_id = ${orgId}
     AND x.recorded_at > ${now.toISOString()}::timestamptz - make_interval(hours => 24 * ${UTILISATION_WINDOW_DAYS})
     AND x.recorded_at <= ${now.toISOString()}::timestamptz
     ${aircraftId === undefined ? sql`` : sql`AND x.aircraft_id = ${aircraftId}`}
   GROUP BY x.aircraft_id`;

/**
 * The average daily use of a `flownInWindow` sum column (null: nothing flown), in float8 as
 * `averageDailyUtilisation` computes it.
 */
export const perDay = (flown: string) =>
  sql.raw(`coalesce(${flown}, 0)::float8 / ${UTILISATION_WINDOW_DAYS}`);

/**
 * The day a usage limit is projected to be reached (`projectedDueDate`): today once reached,
 * never on an aircraft that does not fly, else today plus the days the average use needs —
 * computed in float8 as JavaScript computes it, so both agree to the day. `today` is an SQL
 * expression (a column, or a `todayOf` literal).
 */
export const projectedByUsage = (due: string, current: string, dailyUse: string, today = 'today') =>
  sql.raw(`CASE WHEN ${due} IS NULL THEN NULL
     WHEN ${current} >= ${due} THEN ${today}
     WHEN ${dailyUse} <= 0 THEN NULL
     ELSE ${today} + ceil((${due}::float8 - ${current}::float8) / ${dailyUse})::integer END`);
