import { sql, type RawBuilder } from 'kysely';
import type {
  ConflictsQuery,
  ConflictsRepository,
  ConflictTask,
  DependencyViolationRow,
  MechanicOverlapRow,
  PartsShortRow,
  PastDueRow,
  QualificationCase,
} from '../../app/conflicts.js';
import type { CalendarDay } from '../../domain/directive.js';
import type { DependencyType } from '../../domain/scheduling.js';
import { effective } from './directive-due-sql.js';
import type { Executor } from './executor.js';
import { toRequirement, type RequirementRow } from './qualifications.js';
import { stockByDefinition } from './stock.js';

// The conflicts view's SQL: one set-based statement per kind of conflict, each reading the whole
// range at once. `inRange` is the set every statement starts from: live scheduled or in-progress
// tasks (active_window is set exactly for them) whose window meets [from, to), optionally of one
// aircraft; the partial index of migration 00024 serves it.

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

const inRange = (orgId: string, q: ConflictsQuery) => sql`
  SELECT t.org_id, t.id, t.aircraft_id, t.type, t.start_time, t.end_time, t.assigned_mechanic_id,
         t.program_id, t.active_window
    FROM maintenance_tasks t
   WHERE t.org_id = ${orgId} AND t.active_window && tstzrange(${ts(q.from)}, ${ts(q.to)}, '[)')
     ${q.aircraftId === undefined ? sql`` : sql`AND t.aircraft_id = ${q.aircraftId}::uuid`}`;

/** The columns of a task `alias` with its aircraft `alias_a`, prefixed `prefix_`. */
const taskColumns = (alias: string, prefix: string): RawBuilder<unknown> =>
  sql.raw(
    `${alias}.id AS ${prefix}_id, ${alias}.aircraft_id AS ${prefix}_aircraft_id, ${alias}_a.tail_number AS ${prefix}_tail,
     ${alias}.type AS ${prefix}_type, ${alias}.start_time AS ${prefix}_start, ${alias}.end_time AS ${prefix}_end`,
  );

type TaskCols<P extends string> = {
  [K in `${P}_id` | `${P}_aircraft_id` | `${P}_tail` | `${P}_type`]: string;
} & { [K in `${P}_start` | `${P}_end`]: Date };

function taskOf<P extends string>(row: TaskCols<P>, prefix: P): ConflictTask {
  const r = row as Record<string, unknown>;
  return {
    id: r[`${prefix}_id`] as string,
    aircraftId: r[`${prefix}_aircraft_id`] as string,
    tailNumber: r[`${prefix}_tail`] as string,
    type: r[`${prefix}_type`] as string,
    start: new Date(r[`${prefix}_start`] as Date),
    end: new Date(r[`${prefix}_end`] as Date),
  };
}

/**
 * What a task's skill requirements depend on — its type, its aircraft's type and its program — as one
 * text key (of `tasks` in the qualification statement): the requirements are matched once per key.
 */
const KEY = sql.raw(
  `type::text || '/' || coalesce(aircraft_type_id::text, '') || '/' || coalesce(program_id::text, '')`,
);

export class PgConflictsRepository implements ConflictsRepository {
  constructor(private readonly db: Executor) {}

  async dependencyViolations(orgId: string, q: ConflictsQuery): Promise<DependencyViolationRow[]> {
    // The earliest the successor may start (finish-to-start, start-to-start) or finish
    // (finish-to-finish) mirrors requiredShiftMs in src/domain/scheduling.ts. Only active
    // predecessors hold a successor: void ones (cancelled, deleted — isVoidPredecessor) never do,
    // and a completed one has done its part.
    const { rows } = await sql<
      TaskCols<'p'> &
        TaskCols<'s'> & {
          dependency_id: string;
          dep_type: DependencyType;
          lag_minutes: number;
          shift_ms: string;
        }
    >`
      WITH r AS MATERIALIZED (${inRange(orgId, q)}),
      deps AS (
        SELECT d.* FROM task_dependencies d WHERE d.org_id = ${orgId} AND d.successor_id IN (SELECT id FROM r)
        UNION
        SELECT d.* FROM task_dependencies d WHERE d.org_id = ${orgId} AND d.predecessor_id IN (SELECT id FROM r)
      )
      SELECT d.id AS dependency_id, d.type AS dep_type, d.lag_minutes, ${taskColumns('p', 'p')}, ${taskColumns('s', 's')},
             (extract(epoch FROM x.shift) * 1000)::bigint AS shift_ms
        FROM deps d
        JOIN maintenance_tasks p ON p.org_id = d.org_id AND p.id = d.predecessor_id AND p.active_window IS NOT NULL
        JOIN maintenance_tasks s ON s.org_id = d.org_id AND s.id = d.successor_id AND s.active_window IS NOT NULL
        JOIN aircraft p_a ON p_a.org_id = p.org_id AND p_a.id = p.aircraft_id
        JOIN aircraft s_a ON s_a.org_id = s.org_id AND s_a.id = s.aircraft_id
        CROSS JOIN LATERAL (SELECT CASE d.type
            WHEN 'finish_to_start' THEN p.end_time + make_interval(mins => d.lag_minutes) - s.start_time
            WHEN 'start_to_start' THEN p.start_time + make_interval(mins => d.lag_minutes) - s.start_time
            ELSE p.end_time + make_interval(mins => d.lag_minutes) - s.end_time END AS shift) x
       WHERE x.shift > interval '0'`.execute(this.db);
    return rows.map((row) => ({
      dependencyId: row.dependency_id,
      dependencyType: row.dep_type,
      lagMinutes: row.lag_minutes,
      predecessor: taskOf(row, 'p'),
      successor: taskOf(row, 's'),
      shiftMs: Number(row.shift_ms),
    }));
  }

  async mechanicOverlaps(orgId: string, q: ConflictsQuery): Promise<MechanicOverlapRow[]> {
    // Each pair once, the earlier-starting task first. Set-based, without a probe per task: the
    // mechanics' active tasks over the span of the range's tasks (a partner of a task in the range
    // lies within it, though maybe outside the range), each with the latest end of the mechanic's
    // earlier tasks (a window function); a task starting before that end overlaps one of them, and
    // only those few are paired.
    const { rows } = await sql<
      TaskCols<'f'> &
        TaskCols<'s'> & { mechanic_id: string; email: string; overlap_start: Date; overlap_end: Date }
    >`
      WITH r AS MATERIALIZED (${inRange(orgId, q)} AND t.assigned_mechanic_id IS NOT NULL),
      span AS (SELECT min(start_time) AS lo, max(end_time) AS hi FROM r),
      m AS MATERIALIZED (
        SELECT t.id, t.assigned_mechanic_id, t.start_time, t.end_time,
               max(t.end_time) OVER (PARTITION BY t.assigned_mechanic_id ORDER BY t.start_time, t.id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
          FROM span, maintenance_tasks t
         WHERE span.lo IS NOT NULL AND t.org_id = ${orgId} AND t.assigned_mechanic_id IS NOT NULL
           AND t.active_window && tstzrange(span.lo, span.hi, '[)')
      ),
      pairs AS (
        SELECT DISTINCT b.id AS first_id, a.id AS second_id
          FROM m a
          JOIN m b ON b.assigned_mechanic_id = a.assigned_mechanic_id
                  AND (b.start_time, b.id) < (a.start_time, a.id) AND b.end_time > a.start_time
         WHERE a.start_time < a.earlier_end
           AND (a.id IN (SELECT id FROM r) OR b.id IN (SELECT id FROM r))
      )
      SELECT f.assigned_mechanic_id AS mechanic_id, u.email, ${taskColumns('f', 'f')}, ${taskColumns('s', 's')},
             greatest(f.start_time, s.start_time) AS overlap_start, least(f.end_time, s.end_time) AS overlap_end
        FROM pairs
        JOIN maintenance_tasks f ON f.org_id = ${orgId} AND f.id = pairs.first_id
        JOIN maintenance_tasks s ON s.org_id = ${orgId} AND s.id = pairs.second_id
        JOIN aircraft f_a ON f_a.org_id = f.org_id AND f_a.id = f.aircraft_id
        JOIN aircraft s_a ON s_a.org_id = s.org_id AND s_a.id = s.aircraft_id
        JOIN users u ON u.org_id = f.org_id AND u.id = f.assigned_mechanic_id`.execute(this.db);
    return rows.map((row) => ({
      mechanicId: row.mechanic_id,
      mechanicEmail: row.email,
      first: taskOf(row, 'f'),
      second: taskOf(row, 's'),
      overlapStart: new Date(row.overlap_start),
      overlapEnd: new Date(row.overlap_end),
    }));
  }

  async pastDue(orgId: string, q: ConflictsQuery): Promise<PastDueRow[]> {
    // A calendar program's due day is nextDue of src/domain/program.ts as the due list computes it
    // (src/infra/postgres/due-list.ts): last performed + interval days, else the aircraft's next
    // due. A directive's is its tracking row's effective date (a deferral's approved limit). Due
    // "on" a day means by its end (UTC): a task finishing after that day's end is past due.
    const { rows } = await sql<
      TaskCols<'t'> & {
        source: 'program' | 'directive';
        program_id: string | null;
        directive_id: string | null;
        aircraft_directive_id: string | null;
        name: string;
        due_date: CalendarDay;
      }
    >`
      WITH r AS MATERIALIZED (${inRange(orgId, q)}),
      due AS (
        SELECT r.id, r.aircraft_id, r.type, r.start_time, r.end_time, 'program'::text AS source, p.id AS program_id, NULL::uuid AS directive_id,
               NULL::uuid AS aircraft_directive_id, p.name,
               (coalesce(p.last_performed + make_interval(hours => 24 * p.interval_value), a.next_due)
                 AT TIME ZONE 'UTC')::date AS due_date
          FROM r
          JOIN maintenance_programs p ON p.org_id = r.org_id AND p.id = r.program_id
          JOIN aircraft a ON a.org_id = r.org_id AND a.id = r.aircraft_id
         WHERE p.deleted_at IS NULL AND p.interval_type = 'calendar'
        UNION ALL
        SELECT r.id, r.aircraft_id, r.type, r.start_time, r.end_time, 'directive', NULL, d.id, ad.id, d.reference_number, ${effective('date')}
          FROM r
          JOIN aircraft_directives ad ON ad.org_id = r.org_id AND ad.task_id = r.id
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
         WHERE ad.status IN ('pending', 'in_progress', 'deferred', 'overdue')
           AND d.deleted_at IS NULL AND d.status = 'active'
      )
      SELECT t.source, t.program_id, t.directive_id, t.aircraft_directive_id, t.name,
             to_char(t.due_date, 'YYYY-MM-DD') AS due_date, ${taskColumns('t', 't')}
        FROM due t
        JOIN aircraft t_a ON t_a.org_id = ${orgId} AND t_a.id = t.aircraft_id
       WHERE t.end_time > ((t.due_date + 1)::timestamp AT TIME ZONE 'UTC')`.execute(this.db);
    return rows.map((row) => ({
      task: taskOf(row, 't'),
      source: row.source,
      programId: row.program_id,
      directiveId: row.directive_id,
      aircraftDirectiveId: row.aircraft_directive_id,
      name: row.name,
      dueDate: row.due_date,
    }));
  }

  async partsShort(orgId: string, q: ConflictsQuery): Promise<PartsShortRow[]> {
    // Every active task starting before the range ends takes, in start order, what its own
    // reservations do not cover from the free stock (in stock − reserved, by the one rule of
    // stock.ts): the running sum of that demand per definition (a window function) past the free
    // stock is what a task will lack. Only tasks in the range are reported.
    const stock = stockByDefinition(this.db, orgId, q.now);
    const { rows } = await sql<
      TaskCols<'t'> & {
        part_definition_id: string;
        part_name: string;
        required: number;
        own: number;
        free: number;
        demand_before: number;
        short: number;
        earliest_arrival: Date | null;
        in_range: boolean;
      }
    >`
      WITH req AS MATERIALIZED (
        SELECT t.id AS task_id, t.start_time, t.end_time, t.aircraft_id, rq.part_definition_id, rq.quantity,
               (SELECT count(*)::int FROM part_reservations pr
                  JOIN part_items i ON i.org_id = pr.org_id AND i.id = pr.part_item_id
                 WHERE pr.org_id = t.org_id AND pr.task_id = t.id AND pr.state IN ('reserved', 'used')
                   AND i.part_definition_id = rq.part_definition_id) AS own
          FROM maintenance_tasks t
          JOIN task_part_requirements rq ON rq.org_id = t.org_id AND rq.task_id = t.id
         WHERE t.org_id = ${orgId} AND t.active_window && tstzrange(NULL, ${ts(q.to)}, '[)')
      ),
      demand AS (
        SELECT req.*, greatest(req.quantity - req.own, 0) AS unreserved,
               coalesce(sum(greatest(req.quantity - req.own, 0)) OVER (
                 PARTITION BY req.part_definition_id ORDER BY req.start_time, req.task_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::int AS demand_before
          FROM req
      ),
      stock AS (${stock})
      SELECT ${taskColumns('t', 't')}, d.part_definition_id, pd.name AS part_name, d.quantity AS required,
             d.own, greatest(coalesce(s.in_stock - s.reserved, 0), 0) AS free, d.demand_before,
             least(d.unreserved, d.demand_before + d.unreserved - greatest(coalesce(s.in_stock - s.reserved, 0), 0))
               AS short,
             CASE WHEN pd.lead_time_days IS NOT NULL
               THEN ${ts(q.now)} + make_interval(days => pd.lead_time_days) END AS earliest_arrival
        FROM demand d
        JOIN maintenance_tasks t ON t.org_id = ${orgId} AND t.id = d.task_id
        JOIN aircraft t_a ON t_a.org_id = t.org_id AND t_a.id = t.aircraft_id
        JOIN part_definitions pd ON pd.org_id = ${orgId} AND pd.id = d.part_definition_id
        LEFT JOIN stock s ON s.part_definition_id = d.part_definition_id
       WHERE d.unreserved > 0 AND d.end_time > ${ts(q.from)}
         ${q.aircraftId === undefined ? sql`` : sql`AND d.aircraft_id = ${q.aircraftId}::uuid`}
         AND d.demand_before + d.unreserved > greatest(coalesce(s.in_stock - s.reserved, 0), 0)`.execute(
      this.db,
    );
    return rows.map((row) => ({
      task: taskOf(row, 't'),
      partDefinitionId: row.part_definition_id,
      partName: row.part_name,
      required: row.required,
      reservedForTask: row.own,
      available: Number(row.free),
      demandBefore: row.demand_before,
      short: Number(row.short),
      earliestArrival: row.earliest_arrival === null ? null : new Date(row.earliest_arrival),
    }));
  }

  async qualificationCases(orgId: string, q: ConflictsQuery): Promise<QualificationCase[]> {
    // The requirements matching each task in the range with a mechanic (as requirementsFor in
    // qualifications.ts matches one task: task type, aircraft type or none, program or none) and
    // the mechanic's hours on the aircraft type in each recency window before the task's start
    // (recencyWindow in src/domain/qualification.ts: [start − days, start)) — for all tasks at once.
    const { rows } = await sql<
      TaskCols<'t'> & {
        mechanic_id: string;
        aircraft_type_id: string | null;
        aircraft_type_name: string | null;
        requirements: RequirementRow[];
        recency: { window_days: number; hours: string | number }[];
      }
    >`
      WITH r AS MATERIALIZED (${inRange(orgId, q)} AND t.assigned_mechanic_id IS NOT NULL),
      reqs AS MATERIALIZED (
        SELECT k.id, k.org_id, k.task_type, k.aircraft_type_id, k.program_id, k.certification_type_id,
               ct.name AS certification_type_name, k.type_rating_required, k.skill_type_id,
               st.name AS skill_type_name, k.min_proficiency, k.min_recency_hours, k.recency_window_days,
               k.certifying, k.inspection, k.description, k.created_at, k.updated_at
          FROM task_skill_requirements k
          LEFT JOIN certification_types ct ON ct.id = k.certification_type_id
          LEFT JOIN skill_types st ON st.id = k.skill_type_id
         WHERE k.org_id = ${orgId} AND k.deleted_at IS NULL
      ),
      tasks AS MATERIALIZED (
        SELECT r.*, a.aircraft_type_id, a.tail_number
          FROM r JOIN aircraft a ON a.org_id = r.org_id AND a.id = r.aircraft_id
         WHERE r.type IN (SELECT task_type FROM reqs)
      ),
      matched AS (
        SELECT jsonb_object_agg(x.key, x.requirements) AS by_key
          FROM (SELECT w.key, jsonb_agg(k ORDER BY k.created_at, k.id) AS requirements
                  FROM (SELECT DISTINCT ${KEY} AS key, type, aircraft_type_id, program_id FROM tasks) w
                  JOIN reqs k ON k.task_type = w.type
                             AND (k.aircraft_type_id IS NULL OR k.aircraft_type_id = w.aircraft_type_id)
                             AND (k.program_id IS NULL OR k.program_id = w.program_id)
                 GROUP BY w.key) x
      ),
      cases AS (
        SELECT tasks.*, (SELECT by_key FROM matched) -> (${KEY}) AS requirements FROM tasks
      )
      SELECT c.id AS t_id, c.aircraft_id AS t_aircraft_id, c.tail_number AS t_tail, c.type AS t_type,
             c.start_time AS t_start, c.end_time AS t_end, c.assigned_mechanic_id AS mechanic_id,
             c.aircraft_type_id, (SELECT y.designator FROM aircraft_types y WHERE y.id = c.aircraft_type_id) AS aircraft_type_name,
             c.requirements,
             (SELECT coalesce(json_agg(json_build_object('window_days', w.days, 'hours',
                       (SELECT coalesce(sum(e.hours), 0) FROM recency_entries e
                         WHERE e.org_id = c.org_id AND e.user_id = c.assigned_mechanic_id AND e.deleted_at IS NULL
                           AND e.aircraft_type_id = c.aircraft_type_id
                           AND e.performed_at >= c.start_time - make_interval(hours => 24 * w.days)
                           AND e.performed_at < c.start_time))), '[]')
                FROM (SELECT DISTINCT (x ->> 'recency_window_days')::int AS days
                        FROM jsonb_array_elements(c.requirements) x
                       WHERE x ->> 'recency_window_days' IS NOT NULL) w) AS recency
        FROM cases c
       WHERE c.requirements IS NOT NULL`.execute(this.db);
    return rows.map((row) => ({
      task: taskOf(row, 't'),
      mechanicId: row.mechanic_id,
      aircraftTypeId: row.aircraft_type_id,
      aircraftTypeName: row.aircraft_type_name,
      requirements: row.requirements.map(toRequirement),
      recency:
        row.aircraft_type_id === null
          ? []
          : row.recency.map((x) => ({
              aircraftTypeId: row.aircraft_type_id!,
              windowDays: x.window_days,
              hours: Number(x.hours),
            })),
    }));
  }
}
