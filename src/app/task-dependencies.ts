import {
  isVoidPredecessor,
  linkRefusal,
  MAX_LAG_MINUTES,
  requiredShiftMs,
  type DependencyType,
  type TaskPriority,
} from '../domain/scheduling.js';
import type { TaskState } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import type { UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Records and views
// ---------------------------------------------------------------------------------------------

/** One end of a dependency, as much of the task as a dependency view shows. */
export interface DependencyTaskSummary {
  id: string;
  state: TaskState;
  deleted: boolean;
  startTime: Date;
  endTime: Date;
  aircraftId: string;
  priority: TaskPriority;
}

/** A dependency of `successor` on `predecessor`, with both tasks as they are now. */
export interface TaskDependencyRecord {
  id: string;
  orgId: string;
  type: DependencyType;
  lagMinutes: number;
  createdAt: Date;
  createdBy: string | null;
  predecessor: DependencyTaskSummary;
  successor: DependencyTaskSummary;
}

/**
 * Whether a dependency holds, in words: `satisfied` (the predecessor has started or finished as
 * the type demands), `waiting` (not yet, and the windows allow it), `schedule_violated` (the
 * successor's window is earlier than the predecessor's window and the lag allow),
 * `predecessor_cancelled` / `predecessor_deleted` (it will never be done and no longer holds the
 * successor back: a planner decides what to do).
 */
export const DEPENDENCY_STATUSES = [
  'satisfied',
  'waiting',
  'schedule_violated',
  'predecessor_cancelled',
  'predecessor_deleted',
] as const;
export type DependencyStatus = (typeof DEPENDENCY_STATUSES)[number];

/** The status of a dependency given both its tasks. */
export function dependencyStatus(record: TaskDependencyRecord): DependencyStatus {
  const { predecessor, successor } = record;
  if (isVoidPredecessor(predecessor)) {
    return predecessor.deleted ? 'predecessor_deleted' : 'predecessor_cancelled';
  }
  const reached =
    predecessor.state === 'completed' ||
    (record.type === 'start_to_start' && predecessor.state === 'in_progress');
  if (reached) return 'satisfied';
  const shift = requiredShiftMs(
    record,
    { start: predecessor.startTime, end: predecessor.endTime },
    { start: successor.startTime, end: successor.endTime },
  );
  return shift > 0 ? 'schedule_violated' : 'waiting';
}

/** The other task of a dependency as its view shows it. */
export type DependencyTaskSummaryView = {
  id: string;
  state: TaskState;
  deleted: boolean;
  start_time: string;
  end_time: string;
  aircraft_id: string;
  priority: TaskPriority;
};

/** A dependency as seen from one of its tasks (`GET /maintenance-tasks/{id}/dependencies`). */
export type TaskDependencyView = {
  id: string;
  predecessor_id: string;
  successor_id: string;
  type: DependencyType;
  lag_minutes: number;
  created_at: string;
  created_by: string | null;
  /** `predecessor`: the other task is the one this task depends on; `successor`: it depends on this one. */
  other_role: 'predecessor' | 'successor';
  other_task: DependencyTaskSummaryView;
  status: DependencyStatus;
};

const summaryView = (task: DependencyTaskSummary): DependencyTaskSummaryView => ({
  id: task.id,
  state: task.state,
  deleted: task.deleted,
  start_time: task.startTime.toISOString(),
  end_time: task.endTime.toISOString(),
  aircraft_id: task.aircraftId,
  priority: task.priority,
});

/** The view of a dependency from task `fromTaskId` (either end; the successor's when unset). */
export function taskDependencyView(record: TaskDependencyRecord, fromTaskId?: string): TaskDependencyView {
  const otherIsPredecessor = fromTaskId === undefined || fromTaskId === record.successor.id;
  return {
    id: record.id,
    predecessor_id: record.predecessor.id,
    successor_id: record.successor.id,
    type: record.type,
    lag_minutes: record.lagMinutes,
    created_at: record.createdAt.toISOString(),
    created_by: record.createdBy,
    other_role: otherIsPredecessor ? 'predecessor' : 'successor',
    other_task: summaryView(otherIsPredecessor ? record.predecessor : record.successor),
    status: dependencyStatus(record),
  };
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/** A new dependency row. */
export interface NewTaskDependency {
  orgId: string;
  predecessorId: string;
  successorId: string;
  type: DependencyType;
  lagMinutes: number;
  createdBy: string | null;
  createdByOrgId: string | null;
}

/** Persistence of task dependencies; every method is scoped to one organization. */
export interface TaskDependencyRepository {
  /** Serialises changes to the organization's dependency graph (see lockDependencyGraph). */
  lockGraph(orgId: string, mode: 'exclusive' | 'shared'): Promise<void>;
  /** A task of the organization (live or deleted) as a dependency shows it; `lock` holds its row. */
  findTask(
    orgId: string,
    id: string,
    options?: { lock?: boolean },
  ): Promise<DependencyTaskSummary | undefined>;
  /** Every dependency where the task is the predecessor or the successor, oldest first. */
  listForTask(orgId: string, taskId: string): Promise<TaskDependencyRecord[]>;
  /** Every dependency whose predecessor and successor are both among `taskIds`, oldest first. */
  listAmong(orgId: string, taskIds: readonly string[]): Promise<TaskDependencyRecord[]>;
  /** One dependency that has the task at either end. */
  findForTask(orgId: string, taskId: string, id: string): Promise<TaskDependencyRecord | undefined>;
  /** Whether the pair is already linked (in this direction). */
  exists(orgId: string, predecessorId: string, successorId: string): Promise<boolean>;
  /**
   * The path `from` → … → `to` along existing dependencies (task ids in order), or undefined when
   * `to` cannot be reached from `from`. One recursive query.
   */
  findPath(orgId: string, from: string, to: string): Promise<string[] | undefined>;
  insert(input: NewTaskDependency): Promise<TaskDependencyRecord>;
  delete(orgId: string, id: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/** A request to make the task in the path depend on `predecessorId`. */
export interface AddDependencyInput extends OrgScope {
  predecessorId: string;
  type?: DependencyType | undefined;
  lagMinutes?: number | undefined;
}

export interface TaskDependencyServiceDeps {
  uow: UnitOfWork;
}

/**
 * Dependencies between tasks of one organization: a successor waits for its predecessor as the
 * dependency's type says (the state machine enforces it, the reschedule cascades along it).
 * Every change to the graph runs under the organization's exclusive graph lock, so the cycle
 * check sees every edge committed before it and no two racing edges can close a cycle.
 */
export class TaskDependencyService {
  constructor(private readonly deps: TaskDependencyServiceDeps) {}

  /** Every dependency of a live task, as predecessor or successor (404 for another org's task). */
  async list(actor: Actor, taskId: string, scope: OrgScope = {}): Promise<TaskDependencyRecord[]> {
    authorize(actor, 'task_dependencies', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    const task = await repos.taskDependencies.findTask(orgId, taskId);
    if (!task || task.deleted) throw taskNotFound();
    return repos.taskDependencies.listForTask(orgId, taskId);
  }

  /**
   * Makes the task `successorId` depend on `predecessorId`. Refused: itself (400), an unknown or
   * another org's predecessor (404 naming body.predecessor_id), a completed or cancelled successor
   * (409 TASK_FINAL), a cancelled predecessor (409 PREDECESSOR_CANCELLED), a pair already linked
   * (409 DEPENDENCY_EXISTS), a link that would close a cycle (409 DEPENDENCY_CYCLE with the path).
   */
  async add(
    ctx: MutationContext,
    successorId: string,
    input: AddDependencyInput,
  ): Promise<TaskDependencyRecord> {
    authorize(ctx.actor, 'task_dependencies', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const lagMinutes = input.lagMinutes ?? 0;
    if (!Number.isInteger(lagMinutes) || lagMinutes < 0 || lagMinutes > MAX_LAG_MINUTES) {
      throw AppError.validation(`lag_minutes must be a whole number from 0 to ${MAX_LAG_MINUTES}`, [
        { field: 'body.lag_minutes', message: `must be 0 to ${MAX_LAG_MINUTES} minutes` },
      ]);
    }
    if (input.predecessorId === successorId) {
      throw AppError.validation(
        'a task cannot depend on itself',
        [{ field: 'body.predecessor_id', message: 'is the task itself' }],
        'DEPENDENCY_ON_ITSELF',
      );
    }
    return mutate(this.deps.uow, ctx, async (tx) => {
      // First, before any row lock: every graph change of the org runs one at a time from here.
      await tx.taskDependencies.lockGraph(orgId, 'exclusive');
      const successor = await tx.taskDependencies.findTask(orgId, successorId, { lock: true });
      if (!successor || successor.deleted) throw taskNotFound();
      const predecessor = await tx.taskDependencies.findTask(orgId, input.predecessorId);
      if (!predecessor || predecessor.deleted) {
        throw new AppError(
          'not_found',
          'TASK_NOT_FOUND',
          'the predecessor task was not found in this organization',
          [
            {
              field: 'body.predecessor_id',
              message: 'no live maintenance task with this id in the organization',
            },
          ],
        );
      }
      const refusal = linkRefusal(successor, predecessor);
      if (refusal) {
        throw AppError.conflict(
          refusal.reason,
          refusal.message,
          refusal.field === undefined ? undefined : [{ field: refusal.field, message: refusal.message }],
        );
      }
      if (await tx.taskDependencies.exists(orgId, predecessor.id, successorId)) {
        throw AppError.conflict(
          'DEPENDENCY_EXISTS',
          `task ${successorId} already depends on task ${predecessor.id}; delete that dependency to change its type or lag`,
          [{ field: 'body.predecessor_id', message: 'is already a predecessor of this task' }],
        );
      }
      // The new edge predecessor → successor closes a cycle when the successor already leads to
      // the predecessor.
      const back = await tx.taskDependencies.findPath(orgId, successorId, predecessor.id);
      if (back) {
        const cycle = [predecessor.id, ...back];
        throw AppError.conflict(
          'DEPENDENCY_CYCLE',
          `the dependency would close a cycle: ${cycle.join(' → ')}`,
          cycle.map((id, index) => ({ field: `cycle.${index}`, message: id })),
        );
      }
      const record = await tx.taskDependencies.insert({
        orgId,
        predecessorId: predecessor.id,
        successorId,
        type: input.type ?? 'finish_to_start',
        lagMinutes,
        createdBy: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
        createdByOrgId: ctx.actor.kind === 'user' ? ctx.actor.orgId : null,
      });
      const data = taskDependencyView(record);
      return {
        result: record,
        ...entityEffects({
          orgId,
          entityType: 'task_dependency',
          entityId: record.id,
          action: 'create',
          after: data,
          event: { type: 'task_dependency_added', data, occurredAt: record.createdAt },
        }),
      };
    });
  }

  /** Deletes a dependency of the task (either end); 404 when the task has no such dependency. */
  async remove(ctx: MutationContext, taskId: string, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'task_dependencies', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    await mutate(this.deps.uow, ctx, async (tx) => {
      await tx.taskDependencies.lockGraph(orgId, 'exclusive');
      const task = await tx.taskDependencies.findTask(orgId, taskId);
      if (!task || task.deleted) throw taskNotFound();
      const record = await tx.taskDependencies.findForTask(orgId, taskId, id);
      if (!record || !(await tx.taskDependencies.delete(orgId, id))) throw dependencyNotFound();
      const data = taskDependencyView(record);
      return {
        result: undefined,
        ...entityEffects({
          orgId,
          entityType: 'task_dependency',
          entityId: id,
          action: 'delete',
          before: data,
          event: { type: 'task_dependency_removed', data, occurredAt: new Date() },
        }),
      };
    });
  }
}

const taskNotFound = (): AppError => AppError.notFound('maintenance task', 'TASK_NOT_FOUND');

const dependencyNotFound = (): AppError => AppError.notFound('task dependency', 'DEPENDENCY_NOT_FOUND');
