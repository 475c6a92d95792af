import { sql } from 'kysely';
import type { AuditRecord } from '../../app/audit.js';
import type { ChangeLogRepository } from '../../app/ports.js';
import type { DomainEvent } from '../../domain/events.js';
import type { Executor } from './executor.js';

/**
 * Audit rows and outbox events of a change in one statement (one round trip, however many rows).
 * Each side travels as one JSON array that `jsonb_to_recordset` turns back into typed rows: Node
 * serialises it natively and PostgreSQL parses it once, where column arrays of JSON documents
 * cost an escaping pass on both sides (a third of the time of a thousand-task batch). A record
 * without an id gets the table's default; events keep their order (`WITH ORDINALITY`).
 */
export class PgChangeLogRepository implements ChangeLogRepository {
  constructor(private readonly db: Executor) {}

  async record(audit: AuditRecord[], events: DomainEvent[]): Promise<void> {
    if (audit.length === 0 && events.length === 0) return;
    const auditRows = audit.map((r) => ({
      id: r.id ?? null,
      org_id: r.orgId,
      actor_org_id: r.actorOrgId,
      user_id: r.userId,
      actor: r.actor,
      entity_type: r.entityType,
      entity_id: r.entityId,
      action: r.action,
      entity_version: r.entityVersion,
      request_id: r.requestId,
      ip_address: r.ipAddress,
      user_agent: r.userAgent,
      details: r.details,
    }));
    const eventRows = events.map((e) => ({
      org_id: e.orgId,
      aggregate_type: e.aggregateType,
      aggregate_id: e.aggregateId,
      event_type: e.type,
      payload: e.payload,
      dedupe_key: e.dedupeKey,
    }));
    await sql`
      WITH audit AS (
        INSERT INTO audit_logs (id, org_id, actor_org_id, user_id, actor, entity_type, entity_id, action,
                                entity_version, request_id, ip_address, user_agent, details)
        SELECT coalesce(a.id, gen_random_uuid()), a.org_id, a.actor_org_id, a.user_id, a.actor, a.entity_type,
               a.entity_id, a.action, a.entity_version, a.request_id, a.ip_address, a.user_agent, a.details
          FROM jsonb_to_recordset(${JSON.stringify(auditRows)}::jsonb)
               AS a(id uuid, org_id uuid, actor_org_id uuid, user_id uuid, actor text, entity_type text,
                    entity_id uuid, action audit_action, entity_version integer, request_id text,
                    ip_address text, user_agent text, details jsonb)
      )
      INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
      SELECT e.org_id, e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.dedupe_key
        FROM ROWS FROM (
               jsonb_to_recordset(${JSON.stringify(eventRows)}::jsonb)
                 AS (org_id uuid, aggregate_type text, aggregate_id uuid, event_type text, payload jsonb,
                     dedupe_key text)
             ) WITH ORDINALITY AS e(org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key, n)
       ORDER BY e.n
      ON CONFLICT (org_id, dedupe_key) DO NOTHING`.execute(this.db);
  }
}
