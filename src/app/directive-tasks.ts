import {
  calendarDayOf,
  OPEN_TRACKING_STATUSES,
  projectedDueDate,
  type Due,
  type TrackingStatus,
} from '../domain/directive.js';
import { averageDailyUtilisation, complianceDeadline } from '../domain/due-list.js';
import type { MaintenanceTask, TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import { dueView } from './due-view.js';
import { AppError } from './errors.js';
import { mutate, type MutationContext } from './mutation.js';
import type { UnitOfWork } from './ports.js';
import type { TaskService } from './tasks.js';

/** A directive's tracking row on one aircraft as booking its task needs it, read under a row lock. */
export interface BookingTracking {
  id: string;
  status: TrackingStatus;
  directiveActive: boolean;
  referenceNumber: string;
  /** The effective limit: a deferred row's approved new limit, else its next due. */
  due: Due;
  /** The live scheduled or in-progress task already booked for it, if any. */
  liveTaskId: string | null;
  aircraftFlightHours: number;
  aircraftCycles: number;
  /** Flights recorded in the utilisation window (the last 90 days), summed. */
  flown: { flightHours: number; cycles: number };
}

/** The SQL of booking a directive's task. */
export interface DirectiveTaskRepository {
  /** The tracking row of a live directive on the aircraft, locked (FOR UPDATE), or undefined. */
  findTrackingForBooking(
    orgId: string,
    aircraftId: string,
    directiveId: string,
    now: Date,
  ): Promise<BookingTracking | undefined>;
  directiveExists(orgId: string, directiveId: string): Promise<boolean>;
  /**
   * The start of the aircraft's first free window of `durationMinutes` at or after `from`: no
   * live scheduled or in-progress task of the aircraft overlaps it.
   */
  firstFreeStart(orgId: string, aircraftId: string, from: Date, durationMinutes: number): Promise<Date>;
  /** Records the task booked for the tracking row. */
  attachTask(orgId: string, trackingId: string, taskId: string): Promise<void>;
}

/** What booking a directive's task asks for. */
export interface BookDirectiveTaskInput extends OrgScope {
  aircraftId: string;
  directiveId: string;
  type?: TaskType | undefined;
  /** The window's length; 240 minutes unless given. */
  durationMinutes?: number | undefined;
  /** The window starts no earlier than this (and never before now). */
  notBefore?: Date | undefined;
  assignedMechanicId?: string | undefined;
  notes?: string | undefined;
  /** Book the first free window even when it ends after the due (an overdue directive has no other). */
  allowAfterDue?: boolean | undefined;
}

export const DEFAULT_DIRECTIVE_TASK_MINUTES = 240;

const MINUTE_MS = 60_000;

/**
 * Books the maintenance task that complies with a directive on an aircraft, in the aircraft's
 * first free window that ends before the directive's (projected) due day is over. The task is
 * created by the task service's create path (references, the mechanic's qualification, audit and
 * `task_created`), remembers the directive, and the tracking row remembers the task.
 */
export class DirectiveTaskService {
  private readonly now: () => Date;

  constructor(private readonly deps: { uow: UnitOfWork; tasks: TaskService; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  async book(ctx: MutationContext, input: BookDirectiveTaskInput): Promise<MaintenanceTask> {
    authorize(ctx.actor, 'directive_compliance', 'book_task');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const duration = input.durationMinutes ?? DEFAULT_DIRECTIVE_TASK_MINUTES;
    return mutate(this.deps.uow, ctx, async (tx) => {
      // The lock every task change takes first: the free window found below stays free until commit.
      const aircraft = await tx.tasks.lockAircraft(orgId, input.aircraftId);
      if (!aircraft?.live) throw AppError.notFound('aircraft', 'AIRCRAFT_NOT_FOUND');
      const now = this.now();
      const tracking = await tx.dueList.findTrackingForBooking(
        orgId,
        input.aircraftId,
        input.directiveId,
        now,
      );
      if (!tracking) {
        if (!(await tx.dueList.directiveExists(orgId, input.directiveId))) {
          throw AppError.notFound('directive', 'DIRECTIVE_NOT_FOUND');
        }
        throw new AppError(
          'not_found',
          'DIRECTIVE_NOT_TRACKED',
          `directive ${input.directiveId} is not tracked on aircraft ${input.aircraftId}; scan the fleet for it first`,
        );
      }
      refuseUnbookable(tracking);
      const projected = projectedDueDate(
        tracking.due,
        {
          date: calendarDayOf(now),
          flightHours: tracking.aircraftFlightHours,
          cycles: tracking.aircraftCycles,
        },
        averageDailyUtilisation(tracking.flown),
      );
      const deadline = complianceDeadline(projected);
      const from = new Date(
        Math.ceil(Math.max(now.getTime(), input.notBefore?.getTime() ?? 0) / MINUTE_MS) * MINUTE_MS,
      );
      const start = await tx.dueList.firstFreeStart(orgId, input.aircraftId, from, duration);
      const end = new Date(start.getTime() + duration * MINUTE_MS);
      if (deadline !== null && end.getTime() > deadline.getTime() && !input.allowAfterDue) {
        throw AppError.conflict(
          'NO_WINDOW_BEFORE_DUE',
          `the aircraft has no free window of ${duration} minutes from ${from.toISOString()} that ends by ${deadline.toISOString()} (directive ${tracking.referenceNumber} due ${projected}); the first free window is ${start.toISOString()} to ${end.toISOString()} — send allow_after_due to book it`,
          [
            { field: 'first_free_window.start_time', message: start.toISOString() },
            { field: 'first_free_window.end_time', message: end.toISOString() },
            { field: 'due.deadline', message: deadline.toISOString() },
          ],
        );
      }
      const created = await this.deps.tasks.createLocked(tx, orgId, {
        aircraftId: input.aircraftId,
        type: input.type ?? 'inspection',
        startTime: start,
        endTime: end,
        assignedMechanicId: input.assignedMechanicId,
        notes: input.notes,
        directiveId: input.directiveId,
      });
      await tx.dueList.attachTask(orgId, tracking.id, created.result.id);
      return {
        result: created.result,
        audit: [
          ...created.audit,
          {
            orgId,
            entityType: 'aircraft_directive',
            entityId: tracking.id,
            action: 'update',
            before: { task_id: null },
            after: { task_id: created.result.id },
            extra: {
              reason: 'task_booked',
              directive_id: input.directiveId,
              aircraft_id: input.aircraftId,
              due: dueView(tracking.due),
              projected_due_date: projected,
              late: deadline !== null && end.getTime() > deadline.getTime(),
            },
          },
        ],
        events: created.events,
      };
    });
  }
}

function refuseUnbookable(tracking: BookingTracking): void {
  if (!tracking.directiveActive) {
    throw AppError.conflict(
      'DIRECTIVE_NOT_ACTIVE',
      `directive ${tracking.referenceNumber} is superseded or cancelled; no task is booked for it`,
    );
  }
  if (!OPEN_TRACKING_STATUSES.includes(tracking.status)) {
    throw AppError.conflict(
      'DIRECTIVE_NOT_OPEN',
      `directive ${tracking.referenceNumber} is ${tracking.status} on this aircraft; nothing is owed`,
    );
  }
  if (tracking.liveTaskId !== null) {
    throw AppError.conflict(
      'DIRECTIVE_TASK_EXISTS',
      `task ${tracking.liveTaskId} is already booked for directive ${tracking.referenceNumber} on this aircraft`,
      [{ field: 'task_id', message: tracking.liveTaskId }],
    );
  }
}
