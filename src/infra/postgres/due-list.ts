import { sql } from 'kysely';
import type { BookingTracking, DirectiveTaskRepository } from '../../app/directive-tasks.js';
import type {
  DueItem,
  DueItemPosition,
  DueListQuery,
  DueListRepository,
  OverdueTransition,
} from '../../app/due-list.js';
import type { CalendarDay, TrackingStatus } from '../../domain/directive.js';
import type { DueSource } from '../../domain/due-list.js';
import {
  effective,
  flownInWindow,
  limitPassed,
  perDay,
  projectedByUsage,
  todayOf,
} from './directive-due-sql.js';
import type { Executor } from './executor.js';

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

interface DueItemRow {
  source: DueSource;
  item_id: string;
  aircraft_id: string;
  tail_number: string;
  program_id: string | null;
  directive_id: string | null;
  aircraft_directive_id: string | null;
  name: string;
  reference: string | null;
  tracking_status: TrackingStatus | null;
  due_date: CalendarDay | null;
  due_flight_hours: string | null;
  due_cycles: number | null;
  remaining_days: number | null;
  remaining_flight_hours: string | null;
  remaining_cycles: number | null;
  projected_date: CalendarDay | null;
  overdue: boolean;
  task_id: string | null;
  flight_hours_total: string;
  cycles_total: number;
  daily_flight_hours: number;
  daily_cycles: number;
}

const toDueItem = (row: DueItemRow): DueItem => ({
  source: row.source,
  aircraftId: row.aircraft_id,
  tailNumber: row.tail_number,
  programId: row.program_id,
  directiveId: row.directive_id,
  aircraftDirectiveId: row.aircraft_directive_id,
  name: row.name,
  reference: row.reference,
  trackingStatus: row.tracking_status,
  due: { date: row.due_date, flightHours: num(row.due_flight_hours), cycles: row.due_cycles },
  remaining: {
    days: row.remaining_days,
    flightHours: num(row.remaining_flight_hours),
    cycles: row.remaining_cycles,
  },
  projectedDate: row.projected_date,
  overdue: row.overdue,
  taskId: row.task_id,
  aircraftFlightHours: Number(row.flight_hours_total),
  aircraftCycles: row.cycles_total,
  dailyFlightHours: row.daily_flight_hours,
  dailyCycles: row.daily_cycles,
});

/** The list's order as a tuple of ascending keys: overdue first, then projected date (none last), … */
const ORDER_KEY = sql.raw(
  `(CASE WHEN c.overdue THEN 0 ELSE 1 END, coalesce(c.projected_date, 'infinity'::date), c.tail_number, c.aircraft_id, c.source, c.item_id)`,
);

export class PgDueListRepository implements DueListRepository, DirectiveTaskRepository {
  constructor(private readonly db: Executor) {}

  async dueItems(
    orgId: string,
    query: DueListQuery,
    slice:
      | { kind: 'page'; limit: number; offset: number }
      | { kind: 'batch'; limit: number; after?: DueItemPosition | undefined },
  ): Promise<DueItem[]> {
    const { now, horizon } = query;
    const byAircraft = query.aircraftId === undefined ? sql`` : sql`AND a.id = ${query.aircraftId}`;
    const after = slice.kind === 'batch' ? slice.after : undefined;
    const keyset =
      after === undefined
        ? sql`true`
        : sql`${ORDER_KEY} > (${after.overdue ? 0 : 1}, coalesce(${after.projectedDate}::date, 'infinity'::date),
                ${after.tailNumber}::text, ${after.aircraftId}::uuid, ${after.source}::text, ${after.itemId}::uuid)`;
    const window = slice.kind === 'page' ? sql`OFFSET ${slice.offset}` : sql``;
    // One statement for the whole fleet: the aircraft with their recent use, every bound program's
    // next occurrence (nextDue in src/domain/program.ts) and every open directive limit, each
    // projected, flagged and filtered by the horizon (withinHorizon), in the list's order.
    const { rows } = await sql<DueItemRow>`
      WITH clock AS (SELECT ${todayOf(now)} AS today),
      fleet AS (
        SELECT a.org_id, a.id, a.tail_number, a.flight_hours_total, a.cycles_total, a.next_due,
               ${perDay('u.flight_hours')} AS daily_flight_hours, ${perDay('u.cycles')} AS daily_cycles
          FROM aircraft a
          LEFT JOIN (${flownInWindow(orgId, now)}) u ON u.aircraft_id = a.id
         WHERE a.org_id = ${orgId} AND a.deleted_at IS NULL ${byAircraft}
      ),
      items AS (
        SELECT 'program'::text AS source, p.id AS item_id, f.id AS aircraft_id, p.id AS program_id,
               NULL::uuid AS directive_id, NULL::uuid AS aircraft_directive_id, p.name, NULL::text AS reference,
               NULL::directive_tracking_status AS tracking_status,
               CASE WHEN p.interval_type = 'calendar' THEN
                 (coalesce(p.last_performed + make_interval(hours => 24 * p.interval_value), f.next_due)
                   AT TIME ZONE 'UTC')::date END AS due_date,
               CASE WHEN p.interval_type = 'flight_hours'
                 THEN p.last_performed_flight_hours + p.interval_value END AS due_flight_hours,
               CASE WHEN p.interval_type = 'cycles' THEN p.last_performed_cycles + p.interval_value END AS due_cycles,
               false AS marked_overdue,
               (SELECT t.id FROM maintenance_tasks t
                 WHERE t.org_id = p.org_id AND t.program_id = p.id AND t.active_window IS NOT NULL
                 ORDER BY t.start_time, t.id LIMIT 1) AS task_id
          FROM maintenance_programs p
          JOIN fleet f ON f.org_id = p.org_id AND f.id = p.aircraft_id
         WHERE p.org_id = ${orgId} AND p.deleted_at IS NULL
        UNION ALL
        SELECT 'directive', ad.id, f.id, NULL, d.id, ad.id, d.title, d.reference_number, ad.status,
               ${effective('date')}, ${effective('flight_hours')}, ${effective('cycles')},
               ad.status = 'overdue',
               (SELECT t.id FROM maintenance_tasks t
                 WHERE t.org_id = ad.org_id AND t.id = ad.task_id AND t.active_window IS NOT NULL)
          FROM aircraft_directives ad
          JOIN fleet f ON f.org_id = ad.org_id AND f.id = ad.aircraft_id
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
         WHERE ad.org_id = ${orgId} AND ad.status IN ('pending', 'in_progress', 'deferred', 'overdue')
           AND d.deleted_at IS NULL AND d.status = 'active'
      ),
      projected AS (
        SELECT i.*, f.tail_number, f.flight_hours_total, f.cycles_total, f.daily_flight_hours, f.daily_cycles,
               clock.today,
               least(i.due_date,
                     ${projectedByUsage('i.due_flight_hours', 'f.flight_hours_total', 'f.daily_flight_hours')},
                     ${projectedByUsage('i.due_cycles', 'f.cycles_total', 'f.daily_cycles')}) AS projected_date,
               i.marked_overdue OR ${limitPassed(
                 { date: sql`i.due_date`, flightHours: sql`i.due_flight_hours`, cycles: sql`i.due_cycles` },
                 {
                   today: sql`clock.today`,
                   flightHours: sql`f.flight_hours_total`,
                   cycles: sql`f.cycles_total`,
                 },
               )} AS overdue
          FROM items i
          JOIN fleet f ON f.id = i.aircraft_id
          CROSS JOIN clock
      ),
      c AS (
        SELECT p.*,
               p.due_date - p.today AS remaining_days,
               p.due_flight_hours - p.flight_hours_total AS remaining_flight_hours,
               p.due_cycles - p.cycles_total AS remaining_cycles
          FROM projected p
         WHERE p.overdue
            OR (${horizon.days}::integer IS NOT NULL AND p.projected_date IS NOT NULL
                AND p.projected_date - p.today <= ${horizon.days}::integer)
            OR (${horizon.flightHours}::float8 IS NOT NULL AND p.due_flight_hours IS NOT NULL
                AND p.due_flight_hours::float8 - p.flight_hours_total::float8 <= ${horizon.flightHours}::float8)
            OR (${horizon.cycles}::integer IS NOT NULL AND p.due_cycles IS NOT NULL
                AND p.due_cycles - p.cycles_total <= ${horizon.cycles}::integer)
      )
      SELECT c.source, c.item_id, c.aircraft_id, c.tail_number, c.program_id, c.directive_id,
             c.aircraft_directive_id, c.name, c.reference, c.tracking_status, c.due_date, c.due_flight_hours,
             c.due_cycles, c.remaining_days, c.remaining_flight_hours, c.remaining_cycles, c.projected_date,
             c.overdue, c.task_id, c.flight_hours_total, c.cycles_total, c.daily_flight_hours, c.daily_cycles
        FROM c
       WHERE ${keyset}
       ORDER BY ${ORDER_KEY}
       LIMIT ${slice.limit} ${window}`.execute(this.db);
    return rows.map(toDueItem);
  }

  async aircraftExists(orgId: string, aircraftId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', aircraftId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  async markOverdue(input: { now: Date; limit: number }): Promise<OverdueTransition[]> {
    const { rows } = await sql<{
      id: string;
      org_id: string;
      aircraft_id: string;
      directive_id: string;
      next_due_date: CalendarDay | null;
      next_due_flight_hours: string | null;
      next_due_cycles: number | null;
      passed_date: CalendarDay | null;
      passed_flight_hours: string | null;
      passed_cycles: number | null;
      previous_status_reason: string | null;
      task_id: string | null;
      updated_at: Date;
      previous_status: TrackingStatus;
      tail_number: string;
      flight_hours_total: string;
      cycles_total: number;
      reference_number: string;
      title: string;
    }>`
      WITH due AS (
        SELECT ad.id, ad.status AS previous_status, ad.status_reason AS previous_status_reason,
               ${effective('date')} AS passed_date, ${effective('flight_hours')} AS passed_flight_hours,
               ${effective('cycles')} AS passed_cycles,
               a.tail_number, a.flight_hours_total, a.cycles_total, d.reference_number, d.title
          FROM aircraft_directives ad
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
          JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id
          JOIN organizations o ON o.id = ad.org_id
         WHERE ad.status IN ('pending', 'in_progress', 'deferred')
           AND d.deleted_at IS NULL AND d.status = 'active' AND a.deleted_at IS NULL AND o.deleted_at IS NULL
           AND ${limitPassed(
             { date: effective('date'), flightHours: effective('flight_hours'), cycles: effective('cycles') },
             {
               today: todayOf(input.now),
               flightHours: sql`a.flight_hours_total`,
               cycles: sql`a.cycles_total`,
             },
           )}
         ORDER BY ad.org_id, ad.id
         LIMIT ${input.limit}
           FOR UPDATE OF ad SKIP LOCKED
      )
      UPDATE aircraft_directives ad
         SET status = 'overdue',
             -- The next due stays the directive's own limit; a lapsed deferral ends (the event
             -- and the audit row keep it), its reason with it.
             status_reason = CASE WHEN due.previous_status = 'deferred' THEN NULL ELSE ad.status_reason END,
             deferred_until_date = NULL,
             deferred_until_flight_hours = NULL,
             deferred_until_cycles = NULL,
             status_changed_by = NULL,
             status_changed_by_org_id = NULL
        FROM due
       WHERE ad.id = due.id AND ad.status IN ('pending', 'in_progress', 'deferred')
      RETURNING ad.id, ad.org_id, ad.aircraft_id, ad.directive_id, ad.next_due_date, ad.next_due_flight_hours,
                ad.next_due_cycles, due.passed_date, due.passed_flight_hours, due.passed_cycles,
                due.previous_status_reason, ad.task_id, ad.updated_at, due.previous_status, due.tail_number,
                due.flight_hours_total, due.cycles_total, due.reference_number, due.title`.execute(this.db);
    return rows.map((row) => {
      const passed = {
        date: row.passed_date,
        flightHours: num(row.passed_flight_hours),
        cycles: row.passed_cycles,
      };
      const deferred = row.previous_status === 'deferred';
      return {
        id: row.id,
        orgId: row.org_id,
        aircraftId: row.aircraft_id,
        tailNumber: row.tail_number,
        directiveId: row.directive_id,
        referenceNumber: row.reference_number,
        title: row.title,
        previousStatus: row.previous_status,
        due: passed,
        nextDue: {
          date: row.next_due_date,
          flightHours: num(row.next_due_flight_hours),
          cycles: row.next_due_cycles,
        },
        lapsedDeferral: deferred ? { ...passed, reason: row.previous_status_reason } : null,
        aircraftFlightHours: Number(row.flight_hours_total),
        aircraftCycles: row.cycles_total,
        taskId: row.task_id,
        updatedAt: row.updated_at,
      };
    });
  }

  async findTrackingForBooking(
    orgId: string,
    aircraftId: string,
    directiveId: string,
    now: Date,
  ): Promise<BookingTracking | undefined> {
    const { rows } = await sql<{
      id: string;
      status: TrackingStatus;
      directive_status: string;
      reference_number: string;
      due_date: CalendarDay | null;
      due_flight_hours: string | null;
      due_cycles: number | null;
      live_task_id: string | null;
      flight_hours_total: string;
      cycles_total: number;
      flown_hours: string | null;
      flown_cycles: number | null;
    }>`
      SELECT ad.id, ad.status, d.status AS directive_status, d.reference_number,
             ${effective('date')} AS due_date, ${effective('flight_hours')} AS due_flight_hours,
             ${effective('cycles')} AS due_cycles,
             (SELECT t.id FROM maintenance_tasks t
               WHERE t.org_id = ad.org_id AND t.id = ad.task_id AND t.active_window IS NOT NULL) AS live_task_id,
             a.flight_hours_total, a.cycles_total, u.flight_hours AS flown_hours, u.cycles AS flown_cycles
        FROM aircraft_directives ad
        JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id AND d.deleted_at IS NULL
        JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id
        LEFT JOIN (${flownInWindow(orgId, now)}) u ON u.aircraft_id = a.id
       WHERE ad.org_id = ${orgId} AND ad.aircraft_id = ${aircraftId} AND ad.directive_id = ${directiveId}
         FOR UPDATE OF ad`.execute(this.db);
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      status: row.status,
      directiveActive: row.directive_status === 'active',
      referenceNumber: row.reference_number,
      due: { date: row.due_date, flightHours: num(row.due_flight_hours), cycles: row.due_cycles },
      liveTaskId: row.live_task_id,
      aircraftFlightHours: Number(row.flight_hours_total),
      aircraftCycles: row.cycles_total,
      flown: { flightHours: Number(row.flown_hours ?? 0), cycles: Number(row.flown_cycles ?? 0) },
    };
  }

  async directiveExists(orgId: string, directiveId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('directives')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', directiveId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  async firstFreeStart(
    orgId: string,
    aircraftId: string,
    from: Date,
    durationMinutes: number,
  ): Promise<Date> {
    // The earliest free start is `from` or the end of a live task; the first candidate no live
    // task overlaps for the whole duration is the window.
    const { rows } = await sql<{ start: Date }>`
      WITH busy AS (
        SELECT t.start_time, t.end_time FROM maintenance_tasks t
         WHERE t.org_id = ${orgId} AND t.aircraft_id = ${aircraftId} AND t.active_window IS NOT NULL
           AND t.end_time > ${from.toISOString()}::timestamptz
      ),
      candidates AS (
        SELECT ${from.toISOString()}::timestamptz AS start
        UNION
        SELECT b.end_time FROM busy b
      )
      SELECT c.start FROM candidates c
       WHERE NOT EXISTS (
         SELECT 1 FROM busy b
          WHERE b.start_time < c.start + make_interval(mins => ${durationMinutes}) AND b.end_time > c.start)
       ORDER BY c.start
       LIMIT 1`.execute(this.db);
    return rows[0]!.start;
  }

  async attachTask(orgId: string, trackingId: string, taskId: string): Promise<void> {
    await this.db
      .updateTable('aircraft_directives')
      .set({ task_id: taskId })
      .where('org_id', '=', orgId)
      .where('id', '=', trackingId)
      .execute();
  }
}
