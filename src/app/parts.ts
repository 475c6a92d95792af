import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventType } from '../domain/events.js';
import {
  itemStatusChangeRefusal,
  reservationRefusal,
  useRefusal,
  reservationTransitionRefusal,
  stockLevel,
  taskReservationRefusal,
  type PartDefinition,
  type PartItem,
  type PartItemStatus,
  type PartRefusal,
  type PartReservation,
  type ReservationState,
  type ReservationTarget,
  type ReservationTask,
} from '../domain/part.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import type { LockManager } from './locks.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { UnitOfWork } from './ports.js';
import { StockWatch } from './stock.js';

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** A part definition as the API, audit rows and events show it, with its stock counted from items. */
export type PartDefinitionView = {
  id: string;
  org_id: string;
  name: string;
  category: string;
  min_stock_level: number | null;
  reorder_point: number | null;
  lead_time_days: number | null;
  in_stock: number;
  reserved: number;
  available: number;
  below_min_stock: boolean;
  created_at: string;
  updated_at: string;
};

/** The view of a part definition. */
export const partDefinitionView = (definition: PartDefinition): PartDefinitionView => {
  const stock = stockLevel(definition.stock, definition.minStockLevel);
  return {
    id: definition.id,
    org_id: definition.orgId,
    name: definition.name,
    category: definition.category,
    min_stock_level: definition.minStockLevel,
    reorder_point: definition.reorderPoint,
    lead_time_days: definition.leadTimeDays,
    in_stock: stock.inStock,
    reserved: stock.reserved,
    available: stock.available,
    below_min_stock: stock.belowMinStock,
    created_at: definition.createdAt.toISOString(),
    updated_at: definition.updatedAt.toISOString(),
  };
};

/** A part item as the API, audit rows and events show it. */
export type PartItemView = {
  id: string;
  org_id: string;
  part_definition_id: string;
  serial_number: string;
  status: PartItemStatus;
  expiry_date: string | null;
  created_at: string;
  updated_at: string;
};

/** The view of a part item. */
export const partItemView = (item: PartItem): PartItemView => ({
  id: item.id,
  org_id: item.orgId,
  part_definition_id: item.partDefinitionId,
  serial_number: item.serialNumber,
  status: item.status,
  expiry_date: item.expiryDate?.toISOString() ?? null,
  created_at: item.createdAt.toISOString(),
  updated_at: item.updatedAt.toISOString(),
});

/** A part reservation as the API, audit rows and events show it. */
export type PartReservationView = {
  id: string;
  org_id: string;
  task_id: string;
  part_item_id: string;
  state: ReservationState;
  quantity: number;
  created_at: string;
  updated_at: string;
};

/** The view of a part reservation. */
export const partReservationView = (reservation: PartReservation): PartReservationView => ({
  id: reservation.id,
  org_id: reservation.orgId,
  task_id: reservation.taskId,
  part_item_id: reservation.partItemId,
  state: reservation.state,
  quantity: reservation.quantity,
  created_at: reservation.createdAt.toISOString(),
  updated_at: reservation.updatedAt.toISOString(),
});

// ---------------------------------------------------------------------------------------------
// Inputs, filters and sorting
// ---------------------------------------------------------------------------------------------

/** The fields part definition lists sort by. */
export const DEFINITION_SORT_FIELDS = ['name', 'category', 'created_at', 'updated_at'] as const;
export type DefinitionSortField = (typeof DEFINITION_SORT_FIELDS)[number];

/** The fields part item lists sort by. */
export const ITEM_SORT_FIELDS = [
  'serial_number',
  'status',
  'expiry_date',
  'created_at',
  'updated_at',
] as const;
export type ItemSortField = (typeof ITEM_SORT_FIELDS)[number];

/** The fields reservation lists sort by. */
export const RESERVATION_SORT_FIELDS = ['created_at', 'updated_at', 'state'] as const;
export type ReservationSortField = (typeof RESERVATION_SORT_FIELDS)[number];

/** Filters of the part definition list. */
export interface PartDefinitionFilter {
  category?: string | undefined;
  /** Case-insensitive substring of the name. */
  name?: string | undefined;
  /** true: only definitions below their minimum stock; false: only those that are not. */
  belowMinStock?: boolean | undefined;
}

/** Filters of the part item list. */
export interface PartItemFilter {
  status?: PartItemStatus | undefined;
  definitionId?: string | undefined;
  /** Only items expiring strictly before this time (items without expiry never match). */
  expiryBefore?: Date | undefined;
  /** Case-insensitive substring of the serial number. */
  serial?: string | undefined;
}

/** Filters of the reservation list. */
export interface PartReservationFilter {
  taskId?: string | undefined;
  partItemId?: string | undefined;
  state?: ReservationState | undefined;
}

/** What a list accepts besides its filters: the organization in scope and the raw `sort` parameter. */
export interface ListInput extends OrgScope {
  sort?: string | undefined;
}

/** A new part definition. */
export interface CreatePartDefinitionInput extends OrgScope {
  name: string;
  category: string;
  minStockLevel?: number | null | undefined;
  reorderPoint?: number | null | undefined;
  leadTimeDays?: number | null | undefined;
}

/** The fields of a definition to change; unset ones stay as they are, null clears an optional one. */
export interface UpdatePartDefinitionInput {
  name?: string | undefined;
  category?: string | undefined;
  minStockLevel?: number | null | undefined;
  reorderPoint?: number | null | undefined;
  leadTimeDays?: number | null | undefined;
}

/** A new serialized part item. */
export interface CreatePartItemInput extends OrgScope {
  partDefinitionId: string;
  serialNumber: string;
  status?: PartItemStatus | undefined;
  expiryDate?: Date | null | undefined;
}

/** The fields of an item to change; unset ones stay as they are, a null expiry clears it. */
export interface UpdatePartItemInput {
  serialNumber?: string | undefined;
  status?: PartItemStatus | undefined;
  expiryDate?: Date | null | undefined;
}

/** A reservation of one item for one task. */
export interface ReservePartInput extends OrgScope {
  taskId: string;
  partItemId: string;
  quantity?: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/** How a read locks the rows it returns until the transaction ends. */
export type RowLock = 'share' | 'update';

/** Persistence of part definitions, items and reservations; every method is scoped to one organization. */
export interface PartRepository {
  insertDefinition(input: {
    orgId: string;
    name: string;
    category: string;
    minStockLevel: number | null;
    reorderPoint: number | null;
    leadTimeDays: number | null;
  }): Promise<PartDefinition>;
  /** A live definition with its stock counts. */
  findDefinition(orgId: string, id: string): Promise<PartDefinition | undefined>;
  /** The live definitions among `ids`, with their stock, in one statement. */
  findDefinitions(orgId: string, ids: readonly string[]): Promise<PartDefinition[]>;
  /** Locks a live definition's row until the transaction ends; false when there is none. */
  lockDefinition(orgId: string, id: string, mode: RowLock): Promise<boolean>;
  /** Live definitions with stock counts (one query); fetches `page.limit + 1` rows. */
  listDefinitions(
    orgId: string,
    filter: PartDefinitionFilter,
    sort: SortKey<DefinitionSortField>[],
    page: Page,
  ): Promise<PartDefinition[]>;
  /** Changes a live definition; undefined when there is none. */
  updateDefinition(
    orgId: string,
    id: string,
    patch: UpdatePartDefinitionInput,
  ): Promise<PartDefinition | undefined>;
  /** Soft-deletes a live definition; returns when, or undefined when there is none. */
  softDeleteDefinition(orgId: string, id: string): Promise<Date | undefined>;
  /** How many live items of any status a definition has. */
  countLiveItems(orgId: string, definitionId: string): Promise<number>;

  insertItem(input: {
    orgId: string;
    partDefinitionId: string;
    serialNumber: string;
    status: PartItemStatus;
    expiryDate: Date | null;
  }): Promise<PartItem>;
  /** A live item, optionally locked until the transaction ends. */
  findItem(orgId: string, id: string, lock?: RowLock): Promise<PartItem | undefined>;
  /** Fetches `page.limit + 1` rows. */
  listItems(
    orgId: string,
    filter: PartItemFilter,
    sort: SortKey<ItemSortField>[],
    page: Page,
  ): Promise<PartItem[]>;
  /** Changes a live item; undefined when there is none. */
  updateItem(orgId: string, id: string, patch: UpdatePartItemInput): Promise<PartItem | undefined>;
  /** Soft-deletes a live item; returns when, or undefined when there is none. */
  softDeleteItem(orgId: string, id: string): Promise<Date | undefined>;

  /**
   * A live maintenance task as reservations see it, optionally locked (FOR SHARE keeps its state
   * from changing until the reservation commits, so a cancellation cannot miss it).
   */
  findTask(orgId: string, taskId: string, lock?: RowLock): Promise<ReservationTask | undefined>;
  insertReservation(input: {
    orgId: string;
    taskId: string;
    partItemId: string;
    quantity: number;
  }): Promise<PartReservation>;
  findReservation(orgId: string, id: string): Promise<PartReservation | undefined>;
  /** The item's reservation in state `reserved`, if any (there is at most one). */
  findActiveReservation(orgId: string, partItemId: string): Promise<PartReservation | undefined>;
  /** Fetches `page.limit + 1` rows. */
  listReservations(
    orgId: string,
    filter: PartReservationFilter,
    sort: SortKey<ReservationSortField>[],
    page: Page,
  ): Promise<PartReservation[]>;
  /** Moves a reservation from `from` to `to`; undefined when it is no longer in `from`. */
  transitionReservation(
    orgId: string,
    id: string,
    from: ReservationState,
    to: ReservationTarget,
  ): Promise<PartReservation | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/** How long a reservation may hold an item's lock, and how long another waits for it. */
export const RESERVATION_LOCK = { ttlMs: 15_000, waitMs: 5_000 } as const;

/** The lock key of one part item (the lock manager adds its own prefix). */
export const partItemLockKey = (orgId: string, itemId: string): string => `part-item:${orgId}:${itemId}`;

/** What the part service needs: the database and a lock manager shared by every replica. */
export interface PartServiceDeps {
  uow: UnitOfWork;
  locks: LockManager;
}

/**
 * Parts inventory: definitions (catalogue entries with stock counted from their items), serialized
 * items, and reservations of one item for one task. Reserving runs under a lock on the item (Redis
 * across replicas) and is guarded in the database by the partial unique index that allows one
 * active reservation per item, so two racing reservations of one item never both succeed.
 */
export class PartService {
  constructor(private readonly deps: PartServiceDeps) {}

  // -- definitions ------------------------------------------------------------------------

  /** Creates a definition; a name taken by a live definition of the org is 409 PART_NAME_TAKEN. */
  async createDefinition(ctx: MutationContext, input: CreatePartDefinitionInput): Promise<PartDefinition> {
    authorize(ctx.actor, 'parts', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    return mutate(this.deps.uow, ctx, async (tx) => {
      const definition = await tx.parts.insertDefinition({
        orgId,
        name: input.name.trim(),
        category: input.category.trim(),
        minStockLevel: input.minStockLevel ?? null,
        reorderPoint: input.reorderPoint ?? null,
        leadTimeDays: input.leadTimeDays ?? null,
      });
      return { result: definition, ...definitionCreatedEffects(definition) };
    });
  }

  /** One live definition of the organization in scope, with its stock (404 otherwise). */
  async getDefinition(actor: Actor, id: string, scope: OrgScope = {}): Promise<PartDefinition> {
    authorize(actor, 'parts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.parts.findDefinition(orgId, id)) ?? definitionNotFound();
  }

  /** Live definitions with their stock, filtered and sorted (default: by name). */
  async listDefinitions(
    actor: Actor,
    input: PartDefinitionFilter & ListInput,
    page: Page,
  ): Promise<PageOf<PartDefinition>> {
    authorize(actor, 'parts', 'read');
    const sort = parseSort(input.sort, DEFINITION_SORT_FIELDS, [{ field: 'name', direction: 'asc' }]);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter = { category: input.category, name: input.name, belowMinStock: input.belowMinStock };
    return pageOf(await repos.parts.listDefinitions(orgId, filter, sort, page), page);
  }

  /** Changes a definition's name, category or stock settings. */
  async updateDefinition(
    ctx: MutationContext,
    id: string,
    patch: UpdatePartDefinitionInput,
    scope: OrgScope = {},
  ): Promise<PartDefinition> {
    authorize(ctx.actor, 'parts', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      if (!(await tx.parts.lockDefinition(orgId, id, 'update'))) definitionNotFound();
      // A new reorder point can move the stock across it as much as a reservation can.
      const watch = await StockWatch.open(tx, orgId, [id]);
      const before = watch.definition(id) ?? definitionNotFound();
      const definition =
        (await tx.parts.updateDefinition(orgId, id, {
          ...patch,
          name: patch.name?.trim(),
          category: patch.category?.trim(),
        })) ?? definitionNotFound();
      const effects = definitionUpdatedEffects(before, definition, changeId);
      const stock = await watch.settle(
        { event: 'part_definition_updated', entityId: id, changeId },
        definition.updatedAt,
      );
      return { result: definition, audit: effects.audit, events: [...effects.events, ...stock] };
    });
  }

  /** Soft-deletes a definition without live items (409 PART_DEFINITION_IN_USE otherwise); its name becomes free. */
  async deleteDefinition(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'parts', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      // Locked so no item can be added to it (item creation locks it too, for its stock watch) while we count.
      if (!(await tx.parts.lockDefinition(orgId, id, 'update'))) definitionNotFound();
      const before = (await tx.parts.findDefinition(orgId, id)) ?? definitionNotFound();
      const items = await tx.parts.countLiveItems(orgId, id);
      if (items > 0) {
        throw AppError.conflict(
          'PART_DEFINITION_IN_USE',
          `part definition ${before.name} still has ${items} item(s); delete them first`,
        );
      }
      const deletedAt = (await tx.parts.softDeleteDefinition(orgId, id)) ?? definitionNotFound();
      const effects = partEffects({
        entity: definitionEntity(before),
        action: 'delete',
        type: 'part_definition_deleted',
        before,
        changeId,
        occurredAt: deletedAt,
      });
      return { result: undefined, ...effects };
    });
  }

  // -- items ------------------------------------------------------------------------------

  /**
   * Adds a serialized item of a live definition of the org (404 naming part_definition_id
   * otherwise); a serial number taken by a live item is 409 SERIAL_TAKEN, a past expiry 400.
   */
  async createItem(ctx: MutationContext, input: CreatePartItemInput): Promise<PartItem> {
    authorize(ctx.actor, 'parts', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const expiryDate = input.expiryDate ?? null;
    refuseExpiryInPast(expiryDate, new Date());
    return mutate(this.deps.uow, ctx, async (tx) => {
      // The watch's lock also keeps the definition from being deleted while this item is added to it.
      const watch = await StockWatch.open(tx, orgId, [input.partDefinitionId]);
      if (!watch.definition(input.partDefinitionId)) {
        throw missingReference('body.part_definition_id', 'PART_DEFINITION_NOT_FOUND', 'part definition');
      }
      const item = await tx.parts.insertItem({
        orgId,
        partDefinitionId: input.partDefinitionId,
        serialNumber: input.serialNumber.trim(),
        status: input.status ?? 'in_stock',
        expiryDate,
      });
      const effects = itemCreatedEffects(item);
      const stock = await watch.settle({ event: 'part_item_created', entityId: item.id }, item.createdAt);
      return { result: item, audit: effects.audit, events: [...effects.events, ...stock] };
    });
  }

  /** One live item of the organization in scope (404 otherwise). */
  async getItem(actor: Actor, id: string, scope: OrgScope = {}): Promise<PartItem> {
    authorize(actor, 'parts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.parts.findItem(orgId, id)) ?? itemNotFound();
  }

  /** Live items, filtered and sorted (default: by serial number). */
  async listItems(actor: Actor, input: PartItemFilter & ListInput, page: Page): Promise<PageOf<PartItem>> {
    authorize(actor, 'parts', 'read');
    const sort = parseSort(input.sort, ITEM_SORT_FIELDS, [{ field: 'serial_number', direction: 'asc' }]);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter: PartItemFilter = {
      status: input.status,
      definitionId: input.definitionId,
      expiryBefore: input.expiryBefore,
      serial: input.serial,
    };
    return pageOf(await repos.parts.listItems(orgId, filter, sort, page), page);
  }

  /**
   * Changes an item's serial number, status or expiry. Used and disposed are final; a reserved
   * item is used or given back through its reservation. A new expiry must lie in the future, but
   * an item whose expiry has passed can still be marked used or disposed.
   */
  async updateItem(
    ctx: MutationContext,
    id: string,
    patch: UpdatePartItemInput,
    scope: OrgScope = {},
  ): Promise<PartItem> {
    authorize(ctx.actor, 'parts', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    const now = new Date();
    return mutate(this.deps.uow, ctx, async (tx) => {
      // FOR UPDATE: a reservation of this item (which locks it FOR SHARE) waits until we commit.
      const before = (await tx.parts.findItem(orgId, id, 'update')) ?? itemNotFound();
      // Only a status or an expiry can move the stock; a new serial number cannot.
      const watch =
        patch.status !== undefined || patch.expiryDate !== undefined
          ? await StockWatch.open(tx, orgId, [before.partDefinitionId])
          : undefined;
      if (patch.expiryDate !== undefined && !sameTime(patch.expiryDate, before.expiryDate)) {
        refuseExpiryInPast(patch.expiryDate, now);
      }
      if (patch.status !== undefined && patch.status !== before.status) {
        const reserved = (await tx.parts.findActiveReservation(orgId, id)) !== undefined;
        refuse(itemStatusChangeRefusal(before.status, patch.status, reserved));
      }
      const item =
        (await tx.parts.updateItem(orgId, id, {
          ...patch,
          serialNumber: patch.serialNumber?.trim(),
        })) ?? itemNotFound();
      const effects = partEffects({
        entity: itemEntity(item),
        action: 'update',
        type: 'part_item_updated',
        before,
        after: item,
        changeId,
        occurredAt: item.updatedAt,
      });
      const stock =
        (await watch?.settle({ event: 'part_item_updated', entityId: id, changeId }, item.updatedAt)) ?? [];
      return { result: item, audit: effects.audit, events: [...effects.events, ...stock] };
    });
  }

  /** Soft-deletes an item that no reservation holds (409 ITEM_RESERVED otherwise); its serial becomes free. */
  async deleteItem(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'parts', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before = (await tx.parts.findItem(orgId, id, 'update')) ?? itemNotFound();
      const watch = await StockWatch.open(tx, orgId, [before.partDefinitionId]);
      const active = await tx.parts.findActiveReservation(orgId, id);
      if (active) {
        throw AppError.conflict(
          'ITEM_RESERVED',
          `part item ${before.serialNumber} is reserved for task ${active.taskId}; release the reservation first`,
        );
      }
      const deletedAt = (await tx.parts.softDeleteItem(orgId, id)) ?? itemNotFound();
      const effects = partEffects({
        entity: itemEntity(before),
        action: 'delete',
        type: 'part_item_deleted',
        before,
        changeId,
        occurredAt: deletedAt,
      });
      const stock = await watch.settle({ event: 'part_item_deleted', entityId: id }, deletedAt);
      return { result: undefined, audit: effects.audit, events: [...effects.events, ...stock] };
    });
  }

  // -- reservations -----------------------------------------------------------------------

  /**
   * Reserves one in-stock, unexpired item for a scheduled or in-progress task of the same org.
   * Runs under the item's lock; the partial unique index answers a race the lock missed with the
   * same 409 PART_NOT_AVAILABLE.
   */
  async reserve(ctx: MutationContext, input: ReservePartInput): Promise<PartReservation> {
    authorize(ctx.actor, 'parts', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const now = new Date();
    return this.deps.locks.withLock(partItemLockKey(orgId, input.partItemId), RESERVATION_LOCK, () =>
      mutate(this.deps.uow, ctx, async (tx) => {
        const task = await tx.parts.findTask(orgId, input.taskId, 'share');
        if (!task) throw missingReference('body.task_id', 'TASK_NOT_FOUND', 'maintenance task');
        refuse(taskReservationRefusal(task));
        // FOR SHARE: the item cannot be disposed, used or deleted until this reservation commits,
        // while racing reservations still reach the unique index that settles them.
        const item = await tx.parts.findItem(orgId, input.partItemId, 'share');
        if (!item) throw missingReference('body.part_item_id', 'PART_ITEM_NOT_FOUND', 'part item');
        refuse(reservationRefusal(item, now));
        const active = await tx.parts.findActiveReservation(orgId, item.id);
        if (active) {
          throw AppError.conflict(
            'PART_NOT_AVAILABLE',
            `part item ${item.serialNumber} is already reserved for task ${active.taskId}`,
          );
        }
        const watch = await StockWatch.open(tx, orgId, [item.partDefinitionId]);
        const reservation = await tx.parts.insertReservation({
          orgId,
          taskId: task.id,
          partItemId: item.id,
          quantity: input.quantity ?? 1,
        });
        const effects = partEffects({
          entity: reservationEntity(reservation),
          action: 'create',
          type: 'part_reserved',
          after: reservation,
          occurredAt: reservation.createdAt,
        });
        const stock = await watch.settle(
          { event: 'part_reserved', entityId: reservation.id },
          reservation.createdAt,
        );
        return { result: reservation, audit: effects.audit, events: [...effects.events, ...stock] };
      }),
    );
  }

  /** One reservation of the organization in scope (404 otherwise). */
  async getReservation(actor: Actor, id: string, scope: OrgScope = {}): Promise<PartReservation> {
    authorize(actor, 'parts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.parts.findReservation(orgId, id)) ?? reservationNotFound();
  }

  /** Reservations, filtered and sorted (default: oldest first). */
  async listReservations(
    actor: Actor,
    input: PartReservationFilter & ListInput,
    page: Page,
  ): Promise<PageOf<PartReservation>> {
    authorize(actor, 'parts', 'read');
    const sort = parseSort(input.sort, RESERVATION_SORT_FIELDS, [{ field: 'created_at', direction: 'asc' }]);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter = { taskId: input.taskId, partItemId: input.partItemId, state: input.state };
    return pageOf(await repos.parts.listReservations(orgId, filter, sort, page), page);
  }

  /**
   * Moves a reserved reservation to used (the task's assigned mechanic, a scheduler or an admin;
   * the item becomes used in the same transaction) or released (the item stays in stock). Both
   * are final. The change applies only if the reservation is still in the state read, so of two
   * racing transitions exactly one wins.
   */
  async transitionReservation(
    ctx: MutationContext,
    id: string,
    to: ReservationTarget,
    scope: OrgScope = {},
  ): Promise<PartReservation> {
    authorize(ctx.actor, 'parts', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const actor = ctx.actor.kind === 'user' ? { role: ctx.actor.role, userId: ctx.actor.userId } : {};
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before = (await tx.parts.findReservation(orgId, id)) ?? reservationNotFound();
      const task = (await tx.parts.findTask(orgId, before.taskId)) ?? { assignedMechanicId: null };
      refuse(reservationTransitionRefusal(before, to, task, actor));
      // The item first, as every other writer locks it, so two transactions never wait on each other in a cycle.
      const itemBefore = await tx.parts.findItem(
        orgId,
        before.partItemId,
        to === 'used' ? 'update' : undefined,
      );
      const watch = await StockWatch.open(tx, orgId, itemBefore ? [itemBefore.partDefinitionId] : []);
      const reservation = await tx.parts.transitionReservation(orgId, id, before.state, to);
      if (!reservation) {
        throw AppError.conflict(
          'INVALID_TRANSITION',
          `the reservation changed while this request ran; it is no longer ${before.state}`,
        );
      }
      const cause = {
        event: to === 'used' ? 'part_used' : 'part_released',
        entityId: reservation.id,
      } as const;
      if (to === 'released') {
        const effects = reservationTransitionEffects(before, reservation, 'part_released');
        const stock = await watch.settle(cause, reservation.updatedAt);
        return { result: reservation, audit: effects.audit, events: [...effects.events, ...stock] };
      }
      const fitted = itemBefore ?? itemNotFound();
      refuse(useRefusal(fitted, new Date()));
      const item = (await tx.parts.updateItem(orgId, fitted.id, { status: 'used' })) ?? itemNotFound();
      const effects = reservationTransitionEffects(before, reservation, 'part_used', {
        part_item: partItemView(item),
      });
      const itemAudit = partEffects({
        entity: itemEntity(item),
        action: 'update',
        type: 'part_item_updated',
        before: fitted,
        after: item,
        occurredAt: item.updatedAt,
      }).audit;
      // Marking a held item used leaves `available` as it was (the item was already reserved), so
      // this emits nothing under today's counting rule; it is counted all the same.
      const stock = await watch.settle(cause, reservation.updatedAt);
      return {
        result: reservation,
        audit: [effects.audit, itemAudit],
        events: [...effects.events, ...stock],
      };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const definitionNotFound = (): never => {
  throw AppError.notFound('part definition', 'PART_DEFINITION_NOT_FOUND');
};
const itemNotFound = (): never => {
  throw AppError.notFound('part item', 'PART_ITEM_NOT_FOUND');
};
const reservationNotFound = (): never => {
  throw AppError.notFound('part reservation', 'PART_RESERVATION_NOT_FOUND');
};

/** A body field naming something that does not exist in the organization: 404 naming the field. */
const missingReference = (field: string, reason: string, entity: string): AppError =>
  new AppError('not_found', reason, `${entity} not found in this organization`, [
    { field, message: `no live ${entity} with this id in the organization` },
  ]);

/** Throws a domain refusal as the 403 or 409 it is. */
function refuse(refusal: PartRefusal | undefined): void {
  if (!refusal) return;
  throw refusal.kind === 'forbidden'
    ? AppError.forbidden(refusal.message, refusal.reason)
    : AppError.conflict(refusal.reason, refusal.message);
}

export function refuseExpiryInPast(expiryDate: Date | null, now: Date): void {
  if (expiryDate === null || expiryDate.getTime() > now.getTime()) return;
  throw AppError.validation(
    `expiry_date ${expiryDate.toISOString()} is not in the future`,
    [{ field: 'body.expiry_date', message: 'must be in the future' }],
    'EXPIRY_IN_PAST',
  );
}

const sameTime = (a: Date | null, b: Date | null): boolean =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** An entity of this context as the audit log and the outbox name it. */
interface PartEntity<T> {
  type: 'part_definition' | 'part_item' | 'part_reservation';
  orgId: string;
  id: string;
  view: (entity: T) => Record<string, unknown>;
}

const definitionEntity = (d: PartDefinition): PartEntity<PartDefinition> => ({
  type: 'part_definition',
  orgId: d.orgId,
  id: d.id,
  view: partDefinitionView,
});
const itemEntity = (i: PartItem): PartEntity<PartItem> => ({
  type: 'part_item',
  orgId: i.orgId,
  id: i.id,
  view: partItemView,
});
const reservationEntity = (r: PartReservation): PartEntity<PartReservation> => ({
  type: 'part_reservation',
  orgId: r.orgId,
  id: r.id,
  view: partReservationView,
});

/** What one change to a part entity records. */
interface PartChange<T> {
  entity: PartEntity<T>;
  action: AuditAction;
  type: EventType;
  before?: T;
  after?: T;
  /** Distinguishes this change's event from every other change to the entity (unset when it happens once). */
  changeId?: string;
  occurredAt: Date;
  /** Added to the event's data beside the entity's view. */
  extraData?: Record<string, unknown>;
}

/** The audit row and the event of one change to a part entity. */
function partEffects<T>(change: PartChange<T>): { audit: AuditEntry; events: DomainEvent[] } {
  const { entity } = change;
  const before = change.before === undefined ? undefined : entity.view(change.before);
  const after = change.after === undefined ? undefined : entity.view(change.after);
  return entityEffects({
    orgId: entity.orgId,
    entityType: entity.type,
    entityId: entity.id,
    action: change.action,
    before,
    after,
    event: {
      type: change.type,
      discriminator: change.changeId,
      data: { ...(after ?? before), ...change.extraData },
      occurredAt: change.occurredAt,
    },
  });
}

/** The audit row and event of a new definition. */
export const definitionCreatedEffects = (definition: PartDefinition) =>
  partEffects({
    entity: definitionEntity(definition),
    action: 'create',
    type: 'part_definition_created',
    after: definition,
    occurredAt: definition.createdAt,
  });

/** The audit row and event of a changed definition; `changeId` tells this change's event from the others'. */
export const definitionUpdatedEffects = (before: PartDefinition, after: PartDefinition, changeId: string) =>
  partEffects({
    entity: definitionEntity(after),
    action: 'update',
    type: 'part_definition_updated',
    before,
    after,
    changeId,
    occurredAt: after.updatedAt,
  });

/** The audit row and event of a new item (its stock events come from the definition's watch). */
export const itemCreatedEffects = (item: PartItem) =>
  partEffects({
    entity: itemEntity(item),
    action: 'create',
    type: 'part_item_created',
    after: item,
    occurredAt: item.createdAt,
  });

/** A reservation leaves `reserved` once, so its event needs no discriminator to be unique. */
const reservationTransitionEffects = (
  before: PartReservation,
  after: PartReservation,
  type: 'part_used' | 'part_released',
  extraData?: Record<string, unknown>,
) =>
  partEffects({
    entity: reservationEntity(after),
    action: 'state_change',
    type,
    before,
    after,
    occurredAt: after.updatedAt,
    extraData,
  });
