import { sql } from 'kysely';
import type {
  DashboardClock,
  DashboardFigures,
  DashboardRepository,
  MechanicDayRow,
  MyTaskToday,
} from '../../app/dashboard.js';
import { AIRCRAFT_STATUSES, type AircraftStatus } from '../../domain/aircraft.js';
import { CERTIFICATION_EXPIRY_WINDOWS_DAYS } from '../../domain/dashboard.js';
import { TASK_STATES, type TaskState } from '../../domain/task.js';
import {
  effective,
  flownInWindow,
  limitPassed,
  perDay,
  projectedByUsage,
  todayOf,
} from './directive-due-sql.js';
import type { Executor } from './executor.js';
import { stockByDefinition } from './stock.js';

const ts = (at: Date) => sql`${at.toISOString()}::timestamptz`;
const [WITHIN_30, WITHIN_60, WITHIN_90] = CERTIFICATION_EXPIRY_WINDOWS_DAYS;

/** The default of `org_policies.directive_warning_days`, for an org without a policy row. */
const DEFAULT_DIRECTIVE_WARNING_DAYS = 30;

/**
 * The dashboard's statements: six aggregate reads of one org, sent side by side on the pool (no
 * transaction: each figure is consistent in itself, and the set is as fresh as a cached answer
 * anyway). None loops over rows in the application.
 */
export class PgDashboardRepository implements DashboardRepository {
  constructor(private readonly db: Executor) {}

  async figures(orgId: string, clock: DashboardClock): Promise<DashboardFigures> {
    const [fleet, tasks, mechanics, parts, directives, rest] = await Promise.all([
      this.fleet(orgId),
      this.tasks(orgId, clock),
      this.mechanics(orgId, clock),
      this.parts(orgId, clock),
      this.directives(orgId, clock),
      this.records(orgId, clock),
    ]);
    return {
      fleetByStatus: fleet.byStatus,
      aog: fleet.aog,
      ...tasks,
      mechanics,
      ...parts,
      ...directives,
      ...rest,
    };
  }

  async tasksOfDay(orgId: string, mechanicId: string, clock: DashboardClock): Promise<MyTaskToday[]> {
    const { rows } = await sql<{
      id: string;
      aircraft_id: string;
      tail_number: string;
      type: MyTaskToday['type'];
      state: TaskState;
      priority: MyTaskToday['priority'];
      start_time: Date;
      end_time: Date;
    }>`
      SELECT t.id, t.aircraft_id, a.tail_number, t.type, t.state, t.priority, t.start_time, t.end_time
        FROM maintenance_tasks t
        JOIN aircraft a ON a.org_id = t.org_id AND a.id = t.aircraft_id
       WHERE t.org_id = ${orgId} AND t.assigned_mechanic_id = ${mechanicId} AND t.deleted_at IS NULL
         AND t.state <> 'cancelled' AND t.start_time < ${ts(clock.dayEnd)} AND t.end_time > ${ts(clock.dayStart)}
       ORDER BY t.start_time, t.id
       LIMIT 200`.execute(this.db);
    return rows.map((r) => ({
      id: r.id,
      aircraftId: r.aircraft_id,
      tailNumber: r.tail_number,
      type: r.type,
      state: r.state,
      priority: r.priority,
      startTime: r.start_time,
      endTime: r.end_time,
    }));
  }

  /** Live aircraft per status, and those with an open AOG task. */
  private async fleet(orgId: string): Promise<{ byStatus: Record<AircraftStatus, number>; aog: number }> {
    const { rows } = await sql<{ by_status: Record<string, number> | null; aog: number }>`
      SELECT (SELECT json_object_agg(status, n) FROM (
                SELECT status, count(*)::int AS n FROM aircraft
                 WHERE org_id = ${orgId} AND deleted_at IS NULL GROUP BY status) s) AS by_status,
             (SELECT count(DISTINCT t.aircraft_id)::int
                FROM maintenance_tasks t
                JOIN aircraft a ON a.org_id = t.org_id AND a.id = t.aircraft_id AND a.deleted_at IS NULL
               WHERE t.org_id = ${orgId} AND t.priority = 'aog' AND t.active_window IS NOT NULL) AS aog`.execute(
      this.db,
    );
    return { byStatus: countsOf(AIRCRAFT_STATUSES, rows[0]?.by_status), aog: rows[0]?.aog ?? 0 };
  }

  /**
   * Tasks per state: every task of the org per state (an index-only count) less the deleted ones
   * (their partial index), so the million completed tasks of a large org are never read from the
   * heap. Overdue and the last 30 days' completions come from narrow index ranges.
   */
  private async tasks(orgId: string, clock: DashboardClock) {
    const { rows } = await sql<{
      by_state: Record<string, number> | null;
      overdue: number;
      completed: number;
      on_time: number;
      turnaround: number | null;
    }>`
      WITH counted AS (
        SELECT state, count(*) AS n FROM maintenance_tasks WHERE org_id = ${orgId} GROUP BY state
        UNION ALL
        SELECT state, -count(*) FROM maintenance_tasks
         WHERE org_id = ${orgId} AND deleted_at IS NOT NULL GROUP BY state
      ),
      done AS (
        SELECT count(*)::int AS completed,
               (count(*) FILTER (WHERE completed_at <= end_time))::int AS on_time,
               (avg(extract(epoch FROM completed_at - coalesce(started_at, start_time))) / 3600)::float8 AS turnaround
          FROM maintenance_tasks
         WHERE org_id = ${orgId} AND completed_at > ${ts(clock.completedSince)} AND completed_at <= ${ts(clock.now)}
           AND deleted_at IS NULL AND state = 'completed'
      )
      SELECT (SELECT json_object_agg(state, n) FROM (SELECT state, sum(n)::int AS n FROM counted GROUP BY state) s)
               AS by_state,
             (SELECT count(*)::int FROM maintenance_tasks
               WHERE org_id = ${orgId} AND state = 'scheduled' AND start_time < ${ts(clock.now)} AND deleted_at IS NULL)
             + (SELECT count(*)::int FROM maintenance_tasks
                 WHERE org_id = ${orgId} AND state = 'in_progress' AND end_time < ${ts(clock.now)}
                   AND deleted_at IS NULL) AS overdue,
             done.completed, done.on_time, done.turnaround
        FROM done`.execute(this.db);
    const row = rows[0]!;
    return {
      tasksByState: countsOf(TASK_STATES, row.by_state),
      overdue: row.overdue,
      completed: row.completed,
      completedOnTime: row.on_time,
      averageTurnaroundHours: row.turnaround,
    };
  }

  /**
   * Every live mechanic with the hours booked on the current UTC day: the part inside the day of
   * the planned window of each live scheduled or in-progress task, and of the worked span (start to
   * completion) of each task completed today; and whether one of their tasks is in progress now.
   */
  private async mechanics(orgId: string, clock: DashboardClock): Promise<MechanicDayRow[]> {
    const dayStart = ts(clock.dayStart);
    const dayEnd = ts(clock.dayEnd);
    const { rows } = await sql<{ id: string; email: string; booked_hours: number; on_task: boolean }>`
      WITH spans AS (
        SELECT assigned_mechanic_id AS m, greatest(start_time, ${dayStart}) AS s, least(end_time, ${dayEnd}) AS e
          FROM maintenance_tasks
         WHERE org_id = ${orgId} AND active_window && tstzrange(${dayStart}, ${dayEnd})
           AND assigned_mechanic_id IS NOT NULL
        UNION ALL
        SELECT assigned_mechanic_id, greatest(coalesce(started_at, start_time), ${dayStart}), least(completed_at, ${dayEnd})
          FROM maintenance_tasks
         WHERE org_id = ${orgId} AND completed_at > ${dayStart} AND deleted_at IS NULL AND state = 'completed'
           AND assigned_mechanic_id IS NOT NULL
      ),
      booked AS (
        SELECT m, (sum(extract(epoch FROM e - s)) FILTER (WHERE e > s) / 3600)::float8 AS h FROM spans GROUP BY m
      ),
      busy AS (
        SELECT DISTINCT assigned_mechanic_id AS m FROM maintenance_tasks
         WHERE org_id = ${orgId} AND state = 'in_progress' AND deleted_at IS NULL AND assigned_mechanic_id IS NOT NULL
      )
      SELECT u.id, u.email, coalesce(booked.h, 0)::float8 AS booked_hours, busy.m IS NOT NULL AS on_task
        FROM users u
        LEFT JOIN booked ON booked.m = u.id
        LEFT JOIN busy ON busy.m = u.id
       WHERE u.org_id = ${orgId} AND u.role = 'mechanic' AND u.deleted_at IS NULL
       ORDER BY u.email, u.id`.execute(this.db);
    return rows.map((r) => ({
      mechanicId: r.id,
      email: r.email,
      bookedHours: r.booked_hours,
      onTask: r.on_task,
    }));
  }

  /**
   * Stock as the stock list counts it (one grouped pass over the items), the definitions low or out
   * (`stockBand`), and the fill rate's two sums: units the open tasks' requirements ask for, and
   * units their reservations (reserved or used) cover, never more than asked.
   */
  private async parts(orgId: string, clock: DashboardClock) {
    const { rows } = await sql<{
      in_stock: number;
      expiring: number;
      low: number;
      out: number;
      required: number;
      reserved: number;
    }>`
      WITH stock AS (${stockByDefinition(this.db, orgId, clock.now)}),
      defs AS (
        SELECT d.reorder_point, coalesce(s.in_stock, 0) AS in_stock, coalesce(s.expiring_soon, 0) AS expiring,
               coalesce(s.in_stock, 0) - coalesce(s.reserved, 0) AS available
          FROM part_definitions d
          LEFT JOIN stock s ON s.part_definition_id = d.id
         WHERE d.org_id = ${orgId} AND d.deleted_at IS NULL
      ),
      need AS (
        SELECT r.quantity,
               (SELECT count(*) FROM part_reservations pr
                  JOIN part_items i ON i.org_id = pr.org_id AND i.id = pr.part_item_id
                 WHERE pr.org_id = r.org_id AND pr.task_id = r.task_id AND pr.state IN ('reserved', 'used')
                   AND i.part_definition_id = r.part_definition_id) AS held
          FROM task_part_requirements r
          JOIN maintenance_tasks t ON t.org_id = r.org_id AND t.id = r.task_id
         WHERE r.org_id = ${orgId} AND t.active_window IS NOT NULL
      )
      SELECT coalesce(sum(in_stock), 0)::int AS in_stock, coalesce(sum(expiring), 0)::int AS expiring,
             (count(*) FILTER (WHERE available > 0 AND reorder_point IS NOT NULL AND available <= reorder_point))::int AS low,
             (count(*) FILTER (WHERE available <= 0))::int AS out,
             (SELECT coalesce(sum(quantity), 0) FROM need)::int AS required,
             (SELECT coalesce(sum(least(held, quantity)), 0) FROM need)::int AS reserved
        FROM defs`.execute(this.db);
    const row = rows[0]!;
    return {
      partItemsInStock: row.in_stock,
      partItemsExpiringSoon: row.expiring,
      partDefinitionsLow: row.low,
      partDefinitionsOutOfStock: row.out,
      partUnitsRequired: row.required,
      partUnitsReserved: row.reserved,
    };
  }

  /**
   * Open directive limits (pending, in progress, deferred or overdue tracking rows of active
   * directives on live aircraft), by the due list's rules: overdue when marked so or past a limit
   * (date before today, hours or cycles beyond); due when not overdue and its date — or the day
   * its hours or cycles are projected to be reached at the aircraft's recent use — falls within
   * the org's `directive_warning_days`.
   */
  private async directives(orgId: string, clock: DashboardClock) {
    const { rows } = await sql<{ due: number; overdue: number }>`
      WITH clock AS (SELECT ${todayOf(clock.now)} AS today),
      policy AS (
        SELECT coalesce((SELECT directive_warning_days FROM org_policies WHERE org_id = ${orgId}),
                        ${DEFAULT_DIRECTIVE_WARNING_DAYS}) AS warning_days
      ),
      fleet AS (
        SELECT a.id, a.flight_hours_total, a.cycles_total,
               ${perDay('u.flight_hours')} AS daily_flight_hours, ${perDay('u.cycles')} AS daily_cycles
          FROM aircraft a
          LEFT JOIN (${flownInWindow(orgId, clock.now)}) u ON u.aircraft_id = a.id
         WHERE a.org_id = ${orgId} AND a.deleted_at IS NULL
      ),
      items AS (
        SELECT ad.aircraft_id, ad.status = 'overdue' AS marked_overdue, ${effective('date')} AS due_date,
               ${effective('flight_hours')} AS due_flight_hours, ${effective('cycles')} AS due_cycles
          FROM aircraft_directives ad
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
         WHERE ad.org_id = ${orgId} AND ad.status IN ('pending', 'in_progress', 'deferred', 'overdue')
           AND d.deleted_at IS NULL AND d.status = 'active'
      ),
      projected AS (
        SELECT clock.today,
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
      )
      SELECT (count(*) FILTER (WHERE overdue))::int AS overdue,
             (count(*) FILTER (WHERE NOT overdue AND projected_date IS NOT NULL
                                 AND projected_date - today <= policy.warning_days))::int AS due
        FROM projected CROSS JOIN policy`.execute(this.db);
    return { directivesDue: rows[0]?.due ?? 0, directivesOverdue: rows[0]?.overdue ?? 0 };
  }

  /**
   * Compliance items, certifications and alerts: small counts in one statement. Pending items are
   * found from the open tasks (a join the planner costs right: a per-item subplan was costed high
   * enough at 130,000 items to be JIT-compiled, 0.5 s per request).
   */
  private async records(orgId: string, clock: DashboardClock) {
    const now = ts(clock.now);
    const within = (days: number) => sql`${now} + make_interval(days => ${days})`;
    const { rows } = await sql<{
      pending: number;
      signed: number;
      expired: number;
      within_30: number;
      within_60: number;
      within_90: number;
      unresolved: number;
      critical: number;
      unacknowledged: number;
    }>`
      SELECT c.pending, c.signed, e.expired, e.within_30, e.within_60, e.within_90,
             a.unresolved, a.critical, a.unacknowledged
        FROM (SELECT (SELECT count(*)::int FROM maintenance_tasks t
                        JOIN compliance_items ci ON ci.org_id = t.org_id AND ci.task_id = t.id
                       WHERE t.org_id = ${orgId} AND t.active_window IS NOT NULL
                         AND ci.deleted_at IS NULL AND ci.sign_off_time IS NULL) AS pending,
                     (SELECT count(*)::int FROM compliance_items ci
                       WHERE ci.org_id = ${orgId} AND ci.deleted_at IS NULL AND ci.sign_off_time IS NOT NULL) AS signed) c,
             (SELECT (count(*) FILTER (WHERE ec.expiry_date <= ${now}))::int AS expired,
                     (count(*) FILTER (WHERE ec.expiry_date > ${now} AND ec.expiry_date <= ${within(WITHIN_30)}))::int AS within_30,
                     (count(*) FILTER (WHERE ec.expiry_date > ${now} AND ec.expiry_date <= ${within(WITHIN_60)}))::int AS within_60,
                     (count(*) FILTER (WHERE ec.expiry_date > ${now}))::int AS within_90
                FROM employee_certifications ec
                JOIN users u ON u.org_id = ec.org_id AND u.id = ec.user_id AND u.deleted_at IS NULL
               WHERE ec.org_id = ${orgId} AND ec.deleted_at IS NULL AND ec.status = 'active'
                 AND ec.expiry_date <= ${within(WITHIN_90)}) e,
             (SELECT count(*)::int AS unresolved,
                     (count(*) FILTER (WHERE level = 'critical'))::int AS critical,
                     (count(*) FILTER (WHERE acknowledged_at IS NULL))::int AS unacknowledged
                FROM alerts WHERE org_id = ${orgId} AND resolved_at IS NULL) a`.execute(this.db);
    const row = rows[0]!;
    return {
      compliancePending: row.pending,
      complianceSigned: row.signed,
      certificationsExpired: row.expired,
      certificationsExpiring: { within30: row.within_30, within60: row.within_60, within90: row.within_90 },
      alertsUnresolved: row.unresolved,
      alertsCritical: row.critical,
      alertsUnacknowledged: row.unacknowledged,
    };
  }
}

/** A count per enum value, zeros included, from a JSON object of the values present. */
function countsOf<K extends string>(values: readonly K[], found: Record<string, number> | null | undefined) {
  return Object.fromEntries(values.map((value) => [value, Number(found?.[value] ?? 0)])) as Record<K, number>;
}
