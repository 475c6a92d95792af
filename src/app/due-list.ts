import type { CalendarDay, Due, TrackingStatus } from '../domain/directive.js';
import { resolveHorizon, type DueHorizon, type DueSource } from '../domain/due-list.js';
import { domainEvent } from '../domain/events.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditEntry } from './audit.js';
import { dueView } from './due-view.js';
import { AppError } from './errors.js';
import { mutate } from './mutation.js';
import { pageOf, type Page, type PageOf } from './pagination.js';
import type { UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// The due list
// ---------------------------------------------------------------------------------------------

/** One thing falling due on one aircraft, as the due list's single query computes it. */
export interface DueItem {
  source: DueSource;
  aircraftId: string;
  tailNumber: string;
  /** The program (source program), or null. */
  programId: string | null;
  /** The directive and its tracking row on the aircraft (source directive), or null. */
  directiveId: string | null;
  aircraftDirectiveId: string | null;
  /** The program's name or the directive's title. */
  name: string;
  /** The directive's reference number, or null for a program. */
  reference: string | null;
  /** The tracking row's status (source directive), or null. */
  trackingStatus: TrackingStatus | null;
  due: Due;
  remaining: { days: number | null; flightHours: number | null; cycles: number | null };
  projectedDate: CalendarDay | null;
  overdue: boolean;
  /** A live scheduled or in-progress task booked for it, or null. */
  taskId: string | null;
  /** The aircraft's counters now and its average daily use over the last 90 days. */
  aircraftFlightHours: number;
  aircraftCycles: number;
  dailyFlightHours: number;
  dailyCycles: number;
}

/** Where a keyset batch of the due list starts: after this item in the list's order. */
export interface DueItemPosition {
  overdue: boolean;
  projectedDate: CalendarDay | null;
  tailNumber: string;
  aircraftId: string;
  source: DueSource;
  itemId: string;
}

export const positionOf = (item: DueItem): DueItemPosition => ({
  overdue: item.overdue,
  projectedDate: item.projectedDate,
  tailNumber: item.tailNumber,
  aircraftId: item.aircraftId,
  source: item.source,
  itemId: (item.source === 'program' ? item.programId : item.aircraftDirectiveId)!,
});

/** What the due list reads: one organization, now, a horizon, optionally one aircraft. */
export interface DueListQuery {
  now: Date;
  horizon: DueHorizon;
  aircraftId?: string | undefined;
}

/** The due tracker's outcome for one tracking row it turned overdue. */
export interface OverdueTransition {
  id: string;
  orgId: string;
  aircraftId: string;
  tailNumber: string;
  directiveId: string;
  referenceNumber: string;
  title: string;
  previousStatus: TrackingStatus;
  /** The limit that was passed (a deferred row's approved limit). */
  due: Due;
  /** The row's next due, the directive's own limit (unchanged by a lapsed deferral). */
  nextDue: Due;
  /** The deferral that lapsed (its approved limit and reason), now ended; null for any other row. */
  lapsedDeferral: (Due & { reason: string | null }) | null;
  aircraftFlightHours: number;
  aircraftCycles: number;
  taskId: string | null;
  updatedAt: Date;
}

/** The due list's and the due tracker's SQL. */
export interface DueListRepository {
  /**
   * The due items of one organization's live aircraft within the horizon, in the list's order
   * (overdue first, then by projected date), in one set-based query. `page` reads
   * `limit + 1` rows at `offset`; `batch` reads `limit` rows after a position (exports).
   */
  dueItems(
    orgId: string,
    query: DueListQuery,
    slice:
      | { kind: 'page'; limit: number; offset: number }
      | { kind: 'batch'; limit: number; after?: DueItemPosition | undefined },
  ): Promise<DueItem[]>;
  /** Whether the aircraft is a live aircraft of the organization. */
  aircraftExists(orgId: string, aircraftId: string): Promise<boolean>;
  /**
   * Turns up to `limit` open tracking rows of live, active directives on live aircraft (every
   * organization) whose effective limit is past into `overdue`, in one statement; rows another
   * transaction holds are skipped (`SKIP LOCKED`), so concurrent runs turn each row once.
   */
  markOverdue(input: { now: Date; limit: number }): Promise<OverdueTransition[]>;
}

/** The due list in JSON: the items and the horizon it used. */
export interface DueListInput extends OrgScope {
  days?: number | undefined;
  flightHours?: number | undefined;
  cycles?: number | undefined;
  aircraftId?: string | undefined;
}

/** An export: the organization, and its items read lazily in keyset batches. */
export interface DueListExport {
  orgId: string;
  items: AsyncIterable<DueItem>;
}

/** What the due list service needs; `now` is the clock (tests may fix it). */
export interface DueListServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
  /** Tracking rows per transaction of the due tracker. */
  overdueBatchSize?: number;
  /** Items per batch of an export. */
  exportBatchSize?: number;
}

/** Raised inside the tracker's transaction when a batch turned nothing overdue: nothing is written. */
class NothingOverdue extends Error {}

/**
 * The due list (what falls due across the fleet, one query) and the due tracker (turns directive
 * limits past into `overdue`, with an audit row and a `directive_overdue` event each).
 */
export class DueListService {
  private readonly now: () => Date;

  constructor(private readonly deps: DueListServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** A page of the due list of the organization in scope. */
  async list(actor: Actor, input: DueListInput, page: Page): Promise<PageOf<DueItem>> {
    const { orgId, query } = await this.prepare(actor, input);
    const rows = await this.deps.uow.repos.dueList.dueItems(orgId, query, {
      kind: 'page',
      limit: page.limit + 1,
      offset: page.offset,
    });
    return pageOf(rows, page);
  }

  /** Every item of the due list, read lazily in keyset batches (access is checked now). */
  async export(actor: Actor, input: DueListInput): Promise<DueListExport> {
    const { orgId, query } = await this.prepare(actor, input);
    const repo = this.deps.uow.repos.dueList;
    const batchSize = this.deps.exportBatchSize ?? 1000;
    async function* items(): AsyncGenerator<DueItem> {
      let after: DueItemPosition | undefined;
      for (;;) {
        const batch = await repo.dueItems(orgId, query, { kind: 'batch', limit: batchSize, after });
        yield* batch;
        const last = batch.at(-1);
        if (!last || batch.length < batchSize) return;
        after = positionOf(last);
      }
    }
    return { orgId, items: items() };
  }

  private async prepare(actor: Actor, input: DueListInput): Promise<{ orgId: string; query: DueListQuery }> {
    authorize(actor, 'due_list', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    if (input.aircraftId !== undefined && !(await repos.dueList.aircraftExists(orgId, input.aircraftId))) {
      throw AppError.notFound('aircraft', 'AIRCRAFT_NOT_FOUND');
    }
    const horizon = resolveHorizon({
      days: input.days,
      flightHours: input.flightHours,
      cycles: input.cycles,
    });
    return { orgId, query: { now: this.now(), horizon, aircraftId: input.aircraftId } };
  }

  /**
   * One run of the due tracker over every organization: batch after batch, each in its own
   * transaction, turns the tracking rows past their limit into `overdue` with their audit rows and
   * events; returns how many it turned. Concurrent runs share the work and turn each row once.
   */
  async markOverdue(input: { actor: Actor; now?: Date }): Promise<number> {
    const now = input.now ?? this.now();
    const limit = this.deps.overdueBatchSize ?? 1000;
    let total = 0;
    for (;;) {
      let turned = 0;
      try {
        turned = await mutate(this.deps.uow, { actor: input.actor }, async (tx) => {
          const rows = await tx.dueList.markOverdue({ now, limit });
          if (rows.length === 0) throw new NothingOverdue();
          const effects = rows.map((row) => overdueEffects(row, now));
          return {
            result: rows.length,
            audit: effects.map((effect) => effect.audit),
            events: effects.map((effect) => effect.event),
          };
        });
      } catch (error) {
        if (!(error instanceof NothingOverdue)) throw error;
      }
      total += turned;
      if (turned < limit) return total;
    }
  }
}

/** What a tracking row turned overdue records: an audit row and `directive_overdue`. */
function overdueEffects(row: OverdueTransition, now: Date) {
  const data = {
    aircraft_directive_id: row.id,
    aircraft_id: row.aircraftId,
    tail_number: row.tailNumber,
    directive_id: row.directiveId,
    reference_number: row.referenceNumber,
    title: row.title,
    previous_status: row.previousStatus,
    status: 'overdue',
    due: dueView(row.due),
    next_due: dueView(row.nextDue),
    lapsed_deferral:
      row.lapsedDeferral === null
        ? null
        : { ...dueView(row.lapsedDeferral), reason: row.lapsedDeferral.reason },
    aircraft_flight_hours: row.aircraftFlightHours,
    aircraft_cycles: row.aircraftCycles,
    task_id: row.taskId,
    detected_at: now.toISOString(),
  };
  const audit: AuditEntry = {
    orgId: row.orgId,
    entityType: 'aircraft_directive',
    entityId: row.id,
    action: 'state_change',
    before:
      row.lapsedDeferral === null
        ? { status: row.previousStatus }
        : {
            status: row.previousStatus,
            status_reason: row.lapsedDeferral.reason,
            deferred_until: dueView(row.lapsedDeferral),
          },
    after:
      row.lapsedDeferral === null
        ? { status: 'overdue', next_due: dueView(row.nextDue) }
        : { status: 'overdue', next_due: dueView(row.nextDue), status_reason: null, deferred_until: null },
    extra: { reason: 'limit_passed', ...data },
  };
  const event = domainEvent({
    orgId: row.orgId,
    type: 'directive_overdue',
    aggregateType: 'aircraft_directive',
    aggregateId: row.id,
    // Once per row and limit: a row that falls due again later (a new limit) is told again.
    discriminator: [row.due.date ?? '', row.due.flightHours ?? '', row.due.cycles ?? ''],
    data,
    occurredAt: now,
  });
  return { audit, event };
}
