import { sql, type Selectable } from 'kysely';
import type { AlertRecord } from '../../app/alert-effects.js';
import {
  emptyAlertSummary,
  type AlertActorStamp,
  type AlertFilter,
  type AlertRepository,
  type AlertSortField,
  type AlertSummary,
} from '../../app/alerts.js';
import type { Page, SortKey } from '../../app/pagination.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { AlertsTable } from './schema.js';

/**
 * One row of `alerts` as the application reads it. Every context that reads alerts (the API, the
 * trigger job, the dashboard, the live feed) maps rows with this one function.
 */
export const toAlertRecord = (row: Selectable<AlertsTable>): AlertRecord => ({
  id: row.id,
  orgId: row.org_id,
  level: row.level,
  category: row.category,
  title: row.title,
  description: row.description,
  entityType: row.entity_type,
  entityId: row.entity_id,
  aircraftId: row.aircraft_id,
  userId: row.user_id,
  threshold: row.threshold,
  currentValue: row.current_value,
  unit: row.unit,
  escalationLevel: row.escalation_level,
  escalatedAt: row.escalated_at,
  levelChangedAt: row.level_changed_at,
  acknowledgedBy: row.acknowledged_by,
  acknowledgedAt: row.acknowledged_at,
  resolvedBy: row.resolved_by,
  resolvedAt: row.resolved_at,
  resolvedAutomatically: row.resolved_automatically,
  resolutionNote: row.resolution_note,
  raisedAt: row.raised_at,
  updatedAt: row.updated_at,
});

/** The list's columns by sort field; `level` and `category` sort in their enums' order (info → critical). */
const ALERT_SORT: Record<AlertSortField, string> = {
  raised_at: 'a.raised_at',
  level: 'a.level',
  category: 'a.category',
  updated_at: 'a.updated_at',
};

export class PgAlertRepository implements AlertRepository {
  constructor(private readonly db: Executor) {}

  async list(
    orgId: string,
    filter: AlertFilter,
    sort: SortKey<AlertSortField>[],
    page: Page,
  ): Promise<AlertRecord[]> {
    let query = this.db.selectFrom('alerts as a').selectAll('a').where('a.org_id', '=', orgId);
    if (filter.level !== undefined) query = query.where('a.level', '=', filter.level);
    if (filter.category !== undefined) query = query.where('a.category', '=', filter.category);
    if (filter.entityType !== undefined) query = query.where('a.entity_type', '=', filter.entityType);
    if (filter.entityId !== undefined) query = query.where('a.entity_id', '=', filter.entityId);
    if (filter.aircraftId !== undefined) query = query.where('a.aircraft_id', '=', filter.aircraftId);
    if (filter.userId !== undefined) query = query.where('a.user_id', '=', filter.userId);
    if (filter.acknowledged !== undefined)
      query = query.where('a.acknowledged_at', filter.acknowledged ? 'is not' : 'is', null);
    if (filter.resolved !== undefined)
      query = query.where('a.resolved_at', filter.resolved ? 'is not' : 'is', null);
    const rows = await orderBySortKeys(query, sort, ALERT_SORT, 'a.id', {
      table: 'alerts',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toAlertRecord);
  }

  async find(orgId: string, id: string, options: { lock?: boolean } = {}): Promise<AlertRecord | undefined> {
    const query = this.db.selectFrom('alerts').selectAll().where('org_id', '=', orgId).where('id', '=', id);
    const row = await (options.lock ? query.forUpdate() : query).executeTakeFirst();
    return row && toAlertRecord(row);
  }

  /** One grouped pass over the open alerts (the partial unique index holds exactly them). */
  async summary(orgId: string): Promise<AlertSummary> {
    const rows = await this.db
      .selectFrom('alerts')
      .select([
        'level',
        'category',
        sql<number>`count(*)::int`.as('open'),
        sql<number>`(count(*) FILTER (WHERE acknowledged_at IS NULL))::int`.as('unacknowledged'),
        sql<number>`(count(*) FILTER (WHERE escalation_level > 0))::int`.as('escalated'),
      ])
      .where('org_id', '=', orgId)
      .where('resolved_at', 'is', null)
      .groupBy(['level', 'category'])
      .execute();
    const summary = emptyAlertSummary();
    for (const row of rows) {
      summary.total += row.open;
      summary.unacknowledged += row.unacknowledged;
      summary.escalated += row.escalated;
      summary.byLevel[row.level] += row.open;
      summary.byCategory[row.category] += row.open;
    }
    return summary;
  }

  async acknowledge(orgId: string, id: string, by: AlertActorStamp): Promise<AlertRecord | undefined> {
    const row = await this.db
      .updateTable('alerts')
      .set({ acknowledged_by: by.userId, acknowledged_by_org_id: by.userOrgId, acknowledged_at: by.at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('resolved_at', 'is', null)
      .where('acknowledged_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toAlertRecord(row);
  }

  async resolve(
    orgId: string,
    id: string,
    by: AlertActorStamp & { note: string | null },
  ): Promise<AlertRecord | undefined> {
    const row = await this.db
      .updateTable('alerts')
      .set({
        resolved_by: by.userId,
        resolved_by_org_id: by.userOrgId,
        resolved_at: by.at,
        resolution_note: by.note,
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('resolved_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toAlertRecord(row);
  }
}
