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

/** Combines an entry with the actor and request into the row the audit log stores. */
export function auditRecord(
  entry: AuditEntry,
  actor: Actor,
  request: RequestContext | undefined,
): AuditRecord {
  const details: Record<string, unknown> = { ...entry.extra };
  const apiKey = actor.kind === 'user' ? actor.apiKey : undefined;
  // A key's name can be reused once it is revoked; its id tells the keys apart for good.
  if (apiKey) details.api_key_id = apiKey.id;
  if (entry.before !== undefined) details.before = entry.before;
  if (entry.after !== undefined) details.after = entry.after;
  return {
    id: entry.id,
    orgId: entry.orgId,
    actorOrgId: actor.kind === 'user' ? actor.orgId : null,
    userId: actor.kind === 'user' ? actor.userId : null,
    actor: actor.kind === 'system' ? actor.name : apiKey ? `api_key:${apiKey.name}` : `user:${actor.role}`,
    entityType: entry.entityType,
    entityId: entry.entityId,
    action: entry.action,
    entityVersion: entry.entityVersion ?? 0,
    requestId: request?.requestId ?? null,
    ipAddress: request?.ip ?? null,
    userAgent: request?.userAgent ?? null,
    details,
  };
}
