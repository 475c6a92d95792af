import { sql } from 'kysely';
import type { Executor } from './executor.js';

/**
 * Serialises changes to an organization's task dependency graph with the reads that must see it
 * whole: a transaction-scoped advisory lock on the organization (released at commit or rollback,
 * so it is safe behind PgBouncer in transaction mode). Adding a dependency takes it `exclusive`:
 * two requests racing to link A→B and B→A (or to close any longer cycle through different tasks)
 * run one after the other, and the second sees the first's edge. A reschedule takes it `shared`:
 * reschedules run side by side, but the graph they cascade along cannot change under them.
 */
export async function lockDependencyGraph(
  db: Executor,
  orgId: string,
  mode: 'exclusive' | 'shared',
): Promise<void> {
  const key = sql`hashtextextended(${`amss:task-dependencies:${orgId}`}, 0)`;
  await (
    mode === 'exclusive'
      ? sql`SELECT pg_advisory_xact_lock(${key})`
      : sql`SELECT pg_advisory_xact_lock_shared(${key})`
  ).execute(db);
}
