import { domainEvent, type DomainEvent, type EventType } from '../domain/events.js';
import type { CalendarDay } from '../domain/directive.js';
import type { PartDefinition, StockCounts } from '../domain/part.js';
import {
  earliestArrival,
  partAvailability,
  stockCrossings,
  stockStatus,
  type PartAvailabilityStatus,
  type StockEventType,
  type StockSettings,
} from '../domain/stock.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { AppError } from './errors.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

// ---------------------------------------------------------------------------------------------
// The stock list
// ---------------------------------------------------------------------------------------------

/** One live part definition with its stock, as the stock list's single statement counts it. */
export interface StockRow extends StockSettings {
  partDefinitionId: string;
  name: string;
  category: string;
  counts: StockCounts;
  /** Available items (in stock, unexpired, not reserved) whose expiry falls within 30 days. */
  expiringSoon: number;
}

/** A row of `GET /parts/stock`. */
export interface StockView {
  id: string;
  part_definition_id: string;
  name: string;
  category: string;
  in_stock: number;
  reserved: number;
  available: number;
  expiring_within_30_days: number;
  min_stock_level: number | null;
  reorder_point: number | null;
  lead_time_days: number | null;
  below_min_stock_level: boolean;
  at_or_below_reorder_point: boolean;
  out_of_stock: boolean;
  earliest_arrival: CalendarDay | null;
}

/** The view of a stock row on `now`'s day. */
export function stockView(row: StockRow, now: Date): StockView {
  const status = stockStatus(row.counts, row);
  return {
    id: row.partDefinitionId,
    part_definition_id: row.partDefinitionId,
    name: row.name,
    category: row.category,
    in_stock: status.inStock,
    reserved: status.reserved,
    available: status.available,
    expiring_within_30_days: row.expiringSoon,
    min_stock_level: row.minStockLevel,
    reorder_point: row.reorderPoint,
    lead_time_days: row.leadTimeDays,
    below_min_stock_level: status.belowMinStock,
    at_or_below_reorder_point: status.atOrBelowReorderPoint,
    out_of_stock: status.outOfStock,
    earliest_arrival: earliestArrival(now, row.leadTimeDays),
  };
}

/** The fields the stock list sorts by. */
export const STOCK_SORT_FIELDS = [
  'name',
  'category',
  'in_stock',
  'reserved',
  'available',
  'expiring_within_30_days',
  'reorder_point',
  'lead_time_days',
] as const;
export type StockSortField = (typeof STOCK_SORT_FIELDS)[number];

/** Filters of the stock list. */
export interface StockFilter {
  /** Exact category. */
  category?: string | undefined;
  /** true: only definitions at or below their reorder point or out of stock; false: only the others. */
  low?: boolean | undefined;
  /** Case-insensitive substring of the name or the category. */
  q?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// A task's parts availability
// ---------------------------------------------------------------------------------------------

/** One requirement of a task with what the task holds and what stock has, as one statement reads them. */
export interface RequirementStockRow {
  partDefinitionId: string;
  name: string;
  quantity: number;
  /** This task's reservations of items of the definition, reserved or used. */
  reserved: number;
  /** Items of the definition anyone could reserve now. */
  availableInStock: number;
  leadTimeDays: number | null;
}

/** A row of `GET /maintenance-tasks/{id}/parts-availability`. */
export interface PartAvailabilityView {
  part_definition_id: string;
  name: string;
  quantity: number;
  reserved: number;
  still_needed: number;
  available_in_stock: number;
  status: PartAvailabilityStatus;
  shortfall: number;
  expected_date: CalendarDay | null;
}

/** The view of one requirement's availability on `now`'s day. */
export function partAvailabilityView(row: RequirementStockRow, now: Date): PartAvailabilityView {
  const outcome = partAvailability(row, now);
  return {
    part_definition_id: row.partDefinitionId,
    name: row.name,
    quantity: row.quantity,
    reserved: row.reserved,
    still_needed: outcome.stillNeeded,
    available_in_stock: row.availableInStock,
    status: outcome.status,
    shortfall: outcome.shortfall,
    expected_date: outcome.expectedDate,
  };
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/** Stock reads of one organization, and the lock that serializes changes to a definition's stock. */
export interface StockRepository {
  /**
   * Locks the live definitions among `ids` (in id order, so two changes never wait on each other
   * in a cycle) until the transaction ends, and answers the ids it locked. Every change that can
   * move a definition's available stock takes it before counting, so concurrent changes count one
   * after another and each crossing is seen exactly once.
   */
  lockDefinitions(orgId: string, ids: readonly string[]): Promise<string[]>;
  /** The part definitions of the items a task still holds reserved (what releasing them returns to stock). */
  definitionsReservedFor(orgId: string, taskId: string): Promise<string[]>;
  /** The stock list in one statement; fetches `page.limit + 1` rows. */
  list(
    orgId: string,
    filter: StockFilter,
    sort: SortKey<StockSortField>[],
    page: Page,
    now: Date,
  ): Promise<StockRow[]>;
  /** A live task's requirements with their stock in one statement, by name; undefined without such a task. */
  taskRequirements(orgId: string, taskId: string, now: Date): Promise<RequirementStockRow[] | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Stock events
// ---------------------------------------------------------------------------------------------

/** The change that moved the stock, named in the stock event and its dedupe key. */
export interface StockCause {
  /** The event of the change, e.g. `part_reserved`. */
  event: EventType;
  /** The entity it changed (the reservation, the item, the definition). */
  entityId: string;
  /** Set when that entity changes this way more than once (an update's change id). */
  changeId?: string | undefined;
}

/**
 * Watches the stock of some definitions across one change, inside its transaction: `open` locks
 * them and counts, the change runs, `settle` counts again and answers the stock events of every
 * crossing (see `stockCrossings`), to be recorded with the change.
 */
export class StockWatch {
  private constructor(
    private readonly tx: Repositories,
    private readonly orgId: string,
    private readonly before: ReadonlyMap<string, PartDefinition>,
  ) {}

  /** Locks the live definitions among `ids` and reads their stock. */
  static async open(tx: Repositories, orgId: string, ids: readonly string[]): Promise<StockWatch> {
    const locked = await tx.stock.lockDefinitions(orgId, ids);
    // Counted after the lock, in a statement of its own, so it sees every change committed before it.
    const definitions = await tx.parts.findDefinitions(orgId, locked);
    return new StockWatch(tx, orgId, new Map(definitions.map((d) => [d.id, d])));
  }

  /** The definition as it was when the watch opened; undefined when it is not a live one of the org. */
  definition(id: string): PartDefinition | undefined {
    return this.before.get(id);
  }

  /** Counts again and answers the events of the crossings since `open`. */
  async settle(cause: StockCause, occurredAt: Date): Promise<DomainEvent[]> {
    const events: DomainEvent[] = [];
    for (const after of await this.tx.parts.findDefinitions(this.orgId, [...this.before.keys()])) {
      events.push(...stockEvents(this.before.get(after.id)!, after, cause, occurredAt));
    }
    return events;
  }
}

/**
 * The stock events of one definition whose stock or reorder point moved from `before` to `after`
 * through `cause`: one per crossing (see `stockCrossings`), with the counts of `after`.
 */
export function stockEvents(
  before: PartDefinition,
  after: PartDefinition,
  cause: StockCause,
  occurredAt: Date,
): DomainEvent[] {
  return stockCrossings(stockPoint(before), stockPoint(after)).map((type) =>
    stockEvent(type, after, cause, occurredAt),
  );
}

const stockPoint = (definition: PartDefinition) => ({
  available: stockStatus(definition.stock, definition).available,
  reorderPoint: definition.reorderPoint,
});

/**
 * One stock event of a definition (aggregate `part_definition`), unique per crossing: its dedupe
 * key names the change that caused it.
 */
function stockEvent(
  type: StockEventType,
  definition: PartDefinition,
  cause: StockCause,
  occurredAt: Date,
): DomainEvent {
  const status = stockStatus(definition.stock, definition);
  return domainEvent({
    orgId: definition.orgId,
    type,
    aggregateType: 'part_definition',
    aggregateId: definition.id,
    discriminator: [cause.event, cause.entityId, ...(cause.changeId === undefined ? [] : [cause.changeId])],
    data: {
      part_definition_id: definition.id,
      name: definition.name,
      category: definition.category,
      in_stock: status.inStock,
      reserved: status.reserved,
      available: status.available,
      min_stock_level: definition.minStockLevel,
      reorder_point: definition.reorderPoint,
      lead_time_days: definition.leadTimeDays,
      below_min_stock_level: status.belowMinStock,
      earliest_arrival: earliestArrival(occurredAt, definition.leadTimeDays),
      cause: { event: cause.event, entity_id: cause.entityId },
    },
    occurredAt,
  });
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * Stock levels: the stock list of every live definition and a task's parts availability. Both are
 * counted by the one rule of `stockByDefinition` (in stock and unexpired; reserved).
 */
export class StockService {
  constructor(private readonly deps: { uow: UnitOfWork; now?: () => Date }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Every live definition of the org with its stock, filtered and sorted (default: by name). */
  async list(
    actor: Actor,
    input: StockFilter & OrgScope & { sort?: string | undefined },
    page: Page,
  ): Promise<PageOf<StockView>> {
    authorize(actor, 'stock', 'read');
    const sort = parseSort(input.sort, STOCK_SORT_FIELDS, [{ field: 'name', direction: 'asc' }]);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const now = this.now();
    const filter: StockFilter = { category: input.category, low: input.low, q: input.q };
    const rows = await repos.stock.list(orgId, filter, sort, page, now);
    const result = pageOf(rows, page);
    return { items: result.items.map((row) => stockView(row, now)), hasMore: result.hasMore };
  }

  /** Each required part of a live task of the org: reserved, available, or short (404 for another org's task). */
  async partsAvailability(
    actor: Actor,
    taskId: string,
    scope: OrgScope = {},
  ): Promise<PartAvailabilityView[]> {
    authorize(actor, 'stock', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    const now = this.now();
    const rows = await repos.stock.taskRequirements(orgId, taskId, now);
    if (!rows) throw AppError.notFound('maintenance task', 'TASK_NOT_FOUND');
    return rows.map((row) => partAvailabilityView(row, now));
  }
}
