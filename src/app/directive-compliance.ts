import {
  calendarDayOf,
  dueAfterCompliance,
  effectiveDue,
  isCalendarDay,
  isNothingDue,
  NOTHING_DUE,
  OPEN_TRACKING_STATUSES,
  statusAfterCompliance,
  statusWithoutTask,
  statusWithTask,
  type CalendarDay,
  type DirectiveStatus,
  type Due,
  type Recurrence,
  type TrackingStatus,
} from '../domain/directive.js';
import type { EventType } from '../domain/events.js';
import { domainEvent, type DomainEvent } from '../domain/events.js';
import type { TaskState, TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditEntry } from './audit.js';
import { reauthenticateSigner, signer, type SignatureDeps } from './compliance.js';
import { dueView } from './due-view.js';
import { AppError, isAppError } from './errors.js';
import { mutate, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories } from './ports.js';
import { assertQualified, type TaskForCheck } from './qualifications.js';

// ---------------------------------------------------------------------------------------------
// Entities and views
// ---------------------------------------------------------------------------------------------

/** A directive's tracking row on one aircraft. */
export interface AircraftDirective {
  id: string;
  orgId: string;
  aircraftId: string;
  directiveId: string;
  status: TrackingStatus;
  baselineDate: CalendarDay;
  baselineFlightHours: number;
  baselineCycles: number;
  nextDue: Due;
  deferredUntil: Due;
  lastComplianceId: string | null;
  lastCompliedAt: Date | null;
  statusReason: string | null;
  statusChangedBy: string | null;
  taskId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One signed act of compliance: immutable. */
export interface DirectiveComplianceRecord {
  id: string;
  orgId: string;
  aircraftDirectiveId: string;
  aircraftId: string;
  directiveId: string;
  performedAt: Date;
  flightHours: number;
  cycles: number;
  method: string;
  notes: string | null;
  taskId: string | null;
  signedBy: string;
  signerEmail: string | null;
  signatureMeaning: 'complied';
  signedAt: Date;
  nextDue: Due;
  createdAt: Date;
}

export type AircraftDirectiveView = ReturnType<typeof aircraftDirectiveView>;

/** The view of a tracking row. */
export const aircraftDirectiveView = (row: AircraftDirective) => ({
  id: row.id,
  org_id: row.orgId,
  aircraft_id: row.aircraftId,
  directive_id: row.directiveId,
  status: row.status,
  status_reason: row.statusReason,
  baseline_date: row.baselineDate,
  baseline_flight_hours: row.baselineFlightHours,
  baseline_cycles: row.baselineCycles,
  next_due: dueView(row.nextDue),
  deferred_until: isNothingDue(row.deferredUntil) ? null : dueView(row.deferredUntil),
  effective_due: dueView(effectiveDue(row)),
  last_compliance_id: row.lastComplianceId,
  last_complied_at: row.lastCompliedAt?.toISOString() ?? null,
  status_changed_by: row.statusChangedBy,
  task_id: row.taskId,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

export type ComplianceRecordView = ReturnType<typeof complianceRecordView>;

/** The view of a compliance record. */
export const complianceRecordView = (record: DirectiveComplianceRecord) => ({
  id: record.id,
  org_id: record.orgId,
  aircraft_directive_id: record.aircraftDirectiveId,
  aircraft_id: record.aircraftId,
  directive_id: record.directiveId,
  performed_at: record.performedAt.toISOString(),
  flight_hours: record.flightHours,
  cycles: record.cycles,
  method: record.method,
  notes: record.notes,
  task_id: record.taskId,
  signed_by: record.signedBy,
  signer_email: record.signerEmail,
  signature_meaning: record.signatureMeaning,
  signed_at: record.signedAt.toISOString(),
  next_due: dueView(record.nextDue),
  created_at: record.createdAt.toISOString(),
});

/** One directive on one aircraft, as the compliance-status and per-directive views list it. */
export interface ComplianceStatusRow {
  /** The tracking row's id. */
  id: string;
  aircraftId: string;
  tailNumber: string;
  directiveId: string;
  referenceNumber: string;
  title: string;
  directiveType: string;
  authorityId: string;
  authorityCode: string;
  applicability: string;
  directiveStatus: DirectiveStatus;
  status: TrackingStatus;
  statusReason: string | null;
  nextDue: Due;
  deferredUntil: Due;
  effectiveDue: Due;
  projectedDueDate: CalendarDay | null;
  taskId: string | null;
  lastCompliance: {
    id: string;
    performedAt: Date;
    flightHours: number;
    cycles: number;
    method: string;
    signedBy: string;
    signerEmail: string | null;
  } | null;
}

/** The view of a status row. */
export const complianceStatusView = (row: ComplianceStatusRow) => ({
  id: row.id,
  aircraft_id: row.aircraftId,
  tail_number: row.tailNumber,
  directive_id: row.directiveId,
  reference_number: row.referenceNumber,
  title: row.title,
  directive_type: row.directiveType,
  authority_id: row.authorityId,
  authority_code: row.authorityCode,
  applicability: row.applicability,
  directive_status: row.directiveStatus,
  status: row.status,
  status_reason: row.statusReason,
  next_due: dueView(row.nextDue),
  deferred_until: isNothingDue(row.deferredUntil) ? null : dueView(row.deferredUntil),
  effective_due: dueView(row.effectiveDue),
  projected_due_date: row.projectedDueDate,
  task_id: row.taskId,
  last_compliance:
    row.lastCompliance === null
      ? null
      : {
          id: row.lastCompliance.id,
          performed_at: row.lastCompliance.performedAt.toISOString(),
          flight_hours: row.lastCompliance.flightHours,
          cycles: row.lastCompliance.cycles,
          method: row.lastCompliance.method,
          signed_by: row.lastCompliance.signedBy,
          signer_email: row.lastCompliance.signerEmail,
        },
});

/** A column of the compliance matrix: a directive tracked on at least one aircraft of the grid. */
export interface MatrixDirective {
  id: string;
  referenceNumber: string;
  title: string;
  type: string;
  authorityId: string;
  authorityCode: string;
  applicability: string;
  status: DirectiveStatus;
}

/** A row of the compliance matrix: one aircraft and its cells. */
export interface MatrixAircraft {
  id: string;
  tailNumber: string;
  aircraftTypeId: string | null;
  cells: { directiveId: string; status: TrackingStatus; nextDueDate: CalendarDay | null }[];
}

export interface ComplianceMatrix {
  directives: MatrixDirective[];
  aircraft: MatrixAircraft[];
  nextCursor: string | null;
}

// ---------------------------------------------------------------------------------------------
// Inputs and the repository
// ---------------------------------------------------------------------------------------------

/** The sort fields of `GET /aircraft/{id}/compliance-status`. */
export const STATUS_SORT_FIELDS = [
  'projected_due_date',
  'next_due_date',
  'reference_number',
  'status',
] as const;
/** The sort fields of `GET /directives/{id}/aircraft`. */
export const DIRECTIVE_AIRCRAFT_SORT_FIELDS = ['tail_number', 'next_due_date', 'projected_due_date'] as const;
export type StatusSortField =
  (typeof STATUS_SORT_FIELDS)[number] | (typeof DIRECTIVE_AIRCRAFT_SORT_FIELDS)[number];

/** Statuses a tracking row may be set to by hand. */
export const SETTABLE_STATUSES = ['not_applicable', 'deferred', 'pending'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

export interface RecordComplianceInput extends OrgScope {
  aircraftId: string;
  directiveId: string;
  performedAt: Date;
  flightHours?: number | undefined;
  cycles?: number | undefined;
  method: string;
  notes?: string | undefined;
  taskId?: string | undefined;
  password?: string | undefined;
}

export interface SetStatusInput extends OrgScope {
  aircraftId: string;
  directiveId: string;
  status: SettableStatus;
  reason?: string | undefined;
  deferredUntil?: {
    date?: string | undefined;
    flightHours?: number | undefined;
    cycles?: number | undefined;
  };
}

/** What the views read: one aircraft's rows, or one directive's. */
export interface StatusQuery {
  aircraftId?: string | undefined;
  directiveId?: string | undefined;
  status?: TrackingStatus | undefined;
}

export interface MatrixFilter {
  authorityId?: string | undefined;
  status?: TrackingStatus | undefined;
  aircraftTypeId?: string | undefined;
}

/** A tracking row locked for change, with what a change needs of its directive and aircraft. */
export interface TrackingContext {
  tracking: AircraftDirective;
  directive: {
    id: string;
    referenceNumber: string;
    status: DirectiveStatus;
    effectiveDate: CalendarDay;
    recurrence: Recurrence;
  };
  aircraft: { id: string; flightHoursTotal: number; cyclesTotal: number };
}

/** A task as recording compliance looks at it. */
export interface ComplianceTaskFacts {
  id: string;
  orgId: string;
  aircraftId: string;
  programId: string | null;
  type: TaskType;
  state: TaskState;
}

export interface TrackingPatch {
  status: TrackingStatus;
  nextDue?: Due | undefined;
  deferredUntil: Due;
  statusReason: string | null;
  lastCompliance?: { id: string; at: Date } | undefined;
  statusChangedBy?: { orgId: string; userId: string } | undefined;
  /** undefined: unchanged. */
  taskId?: string | null | undefined;
}

/** Persistence of tracking rows and compliance records; every method is scoped to one organization. */
export interface DirectiveComplianceRepository {
  /** The tracking row of a live directive on a live aircraft; `lock` holds it FOR UPDATE. */
  find(
    orgId: string,
    aircraftId: string,
    directiveId: string,
    options?: { lock?: boolean },
  ): Promise<TrackingContext | undefined>;
  /**
   * The tracking row that remembers a task (its `task_id` is the task: the booking set it; recording
   * the compliance clears it), locked FOR UPDATE.
   */
  findForTask(orgId: string, taskId: string): Promise<TrackingContext | undefined>;
  /** The aircraft's counters at an instant: its totals less the flights recorded after it, never below zero. */
  countersAt(orgId: string, aircraftId: string, at: Date): Promise<{ flightHours: number; cycles: number }>;
  findTask(orgId: string, taskId: string): Promise<ComplianceTaskFacts | undefined>;
  insertRecord(input: {
    orgId: string;
    tracking: AircraftDirective;
    performedAt: Date;
    flightHours: number;
    cycles: number;
    method: string;
    notes: string | null;
    taskId: string | null;
    signedBy: string;
    nextDue: Due;
  }): Promise<DirectiveComplianceRecord>;
  update(orgId: string, id: string, patch: TrackingPatch): Promise<AircraftDirective>;
  /** Newest first; fetches `page.limit + 1` rows. */
  history(orgId: string, trackingId: string, page: Page): Promise<DirectiveComplianceRecord[]>;
  aircraftExists(orgId: string, id: string): Promise<boolean>;
  directiveExists(orgId: string, id: string): Promise<boolean>;
  /** One query; fetches `page.limit + 1` rows. */
  status(
    orgId: string,
    query: StatusQuery,
    sort: SortKey<StatusSortField>[],
    page: Page,
    now: Date,
  ): Promise<ComplianceStatusRow[]>;
  /** Two queries: the columns, then one page of aircraft (fetches `page.limit + 1`). */
  matrix(
    orgId: string,
    filter: MatrixFilter,
    page: Page,
  ): Promise<{ directives: MatrixDirective[]; aircraft: MatrixAircraft[] }>;
}

export interface DirectiveComplianceServiceDeps extends SignatureDeps {
  now?: () => Date;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * Recording compliance with a directive on an aircraft (a signed, immutable history row that moves
 * the next due), setting a row not applicable, deferred or back to pending, and the views of the
 * fleet's compliance: per aircraft, per directive and the aircraft × directive matrix.
 */
export class DirectiveComplianceService {
  constructor(private readonly deps: DirectiveComplianceServiceDeps) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Records one act of compliance signed by the caller (meaning `complied`): re-authenticated like a
   * compliance sign-off, and qualified to certify the work (the task's type, or an inspection).
   */
  async record(
    ctx: MutationContext,
    input: RecordComplianceInput,
  ): Promise<{ record: DirectiveComplianceRecord; tracking: AircraftDirective }> {
    authorize(ctx.actor, 'directive_compliance', 'record');
    const actor = signer(ctx.actor, 'records directive compliance');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, actor, input);
    if (orgId !== actor.orgId) {
      throw AppError.forbidden(
        "a compliance record is signed by a person of the aircraft's organization",
        'SIGNER_NOT_IN_ORGANIZATION',
      );
    }
    const method = input.method.trim();
    if (method === '') {
      throw AppError.validation('the method of compliance must not be blank', [
        { field: 'body.method', message: 'must not be blank' },
      ]);
    }
    const now = this.now();
    if (input.performedAt.getTime() > now.getTime()) {
      throw AppError.validation('performed_at must not be in the future', [
        { field: 'body.performed_at', message: 'must not be in the future' },
      ]);
    }
    await reauthenticateSigner(this.deps, ctx, actor, input.password, {
      subject: { aircraft_id: input.aircraftId, directive_id: input.directiveId },
      meaning: 'complied',
    });
    return mutate(this.deps.uow, ctx, async (tx) => {
      const found = await findLocked(tx, orgId, input.aircraftId, input.directiveId);
      const task = input.taskId === undefined ? undefined : await taskFor(tx, orgId, input);
      const taskCheck: TaskForCheck = task ?? {
        id: null,
        orgId,
        aircraftId: input.aircraftId,
        programId: null,
        type: 'inspection',
      };
      const end = input.performedAt.getTime() < now.getTime() ? now : input.performedAt;
      await assertQualified(tx, {
        task: taskCheck,
        userId: actor.userId,
        purpose: 'certify',
        window: { start: input.performedAt, end },
        field: 'signer',
      });
      return recordCompliance(tx, found, {
        performedAt: input.performedAt,
        flightHours: input.flightHours,
        cycles: input.cycles,
        method,
        notes: input.notes?.trim() || null,
        taskId: task?.id ?? null,
        signedBy: actor.userId,
      });
    });
  }

  /** The history of one directive on one aircraft, newest first. */
  async history(
    actor: Actor,
    input: OrgScope & { aircraftId: string; directiveId: string },
    page: Page,
  ): Promise<PageOf<DirectiveComplianceRecord>> {
    authorize(actor, 'directive_compliance', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const found =
      (await repos.directiveCompliance.find(orgId, input.aircraftId, input.directiveId)) ??
      trackingNotFound();
    return pageOf(await repos.directiveCompliance.history(orgId, found.tracking.id, page), page);
  }

  /**
   * Marks a directive not applicable to an aircraft or defers it (both with a reason; a deferral
   * with its approved new limit), or puts it back to pending (clearing both).
   */
  async setStatus(ctx: MutationContext, input: SetStatusInput): Promise<AircraftDirective> {
    authorize(ctx.actor, 'directive_compliance', 'set_status');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const reason = input.reason?.trim() ?? '';
    if (input.status !== 'pending' && reason === '') {
      throw AppError.validation(`a ${input.status.replace('_', ' ')} status needs a reason`, [
        { field: 'body.reason', message: `is required for ${input.status}` },
      ]);
    }
    const deferral = deferralOf(input);
    return mutate(this.deps.uow, ctx, async (tx) => {
      const found = await findLocked(tx, orgId, input.aircraftId, input.directiveId);
      const before = found.tracking;
      if (before.status === 'complied') {
        throw AppError.conflict(
          'DIRECTIVE_ALREADY_COMPLIED',
          'the directive is complied with on this aircraft and closed; its status no longer changes',
        );
      }
      if (found.directive.status !== 'active') {
        throw AppError.conflict(
          'DIRECTIVE_NOT_ACTIVE',
          `directive ${found.directive.referenceNumber} is ${found.directive.status}: its status on an aircraft no longer changes`,
        );
      }
      if (input.status === 'deferred') assertDeferralAhead(deferral, found.aircraft, this.now());
      const changedBy =
        ctx.actor.kind === 'user' ? { orgId: ctx.actor.orgId, userId: ctx.actor.userId } : undefined;
      const after = await tx.directiveCompliance.update(orgId, before.id, {
        status: input.status,
        deferredUntil: deferral,
        statusReason: input.status === 'pending' ? null : reason,
        statusChangedBy: changedBy,
      });
      return {
        result: after,
        ...trackingEffects(after, before, 'directive_status_changed', {
          reason: input.status === 'pending' && reason !== '' ? reason : undefined,
        }),
      };
    });
  }

  /** Every directive tracked on one aircraft. */
  async aircraftStatus(
    actor: Actor,
    input: OrgScope & { aircraftId: string; status?: TrackingStatus | undefined; sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<ComplianceStatusRow>> {
    authorize(actor, 'directive_compliance', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    if (!(await repos.directiveCompliance.aircraftExists(orgId, input.aircraftId))) {
      throw AppError.notFound('aircraft', 'AIRCRAFT_NOT_FOUND');
    }
    const sort = parseSort<StatusSortField>(input.sort, STATUS_SORT_FIELDS, [
      { field: 'projected_due_date', direction: 'asc' },
    ]);
    const rows = await repos.directiveCompliance.status(
      orgId,
      { aircraftId: input.aircraftId, status: input.status },
      sort,
      page,
      this.now(),
    );
    return pageOf(rows, page);
  }

  /** Every aircraft one directive is tracked on. */
  async directiveAircraft(
    actor: Actor,
    input: OrgScope & { directiveId: string; status?: TrackingStatus | undefined; sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<ComplianceStatusRow>> {
    authorize(actor, 'directive_compliance', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    if (!(await repos.directiveCompliance.directiveExists(orgId, input.directiveId))) {
      throw AppError.notFound('directive', 'DIRECTIVE_NOT_FOUND');
    }
    const sort = parseSort<StatusSortField>(input.sort, DIRECTIVE_AIRCRAFT_SORT_FIELDS, [
      { field: 'tail_number', direction: 'asc' },
    ]);
    const rows = await repos.directiveCompliance.status(
      orgId,
      { directiveId: input.directiveId, status: input.status },
      sort,
      page,
      this.now(),
    );
    return pageOf(rows, page);
  }

  /** The aircraft × directive grid, one page of aircraft at a time (ordered by tail number). */
  async matrix(
    actor: Actor,
    input: OrgScope & MatrixFilter,
    page: Page,
  ): Promise<{ directives: MatrixDirective[]; aircraft: MatrixAircraft[]; hasMore: boolean }> {
    authorize(actor, 'directive_compliance', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter = {
      authorityId: input.authorityId,
      status: input.status,
      aircraftTypeId: input.aircraftTypeId,
    };
    const { directives, aircraft } = await repos.directiveCompliance.matrix(orgId, filter, page);
    const rows = pageOf(aircraft, page);
    return { directives, aircraft: rows.items, hasMore: rows.hasMore };
  }
}

// ---------------------------------------------------------------------------------------------
// Shared steps (the service and the task completion hook)
// ---------------------------------------------------------------------------------------------

async function findLocked(
  tx: Repositories,
  orgId: string,
  aircraftId: string,
  directiveId: string,
): Promise<TrackingContext> {
  return (
    (await tx.directiveCompliance.find(orgId, aircraftId, directiveId, { lock: true })) ?? trackingNotFound()
  );
}

const trackingNotFound = (): never => {
  throw AppError.notFound('directive tracked on this aircraft', 'DIRECTIVE_NOT_TRACKED');
};

/**
 * The task named as the work that complied: a live task of the organization (404 naming task_id),
 * on the same aircraft (400), in progress or completed (409 TASK_NOT_STARTED: a scheduled task
 * did no work yet, a cancelled one never will).
 */
async function taskFor(
  tx: Repositories,
  orgId: string,
  input: { taskId?: string | undefined; aircraftId: string },
): Promise<ComplianceTaskFacts> {
  const task = await tx.directiveCompliance.findTask(orgId, input.taskId!);
  if (!task) {
    throw new AppError('not_found', 'TASK_NOT_FOUND', `task ${input.taskId} not found`, [
      { field: 'body.task_id', message: 'no such task in this organization' },
    ]);
  }
  if (task.aircraftId !== input.aircraftId) {
    throw AppError.validation(
      'the task is of another aircraft',
      [{ field: 'body.task_id', message: 'must be a task of this aircraft' }],
      'TASK_OF_OTHER_AIRCRAFT',
    );
  }
  if (task.state !== 'in_progress' && task.state !== 'completed') {
    throw AppError.conflict(
      'TASK_NOT_STARTED',
      `the task is ${task.state}: compliance is recorded for work in progress or completed`,
      [{ field: 'body.task_id', message: `is ${task.state}` }],
    );
  }
  return task;
}

/** Refuses compliance on a row that does not take it: not applicable, already closed, or an inactive directive. */
function assertRecordable(found: TrackingContext): void {
  const { tracking, directive } = found;
  if (tracking.status === 'not_applicable') {
    throw AppError.conflict(
      'DIRECTIVE_NOT_APPLICABLE',
      `directive ${directive.referenceNumber} is marked not applicable to this aircraft: ${tracking.statusReason ?? ''}`,
    );
  }
  if (tracking.status === 'complied') {
    throw AppError.conflict(
      'DIRECTIVE_ALREADY_COMPLIED',
      `directive ${directive.referenceNumber} is already complied with on this aircraft and closed`,
      tracking.lastComplianceId
        ? [{ field: 'last_compliance_id', message: tracking.lastComplianceId }]
        : undefined,
    );
  }
  if (directive.status !== 'active') {
    throw AppError.conflict(
      'DIRECTIVE_NOT_ACTIVE',
      `directive ${directive.referenceNumber} is ${directive.status}: compliance is recorded against an active directive`,
    );
  }
  if (!OPEN_TRACKING_STATUSES.includes(tracking.status))
    throw new Error(`unexpected tracking status ${tracking.status}`);
}

/**
 * Refuses an act that would move the due backwards or claims more than the aircraft flew: performed
 * before the directive took effect (400) or before the last recorded compliance (409), or counters
 * above the aircraft's current totals (400).
 */
function assertInOrder(
  found: TrackingContext,
  input: { performedAt: Date; flightHours?: number | undefined; cycles?: number | undefined },
): void {
  const { tracking, directive, aircraft } = found;
  if (calendarDayOf(input.performedAt) < directive.effectiveDate) {
    throw AppError.validation(
      `performed_at is before directive ${directive.referenceNumber} took effect (${directive.effectiveDate})`,
      [{ field: 'body.performed_at', message: `must not be before ${directive.effectiveDate}` }],
      'PERFORMED_BEFORE_EFFECTIVE_DATE',
    );
  }
  if (tracking.lastCompliedAt !== null && input.performedAt.getTime() < tracking.lastCompliedAt.getTime()) {
    const last = tracking.lastCompliedAt.toISOString();
    throw AppError.conflict(
      'PERFORMED_BEFORE_LAST_COMPLIANCE',
      `performed_at is before the last recorded compliance (${last}); the due would move backwards`,
      [{ field: 'body.performed_at', message: `must not be before ${last}` }],
    );
  }
  const beyond = [
    ...(input.flightHours !== undefined && input.flightHours > aircraft.flightHoursTotal
      ? [
          {
            field: 'body.flight_hours',
            message: `must not exceed the aircraft's ${aircraft.flightHoursTotal}`,
          },
        ]
      : []),
    ...(input.cycles !== undefined && input.cycles > aircraft.cyclesTotal
      ? [{ field: 'body.cycles', message: `must not exceed the aircraft's ${aircraft.cyclesTotal}` }]
      : []),
  ];
  if (beyond.length > 0) {
    throw AppError.validation(
      "the counters are above the aircraft's current totals",
      beyond,
      'COUNTERS_ABOVE_AIRCRAFT_TOTALS',
    );
  }
}

/**
 * Writes the signed history row and moves the tracking row: a one-time directive is closed
 * (complied, nothing due), a recurring one is pending again with the recurrence counted from this
 * compliance (calendar and usage, whichever first). A deferral, a reason and a booked task end here.
 */
async function recordCompliance(
  tx: Repositories,
  found: TrackingContext,
  input: {
    performedAt: Date;
    flightHours?: number | undefined;
    cycles?: number | undefined;
    method: string;
    notes: string | null;
    taskId: string | null;
    signedBy: string;
  },
) {
  assertRecordable(found);
  assertInOrder(found, input);
  const { tracking, directive, aircraft } = found;
  const counters =
    input.flightHours === undefined || input.cycles === undefined
      ? await tx.directiveCompliance.countersAt(tracking.orgId, aircraft.id, input.performedAt)
      : undefined;
  const flightHours = input.flightHours ?? counters!.flightHours;
  const cycles = input.cycles ?? counters!.cycles;
  const nextDue = dueAfterCompliance(directive.recurrence, {
    date: calendarDayOf(input.performedAt),
    flightHours,
    cycles,
  });
  const record = await tx.directiveCompliance.insertRecord({
    orgId: tracking.orgId,
    tracking,
    performedAt: input.performedAt,
    flightHours,
    cycles,
    method: input.method,
    notes: input.notes,
    taskId: input.taskId,
    signedBy: input.signedBy,
    nextDue,
  });
  const after = await tx.directiveCompliance.update(tracking.orgId, tracking.id, {
    status: statusAfterCompliance(directive.recurrence),
    nextDue,
    deferredUntil: NOTHING_DUE,
    statusReason: null,
    lastCompliance: { id: record.id, at: record.performedAt },
    taskId: null,
  });
  const data = { ...complianceRecordView(record), tracking: aircraftDirectiveView(after) };
  const audit: AuditEntry[] = [
    {
      orgId: record.orgId,
      entityType: 'directive_compliance_record',
      entityId: record.id,
      action: 'create',
      after: complianceRecordView(record),
    },
    {
      orgId: tracking.orgId,
      entityType: 'aircraft_directive',
      entityId: tracking.id,
      action: 'state_change',
      before: aircraftDirectiveView(tracking),
      after: aircraftDirectiveView(after),
      extra: { reason: 'compliance_recorded', compliance_record_id: record.id },
    },
  ];
  const events = [
    domainEvent({
      orgId: record.orgId,
      type: 'directive_compliance_recorded',
      aggregateType: 'aircraft_directive',
      aggregateId: tracking.id,
      discriminator: record.id,
      data,
      occurredAt: record.createdAt,
    }),
  ];
  return { result: { record, tracking: after }, audit, events };
}

/** The deferral limit of a status change: required for `deferred`, refused for the others. */
function deferralOf(input: SetStatusInput): Due {
  const given = input.deferredUntil;
  const due: Due = {
    date: given?.date ?? null,
    flightHours: given?.flightHours ?? null,
    cycles: given?.cycles ?? null,
  };
  if (due.date !== null && !isCalendarDay(due.date)) {
    throw AppError.validation('deferred_until.date is not a calendar day', [
      { field: 'body.deferred_until.date', message: 'must be a real day, YYYY-MM-DD' },
    ]);
  }
  if (input.status === 'deferred' && isNothingDue(due)) {
    throw AppError.validation(
      'a deferral needs its approved new limit: deferred_until with a date, flight_hours or cycles',
      [{ field: 'body.deferred_until', message: 'is required for deferred: a date, flight_hours or cycles' }],
      'DEFERRAL_LIMIT_REQUIRED',
    );
  }
  if (input.status !== 'deferred' && given !== undefined) {
    throw AppError.validation('deferred_until is only for a deferral', [
      { field: 'body.deferred_until', message: 'is only allowed with status deferred' },
    ]);
  }
  return due;
}

/** Refuses a deferral whose approved limit is already past on the aircraft (400 DEFERRAL_LIMIT_PAST naming each part). */
function assertDeferralAhead(
  deferral: Due,
  aircraft: { flightHoursTotal: number; cyclesTotal: number },
  now: Date,
): void {
  const today = calendarDayOf(now);
  const past = [
    ...(deferral.date !== null && deferral.date < today
      ? [{ field: 'body.deferred_until.date', message: `must not be before today (${today})` }]
      : []),
    ...(deferral.flightHours !== null && deferral.flightHours < aircraft.flightHoursTotal
      ? [
          {
            field: 'body.deferred_until.flight_hours',
            message: `must not be below the aircraft's ${aircraft.flightHoursTotal}`,
          },
        ]
      : []),
    ...(deferral.cycles !== null && deferral.cycles < aircraft.cyclesTotal
      ? [
          {
            field: 'body.deferred_until.cycles',
            message: `must not be below the aircraft's ${aircraft.cyclesTotal}`,
          },
        ]
      : []),
  ];
  if (past.length > 0) {
    throw AppError.validation(
      'the deferral limit is already past on this aircraft',
      past,
      'DEFERRAL_LIMIT_PAST',
    );
  }
}

/** The audit row and event of a change to a tracking row. */
function trackingEffects(
  after: AircraftDirective,
  before: AircraftDirective,
  type: EventType,
  extra: Record<string, unknown> = {},
): { audit: AuditEntry[]; events: DomainEvent[] } {
  const data = aircraftDirectiveView(after);
  return {
    audit: [
      {
        orgId: after.orgId,
        entityType: 'aircraft_directive',
        entityId: after.id,
        action: 'state_change',
        before: aircraftDirectiveView(before),
        after: data,
        extra: { from: before.status, to: after.status, ...extra },
      },
    ],
    events: [
      domainEvent({
        orgId: after.orgId,
        type,
        aggregateType: 'aircraft_directive',
        aggregateId: after.id,
        discriminator: after.updatedAt.toISOString(),
        data: { ...data, previous_status: before.status, ...extra },
        occurredAt: after.updatedAt,
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The task hooks (called by the task service inside its transition's transaction). Only a task
// booked for a directive (`directiveId`) can be a tracking row's task: any other costs no query.
// ---------------------------------------------------------------------------------------------

type Effects = { audit: AuditEntry[]; events: DomainEvent[] };
const NONE: Effects = { audit: [], events: [] };

/**
 * A task that remembers a directive started: the directive's row on the task's aircraft is now
 * being worked on. A pending row becomes `in_progress`; an overdue or deferred one keeps its status
 * (it stays overdue, or within its deferral, until compliance is recorded); each remembers the task.
 */
export async function directiveTaskStarted(
  tx: Repositories,
  task: { orgId: string; id: string; directiveId: string | null },
): Promise<Effects> {
  if (task.directiveId === null) return NONE;
  const found = await tx.directiveCompliance.findForTask(task.orgId, task.id);
  if (!found || !OPEN_TRACKING_STATUSES.includes(found.tracking.status)) return NONE;
  const before = found.tracking;
  const after = await tx.directiveCompliance.update(task.orgId, before.id, {
    status: statusWithTask(before.status),
    deferredUntil: before.deferredUntil,
    statusReason: before.statusReason,
    taskId: task.id,
  });
  return trackingEffects(after, before, 'directive_status_changed', {
    reason: 'task_started',
    task_id: task.id,
  });
}

/**
 * A task that remembers a directive completed. The completion carries no password, so it records
 * the compliance only where a signature needs none: when the organization's
 * `sign_off_reauthentication` is off and the completing person is a mechanic of the organization
 * qualified to certify the task (the signer). Otherwise the row stays (or becomes) `in_progress`
 * with the task, and its audit row and `directive_status_changed` event say
 * `compliance_signature_required`: a certifying mechanic records it with
 * `POST /aircraft/{id}/directives/{directiveId}/compliance` naming the task.
 */
export async function directiveTaskCompleted(
  tx: Repositories,
  actor: Actor,
  task: {
    orgId: string;
    id: string;
    aircraftId: string;
    programId: string | null;
    directiveId: string | null;
    type: TaskType;
    startTime: Date;
  },
  now: Date,
): Promise<Effects> {
  if (task.directiveId === null) return NONE;
  const found = await tx.directiveCompliance.findForTask(task.orgId, task.id);
  if (
    !found ||
    !OPEN_TRACKING_STATUSES.includes(found.tracking.status) ||
    found.directive.status !== 'active'
  )
    return NONE;
  const mechanic = await signingMechanic(tx, actor, task, now);
  if (mechanic !== undefined) {
    const change = await recordCompliance(tx, found, {
      performedAt: now,
      method: 'Maintenance task completed',
      notes: `Recorded on completion of task ${task.id}`,
      taskId: task.id,
      signedBy: mechanic,
    });
    return { audit: change.audit, events: change.events };
  }
  const before = found.tracking;
  const after = await tx.directiveCompliance.update(task.orgId, before.id, {
    status: statusWithTask(before.status),
    deferredUntil: before.deferredUntil,
    statusReason: before.statusReason,
    taskId: task.id,
  });
  return trackingEffects(after, before, 'directive_status_changed', {
    reason: 'compliance_signature_required',
    task_id: task.id,
  });
}

/**
 * A task that remembers a directive was cancelled or deleted: the directive's row forgets it, and
 * a row `in_progress` with it is `pending` again (an overdue or deferred one keeps its status), so
 * the directive can be booked again.
 */
export async function directiveTaskReleased(
  tx: Repositories,
  task: { orgId: string; id: string; directiveId: string | null },
  reason: 'task_cancelled' | 'task_deleted',
): Promise<Effects> {
  if (task.directiveId === null) return NONE;
  const found = await tx.directiveCompliance.findForTask(task.orgId, task.id);
  if (!found) return NONE;
  const before = found.tracking;
  const after = await tx.directiveCompliance.update(task.orgId, before.id, {
    status: statusWithoutTask(before.status),
    deferredUntil: before.deferredUntil,
    statusReason: before.statusReason,
    taskId: null,
  });
  return trackingEffects(after, before, 'directive_status_changed', { reason, task_id: task.id });
}

/** The completing person when they may sign without a password and are qualified to certify; else undefined. */
async function signingMechanic(
  tx: Repositories,
  actor: Actor,
  task: {
    orgId: string;
    id: string;
    aircraftId: string;
    programId: string | null;
    type: TaskType;
    startTime: Date;
  },
  now: Date,
): Promise<string | undefined> {
  if (actor.kind !== 'user' || actor.apiKey || actor.orgId !== task.orgId || actor.role !== 'mechanic') {
    return undefined;
  }
  const policy = await tx.orgPolicies.get(task.orgId);
  if (policy?.signOffReauthentication !== false) return undefined;
  try {
    await assertQualified(tx, {
      task,
      userId: actor.userId,
      purpose: 'certify',
      window: { start: task.startTime < now ? task.startTime : now, end: now },
      field: 'signer',
    });
  } catch (error) {
    if (isAppError(error) && error.reason === 'MECHANIC_NOT_QUALIFIED') return undefined;
    throw error;
  }
  return actor.userId;
}
