import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { SortKey } from '../../app/pagination.js';

/** Keyset paging of a list: the table its rows come from and the id of the row to continue after. */
export interface Keyset {
  table: string;
  after: string | undefined;
  /**
   * The organization the list belongs to (undefined for the organizations themselves): a cursor
   * naming another organization's row gives an empty page, never a glimpse of that row's values.
   */
  orgId: string | undefined;
}

/**
 * Orders a list by the requested keys, then by id, so equal values never shuffle rows between
 * pages. `columns` maps each API sort field to its column. With a keyset whose `after` is set,
 * only the rows that come after that row in this very order are kept (see `afterRow`).
 */
export function orderBySortKeys<DB, TB extends keyof DB, O, F extends string>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: SortKey<F>[],
  columns: Record<F, string>,
  idColumn = 'id',
  keyset?: Keyset,
): SelectQueryBuilder<DB, TB, O> {
  let ordered = query;
  if (keyset?.after !== undefined) {
    const keys = sort.map((key) => ({ column: columns[key.field], direction: key.direction }));
    ordered = ordered.where(afterRow(keys, idColumn, { ...keyset, after: keyset.after }) as never);
  }
  for (const key of sort) {
    // Column names come from the fixed map above, never from the request.
    ordered = ordered.orderBy(columns[key.field] as never, key.direction);
  }
  return ordered.orderBy(idColumn as never, 'asc');
}

/**
 * "Comes after row `id`" in the order `keys`, then id ascending, as PostgreSQL sorts (NULLs last
 * ascending, first descending): for some key, every earlier key equals the row's value and this
 * one is beyond it. The row's values are read by id in the same statement, so the cursor is
 * only an id, and a row inserted before it never shifts the pages that follow.
 */
function afterRow(
  keys: { column: string; direction: 'asc' | 'desc' }[],
  idColumn: string,
  keyset: Keyset & { after: string },
): RawBuilder<boolean> {
  const id = keyset.after;
  const scope = keyset.orgId === undefined ? sql`` : sql` AND cursor_row.org_id = ${keyset.orgId}::uuid`;
  const cursorRow = sql`${sql.table(keyset.table)} AS cursor_row WHERE cursor_row.id = ${id}::uuid${scope}`;
  const valueOf = (column: string) =>
    sql`(SELECT ${sql.ref(`cursor_row.${bare(column)}`)} FROM ${cursorRow})`;
  const ties: RawBuilder<unknown>[] = [];
  const branches: RawBuilder<unknown>[] = [];
  for (const { column, direction } of keys) {
    const col = sql.ref(column);
    const value = valueOf(column);
    const beyond =
      direction === 'asc'
        ? sql`(${value} IS NOT NULL AND (${col} > ${value} OR ${col} IS NULL))`
        : sql`((${value} IS NULL AND ${col} IS NOT NULL) OR ${col} < ${value})`;
    branches.push(sql.join([...ties, beyond], sql` AND `));
    ties.push(sql`${col} IS NOT DISTINCT FROM ${value}`);
  }
  branches.push(sql.join([...ties, sql`${sql.ref(idColumn)} > ${id}::uuid`], sql` AND `));
  // A cursor row outside the list's organization (or gone) ends the list instead of placing it.
  return sql<boolean>`(EXISTS (SELECT 1 FROM ${cursorRow}) AND (${sql.join(
    branches.map((branch) => sql`(${branch})`),
    sql` OR `,
  )}))`;
}

/** `t.start_time` → `start_time`: the column inside the cursor row's own table. */
const bare = (column: string): string => column.slice(column.lastIndexOf('.') + 1);
