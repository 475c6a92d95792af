import { sql } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  GraphTask,
  MoveToCheck,
  NewScheduleChange,
  ScheduleChange,
  ScheduleHistorySortField,
  ScheduleRepository,
  WindowConflict,
} from '../../app/reschedule.js';
import type { DependencyType, TaskDependency } from '../../domain/scheduling.js';
import type { TaskState, TaskType } from '../../domain/task.js';
import type { AircraftStatus, AircraftStatusSource } from '../../domain/aircraft.js';
import { groundsAircraft } from './aircraft.js';
import { lockDependencyGraph } from './dependency-graph-lock.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';

const HISTORY_SORT_COLUMNS: Record<ScheduleHistorySortField, string> = { changed_at: 'changed_at' };

type GraphRow = {
  kind: 'task' | 'dependency';
  id: string;
  aircraft_id: string | null;
  assigned_mechanic_id: string | null;
  state: TaskState | null;
  deleted: boolean | null;
  start_time: Date | null;
  end_time: Date | null;
  version: number | null;
  program_id: string | null;
  type: TaskType | null;
  predecessor_id: string | null;
  successor_id: string | null;
  dependency_type: DependencyType | null;
  lag_minutes: number | null;
};

/** The schedule's graph, checks, moves and history, in PostgreSQL. */
export class PgScheduleRepository implements ScheduleRepository {
  constructor(private readonly db: Executor) {}

  async lockGraphShared(orgId: string): Promise<void> {
    await lockDependencyGraph(this.db, orgId, 'shared');
  }

  async loadGraph(
    orgId: string,
    rootId: string,
  ): Promise<{ tasks: GraphTask[]; dependencies: TaskDependency[] }> {
    // reachable: the root and its successors, transitively (UNION stops at a node seen before);
    // members: those plus the predecessors of each; edges: the dependencies among the members.
    const { rows } = await sql<GraphRow>`
      WITH RECURSIVE reachable(id) AS (
        SELECT t.id FROM maintenance_tasks t
         WHERE t.org_id = ${orgId} AND t.id = ${rootId} AND t.deleted_at IS NULL
        UNION
        SELECT d.successor_id FROM task_dependencies d JOIN reachable r ON d.predecessor_id = r.id
         WHERE d.org_id = ${orgId}
      ),
      members AS (
        SELECT id FROM reachable
        UNION
        SELECT d.predecessor_id FROM task_dependencies d JOIN reachable r ON d.successor_id = r.id
         WHERE d.org_id = ${orgId}
      )
      SELECT 'task' AS kind, t.id, t.aircraft_id, t.assigned_mechanic_id, t.state,
             t.deleted_at IS NOT NULL AS deleted, t.start_time, t.end_time, t.version, t.program_id, t.type,
             NULL::uuid AS predecessor_id, NULL::uuid AS successor_id,
             NULL::task_dependency_type AS dependency_type, NULL::integer AS lag_minutes
        FROM maintenance_tasks t JOIN members m ON m.id = t.id
       WHERE t.org_id = ${orgId}
      UNION ALL
      SELECT 'dependency', d.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             d.predecessor_id, d.successor_id, d.type, d.lag_minutes
        FROM task_dependencies d
       WHERE d.org_id = ${orgId}
         AND d.successor_id IN (SELECT id FROM reachable)`.execute(this.db);
    const tasks: GraphTask[] = [];
    const dependencies: TaskDependency[] = [];
    for (const row of rows) {
      if (row.kind === 'task') {
        tasks.push({
          id: row.id,
          aircraftId: row.aircraft_id!,
          assignedMechanicId: row.assigned_mechanic_id,
          state: row.state!,
          deleted: row.deleted!,
          window: { start: new Date(row.start_time!), end: new Date(row.end_time!) },
          version: row.version!,
          programId: row.program_id,
          type: row.type!,
        });
      } else {
        dependencies.push({
          id: row.id,
          predecessorId: row.predecessor_id!,
          successorId: row.successor_id!,
          type: row.dependency_type!,
          lagMinutes: row.lag_minutes!,
        });
      }
    }
    return { tasks, dependencies };
  }

  async lockAircraft(orgId: string, aircraftIds: string[]): Promise<void> {
    if (aircraftIds.length === 0) return;
    await this.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', 'in', aircraftIds)
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
  }

  async lockTasksAtVersion(orgId: string, tasks: { id: string; version: number }[]): Promise<string[]> {
    if (tasks.length === 0) return [];
    const { rows } = await sql<{ id: string }>`
      SELECT t.id FROM maintenance_tasks t
        JOIN unnest(${tasks.map((t) => t.id)}::uuid[], ${tasks.map((t) => t.version)}::integer[]) AS w(id, version)
          ON w.id = t.id AND w.version = t.version
       WHERE t.org_id = ${orgId} AND t.deleted_at IS NULL
       ORDER BY t.id
         FOR UPDATE OF t`.execute(this.db);
    return rows.map((r) => r.id);
  }

  async shareTasksAtVersion(orgId: string, tasks: { id: string; version: number }[]): Promise<string[]> {
    if (tasks.length === 0) return [];
    const { rows } = await sql<{ id: string }>`
      SELECT t.id FROM maintenance_tasks t
        JOIN unnest(${tasks.map((t) => t.id)}::uuid[], ${tasks.map((t) => t.version)}::integer[]) AS w(id, version)
          ON w.id = t.id AND w.version = t.version
       WHERE t.org_id = ${orgId} AND t.deleted_at IS NULL
       ORDER BY t.id
         FOR SHARE OF t`.execute(this.db);
    return rows.map((r) => r.id);
  }

  async windowConflicts(orgId: string, moves: MoveToCheck[]): Promise<WindowConflict[]> {
    if (moves.length === 0) return [];
    // Mirrors the exclusion constraints (maintenance_tasks_no_overlap and the mechanic's): active
    // windows ([start, end) of scheduled or in-progress live tasks) of one aircraft or one mechanic
    // never share an instant. Tasks that move are compared at their new windows, among themselves.
    const { rows } = await sql<{
      task_id: string;
      other_task_id: string;
      reason: 'TASK_OVERLAP' | 'MECHANIC_BUSY';
      other_state: TaskState;
      other_start: Date;
      other_end: Date;
    }>`
      WITH m AS (
        SELECT * FROM unnest(
          ${moves.map((m) => m.taskId)}::uuid[],
          ${moves.map((m) => m.aircraftId)}::uuid[],
          ${moves.map((m) => m.mechanicId)}::uuid[],
          ${moves.map((m) => m.window.start.toISOString())}::timestamptz[],
          ${moves.map((m) => m.window.end.toISOString())}::timestamptz[]
        ) AS m(task_id, aircraft_id, mechanic_id, start_time, end_time)
      ),
      moved_states AS (
        SELECT t.id, t.state FROM maintenance_tasks t JOIN m ON m.task_id = t.id WHERE t.org_id = ${orgId}
      )
      SELECT m.task_id, t.id AS other_task_id, 'TASK_OVERLAP' AS reason, t.state AS other_state,
             t.start_time AS other_start, t.end_time AS other_end
        FROM m JOIN maintenance_tasks t
          ON t.org_id = ${orgId} AND t.aircraft_id = m.aircraft_id
         AND t.active_window && tstzrange(m.start_time, m.end_time, '[)')
       WHERE t.id <> ALL(${moves.map((m) => m.taskId)}::uuid[])
      UNION ALL
      SELECT m.task_id, t.id, 'MECHANIC_BUSY', t.state, t.start_time, t.end_time
        FROM m JOIN maintenance_tasks t
          ON t.org_id = ${orgId} AND t.assigned_mechanic_id = m.mechanic_id
         AND t.active_window && tstzrange(m.start_time, m.end_time, '[)')
       WHERE t.id <> ALL(${moves.map((m) => m.taskId)}::uuid[]) AND t.aircraft_id <> m.aircraft_id
      UNION ALL
      SELECT a.task_id, b.task_id,
             CASE WHEN a.aircraft_id = b.aircraft_id THEN 'TASK_OVERLAP' ELSE 'MECHANIC_BUSY' END,
             s.state, b.start_time, b.end_time
        FROM m a JOIN m b ON a.task_id < b.task_id
         AND (a.aircraft_id = b.aircraft_id OR a.mechanic_id = b.mechanic_id)
         AND tstzrange(a.start_time, a.end_time, '[)') && tstzrange(b.start_time, b.end_time, '[)')
        JOIN moved_states s ON s.id = b.task_id
       ORDER BY 1, 2`.execute(this.db);
    return rows.map((r) => ({
      taskId: r.task_id,
      otherTaskId: r.other_task_id,
      reason: r.reason,
      otherState: r.other_state,
      otherWindow: { start: new Date(r.other_start), end: new Date(r.other_end) },
    }));
  }

  async moveTasks(
    orgId: string,
    moves: { id: string; version: number; window: { start: Date; end: Date } }[],
  ): Promise<{ id: string; version: number; updatedAt: Date }[]> {
    const { rows } = await sql<{ id: string; version: number; updated_at: Date }>`
      SELECT id, version, updated_at FROM amss_move_tasks(
        ${orgId}::uuid,
        ${moves.map((m) => m.id)}::uuid[],
        ${moves.map((m) => m.version)}::integer[],
        ${moves.map((m) => m.window.start.toISOString())}::timestamptz[],
        ${moves.map((m) => m.window.end.toISOString())}::timestamptz[])`.execute(this.db);
    return rows.map((r) => ({ id: r.id, version: r.version, updatedAt: new Date(r.updated_at) }));
  }

  async aircraftGrounding(orgId: string, aircraftIds: string[], now: Date) {
    if (aircraftIds.length === 0) return [];
    const { rows } = await sql<{
      id: string;
      status: AircraftStatus;
      status_source: AircraftStatusSource;
      needs_grounding: boolean;
    }>`
      SELECT a.id, a.status, a.status_source,
             EXISTS (SELECT 1 FROM maintenance_tasks t
                      WHERE t.org_id = a.org_id AND t.aircraft_id = a.id AND ${groundsAircraft(now)}) AS needs_grounding
        FROM aircraft a JOIN org_policies p ON p.org_id = a.org_id
       WHERE a.org_id = ${orgId} AND a.id = ANY(${aircraftIds}::uuid[]) AND a.deleted_at IS NULL`.execute(
      this.db,
    );
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      statusSource: r.status_source,
      needsGrounding: r.needs_grounding,
    }));
  }

  async insertChanges(changes: NewScheduleChange[]): Promise<void> {
    if (changes.length === 0) return;
    const col = <T>(pick: (c: NewScheduleChange) => T) => changes.map(pick);
    await sql`
      INSERT INTO task_schedule_changes (org_id, task_id, change_id, old_start_time, old_end_time,
        new_start_time, new_end_time, reason, cascaded_from_task_id, changed_by, changed_by_org_id, actor)
      SELECT * FROM unnest(
        ${col((c) => c.orgId)}::uuid[], ${col((c) => c.taskId)}::uuid[], ${col((c) => c.changeId)}::uuid[],
        ${col((c) => c.oldStartTime.toISOString())}::timestamptz[],
        ${col((c) => c.oldEndTime.toISOString())}::timestamptz[],
        ${col((c) => c.newStartTime.toISOString())}::timestamptz[],
        ${col((c) => c.newEndTime.toISOString())}::timestamptz[],
        ${col((c) => c.reason)}::text[], ${col((c) => c.cascadedFromTaskId)}::uuid[],
        ${col((c) => c.changedBy)}::uuid[], ${col((c) => c.changedByOrgId)}::uuid[],
        ${col((c) => c.actor)}::text[])`.execute(this.db);
  }

  async history(
    orgId: string,
    taskId: string,
    sort: SortKey<ScheduleHistorySortField>[],
    page: Page,
  ): Promise<ScheduleChange[]> {
    const query = this.db
      .selectFrom('task_schedule_changes')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('task_id', '=', taskId);
    const rows = await orderBySortKeys(query, sort, HISTORY_SORT_COLUMNS, 'id', {
      table: 'task_schedule_changes',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      orgId: r.org_id,
      taskId: r.task_id,
      changeId: r.change_id,
      oldStartTime: new Date(r.old_start_time),
      oldEndTime: new Date(r.old_end_time),
      newStartTime: new Date(r.new_start_time),
      newEndTime: new Date(r.new_end_time),
      reason: r.reason,
      cascadedFromTaskId: r.cascaded_from_task_id,
      changedBy: r.changed_by,
      changedByOrgId: r.changed_by_org_id,
      actor: r.actor,
      changedAt: new Date(r.changed_at),
    }));
  }
}
