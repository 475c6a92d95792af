import type { AircraftStatus } from '../domain/aircraft.js';
import type { ComplianceItem, ComplianceResult } from '../domain/compliance.js';
import {
  calendarDayOf,
  isPastLimit,
  NOTHING_DUE,
  type CalendarDay,
  type DirectiveApplicability,
  type DirectiveStatus,
  type DirectiveType,
  type Due,
  type TrackingStatus,
} from '../domain/directive.js';
import type { TaskState, TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { complianceItemView, type ComplianceItemView } from './compliance.js';
import { dueView } from './due-view.js';
import { refuseEmptyRange } from './time-range.js';
import { AppError } from './errors.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { UnitOfWork } from './ports.js';

const DAY_MS = 24 * 3_600_000;

/** How far ahead the summary looks for upcoming tasks and expiring parts. */
export const UPCOMING_WINDOWS_DAYS = { short: 7, long: 30 } as const;
export const EXPIRY_WINDOW_DAYS = 30;
/** The summary lists at most this many definitions below their minimum (largest shortfall first). */
export const BELOW_MIN_STOCK_LIST_LIMIT = 100;

/** A count per value of an enum; every value is present, zeros included. */
export type CountsBy<K extends string> = Record<K, number>;

/** A part definition with fewer available items than its minimum stock level. */
export interface DefinitionBelowMinStock {
  id: string;
  name: string;
  category: string;
  minStockLevel: number;
  /** Live, in stock and unexpired at the report's clock. */
  inStock: number;
  /** Of those, held by an active reservation. */
  reserved: number;
  /** inStock − reserved. */
  available: number;
}

/** The instants the summary compares with, all derived from one clock reading. */
export interface SummaryClock {
  now: Date;
  /** now + 7 days */
  upcomingShort: Date;
  /** now + 30 days */
  upcomingLong: Date;
  /** now + 30 days */
  expiryHorizon: Date;
}

/** The figures of the summary, each counted by an aggregate query over live rows of one org. */
export interface SummaryFigures {
  fleetByStatus: CountsBy<AircraftStatus>;
  tasksByState: CountsBy<TaskState>;
  /** Scheduled or in progress, end_time at or before now. */
  overdueTasks: number;
  /** Scheduled, start_time in [now, now + 7 days). */
  upcomingTasksShort: number;
  /** Scheduled, start_time in [now, now + 30 days). */
  upcomingTasksLong: number;
  /** Live, in_stock, no expiry or expiry after now. */
  partItemsInStock: number;
  /** Of the items in stock, those whose expiry falls in (now, now + 30 days]. */
  partItemsExpiringSoon: number;
  definitionsBelowMinStock: { count: number; definitions: DefinitionBelowMinStock[] };
  complianceByResult: CountsBy<ComplianceResult>;
  complianceSignedOff: number;
  /** Not signed off, on a live task that is still scheduled or in progress. */
  complianceAwaitingSignOff: number;
  /** Not signed off, on a task that was completed, cancelled or deleted: they will never be signed. */
  complianceUnsignedOnClosedTasks: number;
}

/** The operational summary of one organization at `generatedAt`. */
export interface SummaryReport extends SummaryFigures {
  orgId: string;
  generatedAt: Date;
}

/**
 * The auditor's filters of the compliance report; unset fields do not filter. The time range
 * applies to each item's compliance time: its sign-off time when signed off, its creation time
 * otherwise (`from` inclusive, `to` exclusive).
 */
export interface ComplianceReportFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  aircraftId?: string | undefined;
  programId?: string | undefined;
  result?: ComplianceResult | undefined;
  /** The user who signed the item off. */
  signedOffBy?: string | undefined;
  /** true: signed off only; false: not yet signed off only. */
  signed?: boolean | undefined;
}

/** The fields the compliance report sorts by (ties broken by id). */
export const COMPLIANCE_REPORT_SORT_FIELDS = ['created_at', 'sign_off_time'] as const;
export type ComplianceReportSortField = (typeof COMPLIANCE_REPORT_SORT_FIELDS)[number];

/** One compliance item with the facts of its task and aircraft an auditor needs. */
export interface ComplianceReportRow extends ComplianceItem {
  signOffUserEmail: string | null;
  /** The independent inspector's email, or null until inspected. */
  inspectedByEmail: string | null;
  taskType: TaskType;
  taskState: TaskState;
  taskStartTime: Date;
  taskEndTime: Date;
  aircraftId: string;
  tailNumber: string;
  programId: string | null;
  /** created_at to the microsecond (RFC 3339, UTC), for keyset batches a Date would truncate. */
  exactCreatedAt: string;
}

/** Where an export batch starts: after the row with this exact creation time and id. */
export interface ComplianceReportPosition {
  createdAt: string;
  id: string;
}

/** The optional window of the workload report: tasks starting in [from, to). */
export interface WorkloadWindow {
  from?: Date | undefined;
  to?: Date | undefined;
}

/** The fields the workload report sorts by (ties broken by the mechanic's id). */
export const WORKLOAD_SORT_FIELDS = ['email', 'open_tasks', 'planned_hours', 'next_start'] as const;
export type WorkloadSortField = (typeof WORKLOAD_SORT_FIELDS)[number];

/** The open work of one mechanic. */
export interface MechanicWorkload {
  mechanicId: string;
  email: string;
  /** Scheduled plus in progress. */
  openTasks: number;
  scheduledTasks: number;
  inProgressTasks: number;
  /** The summed (end_time − start_time) of the open tasks, in hours. */
  plannedHours: number;
  /** The earliest start at or after now among their scheduled tasks; null when none. */
  nextStart: Date | null;
}

/** The read side of the reports; every query aggregates in the database, scoped to one org. */
export interface ReportRepository {
  summary(orgId: string, clock: SummaryClock): Promise<SummaryFigures>;
  /**
   * Up to `query.limit` report rows of the org, either sorted and offset (a list page) or in
   * (created_at, id) order after a position (an export batch).
   */
  complianceRows(
    orgId: string,
    filter: ComplianceReportFilter,
    query:
      | { kind: 'page'; sort: SortKey<ComplianceReportSortField>[]; limit: number; offset: number }
      | { kind: 'batch'; limit: number; after?: ComplianceReportPosition | undefined },
  ): Promise<ComplianceReportRow[]>;
  /**
   * The facts of a directive compliance report's header: the org's name, the authority (undefined
   * when no such authority exists) and the org's live registrations with it.
   */
  directiveReportHeader(
    orgId: string,
    authorityId: string,
  ): Promise<{
    orgName: string;
    authority: DirectiveReportAuthority | undefined;
    registrations: DirectiveReportRegistration[];
  }>;
  /** Whether the org has this live aircraft. */
  hasLiveAircraft(orgId: string, aircraftId: string): Promise<boolean>;
  /**
   * Up to `limit` rows of the directive compliance report in (tail number, aircraft id, reference
   * number, directive id) order after `after`: one per tracked directive of the authority, or one
   * with `directive: null` for an aircraft that has none.
   */
  directiveComplianceRows(
    orgId: string,
    filter: { authorityId: string; aircraftId?: string | undefined },
    batch: { limit: number; after?: DirectiveComplianceRowPosition | undefined },
  ): Promise<DirectiveComplianceRow[]>;
  /** Every live mechanic of the org with their open tasks in the window; `page.limit + 1` rows. */
  mechanicWorkload(
    orgId: string,
    window: WorkloadWindow & { now: Date },
    sort: SortKey<WorkloadSortField>[],
    page: Page,
  ): Promise<MechanicWorkload[]>;
}

/** An export: the organization it covers and its rows, read lazily in batches. */
export interface ComplianceReportExport {
  orgId: string;
  rows: AsyncIterable<ComplianceReportRow>;
}

/** The regulatory authority a directive compliance report covers. */
export interface DirectiveReportAuthority {
  id: string;
  code: string;
  name: string;
}

/** One of the org's live approvals with the report's authority (its AOC, Part-145 certificate, …). */
export interface DirectiveReportRegistration {
  id: string;
  approvalType: string;
  certificateNumber: string;
  validFrom: CalendarDay | null;
  validUntil: CalendarDay | null;
}

/** The last act of compliance with a directive on an aircraft, with its signer. */
export interface DirectiveReportCompliance {
  id: string;
  performedAt: Date;
  method: string;
  flightHours: number;
  cycles: number;
  signedBy: string;
  /** Users carry no name in AMSS: the email is how a signer is named. */
  signerEmail: string;
  taskId: string | null;
}

/** A directive of the authority tracked on an aircraft, as the report shows it. */
export interface DirectiveReportEntry {
  trackingId: string;
  directiveId: string;
  referenceNumber: string;
  title: string;
  type: DirectiveType;
  applicability: DirectiveApplicability;
  directiveStatus: DirectiveStatus;
  effectiveDate: CalendarDay;
  status: TrackingStatus;
  statusReason: string | null;
  nextDue: Due;
  /** The approved new limit of a deferral; null unless deferred. */
  deferredUntil: Due | null;
  lastCompliance: DirectiveReportCompliance | null;
}

/** One row of the report: an aircraft and one of its directives, or `directive: null` when it has none. */
export interface DirectiveComplianceRow {
  aircraftId: string;
  tailNumber: string;
  /** The ICAO designator of its type, null while unknown. */
  aircraftType: string | null;
  /** Manufacturer and model of its type (e.g. "Airbus A320neo"), else the aircraft's own model text. */
  aircraftModel: string;
  serialNumber: string | null;
  flightHoursTotal: number;
  cyclesTotal: number;
  directive: DirectiveReportEntry | null;
}

/** Where a report batch starts: after this row. */
export interface DirectiveComplianceRowPosition {
  tailNumber: string;
  aircraftId: string;
  referenceNumber: string | null;
  directiveId: string | null;
}

/** The header of a directive compliance report: whose, which authority, when. */
export interface DirectiveComplianceHeader {
  orgId: string;
  orgName: string;
  authority: DirectiveReportAuthority;
  registrations: DirectiveReportRegistration[];
  /** The one aircraft the report covers, or null for the whole fleet. */
  aircraftId: string | null;
  generatedAt: Date;
}

/** A directive compliance report: its header, and its rows read lazily in batches. */
export interface DirectiveComplianceReport {
  header: DirectiveComplianceHeader;
  rows: AsyncIterable<DirectiveComplianceRow>;
}

/** What the report service needs; `now` is the clock the reports compare with. */
export interface ReportServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
  /** How many rows an export reads at a time. */
  exportBatchSize?: number;
}

/**
 * Read-only reports over one organization (the actor's own, or for an admin the one named by
 * `org_id`). Every figure comes from a few aggregate queries, never from a loop over rows.
 */
export class ReportService {
  private readonly now: () => Date;

  constructor(private readonly deps: ReportServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Fleet, tasks, parts and compliance figures of the organization now (every role). */
  async summary(actor: Actor, scope: OrgScope = {}): Promise<SummaryReport> {
    authorize(actor, 'reports', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    const now = this.now();
    const figures = await repos.reports.summary(orgId, {
      now,
      upcomingShort: daysAfter(now, UPCOMING_WINDOWS_DAYS.short),
      upcomingLong: daysAfter(now, UPCOMING_WINDOWS_DAYS.long),
      expiryHorizon: daysAfter(now, EXPIRY_WINDOW_DAYS),
    });
    return { orgId, generatedAt: now, ...figures };
  }

  /** A page of compliance items with their task and aircraft, filtered (auditors and admins). */
  async compliance(
    actor: Actor,
    input: ComplianceReportFilter & OrgScope & { sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<ComplianceReportRow>> {
    authorize(actor, 'reports', 'advanced');
    const sort = parseSort(input.sort, COMPLIANCE_REPORT_SORT_FIELDS, [
      { field: 'created_at', direction: 'asc' },
    ]);
    refuseEmptyRange(input);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const rows = await repos.reports.complianceRows(orgId, complianceFilterOf(input), {
      kind: 'page',
      sort,
      limit: page.limit + 1,
      offset: page.offset,
    });
    return pageOf(rows, page);
  }

  /**
   * Every compliance report row matching the filter, oldest first. Access is checked now; the
   * rows are read lazily in keyset batches, so an export of any size holds one batch in memory.
   */
  async exportCompliance(
    actor: Actor,
    input: ComplianceReportFilter & OrgScope,
  ): Promise<ComplianceReportExport> {
    authorize(actor, 'reports', 'advanced');
    refuseEmptyRange(input);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter = complianceFilterOf(input);
    const batchSize = this.deps.exportBatchSize ?? 1000;
    async function* rows(): AsyncGenerator<ComplianceReportRow> {
      let after: ComplianceReportPosition | undefined;
      for (;;) {
        const batch = await repos.reports.complianceRows(orgId, filter, {
          kind: 'batch',
          limit: batchSize,
          after,
        });
        yield* batch;
        const last = batch.at(-1);
        if (!last || batch.length < batchSize) return;
        after = { createdAt: last.exactCreatedAt, id: last.id };
      }
    }
    return { orgId, rows: rows() };
  }

  /**
   * The compliance of the fleet (or one aircraft) with the directives of one regulatory authority
   * (admins, tenant admins, auditors). The authority (404 when unknown) and the aircraft (404 when
   * not a live aircraft of the org) are checked now; the rows are read lazily in keyset batches, so
   * a report of any fleet holds one batch of rows in memory.
   */
  async directiveCompliance(
    actor: Actor,
    input: OrgScope & { authorityId: string; aircraftId?: string | undefined },
  ): Promise<DirectiveComplianceReport> {
    authorize(actor, 'reports', 'directive_compliance');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const { orgName, authority, registrations } = await repos.reports.directiveReportHeader(
      orgId,
      input.authorityId,
    );
    if (!authority) throw AppError.notFound('regulatory authority');
    if (input.aircraftId !== undefined && !(await repos.reports.hasLiveAircraft(orgId, input.aircraftId))) {
      throw AppError.notFound('aircraft');
    }
    const generatedAt = this.now();
    const filter = { authorityId: authority.id, aircraftId: input.aircraftId };
    const batchSize = this.deps.exportBatchSize ?? 1000;
    async function* rows(): AsyncGenerator<DirectiveComplianceRow> {
      let after: DirectiveComplianceRowPosition | undefined;
      for (;;) {
        const batch = await repos.reports.directiveComplianceRows(orgId, filter, { limit: batchSize, after });
        yield* batch;
        const last = batch.at(-1);
        if (!last || batch.length < batchSize) return;
        after = {
          tailNumber: last.tailNumber,
          aircraftId: last.aircraftId,
          referenceNumber: last.directive?.referenceNumber ?? null,
          directiveId: last.directive?.directiveId ?? null,
        };
      }
    }
    return {
      header: { orgId, orgName, authority, registrations, aircraftId: input.aircraftId ?? null, generatedAt },
      rows: rows(),
    };
  }

  /** Open tasks and planned hours per live mechanic of the organization (every role). */
  async mechanicWorkload(
    actor: Actor,
    input: WorkloadWindow & OrgScope & { sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<MechanicWorkload>> {
    authorize(actor, 'reports', 'read');
    const sort = parseSort(input.sort, WORKLOAD_SORT_FIELDS, [{ field: 'email', direction: 'asc' }]);
    refuseEmptyRange(input);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const rows = await repos.reports.mechanicWorkload(
      orgId,
      { from: input.from, to: input.to, now: this.now() },
      sort,
      page,
    );
    return pageOf(rows, page);
  }
}

const daysAfter = (instant: Date, days: number): Date => new Date(instant.getTime() + days * DAY_MS);

/** Only the filter fields, so the org scope and sort never reach the repository. */
const complianceFilterOf = (input: ComplianceReportFilter): ComplianceReportFilter => ({
  from: input.from,
  to: input.to,
  aircraftId: input.aircraftId,
  programId: input.programId,
  result: input.result,
  signedOffBy: input.signedOffBy,
  signed: input.signed,
});

/** A count for every value of an enum, zeros included, from the rows of a GROUP BY. */
export function countsBy<K extends string>(
  values: readonly K[],
  rows: readonly { key: string; count: number }[],
): CountsBy<K> {
  const counts = Object.fromEntries(values.map((value) => [value, 0])) as CountsBy<K>;
  for (const row of rows) {
    if (row.key in counts) counts[row.key as K] = row.count;
  }
  return counts;
}

/** The summary as the API shows it. */
export type SummaryReportView = ReturnType<typeof summaryReportView>;

/** The view of a summary: grouped by subject, snake_case, timestamps in RFC 3339 UTC. */
export const summaryReportView = (report: SummaryReport) => {
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    org_id: report.orgId,
    generated_at: report.generatedAt.toISOString(),
    fleet: { total: total(report.fleetByStatus), by_status: report.fleetByStatus },
    tasks: {
      total: total(report.tasksByState),
      by_state: report.tasksByState,
      overdue: report.overdueTasks,
      upcoming_7_days: report.upcomingTasksShort,
      upcoming_30_days: report.upcomingTasksLong,
    },
    parts: {
      items_in_stock: report.partItemsInStock,
      items_expiring_30_days: report.partItemsExpiringSoon,
      definitions_below_min_stock: {
        count: report.definitionsBelowMinStock.count,
        definitions: report.definitionsBelowMinStock.definitions.map((definition) => ({
          id: definition.id,
          name: definition.name,
          category: definition.category,
          min_stock_level: definition.minStockLevel,
          in_stock: definition.inStock,
          reserved: definition.reserved,
          available: definition.available,
        })),
      },
    },
    compliance: {
      total: total(report.complianceByResult),
      by_result: report.complianceByResult,
      signed_off: report.complianceSignedOff,
      awaiting_sign_off: report.complianceAwaitingSignOff,
      unsigned_on_closed_tasks: report.complianceUnsignedOnClosedTasks,
    },
  };
};

/** A compliance report row as the API and the CSV export show it: the item as everywhere, with its task's facts. */
export type ComplianceReportRowView = ComplianceItemView & {
  sign_off_user_email: string | null;
  inspected_by_email: string | null;
  task_type: TaskType;
  task_state: TaskState;
  task_start_time: string;
  task_end_time: string;
  aircraft_id: string;
  tail_number: string;
  program_id: string | null;
};

/** The view of a compliance report row. */
export const complianceReportRowView = (row: ComplianceReportRow): ComplianceReportRowView => ({
  ...complianceItemView(row),
  sign_off_user_email: row.signOffUserEmail,
  inspected_by_email: row.inspectedByEmail,
  task_type: row.taskType,
  task_state: row.taskState,
  task_start_time: row.taskStartTime.toISOString(),
  task_end_time: row.taskEndTime.toISOString(),
  aircraft_id: row.aircraftId,
  tail_number: row.tailNumber,
  program_id: row.programId,
});

/** A mechanic's workload as the API shows it. */
export type MechanicWorkloadView = {
  mechanic_id: string;
  email: string;
  open_tasks: number;
  scheduled_tasks: number;
  in_progress_tasks: number;
  planned_hours: number;
  next_start: string | null;
};

/** The view of a mechanic's workload. */
export const mechanicWorkloadView = (workload: MechanicWorkload): MechanicWorkloadView => ({
  mechanic_id: workload.mechanicId,
  email: workload.email,
  open_tasks: workload.openTasks,
  scheduled_tasks: workload.scheduledTasks,
  in_progress_tasks: workload.inProgressTasks,
  planned_hours: workload.plannedHours,
  next_start: workload.nextStart?.toISOString() ?? null,
});

/**
 * Whether a directive still owed is past its limit at `now` on the aircraft's current counters: the
 * report says so even before the due tracker has turned the row `overdue`.
 */
const pastLimit = (row: DirectiveComplianceRow, now: Date): boolean =>
  row.directive !== null &&
  row.directive !== undefined &&
  isPastLimit(
    { ...row.directive, deferredUntil: row.directive.deferredUntil ?? NOTHING_DUE },
    { date: calendarDayOf(now), flightHours: row.flightHoursTotal, cycles: row.cyclesTotal },
  );

/** The header of a directive compliance report as the API shows it. */
export const directiveComplianceHeaderView = (header: DirectiveComplianceHeader) => ({
  org_id: header.orgId,
  org_name: header.orgName,
  authority: { id: header.authority.id, code: header.authority.code, name: header.authority.name },
  registrations: header.registrations.map((registration) => ({
    id: registration.id,
    approval_type: registration.approvalType,
    certificate_number: registration.certificateNumber,
    valid_from: registration.validFrom,
    valid_until: registration.validUntil,
  })),
  aircraft_id: header.aircraftId,
  generated_at: header.generatedAt.toISOString(),
});

/** A directive on an aircraft as the report shows it; `now` decides `past_limit`. */
export const directiveReportEntryView = (
  row: DirectiveComplianceRow,
  entry: DirectiveReportEntry,
  now: Date,
) => ({
  tracking_id: entry.trackingId,
  directive_id: entry.directiveId,
  reference_number: entry.referenceNumber,
  title: entry.title,
  type: entry.type,
  applicability: entry.applicability,
  directive_status: entry.directiveStatus,
  effective_date: entry.effectiveDate,
  status: entry.status,
  status_reason: entry.statusReason,
  past_limit: pastLimit(row, now),
  next_due: dueView(entry.nextDue),
  deferred_until: entry.deferredUntil ? dueView(entry.deferredUntil) : null,
  last_compliance: entry.lastCompliance
    ? {
        id: entry.lastCompliance.id,
        performed_at: entry.lastCompliance.performedAt.toISOString(),
        method: entry.lastCompliance.method,
        flight_hours: entry.lastCompliance.flightHours,
        cycles: entry.lastCompliance.cycles,
        signed_by: entry.lastCompliance.signedBy,
        signer_email: entry.lastCompliance.signerEmail,
        task_id: entry.lastCompliance.taskId,
      }
    : null,
});

export type DirectiveReportEntryView = ReturnType<typeof directiveReportEntryView>;

/** An aircraft of the report as the API shows it, before its directives are added. */
export const directiveReportAircraftView = (row: DirectiveComplianceRow) => ({
  aircraft_id: row.aircraftId,
  tail_number: row.tailNumber,
  aircraft_type: row.aircraftType,
  aircraft_model: row.aircraftModel,
  serial_number: row.serialNumber,
  flight_hours_total: row.flightHoursTotal,
  cycles_total: row.cyclesTotal,
});

/** The rows of a report grouped per aircraft (they come sorted by aircraft), each with its directives. */
export async function* directiveReportAircraft(
  rows: AsyncIterable<DirectiveComplianceRow>,
  now: Date,
): AsyncGenerator<
  ReturnType<typeof directiveReportAircraftView> & { directives: DirectiveReportEntryView[] }
> {
  let current:
    (ReturnType<typeof directiveReportAircraftView> & { directives: DirectiveReportEntryView[] }) | undefined;
  for await (const row of rows) {
    if (current?.aircraft_id !== row.aircraftId) {
      if (current) yield current;
      current = { ...directiveReportAircraftView(row), directives: [] };
    }
    if (row.directive) current.directives.push(directiveReportEntryView(row, row.directive, now));
  }
  if (current) yield current;
}
