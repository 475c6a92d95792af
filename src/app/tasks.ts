import { randomUUID } from 'node:crypto';
import type { AircraftStatus } from '../domain/aircraft.js';
import type { ComplianceItem } from '../domain/compliance.js';
import { domainEvent, type DomainEvent, type EventType } from '../domain/events.js';
import type { PartReservation } from '../domain/part.js';
import {
  windowRefusal,
  type MaintenanceTask,
  type PendingInspection,
  type RequiredPart,
  type RequiredPartCoverage,
  type TaskActor,
  type TaskRefusal,
  type TaskState,
  type TaskType,
  type TransitionPlan,
} from '../domain/task.js';
import type { PredecessorFacts, TaskPriority } from '../domain/scheduling.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { aircraftView, reconcileAircraftStatus } from './aircraft.js';
import { auditActor, type AuditAction, type AuditEntry } from './audit.js';
import { complianceItemView, refuseInspectorAsMechanic, type ComplianceItemView } from './compliance.js';
import { AppError, isAppError, type FieldProblem } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import { partReservationView, type PartReservationView } from './parts.js';
import { recencyView } from './people.js';
import type { Repositories, UnitOfWork } from './ports.js';
import { StockWatch } from './stock.js';
import { scheduleNextOccurrence } from './program-generation.js';
import { recordProgramPerformed } from './programs.js';
import {
  taskDependencyView,
  type TaskDependencyRecord,
  type TaskDependencyView,
} from './task-dependencies.js';
import { assertQualified, mechanicBusy } from './qualifications.js';
import { changedBy } from './reschedule.js';
import {
  directiveTaskCompleted,
  directiveTaskReleased,
  directiveTaskStarted,
} from './directive-compliance.js';

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** A maintenance task as the API, audit rows and events show it. */
export type TaskView = {
  id: string;
  org_id: string;
  aircraft_id: string;
  program_id: string | null;
  directive_id: string | null;
  priority: TaskPriority;
  type: TaskType;
  state: TaskState;
  start_time: string;
  end_time: string;
  assigned_mechanic_id: string | null;
  notes: string | null;
  version: number;
  required_parts: { part_definition_id: string; quantity: number }[];
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
};

/** The view of a task. */
export const taskView = (task: MaintenanceTask): TaskView => ({
  id: task.id,
  org_id: task.orgId,
  aircraft_id: task.aircraftId,
  program_id: task.programId,
  directive_id: task.directiveId,
  priority: task.priority,
  type: task.type,
  state: task.state,
  start_time: task.startTime.toISOString(),
  end_time: task.endTime.toISOString(),
  assigned_mechanic_id: task.assignedMechanicId,
  notes: task.notes,
  version: task.version,
  required_parts: task.requiredParts.map((part) => ({
    part_definition_id: part.partDefinitionId,
    quantity: part.quantity,
  })),
  started_at: task.startedAt?.toISOString() ?? null,
  completed_at: task.completedAt?.toISOString() ?? null,
  created_at: task.createdAt.toISOString(),
  updated_at: task.updatedAt.toISOString(),
});

/** A task with its part reservations and live compliance items. */
export interface TaskDetail {
  task: MaintenanceTask;
  reservations: PartReservation[];
  compliance: ComplianceItem[];
  /** Its dependencies as predecessor or successor (unset: not loaded). */
  dependencies?: TaskDependencyRecord[];
}

/** `GET /maintenance-tasks/{id}`: the task, its reservations and its compliance items. */
export type TaskDetailView = {
  task: TaskView;
  reservations: PartReservationView[];
  compliance: ComplianceItemView[];
  dependencies: TaskDependencyView[];
};

/** The view of a task with its reservations and compliance items. */
export const taskDetailView = (detail: TaskDetail): TaskDetailView => ({
  task: taskView(detail.task),
  reservations: detail.reservations.map(partReservationView),
  compliance: detail.compliance.map(complianceItemView),
  dependencies: (detail.dependencies ?? []).map((d) => taskDependencyView(d, detail.task.id)),
});

// ---------------------------------------------------------------------------------------------
// Inputs, filters and sorting
// ---------------------------------------------------------------------------------------------

/** The fields a task list sorts by. */
export const TASK_SORT_FIELDS = ['start_time', 'end_time', 'created_at', 'state', 'priority'] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];

/** Narrows a task list; unset fields do not filter. Start times match `startFrom <= start_time < startTo`. */
export interface TaskFilter {
  aircraftId?: string | undefined;
  state?: TaskState | undefined;
  type?: TaskType | undefined;
  startFrom?: Date | undefined;
  startTo?: Date | undefined;
  assignedMechanicId?: string | undefined;
  programId?: string | undefined;
  directiveId?: string | undefined;
  priority?: TaskPriority | undefined;
}

/** A list request: filters, the raw `sort` parameter and an admin's target organization. */
export interface TaskListInput extends TaskFilter, OrgScope {
  sort?: string | undefined;
}

/** A new task; `orgId` is an admin's explicit target organization. */
export interface CreateTaskInput extends OrgScope {
  aircraftId: string;
  programId?: string | undefined;
  /** How urgent the task is (unset: routine). */
  priority?: TaskPriority | undefined;
  type: TaskType;
  startTime: Date;
  endTime: Date;
  assignedMechanicId?: string | undefined;
  notes?: string | undefined;
  requiredParts?: RequiredPart[] | undefined;
}

/** A new task created inside a caller's transaction, possibly booked for a directive. */
export interface CreateLockedTaskInput extends Omit<CreateTaskInput, 'orgId'> {
  /** The directive the task complies with (set by the directive booking, never by a request body). */
  directiveId?: string | undefined;
}

/** The non-state fields of a task to change; unset ones stay, null clears an optional one. */
export interface UpdateTaskInput {
  programId?: string | null | undefined;
  priority?: TaskPriority | undefined;
  type?: TaskType | undefined;
  startTime?: Date | undefined;
  endTime?: Date | undefined;
  assignedMechanicId?: string | null | undefined;
  notes?: string | null | undefined;
  /** Replaces the task's required parts as a whole. */
  requiredParts?: RequiredPart[] | undefined;
}

/** A requested state change (DESIGN.md's body of `PATCH /maintenance-tasks/{id}/state`). */
export interface TransitionTaskInput {
  newState: TaskState;
  /** Replaces the task's notes; completion needs notes here or already on the task. */
  notes?: string | undefined;
  allowEarlyCompletion?: boolean | undefined;
  allowLateCancel?: boolean | undefined;
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/** A new task row with its required parts. */
export interface NewTask {
  orgId: string;
  aircraftId: string;
  programId: string | null;
  directiveId: string | null;
  priority: TaskPriority;
  type: TaskType;
  startTime: Date;
  endTime: Date;
  assignedMechanicId: string | null;
  notes: string | null;
  requiredParts: RequiredPart[];
}

/** Column changes of a task; unset fields stay as they are. */
export interface TaskChanges {
  programId?: string | null | undefined;
  priority?: TaskPriority | undefined;
  type?: TaskType | undefined;
  startTime?: Date | undefined;
  endTime?: Date | undefined;
  assignedMechanicId?: string | null | undefined;
  notes?: string | null | undefined;
  state?: TaskState | undefined;
  startedAt?: Date | undefined;
  completedAt?: Date | undefined;
  /** Replaces every requirement of the task. */
  requiredParts?: RequiredPart[] | undefined;
}

/** The aircraft of a task as task changes see it, read under a lock that serialises them. */
export interface TaskAircraft {
  id: string;
  status: AircraftStatus;
  live: boolean;
}

/** What the state machine needs to know from the task's reservations and compliance items. */
export interface TaskWorkFacts {
  requiredParts: RequiredPartCoverage[];
  openReservations: number;
  incompleteCompliance: number;
  /** Live compliance items of the task still awaiting their independent inspection. */
  pendingInspections: PendingInspection[];
}

/**
 * Persistence of maintenance tasks. Every method is scoped to one organization. Task changes
 * lock the aircraft row first (so changes to one aircraft's schedule run one at a time and never
 * deadlock), then the task row.
 */
export interface TaskRepository {
  insert(input: NewTask): Promise<MaintenanceTask>;
  /** A live task; `lock` holds its row (FOR UPDATE) until the transaction ends. */
  findById(orgId: string, id: string, options?: { lock?: boolean }): Promise<MaintenanceTask | undefined>;
  /** A live task with its reservations, live compliance items and dependencies, in one query. */
  findDetail(orgId: string, id: string): Promise<TaskDetail | undefined>;
  /** Live tasks; fetches `page.limit + 1` rows so the caller knows whether more follow. */
  list(
    orgId: string,
    filter: TaskFilter,
    sort: SortKey<TaskSortField>[],
    page: Page,
  ): Promise<MaintenanceTask[]>;
  /**
   * Live tasks of any state whose window meets [from, to), by start then id, at most `limit` of
   * them (the schedule timeline's read; one indexed range query).
   */
  listMeeting(
    orgId: string,
    range: { from: Date; to: Date; aircraftId?: string | undefined },
    limit: number,
  ): Promise<MaintenanceTask[]>;
  /** Locks an aircraft (deleted or not) for a change to its schedule; undefined when there is none. */
  lockAircraft(orgId: string, aircraftId: string): Promise<TaskAircraft | undefined>;
  /** Locks the aircraft of a live task; undefined when there is no such task. */
  lockAircraftOfTask(orgId: string, taskId: string): Promise<TaskAircraft | undefined>;
  /** Locks a live task (FOR UPDATE) if it is still at `version`; false when it changed or went. */
  lockAtVersion(orgId: string, id: string, version: number): Promise<boolean>;
  /** Applies changes to a live task still at `version`, bumping it; undefined when it changed or went. */
  update(
    orgId: string,
    id: string,
    version: number,
    changes: TaskChanges,
  ): Promise<MaintenanceTask | undefined>;
  /** Soft-deletes a live task still at `version`, bumping it; undefined when it changed or went. */
  softDelete(orgId: string, id: string, version: number): Promise<MaintenanceTask | undefined>;
  /** The task's reservations and compliance items, counted for its state machine. */
  workFacts(orgId: string, task: MaintenanceTask): Promise<TaskWorkFacts>;
  /** The tasks this task depends on, each with its dependency's type and its state, in one query. */
  predecessors(orgId: string, taskId: string): Promise<PredecessorFacts[]>;
  /** Releases the task's reservations that are still reserved; each one before and after. */
  releaseReservations(
    orgId: string,
    taskId: string,
  ): Promise<{ before: PartReservation; after: PartReservation }[]>;
  /** The ids among `ids` that are not live part definitions of the organization. */
  missingPartDefinitions(orgId: string, ids: string[]): Promise<string[]>;
  /** A live active task of the mechanic whose window overlaps [start, end), other than `excludeId`. */
  findMechanicOverlap(
    orgId: string,
    mechanicId: string,
    start: Date,
    end: Date,
    excludeId?: string,
  ): Promise<MaintenanceTask | undefined>;
  /** A live active task of the aircraft whose window overlaps [start, end), other than `excludeId`. */
  findOverlapping(
    orgId: string,
    aircraftId: string,
    start: Date,
    end: Date,
    excludeId?: string,
  ): Promise<MaintenanceTask | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/** What the task service needs; `now` is the clock (tests may fix it). */
export interface TaskServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
}

/** The window a create or change tried to book, to explain an overlap after the transaction failed. */
interface AttemptedWindow {
  aircraftId: string;
  startTime: Date;
  endTime: Date;
  excludeId?: string;
  /** The mechanic the change books, to name their other task after a MECHANIC_BUSY from the database. */
  mechanicId?: string | null;
  /** The request fields that set the window, named in the 409's details. */
  fields: string[];
}

/**
 * Maintenance tasks of one organization: the actor's own, or for an admin the one named by
 * `org_id`. Schedulers and admins plan them; mechanics, schedulers and admins move them through
 * their states, which the task entity guards. Every change also brings the aircraft's status in
 * line (`reconcileAircraftStatus`) inside the same transaction.
 */
export class TaskService {
  private readonly now: () => Date;

  constructor(private readonly deps: TaskServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Schedules a task on a live aircraft of the org; an overlap with an active task is 409 TASK_OVERLAP. */
  async create(ctx: MutationContext, input: CreateTaskInput): Promise<MaintenanceTask> {
    authorize(ctx.actor, 'maintenance_tasks', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    refuse(windowRefusal(input.startTime, input.endTime));
    const requiredParts = checkedRequiredParts(input.requiredParts ?? []);
    const attempted: AttemptedWindow = {
      aircraftId: input.aircraftId,
      startTime: input.startTime,
      endTime: input.endTime,
      mechanicId: input.assignedMechanicId ?? null,
      fields: ['body.start_time', 'body.end_time'],
    };
    return this.explainingOverlap(orgId, attempted, () =>
      mutate(this.deps.uow, ctx, async (tx) => {
        const aircraft = await tx.tasks.lockAircraft(orgId, input.aircraftId);
        if (!aircraft?.live) throw missingReference('body.aircraft_id', 'AIRCRAFT_NOT_FOUND', 'aircraft');
        return this.createLocked(tx, orgId, { ...input, requiredParts });
      }),
    );
  }

  /**
   * The create path inside a caller's transaction, once the caller holds the aircraft's lock
   * (`tx.tasks.lockAircraft`) and found it live: checks the references and the assigned
   * mechanic's qualification, inserts the task and describes its audit row and `task_created`.
   * `create` runs it for a request; booking a directive's task runs it with the directive's id.
   */
  async createLocked(
    tx: Repositories,
    orgId: string,
    input: CreateLockedTaskInput,
  ): Promise<{ result: MaintenanceTask; audit: AuditEntry[]; events: DomainEvent[] }> {
    refuse(windowRefusal(input.startTime, input.endTime));
    const requiredParts = checkedRequiredParts(input.requiredParts ?? []);
    await checkReferences(tx, orgId, input.aircraftId, {
      programId: input.programId,
      assignedMechanicId: input.assignedMechanicId,
      requiredParts,
    });
    if (input.assignedMechanicId !== undefined) {
      await assertQualified(tx, {
        task: {
          id: null,
          orgId,
          aircraftId: input.aircraftId,
          programId: input.programId ?? null,
          type: input.type,
        },
        userId: input.assignedMechanicId,
        purpose: 'perform',
        window: { start: input.startTime, end: input.endTime },
        field: 'body.assigned_mechanic_id',
        busy: true,
      });
    }
    const task = await tx.tasks.insert({
      orgId,
      aircraftId: input.aircraftId,
      programId: input.programId ?? null,
      directiveId: input.directiveId ?? null,
      priority: input.priority ?? 'routine',
      type: input.type,
      startTime: input.startTime,
      endTime: input.endTime,
      assignedMechanicId: input.assignedMechanicId ?? null,
      notes: input.notes ?? null,
      requiredParts,
    });
    const effects = taskEffects({
      action: 'create',
      type: 'task_created',
      after: task,
      occurredAt: task.createdAt,
    });
    // Only confirmed tasks (with a mechanic) ground an aircraft: a new unassigned task leaves
    // the status as it is, so there is nothing to reconcile.
    if (task.assignedMechanicId === null)
      return { result: task, audit: [effects.audit], events: effects.events };
    return this.withReconciledAircraft(tx, task, effects);
  }

  /** One live task of the organization in scope with its reservations and compliance items (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<TaskDetail> {
    authorize(actor, 'maintenance_tasks', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.tasks.findDetail(orgId, id)) ?? notFound();
  }

  /** Live tasks of the organization, filtered and sorted (default: by start time). */
  async list(actor: Actor, input: TaskListInput, page: Page): Promise<PageOf<MaintenanceTask>> {
    authorize(actor, 'maintenance_tasks', 'read');
    const sort = parseSort(input.sort, TASK_SORT_FIELDS, [{ field: 'start_time', direction: 'asc' }]);
    if (input.startFrom && input.startTo && input.startTo <= input.startFrom) {
      throw AppError.validation(
        'the start time range is empty: start_to must be after start_from',
        [{ field: 'querystring.start_to', message: 'must be after start_from' }],
        'INVALID_TIME_RANGE',
      );
    }
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter: TaskFilter = {
      aircraftId: input.aircraftId,
      state: input.state,
      type: input.type,
      startFrom: input.startFrom,
      startTo: input.startTo,
      assignedMechanicId: input.assignedMechanicId,
      programId: input.programId,
      directiveId: input.directiveId,
      priority: input.priority,
    };
    return pageOf(await repos.tasks.list(orgId, filter, sort, page), page);
  }

  /** Changes non-state fields of a task that is not completed or cancelled (409 TASK_FINAL). */
  async update(
    ctx: MutationContext,
    id: string,
    patch: UpdateTaskInput,
    scope: OrgScope = {},
  ): Promise<MaintenanceTask> {
    authorize(ctx.actor, 'maintenance_tasks', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const requiredParts = patch.requiredParts && checkedRequiredParts(patch.requiredParts);
    let attempted: AttemptedWindow | undefined;
    return this.explainingOverlap(
      orgId,
      () => attempted,
      () =>
        mutate(this.deps.uow, ctx, async (tx) => {
          if (!(await tx.tasks.lockAircraftOfTask(orgId, id))) notFound();
          const before = (await tx.tasks.findById(orgId, id, { lock: true })) ?? notFound();
          refuse(before.editRefusal({ startTime: patch.startTime }));
          const startTime = patch.startTime ?? before.startTime;
          const endTime = patch.endTime ?? before.endTime;
          refuse(windowRefusal(startTime, endTime, patch.endTime ? 'body.end_time' : 'body.start_time'));
          await checkReferences(tx, orgId, before.aircraftId, {
            programId: patch.programId ?? undefined,
            assignedMechanicId: patch.assignedMechanicId ?? undefined,
            requiredParts,
          });
          // The independent inspector of any of its items never becomes the task's mechanic (the
          // task is held FOR UPDATE, so an inspection racing this change has committed or waits).
          if ((patch.assignedMechanicId ?? null) !== null) {
            await refuseInspectorAsMechanic(tx, { orgId, taskId: id, mechanicId: patch.assignedMechanicId! });
          }
          // A new mechanic, a moved window or a change of what the task is (its type or program,
          // which decide the requirements that match) needs the mechanic to qualify again.
          const mechanicId =
            patch.assignedMechanicId === undefined ? before.assignedMechanicId : patch.assignedMechanicId;
          const rebooked =
            (patch.assignedMechanicId ?? null) !== null ||
            patch.startTime !== undefined ||
            patch.endTime !== undefined;
          const reassessed = rebooked || patch.type !== undefined || patch.programId !== undefined;
          if (mechanicId !== null && reassessed) {
            await assertQualified(tx, {
              task: {
                id,
                orgId,
                aircraftId: before.aircraftId,
                programId: patch.programId === undefined ? before.programId : patch.programId,
                type: patch.type ?? before.type,
              },
              userId: mechanicId,
              purpose: 'perform',
              window: { start: startTime, end: endTime },
              field: 'body.assigned_mechanic_id',
              // Only a new mechanic or a moved window can book the mechanic twice.
              busy: rebooked,
            });
          }
          attempted = {
            aircraftId: before.aircraftId,
            startTime,
            endTime,
            excludeId: id,
            mechanicId,
            fields: [
              ...(patch.startTime ? ['body.start_time'] : []),
              ...(patch.endTime ? ['body.end_time'] : []),
            ],
          };
          const task =
            (await tx.tasks.update(orgId, id, before.version, { ...patch, requiredParts })) ??
            concurrentUpdate();
          // A moved window is a schedule change too (issue 13): reason null, a change of its own.
          if (
            task.startTime.getTime() !== before.startTime.getTime() ||
            task.endTime.getTime() !== before.endTime.getTime()
          ) {
            await tx.schedule.insertChanges([
              {
                orgId,
                taskId: id,
                changeId: randomUUID(),
                oldStartTime: before.startTime,
                oldEndTime: before.endTime,
                newStartTime: task.startTime,
                newEndTime: task.endTime,
                reason: null,
                cascadedFromTaskId: null,
                ...changedBy(ctx.actor),
              },
            ]);
          }
          const effects = taskEffects({
            action: 'update',
            type: 'task_updated',
            before,
            after: task,
            occurredAt: task.updatedAt,
          });
          return this.withReconciledAircraft(tx, task, effects);
        }),
    );
  }

  /**
   * Soft-deletes a task that is neither in progress (409 TASK_IN_PROGRESS) nor completed (409
   * TASK_COMPLETED) and releases its reservations.
   */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'maintenance_tasks', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    await mutate(this.deps.uow, ctx, async (tx) => {
      if (!(await tx.tasks.lockAircraftOfTask(orgId, id))) notFound();
      const before = (await tx.tasks.findById(orgId, id, { lock: true })) ?? notFound();
      refuse(before.deletionRefusal());
      const task = (await tx.tasks.softDelete(orgId, id, before.version)) ?? concurrentUpdate();
      const effects = taskEffects({
        action: 'delete',
        type: 'task_deleted',
        before,
        subject: task,
        occurredAt: task.updatedAt,
      });
      const releases = await releaseReservations(tx, task, 'task_deleted');
      const directive = await directiveTaskReleased(tx, task, 'task_deleted');
      const change = await this.withReconciledAircraft(tx, task, {
        audit: [effects.audit, ...releases.audit, ...directive.audit],
        events: [...effects.events, ...releases.events, ...directive.events],
      });
      return { ...change, result: undefined };
    });
  }

  /**
   * Moves a task to another state. The task entity checks every rule against the facts read
   * here; the change applies only if the task is still at the version read, so of two racing
   * transitions exactly one wins and the other gets 409 CONCURRENT_UPDATE.
   */
  async transition(
    ctx: MutationContext,
    id: string,
    input: TransitionTaskInput,
    scope: OrgScope = {},
  ): Promise<MaintenanceTask> {
    authorize(ctx.actor, 'maintenance_tasks', 'transition');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const read = (await tx.tasks.findById(orgId, id)) ?? notFound();
      let aircraft = (await tx.tasks.lockAircraft(orgId, read.aircraftId)) ?? notFound();
      // Locking the task also waits for reservations and compliance items being added to it, so
      // the facts below are complete.
      if (!(await tx.tasks.lockAtVersion(orgId, id, read.version))) concurrentUpdate();
      const now = this.now();
      // A start needs a grounded aircraft: bring its status in line first, so a task inside its
      // start grace does not wait for the aircraft-status job's next minute.
      const grounding =
        input.newState === 'in_progress'
          ? await reconcileAircraftStatus(tx, { orgId, aircraftId: read.aircraftId, now })
          : { audit: [], events: [] };
      if (grounding.events.length > 0)
        aircraft = (await tx.tasks.lockAircraft(orgId, read.aircraftId)) ?? notFound();
      const work = await tx.tasks.workFacts(orgId, read);
      const mechanicActive = await isActiveMechanic(tx, orgId, read.assignedMechanicId);
      // Cancelling never waits for predecessors; starting and completing may.
      const predecessors = input.newState === 'cancelled' ? [] : await tx.tasks.predecessors(orgId, id);
      const decision = read.transition(input.newState, {
        now,
        actor: taskActor(ctx.actor),
        notes: input.notes,
        allowEarlyCompletion: input.allowEarlyCompletion,
        allowLateCancel: input.allowLateCancel,
        facts: {
          ...work,
          aircraftGrounded: aircraft.status === 'grounded',
          assignedMechanicActive: mechanicActive,
          predecessors,
        },
      });
      if (!decision.ok) throw refusalError(decision.refusal);
      // Starting and completing check the mechanic again, at this moment: a licence may have been
      // revoked, or may expire before the work ends (the window runs to now when work overruns).
      let aircraftTypeId: string | null = null;
      if (
        (decision.to === 'in_progress' || decision.to === 'completed') &&
        read.assignedMechanicId !== null
      ) {
        const end = read.endTime.getTime() < now.getTime() ? now : read.endTime;
        const work = await assertQualified(tx, {
          task: read,
          userId: read.assignedMechanicId,
          purpose: 'perform',
          window: { start: read.startTime, end },
          field: 'assigned_mechanic_id',
        });
        aircraftTypeId = work.aircraftTypeId;
      }

      const task =
        (await tx.tasks.update(orgId, id, read.version, {
          state: decision.to,
          notes: decision.notes,
          startedAt: decision.to === 'in_progress' ? now : undefined,
          completedAt: decision.to === 'completed' ? now : undefined,
        })) ?? concurrentUpdate();
      const effects = taskEffects({
        action: 'state_change',
        type: 'task_state_changed',
        before: read,
        after: task,
        occurredAt: task.updatedAt,
        discriminator: [task.state, task.version],
        extra: { from: decision.from, to: decision.to, overrides: decision.overridesUsed },
      });
      const followUps = await transitionFollowUps(tx, task, decision, now, changeId, aircraftTypeId);
      // A task that remembers a directive moves the directive's row on its aircraft (issue 12).
      const directive =
        decision.to === 'in_progress'
          ? await directiveTaskStarted(tx, task)
          : decision.to === 'completed'
            ? await directiveTaskCompleted(tx, ctx.actor, task, now)
            : decision.to === 'cancelled'
              ? await directiveTaskReleased(tx, task, 'task_cancelled')
              : { audit: [], events: [] };
      const change = await this.withReconciledAircraft(tx, task, {
        audit: [...grounding.audit, effects.audit, ...followUps.audit, ...directive.audit],
        events: [...grounding.events, ...effects.events, ...followUps.events, ...directive.events],
      });
      // A completed program task's next occurrence, audited under whoever completed it; its
      // insert records its own rows, so it runs after the completion's are recorded.
      const { programId } = task;
      if (!decision.recordCompletion || programId === null) return change;
      const actor = auditActor(ctx.actor, ctx.request);
      return {
        ...change,
        afterRecorded: (repos) => scheduleNextOccurrence(repos, { orgId, programId, now, actor }),
      };
    });
  }

  /** Adds the aircraft status workflow's effects of a task change to the change's own. */
  private async withReconciledAircraft(
    tx: Repositories,
    task: MaintenanceTask,
    effects: { audit: AuditEntry | AuditEntry[]; events: DomainEvent[] },
  ): Promise<{ result: MaintenanceTask; audit: AuditEntry[]; events: DomainEvent[] }> {
    const reconciled = await reconcileAircraftStatus(tx, {
      orgId: task.orgId,
      aircraftId: task.aircraftId,
      now: this.now(),
    });
    return {
      result: task,
      audit: [effects.audit, reconciled.audit].flat(),
      events: [...effects.events, ...reconciled.events],
    };
  }

  /**
   * Runs a change that books a window; when the database refuses an overlap, looks the
   * conflicting task up (in a fresh query, the failed transaction is gone) and names it.
   */
  private async explainingOverlap<T>(
    orgId: string,
    attempted: AttemptedWindow | (() => AttemptedWindow | undefined),
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const window = typeof attempted === 'function' ? attempted() : attempted;
      if (isAppError(error) && error.reason === 'MECHANIC_BUSY' && window?.mechanicId) {
        // A concurrent assignment won the race past the check in the transaction; the database's
        // exclusion constraint refused this one. Name the task it lost to.
        const other = await this.deps.uow.repos.tasks.findMechanicOverlap(
          orgId,
          window.mechanicId,
          window.startTime,
          window.endTime,
          window.excludeId,
        );
        if (!other) throw error;
        throw mechanicBusy(window.mechanicId, other.id, { start: window.startTime, end: window.endTime });
      }
      if (!isAppError(error) || error.reason !== 'TASK_OVERLAP' || !window) throw error;
      const other = await this.deps.uow.repos.tasks.findOverlapping(
        orgId,
        window.aircraftId,
        window.startTime,
        window.endTime,
        window.excludeId,
      );
      if (!other) throw error;
      const span = `${other.startTime.toISOString()} to ${other.endTime.toISOString()}`;
      const message = `overlaps task ${other.id} (${other.state}, ${span})`;
      throw AppError.conflict(
        'TASK_OVERLAP',
        `the aircraft is already booked from ${span} by task ${other.id} (${other.state}); the window ${window.startTime.toISOString()} to ${window.endTime.toISOString()} overlaps it`,
        window.fields.map((field) => ({ field, message })),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const notFound = (): never => {
  throw AppError.notFound('maintenance task', 'TASK_NOT_FOUND');
};

const concurrentUpdate = (): never => {
  throw AppError.conflict(
    'CONCURRENT_UPDATE',
    'the task was changed by another request while this one ran; read it again and retry',
  );
};

/** A body field naming something that does not exist in the organization: 404 naming the field. */
const missingReference = (field: string, reason: string, entity: string): AppError =>
  new AppError('not_found', reason, `${entity} not found in this organization`, [
    { field, message: `no live ${entity} with this id in the organization` },
  ]);

/** A domain refusal as the AppError it is at the edge, naming the field at fault. */
const refusalError = (refusal: TaskRefusal): AppError =>
  new AppError(
    refusal.kind,
    refusal.reason,
    refusal.message,
    refusal.details ??
      (refusal.field === undefined ? undefined : [{ field: refusal.field, message: refusal.message }]),
  );

function refuse(refusal: TaskRefusal | undefined): void {
  if (refusal) throw refusalError(refusal);
}

/** The acting user as the task's rules see them; a background job acts like an admin. */
const taskActor = (actor: Actor): TaskActor =>
  actor.kind === 'user' ? { role: actor.role, userId: actor.userId } : { role: 'system', userId: null };

/** Refuses (400) a part definition listed twice, naming the second occurrence. */
function checkedRequiredParts(parts: RequiredPart[]): RequiredPart[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  parts.forEach((part, index) => {
    if (seen.has(part.partDefinitionId)) {
      problems.push({
        field: `body.required_parts.${index}.part_definition_id`,
        message: 'is listed more than once; give each part definition once with its total quantity',
      });
    }
    seen.add(part.partDefinitionId);
  });
  if (problems.length > 0) {
    throw AppError.validation(
      'required_parts lists a part definition more than once',
      problems,
      'DUPLICATE_REQUIRED_PART',
    );
  }
  return parts;
}

/**
 * Checks the ids a task body names, inside the transaction: a live program of the org (bound to
 * this aircraft or a template), a live user of the org with the mechanic role, live part definitions.
 */
async function checkReferences(
  tx: Repositories,
  orgId: string,
  aircraftId: string,
  refs: {
    programId?: string | undefined;
    assignedMechanicId?: string | undefined;
    requiredParts?: RequiredPart[] | undefined;
  },
): Promise<void> {
  if (refs.programId !== undefined) {
    // Locked, so a program being deleted either sees this task or is gone before it is checked.
    const program = await tx.programs.findById(orgId, refs.programId, { lock: true });
    if (!program) throw missingReference('body.program_id', 'PROGRAM_NOT_FOUND', 'maintenance program');
    if (program.aircraftId !== null && program.aircraftId !== aircraftId) {
      throw AppError.validation(
        `maintenance program ${program.id} belongs to aircraft ${program.aircraftId}, not to the task's aircraft`,
        [{ field: 'body.program_id', message: 'belongs to another aircraft' }],
        'PROGRAM_AIRCRAFT_MISMATCH',
      );
    }
  }
  if (refs.assignedMechanicId !== undefined) {
    const user = await tx.users.findById(orgId, refs.assignedMechanicId);
    if (!user) throw missingReference('body.assigned_mechanic_id', 'MECHANIC_NOT_FOUND', 'user');
    if (user.role !== 'mechanic') {
      throw AppError.validation(
        `user ${user.id} is a ${user.role}, not a mechanic; only mechanics are assigned to tasks`,
        [{ field: 'body.assigned_mechanic_id', message: 'is not a mechanic' }],
        'NOT_A_MECHANIC',
      );
    }
  }
  const parts = refs.requiredParts ?? [];
  if (parts.length > 0) {
    const missing = new Set(
      await tx.tasks.missingPartDefinitions(
        orgId,
        parts.map((part) => part.partDefinitionId),
      ),
    );
    if (missing.size > 0) {
      throw new AppError(
        'not_found',
        'PART_DEFINITION_NOT_FOUND',
        `part definition not found in this organization: ${[...missing].join(', ')}`,
        parts.flatMap((part, index) =>
          missing.has(part.partDefinitionId)
            ? [
                {
                  field: `body.required_parts.${index}.part_definition_id`,
                  message: 'no live part definition with this id in the organization',
                },
              ]
            : [],
        ),
      );
    }
  }
}

/** Whether the user is a live mechanic of the org (a deleted or re-roled one no longer counts). */
async function isActiveMechanic(tx: Repositories, orgId: string, userId: string | null): Promise<boolean> {
  if (userId === null) return false;
  const user = await tx.users.findById(orgId, userId);
  return user?.role === 'mechanic';
}

/** What one change to a task records. */
export interface TaskChange {
  action: AuditAction;
  type: EventType;
  before?: MaintenanceTask;
  after?: MaintenanceTask;
  /** The task as the change left it when `after` is not shown (a deletion). */
  subject?: MaintenanceTask;
  occurredAt: Date;
  /** Unique per change beyond type, org and task; defaults to the task's new version (none for creation). */
  discriminator?: (string | number)[];
  extra?: Record<string, unknown>;
}

/** The audit entry and the event of one change to a task. */
export function taskEffects(change: TaskChange): { audit: AuditEntry; events: DomainEvent[] } {
  const subject = (change.subject ?? change.after ?? change.before)!;
  const data = taskView(subject);
  const discriminator = change.action === 'create' ? undefined : (change.discriminator ?? [subject.version]);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'maintenance_task',
    entityId: subject.id,
    action: change.action,
    entityVersion: subject.version,
    before: change.before && taskView(change.before),
    after: change.after && data,
    extra: change.extra,
    event: {
      type: change.type,
      discriminator,
      data: change.action === 'state_change' ? { ...data, previous_state: change.before?.state } : data,
      occurredAt: change.occurredAt,
    },
  });
}

/** The audit entries and events a change adds beside the task's own. */
type Effects = { audit: AuditEntry[]; events: DomainEvent[] };

/**
 * What an accepted transition does beyond the task itself: a cancellation releases the task's
 * reserved parts; a completion records the work on the program and the aircraft (and, once that is
 * recorded, `transition` schedules the program's next occurrence).
 */
async function transitionFollowUps(
  tx: Repositories,
  task: MaintenanceTask,
  plan: TransitionPlan,
  now: Date,
  changeId: string,
  aircraftTypeId: string | null,
): Promise<Effects> {
  const parts: Effects[] = [];
  if (plan.releaseReservations) parts.push(await releaseReservations(tx, task, 'task_cancelled'));
  if (plan.recordCompletion) {
    parts.push(await logRecency(tx, task, aircraftTypeId));
    if (task.programId !== null) {
      const program = { orgId: task.orgId, programId: task.programId };
      parts.push(await recordProgramPerformed(tx, { ...program, at: now, changeId }));
    }
    parts.push(await recordAircraftMaintenance(tx, task, now, changeId));
  }
  return { audit: parts.flatMap((p) => p.audit), events: parts.flatMap((p) => p.events) };
}

/** The most hours one recency entry holds (numeric(8, 2)). */
const MAX_RECENCY_HOURS = 999_999.99;

/**
 * Logs the assigned mechanic's hours on the aircraft's type for a completed task: the worked time
 * (completed_at − started_at, at least 0.01 h), or the task's window when it never recorded a
 * start. Nothing when no mechanic is assigned or the aircraft has no type.
 */
async function logRecency(
  tx: Repositories,
  task: MaintenanceTask,
  aircraftTypeId: string | null,
): Promise<Effects> {
  const performedAt = task.completedAt;
  if (task.assignedMechanicId === null || aircraftTypeId === null || performedAt === null)
    return { audit: [], events: [] };
  const worked =
    task.startedAt === null
      ? task.endTime.getTime() - task.startTime.getTime()
      : performedAt.getTime() - task.startedAt.getTime();
  const hours = Math.min(MAX_RECENCY_HOURS, Math.max(0.01, Math.round(worked / 36_000) / 100));
  const entry = await tx.qualifications.insertRecencyEntry({
    orgId: task.orgId,
    userId: task.assignedMechanicId,
    aircraftTypeId,
    hours,
    performedAt,
    taskId: task.id,
    notes: null,
  });
  if (!entry) return { audit: [], events: [] };
  // Shown as the people context shows a recency entry (GET /users/{id}/recency), source "task".
  const logged = await tx.people.findRecency(task.orgId, task.assignedMechanicId, entry.id);
  const data = logged ? recencyView(logged) : entry;
  const effects = entityEffects({
    orgId: task.orgId,
    entityType: 'recency_entry',
    entityId: entry.id,
    action: 'create',
    after: data,
    extra: { reason: 'task_completed', task_id: task.id },
    event: { type: 'recency_logged', data, occurredAt: performedAt },
  });
  return { audit: [effects.audit], events: effects.events };
}

/**
 * Releases the task's reserved parts because the task was cancelled or deleted: a state change
 * of each reservation, recorded as the parts context records a release (once per reservation).
 */
async function releaseReservations(
  tx: Repositories,
  task: MaintenanceTask,
  reason: 'task_cancelled' | 'task_deleted',
): Promise<Effects> {
  // Released items return to stock: watched like any release, so a definition back above its
  // reorder point says so (part_stock_replenished).
  const watch = await StockWatch.open(
    tx,
    task.orgId,
    await tx.stock.definitionsReservedFor(task.orgId, task.id),
  );
  const released = await tx.tasks.releaseReservations(task.orgId, task.id);
  const stock = await watch.settle(
    { event: 'part_released', entityId: task.id, changeId: reason },
    released[0]?.after.updatedAt ?? new Date(),
  );
  return {
    audit: released.map(({ before, after }) => ({
      orgId: after.orgId,
      entityType: 'part_reservation',
      entityId: after.id,
      action: 'state_change',
      before: partReservationView(before),
      after: partReservationView(after),
      extra: { reason, task_id: task.id },
    })),
    events: released
      .map(({ after }) =>
        domainEvent({
          orgId: after.orgId,
          type: 'part_released',
          aggregateType: 'part_reservation',
          aggregateId: after.id,
          data: { ...partReservationView(after), reason },
          occurredAt: after.updatedAt,
        }),
      )
      .concat(stock),
  };
}

/**
 * Records a completion on the aircraft: last_maintenance becomes `at`, and a next_due this
 * maintenance reached is cleared (next_due must lie after last_maintenance; the programs say
 * when the next maintenance falls due). Audited as a change to the aircraft.
 */
async function recordAircraftMaintenance(
  tx: Repositories,
  task: MaintenanceTask,
  at: Date,
  changeId: string,
): Promise<Effects> {
  const before = await tx.aircraft.findById(task.orgId, task.aircraftId, { lock: true });
  if (!before) return { audit: [], events: [] };
  const nextDueReached = before.nextDue !== null && before.nextDue.getTime() <= at.getTime();
  const after = await tx.aircraft.update(task.orgId, task.aircraftId, {
    lastMaintenance: at,
    ...(nextDueReached ? { nextDue: null } : {}),
  });
  if (!after) return { audit: [], events: [] };
  const data = aircraftView(after);
  return {
    audit: [
      {
        orgId: task.orgId,
        entityType: 'aircraft',
        entityId: task.aircraftId,
        action: 'update',
        before: aircraftView(before),
        after: data,
        extra: { reason: 'task_completed', task_id: task.id, next_due_cleared: nextDueReached },
      },
    ],
    events: [
      domainEvent({
        orgId: task.orgId,
        type: 'aircraft_updated',
        aggregateType: 'aircraft',
        aggregateId: task.aircraftId,
        discriminator: changeId,
        data: { ...data, task_id: task.id },
        occurredAt: after.updatedAt,
      }),
    ],
  };
}
