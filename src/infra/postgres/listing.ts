import type { SelectQueryBuilder } from 'kysely';
import type { SortKey } from '../../app/pagination.js';

/**
 * Orders a list by the requested keys, then by id, so equal values never shuffle rows between
 * pages. `columns` maps each API sort field to its column.
 */
export function orderBySortKeys<DB, TB extends keyof DB, O, F extends string>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: SortKey<F>[],
  columns: Record<F, string>,
  idColumn = 'id',
): SelectQueryBuilder<DB, TB, O> {
  let ordered = query;
  for (const key of sort) {
    // Column names come from the fixed map above, never from the request.
    ordered = ordered.orderBy(columns[key.field] as never, key.direction);
  }
  return ordered.orderBy(idColumn as never, 'asc');
}
