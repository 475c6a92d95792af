import type { Executor } from './executor.js';

/** Tables whose rows are soft-deleted by stamping `deleted_at`, and whose repositories need only the time back. */
export type SoftDeletedTable = 'part_definitions' | 'part_items' | 'webhooks';

/**
 * Marks a live row of `table` deleted (its `updated_at` moves with it); the time it was deleted,
 * or undefined when no live row of the organization has that id.
 */
export async function softDeleteRow(
  db: Executor,
  table: SoftDeletedTable,
  orgId: string,
  id: string,
): Promise<Date | undefined> {
  const now = new Date();
  const row = await db
    .updateTable(table)
    .set({ deleted_at: now, updated_at: now })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returning('updated_at')
    .executeTakeFirst();
  return row?.updated_at;
}
