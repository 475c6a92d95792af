import { randomUUID } from 'node:crypto';
import { domainEvent } from '../domain/events.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditRecord } from './audit.js';
import { AppError } from './errors.js';
import { refuseEmptyRange } from './time-range.js';
import { mutate, type MutationContext } from './mutation.js';
import { decodeCursor, encodeCursor, pageOf, type Page, type PageOf } from './pagination.js';
import type { UnitOfWork } from './ports.js';
import { UUID_PATTERN } from '../domain/ids.js';

/** Every audit action, for validating filters. */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'state_change',
] as const satisfies readonly AuditAction[];

/** One stored audit row, as read back. */
export interface AuditLog extends AuditRecord {
  id: string;
  timestamp: Date;
  /**
   * The stored timestamp to the microsecond (RFC 3339, UTC). A JavaScript Date keeps milliseconds
   * only, and keyset pages must compare the exact stored value.
   */
  exactTimestamp: string;
}

/** Narrows the audit log; unset fields do not filter. `from` is inclusive, `to` exclusive. */
export interface AuditLogFilter {
  entityType?: string | undefined;
  entityId?: string | undefined;
  userId?: string | undefined;
  action?: AuditAction | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Where a keyset page starts: after the row with this exact timestamp and id, in the walk's order. */
export interface AuditLogPosition {
  timestamp: string;
  id: string;
}

/** One read of the audit log: ordered by (timestamp, id) in `direction`, by offset or after a position. */
export interface AuditLogQuery {
  direction: 'asc' | 'desc';
  limit: number;
  offset?: number;
  after?: AuditLogPosition;
}

/** The read side of the audit log (rows are written by `AuditRepository.append` only). */
export interface AuditLogRepository {
  findById(orgId: string, id: string): Promise<AuditLog | undefined>;
  /** Up to `query.limit` rows of the org matching the filter, in (timestamp, id) order. */
  list(orgId: string, filter: AuditLogFilter, query: AuditLogQuery): Promise<AuditLog[]>;
}

/** An audit row as the API shows it. */
export type AuditLogView = {
  id: string;
  org_id: string;
  actor_org_id: string | null;
  user_id: string | null;
  actor: string;
  entity_type: string;
  entity_id: string;
  action: AuditAction;
  entity_version: number;
  request_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  timestamp: string;
  details: Record<string, unknown>;
};

/** The view of an audit row. */
export const auditLogView = (log: AuditLog): AuditLogView => ({
  id: log.id,
  org_id: log.orgId,
  actor_org_id: log.actorOrgId,
  user_id: log.userId,
  actor: log.actor,
  entity_type: log.entityType,
  entity_id: log.entityId,
  action: log.action,
  entity_version: log.entityVersion,
  request_id: log.requestId,
  ip_address: log.ipAddress,
  user_agent: log.userAgent,
  timestamp: log.timestamp.toISOString(),
  details: log.details,
});

/**
 * How a list request pages: by `offset`, or by keyset `cursor` (an empty cursor starts a keyset
 * walk at the first row). Sorted by timestamp, newest first unless `direction` says `asc`.
 */
export interface AuditLogPaging {
  direction: 'asc' | 'desc';
  limit: number;
  offset?: number | undefined;
  cursor?: string | undefined;
}

/** A page of the audit log; `nextCursor` is set when the request paged by cursor and more rows follow. */
export interface AuditLogPage extends PageOf<AuditLog> {
  nextCursor?: string;
}

/** An export: the organization it covers and its rows, read lazily in batches. */
export interface AuditLogExport {
  orgId: string;
  rows: AsyncIterable<AuditLog>;
}

/** An action performed in another system on an AMSS entity, to be kept in the audit log. */
export interface LogActionInput extends OrgScope {
  /** The kind of entity, e.g. `aircraft` or `maintenance_task` (lowercase words and underscores). */
  entityType: string;
  entityId: string;
  action: AuditAction;
  /** What happened, as the calling system describes it. */
  details: Record<string, unknown>;
}

/** Entity types are names like `maintenance_task`, never free text. */
const ENTITY_TYPE = /^[a-z][a-z0-9_]{0,62}$/;
/** Details of an external action are a note, not a payload store. */
const MAX_DETAILS_BYTES = 16_384;

/** What the audit log service needs; `exportBatchSize` is how many rows an export reads at a time. */
export interface AuditLogServiceDeps {
  uow: UnitOfWork;
  exportBatchSize?: number;
  now?: () => Date;
}

/**
 * Reads the audit log of one organization: the actor's own, or for an admin the one named by
 * `org_id`. There is no way to change or delete a row: the database refuses it too.
 */
export class AuditLogService {
  private readonly now: () => Date;

  constructor(private readonly deps: AuditLogServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Records an action another system performed on an entity of the organization: one audit row
   * (its details marked `source: external`) and an `audit_logged` event, in one transaction.
   */
  async logAction(ctx: MutationContext, input: LogActionInput): Promise<AuditLog> {
    authorize(ctx.actor, 'audit_logs', 'write');
    const problems = [];
    if (!ENTITY_TYPE.test(input.entityType)) {
      problems.push({ field: 'entity_type', message: 'must be a lowercase name like maintenance_task' });
    }
    if (Buffer.byteLength(JSON.stringify(input.details)) > MAX_DETAILS_BYTES) {
      problems.push({ field: 'details', message: `must be at most ${MAX_DETAILS_BYTES} bytes of JSON` });
    }
    if (problems.length > 0) throw AppError.validation('the audit entry is invalid', problems);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, ctx.actor, input);
    const id = randomUUID();
    await mutate(this.deps.uow, ctx, async () => ({
      result: undefined,
      audit: {
        id,
        orgId,
        entityType: input.entityType,
        entityId: input.entityId,
        action: input.action,
        extra: { ...input.details, source: 'external' },
      },
      events: [
        domainEvent({
          orgId,
          type: 'audit_logged',
          aggregateType: 'audit_log',
          aggregateId: id,
          data: { entity_type: input.entityType, entity_id: input.entityId, action: input.action },
          occurredAt: this.now(),
        }),
      ],
    }));
    return (await repos.auditLogs.findById(orgId, id))!;
  }

  /** One audit row of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<AuditLog> {
    authorize(actor, 'audit_logs', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    const log = await repos.auditLogs.findById(orgId, id);
    if (!log) throw AppError.notFound('audit log entry', 'AUDIT_LOG_NOT_FOUND');
    return log;
  }

  /** A page of the organization's audit rows matching the filter. */
  async list(actor: Actor, filter: AuditLogFilter & OrgScope, paging: AuditLogPaging): Promise<AuditLogPage> {
    authorize(actor, 'audit_logs', 'read');
    refuseEmptyRange(filter);
    if (paging.cursor !== undefined && paging.offset !== undefined) {
      throw AppError.validation(
        'page with either cursor or offset, not both',
        [{ field: 'querystring.offset', message: 'cannot be combined with cursor' }],
        'CURSOR_WITH_OFFSET',
      );
    }
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const { direction, limit } = paging;
    const page: Page = { limit, offset: paging.offset ?? 0 };
    if (paging.cursor === undefined) {
      const rows = await repos.auditLogs.list(orgId, filter, {
        direction,
        limit: limit + 1,
        offset: page.offset,
      });
      return pageOf(rows, page);
    }
    const after = paging.cursor === '' ? undefined : positionOf(paging.cursor);
    const rows = await repos.auditLogs.list(orgId, filter, { direction, limit: limit + 1, after });
    const result: AuditLogPage = pageOf(rows, page);
    const last = result.items.at(-1);
    if (result.hasMore && last) result.nextCursor = encodeCursor([last.exactTimestamp, last.id]);
    return result;
  }

  /**
   * Every audit row of the organization matching the filter, oldest first, up to the moment the
   * export started (or `to`, if earlier). Access is checked now; the rows are read lazily in
   * keyset batches, so an export of any size holds one batch in memory at a time.
   */
  async export(actor: Actor, filter: AuditLogFilter & OrgScope): Promise<AuditLogExport> {
    authorize(actor, 'audit_logs', 'export');
    refuseEmptyRange(filter);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const startedAt = this.now();
    const bounded: AuditLogFilter = {
      ...filter,
      to: filter.to && filter.to < startedAt ? filter.to : startedAt,
    };
    const batchSize = this.deps.exportBatchSize ?? 1000;
    async function* rows(): AsyncGenerator<AuditLog> {
      let after: AuditLogPosition | undefined;
      for (;;) {
        const batch = await repos.auditLogs.list(orgId, bounded, {
          direction: 'asc',
          limit: batchSize,
          after,
        });
        yield* batch;
        const last = batch.at(-1);
        if (!last || batch.length < batchSize) return;
        after = { timestamp: last.exactTimestamp, id: last.id };
      }
    }
    return { orgId, rows: rows() };
  }
}

const EXACT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** The position a cursor names; 400 INVALID_CURSOR when it is not one this list handed out. */
function positionOf(cursor: string): AuditLogPosition {
  const [timestamp, id] = decodeCursor(cursor, [EXACT_TIMESTAMP, UUID_PATTERN]) as [string, string];
  return { timestamp, id };
}
