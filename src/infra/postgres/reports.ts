import { sql } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import {
  BELOW_MIN_STOCK_LIST_LIMIT,
  countsBy,
  type ComplianceReportFilter,
  type ComplianceReportPosition,
  type ComplianceReportRow,
  type ComplianceReportSortField,
  type DirectiveComplianceRow,
  type DirectiveComplianceRowPosition,
  type DirectiveReportAuthority,
  type DirectiveReportRegistration,
  type MechanicWorkload,
  type ReportRepository,
  type SummaryClock,
  type SummaryFigures,
  type WorkloadSortField,
  type WorkloadWindow,
} from '../../app/reports.js';
import { AIRCRAFT_STATUSES } from '../../domain/aircraft.js';
import { COMPLIANCE_RESULTS } from '../../domain/compliance.js';
import type {
  CalendarDay,
  DirectiveApplicability,
  DirectiveStatus,
  DirectiveType,
  TrackingStatus,
} from '../../domain/directive.js';
import { TASK_STATES } from '../../domain/task.js';
import { COMPLIANCE_ITEM_COLUMNS, toComplianceItem } from './compliance.js';
import type { Executor } from './executor.js';
import { stockByDefinition } from './stock.js';
import { orderBySortKeys } from './listing.js';

/** created_at to the microsecond, in UTC whatever the session's time zone. */
const EXACT_CREATED_AT = sql<string>`to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The item's compliance time: when it was signed off, or when it was created while unsigned. */
const COMPLIANCE_TIME = sql<Date>`coalesce(c.sign_off_time, c.created_at)`;

const COMPLIANCE_SORT: Record<ComplianceReportSortField, string> = {
  created_at: 'c.created_at',
  sign_off_time: 'c.sign_off_time',
};

// Output columns of the grouped query; PostgreSQL orders by them by name.
const WORKLOAD_SORT: Record<WorkloadSortField, string> = {
  email: 'u.email',
  open_tasks: 'open_tasks',
  planned_hours: 'planned_hours',
  next_start: 'next_start',
};

/**
 * The reports' queries. Each figure is a grouped count or a FILTERed aggregate over the org's live
 * rows; the summary runs five such queries side by side, never one per row.
 */
export class PgReportRepository implements ReportRepository {
  constructor(private readonly db: Executor) {}

  async summary(orgId: string, clock: SummaryClock): Promise<SummaryFigures> {
    const [fleet, tasks, items, belowMin, compliance] = await Promise.all([
      this.fleetByStatus(orgId),
      this.taskCounts(orgId, clock),
      this.stockedItems(orgId, clock),
      this.definitionsBelowMinStock(orgId, clock.now),
      this.complianceCounts(orgId),
    ]);
    const signedOff = sum(compliance, 'signed');
    const awaiting = sum(compliance, 'awaiting');
    return {
      fleetByStatus: countsBy(AIRCRAFT_STATUSES, fleet),
      tasksByState: countsBy(TASK_STATES, tasks),
      overdueTasks: sum(tasks, 'overdue'),
      upcomingTasksShort: sum(tasks, 'upcoming_short'),
      upcomingTasksLong: sum(tasks, 'upcoming_long'),
      partItemsInStock: items.in_stock,
      partItemsExpiringSoon: items.expiring,
      definitionsBelowMinStock: {
        count: belowMin[0]?.total ?? 0,
        definitions: belowMin.map((row) => ({
          id: row.id,
          name: row.name,
          category: row.category,
          minStockLevel: row.min_stock_level,
          inStock: row.in_stock,
          reserved: row.reserved,
          available: row.in_stock - row.reserved,
        })),
      },
      complianceByResult: countsBy(COMPLIANCE_RESULTS, compliance),
      complianceSignedOff: signedOff,
      complianceAwaitingSignOff: awaiting,
      complianceUnsignedOnClosedTasks: sum(compliance, 'count') - signedOff - awaiting,
    };
  }

  async complianceRows(
    orgId: string,
    filter: ComplianceReportFilter,
    query:
      | { kind: 'page'; sort: SortKey<ComplianceReportSortField>[]; limit: number; offset: number }
      | { kind: 'batch'; limit: number; after?: ComplianceReportPosition | undefined },
  ): Promise<ComplianceReportRow[]> {
    let select = this.db
      .selectFrom('compliance_items as c')
      // Items stay on record after their task or aircraft is deleted, so these joins ignore deleted_at.
      .innerJoin('maintenance_tasks as t', (join) =>
        join.onRef('t.org_id', '=', 'c.org_id').onRef('t.id', '=', 'c.task_id'),
      )
      .innerJoin('aircraft as a', (join) =>
        join.onRef('a.org_id', '=', 't.org_id').onRef('a.id', '=', 't.aircraft_id'),
      )
      .leftJoin('users as u', (join) =>
        join.onRef('u.org_id', '=', 'c.org_id').onRef('u.id', '=', 'c.sign_off_user_id'),
      )
      .leftJoin('users as i', (join) =>
        join.onRef('i.org_id', '=', 'c.org_id').onRef('i.id', '=', 'c.inspected_by'),
      )
      .select([
        ...COMPLIANCE_ITEM_COLUMNS,
        'u.email as sign_off_user_email',
        'i.email as inspected_by_email',
        't.type as task_type',
        't.state as task_state',
        't.start_time as task_start_time',
        't.end_time as task_end_time',
        't.aircraft_id',
        'a.tail_number',
        't.program_id',
        EXACT_CREATED_AT.as('exact_created_at'),
      ])
      .where('c.org_id', '=', orgId)
      .where('c.deleted_at', 'is', null);
    if (filter.aircraftId !== undefined) select = select.where('t.aircraft_id', '=', filter.aircraftId);
    if (filter.programId !== undefined) select = select.where('t.program_id', '=', filter.programId);
    if (filter.result !== undefined) select = select.where('c.result', '=', filter.result);
    if (filter.signedOffBy !== undefined) {
      select = select.where('c.sign_off_user_id', '=', filter.signedOffBy);
    }
    if (filter.signed !== undefined) {
      select = select.where('c.sign_off_time', filter.signed ? 'is not' : 'is', null);
    }
    if (filter.from !== undefined) select = select.where(COMPLIANCE_TIME, '>=', filter.from);
    if (filter.to !== undefined) select = select.where(COMPLIANCE_TIME, '<', filter.to);

    let ordered;
    if (query.kind === 'page') {
      ordered = orderBySortKeys(select, query.sort, COMPLIANCE_SORT, 'c.id').offset(query.offset);
    } else {
      if (query.after !== undefined) {
        const bound = sql<Date>`${query.after.createdAt}::timestamptz`;
        select = select
          .where('c.created_at', '>=', bound)
          .where(sql<boolean>`(c.created_at, c.id) > (${bound}, ${query.after.id}::uuid)`);
      }
      ordered = select.orderBy('c.created_at', 'asc').orderBy('c.id', 'asc');
    }
    const rows = await ordered.limit(query.limit).execute();
    return rows.map((row) => ({
      ...toComplianceItem(row),
      signOffUserEmail: row.sign_off_user_email,
      inspectedByEmail: row.inspected_by_email,
      taskType: row.task_type,
      taskState: row.task_state,
      taskStartTime: row.task_start_time,
      taskEndTime: row.task_end_time,
      aircraftId: row.aircraft_id,
      tailNumber: row.tail_number,
      programId: row.program_id,
      exactCreatedAt: row.exact_created_at,
    }));
  }

  async directiveReportHeader(
    orgId: string,
    authorityId: string,
  ): Promise<{
    orgName: string;
    authority: DirectiveReportAuthority | undefined;
    registrations: DirectiveReportRegistration[];
  }> {
    const [org, authority, registrations] = await Promise.all([
      this.db.selectFrom('organizations').select('name').where('id', '=', orgId).executeTakeFirstOrThrow(),
      this.db
        .selectFrom('regulatory_authorities')
        .select(['id', 'code', 'name'])
        .where('id', '=', authorityId)
        .executeTakeFirst(),
      this.db
        .selectFrom('organization_registrations')
        .select(['id', 'approval_type', 'certificate_number', 'valid_from', 'valid_until'])
        .where('org_id', '=', orgId)
        .where('authority_id', '=', authorityId)
        .where('deleted_at', 'is', null)
        .orderBy('approval_type')
        .orderBy('certificate_number')
        .orderBy('id')
        .execute(),
    ]);
    return {
      orgName: org.name,
      authority,
      registrations: registrations.map((row) => ({
        id: row.id,
        approvalType: row.approval_type,
        certificateNumber: row.certificate_number,
        validFrom: row.valid_from,
        validUntil: row.valid_until,
      })),
    };
  }

  async hasLiveAircraft(orgId: string, aircraftId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', aircraftId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * One statement per batch: the position's aircraft and the next `limit` live aircraft after it
   * (each gives at least one row, so no more can be needed), their tracked directives of the authority with the latest
   * compliance act of each (a LATERAL probe of the history index), then the rows after the
   * position. Live directives only; a superseded or cancelled one only when it has been complied
   * with, so the record of that compliance stays in the report.
   */
  async directiveComplianceRows(
    orgId: string,
    filter: { authorityId: string; aircraftId?: string | undefined },
    batch: { limit: number; after?: DirectiveComplianceRowPosition | undefined },
  ): Promise<DirectiveComplianceRow[]> {
    const after = batch.after;
    const aircraftAfter = after
      ? sql`AND (a.tail_number, a.id) >= (${after.tailNumber}, ${after.aircraftId}::uuid)`
      : sql``;
    const onlyAircraft = filter.aircraftId === undefined ? sql`` : sql`AND a.id = ${filter.aircraftId}::uuid`;
    // Past the position's aircraft, or on it past the position's directive (an aircraft without
    // directives has a single row, so its position has no directive).
    const rowAfter = after
      ? sql`WHERE (a.tail_number, a.id) > (${after.tailNumber}, ${after.aircraftId}::uuid)
           OR ((a.tail_number, a.id) = (${after.tailNumber}, ${after.aircraftId}::uuid)
               AND (x.reference_number, x.directive_id) > (${after.referenceNumber}, ${after.directiveId}::uuid))`
      : sql``;
    const result = await sql<DirectiveReportSqlRow>`
      WITH a AS (
        SELECT a.id, a.tail_number, a.model, a.serial_number, a.aircraft_type_id,
               a.flight_hours_total::float8 AS flight_hours_total, a.cycles_total
          FROM aircraft a
         WHERE a.org_id = ${orgId} AND a.deleted_at IS NULL ${onlyAircraft} ${aircraftAfter}
         ORDER BY a.tail_number, a.id
         LIMIT ${batch.limit + (after ? 1 : 0)}
      )
      SELECT a.id AS aircraft_id, a.tail_number, t.designator AS aircraft_type,
             coalesce(t.manufacturer || ' ' || t.model, a.model) AS aircraft_model, a.serial_number,
             a.flight_hours_total, a.cycles_total, x.*
        FROM a
        LEFT JOIN aircraft_types t ON t.id = a.aircraft_type_id
        LEFT JOIN LATERAL (
          SELECT ad.id AS tracking_id, d.id AS directive_id, d.reference_number, d.title, d.type,
                 d.applicability, d.status AS directive_status, d.effective_date, ad.status,
                 ad.status_reason, ad.next_due_date, ad.next_due_flight_hours::float8 AS next_due_flight_hours,
                 ad.next_due_cycles, ad.deferred_until_date,
                 ad.deferred_until_flight_hours::float8 AS deferred_until_flight_hours, ad.deferred_until_cycles,
                 c.id AS compliance_id, c.performed_at, c.method, c.flight_hours::float8 AS compliance_flight_hours,
                 c.cycles AS compliance_cycles, c.signed_by, c.signer_email, c.task_id AS compliance_task_id
            FROM aircraft_directives ad
            JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
            LEFT JOIN LATERAL (
              SELECT r.id, r.performed_at, r.method, r.flight_hours, r.cycles, r.signed_by,
                     u.email AS signer_email, r.task_id
                FROM directive_compliance_records r
                JOIN users u ON u.org_id = r.org_id AND u.id = r.signed_by
               WHERE r.org_id = ad.org_id AND r.aircraft_directive_id = ad.id
               ORDER BY r.performed_at DESC, r.created_at DESC, r.id DESC
               LIMIT 1
            ) c ON true
           WHERE ad.org_id = ${orgId} AND ad.aircraft_id = a.id
             AND d.authority_id = ${filter.authorityId}::uuid AND d.deleted_at IS NULL
             AND (d.status = 'active' OR c.id IS NOT NULL)
        ) x ON true
      ${rowAfter}
       ORDER BY a.tail_number, a.id, x.reference_number, x.directive_id
       LIMIT ${batch.limit}`.execute(this.db);
    return result.rows.map(toDirectiveComplianceRow);
  }

  async mechanicWorkload(
    orgId: string,
    window: WorkloadWindow & { now: Date },
    sort: SortKey<WorkloadSortField>[],
    page: Page,
  ): Promise<MechanicWorkload[]> {
    const query = this.db
      .selectFrom('users as u')
      .leftJoin('maintenance_tasks as t', (join) => {
        let on = join
          .onRef('t.org_id', '=', 'u.org_id')
          .onRef('t.assigned_mechanic_id', '=', 'u.id')
          .on('t.deleted_at', 'is', null)
          .on('t.state', 'in', ['scheduled', 'in_progress']);
        if (window.from !== undefined) on = on.on('t.start_time', '>=', window.from);
        if (window.to !== undefined) on = on.on('t.start_time', '<', window.to);
        return on;
      })
      .select([
        'u.id',
        'u.email',
        sql<number>`count(t.id)::int`.as('open_tasks'),
        sql<number>`(count(t.id) FILTER (WHERE t.state = 'scheduled'))::int`.as('scheduled_tasks'),
        sql<number>`(count(t.id) FILTER (WHERE t.state = 'in_progress'))::int`.as('in_progress_tasks'),
        sql<number>`round(coalesce(sum(extract(epoch FROM t.end_time - t.start_time)), 0) / 3600, 2)::float8`.as(
          'planned_hours',
        ),
        sql<Date | null>`min(t.start_time) FILTER (WHERE t.state = 'scheduled' AND t.start_time >= ${window.now})`.as(
          'next_start',
        ),
      ])
      .where('u.org_id', '=', orgId)
      .where('u.role', '=', 'mechanic')
      .where('u.deleted_at', 'is', null)
      .groupBy(['u.id', 'u.email']);
    const rows = await orderBySortKeys(query, sort, WORKLOAD_SORT, 'u.id')
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map((row) => ({
      mechanicId: row.id,
      email: row.email,
      openTasks: row.open_tasks,
      scheduledTasks: row.scheduled_tasks,
      inProgressTasks: row.in_progress_tasks,
      plannedHours: row.planned_hours,
      nextStart: row.next_start,
    }));
  }

  private fleetByStatus(orgId: string) {
    return this.db
      .selectFrom('aircraft')
      .select(['status as key', sql<number>`count(*)::int`.as('count')])
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null)
      .groupBy('status')
      .execute();
  }

  private taskCounts(orgId: string, clock: SummaryClock) {
    const { now, upcomingShort, upcomingLong } = clock;
    const upcomingBefore = (end: Date) =>
      sql<number>`(count(*) FILTER (WHERE state = 'scheduled' AND start_time >= ${now} AND start_time < ${end}))::int`;
    return this.db
      .selectFrom('maintenance_tasks')
      .select([
        'state as key',
        sql<number>`count(*)::int`.as('count'),
        sql<number>`(count(*) FILTER (WHERE state IN ('scheduled', 'in_progress') AND end_time <= ${now}))::int`.as(
          'overdue',
        ),
        upcomingBefore(upcomingShort).as('upcoming_short'),
        upcomingBefore(upcomingLong).as('upcoming_long'),
      ])
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null)
      .groupBy('state')
      .execute();
  }

  /** Items on the shelf at `now` (live, in_stock, unexpired) and those of them expiring soon. */
  private stockedItems(orgId: string, clock: SummaryClock) {
    return this.db
      .selectFrom('part_items')
      .select([
        sql<number>`count(*)::int`.as('in_stock'),
        sql<number>`(count(*) FILTER (WHERE expiry_date <= ${clock.expiryHorizon}))::int`.as('expiring'),
      ])
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null)
      .where('status', '=', 'in_stock')
      .where((eb) => eb.or([eb('expiry_date', 'is', null), eb('expiry_date', '>', clock.now)]))
      .executeTakeFirstOrThrow();
  }

  /**
   * Definitions whose available items (in stock and unexpired at `now`, minus those reserved) are
   * fewer than their minimum, the largest shortfall first, with the total before the limit. Stock
   * is counted as the part definitions API counts it, in one grouped pass over the items.
   */
  private definitionsBelowMinStock(orgId: string, now: Date) {
    const stock = stockByDefinition(this.db, orgId, now);
    const available = sql<number>`coalesce(s.in_stock, 0) - coalesce(s.reserved, 0)`;
    return this.db
      .selectFrom('part_definitions as d')
      .leftJoin(stock.as('s'), 's.part_definition_id', 'd.id')
      .select([
        'd.id',
        'd.name',
        'd.category',
        sql<number>`d.min_stock_level`.as('min_stock_level'),
        sql<number>`coalesce(s.in_stock, 0)`.as('in_stock'),
        sql<number>`coalesce(s.reserved, 0)`.as('reserved'),
        sql<number>`(count(*) OVER ())::int`.as('total'),
      ])
      .where('d.org_id', '=', orgId)
      .where('d.deleted_at', 'is', null)
      .where('d.min_stock_level', 'is not', null)
      .where(sql<boolean>`${available} < d.min_stock_level`)
      .orderBy(sql`d.min_stock_level - ${available}`, 'desc')
      .orderBy('d.name')
      .orderBy('d.id')
      .limit(BELOW_MIN_STOCK_LIST_LIMIT)
      .execute();
  }

  /** Compliance items per result, with how many are signed off and how many can still be. */
  private complianceCounts(orgId: string) {
    return this.db
      .selectFrom('compliance_items as c')
      .innerJoin('maintenance_tasks as t', (join) =>
        join.onRef('t.org_id', '=', 'c.org_id').onRef('t.id', '=', 'c.task_id'),
      )
      .select([
        'c.result as key',
        sql<number>`count(*)::int`.as('count'),
        sql<number>`(count(*) FILTER (WHERE c.sign_off_time IS NOT NULL))::int`.as('signed'),
        sql<number>`(count(*) FILTER (WHERE c.sign_off_time IS NULL AND t.deleted_at IS NULL AND t.state IN ('scheduled', 'in_progress')))::int`.as(
          'awaiting',
        ),
      ])
      .where('c.org_id', '=', orgId)
      .where('c.deleted_at', 'is', null)
      .groupBy('c.result')
      .execute();
  }
}

/** The sum of one numeric column over grouped rows. */
function sum<K extends string>(rows: readonly Record<K, number>[], column: K): number {
  return rows.reduce((total, row) => total + row[column], 0);
}

/** A row of the directive compliance query; the directive's columns are null for an aircraft without any. */
interface DirectiveReportSqlRow {
  aircraft_id: string;
  tail_number: string;
  aircraft_type: string | null;
  aircraft_model: string;
  serial_number: string | null;
  flight_hours_total: number;
  cycles_total: number;
  tracking_id: string | null;
  directive_id: string | null;
  reference_number: string | null;
  title: string | null;
  type: DirectiveType | null;
  applicability: DirectiveApplicability | null;
  directive_status: DirectiveStatus | null;
  effective_date: CalendarDay | null;
  status: TrackingStatus | null;
  status_reason: string | null;
  next_due_date: CalendarDay | null;
  next_due_flight_hours: number | null;
  next_due_cycles: number | null;
  deferred_until_date: CalendarDay | null;
  deferred_until_flight_hours: number | null;
  deferred_until_cycles: number | null;
  compliance_id: string | null;
  performed_at: Date | null;
  method: string | null;
  compliance_flight_hours: number | null;
  compliance_cycles: number | null;
  signed_by: string | null;
  signer_email: string | null;
  compliance_task_id: string | null;
}

function toDirectiveComplianceRow(row: DirectiveReportSqlRow): DirectiveComplianceRow {
  const deferred =
    row.deferred_until_date !== null ||
    row.deferred_until_flight_hours !== null ||
    row.deferred_until_cycles !== null;
  return {
    aircraftId: row.aircraft_id,
    tailNumber: row.tail_number,
    aircraftType: row.aircraft_type,
    aircraftModel: row.aircraft_model,
    serialNumber: row.serial_number,
    flightHoursTotal: row.flight_hours_total,
    cyclesTotal: row.cycles_total,
    directive:
      row.tracking_id === null
        ? null
        : {
            trackingId: row.tracking_id,
            directiveId: row.directive_id!,
            referenceNumber: row.reference_number!,
            title: row.title!,
            type: row.type!,
            applicability: row.applicability!,
            directiveStatus: row.directive_status!,
            effectiveDate: row.effective_date!,
            status: row.status!,
            statusReason: row.status_reason,
            nextDue: {
              date: row.next_due_date,
              flightHours: row.next_due_flight_hours,
              cycles: row.next_due_cycles,
            },
            deferredUntil: deferred
              ? {
                  date: row.deferred_until_date,
                  flightHours: row.deferred_until_flight_hours,
                  cycles: row.deferred_until_cycles,
                }
              : null,
            lastCompliance:
              row.compliance_id === null
                ? null
                : {
                    id: row.compliance_id,
                    performedAt: row.performed_at!,
                    method: row.method!,
                    flightHours: row.compliance_flight_hours!,
                    cycles: row.compliance_cycles!,
                    signedBy: row.signed_by!,
                    signerEmail: row.signer_email!,
                    taskId: row.compliance_task_id,
                  },
          },
  };
}
