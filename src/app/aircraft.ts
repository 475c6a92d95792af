import { randomUUID } from 'node:crypto';
import {
  automaticStatusChange,
  hasAtMostTwoDecimals,
  maintenanceDatesProblem,
  normalizeModel,
  normalizeSerialNumber,
  normalizeTailNumber,
  statusFollowsTasks,
  type Aircraft,
  type AircraftStatus,
  type AircraftStatusSource,
  type AircraftUsage,
} from '../domain/aircraft.js';
import { domainEvent, type DomainEvent, type EventType } from '../domain/events.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import { systemActor, type Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError, type FieldProblem } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** The fields an aircraft list sorts by. */
export const AIRCRAFT_SORT_FIELDS = ['tail_number', 'model', 'status', 'next_due', 'created_at'] as const;
export type AircraftSortField = (typeof AIRCRAFT_SORT_FIELDS)[number];

/** The fields a usage list sorts by. */
export const USAGE_SORT_FIELDS = ['recorded_at', 'created_at'] as const;
export type UsageSortField = (typeof USAGE_SORT_FIELDS)[number];

/** The most usage records one request may carry. */
export const MAX_USAGE_BATCH = 500;

/** How far in the future a flight's `recorded_at` may lie, to allow for clocks that run ahead. */
const RECORDED_AT_SKEW_MS = 5 * 60_000;

/** Narrows an aircraft list; unset fields do not filter. */
export interface AircraftFilter {
  status?: AircraftStatus | undefined;
  /** Exact model, e.g. `A320neo`. */
  model?: string | undefined;
  /** Case-insensitive substring of the tail number. */
  tailNumber?: string | undefined;
  /** Only aircraft of this ICAO aircraft type. */
  aircraftTypeId?: string | undefined;
  /** Exact manufacturer serial number (MSN). */
  serialNumber?: string | undefined;
}

/** A new aircraft row. */
export interface NewAircraft {
  orgId: string;
  tailNumber: string;
  model: string;
  aircraftTypeId: string | null;
  serialNumber: string | null;
  status: AircraftStatus;
  statusSource: AircraftStatusSource;
  capacitySlots: number;
  lastMaintenance: Date | null;
  nextDue: Date | null;
}

/** The writable fields of an aircraft; unset ones stay as they are, null clears a date. */
export interface AircraftPatch {
  tailNumber?: string | undefined;
  model?: string | undefined;
  /** null clears it. */
  aircraftTypeId?: string | null | undefined;
  /** null clears it. */
  serialNumber?: string | null | undefined;
  status?: AircraftStatus | undefined;
  statusSource?: AircraftStatusSource | undefined;
  capacitySlots?: number | undefined;
  lastMaintenance?: Date | null | undefined;
  nextDue?: Date | null | undefined;
}

/** One reported flight, as a client sends it. */
export interface UsageRecordInput {
  flightHours: number;
  cycles: number;
  /** When the flight was flown; the time of the request when unset. */
  recordedAt?: Date | undefined;
  sourceRef: string;
}

/** A flight ready to be stored. */
export interface NewUsageRecord {
  sourceRef: string;
  flightHours: number;
  cycles: number;
  recordedAt: Date;
}

/** What storing a batch of flights did: how many were new and what they added to the counters. */
export interface UsageInsertResult {
  recorded: number;
  flightHoursAdded: number;
  cyclesAdded: number;
}

/** Narrows a usage list to flights recorded in `[from, to)`. */
export interface UsageFilter {
  from?: Date | undefined;
  to?: Date | undefined;
}

/** The task that keeps an aircraft on the ground, as the status workflow found it. */
export interface GroundingTask {
  id: string;
  state: 'scheduled' | 'in_progress';
  startTime: Date;
}

/** Aircraft and their flights in PostgreSQL. */
export interface AircraftRepository {
  insert(input: NewAircraft): Promise<Aircraft>;
  /**
   * A live aircraft. `lock` holds its row (FOR NO KEY UPDATE) until the transaction ends: changes,
   * deletes, usage and the status workflow take it, so they run one after another per aircraft.
   */
  findById(orgId: string, id: string, options?: { lock?: boolean }): Promise<Aircraft | undefined>;
  /** A live aircraft by its (normalized) tail number. */
  findByTailNumber(orgId: string, tailNumber: string): Promise<Aircraft | undefined>;
  /** Fetches `page.limit + 1` rows so the caller knows whether more follow. */
  list(
    orgId: string,
    filter: AircraftFilter,
    sort: SortKey<AircraftSortField>[],
    page: Page,
  ): Promise<Aircraft[]>;
  update(orgId: string, id: string, patch: AircraftPatch): Promise<Aircraft | undefined>;
  softDelete(orgId: string, id: string): Promise<Aircraft | undefined>;
  /** How many live tasks of the aircraft are scheduled or in progress. */
  countActiveTasks(orgId: string, id: string): Promise<number>;
  /**
   * The task that requires the aircraft on the ground at `now`, if any: one in progress, else the
   * earliest scheduled one with an assigned mechanic whose start minus the org's grounding lead
   * time has passed.
   */
  findGroundingTask(orgId: string, id: string, now: Date): Promise<GroundingTask | undefined>;
  /**
   * Live aircraft of every live org whose status the workflow would change at `now` (operational
   * ones that need grounding, automatically grounded ones that no longer do), at most `limit`.
   */
  findStatusDrift(now: Date, limit: number): Promise<{ orgId: string; id: string }[]>;
  /**
   * Stores the flights not stored yet (by source_ref) and moves the aircraft's counters forward by
   * exactly those, in one statement. The caller holds the aircraft's lock.
   */
  recordUsage(input: {
    orgId: string;
    aircraftId: string;
    records: NewUsageRecord[];
    createdBy: { orgId: string; userId: string } | null;
  }): Promise<UsageInsertResult>;
  /** Flights of one aircraft; fetches `page.limit + 1` rows. */
  listUsage(
    orgId: string,
    aircraftId: string,
    filter: UsageFilter,
    sort: SortKey<UsageSortField>[],
    page: Page,
  ): Promise<AircraftUsage[]>;
}

/** An aircraft as the API, audit rows and events show it. */
export type AircraftView = {
  id: string;
  org_id: string;
  tail_number: string;
  model: string;
  aircraft_type_id: string | null;
  serial_number: string | null;
  status: AircraftStatus;
  status_source: AircraftStatusSource;
  capacity_slots: number;
  last_maintenance: string | null;
  next_due: string | null;
  flight_hours_total: number;
  cycles_total: number;
  created_at: string;
  updated_at: string;
};

/** The view of an aircraft. */
export const aircraftView = (aircraft: Aircraft): AircraftView => ({
  id: aircraft.id,
  org_id: aircraft.orgId,
  tail_number: aircraft.tailNumber,
  model: aircraft.model,
  aircraft_type_id: aircraft.aircraftTypeId,
  serial_number: aircraft.serialNumber,
  status: aircraft.status,
  status_source: aircraft.statusSource,
  capacity_slots: aircraft.capacitySlots,
  last_maintenance: aircraft.lastMaintenance?.toISOString() ?? null,
  next_due: aircraft.nextDue?.toISOString() ?? null,
  flight_hours_total: aircraft.flightHoursTotal,
  cycles_total: aircraft.cyclesTotal,
  created_at: aircraft.createdAt.toISOString(),
  updated_at: aircraft.updatedAt.toISOString(),
});

/** One stored flight as the API shows it. */
export type AircraftUsageView = {
  id: string;
  org_id: string;
  aircraft_id: string;
  source_ref: string;
  flight_hours: number;
  cycles: number;
  recorded_at: string;
  created_at: string;
  created_by: string | null;
};

/** The view of a stored flight. */
export const aircraftUsageView = (usage: AircraftUsage): AircraftUsageView => ({
  id: usage.id,
  org_id: usage.orgId,
  aircraft_id: usage.aircraftId,
  source_ref: usage.sourceRef,
  flight_hours: usage.flightHours,
  cycles: usage.cycles,
  recorded_at: usage.recordedAt.toISOString(),
  created_at: usage.createdAt.toISOString(),
  created_by: usage.createdBy,
});

/** What recording usage answers: new and already-known flights, and the counters afterwards. */
export interface UsageOutcome {
  recorded: number;
  duplicates: number;
  flightHoursTotal: number;
  cyclesTotal: number;
}

/** A new aircraft; `orgId` is an admin's explicit target organization. */
export interface CreateAircraftInput extends OrgScope {
  tailNumber: string;
  model: string;
  /** An ICAO aircraft type (404 AIRCRAFT_TYPE_NOT_FOUND naming the field when there is none). */
  aircraftTypeId?: string | null | undefined;
  /** The manufacturer serial number (MSN); null or unset when unknown. */
  serialNumber?: string | null | undefined;
  status?: AircraftStatus | undefined;
  capacitySlots?: number | undefined;
  lastMaintenance?: Date | null | undefined;
  nextDue?: Date | null | undefined;
}

/** The fields of an aircraft to change; the usage counters are never among them. */
export type UpdateAircraftInput = Omit<AircraftPatch, 'statusSource'>;

/** What the aircraft service needs; `now` is the clock (tests may fix it). */
export interface AircraftServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
}

/** The actor the periodic status job records in the audit log. */
export const AIRCRAFT_STATUS_ACTOR = systemActor('aircraft-status');

/** Rolls back a status job transaction that found nothing to change: it must not write an audit row. */
class NothingToReconcile extends Error {}

/**
 * The fleet of one organization: the actor's own, or for an admin the one named by `org_id`.
 * Schedulers, mechanics and admins change aircraft; every role reads them. Usage counters move
 * only through recorded flights; the status follows the grounding workflow (see
 * `reconcileAircraftStatus`) unless a person set it.
 */
export class AircraftService {
  private readonly now: () => Date;

  constructor(private readonly deps: AircraftServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Creates an aircraft; a live tail number taken in the org is 409 TAIL_NUMBER_TAKEN. */
  async create(ctx: MutationContext, input: CreateAircraftInput): Promise<Aircraft> {
    authorize(ctx.actor, 'aircraft', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const row = newAircraft(orgId, input);
    return mutate(this.deps.uow, ctx, async (tx) => {
      await refuseUnknownAircraftType(tx, input.aircraftTypeId);
      const aircraft = await tx.aircraft.insert(row);
      // Every live active directive that applies to it tracks it, in this same transaction (the
      // tracking rows say so; the audit row stays the one a CSV import's batch insert writes too).
      await tx.directives.trackApplicable(orgId, { aircraftIds: [aircraft.id] });
      return { result: aircraft, ...aircraftCreateEffects(aircraft) };
    });
  }

  /** One live aircraft of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<Aircraft> {
    authorize(actor, 'aircraft', 'read');
    const repos = this.deps.uow.repos;
    return findAircraft(repos, await resolveOrgScope(repos.organizations, actor, scope), id);
  }

  /** Live aircraft of the organization, filtered and sorted. */
  async list(
    actor: Actor,
    filter: AircraftFilter & OrgScope,
    sort: SortKey<AircraftSortField>[],
    page: Page,
  ): Promise<PageOf<Aircraft>> {
    authorize(actor, 'aircraft', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const { status, model, tailNumber, aircraftTypeId, serialNumber } = filter;
    const rows = await repos.aircraft.list(
      orgId,
      {
        status,
        aircraftTypeId,
        serialNumber: serialNumber?.trim(),
        model: model === undefined ? undefined : normalizeModel(model),
        tailNumber: tailNumber?.trim(),
      },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  /**
   * Changes an aircraft. Dates are checked against the stored ones (400
   * NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE). A status given here is a manual one: it stays until a
   * person changes it, except that an operational aircraft is still grounded by the workflow.
   * Making it operational while a task needs it on the ground is 409 AIRCRAFT_GROUNDING_REQUIRED.
   */
  async update(
    ctx: MutationContext,
    id: string,
    patch: UpdateAircraftInput,
    scope: OrgScope = {},
  ): Promise<Aircraft> {
    authorize(ctx.actor, 'aircraft', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    // Blank names are refused before anything is read.
    normalizeFields(patch);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before = await findAircraft(tx, orgId, id, true);
      await refuseUnknownAircraftType(tx, patch.aircraftTypeId);
      const fields = updatedFields(before, patch);
      if (patch.status === 'operational' && before.status !== 'operational') {
        await refuseWhileGroundingRequired(tx, before, this.now());
      }
      const aircraft = (await tx.aircraft.update(orgId, id, fields)) ?? notFound();
      // A new type, tail or serial number may bring the aircraft under directives: tracked now.
      const applicabilityChanged =
        aircraft.aircraftTypeId !== before.aircraftTypeId ||
        aircraft.tailNumber !== before.tailNumber ||
        aircraft.serialNumber !== before.serialNumber;
      const tracked = applicabilityChanged
        ? await tx.directives.trackApplicable(orgId, { aircraftIds: [aircraft.id] })
        : { newlyTracked: 0 };
      return {
        result: aircraft,
        ...aircraftUpdateEffects({ before, after: aircraft, changeId, newlyTracked: tracked.newlyTracked }),
      };
    });
  }

  /** Soft-deletes an aircraft; 409 AIRCRAFT_HAS_ACTIVE_TASKS while any of its tasks is scheduled or in progress. */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'aircraft', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      // Locked first: a task or program that references the aircraft concurrently waits for this
      // transaction (and then finds it deleted), and one that got in before is counted below.
      const before = await findAircraft(tx, orgId, id, true);
      const active = await tx.aircraft.countActiveTasks(orgId, id);
      if (active > 0) {
        throw AppError.conflict(
          'AIRCRAFT_HAS_ACTIVE_TASKS',
          `the aircraft has ${active} scheduled or in-progress task${active === 1 ? '' : 's'}; complete, cancel or delete them first`,
        );
      }
      const aircraft = (await tx.aircraft.softDelete(orgId, id)) ?? notFound();
      const effects = aircraftEffects({
        action: 'delete',
        type: 'aircraft_deleted',
        before,
        changeId,
        occurredAt: aircraft.updatedAt,
      });
      return { result: undefined, ...effects };
    });
  }

  /**
   * Records flights (one or up to 500). A flight whose `source_ref` this aircraft already has is a
   * duplicate and changes nothing, so a re-sent batch counts once. The counters move forward by
   * exactly the new flights; the change is audited once, with one `aircraft_usage_recorded` event
   * when anything new was recorded.
   */
  async recordUsage(
    ctx: MutationContext,
    aircraftId: string,
    input: UsageRecordInput | UsageRecordInput[],
    scope: OrgScope = {},
  ): Promise<UsageOutcome> {
    authorize(ctx.actor, 'aircraft', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const records = usageRecords(input, this.now());
    const createdBy = ctx.actor.kind === 'user' ? { orgId: ctx.actor.orgId, userId: ctx.actor.userId } : null;
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before = await findAircraft(tx, orgId, aircraftId, true);
      const added = await tx.aircraft.recordUsage({ orgId, aircraftId, records, createdBy });
      const after = added.recorded > 0 ? await findAircraft(tx, orgId, aircraftId) : before;
      const usage = {
        recorded: added.recorded,
        duplicates: records.length - added.recorded,
        flight_hours_added: added.flightHoursAdded,
        cycles_added: added.cyclesAdded,
      };
      const effects = aircraftEffects({
        action: 'update',
        type: 'aircraft_usage_recorded',
        before,
        after,
        changeId,
        occurredAt: after.updatedAt,
        extra: { usage },
        eventData: { ...aircraftView(after), usage },
      });
      return {
        result: {
          recorded: usage.recorded,
          duplicates: usage.duplicates,
          flightHoursTotal: after.flightHoursTotal,
          cyclesTotal: after.cyclesTotal,
        },
        audit: effects.audit,
        events: added.recorded > 0 ? effects.events : [],
      };
    });
  }

  /** Flights of a live aircraft of the organization, optionally within `[from, to)` of recorded_at. */
  async listUsage(
    actor: Actor,
    aircraftId: string,
    filter: UsageFilter & OrgScope,
    sort: SortKey<UsageSortField>[],
    page: Page,
  ): Promise<PageOf<AircraftUsage>> {
    authorize(actor, 'aircraft', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    if (filter.from && filter.to && filter.to.getTime() <= filter.from.getTime()) {
      throw AppError.validation(
        'to must be after from',
        [{ field: 'querystring.to', message: 'must be after from' }],
        'INVALID_TIME_RANGE',
      );
    }
    await findAircraft(repos, orgId, aircraftId);
    const rows = await repos.aircraft.listUsage(
      orgId,
      aircraftId,
      { from: filter.from, to: filter.to },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  /**
   * The periodic half of the status workflow: finds, across organizations, the aircraft whose
   * status no longer matches their tasks at `now` and reconciles each in a transaction of its own,
   * as the `system:aircraft-status` actor. Returns how many changed; one failure does not stop
   * the others, and is thrown at the end.
   */
  async reconcileAll(now: Date, limit = 500): Promise<{ checked: number; changed: number }> {
    const candidates = await this.deps.uow.repos.aircraft.findStatusDrift(now, limit);
    const failures: unknown[] = [];
    let changed = 0;
    for (const { orgId, id } of candidates) {
      try {
        if (await this.reconcileOne(orgId, id, now)) changed += 1;
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `${failures.length} of ${candidates.length} aircraft failed to reconcile`,
      );
    }
    return { checked: candidates.length, changed };
  }

  private async reconcileOne(orgId: string, aircraftId: string, now: Date): Promise<boolean> {
    try {
      await mutate(this.deps.uow, { actor: AIRCRAFT_STATUS_ACTOR }, async (tx) => {
        const change = await reconcileAircraftStatus(tx, { orgId, aircraftId, now });
        // Another transaction got there first (a task change or a second worker).
        if (change.audit.length === 0) throw new NothingToReconcile('the aircraft status is already in line');
        return { result: undefined, ...change };
      });
      return true;
    } catch (error) {
      if (error instanceof NothingToReconcile) return false;
      throw error;
    }
  }
}

/**
 * Brings an aircraft's status in line with its tasks (the specification's aircraft status
 * workflow), returning the audit entry and `aircraft_status_updated` event of a change, for the
 * caller's mutation (whose actor they are recorded under). Call it inside the transaction of every
 * task change, after the change; it locks the aircraft row, so concurrent callers take turns.
 * An operational aircraft is grounded while a task is in progress or a scheduled task with an
 * assigned mechanic starts within the org's grounding lead time; an automatically grounded one
 * returns to operational once none does. Manual groundings and `maintenance` are left alone.
 */
export async function reconcileAircraftStatus(
  repos: Repositories,
  input: { orgId: string; aircraftId: string; now: Date },
): Promise<{ audit: AuditEntry[]; events: DomainEvent[] }> {
  const before = await repos.aircraft.findById(input.orgId, input.aircraftId, { lock: true });
  if (!before || !statusFollowsTasks(before)) return { audit: [], events: [] };
  const task = await repos.aircraft.findGroundingTask(input.orgId, input.aircraftId, input.now);
  const status = automaticStatusChange(before, task !== undefined);
  if (status === undefined) return { audit: [], events: [] };
  const after =
    (await repos.aircraft.update(input.orgId, input.aircraftId, { status, statusSource: 'automatic' })) ??
    notFound();
  const changeId = randomUUID();
  const effects = aircraftEffects({
    action: 'state_change',
    type: 'aircraft_status_updated',
    before,
    after,
    changeId,
    occurredAt: after.updatedAt,
    extra: { automatic: true, reason: groundingReason(task), task_id: task?.id ?? null },
    eventData: { ...aircraftView(after), previous_status: before.status },
  });
  return { audit: [effects.audit], events: effects.events };
}

/** Why the workflow changed a status, for the audit row. */
function groundingReason(task: GroundingTask | undefined): string {
  if (task === undefined) return 'NO_TASK_REQUIRES_GROUNDING';
  return task.state === 'in_progress' ? 'TASK_IN_PROGRESS' : 'CONFIRMED_TASK_WITHIN_LEAD_TIME';
}

const notFound = (): never => {
  throw AppError.notFound('aircraft', 'AIRCRAFT_NOT_FOUND');
};

/** What the audit row of a change says about the directives it brought the aircraft under. */
const trackedExtra = (newlyTracked: number): Record<string, unknown> | undefined =>
  newlyTracked > 0 ? { directives_tracked: newlyTracked } : undefined;

async function findAircraft(
  repos: Pick<Repositories, 'aircraft'>,
  orgId: string,
  id: string,
  lock = false,
): Promise<Aircraft> {
  return (await repos.aircraft.findById(orgId, id, { lock })) ?? notFound();
}

/** Trims the tail number (upper-case), model and serial number, refusing blank ones (400 naming the field). */
function normalizeFields(input: {
  tailNumber?: string | undefined;
  model?: string | undefined;
  serialNumber?: string | null | undefined;
}): {
  tailNumber?: string;
  model?: string;
  serialNumber?: string | null;
} {
  const problems: FieldProblem[] = [];
  const tailNumber = input.tailNumber === undefined ? undefined : normalizeTailNumber(input.tailNumber);
  const model = input.model === undefined ? undefined : normalizeModel(input.model);
  const serialNumber =
    input.serialNumber === undefined || input.serialNumber === null
      ? input.serialNumber
      : normalizeSerialNumber(input.serialNumber);
  if (tailNumber === '') problems.push({ field: 'body.tail_number', message: 'must not be blank' });
  if (model === '') problems.push({ field: 'body.model', message: 'must not be blank' });
  if (serialNumber === '') problems.push({ field: 'body.serial_number', message: 'must not be blank' });
  if (problems.length > 0) {
    throw AppError.validation(
      `invalid aircraft: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      problems,
    );
  }
  return {
    ...(tailNumber === undefined ? {} : { tailNumber }),
    ...(model === undefined ? {} : { model }),
    ...(serialNumber === undefined ? {} : { serialNumber }),
  };
}

/**
 * The row of a new aircraft of `orgId`: names normalized, the defaults (operational, set by hand,
 * one slot); refuses blank names and a next_due that does not follow last_maintenance. What
 * `create` checks before it looks anything up, shared with the set-based import.
 */
export function newAircraft(orgId: string, input: Omit<CreateAircraftInput, 'orgId'>): NewAircraft {
  const fields = normalizeFields(input);
  const lastMaintenance = input.lastMaintenance ?? null;
  const nextDue = input.nextDue ?? null;
  refuseMaintenanceDates(lastMaintenance, nextDue);
  return {
    orgId,
    tailNumber: fields.tailNumber!,
    model: fields.model!,
    aircraftTypeId: input.aircraftTypeId ?? null,
    serialNumber: fields.serialNumber ?? null,
    status: input.status ?? 'operational',
    statusSource: 'manual',
    capacitySlots: input.capacitySlots ?? 1,
    lastMaintenance,
    nextDue,
  };
}

/**
 * What an update writes to an aircraft: the patch with its names normalized and the status marked
 * as set by hand; refuses blank names and a next_due that does not follow last_maintenance (as
 * the patch leaves them). The checks of an update that need no query; see `isRowOnlyUpdate`.
 */
export function updatedFields(before: Aircraft, patch: UpdateAircraftInput): AircraftPatch {
  const fields = normalizeFields(patch);
  refuseMaintenanceDates(
    patch.lastMaintenance === undefined ? before.lastMaintenance : patch.lastMaintenance,
    patch.nextDue === undefined ? before.nextDue : patch.nextDue,
  );
  return { ...patch, ...fields, statusSource: patch.status === undefined ? undefined : 'manual' };
}

/**
 * Whether `update` would only check (`updatedFields`) and write the row: no aircraft type, tail or
 * serial number to look up or to track directives by, and no return to operational to check
 * against the aircraft's tasks. Such updates may be written many at once (imports do).
 */
export const isRowOnlyUpdate = (before: Aircraft, patch: UpdateAircraftInput): boolean =>
  patch.aircraftTypeId === undefined &&
  patch.tailNumber === undefined &&
  patch.serialNumber === undefined &&
  !(patch.status === 'operational' && before.status !== 'operational');

/** What a creation records: its audit row and `aircraft_created` (a CSV import's batch insert too). */
export const aircraftCreateEffects = (aircraft: Aircraft): { audit: AuditEntry; events: DomainEvent[] } =>
  aircraftEffects({
    action: 'create',
    type: 'aircraft_created',
    after: aircraft,
    occurredAt: aircraft.createdAt,
  });

/**
 * What an update records: its audit row (with the directives it brought the aircraft under),
 * `aircraft_updated`, and `aircraft_status_updated` when the status changed.
 */
export function aircraftUpdateEffects(change: {
  before: Aircraft;
  after: Aircraft;
  changeId: string;
  newlyTracked: number;
}): { audit: AuditEntry; events: DomainEvent[] } {
  const { before, after, changeId } = change;
  const effects = aircraftEffects({
    action: 'update',
    type: 'aircraft_updated',
    before,
    after,
    changeId,
    occurredAt: after.updatedAt,
    extra: trackedExtra(change.newlyTracked),
  });
  if (after.status !== before.status) effects.events.push(statusUpdatedEvent(before, after, changeId));
  return effects;
}

/** Refuses (404 AIRCRAFT_TYPE_NOT_FOUND, naming the field) an aircraft type id that names none. */
async function refuseUnknownAircraftType(
  tx: Pick<Repositories, 'referenceData'>,
  aircraftTypeId: string | null | undefined,
): Promise<void> {
  if (aircraftTypeId === undefined || aircraftTypeId === null) return;
  if (await tx.referenceData.findAircraftType(aircraftTypeId)) return;
  throw new AppError('not_found', 'AIRCRAFT_TYPE_NOT_FOUND', `aircraft type ${aircraftTypeId} not found`, [
    { field: 'body.aircraft_type_id', message: 'names no aircraft type (see GET /aircraft-types)' },
  ]);
}

/** Refuses (400 NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE) a next_due that does not follow last_maintenance. */
function refuseMaintenanceDates(lastMaintenance: Date | null, nextDue: Date | null): void {
  const problem = maintenanceDatesProblem(lastMaintenance, nextDue);
  if (problem === undefined) return;
  throw AppError.validation(
    problem,
    [{ field: 'body.next_due', message: 'must be after last_maintenance' }],
    'NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE',
  );
}

/** Refuses (409 AIRCRAFT_GROUNDING_REQUIRED) to make an aircraft operational that a task needs on the ground. */
async function refuseWhileGroundingRequired(tx: Repositories, aircraft: Aircraft, now: Date): Promise<void> {
  const task = await tx.aircraft.findGroundingTask(aircraft.orgId, aircraft.id, now);
  if (task === undefined) return;
  const why =
    task.state === 'in_progress'
      ? `task ${task.id} is in progress`
      : `task ${task.id} (assigned, starting ${task.startTime.toISOString()}) is within the grounding lead time`;
  throw AppError.conflict(
    'AIRCRAFT_GROUNDING_REQUIRED',
    `the aircraft cannot be operational: ${why}; complete, cancel, unassign or move the task first`,
    [{ field: 'body.status', message: why }],
  );
}

/**
 * The flights of a usage request, checked: flight hours to the hundredth (400
 * FLIGHT_HOURS_PRECISION) and no `recorded_at` in the future (400 RECORDED_AT_IN_FUTURE), each
 * problem naming its field (`body.flight_hours` for one record, `body.3.flight_hours` in an array).
 */
function usageRecords(input: UsageRecordInput | UsageRecordInput[], now: Date): NewUsageRecord[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0 || list.length > MAX_USAGE_BATCH) {
    throw AppError.validation(
      `send between 1 and ${MAX_USAGE_BATCH} usage records at once`,
      [{ field: 'body', message: `must hold 1 to ${MAX_USAGE_BATCH} records` }],
      'USAGE_BATCH_SIZE',
    );
  }
  const field = (index: number, name: string) =>
    Array.isArray(input) ? `body.${index}.${name}` : `body.${name}`;
  const problems: (FieldProblem & { reason: string })[] = [];
  const latest = now.getTime() + RECORDED_AT_SKEW_MS;
  const records = list.map((record, index): NewUsageRecord => {
    const sourceRef = record.sourceRef.trim();
    if (sourceRef === '') {
      problems.push({
        field: field(index, 'source_ref'),
        message: 'must not be blank',
        reason: 'VALIDATION_FAILED',
      });
    }
    if (!hasAtMostTwoDecimals(record.flightHours)) {
      problems.push({
        field: field(index, 'flight_hours'),
        message: 'must have at most two decimals',
        reason: 'FLIGHT_HOURS_PRECISION',
      });
    }
    if (record.recordedAt && record.recordedAt.getTime() > latest) {
      problems.push({
        field: field(index, 'recorded_at'),
        message: 'must not be in the future',
        reason: 'RECORDED_AT_IN_FUTURE',
      });
    }
    return {
      sourceRef,
      flightHours: record.flightHours,
      cycles: record.cycles,
      recordedAt: record.recordedAt ?? now,
    };
  });
  const [first] = problems;
  if (first) {
    throw AppError.validation(
      `invalid usage: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      problems.map(({ field: name, message }) => ({ field: name, message })),
      first.reason,
    );
  }
  return records;
}

/** The `aircraft_status_updated` event of a status change, with the status it replaced. */
function statusUpdatedEvent(before: Aircraft, after: Aircraft, changeId: string): DomainEvent {
  return domainEvent({
    orgId: after.orgId,
    type: 'aircraft_status_updated',
    aggregateType: 'aircraft',
    aggregateId: after.id,
    discriminator: changeId,
    data: { ...aircraftView(after), previous_status: before.status },
    occurredAt: after.updatedAt,
  });
}

/** What one change to an aircraft records. */
interface AircraftChange {
  action: AuditAction;
  type: EventType;
  before?: Aircraft;
  after?: Aircraft;
  /** Distinguishes this change's event from every other change to the same aircraft (unset for creation). */
  changeId?: string;
  occurredAt: Date;
  extra?: Record<string, unknown>;
  /** The event's data when it says more than the aircraft's view. */
  eventData?: Record<string, unknown>;
}

/** The audit entry and the event of one change to an aircraft. */
function aircraftEffects(change: AircraftChange): { audit: AuditEntry; events: DomainEvent[] } {
  const subject = (change.after ?? change.before)!;
  const data = aircraftView(subject);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'aircraft',
    entityId: subject.id,
    action: change.action,
    before: change.before && aircraftView(change.before),
    after: change.after && data,
    extra: change.extra,
    event: {
      type: change.type,
      discriminator: change.changeId,
      data: change.eventData ?? data,
      occurredAt: change.occurredAt,
    },
  });
}
