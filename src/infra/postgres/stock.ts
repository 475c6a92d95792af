import { sql, type Expression } from 'kysely';
import type {
  RequirementStockRow,
  StockFilter,
  StockRepository,
  StockRow,
  StockSortField,
} from '../../app/stock.js';
import type { Page, SortKey } from '../../app/pagination.js';
import { EXPIRY_WARNING_DAYS } from '../../domain/stock.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import { escapeLike } from './users.js';

/**
 * The stock of each part definition of an organization, counted in one grouped pass over its
 * items (never a query per definition): `in_stock` = live items in stock and unexpired at `at`;
 * `reserved` = those of them with a `reserved` reservation (at most one per item, by the partial
 * unique index); `expiring_soon` = the available ones (not reserved) whose expiry falls within
 * EXPIRY_WARNING_DAYS of `at`. The parts API, the stock list and the reports count stock with
 * this one rule. Filter it further (e.g. by `i.part_definition_id`) and join it to
 * `part_definitions` on `part_definition_id`.
 */
export function stockByDefinition(db: Executor, orgId: string, at: Date | Expression<Date>) {
  return db
    .selectFrom('part_items as i')
    .leftJoin('part_reservations as r', (join) =>
      join
        .onRef('r.org_id', '=', 'i.org_id')
        .onRef('r.part_item_id', '=', 'i.id')
        .on('r.state', '=', 'reserved'),
    )
    .select([
      'i.part_definition_id',
      sql<number>`count(*)::int`.as('in_stock'),
      sql<number>`count(r.id)::int`.as('reserved'),
      sql<number>`(count(*) FILTER (WHERE r.id IS NULL
        AND i.expiry_date <= ${at}::timestamptz + make_interval(days => ${EXPIRY_WARNING_DAYS})))::int`.as(
        'expiring_soon',
      ),
    ])
    .where('i.org_id', '=', orgId)
    .where('i.deleted_at', 'is', null)
    .where('i.status', '=', 'in_stock')
    .where((eb) => eb.or([eb('i.expiry_date', 'is', null), eb('i.expiry_date', '>', at)]))
    .groupBy('i.part_definition_id');
}

/** The stock list's columns inside its CTE, by sort field (the keyset cursor reads the same names). */
const STOCK_SORT: Record<StockSortField, string> = {
  name: 's.name',
  category: 's.category',
  in_stock: 's.in_stock',
  reserved: 's.reserved',
  available: 's.available',
  expiring_within_30_days: 's.expiring_within_30_days',
  reorder_point: 's.reorder_point',
  lead_time_days: 's.lead_time_days',
};

/** Stock reads of one organization, each one statement. */
export class PgStockRepository implements StockRepository {
  constructor(private readonly db: Executor) {}

  async definitionsReservedFor(orgId: string, taskId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('part_reservations as r')
      .innerJoin('part_items as i', (join) =>
        join.onRef('i.org_id', '=', 'r.org_id').onRef('i.id', '=', 'r.part_item_id'),
      )
      .select('i.part_definition_id')
      .distinct()
      .where('r.org_id', '=', orgId)
      .where('r.task_id', '=', taskId)
      .where('r.state', '=', 'reserved')
      .execute();
    return rows.map((row) => row.part_definition_id);
  }

  async lockDefinitions(orgId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    // NO KEY UPDATE: conflicts with every other stock change and with a definition's deletion
    // (FOR UPDATE), but not with the key-share locks of rows that merely reference the definition.
    const rows = await this.db
      .selectFrom('part_definitions')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', 'in', [...ids])
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
    return rows.map((row) => row.id);
  }

  async list(
    orgId: string,
    filter: StockFilter,
    sort: SortKey<StockSortField>[],
    page: Page,
    now: Date,
  ): Promise<StockRow[]> {
    // A CTE, so the computed columns can be filtered and sorted by name, and the keyset cursor
    // can read its row's values from the same rows (`part_stock`) in the same statement.
    let query = this.db
      .with('part_stock', (db) =>
        db
          .selectFrom('part_definitions as d')
          .leftJoin(stockByDefinition(this.db, orgId, now).as('c'), 'c.part_definition_id', 'd.id')
          .select([
            'd.id',
            'd.org_id',
            'd.name',
            'd.category',
            'd.min_stock_level',
            'd.reorder_point',
            'd.lead_time_days',
            sql<number>`coalesce(c.in_stock, 0)`.as('in_stock'),
            sql<number>`coalesce(c.reserved, 0)`.as('reserved'),
            sql<number>`coalesce(c.in_stock, 0) - coalesce(c.reserved, 0)`.as('available'),
            sql<number>`coalesce(c.expiring_soon, 0)`.as('expiring_within_30_days'),
          ])
          .where('d.org_id', '=', orgId)
          .where('d.deleted_at', 'is', null),
      )
      .selectFrom('part_stock as s')
      .selectAll('s');
    if (filter.category !== undefined) query = query.where('s.category', '=', filter.category);
    if (filter.q !== undefined) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query = query.where((eb) =>
        eb.or([eb('s.name', 'ilike', pattern), eb('s.category', 'ilike', pattern)]),
      );
    }
    // Mirrors stockBand (src/domain/stock.ts): low or out of stock is anything but `ok`.
    const low = sql<boolean>`(s.available <= 0 OR (s.reorder_point IS NOT NULL AND s.available <= s.reorder_point))`;
    if (filter.low === true) query = query.where(low);
    if (filter.low === false) query = query.where(sql<boolean>`NOT ${low}`);
    const rows = await orderBySortKeys(query, sort, STOCK_SORT, 's.id', {
      table: 'part_stock',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map((row) => ({
      partDefinitionId: row.id,
      name: row.name,
      category: row.category,
      minStockLevel: row.min_stock_level,
      reorderPoint: row.reorder_point,
      leadTimeDays: row.lead_time_days,
      counts: { inStock: row.in_stock, reserved: row.reserved },
      expiringSoon: row.expiring_within_30_days,
    }));
  }

  async taskRequirements(
    orgId: string,
    taskId: string,
    now: Date,
  ): Promise<RequirementStockRow[] | undefined> {
    const required = this.db
      .selectFrom('task_part_requirements')
      .select('part_definition_id')
      .where('org_id', '=', orgId)
      .where('task_id', '=', taskId);
    const stock = stockByDefinition(this.db, orgId, now).where('i.part_definition_id', 'in', required);
    // The task row always comes back (its requirements left-joined), so no row means no such task.
    const rows = await this.db
      .selectFrom('maintenance_tasks as t')
      .leftJoin('task_part_requirements as q', (join) =>
        join.onRef('q.org_id', '=', 't.org_id').onRef('q.task_id', '=', 't.id'),
      )
      .leftJoin('part_definitions as d', (join) =>
        join.onRef('d.org_id', '=', 'q.org_id').onRef('d.id', '=', 'q.part_definition_id'),
      )
      .leftJoin(stock.as('c'), 'c.part_definition_id', 'q.part_definition_id')
      .select([
        'q.part_definition_id',
        'd.name',
        'q.quantity',
        'd.lead_time_days',
        sql<number>`coalesce(c.in_stock, 0) - coalesce(c.reserved, 0)`.as('available'),
        // The task's reservations of the definition, reserved or used: what starting the task
        // counts (requiredPartsCoverage in tasks.ts counts them the same way).
        (eb) =>
          eb
            .selectFrom('part_reservations as pr')
            .innerJoin('part_items as pi', (join) =>
              join.onRef('pi.org_id', '=', 'pr.org_id').onRef('pi.id', '=', 'pr.part_item_id'),
            )
            .select(sql<number>`count(*)::int`.as('n'))
            .whereRef('pr.org_id', '=', 't.org_id')
            .whereRef('pr.task_id', '=', 't.id')
            .whereRef('pi.part_definition_id', '=', 'q.part_definition_id')
            .where('pr.state', 'in', ['reserved', 'used'])
            .as('held'),
      ])
      .where('t.org_id', '=', orgId)
      .where('t.id', '=', taskId)
      .where('t.deleted_at', 'is', null)
      .orderBy('d.name')
      .orderBy('q.part_definition_id')
      .execute();
    if (rows.length === 0) return undefined;
    return rows.flatMap((row) =>
      row.part_definition_id === null
        ? []
        : [
            {
              partDefinitionId: row.part_definition_id,
              name: row.name ?? '',
              quantity: row.quantity ?? 0,
              reserved: row.held ?? 0,
              availableInStock: row.available,
              leadTimeDays: row.lead_time_days,
            },
          ],
    );
  }
}
