/** Helpers for people-records API tests (the rows themselves come from qualification-factories.ts). */
import { sql, type Kysely, type Transaction } from 'kysely';
import { expect, vi } from 'vitest';
import type { Executor } from '../../src/infra/postgres/executor.js';
import type { DB } from '../../src/infra/postgres/schema.js';

/**
 * Waits until `n` sessions of this test's database wait for a row lock: how a race test knows the
 * request it sent has reached the lock another transaction holds.
 */
export const lockWaiters = (db: Executor, n: number): Promise<void> =>
  vi.waitFor(
    async () => {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
      expect(Number(rows[0]!.n)).toBe(n);
    },
    { timeout: 10_000, interval: 20 },
  );

/**
 * A transaction that does `work` and then stays open until `release` is called. It resolves
 * once `work` is done (its locks taken), so a request sent after that meets them.
 */
export async function heldTransaction(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<unknown>,
): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let ready!: () => void;
  const worked = new Promise<void>((resolve) => (ready = resolve));
  const done = db.transaction().execute(async (trx) => {
    await work(trx);
    ready();
    await held;
  });
  await Promise.race([worked, done]);
  return { release, done };
}

/** The audit rows and outbox events of one entity, oldest first. */
export async function effectsOf(
  db: Executor,
  entityId: string,
): Promise<{
  audit: { action: string; entity_type: string; details: Record<string, unknown>; user_id: string | null }[];
  events: { event_type: string; payload: Record<string, unknown> }[];
}> {
  const audit = await db
    .selectFrom('audit_logs')
    .select(['action', 'entity_type', 'details', 'user_id'])
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();
  const events = await db
    .selectFrom('outbox_events')
    .select(['event_type', 'payload'])
    .where('aggregate_id', '=', entityId)
    .orderBy('created_at')
    .execute();
  return { audit, events };
}
