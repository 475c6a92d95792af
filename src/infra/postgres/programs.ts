import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  NewProgram,
  ProgramFilter,
  ProgramPatch,
  ProgramRepository,
  ProgramRowUpdate,
  ProgramSortField,
} from '../../app/programs.js';
import type { MaintenanceProgram } from '../../domain/program.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { DB, MaintenanceProgramsTable } from './schema.js';

registerConstraints({
  maintenance_programs_aircraft_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_NOT_FOUND',
    message: 'no live aircraft with this id in the organization',
    field: 'body.aircraft_id',
  },
  maintenance_programs_name_not_blank: {
    kind: 'validation',
    reason: 'PROGRAM_NAME_BLANK',
    message: 'the program name must not be blank',
    field: 'body.name',
  },
  maintenance_programs_interval_value_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the interval must be greater than 0',
    field: 'body.interval_value',
  },
  maintenance_programs_lead_value_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the lead must be between 0 and 1000000',
    field: 'body.lead_value',
  },
  maintenance_programs_task_duration_minutes_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the task duration must be between 1 minute and 30 days',
    field: 'body.task_duration_minutes',
  },
});

/** A program row with the bound aircraft's counters and next_due (null for a template). */
export type ProgramRow = Selectable<MaintenanceProgramsTable> & {
  aircraft_flight_hours: string | null;
  aircraft_cycles: number | null;
  aircraft_next_due: Date | null;
};

/** A program row (with the bound aircraft's counters) as the domain sees it. */
export const toProgram = (row: ProgramRow): MaintenanceProgram => ({
  id: row.id,
  orgId: row.org_id,
  aircraftId: row.aircraft_id,
  name: row.name,
  intervalType: row.interval_type,
  intervalValue: row.interval_value,
  lastPerformed: row.last_performed,
  lastPerformedFlightHours:
    row.last_performed_flight_hours === null ? null : Number(row.last_performed_flight_hours),
  lastPerformedCycles: row.last_performed_cycles,
  aircraftUsage:
    row.aircraft_flight_hours === null || row.aircraft_cycles === null
      ? null
      : { flightHours: Number(row.aircraft_flight_hours), cycles: row.aircraft_cycles },
  aircraftNextDue: row.aircraft_next_due,
  leadValue: row.lead_value,
  taskType: row.task_type,
  taskDurationMinutes: row.task_duration_minutes,
  taskPriority: row.task_priority,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const SORT_COLUMNS: Record<ProgramSortField, string> = {
  name: 'p.name',
  created_at: 'p.created_at',
  interval_type: 'p.interval_type',
};

export class PgProgramRepository implements ProgramRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: NewProgram): Promise<MaintenanceProgram> {
    const [program] = await this.insertMany([input]);
    return program!;
  }

  async insertMany(inputs: NewProgram[]): Promise<MaintenanceProgram[]> {
    if (inputs.length === 0) return [];
    const rows = await this.withUsage(
      this.db
        .with('p', (db) =>
          db
            .insertInto('maintenance_programs')
            .values(
              inputs.map((input) => ({
                org_id: input.orgId,
                aircraft_id: input.aircraftId,
                name: input.name,
                interval_type: input.intervalType,
                interval_value: input.intervalValue,
                last_performed: input.lastPerformed,
                lead_value: input.leadValue,
                task_type: input.taskType,
                task_duration_minutes: input.taskDurationMinutes,
                task_priority: input.taskPriority,
              })),
            )
            .returningAll(),
        )
        .selectFrom('p'),
    ).execute();
    return rows.map(toProgram);
  }

  async findMany(
    orgId: string,
    ids: string[],
    options: { lock?: boolean } = {},
  ): Promise<MaintenanceProgram[]> {
    if (ids.length === 0) return [];
    let query = this.withUsage(this.db.selectFrom('maintenance_programs as p'))
      .where('p.org_id', '=', orgId)
      .where('p.id', '=', sql<string>`ANY(${ids}::uuid[])`)
      .where('p.deleted_at', 'is', null)
      .orderBy('p.id');
    if (options.lock) query = query.forUpdate('p');
    return (await query.execute()).map(toProgram);
  }

  async updateMany(orgId: string, rows: ProgramRowUpdate[], at: Date): Promise<MaintenanceProgram[]> {
    if (rows.length === 0) return [];
    // One JSON array for the batch (see PgChangeLogRepository for why, not column arrays).
    const input = rows.map((row) => ({
      id: row.id,
      interval_type: row.intervalType,
      interval_value: row.intervalValue,
      last_performed: row.lastPerformed,
      lead_value: row.leadValue,
      task_type: row.taskType,
      task_duration_minutes: row.taskDurationMinutes,
      task_priority: row.taskPriority,
    }));
    const { rows: updated } = await sql<ProgramRow>`
      WITH p AS (
        UPDATE maintenance_programs m
           SET interval_type = i.interval_type, interval_value = i.interval_value,
               last_performed = i.last_performed, lead_value = i.lead_value, task_type = i.task_type,
               task_duration_minutes = i.task_duration_minutes, task_priority = i.task_priority,
               updated_at = ${at}
          FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
                 AS i(id uuid, interval_type program_interval_type, interval_value integer,
                      last_performed timestamptz, lead_value integer, task_type task_type,
                      task_duration_minutes integer, task_priority task_priority)
         WHERE m.org_id = ${orgId} AND m.id = i.id AND m.deleted_at IS NULL
        RETURNING m.*
      )
      SELECT p.*, a.flight_hours_total AS aircraft_flight_hours, a.cycles_total AS aircraft_cycles,
             a.next_due AS aircraft_next_due
        FROM p LEFT JOIN aircraft a ON a.org_id = p.org_id AND a.id = p.aircraft_id`.execute(this.db);
    return updated.map(toProgram);
  }

  async findById(
    orgId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<MaintenanceProgram | undefined> {
    let query = this.withUsage(this.db.selectFrom('maintenance_programs as p'))
      .where('p.org_id', '=', orgId)
      .where('p.id', '=', id)
      .where('p.deleted_at', 'is', null);
    if (options.lock) query = query.forUpdate('p');
    const row = await query.executeTakeFirst();
    return row && toProgram(row);
  }

  async list(
    orgId: string,
    filter: ProgramFilter,
    sort: SortKey<ProgramSortField>[],
    page: Page,
  ): Promise<MaintenanceProgram[]> {
    // The counters come from the same query (a join), never one lookup per row.
    let query = this.withUsage(this.db.selectFrom('maintenance_programs as p'))
      .where('p.org_id', '=', orgId)
      .where('p.deleted_at', 'is', null);
    if (filter.aircraftId !== undefined) query = query.where('p.aircraft_id', '=', filter.aircraftId);
    if (filter.intervalType !== undefined) query = query.where('p.interval_type', '=', filter.intervalType);
    if (filter.template !== undefined) {
      query = query.where('p.aircraft_id', filter.template ? 'is' : 'is not', null);
    }
    const rows = await orderBySortKeys(query, sort, SORT_COLUMNS, 'p.id', {
      table: 'maintenance_programs',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toProgram);
  }

  async update(orgId: string, id: string, patch: ProgramPatch): Promise<MaintenanceProgram | undefined> {
    const row = await this.withUsage(
      this.db
        .with('p', (db) =>
          db
            .updateTable('maintenance_programs')
            .set({
              name: patch.name,
              interval_type: patch.intervalType,
              interval_value: patch.intervalValue,
              last_performed: patch.lastPerformed,
              lead_value: patch.leadValue,
              task_type: patch.taskType,
              task_duration_minutes: patch.taskDurationMinutes,
              task_priority: patch.taskPriority,
              updated_at: new Date(),
            })
            .where('org_id', '=', orgId)
            .where('id', '=', id)
            .where('deleted_at', 'is', null)
            .returningAll(),
        )
        .selectFrom('p'),
    ).executeTakeFirst();
    return row && toProgram(row);
  }

  async softDelete(orgId: string, id: string): Promise<MaintenanceProgram | undefined> {
    const now = new Date();
    const row = await this.withUsage(
      this.db
        .with('p', (db) =>
          db
            .updateTable('maintenance_programs')
            .set({ deleted_at: now, updated_at: now })
            .where('org_id', '=', orgId)
            .where('id', '=', id)
            .where('deleted_at', 'is', null)
            .returningAll(),
        )
        .selectFrom('p'),
    ).executeTakeFirst();
    return row && toProgram(row);
  }

  async recordPerformed(orgId: string, id: string, at: Date): Promise<MaintenanceProgram | undefined> {
    const row = await this.withUsage(
      this.db
        .with('p', (db) =>
          db
            .updateTable('maintenance_programs as mp')
            .set((eb) => ({
              last_performed: at,
              // A template has no aircraft of its own: its counters stay as they were.
              last_performed_flight_hours: eb.fn.coalesce(
                eb
                  .selectFrom('aircraft as a')
                  .select('a.flight_hours_total')
                  .whereRef('a.org_id', '=', 'mp.org_id')
                  .whereRef('a.id', '=', 'mp.aircraft_id'),
                'mp.last_performed_flight_hours',
              ),
              last_performed_cycles: eb.fn.coalesce(
                eb
                  .selectFrom('aircraft as a')
                  .select('a.cycles_total')
                  .whereRef('a.org_id', '=', 'mp.org_id')
                  .whereRef('a.id', '=', 'mp.aircraft_id'),
                'mp.last_performed_cycles',
              ),
              updated_at: new Date(),
            }))
            .where('mp.org_id', '=', orgId)
            .where('mp.id', '=', id)
            .where('mp.deleted_at', 'is', null)
            .returningAll(),
        )
        .selectFrom('p'),
    ).executeTakeFirst();
    return row && toProgram(row);
  }

  async countActiveTasks(orgId: string, id: string): Promise<number> {
    const { count } = await this.db
      .selectFrom('maintenance_tasks')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('org_id', '=', orgId)
      .where('program_id', '=', id)
      .where('state', 'in', ['scheduled', 'in_progress'])
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async lockLiveAircraft(orgId: string, aircraftId: string): Promise<boolean> {
    return (await this.lockLiveAircraftMany(orgId, [aircraftId])).length > 0;
  }

  async lockLiveAircraftMany(orgId: string, aircraftIds: string[]): Promise<string[]> {
    if (aircraftIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', sql<string>`ANY(${aircraftIds}::uuid[])`)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .forShare()
      .execute();
    return rows.map((row) => row.id);
  }

  /** Adds the bound aircraft's counters and next_due to a query over programs aliased `p`. */
  private withUsage(query: ProgramSource) {
    return query
      .leftJoin('aircraft as a', (join) =>
        join.onRef('a.org_id', '=', 'p.org_id').onRef('a.id', '=', 'p.aircraft_id'),
      )
      .selectAll('p')
      .select([
        sql<string | null>`a.flight_hours_total`.as('aircraft_flight_hours'),
        sql<number | null>`a.cycles_total`.as('aircraft_cycles'),
        sql<Date | null>`a.next_due`.as('aircraft_next_due'),
      ]);
  }
}

/** A query over programs (the table or a data-modifying CTE's rows) aliased `p`. */
type ProgramSource = SelectQueryBuilder<DB & { p: MaintenanceProgramsTable }, 'p', object>;
