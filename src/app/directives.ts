import { randomUUID } from 'node:crypto';
import { hasAtMostTwoDecimals, normalizeTailNumber } from '../domain/aircraft.js';
import {
  compareSerials,
  isCalendarDay,
  TRACKING_STATUSES,
  type CalendarDay,
  type CalendarUnit,
  type ComplianceLimit,
  type DirectiveApplicability,
  type DirectiveStatus,
  type DirectiveType,
  type Due,
  type Recurrence,
  type TrackingStatus,
} from '../domain/directive.js';
import { domainEvent, type EventType } from '../domain/events.js';
import { documentUrlProblem } from '../domain/people.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError, type FieldProblem } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// The directive as the application sees it
// ---------------------------------------------------------------------------------------------

/** An airworthiness directive, service bulletin or engineering order of an organization. */
export interface Directive {
  id: string;
  orgId: string;
  authorityId: string;
  /** The authority's short name, e.g. FAA. */
  authorityCode: string;
  type: DirectiveType;
  referenceNumber: string;
  title: string;
  description: string | null;
  applicability: DirectiveApplicability;
  /** The aircraft types it applies to (at least one), by designator. */
  aircraftTypes: { id: string; designator: string }[];
  /** Only these tails (upper-case), or null for every tail of the types. */
  tailNumbers: string[] | null;
  serialFrom: string | null;
  serialTo: string | null;
  effectiveDate: CalendarDay;
  limit: ComplianceLimit;
  recurrence: Recurrence;
  status: DirectiveStatus;
  supersededBy: string | null;
  sourceUrl: string | null;
  /** How many live aircraft track it, per tracking status. */
  tracking: Record<TrackingStatus, number>;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields a directive list sorts by. */
export const DIRECTIVE_SORT_FIELDS = ['reference_number', 'effective_date', 'created_at', 'title'] as const;
export type DirectiveSortField = (typeof DIRECTIVE_SORT_FIELDS)[number];

/** Narrows a directive list; unset fields do not filter. */
export interface DirectiveFilter {
  authorityId?: string | undefined;
  type?: DirectiveType | undefined;
  status?: DirectiveStatus | undefined;
  applicability?: DirectiveApplicability | undefined;
  /** Only directives that apply to this aircraft type. */
  aircraftTypeId?: string | undefined;
  /** Full text over reference number, title and description (web search syntax), or a reference-number prefix. */
  q?: string | undefined;
  /** effective_date on or after this day. */
  effectiveFrom?: CalendarDay | undefined;
  /** effective_date on or before this day. */
  effectiveTo?: CalendarDay | undefined;
}

/** A directive row to write. */
export interface NewDirective {
  orgId: string;
  authorityId: string;
  type: DirectiveType;
  referenceNumber: string;
  title: string;
  description: string | null;
  applicability: DirectiveApplicability;
  aircraftTypeIds: string[];
  tailNumbers: string[] | null;
  serialFrom: string | null;
  serialTo: string | null;
  effectiveDate: CalendarDay;
  limit: ComplianceLimit;
  recurrence: Recurrence;
  status: DirectiveStatus;
  supersededBy: string | null;
  sourceUrl: string | null;
}

/** The fields of a directive to change; `aircraftTypeIds`, when set, replaces the types. */
export type DirectivePatch = Partial<Omit<NewDirective, 'orgId'>>;

/** What recomputing a directive's due did: the rows recomputed, and those whose status changed. */
export interface RecomputedDue {
  recomputed: number;
  statusChanged: {
    id: string;
    aircraftId: string;
    previousStatus: TrackingStatus;
    status: TrackingStatus;
    nextDue: Due;
    updatedAt: Date;
  }[];
}

/** What tracking applicable aircraft did: pairs that apply, and how many of them were tracked just now. */
export interface TrackingOutcome {
  applicable: number;
  newlyTracked: number;
}

/** Which (directive, aircraft) pairs to consider; unset means every live one of the org. */
export interface TrackingScope {
  directiveIds?: string[] | undefined;
  aircraftIds?: string[] | undefined;
}

/** Directives in PostgreSQL; every method is scoped by org. "find" answers live rows only. */
export interface DirectiveRepository {
  insert(input: NewDirective): Promise<Directive>;
  /** `lock`: `update` for the directive being changed, `share` for a scan that leans on it. */
  findById(orgId: string, id: string, lock?: 'update' | 'share'): Promise<Directive | undefined>;
  /** Fetches `page.limit + 1` rows so the caller knows whether more follow. */
  list(
    orgId: string,
    filter: DirectiveFilter,
    sort: SortKey<DirectiveSortField>[],
    page: Page,
  ): Promise<Directive[]>;
  update(orgId: string, id: string, patch: DirectivePatch): Promise<Directive | undefined>;
  softDelete(orgId: string, id: string): Promise<Directive | undefined>;
  /** Whether a regulatory authority exists. */
  authorityExists(id: string): Promise<boolean>;
  /** The ids among `ids` that name no aircraft type. */
  unknownAircraftTypes(ids: string[]): Promise<string[]>;
  /**
   * In one statement, tracks every live aircraft of the org that a live, active directive applies
   * to and does not track it yet (within `scope`), with its baseline at the effective date and its
   * initial due as `initialDue` computes it. Concurrent calls track each pair once.
   */
  trackApplicable(orgId: string, scope: TrackingScope): Promise<TrackingOutcome>;
  /**
   * Recomputes from their baseline the next due of the directive's rows never complied with and
   * still open — pending, in progress, deferred (its deferral kept) or overdue — after its limit
   * changed; an overdue row no longer past its new limit at `now` is open again (in progress while
   * its task is live, else pending). Answers how many rows it recomputed and those whose status changed.
   */
  recomputeInitialDue(orgId: string, directiveId: string, now: Date): Promise<RecomputedDue>;
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** A directive as the API, audit rows and events show it. */
export type DirectiveView = {
  id: string;
  org_id: string;
  authority_id: string;
  authority_code: string;
  type: DirectiveType;
  reference_number: string;
  title: string;
  description: string | null;
  applicability: DirectiveApplicability;
  aircraft_type_ids: string[];
  aircraft_types: { id: string; designator: string }[];
  applicable_tail_numbers: string[] | null;
  serial_from: string | null;
  serial_to: string | null;
  effective_date: string;
  limit: { date: string | null; days: number | null; flight_hours: number | null; cycles: number | null };
  recurrence: {
    calendar: { value: number; unit: CalendarUnit } | null;
    flight_hours: number | null;
    cycles: number | null;
  } | null;
  status: DirectiveStatus;
  superseded_by: string | null;
  source_url: string | null;
  tracking: Record<TrackingStatus, number>;
  created_at: string;
  updated_at: string;
};

export const directiveView = (d: Directive): DirectiveView => ({
  id: d.id,
  org_id: d.orgId,
  authority_id: d.authorityId,
  authority_code: d.authorityCode,
  type: d.type,
  reference_number: d.referenceNumber,
  title: d.title,
  description: d.description,
  applicability: d.applicability,
  aircraft_type_ids: d.aircraftTypes.map((t) => t.id),
  aircraft_types: d.aircraftTypes,
  applicable_tail_numbers: d.tailNumbers,
  serial_from: d.serialFrom,
  serial_to: d.serialTo,
  effective_date: d.effectiveDate,
  limit: {
    date: d.limit.date,
    days: d.limit.days,
    flight_hours: d.limit.flightHours,
    cycles: d.limit.cycles,
  },
  recurrence:
    d.recurrence.calendar === null && d.recurrence.flightHours === null && d.recurrence.cycles === null
      ? null
      : {
          calendar: d.recurrence.calendar,
          flight_hours: d.recurrence.flightHours,
          cycles: d.recurrence.cycles,
        },
  status: d.status,
  superseded_by: d.supersededBy,
  source_url: d.sourceUrl,
  tracking: d.tracking,
  created_at: d.createdAt.toISOString(),
  updated_at: d.updatedAt.toISOString(),
});

/** Zero rows in every tracking status. */
export const noTracking = (): Record<TrackingStatus, number> =>
  Object.fromEntries(TRACKING_STATUSES.map((status) => [status, 0])) as Record<TrackingStatus, number>;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** A limit as a client sends it: any subset; none is no limit. */
export type LimitInput = Partial<ComplianceLimit>;

/** A recurrence as a client sends it: any subset; null (or nothing in it) is once only. */
export type RecurrenceInput = Partial<Recurrence> | null;

export interface CreateDirectiveInput extends OrgScope {
  authorityId: string;
  type: DirectiveType;
  referenceNumber: string;
  title: string;
  description?: string | null | undefined;
  applicability?: DirectiveApplicability | undefined;
  aircraftTypeIds: string[];
  tailNumbers?: string[] | null | undefined;
  serialFrom?: string | null | undefined;
  serialTo?: string | null | undefined;
  effectiveDate: CalendarDay;
  limit?: LimitInput | null | undefined;
  recurrence?: RecurrenceInput | undefined;
  status?: DirectiveStatus | undefined;
  supersededBy?: string | null | undefined;
  sourceUrl?: string | null | undefined;
}

/** The fields to change; `limit` and `recurrence`, when given, replace the stored ones whole. */
export type UpdateDirectiveInput = Partial<Omit<CreateDirectiveInput, 'orgId'>>;

/** What a fleet scan answers. */
export interface FleetScanOutcome {
  applicable: number;
  newlyTracked: number;
  alreadyTracked: number;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

export interface DirectiveServiceDeps {
  uow: UnitOfWork;
  /** The clock (tests may fix it). */
  now?: () => Date;
}

/**
 * The directives of an organization: the tenant_admin (and admins) manage them, schedulers scan
 * the fleet for them, everyone reads them. A scan, an aircraft created later or given a new type,
 * tail or serial number, and a change of a directive's applicability track the aircraft it
 * applies to (one row per pair, in one statement); a change of its limit moves the due of the rows
 * still counting from the baseline. Every change writes its audit row and event in its transaction.
 */
export class DirectiveService {
  constructor(private readonly deps: DirectiveServiceDeps) {}

  /**
   * Records a directive. Its authority and aircraft types must exist (404 AUTHORITY_NOT_FOUND,
   * AIRCRAFT_TYPE_NOT_FOUND naming the field); a second live directive of the authority with the
   * same reference number is 409 DIRECTIVE_DUPLICATE. It tracks nothing until a fleet scan.
   */
  async create(ctx: MutationContext, input: CreateDirectiveInput): Promise<Directive> {
    authorize(ctx.actor, 'directives', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const { orgId: _scope, ...given } = input;
    const fields = checkedFields({
      ...given,
      description: input.description ?? null,
      applicability: input.applicability ?? 'mandatory',
      tailNumbers: input.tailNumbers ?? null,
      serialFrom: input.serialFrom ?? null,
      serialTo: input.serialTo ?? null,
      limit: limitOf(input.limit),
      recurrence: recurrenceOf(input.recurrence),
      status: input.status ?? 'active',
      supersededBy: input.supersededBy ?? null,
      sourceUrl: input.sourceUrl ?? null,
    });
    return mutate(this.deps.uow, ctx, async (tx) => {
      await refuseUnknownReferences(tx, orgId, fields, { authority: true, types: true });
      const created = await tx.directives.insert({ orgId, ...fields });
      return { result: created, ...directiveEffects({ action: 'create', after: created }) };
    });
  }

  /** One live directive of the organization in scope (404 DIRECTIVE_NOT_FOUND otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<Directive> {
    authorize(actor, 'directives', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.directives.findById(orgId, id)) ?? notFound();
  }

  /** Live directives of the organization, filtered and sorted. */
  async list(
    actor: Actor,
    filter: DirectiveFilter & OrgScope,
    sort: SortKey<DirectiveSortField>[],
    page: Page,
  ): Promise<PageOf<Directive>> {
    authorize(actor, 'directives', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const { effectiveFrom, effectiveTo } = filter;
    const problems: FieldProblem[] = [];
    for (const [name, value] of [
      ['effective_from', effectiveFrom],
      ['effective_to', effectiveTo],
    ] as const) {
      if (value !== undefined && !isCalendarDay(value)) {
        problems.push({ field: `querystring.${name}`, message: 'must be a calendar day YYYY-MM-DD' });
      }
    }
    if (problems.length === 0 && effectiveFrom && effectiveTo && effectiveTo < effectiveFrom) {
      problems.push({ field: 'querystring.effective_to', message: 'must not be before effective_from' });
    }
    if (problems.length > 0) {
      throw AppError.validation(
        `invalid filter: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        problems,
        'INVALID_DATE_RANGE',
      );
    }
    const q = filter.q?.trim();
    const rows = await repos.directives.list(
      orgId,
      {
        authorityId: filter.authorityId,
        type: filter.type,
        status: filter.status,
        applicability: filter.applicability,
        aircraftTypeId: filter.aircraftTypeId,
        q: q === '' ? undefined : q,
        effectiveFrom,
        effectiveTo,
      },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  /**
   * Changes a directive, checked like a new one against the stored fields. A new limit moves the
   * due of its rows never complied with and still open (recomputed from their baseline; an overdue
   * row no longer past it is open again, with its audit row and `directive_status_changed` event); a new applicability (types, tails, serial range) or a return to `active` tracks the
   * aircraft it now applies to. Rows of aircraft it no longer applies to stay as they are.
   */
  async update(
    ctx: MutationContext,
    id: string,
    input: UpdateDirectiveInput,
    scope: OrgScope = {},
  ): Promise<Directive> {
    authorize(ctx.actor, 'directives', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before = (await tx.directives.findById(orgId, id, 'update')) ?? notFound();
      const status = input.status ?? before.status;
      const supersededBy =
        input.supersededBy !== undefined
          ? input.supersededBy
          : status === 'superseded'
            ? before.supersededBy
            : null;
      const fields = checkedFields(
        {
          authorityId: input.authorityId ?? before.authorityId,
          type: input.type ?? before.type,
          referenceNumber: input.referenceNumber ?? before.referenceNumber,
          title: input.title ?? before.title,
          description: input.description === undefined ? before.description : input.description,
          applicability: input.applicability ?? before.applicability,
          aircraftTypeIds: input.aircraftTypeIds ?? before.aircraftTypes.map((t) => t.id),
          tailNumbers: input.tailNumbers === undefined ? before.tailNumbers : input.tailNumbers,
          serialFrom: input.serialFrom === undefined ? before.serialFrom : input.serialFrom,
          serialTo: input.serialTo === undefined ? before.serialTo : input.serialTo,
          effectiveDate: input.effectiveDate ?? before.effectiveDate,
          limit: input.limit === undefined ? before.limit : limitOf(input.limit),
          recurrence: input.recurrence === undefined ? before.recurrence : recurrenceOf(input.recurrence),
          status,
          supersededBy,
          sourceUrl: input.sourceUrl === undefined ? before.sourceUrl : input.sourceUrl,
        },
        id,
      );
      await refuseUnknownReferences(tx, orgId, fields, {
        authority: input.authorityId !== undefined,
        types: input.aircraftTypeIds !== undefined,
        supersededBy: fields.supersededBy !== before.supersededBy,
      });
      const updated =
        (await tx.directives.update(orgId, id, {
          ...fields,
          aircraftTypeIds: input.aircraftTypeIds === undefined ? undefined : fields.aircraftTypeIds,
        })) ?? notFound();
      const limitChanged =
        JSON.stringify(updated.limit) !== JSON.stringify(before.limit) ||
        updated.effectiveDate !== before.effectiveDate;
      const applicabilityChanged =
        JSON.stringify(applicabilityOf(updated)) !== JSON.stringify(applicabilityOf(before)) ||
        (updated.status === 'active' && before.status !== 'active');
      const recomputed = limitChanged
        ? await tx.directives.recomputeInitialDue(orgId, id, this.deps.now?.() ?? new Date())
        : { recomputed: 0, statusChanged: [] };
      const dueRecomputed = recomputed.recomputed;
      const newlyTracked =
        applicabilityChanged && updated.status === 'active'
          ? (await tx.directives.trackApplicable(orgId, { directiveIds: [id] })).newlyTracked
          : 0;
      const after =
        dueRecomputed > 0 || newlyTracked > 0
          ? ((await tx.directives.findById(orgId, id)) ?? updated)
          : updated;
      const extra =
        dueRecomputed > 0 || newlyTracked > 0
          ? { due_recomputed: dueRecomputed, newly_tracked: newlyTracked }
          : undefined;
      const own = directiveEffects({ action: 'update', before, after, changeId, extra });
      const reopened = recomputed.statusChanged.map((row) => reopenedEffects(orgId, id, row));
      return {
        result: after,
        audit: [own.audit, ...reopened.map((effect) => effect.audit)],
        events: [...own.events, ...reopened.map((effect) => effect.event)],
      };
    });
  }

  /**
   * Soft-deletes a directive: it leaves every list, its reference number may be reused, and its
   * tracking rows and compliance history stay (the due list and tracker ignore them).
   */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'directives', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before = (await tx.directives.findById(orgId, id, 'update')) ?? notFound();
      const deleted = (await tx.directives.softDelete(orgId, id)) ?? notFound();
      return {
        result: undefined,
        ...directiveEffects({ action: 'delete', before: { ...before, updatedAt: deleted.updatedAt } }),
      };
    });
  }

  /**
   * Tracks every live aircraft of the organization the directive applies to and does not track
   * yet, in one statement; answers how many apply, how many were tracked now and how many were
   * already. Only an active directive can be scanned (409 DIRECTIVE_NOT_ACTIVE). Rescanning, and
   * two scans at once, track each aircraft once.
   */
  async scanFleet(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<FleetScanOutcome> {
    authorize(ctx.actor, 'directives', 'scan');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      // Shared: a change or delete of the directive waits for the scan (and the scan for it).
      const directive = (await tx.directives.findById(orgId, id, 'share')) ?? notFound();
      if (directive.status !== 'active') {
        throw AppError.conflict(
          'DIRECTIVE_NOT_ACTIVE',
          `the directive is ${directive.status}; only an active directive can be scanned`,
        );
      }
      const outcome = await tx.directives.trackApplicable(orgId, { directiveIds: [id] });
      const result: FleetScanOutcome = {
        applicable: outcome.applicable,
        newlyTracked: outcome.newlyTracked,
        alreadyTracked: outcome.applicable - outcome.newlyTracked,
      };
      const counts = {
        applicable: result.applicable,
        newly_tracked: result.newlyTracked,
        already_tracked: result.alreadyTracked,
      };
      const effects = entityEffects({
        orgId,
        entityType: 'directive',
        entityId: id,
        action: 'update',
        extra: { fleet_scan: counts },
        event: {
          type: 'directive_fleet_scanned',
          discriminator: changeId,
          data: { directive_id: id, reference_number: directive.referenceNumber, ...counts },
          occurredAt: new Date(),
        },
      });
      return { result, ...effects };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const notFound = (): never => {
  throw AppError.notFound('directive', 'DIRECTIVE_NOT_FOUND');
};

const limitOf = (input: LimitInput | null | undefined): ComplianceLimit => ({
  date: input?.date ?? null,
  days: input?.days ?? null,
  flightHours: input?.flightHours ?? null,
  cycles: input?.cycles ?? null,
});

const recurrenceOf = (input: RecurrenceInput | undefined): Recurrence => ({
  calendar: input?.calendar ?? null,
  flightHours: input?.flightHours ?? null,
  cycles: input?.cycles ?? null,
});

const applicabilityOf = (d: Directive) => ({
  types: d.aircraftTypes.map((t) => t.id).sort(),
  tails: d.tailNumbers,
  from: d.serialFrom,
  to: d.serialTo,
});

type DirectiveFields = Omit<NewDirective, 'orgId'>;

const trimmedOrNull = (text: string | null): string | null => {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? null : trimmed;
};

/**
 * The fields normalized (trimmed text, upper-case tails, each type and tail once) and checked:
 * real calendar days, a limit date not before the effective date, flight hours to the hundredth,
 * an ordered serial range, a superseded directive naming its successor (and only then), an http(s)
 * source URL. Every problem names its field (400).
 */
function checkedFields(fields: DirectiveFields, selfId?: string): DirectiveFields {
  const problems: (FieldProblem & { reason: string })[] = [];
  const problem = (field: string, message: string, reason = 'VALIDATION_FAILED') =>
    problems.push({ field: `body.${field}`, message, reason });
  const referenceNumber = fields.referenceNumber.trim();
  const title = fields.title.trim();
  if (referenceNumber === '') problem('reference_number', 'must not be blank');
  if (title === '') problem('title', 'must not be blank');
  const aircraftTypeIds = [...new Set(fields.aircraftTypeIds)];
  if (aircraftTypeIds.length === 0) problem('aircraft_type_ids', 'must name at least one aircraft type');
  const tailNumbers =
    fields.tailNumbers === null ? null : [...new Set(fields.tailNumbers.map(normalizeTailNumber))];
  if (tailNumbers !== null && (tailNumbers.length === 0 || tailNumbers.includes(''))) {
    problem('applicable_tail_numbers', 'must be null or list non-blank tail numbers');
  }
  const serialFrom = trimmedOrNull(fields.serialFrom);
  const serialTo = trimmedOrNull(fields.serialTo);
  if (serialFrom !== null && serialTo !== null && compareSerials(serialFrom, serialTo) > 0) {
    problem('serial_to', `must not come before serial_from (${serialFrom})`, 'SERIAL_RANGE_REVERSED');
  }
  const { limit, recurrence } = fields;
  if (!isCalendarDay(fields.effectiveDate)) problem('effective_date', 'must be a calendar day YYYY-MM-DD');
  if (limit.date !== null && !isCalendarDay(limit.date)) {
    problem('limit.date', 'must be a calendar day YYYY-MM-DD');
  } else if (limit.date !== null && limit.date < fields.effectiveDate) {
    problem('limit.date', 'must not be before effective_date', 'LIMIT_DATE_BEFORE_EFFECTIVE');
  }
  for (const [name, value] of [
    ['limit.flight_hours', limit.flightHours],
    ['recurrence.flight_hours', recurrence.flightHours],
  ] as const) {
    if (value !== null && !hasAtMostTwoDecimals(value)) {
      problem(name, 'must have at most two decimals', 'FLIGHT_HOURS_PRECISION');
    }
  }
  for (const [name, value] of [
    ['limit.days', limit.days],
    ['limit.flight_hours', limit.flightHours],
    ['limit.cycles', limit.cycles],
    ['recurrence.calendar.value', recurrence.calendar?.value ?? null],
    ['recurrence.flight_hours', recurrence.flightHours],
    ['recurrence.cycles', recurrence.cycles],
  ] as const) {
    if (value !== null && !(value > 0)) problem(name, 'must be more than 0');
  }
  if (fields.status === 'superseded' && fields.supersededBy === null) {
    problem('superseded_by', 'is required when status is superseded', 'SUPERSEDED_BY_REQUIRED');
  }
  if (fields.status !== 'superseded' && fields.supersededBy !== null) {
    problem('superseded_by', 'is allowed only when status is superseded', 'SUPERSEDED_BY_NOT_ALLOWED');
  }
  if (selfId !== undefined && fields.supersededBy === selfId) {
    problem('superseded_by', 'must name another directive', 'SUPERSEDED_BY_ITSELF');
  }
  const sourceUrl = trimmedOrNull(fields.sourceUrl);
  const urlProblem = sourceUrl === null ? undefined : documentUrlProblem(sourceUrl);
  if (urlProblem !== undefined) problem('source_url', urlProblem, 'INVALID_SOURCE_URL');
  const [first] = problems;
  if (first) {
    throw AppError.validation(
      `invalid directive: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      problems.map(({ field, message }) => ({ field, message })),
      first.reason,
    );
  }
  return {
    ...fields,
    referenceNumber,
    title,
    description: trimmedOrNull(fields.description),
    aircraftTypeIds,
    tailNumbers,
    serialFrom,
    serialTo,
    sourceUrl,
  };
}

/**
 * Refuses references that name nothing: an unknown authority (404 AUTHORITY_NOT_FOUND), aircraft
 * type (404 AIRCRAFT_TYPE_NOT_FOUND) or successor that is not a live directive of the organization
 * (404 DIRECTIVE_NOT_FOUND), each naming its field.
 */
async function refuseUnknownReferences(
  tx: Repositories,
  orgId: string,
  fields: DirectiveFields,
  check: { authority?: boolean; types?: boolean; supersededBy?: boolean },
): Promise<void> {
  if (check.authority && !(await tx.directives.authorityExists(fields.authorityId))) {
    throw new AppError(
      'not_found',
      'AUTHORITY_NOT_FOUND',
      `regulatory authority ${fields.authorityId} not found`,
      [
        {
          field: 'body.authority_id',
          message: 'names no regulatory authority (see GET /regulatory-authorities)',
        },
      ],
    );
  }
  if (check.types) {
    const unknown = await tx.directives.unknownAircraftTypes(fields.aircraftTypeIds);
    if (unknown.length > 0) {
      throw new AppError(
        'not_found',
        'AIRCRAFT_TYPE_NOT_FOUND',
        `aircraft type ${unknown.join(', ')} not found`,
        [
          {
            field: 'body.aircraft_type_ids',
            message: `${unknown.join(', ')} names no aircraft type (see GET /aircraft-types)`,
          },
        ],
      );
    }
  }
  const successor = fields.supersededBy;
  if (successor !== null && (check.supersededBy ?? true)) {
    if (!(await tx.directives.findById(orgId, successor, 'share'))) {
      throw new AppError('not_found', 'DIRECTIVE_NOT_FOUND', `superseding directive ${successor} not found`, [
        { field: 'body.superseded_by', message: 'names no live directive of the organization' },
      ]);
    }
  }
}

/**
 * The audit row and `directive_status_changed` event of a tracking row a limit change brought back
 * from overdue (`reason: directive_limit_changed`).
 */
function reopenedEffects(orgId: string, directiveId: string, row: RecomputedDue['statusChanged'][number]) {
  const nextDue = {
    date: row.nextDue.date,
    flight_hours: row.nextDue.flightHours,
    cycles: row.nextDue.cycles,
  };
  const change = { from: row.previousStatus, to: row.status, reason: 'directive_limit_changed' };
  const audit: AuditEntry = {
    orgId,
    entityType: 'aircraft_directive',
    entityId: row.id,
    action: 'state_change',
    before: { status: row.previousStatus },
    after: { status: row.status, next_due: nextDue },
    extra: change,
  };
  const event = domainEvent({
    orgId,
    type: 'directive_status_changed',
    aggregateType: 'aircraft_directive',
    aggregateId: row.id,
    discriminator: row.updatedAt.toISOString(),
    data: {
      id: row.id,
      org_id: orgId,
      aircraft_id: row.aircraftId,
      directive_id: directiveId,
      status: row.status,
      next_due: nextDue,
      previous_status: row.previousStatus,
      ...change,
    },
    occurredAt: row.updatedAt,
  });
  return { audit, event };
}

/** The audit entry and event of one change to a directive. */
function directiveEffects(change: {
  action: AuditAction;
  before?: Directive;
  after?: Directive;
  changeId?: string;
  extra?: Record<string, unknown> | undefined;
}): { audit: AuditEntry; events: ReturnType<typeof entityEffects>['events'] } {
  const subject = (change.after ?? change.before)!;
  const data = directiveView(subject);
  const type: EventType =
    change.action === 'create'
      ? 'directive_created'
      : change.action === 'delete'
        ? 'directive_deleted'
        : 'directive_updated';
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'directive',
    entityId: subject.id,
    action: change.action,
    before: change.before && directiveView(change.before),
    after: change.after && data,
    extra: change.extra,
    event: {
      type,
      discriminator: change.changeId,
      data: change.extra ? { ...data, ...change.extra } : data,
      occurredAt: subject.updatedAt,
    },
  });
}
