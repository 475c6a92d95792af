import { sql, type Selectable } from 'kysely';
import type { AuditLog, AuditLogFilter, AuditLogQuery, AuditLogRepository } from '../../app/audit-logs.js';
import type { Executor } from './executor.js';
import type { AuditLogsTable } from './schema.js';

type AuditLogRow = Selectable<AuditLogsTable> & { exact_timestamp: string };

const toAuditLog = (row: AuditLogRow): AuditLog => ({
  id: row.id,
  orgId: row.org_id,
  actorOrgId: row.actor_org_id,
  userId: row.user_id,
  actor: row.actor,
  entityType: row.entity_type,
  entityId: row.entity_id,
  action: row.action,
  entityVersion: row.entity_version,
  requestId: row.request_id,
  ipAddress: row.ip_address,
  userAgent: row.user_agent,
  timestamp: row.timestamp,
  exactTimestamp: row.exact_timestamp,
  details: row.details,
});

/** The stored timestamp to the microsecond, in UTC whatever the session's time zone. */
const EXACT_TIMESTAMP = sql<string>`to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export class PgAuditLogRepository implements AuditLogRepository {
  constructor(private readonly db: Executor) {}

  async findById(orgId: string, id: string): Promise<AuditLog | undefined> {
    const row = await this.db
      .selectFrom('audit_logs')
      .selectAll()
      .select(EXACT_TIMESTAMP.as('exact_timestamp'))
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAuditLog(row);
  }

  async list(orgId: string, filter: AuditLogFilter, query: AuditLogQuery): Promise<AuditLog[]> {
    const { direction, after } = query;
    const offset = query.offset ?? 0;
    let select = this.db
      .selectFrom('audit_logs')
      .selectAll()
      .select(EXACT_TIMESTAMP.as('exact_timestamp'))
      .where('org_id', '=', orgId);
    if (filter.entityType !== undefined) select = select.where('entity_type', '=', filter.entityType);
    if (filter.entityId !== undefined) select = select.where('entity_id', '=', filter.entityId);
    if (filter.userId !== undefined) select = select.where('user_id', '=', filter.userId);
    if (filter.action !== undefined) select = select.where('action', '=', filter.action);
    if (filter.from !== undefined) select = select.where('timestamp', '>=', filter.from);
    if (filter.to !== undefined) select = select.where('timestamp', '<', filter.to);
    if (after !== undefined) {
      const beyond = direction === 'asc' ? sql.raw('>') : sql.raw('<');
      const bound = sql<Date>`${after.timestamp}::timestamptz`;
      // The plain bound narrows the index scan; the row comparison skips the rows of the same
      // instant up to and including the cursor's.
      select = select
        .where('timestamp', direction === 'asc' ? '>=' : '<=', bound)
        .where(sql<boolean>`("timestamp", id) ${beyond} (${bound}, ${after.id}::uuid)`);
    }
    // The (org_id, timestamp) index yields rows in timestamp order, so the inner query stops
    // after the page (plus the rows tying with its last instant) whatever the planner's row
    // estimates; ordering by id as well there could make it sort every row of the org. Only the
    // page is then sorted by (timestamp, id).
    const candidates = select
      .orderBy('timestamp', direction)
      .fetch(offset + query.limit, 'with ties')
      .as('candidates');
    const rows = await this.db
      .selectFrom(candidates)
      .selectAll()
      .orderBy('timestamp', direction)
      .orderBy('id', direction)
      .limit(query.limit)
      .offset(offset)
      .execute();
    return rows.map(toAuditLog);
  }
}
