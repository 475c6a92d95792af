import { sql, type RawBuilder, type Selectable } from 'kysely';
import {
  noTracking,
  type Directive,
  type DirectiveFilter,
  type DirectivePatch,
  type DirectiveRepository,
  type DirectiveSortField,
  type NewDirective,
  type RecomputedDue,
  type TrackingOutcome,
  type TrackingScope,
} from '../../app/directives.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type { CalendarDay, TrackingStatus } from '../../domain/directive.js';
import { countersBefore, limitPassed, todayOf } from './directive-due-sql.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { DirectivesTable } from './schema.js';
import { escapeLike } from './users.js';

// The service checks most of these first; the database has the last word (and races reach it).
registerConstraints({
  directives_org_id_authority_reference_live_key: {
    kind: 'conflict',
    reason: 'DIRECTIVE_DUPLICATE',
    message:
      'a live directive of this authority with this reference number already exists in the organization',
    field: 'body.reference_number',
  },
  directives_authority_fkey: {
    kind: 'not_found',
    reason: 'AUTHORITY_NOT_FOUND',
    message: 'authority_id names no regulatory authority',
    field: 'body.authority_id',
  },
  directives_superseded_by_fkey: {
    kind: 'not_found',
    reason: 'DIRECTIVE_NOT_FOUND',
    message: 'superseded_by names no directive of the organization',
    field: 'body.superseded_by',
  },
  directives_superseded_has_successor: {
    kind: 'validation',
    reason: 'SUPERSEDED_BY_REQUIRED',
    message: 'superseded_by is required when (and only when) status is superseded',
    field: 'body.superseded_by',
  },
  directives_not_superseded_by_itself: {
    kind: 'validation',
    reason: 'SUPERSEDED_BY_ITSELF',
    message: 'superseded_by must name another directive',
    field: 'body.superseded_by',
  },
  directives_reference_number_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'reference_number must not be blank',
    field: 'body.reference_number',
  },
  directives_title_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'title must not be blank',
    field: 'body.title',
  },
  directives_applicable_tail_numbers_not_empty: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'applicable_tail_numbers must be null or list at least one tail number',
    field: 'body.applicable_tail_numbers',
  },
  directives_serial_from_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'serial_from must not be blank',
    field: 'body.serial_from',
  },
  directives_serial_to_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'serial_to must not be blank',
    field: 'body.serial_to',
  },
  directives_serial_range_ordered: {
    kind: 'validation',
    reason: 'SERIAL_RANGE_REVERSED',
    message: 'serial_to must not come before serial_from',
    field: 'body.serial_to',
  },
  directives_limit_days_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'limit.days must be more than 0',
    field: 'body.limit.days',
  },
  directives_limit_flight_hours_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'limit.flight_hours must be more than 0',
    field: 'body.limit.flight_hours',
  },
  directives_limit_cycles_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'limit.cycles must be more than 0',
    field: 'body.limit.cycles',
  },
  directives_limit_date_not_before_effective: {
    kind: 'validation',
    reason: 'LIMIT_DATE_BEFORE_EFFECTIVE',
    message: 'limit.date must not be before effective_date',
    field: 'body.limit.date',
  },
  directives_recurrence_calendar_complete: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'recurrence.calendar needs both value and unit',
    field: 'body.recurrence.calendar',
  },
  directives_recurrence_calendar_value_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'recurrence.calendar.value must be more than 0',
    field: 'body.recurrence.calendar.value',
  },
  directives_recurrence_flight_hours_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'recurrence.flight_hours must be more than 0',
    field: 'body.recurrence.flight_hours',
  },
  directives_recurrence_cycles_check: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'recurrence.cycles must be more than 0',
    field: 'body.recurrence.cycles',
  },
  // Reached only by a directive deleted while referenced (never: the delete is soft).
  directive_aircraft_types_directive_fkey: {
    kind: 'not_found',
    reason: 'DIRECTIVE_NOT_FOUND',
    message: 'directive not found',
  },
  directive_aircraft_types_aircraft_type_fkey: {
    kind: 'not_found',
    reason: 'AIRCRAFT_TYPE_NOT_FOUND',
    message: 'aircraft_type_ids names no aircraft type',
    field: 'body.aircraft_type_ids',
  },
  directive_aircraft_types_pkey: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'aircraft_type_ids names an aircraft type twice',
    field: 'body.aircraft_type_ids',
  },
});

const SORT_COLUMNS: Record<DirectiveSortField, string> = {
  reference_number: 'd.reference_number',
  effective_date: 'd.effective_date',
  created_at: 'd.created_at',
  title: 'd.title',
};

type DirectiveRow = Selectable<DirectivesTable> & {
  authority_code: string;
  aircraft_types: { id: string; designator: string }[];
  tracking: Partial<Record<TrackingStatus, number>> | null;
};

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

const toDirective = (row: DirectiveRow): Directive => ({
  id: row.id,
  orgId: row.org_id,
  authorityId: row.authority_id,
  authorityCode: row.authority_code,
  type: row.type,
  referenceNumber: row.reference_number,
  title: row.title,
  description: row.description,
  applicability: row.applicability,
  aircraftTypes: row.aircraft_types,
  tailNumbers: row.applicable_tail_numbers,
  serialFrom: row.serial_from,
  serialTo: row.serial_to,
  effectiveDate: row.effective_date,
  limit: {
    date: row.limit_date,
    days: row.limit_days,
    flightHours: num(row.limit_flight_hours),
    cycles: row.limit_cycles,
  },
  recurrence: {
    calendar:
      row.recurrence_calendar_value === null || row.recurrence_calendar_unit === null
        ? null
        : { value: row.recurrence_calendar_value, unit: row.recurrence_calendar_unit },
    flightHours: num(row.recurrence_flight_hours),
    cycles: row.recurrence_cycles,
  },
  status: row.status,
  supersededBy: row.superseded_by,
  sourceUrl: row.source_url,
  tracking: { ...noTracking(), ...(row.tracking ?? {}) },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The directive columns of a new row or a patch (undefined leaves a column as it is). */
function columns(input: DirectivePatch) {
  const limit = input.limit;
  const recurrence = input.recurrence;
  return {
    authority_id: input.authorityId,
    type: input.type,
    reference_number: input.referenceNumber,
    title: input.title,
    description: input.description,
    applicability: input.applicability,
    applicable_tail_numbers: input.tailNumbers,
    serial_from: input.serialFrom,
    serial_to: input.serialTo,
    effective_date: input.effectiveDate,
    limit_date: limit?.date,
    limit_days: limit?.days,
    limit_flight_hours: limit?.flightHours,
    limit_cycles: limit?.cycles,
    recurrence_calendar_value: recurrence && (recurrence.calendar?.value ?? null),
    recurrence_calendar_unit: recurrence && (recurrence.calendar?.unit ?? null),
    recurrence_flight_hours: recurrence?.flightHours,
    recurrence_cycles: recurrence?.cycles,
    status: input.status,
    superseded_by: input.supersededBy,
    source_url: input.sourceUrl,
  };
}

/**
 * The next due of a limit counted from a baseline, whichever comes first — exactly as
 * `initialDue` (src/domain/directive.ts) computes it: the limit date or the baseline day plus the
 * limit days (the earlier; LEAST ignores a null), and the baseline counters plus the limit hours
 * and cycles. `d` is the directive; the baseline is given as SQL expressions.
 */
const initialDueSql = (baseline: {
  date: RawBuilder<unknown>;
  hours: RawBuilder<unknown>;
  cycles: RawBuilder<unknown>;
}) => ({
  date: sql`least(d.limit_date, ${baseline.date} + d.limit_days)`,
  hours: sql`${baseline.hours} + d.limit_flight_hours`,
  cycles: sql`${baseline.cycles} + d.limit_cycles`,
});

/** The aircraft's counters at the start (00:00 UTC) of `day` (its effective date). */
const countersAt = (aircraft: string, day: RawBuilder<unknown>) =>
  countersBefore(aircraft, sql`(${day}::timestamp AT TIME ZONE 'UTC')`);

export class PgDirectiveRepository implements DirectiveRepository {
  constructor(private readonly db: Executor) {}

  /** Live directives with their authority code, aircraft types and tracking counts (of live aircraft). */
  private select() {
    return this.db
      .selectFrom('directives as d')
      .innerJoin('regulatory_authorities as ra', 'ra.id', 'd.authority_id')
      .selectAll('d')
      .select([
        'ra.code as authority_code',
        sql<DirectiveRow['aircraft_types']>`coalesce((
          SELECT json_agg(json_build_object('id', t.id, 'designator', t.designator) ORDER BY t.designator, t.id)
            FROM directive_aircraft_types dat
            JOIN aircraft_types t ON t.id = dat.aircraft_type_id
           WHERE dat.org_id = d.org_id AND dat.directive_id = d.id), '[]'::json)`.as('aircraft_types'),
        sql<DirectiveRow['tracking']>`(
          SELECT json_object_agg(s.status, s.n) FROM (
            SELECT ad.status, count(*)::integer AS n
              FROM aircraft_directives ad
              JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id AND a.deleted_at IS NULL
             WHERE ad.org_id = d.org_id AND ad.directive_id = d.id
             GROUP BY ad.status) s)`.as('tracking'),
      ])
      .where('d.deleted_at', 'is', null);
  }

  async insert(input: NewDirective): Promise<Directive> {
    const { id } = await this.db
      .insertInto('directives')
      .values({
        ...columns(input),
        org_id: input.orgId,
        authority_id: input.authorityId,
        type: input.type,
        reference_number: input.referenceNumber,
        title: input.title,
        effective_date: input.effectiveDate,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.replaceAircraftTypes(input.orgId, id, input.aircraftTypeIds);
    return (await this.findById(input.orgId, id))!;
  }

  async findById(orgId: string, id: string, lock?: 'update' | 'share'): Promise<Directive | undefined> {
    let query = this.select().where('d.org_id', '=', orgId).where('d.id', '=', id);
    if (lock === 'update') query = query.forNoKeyUpdate('d');
    if (lock === 'share') query = query.forShare('d');
    const row = await query.executeTakeFirst();
    return row && toDirective(row);
  }

  async list(
    orgId: string,
    filter: DirectiveFilter,
    sort: SortKey<DirectiveSortField>[],
    page: Page,
  ): Promise<Directive[]> {
    let query = this.select().where('d.org_id', '=', orgId);
    if (filter.authorityId !== undefined) query = query.where('d.authority_id', '=', filter.authorityId);
    if (filter.type !== undefined) query = query.where('d.type', '=', filter.type);
    if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
    if (filter.applicability !== undefined) query = query.where('d.applicability', '=', filter.applicability);
    if (filter.effectiveFrom !== undefined)
      query = query.where('d.effective_date', '>=', filter.effectiveFrom);
    if (filter.effectiveTo !== undefined) query = query.where('d.effective_date', '<=', filter.effectiveTo);
    if (filter.aircraftTypeId !== undefined) {
      const typeId = filter.aircraftTypeId;
      query = query.where(
        sql<boolean>`EXISTS (SELECT 1 FROM directive_aircraft_types dat
                     WHERE dat.org_id = d.org_id AND dat.directive_id = d.id AND dat.aircraft_type_id = ${typeId})`,
      );
    }
    if (filter.q !== undefined) {
      const q = filter.q;
      query = query.where(
        sql<boolean>`(d.search @@ websearch_to_tsquery('simple', ${q})
                      OR d.reference_number ILIKE ${`${escapeLike(q)}%`})`,
      );
    }
    const rows = await orderBySortKeys(query, sort, SORT_COLUMNS, 'd.id', {
      table: 'directives',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map((row) => toDirective(row as DirectiveRow));
  }

  async update(orgId: string, id: string, patch: DirectivePatch): Promise<Directive | undefined> {
    const row = await this.db
      .updateTable('directives')
      .set({ ...columns(patch), updated_at: new Date() })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!row) return undefined;
    if (patch.aircraftTypeIds !== undefined)
      await this.replaceAircraftTypes(orgId, id, patch.aircraftTypeIds);
    return this.findById(orgId, id);
  }

  async softDelete(orgId: string, id: string): Promise<Directive | undefined> {
    const before = await this.findById(orgId, id);
    if (!before) return undefined;
    const now = new Date();
    await this.db
      .updateTable('directives')
      .set({ deleted_at: now, updated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .execute();
    return { ...before, updatedAt: now };
  }

  async authorityExists(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('regulatory_authorities')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  async unknownAircraftTypes(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await sql<{ id: string }>`
      SELECT wanted.id FROM unnest(${ids}::uuid[]) AS wanted (id)
       WHERE NOT EXISTS (SELECT 1 FROM aircraft_types t WHERE t.id = wanted.id)`.execute(this.db);
    return rows.map((row) => row.id);
  }

  async trackApplicable(orgId: string, scope: TrackingScope): Promise<TrackingOutcome> {
    if (scope.directiveIds?.length === 0 || scope.aircraftIds?.length === 0) {
      return { applicable: 0, newlyTracked: 0 };
    }
    const directives =
      scope.directiveIds === undefined ? sql`` : sql`AND d.id = ANY (${scope.directiveIds}::uuid[])`;
    const aircraft =
      scope.aircraftIds === undefined ? sql`` : sql`AND a.id = ANY (${scope.aircraftIds}::uuid[])`;
    const due = initialDueSql({
      date: sql`d.effective_date`,
      hours: sql`b.flight_hours`,
      cycles: sql`b.cycles`,
    });
    // One statement: the pairs that apply (the same rule as `appliesTo`), those not tracked yet
    // with the aircraft's counters at the effective date, and the insert — a pair tracked
    // meanwhile by a concurrent scan is skipped by the unique key.
    const { rows } = await sql<{ applicable: number; newly_tracked: number }>`
      WITH applicable AS (
        SELECT d.id AS directive_id, a.id AS aircraft_id
          FROM directives d
          JOIN directive_aircraft_types dat ON dat.org_id = d.org_id AND dat.directive_id = d.id
          JOIN aircraft a ON a.org_id = d.org_id AND a.aircraft_type_id = dat.aircraft_type_id
                         AND a.deleted_at IS NULL
         WHERE d.org_id = ${orgId} AND d.deleted_at IS NULL AND d.status = 'active'
           AND (d.applicable_tail_numbers IS NULL OR a.tail_number = ANY (d.applicable_tail_numbers))
           AND ((d.serial_from IS NULL AND d.serial_to IS NULL)
                OR amss_serial_in_range(a.serial_number, d.serial_from, d.serial_to))
           ${directives} ${aircraft}
      ), inserted AS (
        INSERT INTO aircraft_directives
               (org_id, aircraft_id, directive_id, baseline_date, baseline_flight_hours, baseline_cycles,
                next_due_date, next_due_flight_hours, next_due_cycles)
        SELECT d.org_id, a.id, d.id, d.effective_date, b.flight_hours, b.cycles, ${due.date}, ${due.hours}, ${due.cycles}
          FROM applicable p
          JOIN directives d ON d.org_id = ${orgId} AND d.id = p.directive_id
          JOIN aircraft a ON a.org_id = ${orgId} AND a.id = p.aircraft_id
          CROSS JOIN LATERAL ${countersAt('p.aircraft_id', sql`d.effective_date`)} b
         WHERE NOT EXISTS (SELECT 1 FROM aircraft_directives ad
                            WHERE ad.org_id = ${orgId} AND ad.directive_id = p.directive_id
                              AND ad.aircraft_id = p.aircraft_id)
        ON CONFLICT (org_id, directive_id, aircraft_id) DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM applicable)::integer AS applicable,
             (SELECT count(*) FROM inserted)::integer AS newly_tracked`.execute(this.db);
    const row = rows[0]!;
    return { applicable: row.applicable, newlyTracked: row.newly_tracked };
  }

  async recomputeInitialDue(orgId: string, directiveId: string, now: Date): Promise<RecomputedDue> {
    const due = initialDueSql({
      date: sql`r.baseline_date`,
      hours: sql`r.baseline_flight_hours`,
      cycles: sql`r.baseline_cycles`,
    });
    // Rows still counting from the baseline (never complied with, open); a new effective date moves
    // the baseline with it. An overdue row no longer past its new limit is open again: in progress
    // while its task is live, else pending. A deferred row keeps its deferral.
    const { rows } = await sql<{
      id: string;
      aircraft_id: string;
      previous_status: TrackingStatus;
      status: TrackingStatus;
      next_due_date: CalendarDay | null;
      next_due_flight_hours: string | null;
      next_due_cycles: number | null;
      updated_at: Date;
    }>`
      WITH rows AS (
        SELECT ad.id, d.effective_date AS baseline_date,
               CASE WHEN ad.baseline_date = d.effective_date THEN ad.baseline_flight_hours ELSE c.flight_hours END
                 AS baseline_flight_hours,
               CASE WHEN ad.baseline_date = d.effective_date THEN ad.baseline_cycles ELSE c.cycles END
                 AS baseline_cycles,
               a.flight_hours_total, a.cycles_total, ad.status,
               EXISTS (SELECT 1 FROM maintenance_tasks t
                        WHERE t.org_id = ad.org_id AND t.id = ad.task_id AND t.active_window IS NOT NULL)
                 AS task_live
          FROM aircraft_directives ad
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
          JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id
          CROSS JOIN LATERAL ${countersAt('ad.aircraft_id', sql`d.effective_date`)} c
         WHERE ad.org_id = ${orgId} AND ad.directive_id = ${directiveId}
           AND ad.last_compliance_id IS NULL AND ad.status IN ('pending', 'in_progress', 'deferred', 'overdue')
           FOR UPDATE OF ad
      ), due AS (
        SELECT r.*, ${due.date} AS next_due_date, ${due.hours} AS next_due_flight_hours,
               ${due.cycles} AS next_due_cycles
          FROM rows r
          JOIN directives d ON d.org_id = ${orgId} AND d.id = ${directiveId}
      )
      UPDATE aircraft_directives ad
         SET baseline_date = due.baseline_date,
             baseline_flight_hours = due.baseline_flight_hours,
             baseline_cycles = due.baseline_cycles,
             next_due_date = due.next_due_date,
             next_due_flight_hours = due.next_due_flight_hours,
             next_due_cycles = due.next_due_cycles,
             status = CASE
               WHEN due.status = 'overdue' AND NOT ${limitPassed(
                 {
                   date: sql`due.next_due_date`,
                   flightHours: sql`due.next_due_flight_hours`,
                   cycles: sql`due.next_due_cycles`,
                 },
                 {
                   today: todayOf(now),
                   flightHours: sql`due.flight_hours_total`,
                   cycles: sql`due.cycles_total`,
                 },
               )}
               THEN (CASE WHEN due.task_live THEN 'in_progress' ELSE 'pending' END)::directive_tracking_status
               ELSE ad.status END
        FROM due
       WHERE ad.org_id = ${orgId} AND ad.id = due.id
      RETURNING ad.id, ad.aircraft_id, due.status AS previous_status, ad.status, ad.next_due_date,
                ad.next_due_flight_hours, ad.next_due_cycles, ad.updated_at`.execute(this.db);
    return {
      recomputed: rows.length,
      statusChanged: rows
        .filter((row) => row.status !== row.previous_status)
        .map((row) => ({
          id: row.id,
          aircraftId: row.aircraft_id,
          previousStatus: row.previous_status,
          status: row.status,
          nextDue: {
            date: row.next_due_date,
            flightHours: row.next_due_flight_hours === null ? null : Number(row.next_due_flight_hours),
            cycles: row.next_due_cycles,
          },
          updatedAt: row.updated_at,
        })),
    };
  }

  private async replaceAircraftTypes(orgId: string, directiveId: string, typeIds: string[]): Promise<void> {
    await this.db
      .deleteFrom('directive_aircraft_types')
      .where('org_id', '=', orgId)
      .where('directive_id', '=', directiveId)
      .execute();
    if (typeIds.length === 0) return;
    await this.db
      .insertInto('directive_aircraft_types')
      .values(
        typeIds.map((typeId) => ({ org_id: orgId, directive_id: directiveId, aircraft_type_id: typeId })),
      )
      .execute();
  }
}
