/** Helpers of the parts API tests. */
import { sql } from 'kysely';
import type { Executor } from '../../src/infra/postgres/executor.js';

/** The audit rows of one entity, oldest first. */
export const auditRowsOf = (db: Executor, entityId: string) =>
  db.selectFrom('audit_logs').selectAll().where('entity_id', '=', entityId).orderBy('timestamp').execute();

/** The outbox events of one aggregate, oldest first. */
export const eventsOf = (db: Executor, aggregateId: string) =>
  db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', aggregateId)
    .orderBy('created_at')
    .execute();

/**
 * Moves an item's expiry an hour into the past, as time passing would. The expiry trigger refuses
 * any write that does this, so it runs with triggers off (replica mode) for this one statement.
 */
export async function expireItem(db: Executor, itemId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    await tx
      .updateTable('part_items')
      .set({ expiry_date: new Date(Date.now() - 3_600_000) })
      .where('id', '=', itemId)
      .execute();
  });
}

/** Counts of rows in the parts tables, to show a refused request wrote nothing. */
export async function partRowCounts(db: Executor): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'part_definitions',
    'part_items',
    'part_reservations',
    'audit_logs',
    'outbox_events',
  ] as const) {
    const row = await db
      .selectFrom(table)
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = row.n;
  }
  return counts;
}
