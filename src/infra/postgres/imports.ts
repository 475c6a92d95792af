import { orderBySortKeys } from './listing.js';
import { sql, type Selectable } from 'kysely';
import type {
  AircraftRowUpdate,
  ClaimRequest,
  ImportFilter,
  ImportRepository,
  ImportRowFilter,
  NewPartDefinition,
  NewPartItem,
  PartDefinitionSettings,
  SettledRow,
  StagedRow,
} from '../../app/imports.js';
import type { NewAircraft } from '../../app/aircraft.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type { Aircraft } from '../../domain/aircraft.js';
import {
  UNFINISHED_IMPORT_STATUSES,
  type Import,
  type ImportRow,
  type ImportStatus,
  type ImportType,
  type RowOutcome,
} from '../../domain/import.js';
import type { PartDefinition, PartItem } from '../../domain/part.js';
import { toAircraft } from './aircraft.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { toDefinition, toItem } from './parts.js';
import type { AircraftTable, ImportRowsTable, ImportsTable, PartItemsTable } from './schema.js';

/** Imports list newest first, their rows by row number (id breaks ties). */
const NEWEST_FIRST: SortKey<'created_at'>[] = [{ field: 'created_at', direction: 'desc' }];
const BY_ROW_NUMBER: SortKey<'row_number'>[] = [{ field: 'row_number', direction: 'asc' }];

registerConstraints({
  imports_created_by_fkey: {
    kind: 'not_found',
    reason: 'USER_NOT_FOUND',
    message: 'the importing user does not exist in this organization',
  },
  import_rows_org_id_import_id_row_number_key: {
    kind: 'conflict',
    reason: 'IMPORT_ROW_EXISTS',
    message: 'this row of the import is already staged',
  },
});

/** Imports and their staged rows; every method is scoped to one organization except the worker's claim. */
export class PgImportRepository implements ImportRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: {
    id: string;
    orgId: string;
    type: ImportType;
    fileName: string;
    filePath: string;
    createdBy: string;
  }): Promise<Import> {
    const row = await this.db
      .insertInto('imports')
      .values({
        id: input.id,
        org_id: input.orgId,
        type: input.type,
        file_name: input.fileName,
        file_path: input.filePath,
        created_by: input.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toImport(row);
  }

  async findById(orgId: string, id: string): Promise<Import | undefined> {
    const row = await this.db
      .selectFrom('imports')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toImport(row);
  }

  async list(orgId: string, filter: ImportFilter, page: Page): Promise<Import[]> {
    let query = this.db.selectFrom('imports').selectAll().where('org_id', '=', orgId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    const rows = await orderBySortKeys(query, NEWEST_FIRST, { created_at: 'created_at' }, 'id', {
      table: 'imports',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toImport);
  }

  async listRows(orgId: string, importId: string, filter: ImportRowFilter, page: Page): Promise<ImportRow[]> {
    let query = this.db
      .selectFrom('import_rows')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('import_id', '=', importId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const rows = await orderBySortKeys(query, BY_ROW_NUMBER, { row_number: 'row_number' }, 'id', {
      table: 'import_rows',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toImportRow);
  }

  async claim(request: ClaimRequest): Promise<Import | undefined> {
    const { workerId, now, leaseMs, importId } = request;
    const until = new Date(now.getTime() + leaseMs);
    const row = await sql<Selectable<ImportsTable>>`
      UPDATE imports
         SET locked_by = ${workerId}, locked_until = ${until}, attempt_count = attempt_count + 1,
             started_at = coalesce(started_at, ${now})
       WHERE id = (
         SELECT id FROM imports
          WHERE status = ANY(${UNFINISHED_IMPORT_STATUSES}::import_status[])
            AND (locked_until IS NULL OR locked_until <= ${now})
            ${importId === undefined ? sql`` : sql`AND id = ${importId}`}
          ORDER BY created_at, id
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(this.db);
    const claimed = row.rows[0];
    return claimed && toImport(claimed);
  }

  async holdLease(
    orgId: string,
    id: string,
    workerId: string,
    now: Date,
    leaseMs: number,
  ): Promise<Import | undefined> {
    const row = await this.db
      .updateTable('imports')
      .set({ locked_until: new Date(now.getTime() + leaseMs) })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .returningAll()
      .executeTakeFirst();
    return row && toImport(row);
  }

  async release(orgId: string, id: string, workerId: string): Promise<void> {
    await this.db
      .updateTable('imports')
      .set({ locked_by: null, locked_until: null })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .execute();
  }

  async setStatus(orgId: string, id: string, status: ImportStatus): Promise<Import> {
    const row = await this.db
      .updateTable('imports')
      .set({ status })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toImport(row);
  }

  async lastStagedRow(orgId: string, importId: string): Promise<number> {
    const row = await this.db
      .selectFrom('import_rows')
      .select((eb) => eb.fn.max('row_number').as('last'))
      .where('org_id', '=', orgId)
      .where('import_id', '=', importId)
      .executeTakeFirst();
    return row?.last ?? 0;
  }

  async stageRows(orgId: string, importId: string, rows: StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One JSON array for the batch (see PgChangeLogRepository for why, not column arrays).
    // Rows already staged (a resumed validation) are skipped and not counted again.
    const input = rows.map((r) => ({ row_number: r.rowNumber, raw: r.raw, errors: r.errors }));
    await sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
                   AS t(row_number int, raw jsonb, errors jsonb)
      ), staged AS (
        INSERT INTO import_rows (org_id, import_id, row_number, raw, errors, status)
        SELECT ${orgId}, ${importId}, row_number, raw, errors,
               (CASE WHEN jsonb_array_length(errors) = 0 THEN 'valid' ELSE 'invalid' END)::import_row_status
          FROM input
        ON CONFLICT (org_id, import_id, row_number) DO NOTHING
        RETURNING status
      )
      UPDATE imports
         SET total_rows = total_rows + (SELECT count(*) FROM staged),
             valid_rows = valid_rows + (SELECT count(*) FROM staged WHERE status = 'valid'),
             invalid_rows = invalid_rows + (SELECT count(*) FROM staged WHERE status = 'invalid')
       WHERE org_id = ${orgId} AND id = ${importId}`.execute(this.db);
  }

  async pendingValidRows(orgId: string, importId: string, limit: number): Promise<ImportRow[]> {
    const rows = await this.db
      .selectFrom('import_rows')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('import_id', '=', importId)
      .where('status', '=', 'valid')
      .orderBy('row_number', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toImportRow);
  }

  async settleRows(orgId: string, importId: string, rows: SettledRow[]): Promise<void> {
    if (rows.length === 0) return;
    const numbers = rows.map((r) => r.rowNumber);
    const input = rows.map((r) => ({ id: r.id, status: r.status, errors: r.errors, outcome: r.outcome }));
    await sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
                   AS t(id uuid, status import_row_status, errors jsonb, outcome text)
      ), settled AS (
        UPDATE import_rows r
           SET status = input.status, errors = input.errors, outcome = input.outcome
          FROM input
         WHERE r.org_id = ${orgId} AND r.import_id = ${importId} AND r.id = input.id AND r.status = 'valid'
           -- The batch's range of row numbers, so only its rows are read, however large the import.
           AND r.row_number BETWEEN ${Math.min(...numbers)} AND ${Math.max(...numbers)}
        RETURNING r.status
      )
      UPDATE imports
         SET applied_rows = applied_rows + (SELECT count(*) FROM settled WHERE status = 'applied'),
             invalid_rows = invalid_rows + (SELECT count(*) FROM settled WHERE status = 'invalid'),
             valid_rows = valid_rows - (SELECT count(*) FROM settled WHERE status = 'invalid')
       WHERE org_id = ${orgId} AND id = ${importId}`.execute(this.db);
  }

  async rowCounts(orgId: string, importId: string): Promise<Record<string, number>> {
    const { rows } = await sql<{ key: string; n: string }>`
      SELECT status::text AS key, count(*) AS n FROM import_rows
       WHERE org_id = ${orgId} AND import_id = ${importId} GROUP BY status
      UNION ALL
      SELECT outcome, count(*) FROM import_rows
       WHERE org_id = ${orgId} AND import_id = ${importId} AND outcome IS NOT NULL GROUP BY outcome`.execute(
      this.db,
    );
    return Object.fromEntries(rows.map((row) => [row.key, Number(row.n)]));
  }

  async finish(
    orgId: string,
    id: string,
    input: {
      status: 'completed' | 'failed';
      error: string | null;
      summary: Record<string, unknown>;
      at: Date;
    },
  ): Promise<Import> {
    const row = await this.db
      .updateTable('imports')
      .set({
        status: input.status,
        error: input.error,
        summary: JSON.stringify(input.summary),
        finished_at: input.at,
        locked_by: null,
        locked_until: null,
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toImport(row);
  }

  async findAircraftByTailNumbers(orgId: string, tailNumbers: string[]): Promise<Aircraft[]> {
    if (tailNumbers.length === 0) return [];
    // One index lookup per tail number asked (LIMIT 1 keeps the subquery from being flattened):
    // a prepared statement's generic plan of `tail_number = ANY($2)` compares every aircraft of the
    // fleet with every tail number instead, a hundred times slower on large fleets.
    const { rows } = await sql<Selectable<AircraftTable>>`
      SELECT a.* FROM unnest(${tailNumbers}::text[]) AS wanted (tail_number)
       CROSS JOIN LATERAL (
         SELECT * FROM aircraft
          WHERE org_id = ${orgId} AND tail_number = wanted.tail_number AND deleted_at IS NULL
          LIMIT 1) a`.execute(this.db);
    return rows.map(toAircraft);
  }

  async insertAircraft(rows: NewAircraft[]): Promise<Aircraft[]> {
    if (rows.length === 0) return [];
    const inserted = await this.db
      .insertInto('aircraft')
      .values(
        rows.map((row) => ({
          org_id: row.orgId,
          tail_number: row.tailNumber,
          model: row.model,
          aircraft_type_id: row.aircraftTypeId,
          serial_number: row.serialNumber,
          status: row.status,
          status_source: row.statusSource,
          capacity_slots: row.capacitySlots,
          last_maintenance: row.lastMaintenance,
          next_due: row.nextDue,
        })),
      )
      .returningAll()
      .execute();
    return inserted.map(toAircraft);
  }

  async lockAircraft(orgId: string, ids: string[]): Promise<Aircraft[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('aircraft')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
    return rows.map(toAircraft);
  }

  async updateAircraft(orgId: string, rows: AircraftRowUpdate[], at: Date): Promise<Aircraft[]> {
    if (rows.length === 0) return [];
    // One JSON array for the batch (see PgChangeLogRepository for why, not column arrays).
    const input = rows.map((row) => ({
      id: row.id,
      model: row.model,
      status: row.status,
      status_source: row.statusSource,
      capacity_slots: row.capacitySlots,
      last_maintenance: row.lastMaintenance,
      next_due: row.nextDue,
    }));
    const { rows: updated } = await sql<Selectable<AircraftTable>>`
      UPDATE aircraft a
         SET model = i.model, status = i.status, status_source = i.status_source,
             capacity_slots = i.capacity_slots, last_maintenance = i.last_maintenance, next_due = i.next_due,
             updated_at = ${at}
        FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
               AS i(id uuid, model text, status aircraft_status, status_source aircraft_status_source,
                    capacity_slots integer, last_maintenance timestamptz, next_due timestamptz)
       WHERE a.org_id = ${orgId} AND a.id = i.id AND a.deleted_at IS NULL
      RETURNING a.*`.execute(this.db);
    return updated.map(toAircraft);
  }

  async findDefinitionIdsByNames(orgId: string, names: string[]): Promise<{ name: string; id: string }[]> {
    if (names.length === 0) return [];
    // One index lookup per name, as findAircraftByTailNumbers does and for the same reason.
    const { rows } = await sql<{ name: string; id: string }>`
      SELECT d.name, d.id FROM unnest(${names}::text[]) AS wanted (name)
       CROSS JOIN LATERAL (
         SELECT name, id FROM part_definitions
          WHERE org_id = ${orgId} AND name = wanted.name AND deleted_at IS NULL
          LIMIT 1) d`.execute(this.db);
    return rows;
  }

  async findItemsBySerials(orgId: string, serialNumbers: string[]): Promise<PartItem[]> {
    if (serialNumbers.length === 0) return [];
    const { rows } = await sql<Selectable<PartItemsTable>>`
      SELECT i.* FROM unnest(${serialNumbers}::text[]) AS wanted (serial_number)
       CROSS JOIN LATERAL (
         SELECT * FROM part_items
          WHERE org_id = ${orgId} AND serial_number = wanted.serial_number AND deleted_at IS NULL
          LIMIT 1) i`.execute(this.db);
    return rows.map(toItem);
  }

  async insertPartDefinitions(rows: NewPartDefinition[]): Promise<PartDefinition[]> {
    if (rows.length === 0) return [];
    const inserted = await this.db
      .insertInto('part_definitions')
      .values(
        rows.map((row) => ({
          org_id: row.orgId,
          name: row.name,
          category: row.category,
          min_stock_level: row.minStockLevel,
          reorder_point: row.reorderPoint,
          lead_time_days: row.leadTimeDays,
        })),
      )
      .returningAll()
      .execute();
    return inserted.map((row) => toDefinition({ ...row, in_stock: 0, reserved: 0 }));
  }

  async updatePartDefinitions(orgId: string, rows: PartDefinitionSettings[], at: Date): Promise<number> {
    if (rows.length === 0) return 0;
    const input = rows.map((row) => ({
      id: row.id,
      category: row.category,
      min_stock_level: row.minStockLevel,
      reorder_point: row.reorderPoint,
      lead_time_days: row.leadTimeDays,
    }));
    const result = await sql`
      UPDATE part_definitions d
         SET category = i.category, min_stock_level = i.min_stock_level, reorder_point = i.reorder_point,
             lead_time_days = i.lead_time_days, updated_at = ${at}
        FROM jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
               AS i(id uuid, category text, min_stock_level integer, reorder_point integer, lead_time_days integer)
       WHERE d.org_id = ${orgId} AND d.id = i.id AND d.deleted_at IS NULL`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  async insertPartItems(rows: NewPartItem[]): Promise<PartItem[]> {
    if (rows.length === 0) return [];
    const inserted = await this.db
      .insertInto('part_items')
      .values(
        rows.map((row) => ({
          org_id: row.orgId,
          part_definition_id: row.partDefinitionId,
          serial_number: row.serialNumber,
          status: row.status,
          expiry_date: row.expiryDate,
        })),
      )
      .returningAll()
      .execute();
    return inserted.map(toItem);
  }

  async findDefinitionIdByName(orgId: string, name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('part_definitions')
      .select('id')
      .where('org_id', '=', orgId)
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row?.id;
  }

  async findItemBySerial(
    orgId: string,
    serialNumber: string,
  ): Promise<{ id: string; partDefinitionId: string } | undefined> {
    const row = await this.db
      .selectFrom('part_items')
      .select(['id', 'part_definition_id'])
      .where('org_id', '=', orgId)
      .where('serial_number', '=', serialNumber)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && { id: row.id, partDefinitionId: row.part_definition_id };
  }

  async findProgramId(orgId: string, name: string, aircraftId: string | null): Promise<string | undefined> {
    const [id] = await this.findProgramIds(orgId, [{ name, aircraftId }]);
    return id;
  }

  async findProgramIds(
    orgId: string,
    keys: { name: string; aircraftId: string | null }[],
  ): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    // Per key, the programs of its aircraft through the (org_id, aircraft_id) index, or the
    // templates when it names none; the oldest live one of that name.
    const { rows } = await sql<{ n: string; id: string }>`
      SELECT k.n, p.id
        FROM unnest(${keys.map((key) => key.name)}::text[], ${keys.map((key) => key.aircraftId)}::uuid[])
               WITH ORDINALITY AS k (name, aircraft_id, n)
       CROSS JOIN LATERAL (
         SELECT id, created_at FROM maintenance_programs p
          WHERE p.org_id = ${orgId} AND p.aircraft_id = k.aircraft_id AND p.name = k.name AND p.deleted_at IS NULL
         UNION ALL
         SELECT id, created_at FROM maintenance_programs p
          WHERE k.aircraft_id IS NULL AND p.org_id = ${orgId} AND p.aircraft_id IS NULL AND p.name = k.name
            AND p.deleted_at IS NULL
          ORDER BY created_at, id
          LIMIT 1) p`.execute(this.db);
    const ids = new Map(rows.map((row) => [Number(row.n), row.id]));
    return keys.map((_, i) => ids.get(i + 1));
  }
}

function toImport(row: Selectable<ImportsTable>): Import {
  return {
    id: row.id,
    orgId: row.org_id,
    type: row.type,
    status: row.status,
    fileName: row.file_name,
    filePath: row.file_path,
    createdBy: row.created_by,
    counts: {
      total: row.total_rows,
      valid: row.valid_rows,
      invalid: row.invalid_rows,
      applied: row.applied_rows,
    },
    summary: row.summary,
    error: row.error,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    attemptCount: row.attempt_count,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toImportRow(row: Selectable<ImportRowsTable>): ImportRow {
  return {
    id: row.id,
    orgId: row.org_id,
    importId: row.import_id,
    rowNumber: row.row_number,
    raw: row.raw as Record<string, string>,
    status: row.status,
    errors: row.errors,
    outcome: row.outcome as RowOutcome | null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
