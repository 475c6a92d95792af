import { sql, type Selectable } from 'kysely';
import type {
  AircraftFilter,
  AircraftPatch,
  AircraftRepository,
  AircraftSortField,
  GroundingTask,
  NewAircraft,
  NewUsageRecord,
  UsageFilter,
  UsageInsertResult,
  UsageSortField,
} from '../../app/aircraft.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type { Aircraft, AircraftUsage } from '../../domain/aircraft.js';
import { MIN_GROUNDING_LEAD_MS } from '../../domain/task.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { AircraftTable, AircraftUsageTable } from './schema.js';
import { escapeLike } from './users.js';

registerConstraints({
  aircraft_org_id_tail_number_live_key: {
    kind: 'conflict',
    reason: 'TAIL_NUMBER_TAKEN',
    message: 'a live aircraft with this tail number already exists in the organization',
    field: 'body.tail_number',
  },
  // Reached only in a race (e.g. a task completion moving last_maintenance meanwhile).
  aircraft_next_due_after_last_maintenance: {
    kind: 'validation',
    reason: 'NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE',
    message: 'next_due must be after last_maintenance',
    field: 'body.next_due',
  },
  // Reached only in a race or by the bulk import: the service looks the type up first.
  aircraft_serial_number_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'serial_number must not be blank',
    field: 'body.serial_number',
  },
  aircraft_aircraft_type_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_TYPE_NOT_FOUND',
    message: 'aircraft_type_id names no aircraft type',
    field: 'body.aircraft_type_id',
  },
  aircraft_usage_aircraft_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_NOT_FOUND',
    message: 'aircraft not found',
  },
});

/** An aircraft row as the domain sees it (also used by the bulk insert of CSV imports). */
export const toAircraft = (row: Selectable<AircraftTable>): Aircraft => ({
  id: row.id,
  orgId: row.org_id,
  tailNumber: row.tail_number,
  model: row.model,
  aircraftTypeId: row.aircraft_type_id,
  serialNumber: row.serial_number,
  status: row.status,
  statusSource: row.status_source,
  capacitySlots: row.capacity_slots,
  lastMaintenance: row.last_maintenance,
  nextDue: row.next_due,
  flightHoursTotal: Number(row.flight_hours_total),
  cyclesTotal: row.cycles_total,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toUsage = (row: Selectable<AircraftUsageTable>): AircraftUsage => ({
  id: row.id,
  orgId: row.org_id,
  aircraftId: row.aircraft_id,
  sourceRef: row.source_ref,
  flightHours: Number(row.flight_hours),
  cycles: row.cycles,
  recordedAt: row.recorded_at,
  createdAt: row.created_at,
  createdBy: row.created_by,
});

const AIRCRAFT_SORT_COLUMNS: Record<AircraftSortField, string> = {
  tail_number: 'tail_number',
  model: 'model',
  status: 'status',
  next_due: 'next_due',
  created_at: 'created_at',
};

const USAGE_SORT_COLUMNS: Record<UsageSortField, string> = {
  recorded_at: 'recorded_at',
  created_at: 'created_at',
};

/**
 * The one definition of "this task keeps its aircraft on the ground at `now`", over tasks aliased
 * `t` joined to their org's policy aliased `p`: live and in progress, or live, scheduled, with an
 * assigned mechanic (confirmed) and starting within the org's grounding lead time (or overdue).
 * The lead is at least MIN_GROUNDING_LEAD_MS (the start grace), so a task can start as early as
 * its rules allow.
 */
export const groundsAircraft = (now: Date) => sql<boolean>`
  t.deleted_at IS NULL
  AND (t.state = 'in_progress'
       OR (t.state = 'scheduled'
           AND t.assigned_mechanic_id IS NOT NULL
           AND t.start_time - greatest(p.grounding_lead_time, make_interval(secs => ${MIN_GROUNDING_LEAD_MS / 1000}))
               <= ${now}::timestamptz))`;

export class PgAircraftRepository implements AircraftRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: NewAircraft): Promise<Aircraft> {
    const row = await this.db
      .insertInto('aircraft')
      .values({
        org_id: input.orgId,
        tail_number: input.tailNumber,
        model: input.model,
        aircraft_type_id: input.aircraftTypeId,
        serial_number: input.serialNumber,
        status: input.status,
        status_source: input.statusSource,
        capacity_slots: input.capacitySlots,
        last_maintenance: input.lastMaintenance,
        next_due: input.nextDue,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAircraft(row);
  }

  async findById(orgId: string, id: string, options: { lock?: boolean } = {}): Promise<Aircraft | undefined> {
    let query = this.db
      .selectFrom('aircraft')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null);
    if (options.lock) query = query.forNoKeyUpdate();
    const row = await query.executeTakeFirst();
    return row && toAircraft(row);
  }

  async findByTailNumber(orgId: string, tailNumber: string): Promise<Aircraft | undefined> {
    const row = await this.db
      .selectFrom('aircraft')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('tail_number', '=', tailNumber)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toAircraft(row);
  }

  async list(
    orgId: string,
    filter: AircraftFilter,
    sort: SortKey<AircraftSortField>[],
    page: Page,
  ): Promise<Aircraft[]> {
    let query = this.db
      .selectFrom('aircraft')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.aircraftTypeId !== undefined)
      query = query.where('aircraft_type_id', '=', filter.aircraftTypeId);
    if (filter.serialNumber !== undefined) query = query.where('serial_number', '=', filter.serialNumber);
    if (filter.tailNumber) {
      query = query.where('tail_number', 'ilike', `%${escapeLike(filter.tailNumber)}%`);
    }
    const rows = await orderBySortKeys(query, sort, AIRCRAFT_SORT_COLUMNS, 'id', {
      table: 'aircraft',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toAircraft);
  }

  async update(orgId: string, id: string, patch: AircraftPatch): Promise<Aircraft | undefined> {
    const row = await this.db
      .updateTable('aircraft')
      .set({
        tail_number: patch.tailNumber,
        model: patch.model,
        aircraft_type_id: patch.aircraftTypeId,
        serial_number: patch.serialNumber,
        status: patch.status,
        status_source: patch.statusSource,
        capacity_slots: patch.capacitySlots,
        last_maintenance: patch.lastMaintenance,
        next_due: patch.nextDue,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toAircraft(row);
  }

  async softDelete(orgId: string, id: string): Promise<Aircraft | undefined> {
    const now = new Date();
    const row = await this.db
      .updateTable('aircraft')
      .set({ deleted_at: now, updated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toAircraft(row);
  }

  async countActiveTasks(orgId: string, id: string): Promise<number> {
    const row = await this.db
      .selectFrom('maintenance_tasks')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('org_id', '=', orgId)
      .where('aircraft_id', '=', id)
      .where('deleted_at', 'is', null)
      .where('state', 'in', ['scheduled', 'in_progress'])
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async findGroundingTask(orgId: string, id: string, now: Date): Promise<GroundingTask | undefined> {
    const { rows } = await sql<{ id: string; state: GroundingTask['state']; start_time: Date }>`
      SELECT t.id, t.state, t.start_time
        FROM maintenance_tasks t
        JOIN org_policies p ON p.org_id = t.org_id
       WHERE t.org_id = ${orgId} AND t.aircraft_id = ${id} AND ${groundsAircraft(now)}
       ORDER BY t.state = 'in_progress' DESC, t.start_time, t.id
       LIMIT 1`.execute(this.db);
    const [row] = rows;
    return row && { id: row.id, state: row.state, startTime: row.start_time };
  }

  async findStatusDrift(now: Date, limit: number): Promise<{ orgId: string; id: string }[]> {
    const { rows } = await sql<{ org_id: string; id: string }>`
      SELECT d.org_id, d.id FROM (
        SELECT a.org_id, a.id, a.status,
               EXISTS (SELECT 1 FROM maintenance_tasks t
                        WHERE t.org_id = a.org_id AND t.aircraft_id = a.id AND ${groundsAircraft(now)}
                      ) AS needs_grounding
          FROM aircraft a
          JOIN organizations o ON o.id = a.org_id AND o.deleted_at IS NULL
          JOIN org_policies p ON p.org_id = a.org_id
         WHERE a.deleted_at IS NULL
           AND (a.status = 'operational' OR (a.status = 'grounded' AND a.status_source = 'automatic'))
      ) d
       WHERE (d.status = 'operational') = d.needs_grounding
       ORDER BY d.org_id, d.id
       LIMIT ${limit}`.execute(this.db);
    return rows.map((row) => ({ orgId: row.org_id, id: row.id }));
  }

  async recordUsage(input: {
    orgId: string;
    aircraftId: string;
    records: NewUsageRecord[];
    createdBy: { orgId: string; userId: string } | null;
  }): Promise<UsageInsertResult> {
    const { records } = input;
    // One statement: the new flights go in (a known source_ref is skipped, in the batch too: the
    // first one wins), and the counters move by exactly the rows that went in.
    const { rows } = await sql<{ recorded: number; flight_hours: string; cycles: number }>`
      WITH input AS (
        SELECT u.source_ref, u.flight_hours, u.cycles, u.recorded_at, u.n
          FROM unnest(${records.map((r) => r.sourceRef)}::text[],
                      ${records.map((r) => r.flightHours)}::numeric[],
                      ${records.map((r) => r.cycles)}::integer[],
                      ${records.map((r) => r.recordedAt.toISOString())}::timestamptz[])
               WITH ORDINALITY AS u(source_ref, flight_hours, cycles, recorded_at, n)
      ), inserted AS (
        INSERT INTO aircraft_usage
               (org_id, aircraft_id, source_ref, flight_hours, cycles, recorded_at, created_by_org_id, created_by)
        SELECT ${input.orgId}, ${input.aircraftId}, source_ref, flight_hours, cycles, recorded_at,
               ${input.createdBy?.orgId ?? null}::uuid, ${input.createdBy?.userId ?? null}::uuid
          FROM input ORDER BY n
        ON CONFLICT (org_id, aircraft_id, source_ref) DO NOTHING
        RETURNING flight_hours, cycles
      ), added AS (
        SELECT count(*)::integer AS recorded,
               coalesce(sum(flight_hours), 0) AS flight_hours,
               coalesce(sum(cycles), 0)::integer AS cycles
          FROM inserted
      ), moved AS (
        UPDATE aircraft a
           SET flight_hours_total = a.flight_hours_total + added.flight_hours,
               cycles_total = a.cycles_total + added.cycles,
               updated_at = now()
          FROM added
         WHERE a.org_id = ${input.orgId} AND a.id = ${input.aircraftId} AND a.deleted_at IS NULL
           AND added.recorded > 0
        RETURNING a.id
      )
      SELECT added.recorded, added.flight_hours, added.cycles FROM added`.execute(this.db);
    const row = rows[0]!;
    return { recorded: row.recorded, flightHoursAdded: Number(row.flight_hours), cyclesAdded: row.cycles };
  }

  async listUsage(
    orgId: string,
    aircraftId: string,
    filter: UsageFilter,
    sort: SortKey<UsageSortField>[],
    page: Page,
  ): Promise<AircraftUsage[]> {
    let query = this.db
      .selectFrom('aircraft_usage')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('aircraft_id', '=', aircraftId);
    if (filter.from) query = query.where('recorded_at', '>=', filter.from);
    if (filter.to) query = query.where('recorded_at', '<', filter.to);
    const rows = await orderBySortKeys(query, sort, USAGE_SORT_COLUMNS, 'id', {
      table: 'aircraft_usage',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toUsage);
  }
}
