import { randomUUID } from 'node:crypto';
import { automaticStatusChange, type AircraftStatus, type AircraftStatusSource } from '../domain/aircraft.js';
import {
  applicationOrder,
  byPredecessor,
  planCascade,
  type CascadeTask,
  type PlannedMove,
  reachableFrom,
  type TaskDependency,
  type TaskWindow,
} from '../domain/scheduling.js';
import { editRefusalOf, windowRefusal, type TaskState, type TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { reconcileAircraftStatus } from './aircraft.js';
import { auditRecord, type AuditEntry } from './audit.js';
import { AppError, isAppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';
import { assertQualified } from './qualifications.js';
import type { DomainEvent } from '../domain/events.js';

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** One task's move in a reschedule's answer. */
export type MoveView = {
  task_id: string;
  aircraft_id: string;
  old_start_time: string;
  old_end_time: string;
  new_start_time: string;
  new_end_time: string;
  cascaded_from_task_id: string | null;
};

/** Why a reschedule cannot be carried out, for one task. */
export type BlockerView = {
  task_id: string;
  reason: string;
  message: string;
  other_task_id: string | null;
};

/** The answer of `POST /maintenance-tasks/{id}/reschedule`. */
export type RescheduleView = {
  dry_run: boolean;
  change_id: string | null;
  moves: MoveView[];
  blockers: BlockerView[];
};

/** One immutable schedule-change row. */
export interface ScheduleChange {
  id: string;
  orgId: string;
  taskId: string;
  changeId: string;
  oldStartTime: Date;
  oldEndTime: Date;
  newStartTime: Date;
  newEndTime: Date;
  reason: string | null;
  cascadedFromTaskId: string | null;
  changedBy: string | null;
  changedByOrgId: string | null;
  actor: string;
  changedAt: Date;
}

/** A schedule-change row as `GET /maintenance-tasks/{id}/schedule-history` shows it. */
export type ScheduleChangeView = {
  id: string;
  task_id: string;
  change_id: string;
  old_start_time: string;
  old_end_time: string;
  new_start_time: string;
  new_end_time: string;
  reason: string | null;
  cascaded_from_task_id: string | null;
  changed_by: string | null;
  changed_by_org_id: string | null;
  actor: string;
  changed_at: string;
};

export const scheduleChangeView = (c: ScheduleChange): ScheduleChangeView => ({
  id: c.id,
  task_id: c.taskId,
  change_id: c.changeId,
  old_start_time: c.oldStartTime.toISOString(),
  old_end_time: c.oldEndTime.toISOString(),
  new_start_time: c.newStartTime.toISOString(),
  new_end_time: c.newEndTime.toISOString(),
  reason: c.reason,
  cascaded_from_task_id: c.cascadedFromTaskId,
  changed_by: c.changedBy,
  changed_by_org_id: c.changedByOrgId,
  actor: c.actor,
  changed_at: c.changedAt.toISOString(),
});

/** The fields a schedule history sorts by. */
export const SCHEDULE_HISTORY_SORT_FIELDS = ['changed_at'] as const;
export type ScheduleHistorySortField = (typeof SCHEDULE_HISTORY_SORT_FIELDS)[number];

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/** A task of the graph a reschedule loads, with what the checks and the writes need. */
export interface GraphTask extends CascadeTask {
  version: number;
  programId: string | null;
  type: TaskType;
}

/** A moved task's new window, as the conflict check reads it. */
export interface MoveToCheck {
  taskId: string;
  aircraftId: string;
  mechanicId: string | null;
  window: TaskWindow;
}

/** An active window a moved task would overlap. */
export interface WindowConflict {
  taskId: string;
  otherTaskId: string;
  reason: 'TASK_OVERLAP' | 'MECHANIC_BUSY';
  /** The other task's state and window (its planned one when it moves too). */
  otherState: TaskState;
  otherWindow: TaskWindow;
}

/** A new schedule-change row. */
export type NewScheduleChange = Omit<ScheduleChange, 'id' | 'changedAt'>;

/** Persistence of the schedule: the graph a reschedule moves along, its checks and its history. */
export interface ScheduleRepository {
  /** Takes the organization's dependency graph lock, shared (see lockDependencyGraph). */
  lockGraphShared(orgId: string): Promise<void>;
  /**
   * In one statement: the root, every task reachable from it along dependencies, the
   * predecessors of all of them, and the dependencies among them. Empty when the root is not live.
   */
  loadGraph(orgId: string, rootId: string): Promise<{ tasks: GraphTask[]; dependencies: TaskDependency[] }>;
  /** Locks the aircraft rows (sorted by id), as task changes lock their aircraft first. */
  lockAircraft(orgId: string, aircraftIds: string[]): Promise<void>;
  /** Locks the live tasks still at their version (sorted by id); answers the ids locked. */
  lockTasksAtVersion(orgId: string, tasks: { id: string; version: number }[]): Promise<string[]>;
  /** Holds the live tasks still at their version FOR SHARE (sorted by id); answers the ids held. */
  shareTasksAtVersion(orgId: string, tasks: { id: string; version: number }[]): Promise<string[]>;
  /**
   * In one statement: every active task another moved task would overlap on its aircraft or its
   * mechanic — the tasks that do not move, at their windows, and the moved ones at their new ones.
   */
  windowConflicts(orgId: string, moves: MoveToCheck[]): Promise<WindowConflict[]>;
  /** Writes the moves in the order given (amss_move_tasks); answers the ids moved with their new version. */
  moveTasks(
    orgId: string,
    moves: { id: string; version: number; window: TaskWindow }[],
  ): Promise<{ id: string; version: number; updatedAt: Date }[]>;
  /**
   * The status of each aircraft and whether one of its tasks needs it grounded at `now` (as
   * `reconcileAircraftStatus` reads it, for many aircraft in one statement).
   */
  aircraftGrounding(
    orgId: string,
    aircraftIds: string[],
    now: Date,
  ): Promise<
    { id: string; status: AircraftStatus; statusSource: AircraftStatusSource; needsGrounding: boolean }[]
  >;
  /** Inserts schedule-change rows, in one statement. */
  insertChanges(changes: NewScheduleChange[]): Promise<void>;
  /** A task's schedule changes; fetches `page.limit + 1` rows. */
  history(
    orgId: string,
    taskId: string,
    sort: SortKey<ScheduleHistorySortField>[],
    page: Page,
  ): Promise<ScheduleChange[]>;
}

/** Who a schedule change names, as the audit log names actors. */
export function changedBy(actor: Actor): Pick<NewScheduleChange, 'changedBy' | 'changedByOrgId' | 'actor'> {
  const record = auditRecord({ orgId: '', entityType: '', entityId: '', action: 'update' }, actor, undefined);
  return { changedBy: record.userId, changedByOrgId: record.actorOrgId, actor: record.actor };
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

export interface RescheduleInput extends OrgScope {
  startTime: Date;
  endTime: Date;
  reason: string;
  cascade?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export interface RescheduleServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
}

/** How many times a reschedule re-reads its graph when a task changed while it waited for locks. */
const MAX_READS = 3;

/**
 * Moves a task's window, and with `cascade` every dependent task by the least amount that keeps
 * its dependencies, in one transaction; `dryRun` answers the same plan and writes nothing.
 */
export class RescheduleService {
  private readonly now: () => Date;

  constructor(private readonly deps: RescheduleServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async reschedule(ctx: MutationContext, taskId: string, input: RescheduleInput): Promise<RescheduleView> {
    authorize(ctx.actor, 'task_schedule', 'reschedule');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const reason = input.reason.trim();
    if (reason === '') {
      throw AppError.validation('reason must say why the task moves', [
        { field: 'body.reason', message: 'must not be blank' },
      ]);
    }
    const refusal = windowRefusal(input.startTime, input.endTime);
    if (refusal) {
      throw AppError.validation(
        refusal.message,
        [{ field: 'body.end_time', message: refusal.message }],
        refusal.reason,
      );
    }
    const to = { start: input.startTime, end: input.endTime };
    const cascade = input.cascade ?? false;
    if (input.dryRun) {
      // Reads only, in one transaction so the plan sees one snapshot under the graph lock.
      return this.deps.uow.transaction(async (tx) => {
        const { plan, blockers } = await this.plan(tx, orgId, taskId, to, cascade, false);
        return { dry_run: true, change_id: null, moves: plan.moves.map(plan.view), blockers };
      });
    }
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const { plan, blockers } = await this.plan(tx, orgId, taskId, to, cascade, true);
      if (blockers.length > 0) throw blocked(blockers);
      const order = applicationOrder(plan.moves, plan.tasks);
      if (!order)
        throw blocked([
          {
            task_id: taskId,
            reason: 'TASK_OVERLAP',
            message: 'the moved tasks cannot be written one after another without overlapping each other',
            other_task_id: null,
          },
        ]);
      const moved = await tx.schedule.moveTasks(
        orgId,
        order.map((m) => ({ id: m.taskId, version: plan.tasks.get(m.taskId)!.version, window: m.to })),
      );
      const movedById = new Map(moved.map((row) => [row.id, row]));
      if (order.some((m) => !movedById.has(m.taskId))) {
        throw AppError.conflict(
          'CONCURRENT_UPDATE',
          'a task of the plan was changed by another request while this one ran; read it again and retry',
        );
      }
      const who = changedBy(ctx.actor);
      await tx.schedule.insertChanges(
        plan.moves.map((m) => ({
          orgId,
          taskId: m.taskId,
          changeId,
          oldStartTime: m.from.start,
          oldEndTime: m.from.end,
          newStartTime: m.to.start,
          newEndTime: m.to.end,
          reason,
          cascadedFromTaskId: m.cascadedFrom,
          ...who,
        })),
      );
      const audit: AuditEntry[] = [];
      const events: DomainEvent[] = [];
      for (const move of plan.moves) {
        const task = plan.tasks.get(move.taskId)!;
        const row = movedById.get(move.taskId)!;
        const view = plan.view(move);
        const effects = entityEffects({
          orgId,
          entityType: 'maintenance_task',
          entityId: move.taskId,
          action: 'update',
          entityVersion: row.version,
          before: { start_time: view.old_start_time, end_time: view.old_end_time, version: task.version },
          after: { start_time: view.new_start_time, end_time: view.new_end_time, version: row.version },
          extra: { reason, change_id: changeId, cascaded_from_task_id: move.cascadedFrom },
          event: {
            type: 'task_rescheduled',
            discriminator: changeId,
            data: { ...view, change_id: changeId, reason, version: row.version, state: task.state },
            occurredAt: row.updatedAt,
          },
        });
        audit.push(effects.audit);
        events.push(...effects.events);
      }
      // The status workflow runs only for the aircraft whose status it would change: one read for
      // all of them (a chain spread over 200 aircraft is not 400 statements).
      const now = this.now();
      const affected = [...new Set(plan.moves.map((m) => plan.tasks.get(m.taskId)!.aircraftId))];
      const grounding = await tx.schedule.aircraftGrounding(orgId, affected, now);
      for (const aircraft of grounding) {
        if (automaticStatusChange(aircraft, aircraft.needsGrounding) === undefined) continue;
        const reconciled = await reconcileAircraftStatus(tx, { orgId, aircraftId: aircraft.id, now });
        audit.push(...reconciled.audit);
        events.push(...reconciled.events);
      }
      return {
        result: { dry_run: false, change_id: changeId, moves: plan.moves.map(plan.view), blockers: [] },
        audit,
        events,
      };
    });
  }

  /** A task's schedule changes, oldest first unless `sort` says otherwise (404 for no live task). */
  async history(
    actor: Actor,
    taskId: string,
    input: OrgScope & { sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<ScheduleChange>> {
    authorize(actor, 'task_schedule', 'read');
    const sort = parseSort(input.sort, SCHEDULE_HISTORY_SORT_FIELDS, [
      { field: 'changed_at', direction: 'asc' },
    ]);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    if (!(await repos.tasks.findById(orgId, taskId))) notFound();
    return pageOf(await repos.schedule.history(orgId, taskId, sort, page), page);
  }

  /**
   * Loads the graph under the shared graph lock, locks what may move (when `lock`), plans the
   * cascade and checks the plan against every other active task and the mechanics' qualifications.
   */
  private async plan(
    tx: Repositories,
    orgId: string,
    rootId: string,
    to: TaskWindow,
    cascade: boolean,
    lock: boolean,
  ) {
    await tx.schedule.lockGraphShared(orgId);
    let graph = await tx.schedule.loadGraph(orgId, rootId);
    for (let read = 1; lock; read++) {
      const movable = mayMove(graph.tasks, rootId, graph.dependencies);
      // The active predecessors that stay put are held FOR SHARE: a concurrent move of one of them
      // waits for this plan (or this plan re-reads it), so neither side checks the other's old
      // window. Their aircraft are locked with the others, in one sorted batch, so two reschedules
      // meeting on both ends of a dependency take their locks in the same order.
      const held = heldPredecessors(graph.tasks, movable, graph.dependencies);
      await tx.schedule.lockAircraft(orgId, [...new Set([...movable, ...held].map((t) => t.aircraftId))]);
      const locked = await tx.schedule.lockTasksAtVersion(orgId, movable);
      const shared = await tx.schedule.shareTasksAtVersion(orgId, held);
      if (locked.length === movable.length && shared.length === held.length) break;
      // A task changed between the read and the lock: read the graph again, now that its
      // aircraft are held (a new aircraft in the graph is locked on the next round).
      if (read === MAX_READS) {
        throw AppError.conflict(
          'CONCURRENT_UPDATE',
          'the tasks kept changing while this reschedule ran; read them again and retry',
        );
      }
      graph = await tx.schedule.loadGraph(orgId, rootId);
    }
    const tasks = new Map(graph.tasks.map((t) => [t.id, t]));
    const root = tasks.get(rootId);
    if (!root || root.deleted) notFound();
    const edit = rootEditRefusal(root!, to);
    if (edit) throw edit;
    const plan = planCascade({ rootId, to, cascade, tasks, dependencies: graph.dependencies });
    const blockers: BlockerView[] = plan.blockers.map((b) => ({
      task_id: b.taskId,
      reason: b.reason,
      message: b.message,
      other_task_id: b.otherTaskId ?? null,
    }));
    const moves = plan.moves;
    const conflicts = await tx.schedule.windowConflicts(
      orgId,
      moves.map((m) => {
        const task = tasks.get(m.taskId)!;
        return {
          taskId: m.taskId,
          aircraftId: task.aircraftId,
          mechanicId: task.assignedMechanicId,
          window: m.to,
        };
      }),
    );
    for (const c of conflicts) {
      const span = `${c.otherWindow.start.toISOString()} to ${c.otherWindow.end.toISOString()}`;
      const move = moves.find((m) => m.taskId === c.taskId)!;
      const window = `${move.to.start.toISOString()} to ${move.to.end.toISOString()}`;
      blockers.push({
        task_id: c.taskId,
        reason: c.reason,
        other_task_id: c.otherTaskId,
        message:
          c.reason === 'TASK_OVERLAP'
            ? `task ${c.taskId} would overlap task ${c.otherTaskId} (${c.otherState}, ${span}) on its aircraft at ${window}`
            : `the mechanic of task ${c.taskId} is also assigned to task ${c.otherTaskId} (${c.otherState}, ${span}), which would overlap ${window}`,
      });
    }
    // One check per moved task with a mechanic: the requirements depend on each task's type,
    // program and aircraft, and the facts on its window (see assertQualified).
    for (const move of moves) {
      const task = tasks.get(move.taskId)!;
      if (task.assignedMechanicId === null) continue;
      try {
        await assertQualified(tx, {
          task: {
            id: task.id,
            orgId,
            aircraftId: task.aircraftId,
            programId: task.programId,
            type: task.type,
          },
          userId: task.assignedMechanicId,
          purpose: 'perform',
          window: move.to,
        });
      } catch (error) {
        if (!isAppError(error) || error.reason !== 'MECHANIC_NOT_QUALIFIED') throw error;
        blockers.push({
          task_id: task.id,
          reason: error.reason,
          message: error.message,
          other_task_id: null,
        });
      }
    }
    const view = (m: PlannedMove): MoveView => ({
      task_id: m.taskId,
      aircraft_id: tasks.get(m.taskId)!.aircraftId,
      old_start_time: m.from.start.toISOString(),
      old_end_time: m.from.end.toISOString(),
      new_start_time: m.to.start.toISOString(),
      new_end_time: m.to.end.toISOString(),
      cascaded_from_task_id: m.cascadedFrom,
    });
    return { plan: { moves, tasks, view }, blockers };
  }
}

/**
 * The tasks a plan may move: the root and the active tasks reachable from it (a completed,
 * cancelled or deleted one never moves), each with the version read.
 */
function mayMove(tasks: GraphTask[], rootId: string, dependencies: TaskDependency[]): GraphTask[] {
  const reachable = reachableFrom(rootId, byPredecessor(dependencies));
  return tasks.filter(
    (t) =>
      !t.deleted &&
      (t.id === rootId || (reachable.has(t.id) && (t.state === 'scheduled' || t.state === 'in_progress'))),
  );
}

/** The active tasks outside `movable` that a movable task depends on. */
function heldPredecessors(
  tasks: GraphTask[],
  movable: GraphTask[],
  dependencies: TaskDependency[],
): GraphTask[] {
  const moving = new Set(movable.map((t) => t.id));
  const wanted = new Set(
    dependencies
      .filter((d) => moving.has(d.successorId) && !moving.has(d.predecessorId))
      .map((d) => d.predecessorId),
  );
  return tasks.filter(
    (t) => wanted.has(t.id) && !t.deleted && (t.state === 'scheduled' || t.state === 'in_progress'),
  );
}

/** The root's edit rules, as a PATCH of its window: final 409 TASK_FINAL, in progress START_TIME_FROZEN. */
function rootEditRefusal(root: GraphTask, to: TaskWindow): AppError | undefined {
  const refusal = editRefusalOf({ state: root.state, startTime: root.window.start }, { startTime: to.start });
  if (!refusal) return undefined;
  return new AppError(refusal.kind, refusal.reason, refusal.message, [
    { field: refusal.field ?? 'body.start_time', message: refusal.message },
  ]);
}

function blocked(blockers: BlockerView[]): AppError {
  const [first] = blockers;
  return AppError.conflict(
    first!.reason,
    `the reschedule is refused: ${blockers.map((b) => b.message).join('; ')}`,
    blockers.map((b) => ({ field: `tasks[${b.task_id}]`, message: `${b.reason}: ${b.message}` })),
  );
}

const notFound = (): never => {
  throw AppError.notFound('maintenance task', 'TASK_NOT_FOUND');
};
