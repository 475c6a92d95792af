import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  NewTask,
  TaskAircraft,
  TaskChanges,
  TaskDetail,
  TaskFilter,
  TaskRepository,
  TaskSortField,
  TaskWorkFacts,
} from '../../app/tasks.js';
import type { PartReservation } from '../../domain/part.js';
import type { PredecessorFacts } from '../../domain/scheduling.js';
import {
  MaintenanceTask,
  type PendingInspection,
  type RequiredPart,
  type RequiredPartCoverage,
} from '../../domain/task.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import { toComplianceItem } from './compliance.js';
import { toReservation } from './parts.js';
import { DEPENDENCY_RECORD_SELECT, dependencyFromJson, type DependencyJsonRow } from './task-dependencies.js';
import type { ComplianceItemsTable, DB, MaintenanceTasksTable, PartReservationsTable } from './schema.js';

registerConstraints({
  maintenance_tasks_no_overlap: {
    kind: 'conflict',
    reason: 'TASK_OVERLAP',
    message: 'the window overlaps another scheduled or in-progress task of the same aircraft',
  },
  maintenance_tasks_mechanic_no_overlap: {
    kind: 'conflict',
    reason: 'MECHANIC_BUSY',
    message:
      'the mechanic is already assigned to another scheduled or in-progress task whose window overlaps',
    field: 'body.assigned_mechanic_id',
  },
  maintenance_tasks_end_after_start: {
    kind: 'validation',
    reason: 'END_BEFORE_START',
    message: 'end_time must be after start_time',
    field: 'body.end_time',
  },
  maintenance_tasks_aircraft_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_NOT_FOUND',
    message: 'the aircraft does not exist in this organization',
    field: 'body.aircraft_id',
  },
  maintenance_tasks_program_fkey: {
    kind: 'not_found',
    reason: 'PROGRAM_NOT_FOUND',
    message: 'the maintenance program does not exist in this organization',
    field: 'body.program_id',
  },
  maintenance_tasks_directive_fkey: {
    kind: 'not_found',
    reason: 'DIRECTIVE_NOT_FOUND',
    message: 'the directive does not exist in this organization',
  },
  maintenance_tasks_assigned_mechanic_fkey: {
    kind: 'not_found',
    reason: 'MECHANIC_NOT_FOUND',
    message: 'the assigned mechanic does not exist in this organization',
    field: 'body.assigned_mechanic_id',
  },
  task_part_requirements_part_definition_fkey: {
    kind: 'not_found',
    reason: 'PART_DEFINITION_NOT_FOUND',
    message: 'a required part definition does not exist in this organization',
    field: 'body.required_parts',
  },
  maintenance_tasks_completed_kept: {
    kind: 'conflict',
    reason: 'TASK_COMPLETED',
    message: 'a completed task is a maintenance record and is never deleted',
  },
  task_part_requirements_org_id_task_id_part_definition_id_key: {
    kind: 'validation',
    reason: 'DUPLICATE_REQUIRED_PART',
    message: 'required_parts lists a part definition more than once',
    field: 'body.required_parts',
  },
});

const TASK_COLUMNS = [
  't.id',
  't.org_id',
  't.aircraft_id',
  't.program_id',
  't.directive_id',
  't.priority',
  't.type',
  't.state',
  't.start_time',
  't.end_time',
  't.assigned_mechanic_id',
  't.notes',
  't.version',
  't.started_at',
  't.completed_at',
  't.created_at',
  't.updated_at',
] as const;

type TaskRow = Omit<Selectable<MaintenanceTasksTable>, 'deleted_at' | 'active_window'> & {
  required_parts: { part_definition_id: string; quantity: number }[];
};

/** A task row as the domain sees it; a row read without its requirements has none. */
export type TaskRowMaybeWithParts = Omit<TaskRow, 'required_parts' | 'directive_id' | 'priority'> &
  Partial<Pick<TaskRow, 'required_parts' | 'directive_id' | 'priority'>>;

/** A row read as JSON: its timestamps arrive as text. */
type JsonRow<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

/** `findDetail`'s row: the task with its reservations and live compliance items as JSON arrays. */
type DetailRow = TaskRow & {
  reservations: JsonRow<Selectable<PartReservationsTable>>[];
  compliance: JsonRow<Omit<Selectable<ComplianceItemsTable>, 'deleted_at'>>[];
  dependencies: DependencyJsonRow[];
};

const SORT_COLUMNS: Record<TaskSortField, string> = {
  start_time: 't.start_time',
  end_time: 't.end_time',
  created_at: 't.created_at',
  state: 't.state',
  // An enum: sorts in its declared order, routine < urgent < aog < critical.
  priority: 't.priority',
};

/** A task's requirements as a JSON array beside its row, ordered by part definition. */
const requiredPartsOf = (eb: ExpressionBuilder<DB & { t: MaintenanceTasksTable }, 't'>) =>
  jsonArrayFrom(
    eb
      .selectFrom('task_part_requirements as r')
      .select(['r.part_definition_id', 'r.quantity'])
      .whereRef('r.org_id', '=', 't.org_id')
      .whereRef('r.task_id', '=', 't.id')
      .orderBy('r.part_definition_id'),
  ).as('required_parts');

const byDefinition = (a: RequiredPart, b: RequiredPart): number =>
  a.partDefinitionId < b.partDefinitionId ? -1 : a.partDefinitionId > b.partDefinitionId ? 1 : 0;

export const toTask = (row: TaskRowMaybeWithParts): MaintenanceTask =>
  new MaintenanceTask({
    id: row.id,
    orgId: row.org_id,
    aircraftId: row.aircraft_id,
    programId: row.program_id,
    directiveId: row.directive_id ?? null,
    priority: row.priority ?? 'routine',
    type: row.type,
    state: row.state,
    startTime: row.start_time,
    endTime: row.end_time,
    assignedMechanicId: row.assigned_mechanic_id,
    notes: row.notes,
    version: row.version,
    requiredParts: (row.required_parts ?? []).map((part) => ({
      partDefinitionId: part.part_definition_id,
      quantity: part.quantity,
    })),
    startedAt: row.started_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

export class PgTaskRepository implements TaskRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: NewTask): Promise<MaintenanceTask> {
    // Written out, as findDetail is: every create runs it, and building it cost more CPU than sending it.
    const {
      rows: [row],
    } = await sql<Selectable<MaintenanceTasksTable>>`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, program_id, directive_id, priority, type, start_time,
                                     end_time, assigned_mechanic_id, notes)
      VALUES (${input.orgId}, ${input.aircraftId}, ${input.programId}, ${input.directiveId}, ${input.priority},
              ${input.type}, ${input.startTime}, ${input.endTime}, ${input.assignedMechanicId}, ${input.notes})
      RETURNING *`.execute(this.db);
    if (!row) throw new Error('INSERT … RETURNING answered no row');
    await this.insertRequirements(input.orgId, row.id, input.requiredParts);
    return toTask({ ...row, required_parts: requirementRows(input.requiredParts) });
  }

  async findById(
    orgId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<MaintenanceTask | undefined> {
    let query = this.liveTasks(orgId).where('t.id', '=', id);
    if (options.lock) query = query.forUpdate('t');
    const row = await query.executeTakeFirst();
    return row && toTask(row);
  }

  async findDetail(orgId: string, id: string): Promise<TaskDetail | undefined> {
    // One round trip: the required parts, reservations and compliance items ride along as JSON
    // arrays. Written out rather than built with the query builder: this is the hottest read, and
    // building its nested selects cost the server more CPU than PostgreSQL spends running it.
    const { rows } = await sql<DetailRow>`
      SELECT t.id, t.org_id, t.aircraft_id, t.program_id, t.directive_id, t.priority, t.type, t.state, t.start_time, t.end_time,
             t.assigned_mechanic_id, t.notes, t.version, t.started_at, t.completed_at, t.created_at, t.updated_at,
             (SELECT coalesce(json_agg(agg), '[]') FROM (
                SELECT r.part_definition_id, r.quantity FROM task_part_requirements r
                 WHERE r.org_id = t.org_id AND r.task_id = t.id ORDER BY r.part_definition_id) AS agg) AS required_parts,
             (SELECT coalesce(json_agg(agg), '[]') FROM (
                SELECT r.* FROM part_reservations r
                 WHERE r.org_id = t.org_id AND r.task_id = t.id ORDER BY r.created_at, r.id) AS agg) AS reservations,
             (SELECT coalesce(json_agg(agg), '[]') FROM (
                SELECT c.id, c.org_id, c.task_id, c.description, c.result, c.sign_off_user_id, c.sign_off_time,
                       c.requires_inspection, c.sign_off_meaning, c.inspected_by, c.inspected_at,
                       c.inspection_meaning, c.created_at, c.updated_at FROM compliance_items c
                 WHERE c.org_id = t.org_id AND c.task_id = t.id AND c.deleted_at IS NULL
                 ORDER BY c.created_at, c.id) AS agg) AS compliance,
             (SELECT coalesce(json_agg(agg), '[]') FROM (${DEPENDENCY_RECORD_SELECT}
                 WHERE d.org_id = t.org_id AND (d.predecessor_id = t.id OR d.successor_id = t.id)
                 ORDER BY d.created_at, d.id) AS agg) AS dependencies
        FROM maintenance_tasks t
       WHERE t.org_id = ${orgId} AND t.id = ${id} AND t.deleted_at IS NULL`.execute(this.db);
    const [row] = rows;
    if (!row) return undefined;
    // JSON carries timestamps as text; the entities want Dates.
    return {
      task: toTask(row),
      reservations: row.reservations.map((r) =>
        toReservation({ ...r, created_at: new Date(r.created_at), updated_at: new Date(r.updated_at) }),
      ),
      dependencies: row.dependencies.map(dependencyFromJson),
      compliance: row.compliance.map((c) =>
        toComplianceItem({
          ...c,
          sign_off_time: c.sign_off_time === null ? null : new Date(c.sign_off_time),
          inspected_at: c.inspected_at === null ? null : new Date(c.inspected_at),
          created_at: new Date(c.created_at),
          updated_at: new Date(c.updated_at),
        }),
      ),
    };
  }

  async list(
    orgId: string,
    filter: TaskFilter,
    sort: SortKey<TaskSortField>[],
    page: Page,
  ): Promise<MaintenanceTask[]> {
    let query = this.liveTasks(orgId);
    if (filter.aircraftId !== undefined) query = query.where('t.aircraft_id', '=', filter.aircraftId);
    if (filter.state !== undefined) query = query.where('t.state', '=', filter.state);
    if (filter.type !== undefined) query = query.where('t.type', '=', filter.type);
    if (filter.startFrom !== undefined) query = query.where('t.start_time', '>=', filter.startFrom);
    if (filter.startTo !== undefined) query = query.where('t.start_time', '<', filter.startTo);
    if (filter.assignedMechanicId !== undefined) {
      query = query.where('t.assigned_mechanic_id', '=', filter.assignedMechanicId);
    }
    if (filter.programId !== undefined) query = query.where('t.program_id', '=', filter.programId);
    if (filter.directiveId !== undefined) query = query.where('t.directive_id', '=', filter.directiveId);
    if (filter.priority !== undefined) query = query.where('t.priority', '=', filter.priority);
    const rows = await orderBySortKeys(query, sort, SORT_COLUMNS, 't.id', {
      table: 'maintenance_tasks',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toTask);
  }

  async listMeeting(
    orgId: string,
    range: { from: Date; to: Date; aircraftId?: string | undefined },
    limit: number,
  ): Promise<MaintenanceTask[]> {
    // The expression matches maintenance_tasks_window_idx (migration 00027), so years of history
    // before the range cost nothing.
    let query = this.liveTasks(orgId).where(
      sql<boolean>`tstzrange(t.start_time, t.end_time, '[)') && tstzrange(${range.from}, ${range.to}, '[)')`,
    );
    if (range.aircraftId !== undefined) query = query.where('t.aircraft_id', '=', range.aircraftId);
    const rows = await query.orderBy('t.start_time').orderBy('t.id').limit(limit).execute();
    return rows.map(toTask);
  }

  async lockAircraft(orgId: string, aircraftId: string): Promise<TaskAircraft | undefined> {
    // Written out: every task create and change runs it first.
    const {
      rows: [row],
    } = await sql<Pick<Selectable<DB['aircraft']>, 'id' | 'status' | 'deleted_at'>>`
      SELECT id, status, deleted_at FROM aircraft WHERE org_id = ${orgId} AND id = ${aircraftId}
         FOR NO KEY UPDATE`.execute(this.db);
    return row && toTaskAircraft(row);
  }

  async lockAircraftOfTask(orgId: string, taskId: string): Promise<TaskAircraft | undefined> {
    const row = await this.db
      .selectFrom('aircraft')
      .select(['id', 'status', 'deleted_at'])
      .where('org_id', '=', orgId)
      .where('id', '=', (eb) =>
        eb
          .selectFrom('maintenance_tasks')
          .select('aircraft_id')
          .where('org_id', '=', orgId)
          .where('id', '=', taskId)
          .where('deleted_at', 'is', null),
      )
      .forNoKeyUpdate()
      .executeTakeFirst();
    return row && toTaskAircraft(row);
  }

  async lockAtVersion(orgId: string, id: string, version: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('version', '=', version)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    return row !== undefined;
  }

  async update(
    orgId: string,
    id: string,
    version: number,
    changes: TaskChanges,
  ): Promise<MaintenanceTask | undefined> {
    const row = await this.db
      .updateTable('maintenance_tasks as t')
      .set({
        program_id: changes.programId,
        priority: changes.priority,
        type: changes.type,
        start_time: changes.startTime,
        end_time: changes.endTime,
        assigned_mechanic_id: changes.assignedMechanicId,
        notes: changes.notes,
        state: changes.state,
        started_at: changes.startedAt,
        completed_at: changes.completedAt,
        version: sql<number>`t.version + 1`,
        updated_at: new Date(),
      })
      .where('t.org_id', '=', orgId)
      .where('t.id', '=', id)
      .where('t.version', '=', version)
      .where('t.deleted_at', 'is', null)
      .returning(TASK_COLUMNS)
      .returning(requiredPartsOf)
      .executeTakeFirst();
    if (!row) return undefined;
    if (changes.requiredParts === undefined) return toTask(row);
    await this.db
      .deleteFrom('task_part_requirements')
      .where('org_id', '=', orgId)
      .where('task_id', '=', id)
      .execute();
    await this.insertRequirements(orgId, id, changes.requiredParts);
    return toTask({ ...row, required_parts: requirementRows(changes.requiredParts) });
  }

  async softDelete(orgId: string, id: string, version: number): Promise<MaintenanceTask | undefined> {
    const now = new Date();
    const row = await this.db
      .updateTable('maintenance_tasks as t')
      .set({ deleted_at: now, updated_at: now, version: sql<number>`t.version + 1` })
      .where('t.org_id', '=', orgId)
      .where('t.id', '=', id)
      .where('t.version', '=', version)
      .where('t.deleted_at', 'is', null)
      .returning(TASK_COLUMNS)
      .returning(requiredPartsOf)
      .executeTakeFirst();
    return row && toTask(row);
  }

  async workFacts(orgId: string, task: MaintenanceTask): Promise<TaskWorkFacts> {
    const { rows } = await sql<{
      open_reservations: number;
      incomplete_compliance: number;
      pending_inspections: PendingInspection[];
      required_parts: {
        part_definition_id: string;
        quantity: number;
        reserved_or_used: number;
        used: number;
      }[];
    }>`
      SELECT
        (SELECT count(*) FROM part_reservations
          WHERE org_id = ${orgId} AND task_id = ${task.id} AND state = 'reserved') AS open_reservations,
        (SELECT count(*) FROM compliance_items
          WHERE org_id = ${orgId} AND task_id = ${task.id} AND deleted_at IS NULL
            AND (sign_off_time IS NULL OR result = 'pending')) AS incomplete_compliance,
        coalesce((
          SELECT json_agg(json_build_object('id', id, 'description', description) ORDER BY created_at, id)
            FROM compliance_items
           WHERE org_id = ${orgId} AND task_id = ${task.id} AND deleted_at IS NULL
             AND requires_inspection AND inspected_at IS NULL), '[]'::json) AS pending_inspections,
        coalesce((
          SELECT json_agg(json_build_object(
                   'part_definition_id', r.part_definition_id, 'quantity', r.quantity,
                   'reserved_or_used', c.reserved_or_used, 'used', c.used)
                 ORDER BY r.part_definition_id)
            FROM task_part_requirements r
            CROSS JOIN LATERAL (
              SELECT count(*) FILTER (WHERE pr.state IN ('reserved', 'used')) AS reserved_or_used,
                     count(*) FILTER (WHERE pr.state = 'used') AS used
                FROM part_reservations pr
                JOIN part_items pi ON pi.org_id = pr.org_id AND pi.id = pr.part_item_id
               WHERE pr.org_id = r.org_id AND pr.task_id = r.task_id
                 AND pi.part_definition_id = r.part_definition_id) c
           WHERE r.org_id = ${orgId} AND r.task_id = ${task.id}), '[]'::json) AS required_parts`.execute(
      this.db,
    );
    const row = rows[0]!;
    return {
      openReservations: Number(row.open_reservations),
      incompleteCompliance: Number(row.incomplete_compliance),
      pendingInspections: row.pending_inspections,
      requiredParts: row.required_parts.map((part): RequiredPartCoverage => ({
        partDefinitionId: part.part_definition_id,
        quantity: part.quantity,
        reservedOrUsed: Number(part.reserved_or_used),
        used: Number(part.used),
      })),
    };
  }

  async predecessors(orgId: string, taskId: string): Promise<PredecessorFacts[]> {
    const rows = await this.db
      .selectFrom('task_dependencies as d')
      .innerJoin('maintenance_tasks as p', (join) =>
        join.onRef('p.org_id', '=', 'd.org_id').onRef('p.id', '=', 'd.predecessor_id'),
      )
      .select(['d.id', 'd.predecessor_id', 'd.type', 'p.state', 'p.deleted_at'])
      .where('d.org_id', '=', orgId)
      .where('d.successor_id', '=', taskId)
      .orderBy('d.created_at')
      .orderBy('d.id')
      .execute();
    return rows.map((row) => ({
      dependencyId: row.id,
      predecessorId: row.predecessor_id,
      type: row.type,
      state: row.state,
      deleted: row.deleted_at !== null,
    }));
  }

  async releaseReservations(
    orgId: string,
    taskId: string,
  ): Promise<{ before: PartReservation; after: PartReservation }[]> {
    // Joined with itself, the statement also returns each row as it was before the update.
    const rows = await this.db
      .updateTable('part_reservations as r')
      .from('part_reservations as old')
      .set({ state: 'released', updated_at: new Date() })
      .whereRef('old.id', '=', 'r.id')
      .where('r.org_id', '=', orgId)
      .where('r.task_id', '=', taskId)
      .where('r.state', '=', 'reserved')
      .returning([
        'r.id',
        'r.org_id',
        'r.task_id',
        'r.part_item_id',
        'r.state',
        'r.quantity',
        'r.created_at',
        'r.updated_at',
        'old.updated_at as previous_updated_at',
      ])
      .execute();
    return rows.map(({ previous_updated_at, ...row }) => {
      const after = toReservation(row);
      return { before: { ...after, state: 'reserved', updatedAt: previous_updated_at }, after };
    });
  }

  async missingPartDefinitions(orgId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('part_definitions')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', 'in', ids)
      .where('deleted_at', 'is', null)
      .execute();
    const found = new Set(rows.map((row) => row.id));
    return ids.filter((id) => !found.has(id));
  }

  async findOverlapping(
    orgId: string,
    aircraftId: string,
    start: Date,
    end: Date,
    excludeId?: string,
  ): Promise<MaintenanceTask | undefined> {
    let query = this.liveTasks(orgId)
      .where('t.aircraft_id', '=', aircraftId)
      .where('t.state', 'in', ['scheduled', 'in_progress'])
      .where('t.start_time', '<', end)
      .where('t.end_time', '>', start);
    if (excludeId !== undefined) query = query.where('t.id', '<>', excludeId);
    const row = await query.orderBy('t.start_time').orderBy('t.id').limit(1).executeTakeFirst();
    return row && toTask(row);
  }

  async findMechanicOverlap(
    orgId: string,
    mechanicId: string,
    start: Date,
    end: Date,
    excludeId?: string,
  ): Promise<MaintenanceTask | undefined> {
    let query = this.liveTasks(orgId)
      .where('t.assigned_mechanic_id', '=', mechanicId)
      .where('t.state', 'in', ['scheduled', 'in_progress'])
      .where('t.start_time', '<', end)
      .where('t.end_time', '>', start);
    if (excludeId !== undefined) query = query.where('t.id', '<>', excludeId);
    const row = await query.orderBy('t.start_time').orderBy('t.id').limit(1).executeTakeFirst();
    return row && toTask(row);
  }

  /** The organization's live tasks with their required parts, as `toTask` reads them. */
  private liveTasks(orgId: string) {
    return this.db
      .selectFrom('maintenance_tasks as t')
      .select(TASK_COLUMNS)
      .select(requiredPartsOf)
      .where('t.org_id', '=', orgId)
      .where('t.deleted_at', 'is', null);
  }

  private async insertRequirements(orgId: string, taskId: string, parts: RequiredPart[]): Promise<void> {
    if (parts.length === 0) return;
    await this.db
      .insertInto('task_part_requirements')
      .values(
        parts.map((part) => ({
          org_id: orgId,
          task_id: taskId,
          part_definition_id: part.partDefinitionId,
          quantity: part.quantity,
        })),
      )
      .execute();
  }
}

/** Requirements as the JSON column reads them, in the same order. */
const requirementRows = (parts: RequiredPart[]): TaskRow['required_parts'] =>
  [...parts].sort(byDefinition).map((part) => ({
    part_definition_id: part.partDefinitionId,
    quantity: part.quantity,
  }));

const toTaskAircraft = (row: {
  id: string;
  status: TaskAircraft['status'];
  deleted_at: Date | null;
}): TaskAircraft => ({
  id: row.id,
  status: row.status,
  live: row.deleted_at === null,
});
