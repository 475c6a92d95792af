/** Helpers for people-records API tests (the rows themselves come from qualification-factories.ts). */
import type { Executor } from '../../src/infra/postgres/executor.js';

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
