import type { Actor, RequestContext } from './actor.js';

export type AuditAction = 'create' | 'update' | 'delete' | 'state_change';

/** What a mutation says about itself; the mutation helper adds who, when and from where. */
export interface AuditEntry {
  /** The row's id when the caller needs to read it back; the database assigns one otherwise. */
  id?: string;
  /** The tenant whose data changed. */
  orgId: string;
  entityType: string;
  entityId: string;
  action: AuditAction;
  entityVersion?: number;
  /** The entity before and after the change, secrets left out. */
  before?: unknown;
  after?: unknown;
  /** Anything else worth keeping (an override used, a reason given). */
  extra?: Record<string, unknown>;
}

/** One immutable row of the audit log, as written. */
export interface AuditRecord {
  id?: string | undefined;
  orgId: string;
  actorOrgId: string | null;
  userId: string | null;
  actor: string;
  entityType: string;
  entityId: string;
  action: AuditAction;
  entityVersion: number;
  requestId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/** The columns of an audit row that say who changed something, and through which request. */
export type AuditActor = Pick<
  AuditRecord,
  'actorOrgId' | 'userId' | 'actor' | 'requestId' | 'ipAddress' | 'userAgent' | 'details'
>;

/** Who made a change, as every audit row of it records: `details` holds an API key's id, if one was used. */
export function auditActor(actor: Actor, request: RequestContext | undefined): AuditActor {
  const apiKey = actor.kind === 'user' ? actor.apiKey : undefined;
  return {
    actorOrgId: actor.kind === 'user' ? actor.orgId : null,
    userId: actor.kind === 'user' ? actor.userId : null,
    actor: actor.kind === 'system' ? actor.name : apiKey ? `api_key:${apiKey.name}` : `user:${actor.role}`,
    requestId: request?.requestId ?? null,
    ipAddress: request?.ip ?? null,
    userAgent: request?.userAgent ?? null,
    // A key's name can be reused once it is revoked; its id tells the keys apart for good.
    details: apiKey ? { api_key_id: apiKey.id } : {},
  };
}

/** Combines an entry with the actor and request into the row the audit log stores. */
export function auditRecord(
  entry: AuditEntry,
  actor: Actor,
  request: RequestContext | undefined,
): AuditRecord {
  const who = auditActor(actor, request);
  const details: Record<string, unknown> = { ...entry.extra, ...who.details };
  if (entry.before !== undefined) details.before = entry.before;
  if (entry.after !== undefined) details.after = entry.after;
  return {
    ...who,
    id: entry.id,
    orgId: entry.orgId,
    entityType: entry.entityType,
    entityId: entry.entityId,
    action: entry.action,
    entityVersion: entry.entityVersion ?? 0,
    details,
  };
}
