import { domainEvent, type DomainEvent, type EventInput } from '../domain/events.js';
import type { Actor, RequestContext } from './actor.js';
import { auditRecord, type AuditAction, type AuditEntry } from './audit.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** Who is changing something and through which request. */
export interface MutationContext {
  actor: Actor;
  request?: RequestContext;
}

/** What a unit of work returns: its result, the audit entries and the events it caused. */
export interface Change<T> {
  result: T;
  audit: AuditEntry | AuditEntry[];
  events?: DomainEvent[];
}

/**
 * The one way AMSS changes data. `work` runs inside a transaction and describes its effects;
 * the audit rows and outbox events are written in that same transaction, so either the
 * change, its audit trail and its events all commit, or none of them do.
 */
export async function mutate<T>(
  uow: UnitOfWork,
  context: MutationContext,
  work: (repos: Repositories) => Promise<Change<T>>,
): Promise<T> {
  return uow.transaction(async (repos) => {
    const change = await work(repos);
    const entries = Array.isArray(change.audit) ? change.audit : [change.audit];
    if (entries.length === 0) throw new Error('a mutation must write at least one audit row');
    await repos.changeLog.record(
      entries.map((entry) => auditRecord(entry, context.actor, context.request)),
      change.events ?? [],
    );
    return change.result;
  });
}

/** One change to one entity, as its audit row and its event tell it (views, not domain objects). */
export interface EntityChange {
  orgId: string;
  entityType: string;
  entityId: string;
  action: AuditAction;
  entityVersion?: number;
  before?: unknown;
  after?: unknown;
  extra?: Record<string, unknown> | undefined;
  event: Pick<EventInput, 'type' | 'discriminator' | 'data' | 'occurredAt'>;
}

/** The audit entry and the event of one change to one entity: every context's effects are built here. */
export function entityEffects(change: EntityChange): { audit: AuditEntry; events: DomainEvent[] } {
  const { orgId, entityType, entityId, event } = change;
  return {
    audit: {
      orgId,
      entityType,
      entityId,
      action: change.action,
      entityVersion: change.entityVersion,
      before: change.before,
      after: change.after,
      extra: change.extra,
    },
    events: [domainEvent({ orgId, aggregateType: entityType, aggregateId: entityId, ...event })],
  };
}
