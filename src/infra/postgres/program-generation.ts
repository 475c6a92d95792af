import { sql, type RawBuilder } from 'kysely';
import {
  rangeOf,
  type AircraftKey,
  type AircraftRange,
  type CandidateProgram,
  type GenerationRecord,
  type GenerationRequest,
  type PlacedTask,
  type ProgramGenerationRepository,
} from '../../app/program-generation.js';
import type { BusyWindow } from '../../domain/program-generation.js';
import type { Executor } from './executor.js';
import { eventPayloadJson, newTaskViewJson } from './json-views.js';
import { toProgram, type ProgramRow } from './programs.js';
import { toTask, type TaskRowMaybeWithParts } from './tasks.js';

/**
 * The SQL form of `planGeneration`'s due rule (src/domain/program-generation.ts), over programs
 * `p` joined to their aircraft `a`; test/jobs/program-generator-rules.test.ts keeps them in step.
 * The lead defaults to a tenth of the interval, at least 1 (`defaultLeadValue`).
 */
const isDue = (now: Date) => sql<boolean>`(
  CASE p.interval_type
    WHEN 'calendar' THEN coalesce(p.last_performed + make_interval(hours => 24 * p.interval_value), a.next_due) IS NULL
      OR coalesce(p.last_performed + make_interval(hours => 24 * p.interval_value), a.next_due)
         <= ${now}::timestamptz + make_interval(hours => 24 * coalesce(p.lead_value, greatest(1, p.interval_value / 10)))
    WHEN 'flight_hours' THEN p.last_performed_flight_hours IS NULL
      OR p.last_performed_flight_hours + p.interval_value
         <= a.flight_hours_total + coalesce(p.lead_value, greatest(1, p.interval_value / 10))
    ELSE p.last_performed_cycles IS NULL
      OR p.last_performed_cycles + p.interval_value
         <= a.cycles_total + coalesce(p.lead_value, greatest(1, p.interval_value / 10))
  END)`;

/**
 * The programs with a live scheduled or in-progress task among the tasks `scope` selects (`t`).
 * Used as `NOT IN (…)`, which PostgreSQL runs as one hashed pass: a correlated NOT EXISTS would be
 * planned as a nested loop over the whole table while its statistics still say "empty" (a fresh
 * system whose first run inserts thousands of tasks), turning a run quadratic. The scope keeps
 * the hashed set as small as the batch.
 */
const activeProgramIds = (scope: RawBuilder<unknown>) => sql`
  SELECT t.program_id FROM maintenance_tasks t
   WHERE t.program_id IS NOT NULL AND t.deleted_at IS NULL AND t.state IN ('scheduled', 'in_progress')
     AND ${scope}`;

/**
 * Whether `alias`'s (org_id, aircraft column) lies in `range`. A range within one organization
 * (every batch of a one-org run, and most of a fleet-wide one) is written as an equality and a
 * BETWEEN on the column: PostgreSQL estimates those from the column's statistics and reads the
 * slice through the (org_id, aircraft) indexes, where it guesses a row comparison keeps a large
 * share of the table and scans all of it (a batch of 1 000 aircraft among 10 000: 47 ms → 11 ms).
 */
const inRange = (alias: string, column: string, range: AircraftRange) =>
  range.first.orgId === range.last.orgId
    ? sql`(${sql.ref(`${alias}.org_id`)} = ${range.first.orgId}::uuid
           AND ${sql.ref(`${alias}.${column}`)} BETWEEN ${range.first.aircraftId}::uuid AND ${range.last.aircraftId}::uuid)`
    : sql`(${sql.ref(`${alias}.org_id`)}, ${sql.ref(`${alias}.${column}`)})
            BETWEEN (${range.first.orgId}::uuid, ${range.first.aircraftId}::uuid)
                AND (${range.last.orgId}::uuid, ${range.last.aircraftId}::uuid)`;

/**
 * Whether task `t` sits on an aircraft of `range`: `inRange`, with a one-organization range's org
 * written `= ANY(array)`. While the table's statistics still call it small (a first run on a new
 * fleet inserting thousands of tasks), PostgreSQL answered `t.org_id = …` from the organization-wide
 * GiST window index, which cannot bound the aircraft: 34 000 entries read for 3 000, two thirds of a
 * candidate read. GiST cannot answer `= ANY`, so the (org_id, aircraft_id, start_time) btree reads
 * just the slice (candidate reads of a 50 000-task run: 1.15–1.35 s → 0.87 s of connection time).
 */
const taskInRange = (range: AircraftRange) =>
  range.first.orgId === range.last.orgId
    ? sql`(t.org_id = ANY(${[range.first.orgId]}::uuid[])
           AND t.aircraft_id BETWEEN ${range.first.aircraftId}::uuid AND ${range.last.aircraftId}::uuid)`
    : inRange('t', 'aircraft_id', range);

export class PgProgramGenerationRepository implements ProgramGenerationRepository {
  constructor(private readonly db: Executor) {}

  async nextAircraft(input: {
    orgId?: string | undefined;
    after?: AircraftKey | undefined;
    limit: number;
  }): Promise<AircraftKey[]> {
    let query = this.db
      .selectFrom('aircraft')
      .select(['org_id', 'id'])
      .where('deleted_at', 'is', null)
      // A deleted organization's fleet gets no new work.
      .where('org_id', 'in', (eb) =>
        eb.selectFrom('organizations').select('id').where('deleted_at', 'is', null),
      )
      .orderBy('org_id')
      .orderBy('id')
      .limit(input.limit);
    if (input.orgId !== undefined) query = query.where('org_id', '=', input.orgId);
    const after = input.after;
    if (after !== undefined) {
      query = query.where((eb) =>
        eb(eb.refTuple('org_id', 'id'), '>', eb.tuple(after.orgId, after.aircraftId)),
      );
    }
    const rows = await query.execute();
    return rows.map((row) => ({ orgId: row.org_id, aircraftId: row.id }));
  }

  async findCandidates(input: {
    now: Date;
    range?: AircraftRange | undefined;
    programIds?: string[] | undefined;
  }): Promise<CandidateProgram[]> {
    const { range, programIds } = input;
    // The range on both sides of the join, so each is read through its index.
    const byRange =
      range === undefined
        ? sql`true`
        : sql`${inRange('p', 'aircraft_id', range)} AND ${inRange('a', 'id', range)}`;
    const byId = programIds === undefined ? sql`true` : sql`p.id = ANY(${programIds}::uuid[])`;
    // Tasks of a bound program sit on its aircraft (the task service insists), so the range
    // narrows the active tasks to look at.
    const activeScope =
      range !== undefined
        ? taskInRange(range)
        : programIds !== undefined
          ? sql`t.program_id = ANY(${programIds}::uuid[])`
          : sql`true`;
    const { rows } = await sql<ProgramRow & { due_on_aircraft: number }>`
      SELECT DISTINCT ON (p.org_id, p.aircraft_id)
             p.*, a.flight_hours_total AS aircraft_flight_hours, a.cycles_total AS aircraft_cycles,
             a.next_due AS aircraft_next_due,
             count(*) OVER (PARTITION BY p.org_id, p.aircraft_id)::int AS due_on_aircraft
        FROM maintenance_programs p
        JOIN aircraft a ON a.org_id = p.org_id AND a.id = p.aircraft_id
        JOIN organizations o ON o.id = p.org_id
       WHERE p.deleted_at IS NULL AND a.deleted_at IS NULL AND o.deleted_at IS NULL AND ${byRange} AND ${byId}
         AND ${isDue(input.now)}
         AND p.id NOT IN (${activeProgramIds(activeScope)})
       ORDER BY p.org_id, p.aircraft_id, p.created_at, p.id`.execute(this.db);
    return rows.map((row) => ({ ...toProgram(row), dueOnAircraft: row.due_on_aircraft }));
  }

  async lockAircraft(aircraft: AircraftKey[]): Promise<void> {
    if (aircraft.length === 0) return;
    await sql`
      SELECT 1 FROM aircraft
       WHERE (org_id, id) IN (
         SELECT * FROM unnest(${aircraft.map((a) => a.orgId)}::uuid[], ${aircraft.map((a) => a.aircraftId)}::uuid[]))
       ORDER BY org_id, id
       FOR NO KEY UPDATE`.execute(this.db);
  }

  async busyWindows(range: AircraftRange, from: Date): Promise<(AircraftKey & BusyWindow)[]> {
    const { rows } = await sql<{ org_id: string; aircraft_id: string; start_time: Date; end_time: Date }>`
      SELECT t.org_id, t.aircraft_id, t.start_time, t.end_time
        FROM maintenance_tasks t
       WHERE t.active_window IS NOT NULL AND t.end_time > ${from} AND ${taskInRange(range)}`.execute(this.db);
    return rows.map((row) => ({
      orgId: row.org_id,
      aircraftId: row.aircraft_id,
      start: row.start_time,
      end: row.end_time,
    }));
  }

  async insertTasks(requests: GenerationRequest[], record: GenerationRecord): Promise<PlacedTask[]> {
    if (requests.length === 0) return [];
    const requested = requests.map((r) => ({
      org_id: r.plan.orgId,
      aircraft_id: r.plan.aircraftId,
      program_id: r.plan.programId,
      type: r.taskType,
      start_time: r.startTime.toISOString(),
      end_time: r.endTime.toISOString(),
      generated: r.generated,
    }));
    const { actor } = record;
    const answer = record.withTasks
      ? sql`id, org_id, aircraft_id, program_id, directive_id, priority, type, state, start_time, end_time,
            assigned_mechanic_id, notes, version, started_at, completed_at, created_at, updated_at`
      : sql`program_id`;
    // The exclusion constraint stays the judge of windows: a row it refuses (a race) is left out,
    // never an error. The active-task guard is a hashed NOT IN, one pass over the active tasks
    // whatever the planner believes about the table's size. The audit rows and events are those
    // `auditRecord` and `domainEvent` would build for a person's creation of each task, plus the
    // generation's details (test/jobs/generated-task-effects.test.ts compares them).
    const { rows } = await sql<TaskRowMaybeWithParts>`
      WITH requested AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(requested)}::jsonb)
          AS r(org_id uuid, aircraft_id uuid, program_id uuid, type task_type, start_time timestamptz,
               end_time timestamptz, generated jsonb)
      ), created AS (
        INSERT INTO maintenance_tasks (org_id, aircraft_id, program_id, type, start_time, end_time, priority)
        SELECT r.org_id, r.aircraft_id, r.program_id, r.type, r.start_time, r.end_time,
               -- a generated task has its program's priority
               (SELECT p.task_priority FROM maintenance_programs p WHERE p.org_id = r.org_id AND p.id = r.program_id)
          FROM requested r
         WHERE r.program_id NOT IN (${activeProgramIds(taskInRange(rangeOf(requests.map(({ plan }) => plan))))})
        ON CONFLICT DO NOTHING
        RETURNING *
      ), placed AS (
        SELECT c.*, ${newTaskViewJson('c')} AS view, r.generated
          FROM created c JOIN requested r ON r.org_id = c.org_id AND r.program_id = c.program_id
      ), audit AS (
        INSERT INTO audit_logs (org_id, actor_org_id, user_id, actor, entity_type, entity_id, action, entity_version,
                                request_id, ip_address, user_agent, details)
        SELECT p.org_id, ${actor.actorOrgId}::uuid, ${actor.userId}::uuid, ${actor.actor}, 'maintenance_task', p.id,
               'create', p.version, ${actor.requestId}, ${actor.ipAddress}, ${actor.userAgent},
               ${JSON.stringify(actor.details)}::jsonb || jsonb_build_object('generated', p.generated, 'after', p.view)
          FROM placed p
      ), events AS (
        INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
        SELECT p.org_id, e.aggregate_type, e.aggregate_id, e.event_type,
               ${eventPayloadJson({
                 type: sql`e.event_type`,
                 orgId: sql`p.org_id`,
                 aggregateType: sql`e.aggregate_type`,
                 aggregateId: sql`e.aggregate_id`,
                 occurredAt: sql`p.view -> 'created_at'`,
                 data: sql`e.data`,
               })},
               concat_ws(':', e.event_type, p.org_id, e.aggregate_id, e.discriminator)
          FROM placed p
         CROSS JOIN LATERAL (VALUES
                 (1, 'task_created', 'maintenance_task', p.id, NULL, p.view),
                 (2, 'program_task_generated', 'maintenance_program', p.program_id, p.id::text,
                  p.generated || jsonb_build_object('task_id', p.id, 'task', p.view))
               ) AS e(n, event_type, aggregate_type, aggregate_id, discriminator, data)
         -- each task's creation before its generation, as a person's creation would come first
         ORDER BY p.org_id, p.aircraft_id, e.n
        ON CONFLICT (org_id, dedupe_key) DO NOTHING
      )
      SELECT ${answer} FROM placed`.execute(this.db);
    return rows.map((row) => ({
      programId: row.program_id!,
      task: record.withTasks ? toTask(row) : undefined,
    }));
  }

  async findActiveTask(orgId: string, programId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('org_id', '=', orgId)
      .where('program_id', '=', programId)
      .where('deleted_at', 'is', null)
      .where('state', 'in', ['scheduled', 'in_progress'])
      .orderBy('start_time')
      .executeTakeFirst();
    return row?.id;
  }
}
