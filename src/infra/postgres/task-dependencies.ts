import { sql } from 'kysely';
import type {
  DependencyTaskSummary,
  NewTaskDependency,
  TaskDependencyRecord,
  TaskDependencyRepository,
} from '../../app/task-dependencies.js';
import type { DependencyType, TaskPriority } from '../../domain/scheduling.js';
import type { TaskState } from '../../domain/task.js';
import { lockDependencyGraph } from './dependency-graph-lock.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';

registerConstraints({
  task_dependencies_org_id_predecessor_id_successor_id_key: {
    kind: 'conflict',
    reason: 'DEPENDENCY_EXISTS',
    message: 'the task already depends on this predecessor',
    field: 'body.predecessor_id',
  },
  task_dependencies_not_on_itself: {
    kind: 'validation',
    reason: 'DEPENDENCY_ON_ITSELF',
    message: 'a task cannot depend on itself',
    field: 'body.predecessor_id',
  },
  task_dependencies_lag_minutes_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'lag_minutes must be 0 to 525600 minutes',
    field: 'body.lag_minutes',
  },
  task_dependencies_predecessor_fkey: {
    kind: 'not_found',
    reason: 'TASK_NOT_FOUND',
    message: 'the predecessor task does not exist in this organization',
    field: 'body.predecessor_id',
  },
  task_dependencies_successor_fkey: {
    kind: 'not_found',
    reason: 'TASK_NOT_FOUND',
    message: 'the task does not exist in this organization',
  },
});

/** A dependency row with both its tasks, as the queries below select it. */
interface RecordRow {
  id: string;
  org_id: string;
  type: DependencyType;
  lag_minutes: number;
  created_at: Date;
  created_by: string | null;
  p_id: string;
  p_state: TaskState;
  p_deleted: boolean;
  p_start: Date;
  p_end: Date;
  p_aircraft: string;
  p_priority: TaskPriority;
  s_id: string;
  s_state: TaskState;
  s_deleted: boolean;
  s_start: Date;
  s_end: Date;
  s_aircraft: string;
  s_priority: TaskPriority;
}

/** The columns and joins of a dependency with both its tasks, as `RecordRow` (also read as JSON by a task's detail). */
export const DEPENDENCY_RECORD_SELECT = sql`
  SELECT d.id, d.org_id, d.type, d.lag_minutes, d.created_at, d.created_by,
         p.id AS p_id, p.state AS p_state, p.deleted_at IS NOT NULL AS p_deleted, p.start_time AS p_start,
         p.end_time AS p_end, p.aircraft_id AS p_aircraft, p.priority AS p_priority,
         s.id AS s_id, s.state AS s_state, s.deleted_at IS NOT NULL AS s_deleted, s.start_time AS s_start,
         s.end_time AS s_end, s.aircraft_id AS s_aircraft, s.priority AS s_priority
    FROM task_dependencies d
    JOIN maintenance_tasks p ON p.org_id = d.org_id AND p.id = d.predecessor_id
    JOIN maintenance_tasks s ON s.org_id = d.org_id AND s.id = d.successor_id`;

const RECORD_SELECT = DEPENDENCY_RECORD_SELECT;

/** A dependency read as JSON (its timestamps arrive as text). */
export type DependencyJsonRow = {
  [K in keyof RecordRow]: RecordRow[K] extends Date ? string : RecordRow[K];
};

/** A dependency read as JSON, with its timestamps as Dates. */
export const dependencyFromJson = (row: DependencyJsonRow): TaskDependencyRecord =>
  toRecord({
    ...row,
    created_at: new Date(row.created_at),
    p_start: new Date(row.p_start),
    p_end: new Date(row.p_end),
    s_start: new Date(row.s_start),
    s_end: new Date(row.s_end),
  });

const toRecord = (row: RecordRow): TaskDependencyRecord => ({
  id: row.id,
  orgId: row.org_id,
  type: row.type,
  lagMinutes: row.lag_minutes,
  createdAt: row.created_at,
  createdBy: row.created_by,
  predecessor: {
    id: row.p_id,
    state: row.p_state,
    deleted: row.p_deleted,
    startTime: row.p_start,
    endTime: row.p_end,
    aircraftId: row.p_aircraft,
    priority: row.p_priority,
  },
  successor: {
    id: row.s_id,
    state: row.s_state,
    deleted: row.s_deleted,
    startTime: row.s_start,
    endTime: row.s_end,
    aircraftId: row.s_aircraft,
    priority: row.s_priority,
  },
});

export class PgTaskDependencyRepository implements TaskDependencyRepository {
  constructor(private readonly db: Executor) {}

  lockGraph(orgId: string, mode: 'exclusive' | 'shared'): Promise<void> {
    return lockDependencyGraph(this.db, orgId, mode);
  }

  async findTask(
    orgId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<DependencyTaskSummary | undefined> {
    let query = this.db
      .selectFrom('maintenance_tasks')
      .select(['id', 'state', 'deleted_at', 'start_time', 'end_time', 'aircraft_id', 'priority'])
      .where('org_id', '=', orgId)
      .where('id', '=', id);
    // FOR SHARE: a transition of the task (FOR UPDATE) waits, or is waited for, so a task never
    // starts with a dependency it did not see.
    if (options.lock) query = query.forShare();
    const row = await query.executeTakeFirst();
    return (
      row && {
        id: row.id,
        state: row.state,
        deleted: row.deleted_at !== null,
        startTime: row.start_time,
        endTime: row.end_time,
        aircraftId: row.aircraft_id,
        priority: row.priority,
      }
    );
  }

  async listForTask(orgId: string, taskId: string): Promise<TaskDependencyRecord[]> {
    const { rows } = await sql<RecordRow>`${RECORD_SELECT}
     WHERE d.org_id = ${orgId} AND (d.predecessor_id = ${taskId} OR d.successor_id = ${taskId})
     ORDER BY d.created_at, d.id`.execute(this.db);
    return rows.map(toRecord);
  }

  async listAmong(orgId: string, taskIds: readonly string[]): Promise<TaskDependencyRecord[]> {
    if (taskIds.length === 0) return [];
    const ids = sql`${[...taskIds]}::uuid[]`;
    const { rows } = await sql<RecordRow>`${RECORD_SELECT}
     WHERE d.org_id = ${orgId} AND d.predecessor_id = ANY(${ids}) AND d.successor_id = ANY(${ids})
     ORDER BY d.created_at, d.id`.execute(this.db);
    return rows.map(toRecord);
  }

  async findForTask(orgId: string, taskId: string, id: string): Promise<TaskDependencyRecord | undefined> {
    const { rows } = await sql<RecordRow>`${RECORD_SELECT}
     WHERE d.org_id = ${orgId} AND d.id = ${id}
       AND (d.predecessor_id = ${taskId} OR d.successor_id = ${taskId})`.execute(this.db);
    return rows[0] && toRecord(rows[0]);
  }

  async exists(orgId: string, predecessorId: string, successorId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('task_dependencies')
      .select('id')
      .where('org_id', '=', orgId)
      .where('predecessor_id', '=', predecessorId)
      .where('successor_id', '=', successorId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async findPath(orgId: string, from: string, to: string): Promise<string[] | undefined> {
    // Every edge counts, whatever its tasks' states: the graph stays acyclic as a whole, which the
    // cascade relies on. The walk collects the edges reachable from `from` (UNION: each edge once,
    // however many paths lead to it — listing paths instead grows exponentially on a graph that
    // branches and joins); the shortest path is then read off them here.
    const { rows } = await sql<{ parent: string; task_id: string }>`
      WITH RECURSIVE walk (parent, task_id) AS (
        SELECT d.predecessor_id, d.successor_id FROM task_dependencies d
         WHERE d.org_id = ${orgId} AND d.predecessor_id = ${from}::uuid
        UNION
        SELECT d.predecessor_id, d.successor_id
          FROM walk w
          JOIN task_dependencies d ON d.org_id = ${orgId} AND d.predecessor_id = w.task_id
         WHERE w.task_id <> ${to}::uuid
      )
      SELECT parent::text, task_id::text FROM walk`.execute(this.db);
    return shortestPath(rows, from, to);
  }

  async insert(input: NewTaskDependency): Promise<TaskDependencyRecord> {
    const { id } = await this.db
      .insertInto('task_dependencies')
      .values({
        org_id: input.orgId,
        predecessor_id: input.predecessorId,
        successor_id: input.successorId,
        type: input.type,
        lag_minutes: input.lagMinutes,
        created_by: input.createdBy,
        created_by_org_id: input.createdByOrgId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const record = await this.findForTask(input.orgId, input.successorId, id);
    return record!;
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('task_dependencies')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

/** The shortest path from `from` to `to` along `edges` (breadth first), as task ids; undefined when none. */
function shortestPath(
  edges: readonly { parent: string; task_id: string }[],
  from: string,
  to: string,
): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const edge of edges) next.set(edge.parent, [...(next.get(edge.parent) ?? []), edge.task_id]);
  const cameFrom = new Map<string, string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (id === to) {
      const path = [to];
      while (path[0] !== from) path.unshift(cameFrom.get(path[0]!)!);
      return path;
    }
    for (const successor of next.get(id) ?? []) {
      if (successor === from || cameFrom.has(successor)) continue;
      cameFrom.set(successor, id);
      queue.push(successor);
    }
  }
  return undefined;
}
