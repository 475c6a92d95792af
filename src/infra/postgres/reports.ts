import { sql } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import {
  BELOW_MIN_STOCK_LIST_LIMIT,
  countsBy,
  type ComplianceReportFilter,
  type ComplianceReportPosition,
  type ComplianceReportRow,
  type ComplianceReportSortField,
  type MechanicWorkload,
  type ReportRepository,
  type SummaryClock,
  type SummaryFigures,
  type WorkloadSortField,
  type WorkloadWindow,
} from '../../app/reports.js';
import { AIRCRAFT_STATUSES } from '../../domain/aircraft.js';
import { COMPLIANCE_RESULTS } from '../../domain/compliance.js';
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
