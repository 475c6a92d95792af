import { sql } from 'kysely';
import type { AuditRecord } from '../../app/audit.js';
import type { ChangeLogRepository } from '../../app/ports.js';
import type { DomainEvent } from '../../domain/events.js';
import type { Executor } from './executor.js';

/**
 * Audit rows and outbox events of a change in one statement (one round trip, however many rows):
 * each column travels as one array, `unnest` turns them back into rows. A record without an id
 * gets the table's default.
 */
export class PgChangeLogRepository implements ChangeLogRepository {
  constructor(private readonly db: Executor) {}

  async record(audit: AuditRecord[], events: DomainEvent[]): Promise<void> {
    if (audit.length === 0 && events.length === 0) return;
    const column = <T>(rows: AuditRecord[], pick: (record: AuditRecord) => T) => rows.map(pick);
    await sql`
      WITH audit AS (
        INSERT INTO audit_logs (id, org_id, actor_org_id, user_id, actor, entity_type, entity_id, action,
                                entity_version, request_id, ip_address, user_agent, details)
        SELECT coalesce(a.id, gen_random_uuid()), a.org_id, a.actor_org_id, a.user_id, a.actor, a.entity_type,
               a.entity_id, a.action, a.entity_version, a.request_id, a.ip_address, a.user_agent, a.details
          FROM unnest(
                 ${column(audit, (r) => r.id ?? null)}::uuid[],
                 ${column(audit, (r) => r.orgId)}::uuid[],
                 ${column(audit, (r) => r.actorOrgId)}::uuid[],
                 ${column(audit, (r) => r.userId)}::uuid[],
                 ${column(audit, (r) => r.actor)}::text[],
                 ${column(audit, (r) => r.entityType)}::text[],
                 ${column(audit, (r) => r.entityId)}::uuid[],
                 ${column(audit, (r) => r.action)}::audit_action[],
                 ${column(audit, (r) => r.entityVersion)}::integer[],
                 ${column(audit, (r) => r.requestId)}::text[],
                 ${column(audit, (r) => r.ipAddress)}::text[],
                 ${column(audit, (r) => r.userAgent)}::text[],
                 ${column(audit, (r) => JSON.stringify(r.details))}::jsonb[]
               ) AS a(id, org_id, actor_org_id, user_id, actor, entity_type, entity_id, action, entity_version,
                      request_id, ip_address, user_agent, details)
      )
      INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
      SELECT e.org_id, e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.dedupe_key
        FROM unnest(
               ${events.map((e) => e.orgId)}::uuid[],
               ${events.map((e) => e.aggregateType)}::text[],
               ${events.map((e) => e.aggregateId)}::uuid[],
               ${events.map((e) => e.type)}::text[],
               ${events.map((e) => JSON.stringify(e.payload))}::jsonb[],
               ${events.map((e) => e.dedupeKey)}::text[]
             ) WITH ORDINALITY AS e(org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key, n)
       ORDER BY e.n
      ON CONFLICT (org_id, dedupe_key) DO NOTHING`.execute(this.db);
  }
}
