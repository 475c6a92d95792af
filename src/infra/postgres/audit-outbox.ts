import type { AuditRecord } from '../../app/audit.js';
import type { AuditRepository, OutboxRepository } from '../../app/ports.js';
import type { DomainEvent } from '../../domain/events.js';
import type { Executor } from './executor.js';

export class PgAuditRepository implements AuditRepository {
  constructor(private readonly db: Executor) {}

  async append(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db
      .insertInto('audit_logs')
      .values(
        records.map((record) => ({
          // Missing ids become DEFAULT (gen_random_uuid()) in a multi-row insert.
          ...(record.id === undefined ? {} : { id: record.id }),
          org_id: record.orgId,
          actor_org_id: record.actorOrgId,
          user_id: record.userId,
          actor: record.actor,
          entity_type: record.entityType,
          entity_id: record.entityId,
          action: record.action,
          entity_version: record.entityVersion,
          request_id: record.requestId,
          ip_address: record.ipAddress,
          user_agent: record.userAgent,
          details: JSON.stringify(record.details),
        })),
      )
      .execute();
  }
}

export class PgOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Executor) {}

  async add(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    // A duplicate dedupe key means this very effect is already recorded: keep the first, add nothing.
    await this.db
      .insertInto('outbox_events')
      .values(
        events.map((event) => ({
          org_id: event.orgId,
          aggregate_type: event.aggregateType,
          aggregate_id: event.aggregateId,
          event_type: event.type,
          payload: JSON.stringify(event.payload),
          dedupe_key: event.dedupeKey,
        })),
      )
      .onConflict((conflict) => conflict.columns(['org_id', 'dedupe_key']).doNothing())
      .execute();
  }
}
