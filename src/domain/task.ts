import type { Role } from './roles.js';
import {
  blockerSentence,
  dependencyBlockers,
  type PredecessorFacts,
  type TaskPriority,
} from './scheduling.js';

/** The kinds of maintenance work. */
export const TASK_TYPES = ['inspection', 'repair', 'overhaul'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** The states of a task: scheduled → in_progress → completed, or cancelled from any non-final state. */
export const TASK_STATES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Completed and cancelled tasks never change again; a correction is a new task. */
export const FINAL_STATES: readonly TaskState[] = ['completed', 'cancelled'];

/** The moves the state machine allows, from each state. */
const NEXT_STATES: Record<TaskState, readonly TaskState[]> = {
  scheduled: ['in_progress', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

const MINUTE_MS = 60_000;
/** A task may start this long before its start_time. */
export const START_GRACE_MS = 5 * MINUTE_MS;
/**
 * A confirmed task grounds its aircraft at least this long before its start_time, whatever the
 * org's grounding lead time: starting needs a grounded aircraft, and a task may start
 * START_GRACE_MS early, so a shorter lead (0 is allowed) would leave that grace unreachable.
 */
export const MIN_GROUNDING_LEAD_MS = START_GRACE_MS;
/** A task may be cancelled until this long after its start_time (later only with an admin override). */
export const CANCEL_WINDOW_MS = 24 * 60 * MINUTE_MS;

/** How many items of one part definition the task needs. */
export interface RequiredPart {
  partDefinitionId: string;
  quantity: number;
}

/** Every field of a maintenance task. */
export interface TaskProps {
  id: string;
  orgId: string;
  aircraftId: string;
  programId: string | null;
  /** The airworthiness directive the task was booked to comply with (null or unset: none). */
  directiveId?: string | null;
  /** How urgent the task is (unset: routine). */
  priority?: TaskPriority;
  type: TaskType;
  state: TaskState;
  startTime: Date;
  endTime: Date;
  assignedMechanicId: string | null;
  notes: string | null;
  /** Bumped on every change; transitions are conditional on it. */
  version: number;
  requiredParts: RequiredPart[];
  /** When the task moved to in_progress (null before, and for tasks started before it was recorded). */
  startedAt?: Date | null;
  /** When the task moved to completed. */
  completedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Who asks for a transition: a user with a role, or a background job (which acts like an admin). */
export interface TaskActor {
  role: Role | 'system';
  userId: string | null;
}

/** One required part definition and how many of the task's reservations cover it. */
export interface RequiredPartCoverage extends RequiredPart {
  /** Reservations of the task in state reserved or used, on items of this definition. */
  reservedOrUsed: number;
  /** Reservations of the task in state used, on items of this definition. */
  used: number;
}

/** What the state machine needs to know about the world around the task. */
export interface TransitionFacts {
  aircraftGrounded: boolean;
  /** The assigned mechanic is a live user of the task's organization with the mechanic role. */
  assignedMechanicActive: boolean;
  requiredParts: RequiredPartCoverage[];
  /** Reservations of the task still in state reserved. */
  openReservations: number;
  /** Live compliance items of the task not signed off, or signed off with a pending result. */
  incompleteCompliance: number;
  /** Live compliance items of the task that require an independent inspection not made yet. */
  pendingInspections: readonly PendingInspection[];
  /**
   * The task's predecessors (the tasks it depends on) with their states; unset: none. A start
   * waits for finish-to-start ones to be completed and start-to-start ones to have started, a
   * completion for finish-to-finish ones to be completed; cancelled or deleted ones never block.
   */
  predecessors?: readonly PredecessorFacts[];
}

/** A compliance item of the task still awaiting its independent inspection. */
export interface PendingInspection {
  id: string;
  description: string;
}

/** A request to move a task to another state, with the facts to judge it by. */
export interface TransitionContext {
  now: Date;
  actor: TaskActor;
  /** Notes given with the transition; they replace the task's notes. */
  notes?: string | undefined;
  /** Complete before end_time (scheduler or admin only). */
  allowEarlyCompletion?: boolean | undefined;
  /** Cancel later than 24 hours after start_time (admin only). */
  allowLateCancel?: boolean | undefined;
  facts: TransitionFacts;
}

/** Every reason the task refuses a change; each has its own `reason` on the wire. */
export type TaskRefusalReason =
  | 'INVALID_TRANSITION'
  | 'OVERRIDE_NOT_APPLICABLE'
  | 'TOO_EARLY_TO_START'
  | 'AIRCRAFT_NOT_GROUNDED'
  | 'NO_ASSIGNED_MECHANIC'
  | 'NOT_ASSIGNED_MECHANIC'
  | 'REQUIRED_PARTS_NOT_RESERVED'
  | 'TOO_EARLY_TO_COMPLETE'
  | 'OVERRIDE_NOT_ALLOWED'
  | 'RESERVATIONS_OPEN'
  | 'COMPLIANCE_INCOMPLETE'
  | 'INSPECTION_PENDING'
  | 'DEPENDENCY_NOT_MET'
  | 'NOTES_REQUIRED'
  | 'CANCEL_NOT_ALLOWED'
  | 'TOO_LATE_TO_CANCEL'
  | 'TASK_FINAL'
  | 'TASK_IN_PROGRESS'
  | 'TASK_COMPLETED'
  | 'START_TIME_FROZEN'
  | 'END_BEFORE_START';

/**
 * Why a change is refused: the kind of refusal, its reason, a message for a person and the field at
 * fault — or, when several things block it, `details` naming each.
 */
export interface TaskRefusal {
  kind: 'conflict' | 'forbidden' | 'validation';
  reason: TaskRefusalReason;
  message: string;
  field?: string;
  details?: { field: string; message: string }[];
}

/** An accepted transition: what changes on the task and what else the change must do. */
export interface TransitionPlan {
  ok: true;
  from: TaskState;
  to: TaskState;
  /** The task's notes after the transition. */
  notes: string | null;
  /** Release the task's reservations that are still reserved (on cancel). */
  releaseReservations: boolean;
  /** Record the maintenance as performed on the program and the aircraft (on completion). */
  recordCompletion: boolean;
  /** The overrides this transition actually relied on, for the audit trail. */
  overridesUsed: { allow_early_completion?: true; allow_late_cancel?: true };
}

export type TransitionDecision = TransitionPlan | { ok: false; refusal: TaskRefusal };

const refuse = (
  kind: TaskRefusal['kind'],
  reason: TaskRefusalReason,
  message: string,
  field?: string,
): { ok: false; refusal: TaskRefusal } => ({
  ok: false,
  refusal: field === undefined ? { kind, reason, message } : { kind, reason, message, field },
});

const isBlank = (text: string | null | undefined): boolean =>
  text === null || text === undefined || text.trim() === '';
const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
const isScheduler = (actor: TaskActor): boolean =>
  actor.role === 'scheduler' || actor.role === 'admin' || actor.role === 'system';
const isAdmin = (actor: TaskActor): boolean => actor.role === 'admin' || actor.role === 'system';

/**
 * Why a task may not have this window, or undefined when it may: the end must come after the start.
 * `field` names the request field to blame.
 */
export function windowRefusal(
  startTime: Date,
  endTime: Date,
  field = 'body.end_time',
): TaskRefusal | undefined {
  if (endTime.getTime() > startTime.getTime()) return undefined;
  return {
    kind: 'validation',
    reason: 'END_BEFORE_START',
    message: `end_time (${endTime.toISOString()}) must be after start_time (${startTime.toISOString()})`,
    field,
  };
}

/**
 * MaintenanceTask.editRefusal for a task known only by its state and start (a reschedule's graph
 * reads no more): a completed or cancelled task never changes; one in progress keeps its start.
 */
export function editRefusalOf(
  task: { state: TaskState; startTime: Date },
  changes: { startTime?: Date | undefined } = {},
): TaskRefusal | undefined {
  if (FINAL_STATES.includes(task.state)) {
    return {
      kind: 'conflict',
      reason: 'TASK_FINAL',
      message: `the task is ${task.state} and can no longer change; schedule a new task for a correction`,
    };
  }
  const moved = changes.startTime !== undefined && changes.startTime.getTime() !== task.startTime.getTime();
  if (task.state !== 'in_progress' || !moved) return undefined;
  return {
    kind: 'conflict',
    reason: 'START_TIME_FROZEN',
    message: `the task is in progress since its start_time ${task.startTime.toISOString()}, which no longer moves; its end_time may`,
    field: 'body.start_time',
  };
}

/**
 * A maintenance task: an aircraft's time window for one piece of work, with its state machine.
 * The task decides every state change itself (`transition`); services only load the facts it
 * asks for and persist what it decides.
 */
export class MaintenanceTask implements TaskProps {
  readonly id: string;
  readonly orgId: string;
  readonly aircraftId: string;
  readonly programId: string | null;
  readonly directiveId: string | null;
  readonly priority: TaskPriority;
  readonly type: TaskType;
  readonly state: TaskState;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly assignedMechanicId: string | null;
  readonly notes: string | null;
  readonly version: number;
  readonly requiredParts: RequiredPart[];
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;

  constructor(props: TaskProps) {
    this.id = props.id;
    this.orgId = props.orgId;
    this.aircraftId = props.aircraftId;
    this.programId = props.programId;
    this.directiveId = props.directiveId ?? null;
    this.priority = props.priority ?? 'routine';
    this.type = props.type;
    this.state = props.state;
    this.startTime = props.startTime;
    this.endTime = props.endTime;
    this.assignedMechanicId = props.assignedMechanicId;
    this.notes = props.notes;
    this.version = props.version;
    this.requiredParts = props.requiredParts;
    this.startedAt = props.startedAt ?? null;
    this.completedAt = props.completedAt ?? null;
    this.createdAt = props.createdAt;
    this.updatedAt = props.updatedAt;
  }

  get isFinal(): boolean {
    return FINAL_STATES.includes(this.state);
  }

  /**
   * Why the task's fields may not be edited as asked, or undefined: a completed or cancelled task
   * never changes, and a task in progress keeps its `start_time` — the start is when work began
   * on record, and the 24 h cancel window runs from it, so moving it would reopen a window that
   * only an admin's override may reopen. Its end may still move (work overruns).
   */
  editRefusal(changes: { startTime?: Date | undefined } = {}): TaskRefusal | undefined {
    return editRefusalOf(this, changes);
  }

  /**
   * Why the task may not be deleted, or undefined: work on it is under way, or it is completed —
   * a completed task is the maintenance record (with the parts fitted to the aircraft) and is final.
   */
  deletionRefusal(): TaskRefusal | undefined {
    if (this.state === 'in_progress') {
      return {
        kind: 'conflict',
        reason: 'TASK_IN_PROGRESS',
        message: 'the task is in progress and cannot be deleted; complete or cancel it first',
      };
    }
    if (this.state === 'completed') {
      return {
        kind: 'conflict',
        reason: 'TASK_COMPLETED',
        message:
          'the task is completed: it is the record of maintenance performed and the parts fitted, and is never deleted',
      };
    }
    return undefined;
  }

  /**
   * Checks every rule for moving this task to `to` and either refuses with the first rule
   * broken or returns what the transition changes and what else it must do.
   */
  transition(to: TaskState, ctx: TransitionContext): TransitionDecision {
    const from = this.state;
    if (!NEXT_STATES[from].includes(to)) {
      const why = this.isFinal ? `: a ${from} task is final` : '';
      return refuse('conflict', 'INVALID_TRANSITION', `cannot move a task from ${from} to ${to}${why}`);
    }
    const misplaced = misplacedOverride(to, ctx);
    if (misplaced) return misplaced;
    const refusal =
      to === 'in_progress'
        ? this.startRefusal(ctx)
        : to === 'completed'
          ? this.completionRefusal(ctx)
          : this.cancelRefusal(ctx);
    if (refusal) return refusal;

    const overridesUsed: TransitionPlan['overridesUsed'] = {};
    if (to === 'completed' && ctx.now < this.endTime) overridesUsed.allow_early_completion = true;
    if (to === 'cancelled' && ctx.now.getTime() >= this.cancelDeadline())
      overridesUsed.allow_late_cancel = true;
    return {
      ok: true,
      from,
      to,
      notes: ctx.notes ?? this.notes,
      releaseReservations: to === 'cancelled',
      recordCompletion: to === 'completed',
      overridesUsed,
    };
  }

  private startRefusal(ctx: TransitionContext): { ok: false; refusal: TaskRefusal } | undefined {
    const { now, actor, facts } = ctx;
    if (this.assignedMechanicId === null || !facts.assignedMechanicActive) {
      const why =
        this.assignedMechanicId === null
          ? 'no mechanic is assigned'
          : 'the assigned mechanic is no longer an active mechanic of the organization';
      return refuse('conflict', 'NO_ASSIGNED_MECHANIC', `the task cannot start: ${why}`);
    }
    const notAssigned = this.assignedMechanicRefusal(actor, 'start');
    if (notAssigned) return notAssigned;
    const waiting = dependencyRefusal('in_progress', facts);
    if (waiting) return waiting;
    const earliest = new Date(this.startTime.getTime() - START_GRACE_MS);
    if (now < earliest) {
      return refuse(
        'conflict',
        'TOO_EARLY_TO_START',
        `the task cannot start before ${earliest.toISOString()} (5 minutes before its start_time ${this.startTime.toISOString()})`,
      );
    }
    if (!facts.aircraftGrounded) {
      return refuse(
        'conflict',
        'AIRCRAFT_NOT_GROUNDED',
        'the task cannot start while its aircraft is not grounded',
      );
    }
    const short = facts.requiredParts.filter((part) => part.reservedOrUsed < part.quantity);
    if (short.length > 0) {
      const list = short
        .map((part) => `${part.partDefinitionId} (${part.reservedOrUsed} of ${part.quantity} reserved)`)
        .join(', ');
      return refuse(
        'conflict',
        'REQUIRED_PARTS_NOT_RESERVED',
        `the task cannot start until its required parts are reserved: ${list}`,
      );
    }
    return undefined;
  }

  private completionRefusal(ctx: TransitionContext): { ok: false; refusal: TaskRefusal } | undefined {
    const { now, actor, facts } = ctx;
    const notAssigned = this.assignedMechanicRefusal(actor, 'complete');
    if (notAssigned) return notAssigned;
    const waiting = dependencyRefusal('completed', facts);
    if (waiting) return waiting;
    if (ctx.allowEarlyCompletion === true && !isScheduler(actor)) {
      return refuse(
        'forbidden',
        'OVERRIDE_NOT_ALLOWED',
        'only a scheduler or an admin may complete a task early (allow_early_completion)',
        'body.allow_early_completion',
      );
    }
    if (now < this.endTime && ctx.allowEarlyCompletion !== true) {
      return refuse(
        'conflict',
        'TOO_EARLY_TO_COMPLETE',
        `the task cannot complete before its end_time ${this.endTime.toISOString()} unless a scheduler or admin passes allow_early_completion`,
      );
    }
    const unused = facts.requiredParts.filter((part) => part.used < part.quantity);
    if (facts.openReservations > 0 || unused.length > 0) {
      const problems: string[] = [];
      if (facts.openReservations > 0) {
        problems.push(
          `${plural(facts.openReservations, 'reservation is', 'reservations are')} still reserved; mark them used or release them`,
        );
      }
      for (const part of unused) {
        problems.push(`required part ${part.partDefinitionId} has ${part.used} of ${part.quantity} used`);
      }
      return refuse('conflict', 'RESERVATIONS_OPEN', `the task cannot complete: ${problems.join('; ')}`);
    }
    if (facts.incompleteCompliance > 0) {
      return refuse(
        'conflict',
        'COMPLIANCE_INCOMPLETE',
        `the task cannot complete: ${plural(facts.incompleteCompliance, 'compliance item is', 'compliance items are')} not signed off with a pass or fail result`,
      );
    }
    if (facts.pendingInspections.length > 0) {
      const pending = facts.pendingInspections;
      return {
        ok: false,
        refusal: {
          kind: 'conflict',
          reason: 'INSPECTION_PENDING',
          message: `the task cannot complete: ${plural(pending.length, 'compliance item awaits', 'compliance items await')} an independent inspection: ${pending.map((item) => item.id).join(', ')}`,
          details: pending.map((item) => ({
            field: `compliance_items[${item.id}]`,
            message: `"${item.description}" awaits its independent inspection by someone other than its performer`,
          })),
        },
      };
    }
    if (isBlank(ctx.notes ?? this.notes)) {
      return refuse(
        'validation',
        'NOTES_REQUIRED',
        'completing a task requires notes describing the work done',
        'body.notes',
      );
    }
    return undefined;
  }

  private cancelRefusal(ctx: TransitionContext): { ok: false; refusal: TaskRefusal } | undefined {
    const { now, actor } = ctx;
    if (!isScheduler(actor)) {
      return refuse('forbidden', 'CANCEL_NOT_ALLOWED', 'only a scheduler or an admin may cancel a task');
    }
    if (ctx.allowLateCancel === true && !isAdmin(actor)) {
      return refuse(
        'forbidden',
        'OVERRIDE_NOT_ALLOWED',
        'only an admin may cancel a task late (allow_late_cancel)',
        'body.allow_late_cancel',
      );
    }
    const deadline = this.cancelDeadline();
    if (now.getTime() >= deadline && ctx.allowLateCancel !== true) {
      return refuse(
        'conflict',
        'TOO_LATE_TO_CANCEL',
        `the task could be cancelled only until ${new Date(deadline).toISOString()} (24 hours after its start_time); an admin may override with allow_late_cancel`,
      );
    }
    return undefined;
  }

  /** A mechanic works only on the task assigned to them; schedulers and admins on any. */
  private assignedMechanicRefusal(
    actor: TaskActor,
    verb: string,
  ): { ok: false; refusal: TaskRefusal } | undefined {
    if (actor.role !== 'mechanic' || actor.userId === this.assignedMechanicId) return undefined;
    return refuse(
      'forbidden',
      'NOT_ASSIGNED_MECHANIC',
      `only the mechanic assigned to this task may ${verb} it`,
    );
  }

  private cancelDeadline(): number {
    return this.startTime.getTime() + CANCEL_WINDOW_MS;
  }
}

/** An override flag that belongs to another transition is a mistake in the request. */
function misplacedOverride(
  to: TaskState,
  ctx: TransitionContext,
): { ok: false; refusal: TaskRefusal } | undefined {
  if (ctx.allowEarlyCompletion === true && to !== 'completed') {
    return refuse(
      'validation',
      'OVERRIDE_NOT_APPLICABLE',
      'allow_early_completion applies only when new_state is completed',
      'body.allow_early_completion',
    );
  }
  if (ctx.allowLateCancel === true && to !== 'cancelled') {
    return refuse(
      'validation',
      'OVERRIDE_NOT_APPLICABLE',
      'allow_late_cancel applies only when new_state is cancelled',
      'body.allow_late_cancel',
    );
  }
  return undefined;
}

/**
 * The predecessors that keep the task from moving to `to` (scheduling's dependencyBlockers), as a
 * 409 DEPENDENCY_NOT_MET naming each blocker.
 */
function dependencyRefusal(
  to: 'in_progress' | 'completed',
  facts: TransitionFacts,
): { ok: false; refusal: TaskRefusal } | undefined {
  const blockers = dependencyBlockers(to, facts.predecessors ?? []);
  if (blockers.length === 0) return undefined;
  const verb = to === 'in_progress' ? 'start' : 'complete';
  return {
    ok: false,
    refusal: {
      kind: 'conflict',
      reason: 'DEPENDENCY_NOT_MET',
      message: `the task cannot ${verb} yet: ${blockers.map(blockerSentence).join('; ')}`,
      details: blockers.map((blocker) => ({
        field: `dependencies[${blocker.dependencyId}]`,
        message: blockerSentence(blocker),
      })),
    },
  };
}
