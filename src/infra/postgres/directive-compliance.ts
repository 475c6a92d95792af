import { sql, type RawBuilder } from 'kysely';
import type {
  AircraftDirective,
  ComplianceStatusRow,
  ComplianceTaskFacts,
  DirectiveComplianceRecord,
  DirectiveComplianceRepository,
  MatrixAircraft,
  MatrixDirective,
  MatrixFilter,
  StatusQuery,
  StatusSortField,
  TrackingContext,
  TrackingPatch,
} from '../../app/directive-compliance.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type { CalendarUnit, DirectiveStatus, Due, TrackingStatus } from '../../domain/directive.js';
import {
  countersBefore,
  effective,
  flownInWindow,
  perDay,
  projectedByUsage,
  todayOf,
} from './directive-due-sql.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';

// The service checks each of these first; they are reached only in a race or by a client that
// skips the checks (the task route, a job), and still answer a clear 4xx.
registerConstraints({
  aircraft_directives_reason_required: {
    kind: 'validation',
    reason: 'STATUS_REASON_REQUIRED',
    message: 'not_applicable and deferred need a reason',
    field: 'body.reason',
  },
  aircraft_directives_deferral_has_limit: {
    kind: 'validation',
    reason: 'DEFERRAL_LIMIT_REQUIRED',
    message: 'a deferral needs its approved new limit (deferred_until), and only a deferral has one',
    field: 'body.deferred_until',
  },
  aircraft_directives_complied_has_compliance: {
    kind: 'conflict',
    reason: 'COMPLIANCE_RECORD_REQUIRED',
    message: 'a directive is complied with only by recording compliance',
  },
  aircraft_directives_org_id_directive_id_aircraft_id_key: {
    kind: 'conflict',
    reason: 'DIRECTIVE_ALREADY_TRACKED',
    message: 'the directive is already tracked on this aircraft',
  },
  aircraft_directives_aircraft_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_NOT_FOUND',
    message: 'aircraft not found in this organization',
  },
  aircraft_directives_directive_fkey: {
    kind: 'not_found',
    reason: 'DIRECTIVE_NOT_FOUND',
    message: 'directive not found in this organization',
  },
  aircraft_directives_task_fkey: {
    kind: 'not_found',
    reason: 'TASK_NOT_FOUND',
    message: 'task not found in this organization',
    field: 'body.task_id',
  },
  aircraft_directives_status_changed_by_fkey: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: 'the person changing the status is not a user of the organization',
  },
  aircraft_directives_last_compliance_fkey: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: 'the last compliance record is not one of the organization',
  },
  aircraft_directives_baseline_flight_hours_check: {
    kind: 'validation',
    reason: 'OUT_OF_RANGE',
    message: 'baseline flight hours must not be negative',
  },
  aircraft_directives_baseline_cycles_check: {
    kind: 'validation',
    reason: 'OUT_OF_RANGE',
    message: 'baseline cycles must not be negative',
  },
  directive_compliance_records_org_id_task_id_key: {
    kind: 'conflict',
    reason: 'TASK_COMPLIANCE_ALREADY_RECORDED',
    message: 'this task already recorded its compliance with the directive on this aircraft',
    field: 'body.task_id',
  },
  directive_compliance_records_task_fkey: {
    kind: 'not_found',
    reason: 'TASK_NOT_FOUND',
    message: 'task not found in this organization',
    field: 'body.task_id',
  },
  directive_compliance_records_tracking_fkey: {
    kind: 'not_found',
    reason: 'DIRECTIVE_NOT_TRACKED',
    message: 'the directive is not tracked on this aircraft',
  },
  directive_compliance_records_aircraft_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_NOT_FOUND',
    message: 'aircraft not found in this organization',
  },
  directive_compliance_records_directive_fkey: {
    kind: 'not_found',
    reason: 'DIRECTIVE_NOT_FOUND',
    message: 'directive not found in this organization',
  },
  directive_compliance_records_signed_by_fkey: {
    kind: 'forbidden',
    reason: 'SIGNER_NOT_IN_ORGANIZATION',
    message: "a compliance record is signed by a person of the aircraft's organization",
  },
  directive_compliance_records_method_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the method of compliance must not be blank',
    field: 'body.method',
  },
  directive_compliance_records_flight_hours_check: {
    kind: 'validation',
    reason: 'OUT_OF_RANGE',
    message: 'flight_hours must not be negative',
    field: 'body.flight_hours',
  },
  directive_compliance_records_cycles_check: {
    kind: 'validation',
    reason: 'OUT_OF_RANGE',
    message: 'cycles must not be negative',
    field: 'body.cycles',
  },
  directive_compliance_records_signature_meaning_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: "a directive compliance signature means 'complied'",
  },
  directive_compliance_records_immutable: {
    kind: 'conflict',
    reason: 'COMPLIANCE_RECORD_IMMUTABLE',
    message: 'directive compliance records are signed and immutable',
  },
});

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

interface TrackingRow {
  id: string;
  org_id: string;
  aircraft_id: string;
  directive_id: string;
  status: TrackingStatus;
  baseline_date: string;
  baseline_flight_hours: string;
  baseline_cycles: number;
  next_due_date: string | null;
  next_due_flight_hours: string | null;
  next_due_cycles: number | null;
  last_compliance_id: string | null;
  last_complied_at: Date | null;
  status_reason: string | null;
  deferred_until_date: string | null;
  deferred_until_flight_hours: string | null;
  deferred_until_cycles: number | null;
  status_changed_by: string | null;
  task_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const toTracking = (row: TrackingRow): AircraftDirective => ({
  id: row.id,
  orgId: row.org_id,
  aircraftId: row.aircraft_id,
  directiveId: row.directive_id,
  status: row.status,
  baselineDate: row.baseline_date,
  baselineFlightHours: Number(row.baseline_flight_hours),
  baselineCycles: row.baseline_cycles,
  nextDue: {
    date: row.next_due_date,
    flightHours: num(row.next_due_flight_hours),
    cycles: row.next_due_cycles,
  },
  deferredUntil: {
    date: row.deferred_until_date,
    flightHours: num(row.deferred_until_flight_hours),
    cycles: row.deferred_until_cycles,
  },
  lastComplianceId: row.last_compliance_id,
  lastCompliedAt: row.last_complied_at,
  statusReason: row.status_reason,
  statusChangedBy: row.status_changed_by,
  taskId: row.task_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface ContextRow extends TrackingRow {
  reference_number: string;
  directive_status: DirectiveStatus;
  effective_date: string;
  recurrence_calendar_value: number | null;
  recurrence_calendar_unit: CalendarUnit | null;
  recurrence_flight_hours: string | null;
  recurrence_cycles: number | null;
  flight_hours_total: string;
  cycles_total: number;
}

const toContext = (row: ContextRow): TrackingContext => ({
  tracking: toTracking(row),
  directive: {
    id: row.directive_id,
    referenceNumber: row.reference_number,
    status: row.directive_status,
    effectiveDate: row.effective_date,
    recurrence: {
      calendar:
        row.recurrence_calendar_value === null || row.recurrence_calendar_unit === null
          ? null
          : { value: row.recurrence_calendar_value, unit: row.recurrence_calendar_unit },
      flightHours: num(row.recurrence_flight_hours),
      cycles: row.recurrence_cycles,
    },
  },
  aircraft: {
    id: row.aircraft_id,
    flightHoursTotal: Number(row.flight_hours_total),
    cyclesTotal: row.cycles_total,
  },
});

interface RecordRow {
  id: string;
  org_id: string;
  aircraft_directive_id: string;
  aircraft_id: string;
  directive_id: string;
  performed_at: Date;
  flight_hours: string;
  cycles: number;
  method: string;
  notes: string | null;
  task_id: string | null;
  signed_by: string;
  signer_email: string | null;
  signature_meaning: string;
  signed_at: Date;
  next_due_date: string | null;
  next_due_flight_hours: string | null;
  next_due_cycles: number | null;
  created_at: Date;
}

const toRecord = (row: RecordRow): DirectiveComplianceRecord => ({
  id: row.id,
  orgId: row.org_id,
  aircraftDirectiveId: row.aircraft_directive_id,
  aircraftId: row.aircraft_id,
  directiveId: row.directive_id,
  performedAt: row.performed_at,
  flightHours: Number(row.flight_hours),
  cycles: row.cycles,
  method: row.method,
  notes: row.notes,
  taskId: row.task_id,
  signedBy: row.signed_by,
  signerEmail: row.signer_email,
  signatureMeaning: 'complied',
  signedAt: row.signed_at,
  nextDue: {
    date: row.next_due_date,
    flightHours: num(row.next_due_flight_hours),
    cycles: row.next_due_cycles,
  },
  createdAt: row.created_at,
});

interface StatusRow {
  id: string;
  aircraft_id: string;
  tail_number: string;
  directive_id: string;
  reference_number: string;
  title: string;
  directive_type: string;
  authority_id: string;
  authority_code: string;
  applicability: string;
  directive_status: DirectiveStatus;
  status: TrackingStatus;
  status_reason: string | null;
  next_due_date: string | null;
  next_due_flight_hours: string | null;
  next_due_cycles: number | null;
  deferred_until_date: string | null;
  deferred_until_flight_hours: string | null;
  deferred_until_cycles: number | null;
  effective_due_date: string | null;
  effective_due_flight_hours: string | null;
  effective_due_cycles: number | null;
  projected_due_date: string | null;
  task_id: string | null;
  last_id: string | null;
  last_performed_at: Date | null;
  last_flight_hours: string | null;
  last_cycles: number | null;
  last_method: string | null;
  last_signed_by: string | null;
  last_signer_email: string | null;
}

const due = (date: string | null, flightHours: string | null, cycles: number | null): Due => ({
  date,
  flightHours: num(flightHours),
  cycles,
});

const toStatus = (row: StatusRow): ComplianceStatusRow => ({
  id: row.id,
  aircraftId: row.aircraft_id,
  tailNumber: row.tail_number,
  directiveId: row.directive_id,
  referenceNumber: row.reference_number,
  title: row.title,
  directiveType: row.directive_type,
  authorityId: row.authority_id,
  authorityCode: row.authority_code,
  applicability: row.applicability,
  directiveStatus: row.directive_status,
  status: row.status,
  statusReason: row.status_reason,
  nextDue: due(row.next_due_date, row.next_due_flight_hours, row.next_due_cycles),
  deferredUntil: due(row.deferred_until_date, row.deferred_until_flight_hours, row.deferred_until_cycles),
  effectiveDue: due(row.effective_due_date, row.effective_due_flight_hours, row.effective_due_cycles),
  projectedDueDate: row.projected_due_date,
  taskId: row.task_id,
  lastCompliance:
    row.last_id === null
      ? null
      : {
          id: row.last_id,
          performedAt: row.last_performed_at!,
          flightHours: Number(row.last_flight_hours),
          cycles: row.last_cycles!,
          method: row.last_method!,
          signedBy: row.last_signed_by!,
          signerEmail: row.last_signer_email,
        },
});

/**
 * The sort keys of the status views: never null (an open end sorts as 'infinity', after every
 * day), so a keyset comparison needs no null rules.
 */
const STATUS_SORT_EXPRESSIONS: Record<StatusSortField, string> = {
  projected_due_date: `coalesce(projected_due_date, 'infinity'::date)`,
  next_due_date: `coalesce(effective_due_date, 'infinity'::date)`,
  reference_number: 'reference_number',
  status: 'status',
  tail_number: 'tail_number',
};

/**
 * "After the cursor row" in the order of `keys` (then id ascending), for rows of a CTE whose
 * cursor row is `cur`: for some key, every earlier key ties and this one is beyond it.
 */
function afterCursor(keys: { expression: string; direction: 'asc' | 'desc' }[]): RawBuilder<boolean> {
  const ties: RawBuilder<unknown>[] = [];
  const branches: RawBuilder<unknown>[] = [];
  for (const { expression, direction } of keys) {
    const here = sql.raw(qualify(expression, 'rows'));
    const there = sql.raw(qualify(expression, 'cur'));
    branches.push(
      sql.join(
        [...ties, direction === 'asc' ? sql`${here} > ${there}` : sql`${here} < ${there}`],
        sql` AND `,
      ),
    );
    ties.push(sql`${here} = ${there}`);
  }
  branches.push(sql.join([...ties, sql`rows.id > cur.id`], sql` AND `));
  return sql<boolean>`(${sql.join(
    branches.map((b) => sql`(${b})`),
    sql` OR `,
  )})`;
}

/** A sort expression over the CTE's columns, with its column names qualified by `alias`. */
const qualify = (expression: string, alias: string): string =>
  expression.replace(
    /\b(projected_due_date|effective_due_date|reference_number|status|tail_number)\b/g,
    `${alias}.$1`,
  );

/** Directive compliance in PostgreSQL. */
export class PgDirectiveComplianceRepository implements DirectiveComplianceRepository {
  constructor(private readonly db: Executor) {}

  async find(
    orgId: string,
    aircraftId: string,
    directiveId: string,
    options: { lock?: boolean } = {},
  ): Promise<TrackingContext | undefined> {
    const result = await sql<ContextRow>`
      SELECT ad.*, d.reference_number, d.status AS directive_status, d.effective_date,
             d.recurrence_calendar_value,
             d.recurrence_calendar_unit, d.recurrence_flight_hours, d.recurrence_cycles,
             a.flight_hours_total, a.cycles_total
        FROM aircraft_directives ad
        JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id AND a.deleted_at IS NULL
        JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id AND d.deleted_at IS NULL
       WHERE ad.org_id = ${orgId} AND ad.aircraft_id = ${aircraftId} AND ad.directive_id = ${directiveId}
       ${options.lock ? sql`FOR UPDATE OF ad` : sql``}`.execute(this.db);
    const row = result.rows[0];
    return row && toContext(row);
  }

  async findForTask(orgId: string, taskId: string): Promise<TrackingContext | undefined> {
    const result = await sql<ContextRow>`
      SELECT ad.*, d.reference_number, d.status AS directive_status, d.effective_date,
             d.recurrence_calendar_value,
             d.recurrence_calendar_unit, d.recurrence_flight_hours, d.recurrence_cycles,
             a.flight_hours_total, a.cycles_total
        FROM maintenance_tasks t
        JOIN aircraft_directives ad ON ad.org_id = t.org_id AND ad.task_id = t.id
        JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id
        JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id AND d.deleted_at IS NULL
       WHERE t.org_id = ${orgId} AND t.id = ${taskId} AND t.directive_id IS NOT NULL
       FOR UPDATE OF ad`.execute(this.db);
    const row = result.rows[0];
    return row && toContext(row);
  }

  async countersAt(
    orgId: string,
    aircraftId: string,
    at: Date,
  ): Promise<{ flightHours: number; cycles: number }> {
    const result = await sql<{ flight_hours: string; cycles: number }>`
      SELECT c.flight_hours, c.cycles
        FROM aircraft a
        CROSS JOIN LATERAL ${countersBefore('a.id', sql`${at}::timestamptz`)} c
       WHERE a.org_id = ${orgId} AND a.id = ${aircraftId}`.execute(this.db);
    const row = result.rows[0]!;
    return { flightHours: Number(row.flight_hours), cycles: row.cycles };
  }

  async findTask(orgId: string, taskId: string): Promise<ComplianceTaskFacts | undefined> {
    const row = await this.db
      .selectFrom('maintenance_tasks')
      .select(['id', 'org_id', 'aircraft_id', 'program_id', 'type', 'state'])
      .where('org_id', '=', orgId)
      .where('id', '=', taskId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        orgId: row.org_id,
        aircraftId: row.aircraft_id,
        programId: row.program_id,
        type: row.type,
        state: row.state,
      }
    );
  }

  async insertRecord(input: Parameters<DirectiveComplianceRepository['insertRecord']>[0]) {
    const result = await sql<RecordRow>`
      WITH inserted AS (
        INSERT INTO directive_compliance_records
          (org_id, aircraft_directive_id, aircraft_id, directive_id, performed_at, flight_hours, cycles,
           method, notes, task_id, signed_by, next_due_date, next_due_flight_hours, next_due_cycles)
        VALUES (${input.orgId}, ${input.tracking.id}, ${input.tracking.aircraftId}, ${input.tracking.directiveId},
                ${input.performedAt}, ${input.flightHours}, ${input.cycles}, ${input.method}, ${input.notes},
                ${input.taskId}, ${input.signedBy}, ${input.nextDue.date}, ${input.nextDue.flightHours},
                ${input.nextDue.cycles})
        RETURNING *)
      SELECT inserted.*, u.email AS signer_email
        FROM inserted LEFT JOIN users u ON u.org_id = inserted.org_id AND u.id = inserted.signed_by`.execute(
      this.db,
    );
    return toRecord(result.rows[0]!);
  }

  async update(orgId: string, id: string, patch: TrackingPatch): Promise<AircraftDirective> {
    const row = await this.db
      .updateTable('aircraft_directives')
      .set({
        status: patch.status,
        status_reason: patch.statusReason,
        deferred_until_date: patch.deferredUntil.date,
        deferred_until_flight_hours: patch.deferredUntil.flightHours,
        deferred_until_cycles: patch.deferredUntil.cycles,
        ...(patch.nextDue
          ? {
              next_due_date: patch.nextDue.date,
              next_due_flight_hours: patch.nextDue.flightHours,
              next_due_cycles: patch.nextDue.cycles,
            }
          : {}),
        ...(patch.lastCompliance
          ? { last_compliance_id: patch.lastCompliance.id, last_complied_at: patch.lastCompliance.at }
          : {}),
        ...(patch.statusChangedBy
          ? {
              status_changed_by: patch.statusChangedBy.userId,
              status_changed_by_org_id: patch.statusChangedBy.orgId,
            }
          : {}),
        ...(patch.taskId !== undefined ? { task_id: patch.taskId } : {}),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTracking(row);
  }

  async history(orgId: string, trackingId: string, page: Page): Promise<DirectiveComplianceRecord[]> {
    const after =
      page.after === undefined
        ? sql``
        : sql`AND EXISTS (SELECT 1 FROM directive_compliance_records cur
                           WHERE cur.org_id = ${orgId} AND cur.id = ${page.after}
                             AND cur.aircraft_directive_id = ${trackingId}
                             AND (r.performed_at < cur.performed_at
                                  OR (r.performed_at = cur.performed_at AND r.id > cur.id)))`;
    const result = await sql<RecordRow>`
      SELECT r.*, u.email AS signer_email
        FROM directive_compliance_records r
        LEFT JOIN users u ON u.org_id = r.org_id AND u.id = r.signed_by
       WHERE r.org_id = ${orgId} AND r.aircraft_directive_id = ${trackingId} ${after}
       ORDER BY r.performed_at DESC, r.id
       LIMIT ${page.limit + 1} OFFSET ${page.offset}`.execute(this.db);
    return result.rows.map(toRecord);
  }

  async aircraftExists(orgId: string, id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  async directiveExists(orgId: string, id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('directives')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * One statement: the tracking rows with their directive, the effective due (a deferral's limit
   * while deferred), the last compliance and its signer, and the projected due date — the effective
   * due date, or the day the aircraft's counters reach the due hours or cycles at its average daily
   * use over the last 90 days (usage already reached: today; an aircraft that did not fly: never),
   * whichever first, as `projectedDueDate` in src/domain/directive.ts.
   */
  async status(
    orgId: string,
    query: StatusQuery,
    sort: SortKey<StatusSortField>[],
    page: Page,
    now: Date,
  ): Promise<ComplianceStatusRow[]> {
    const scope = [
      query.aircraftId === undefined ? sql`` : sql`AND ad.aircraft_id = ${query.aircraftId}`,
      query.directiveId === undefined ? sql`` : sql`AND ad.directive_id = ${query.directiveId}`,
      query.status === undefined ? sql`` : sql`AND ad.status = ${query.status}::directive_tracking_status`,
    ];
    const keys = sort.map((key) => ({
      expression: STATUS_SORT_EXPRESSIONS[key.field],
      direction: key.direction,
    }));
    const order = sql.raw(
      [
        ...keys.map((k) => `${qualify(k.expression, 'rows')} ${k.direction.toUpperCase()}`),
        'rows.id ASC',
      ].join(', '),
    );
    const after =
      page.after === undefined
        ? sql``
        : sql`WHERE EXISTS (SELECT 1 FROM rows cur WHERE cur.id = ${page.after}::uuid AND ${afterCursor(keys)})`;
    const result = await sql<StatusRow>`
      WITH utilisation AS (${flownInWindow(orgId, now, query.aircraftId)}),
      tracked AS (
        SELECT ad.id, ad.aircraft_id, a.tail_number, ad.directive_id, d.reference_number, d.title,
               d.type::text AS directive_type, d.authority_id, ra.code AS authority_code,
               d.applicability::text AS applicability, d.status AS directive_status,
               ad.status, ad.status_reason, ad.next_due_date, ad.next_due_flight_hours, ad.next_due_cycles,
               ad.deferred_until_date, ad.deferred_until_flight_hours, ad.deferred_until_cycles,
               ${effective('date')} AS effective_due_date,
               ${effective('flight_hours')} AS effective_due_flight_hours,
               ${effective('cycles')} AS effective_due_cycles,
               a.flight_hours_total, a.cycles_total,
               ${perDay('ut.flight_hours')} AS hours_per_day, ${perDay('ut.cycles')} AS cycles_per_day,
               ad.task_id,
               r.id AS last_id, r.performed_at AS last_performed_at, r.flight_hours AS last_flight_hours,
               r.cycles AS last_cycles, r.method AS last_method, r.signed_by AS last_signed_by,
               s.email AS last_signer_email
          FROM aircraft_directives ad
          JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id AND a.deleted_at IS NULL
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id AND d.deleted_at IS NULL
          JOIN regulatory_authorities ra ON ra.id = d.authority_id
          LEFT JOIN utilisation ut ON ut.aircraft_id = ad.aircraft_id
          LEFT JOIN directive_compliance_records r ON r.org_id = ad.org_id AND r.id = ad.last_compliance_id
          LEFT JOIN users s ON s.org_id = r.org_id AND s.id = r.signed_by
         WHERE ad.org_id = ${orgId} ${scope[0]} ${scope[1]} ${scope[2]}
      ),
      rows AS (
        SELECT tracked.*,
               -- LEAST ignores nulls: the earliest of the limits that project to a day
               LEAST(
                 effective_due_date,
                 ${projectedByUsage('effective_due_flight_hours', 'flight_hours_total', 'hours_per_day', 'clock.today')},
                 ${projectedByUsage('effective_due_cycles', 'cycles_total', 'cycles_per_day', 'clock.today')}
               ) AS projected_due_date
          FROM tracked
          CROSS JOIN (SELECT ${todayOf(now)} AS today) clock
      )
      SELECT rows.* FROM rows ${after}
       ORDER BY ${order}
       LIMIT ${page.limit + 1} OFFSET ${page.offset}`.execute(this.db);
    return result.rows.map(toStatus);
  }

  /**
   * Two statements. The columns: every live directive (of the authority, when filtered) tracked on
   * a live aircraft of the grid (of the type, when filtered) with a cell of the status (when
   * filtered) — the same on every page. The rows: one page of those aircraft by tail number, each
   * with its cells aggregated in the same statement.
   */
  async matrix(
    orgId: string,
    filter: MatrixFilter,
    page: Page,
  ): Promise<{ directives: MatrixDirective[]; aircraft: MatrixAircraft[] }> {
    const cellFilter = sql`
          ad.org_id = ${orgId} AND a.deleted_at IS NULL AND d.deleted_at IS NULL
          ${filter.authorityId === undefined ? sql`` : sql`AND d.authority_id = ${filter.authorityId}`}
          ${filter.aircraftTypeId === undefined ? sql`` : sql`AND a.aircraft_type_id = ${filter.aircraftTypeId}`}
          ${filter.status === undefined ? sql`` : sql`AND ad.status = ${filter.status}::directive_tracking_status`}`;
    const columns = await sql<{
      id: string;
      reference_number: string;
      title: string;
      type: string;
      authority_id: string;
      authority_code: string;
      applicability: string;
      status: DirectiveStatus;
    }>`
      SELECT d.id, d.reference_number, d.title, d.type::text AS type, d.authority_id, ra.code AS authority_code,
             d.applicability::text AS applicability, d.status
        FROM directives d
        JOIN regulatory_authorities ra ON ra.id = d.authority_id
       WHERE d.org_id = ${orgId}
         AND EXISTS (SELECT 1 FROM aircraft_directives ad
                       JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id
                      WHERE ad.directive_id = d.id AND ${cellFilter})
       ORDER BY ra.code, d.reference_number, d.id`.execute(this.db);
    const after =
      page.after === undefined
        ? sql``
        : sql`AND EXISTS (SELECT 1 FROM aircraft cur WHERE cur.org_id = ${orgId} AND cur.id = ${page.after}
                            AND (a.tail_number, a.id) > (cur.tail_number, cur.id))`;
    // The page of aircraft first (by the live tail-number index), then each one's cells: only the
    // page's cells are aggregated, however large the fleet.
    const rows = await sql<{
      id: string;
      tail_number: string;
      aircraft_type_id: string | null;
      cells: { directive_id: string; status: TrackingStatus; next_due_date: string | null }[];
    }>`
      WITH page AS (
        SELECT a.org_id, a.id, a.tail_number, a.aircraft_type_id, a.deleted_at
          FROM aircraft a
         WHERE a.org_id = ${orgId} AND a.deleted_at IS NULL ${after}
           AND EXISTS (SELECT 1 FROM aircraft_directives ad
                         JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
                        WHERE ad.aircraft_id = a.id AND ${cellFilter})
         ORDER BY a.tail_number, a.id
         LIMIT ${page.limit + 1} OFFSET ${page.offset}
      )
      SELECT a.id, a.tail_number, a.aircraft_type_id, c.cells
        FROM page a
        CROSS JOIN LATERAL (
          SELECT json_agg(json_build_object(
                   'directive_id', ad.directive_id,
                   'status', ad.status,
                   'next_due_date', ${effective('date')}
                 ) ORDER BY ra.code, d.reference_number, d.id) AS cells
            FROM aircraft_directives ad
            JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
            JOIN regulatory_authorities ra ON ra.id = d.authority_id
           WHERE ad.aircraft_id = a.id AND ${cellFilter}
        ) c
       ORDER BY a.tail_number, a.id`.execute(this.db);
    return {
      directives: columns.rows.map((c) => ({
        id: c.id,
        referenceNumber: c.reference_number,
        title: c.title,
        type: c.type,
        authorityId: c.authority_id,
        authorityCode: c.authority_code,
        applicability: c.applicability,
        status: c.status,
      })),
      aircraft: rows.rows.map((r) => ({
        id: r.id,
        tailNumber: r.tail_number,
        aircraftTypeId: r.aircraft_type_id,
        cells: r.cells.map((cell) => ({
          directiveId: cell.directive_id,
          status: cell.status,
          nextDueDate: cell.next_due_date,
        })),
      })),
    };
  }
}
