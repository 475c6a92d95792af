import { sql, type Selectable } from 'kysely';
import type {
  DefinitionSortField,
  ItemSortField,
  PartDefinitionFilter,
  PartItemFilter,
  PartRepository,
  PartReservationFilter,
  ReservationSortField,
  RowLock,
  UpdatePartDefinitionInput,
  UpdatePartItemInput,
} from '../../app/parts.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  PartDefinition,
  PartItem,
  PartItemStatus,
  PartReservation,
  ReservationState,
  ReservationTarget,
  ReservationTask,
} from '../../domain/part.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { softDeleteRow } from './soft-delete.js';
import { stockByDefinition } from './stock.js';
import { orderBySortKeys } from './listing.js';
import type { PartDefinitionsTable, PartItemsTable, PartReservationsTable } from './schema.js';
import { escapeLike } from './users.js';

registerConstraints({
  part_reservations_used_kept: {
    kind: 'conflict',
    reason: 'RESERVATION_USED',
    message: 'a used part reservation records where the part was fitted and is never deleted',
  },
  part_definitions_org_id_name_live_key: {
    kind: 'conflict',
    reason: 'PART_NAME_TAKEN',
    message: 'a part definition with this name already exists in the organization',
    field: 'body.name',
  },
  part_definitions_name_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the name must not be blank',
    field: 'body.name',
  },
  part_definitions_category_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the category must not be blank',
    field: 'body.category',
  },
  part_items_org_id_serial_number_live_key: {
    kind: 'conflict',
    reason: 'SERIAL_TAKEN',
    message: 'a part item with this serial number already exists in the organization',
    field: 'body.serial_number',
  },
  part_items_serial_number_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the serial number must not be blank',
    field: 'body.serial_number',
  },
  part_items_part_definition_fkey: {
    kind: 'not_found',
    reason: 'PART_DEFINITION_NOT_FOUND',
    message: 'the part definition does not exist in this organization',
    field: 'body.part_definition_id',
  },
  // Raised by the trigger of that name: expiry must lie in the future whenever it is set or changed.
  part_items_expiry_in_future: {
    kind: 'validation',
    reason: 'EXPIRY_IN_PAST',
    message: 'expiry_date must be in the future',
    field: 'body.expiry_date',
  },
  part_reservations_one_active_per_item: {
    kind: 'conflict',
    reason: 'PART_NOT_AVAILABLE',
    message: 'the part item is already reserved',
  },
  part_reservations_one_use_per_item: {
    kind: 'conflict',
    reason: 'PART_NOT_AVAILABLE',
    message: 'the part item has already been used',
  },
  part_reservations_task_fkey: {
    kind: 'not_found',
    reason: 'TASK_NOT_FOUND',
    message: 'the maintenance task does not exist in this organization',
    field: 'body.task_id',
  },
  part_reservations_part_item_fkey: {
    kind: 'not_found',
    reason: 'PART_ITEM_NOT_FOUND',
    message: 'the part item does not exist in this organization',
    field: 'body.part_item_id',
  },
});

const DEFINITION_COLUMNS = [
  'd.id',
  'd.org_id',
  'd.name',
  'd.category',
  'd.min_stock_level',
  'd.reorder_point',
  'd.lead_time_days',
  'd.created_at',
  'd.updated_at',
] as const;

type DefinitionRow = Omit<Selectable<PartDefinitionsTable>, 'deleted_at'> & {
  in_stock: number;
  reserved: number;
};

export const toDefinition = (row: DefinitionRow): PartDefinition => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  category: row.category,
  minStockLevel: row.min_stock_level,
  reorderPoint: row.reorder_point,
  leadTimeDays: row.lead_time_days,
  stock: { inStock: row.in_stock, reserved: row.reserved },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const ITEM_COLUMNS = [
  'i.id',
  'i.org_id',
  'i.part_definition_id',
  'i.serial_number',
  'i.status',
  'i.expiry_date',
  'i.created_at',
  'i.updated_at',
] as const;

export const toItem = (row: Omit<Selectable<PartItemsTable>, 'deleted_at'>): PartItem => ({
  id: row.id,
  orgId: row.org_id,
  partDefinitionId: row.part_definition_id,
  serialNumber: row.serial_number,
  status: row.status,
  expiryDate: row.expiry_date,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const RESERVATION_COLUMNS = [
  'r.id',
  'r.org_id',
  'r.task_id',
  'r.part_item_id',
  'r.state',
  'r.quantity',
  'r.created_at',
  'r.updated_at',
] as const;

/** A reservation row as the domain sees it (also used by the task detail). */
export const toReservation = (row: Selectable<PartReservationsTable>): PartReservation => ({
  id: row.id,
  orgId: row.org_id,
  taskId: row.task_id,
  partItemId: row.part_item_id,
  state: row.state,
  quantity: row.quantity,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const DEFINITION_SORT: Record<DefinitionSortField, string> = {
  name: 'd.name',
  category: 'd.category',
  created_at: 'd.created_at',
  updated_at: 'd.updated_at',
};
const ITEM_SORT: Record<ItemSortField, string> = {
  serial_number: 'i.serial_number',
  status: 'i.status',
  expiry_date: 'i.expiry_date',
  created_at: 'i.created_at',
  updated_at: 'i.updated_at',
};
const RESERVATION_SORT: Record<ReservationSortField, string> = {
  created_at: 'r.created_at',
  updated_at: 'r.updated_at',
  state: 'r.state',
};

/** Available = in stock − reserved, compared with the minimum; false when no minimum is set. */
const BELOW_MIN_STOCK = sql<boolean>`(d.min_stock_level IS NOT NULL AND coalesce(s.in_stock, 0) - coalesce(s.reserved, 0) < d.min_stock_level)`;

export class PgPartRepository implements PartRepository {
  constructor(private readonly db: Executor) {}

  // -- definitions ------------------------------------------------------------------------

  async insertDefinition(input: {
    orgId: string;
    name: string;
    category: string;
    minStockLevel: number | null;
    reorderPoint: number | null;
    leadTimeDays: number | null;
  }): Promise<PartDefinition> {
    const row = await this.db
      .insertInto('part_definitions')
      .values({
        org_id: input.orgId,
        name: input.name,
        category: input.category,
        min_stock_level: input.minStockLevel,
        reorder_point: input.reorderPoint,
        lead_time_days: input.leadTimeDays,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDefinition({ ...row, in_stock: 0, reserved: 0 });
  }

  async findDefinition(orgId: string, id: string): Promise<PartDefinition | undefined> {
    const row = await this.definitionsWithStock(orgId, [id]).where('d.id', '=', id).executeTakeFirst();
    return row && toDefinition(row);
  }

  async findDefinitions(orgId: string, ids: readonly string[]): Promise<PartDefinition[]> {
    if (ids.length === 0) return [];
    const rows = await this.definitionsWithStock(orgId, ids)
      .where('d.id', 'in', [...ids])
      .orderBy('d.id')
      .execute();
    return rows.map(toDefinition);
  }

  async lockDefinition(orgId: string, id: string, mode: RowLock): Promise<boolean> {
    const query = this.db
      .selectFrom('part_definitions')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null);
    const row = await (mode === 'share' ? query.forShare() : query.forUpdate()).executeTakeFirst();
    return row !== undefined;
  }

  async listDefinitions(
    orgId: string,
    filter: PartDefinitionFilter,
    sort: SortKey<DefinitionSortField>[],
    page: Page,
  ): Promise<PartDefinition[]> {
    let query = this.definitionsWithStock(orgId);
    if (filter.category !== undefined) query = query.where('d.category', '=', filter.category);
    if (filter.name !== undefined) query = query.where('d.name', 'ilike', `%${escapeLike(filter.name)}%`);
    if (filter.belowMinStock === true) query = query.where(BELOW_MIN_STOCK);
    if (filter.belowMinStock === false) query = query.where(sql<boolean>`NOT ${BELOW_MIN_STOCK}`);
    const rows = await orderBySortKeys(query, sort, DEFINITION_SORT, 'd.id', {
      table: 'part_definitions',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toDefinition);
  }

  async updateDefinition(
    orgId: string,
    id: string,
    patch: UpdatePartDefinitionInput,
  ): Promise<PartDefinition | undefined> {
    const updated = await this.db
      .updateTable('part_definitions')
      .set({
        name: patch.name,
        category: patch.category,
        min_stock_level: patch.minStockLevel,
        reorder_point: patch.reorderPoint,
        lead_time_days: patch.leadTimeDays,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return updated && this.findDefinition(orgId, id);
  }

  async softDeleteDefinition(orgId: string, id: string): Promise<Date | undefined> {
    return softDeleteRow(this.db, 'part_definitions', orgId, id);
  }

  async countLiveItems(orgId: string, definitionId: string): Promise<number> {
    const row = await this.db
      .selectFrom('part_items')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('org_id', '=', orgId)
      .where('part_definition_id', '=', definitionId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    return row.count;
  }

  /**
   * Live definitions joined to their stock, counted in one grouped pass over the items (never a
   * query per definition): in stock = live, in_stock and unexpired; reserved = those of them with
   * a `reserved` reservation (at most one per item, by the partial unique index).
   */
  private definitionsWithStock(orgId: string, definitionIds?: readonly string[]) {
    let counts = stockByDefinition(this.db, orgId, sql<Date>`now()`);
    if (definitionIds !== undefined) counts = counts.where('i.part_definition_id', 'in', [...definitionIds]);
    return this.db
      .selectFrom('part_definitions as d')
      .leftJoin(counts.as('s'), 's.part_definition_id', 'd.id')
      .select([
        ...DEFINITION_COLUMNS,
        sql<number>`coalesce(s.in_stock, 0)`.as('in_stock'),
        sql<number>`coalesce(s.reserved, 0)`.as('reserved'),
      ])
      .where('d.org_id', '=', orgId)
      .where('d.deleted_at', 'is', null);
  }

  // -- items ------------------------------------------------------------------------------

  async insertItem(input: {
    orgId: string;
    partDefinitionId: string;
    serialNumber: string;
    status: PartItemStatus;
    expiryDate: Date | null;
  }): Promise<PartItem> {
    const row = await this.db
      .insertInto('part_items')
      .values({
        org_id: input.orgId,
        part_definition_id: input.partDefinitionId,
        serial_number: input.serialNumber,
        status: input.status,
        expiry_date: input.expiryDate,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toItem(row);
  }

  async findItem(orgId: string, id: string, lock?: RowLock): Promise<PartItem | undefined> {
    const query = this.db
      .selectFrom('part_items as i')
      .select(ITEM_COLUMNS)
      .where('i.org_id', '=', orgId)
      .where('i.id', '=', id)
      .where('i.deleted_at', 'is', null);
    const locked = lock === 'share' ? query.forShare() : lock === 'update' ? query.forUpdate() : query;
    const row = await locked.executeTakeFirst();
    return row && toItem(row);
  }

  async listItems(
    orgId: string,
    filter: PartItemFilter,
    sort: SortKey<ItemSortField>[],
    page: Page,
  ): Promise<PartItem[]> {
    let query = this.db
      .selectFrom('part_items as i')
      .select(ITEM_COLUMNS)
      .where('i.org_id', '=', orgId)
      .where('i.deleted_at', 'is', null);
    if (filter.status !== undefined) query = query.where('i.status', '=', filter.status);
    if (filter.definitionId !== undefined)
      query = query.where('i.part_definition_id', '=', filter.definitionId);
    if (filter.expiryBefore !== undefined) query = query.where('i.expiry_date', '<', filter.expiryBefore);
    if (filter.serial !== undefined) {
      query = query.where('i.serial_number', 'ilike', `%${escapeLike(filter.serial)}%`);
    }
    const rows = await orderBySortKeys(query, sort, ITEM_SORT, 'i.id', {
      table: 'part_items',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toItem);
  }

  async updateItem(orgId: string, id: string, patch: UpdatePartItemInput): Promise<PartItem | undefined> {
    const row = await this.db
      .updateTable('part_items as i')
      .set({
        serial_number: patch.serialNumber,
        status: patch.status,
        expiry_date: patch.expiryDate,
        updated_at: new Date(),
      })
      .where('i.org_id', '=', orgId)
      .where('i.id', '=', id)
      .where('i.deleted_at', 'is', null)
      .returning(ITEM_COLUMNS)
      .executeTakeFirst();
    return row && toItem(row);
  }

  async softDeleteItem(orgId: string, id: string): Promise<Date | undefined> {
    return softDeleteRow(this.db, 'part_items', orgId, id);
  }

  // -- reservations -----------------------------------------------------------------------

  async findTask(orgId: string, taskId: string, lock?: RowLock): Promise<ReservationTask | undefined> {
    const query = this.db
      .selectFrom('maintenance_tasks')
      .select(['id', 'state', 'assigned_mechanic_id'])
      .where('org_id', '=', orgId)
      .where('id', '=', taskId)
      .where('deleted_at', 'is', null);
    const locked = lock === 'share' ? query.forShare() : lock === 'update' ? query.forUpdate() : query;
    const row = await locked.executeTakeFirst();
    return row && { id: row.id, state: row.state, assignedMechanicId: row.assigned_mechanic_id };
  }

  async insertReservation(input: {
    orgId: string;
    taskId: string;
    partItemId: string;
    quantity: number;
  }): Promise<PartReservation> {
    const row = await this.db
      .insertInto('part_reservations')
      .values({
        org_id: input.orgId,
        task_id: input.taskId,
        part_item_id: input.partItemId,
        quantity: input.quantity,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toReservation(row);
  }

  async findReservation(orgId: string, id: string): Promise<PartReservation | undefined> {
    const row = await this.db
      .selectFrom('part_reservations as r')
      .select(RESERVATION_COLUMNS)
      .where('r.org_id', '=', orgId)
      .where('r.id', '=', id)
      .executeTakeFirst();
    return row && toReservation(row);
  }

  async findActiveReservation(orgId: string, partItemId: string): Promise<PartReservation | undefined> {
    const row = await this.db
      .selectFrom('part_reservations as r')
      .select(RESERVATION_COLUMNS)
      .where('r.org_id', '=', orgId)
      .where('r.part_item_id', '=', partItemId)
      .where('r.state', '=', 'reserved')
      .executeTakeFirst();
    return row && toReservation(row);
  }

  async listReservations(
    orgId: string,
    filter: PartReservationFilter,
    sort: SortKey<ReservationSortField>[],
    page: Page,
  ): Promise<PartReservation[]> {
    let query = this.db
      .selectFrom('part_reservations as r')
      .select(RESERVATION_COLUMNS)
      .where('r.org_id', '=', orgId);
    if (filter.taskId !== undefined) query = query.where('r.task_id', '=', filter.taskId);
    if (filter.partItemId !== undefined) query = query.where('r.part_item_id', '=', filter.partItemId);
    if (filter.state !== undefined) query = query.where('r.state', '=', filter.state);
    const rows = await orderBySortKeys(query, sort, RESERVATION_SORT, 'r.id', {
      table: 'part_reservations',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toReservation);
  }

  async transitionReservation(
    orgId: string,
    id: string,
    from: ReservationState,
    to: ReservationTarget,
  ): Promise<PartReservation | undefined> {
    const row = await this.db
      .updateTable('part_reservations as r')
      .set({ state: to, updated_at: new Date() })
      .where('r.org_id', '=', orgId)
      .where('r.id', '=', id)
      .where('r.state', '=', from)
      .returning(RESERVATION_COLUMNS)
      .executeTakeFirst();
    return row && toReservation(row);
  }
}
