import { sql, type Expression } from 'kysely';
import type { Executor } from './executor.js';

/**
 * The stock of each part definition of an organization, counted in one grouped pass over its
 * items (never a query per definition): `in_stock` = live items in stock and unexpired at `at`;
 * `reserved` = those of them with a `reserved` reservation (at most one per item, by the partial
 * unique index). The parts API and the reports count stock with this one rule. Filter it further
 * (e.g. by `i.part_definition_id`) and join it to `part_definitions` on `part_definition_id`.
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
    ])
    .where('i.org_id', '=', orgId)
    .where('i.deleted_at', 'is', null)
    .where('i.status', '=', 'in_stock')
    .where((eb) => eb.or([eb('i.expiry_date', 'is', null), eb('i.expiry_date', '>', at)]))
    .groupBy('i.part_definition_id');
}
