import { sql, type RawBuilder } from 'kysely';
import type { AlertRecord } from '../../app/alert-effects.js';
import type {
  AlertScope,
  AlertTriggerRepository,
  EscalatedAlert,
  RaisedAlert,
} from '../../app/alert-triggers.js';
import {
  ALERT_ENTITY_OF,
  ALERT_LEVELS,
  CATEGORY_LEVEL,
  CERTIFICATION_EXPIRY_THRESHOLDS,
  CRITICAL_TASK_PRIORITIES,
  escalatedLevel,
  WEBHOOK_FAILING_WINDOW_HOURS,
  type AlertCategory,
  type AlertEntityType,
  type AlertLevel,
} from '../../domain/alert.js';
import { effective, limitPassed, todayOf } from './directive-due-sql.js';
import type { Executor } from './executor.js';

// The alert triggers' SQL (issue 14): each category's condition is one set-based SELECT over every
// organization (or one org's named entities, for the event-driven path) with the columns
// `org_id, entity_id, level, title, description, aircraft_id, user_id, threshold, current_value,
// unit`; raising, auto-resolving and escalating are each one statement per batch. The levels and
// thresholds come from src/domain/alert.ts.

/** One row of `alerts` as a statement returns it. */
interface AlertRow {
  id: string;
  org_id: string;
  level: AlertLevel;
  category: AlertCategory;
  title: string;
  description: string;
  entity_type: AlertEntityType;
  entity_id: string;
  aircraft_id: string | null;
  user_id: string | null;
  threshold: string | null;
  current_value: string | null;
  unit: string | null;
  escalation_level: number;
  escalated_at: Date | null;
  level_changed_at: Date;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  resolved_automatically: boolean;
  resolution_note: string | null;
  raised_at: Date;
  updated_at: Date;
}

/** A row of `alerts` as the application reads it. */
export function alertRecordOf(row: AlertRow): AlertRecord {
  return {
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
  };
}

const ALERT_COLUMNS = sql.raw(`a.id, a.org_id, a.level, a.category, a.title, a.description, a.entity_type,
  a.entity_id, a.aircraft_id, a.user_id, a.threshold::text AS threshold, a.current_value::text AS current_value,
  a.unit, a.escalation_level, a.escalated_at, a.level_changed_at, a.acknowledged_by, a.acknowledged_at,
  a.resolved_by, a.resolved_at, a.resolved_automatically, a.resolution_note, a.raised_at, a.updated_at`);

const level = (value: AlertLevel) => sql.lit(value);
const at = (now: Date) => sql`${now.toISOString()}::timestamptz`;
const uuids = (ids: readonly string[]) => sql`${[...ids]}::uuid[]`;

/** `AND <org column> = … AND <id column> = ANY(…)` for a scoped evaluation, nothing otherwise. */
const scoped = (scope: AlertScope | undefined, orgColumn: string, idColumn: string) =>
  scope === undefined
    ? sql``
    : sql`AND ${sql.ref(orgColumn)} = ${scope.orgId} AND ${sql.ref(idColumn)} = ANY(${uuids(scope.entityIds)})`;

/** The certification level by days left: `certificationExpiryLevel` / `certificationExpiryThreshold` in SQL. */
const expiryCase = (daysLeft: string, pick: 'level' | 'withinDays') =>
  sql.raw(
    `CASE ${CERTIFICATION_EXPIRY_THRESHOLDS.map(
      (t) =>
        `WHEN ${daysLeft} <= ${t.withinDays} THEN ${pick === 'level' ? `'${t.level}'::alert_level` : t.withinDays}`,
    ).join(' ')} END`,
  );

const MAX_EXPIRY_DAYS = Math.max(...CERTIFICATION_EXPIRY_THRESHOLDS.map((t) => t.withinDays));

/** Live rows of a live organization only: a deleted organization's alerts resolve. */
const liveOrg = (column: string) =>
  sql`EXISTS (SELECT 1 FROM organizations o WHERE o.id = ${sql.ref(column)} AND o.deleted_at IS NULL)`;

/** The entities whose condition holds now, per category (see the module comment for the columns). */
function conditions(category: AlertCategory, now: Date, scope: AlertScope | undefined): RawBuilder<unknown> {
  const t = at(now);
  switch (category) {
    case 'certification_expiring':
      return sql`
        SELECT c.org_id, c.id AS entity_id, ${expiryCase('d.days_left', 'level')} AS level,
               format('%s certificate %s of %s expires in %s day(s)', ct.code, c.certificate_number, u.email,
                      d.days_left) AS title,
               format('The %s (%s) of %s expires on %s UTC: renew it before then, or the holder may no longer certify work it covers.',
                      ct.name, c.certificate_number, u.email, to_char(c.expiry_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')) AS description,
               NULL::uuid AS aircraft_id, c.user_id,
               ${expiryCase('d.days_left', 'withinDays')}::numeric AS threshold, d.days_left::numeric AS current_value,
               'days' AS unit
          FROM employee_certifications c
          JOIN users u ON u.org_id = c.org_id AND u.id = c.user_id
          JOIN certification_types ct ON ct.id = c.certification_type_id
          CROSS JOIN LATERAL (SELECT ceil(extract(epoch FROM c.expiry_date - ${t}) / 86400)::integer AS days_left) d
         WHERE c.deleted_at IS NULL AND c.status = 'active' AND u.deleted_at IS NULL AND ${liveOrg('c.org_id')}
           AND c.expiry_date >= ${t} AND c.expiry_date <= ${t} + make_interval(days => ${MAX_EXPIRY_DAYS})
           ${scoped(scope, 'c.org_id', 'c.id')}`;
    case 'certification_expired':
      return sql`
        SELECT c.org_id, c.id AS entity_id, ${level(CATEGORY_LEVEL.certification_expired)}::alert_level AS level,
               format('%s certificate %s of %s has expired', ct.code, c.certificate_number, u.email) AS title,
               format('The %s (%s) of %s expired on %s UTC: the holder may not certify work it covers until it is renewed.',
                      ct.name, c.certificate_number, u.email, to_char(c.expiry_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')) AS description,
               NULL::uuid AS aircraft_id, c.user_id, 0::numeric AS threshold,
               floor(extract(epoch FROM ${t} - c.expiry_date) / 86400)::numeric AS current_value, 'days' AS unit
          FROM employee_certifications c
          JOIN users u ON u.org_id = c.org_id AND u.id = c.user_id
          JOIN certification_types ct ON ct.id = c.certification_type_id
         WHERE c.deleted_at IS NULL AND c.status = 'active' AND u.deleted_at IS NULL AND ${liveOrg('c.org_id')}
           AND c.expiry_date < ${t}
           ${scoped(scope, 'c.org_id', 'c.id')}`;
    case 'task_overdue':
      return sql`
        SELECT t.org_id, t.id AS entity_id,
               (CASE WHEN t.priority::text IN (${sql.join(CRITICAL_TASK_PRIORITIES.map((p) => sql.lit(p)))})
                     THEN 'critical' ELSE 'warning' END)::alert_level AS level,
               format('%s task on %s is overdue: %s', initcap(t.type::text), a.tail_number,
                      CASE WHEN t.state = 'scheduled' THEN 'not started' ELSE 'not finished' END) AS title,
               format('The %s %s task on %s was due to %s at %s UTC and is %s minute(s) late.', t.priority, t.type,
                      a.tail_number, CASE WHEN t.state = 'scheduled' THEN 'start' ELSE 'end' END,
                      to_char(d.due AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                      floor(extract(epoch FROM ${t} - d.due) / 60)) AS description,
               t.aircraft_id, t.assigned_mechanic_id AS user_id, 0::numeric AS threshold,
               floor(extract(epoch FROM ${t} - d.due) / 60)::numeric AS current_value, 'minutes' AS unit
          FROM maintenance_tasks t
          JOIN aircraft a ON a.org_id = t.org_id AND a.id = t.aircraft_id
          CROSS JOIN LATERAL (SELECT CASE WHEN t.state = 'scheduled' THEN t.start_time ELSE t.end_time END AS due) d
         WHERE t.deleted_at IS NULL AND a.deleted_at IS NULL AND ${liveOrg('t.org_id')}
           AND ((t.state = 'scheduled' AND t.start_time < ${t}) OR (t.state = 'in_progress' AND t.end_time < ${t}))
           ${scoped(scope, 't.org_id', 't.id')}`;
    case 'directive_due':
    case 'directive_overdue': {
      const passed = limitPassed(
        { date: effective('date'), flightHours: effective('flight_hours'), cycles: effective('cycles') },
        { today: todayOf(now), flightHours: sql`a.flight_hours_total`, cycles: sql`a.cycles_total` },
      );
      const overdue = sql`(ad.status = 'overdue' OR (ad.status IN ('pending', 'in_progress', 'deferred') AND ${passed}))`;
      const due = category === 'directive_due';
      return sql`
        SELECT ad.org_id, ad.id AS entity_id, ${level(CATEGORY_LEVEL[category])}::alert_level AS level,
               ${
                 due
                   ? sql`format('%s due on %s in %s day(s)', d.reference_number, a.tail_number, x.days_left)`
                   : sql`format('%s overdue on %s', d.reference_number, a.tail_number)`
               } AS title,
               ${
                 due
                   ? sql`format('%s (%s) falls due on %s on %s, within the organization''s warning window of %s day(s).',
                                d.reference_number, d.title, a.tail_number, x.due_date, x.warning_days)`
                   : sql`format('%s (%s) is past its limit on %s: comply with it, or defer it with an approval.',
                                d.reference_number, d.title, a.tail_number)`
               } AS description,
               ad.aircraft_id, NULL::uuid AS user_id,
               ${due ? sql`x.warning_days::numeric` : sql`0::numeric`} AS threshold,
               ${due ? sql`x.days_left::numeric` : sql`greatest(-x.days_left, 0)::numeric`} AS current_value,
               'days' AS unit
          FROM aircraft_directives ad
          JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
          JOIN aircraft a ON a.org_id = ad.org_id AND a.id = ad.aircraft_id
          LEFT JOIN org_policies p ON p.org_id = ad.org_id
          CROSS JOIN LATERAL (SELECT ${effective('date')} AS due_date, ${effective('date')} - ${todayOf(now)} AS days_left,
                                     coalesce(p.directive_warning_days, 30) AS warning_days) x
         WHERE d.deleted_at IS NULL AND d.status = 'active' AND a.deleted_at IS NULL AND ${liveOrg('ad.org_id')}
           AND ${
             due
               ? sql`ad.status IN ('pending', 'in_progress', 'deferred') AND NOT ${overdue}
                     AND x.days_left <= x.warning_days`
               : overdue
           }
           ${scoped(scope, 'ad.org_id', 'ad.id')}`;
    }
    case 'part_low_stock':
    case 'part_out_of_stock': {
      const out = category === 'part_out_of_stock';
      // Available = in stock, unexpired, not reserved: the rule of stockByDefinition / stockBand.
      // A definition never stocked and without a stock target is not "out of stock": it is not kept.
      return sql`
        SELECT d.org_id, d.id AS entity_id, ${level(CATEGORY_LEVEL[category])}::alert_level AS level,
               ${
                 out
                   ? sql`format('%s is out of stock', d.name)`
                   : sql`format('%s is low: %s available', d.name, s.available)`
               } AS title,
               ${
                 out
                   ? sql`format('No item of %s (%s) is available: every one is used, reserved or expired.', d.name, d.category)`
                   : sql`format('%s (%s) has %s item(s) available, at or below its reorder point of %s.', d.name,
                                d.category, s.available, d.reorder_point)`
               } AS description,
               NULL::uuid AS aircraft_id, NULL::uuid AS user_id,
               ${out ? sql`0::numeric` : sql`d.reorder_point::numeric`} AS threshold,
               s.available::numeric AS current_value, 'items' AS unit
          FROM part_definitions d
          CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE r.id IS NULL)::integer AS available
              FROM part_items i
              LEFT JOIN part_reservations r ON r.org_id = i.org_id AND r.part_item_id = i.id AND r.state = 'reserved'
             WHERE i.org_id = d.org_id AND i.part_definition_id = d.id AND i.deleted_at IS NULL
               AND i.status = 'in_stock' AND (i.expiry_date IS NULL OR i.expiry_date > ${t})) s
         WHERE d.deleted_at IS NULL AND ${liveOrg('d.org_id')}
           AND ${
             out
               ? sql`s.available <= 0 AND (d.reorder_point IS NOT NULL OR d.min_stock_level IS NOT NULL
                     OR EXISTS (SELECT 1 FROM part_items k WHERE k.org_id = d.org_id AND k.part_definition_id = d.id))`
               : sql`d.reorder_point IS NOT NULL AND s.available > 0 AND s.available <= d.reorder_point`
           }
           ${scoped(scope, 'd.org_id', 'd.id')}`;
    }
    case 'webhook_failing':
      return sql`
        SELECT w.org_id, w.id AS entity_id, ${level(CATEGORY_LEVEL.webhook_failing)}::alert_level AS level,
               format('Webhook to %s is failing', w.url) AS title,
               format('%s deliver%s to %s failed for good (every attempt used) in the last %s hours and none has succeeded since; the last failure: %s.',
                      f.failures, CASE WHEN f.failures = 1 THEN 'y' ELSE 'ies' END, w.url, ${WEBHOOK_FAILING_WINDOW_HOURS}::integer,
                      coalesce(f.last_error, 'no error recorded')) AS description,
               NULL::uuid AS aircraft_id, NULL::uuid AS user_id, 1::numeric AS threshold,
               f.failures::numeric AS current_value, 'deliveries' AS unit
          FROM webhooks w
          CROSS JOIN LATERAL (
            SELECT count(*)::integer AS failures,
                   (array_agg(x.last_error ORDER BY x.updated_at DESC))[1] AS last_error
              FROM webhook_deliveries x
             WHERE x.org_id = w.org_id AND x.webhook_id = w.id AND x.status = 'failed'
               AND x.updated_at > ${t} - make_interval(hours => ${WEBHOOK_FAILING_WINDOW_HOURS}::integer)
               AND x.updated_at > coalesce((SELECT max(s.delivered_at) FROM webhook_deliveries s
                                            WHERE s.org_id = w.org_id AND s.webhook_id = w.id
                                              AND s.status = 'delivered'), '-infinity')) f
         WHERE w.deleted_at IS NULL AND ${liveOrg('w.org_id')} AND f.failures > 0
           ${scoped(scope, 'w.org_id', 'w.id')}`;
    case 'aircraft_aog':
      return sql`
        SELECT a.org_id, a.id AS entity_id, ${level(CATEGORY_LEVEL.aircraft_aog)}::alert_level AS level,
               format('%s is AOG', a.tail_number) AS title,
               format('%s (%s) has %s open AOG-priority task(s): it is on the ground until they are done.',
                      a.tail_number, a.model, k.tasks) AS description,
               a.id AS aircraft_id, NULL::uuid AS user_id, 1::numeric AS threshold,
               k.tasks::numeric AS current_value, 'tasks' AS unit
          FROM (SELECT t.org_id, t.aircraft_id, count(*)::integer AS tasks
                  FROM maintenance_tasks t
                 WHERE t.priority = 'aog' AND t.state IN ('scheduled', 'in_progress') AND t.deleted_at IS NULL
                   ${scoped(scope, 't.org_id', 't.aircraft_id')}
                 GROUP BY t.org_id, t.aircraft_id) k
          JOIN aircraft a ON a.org_id = k.org_id AND a.id = k.aircraft_id
         WHERE a.deleted_at IS NULL AND ${liveOrg('a.org_id')}`;
  }
}

/** The next level of each level below critical, as a CASE (`escalatedLevel` in SQL). */
const ESCALATED_CASE = sql.raw(
  `CASE a.level ${ALERT_LEVELS.filter((l) => escalatedLevel(l) !== undefined)
    .map((l) => `WHEN '${l}' THEN '${escalatedLevel(l)}'::alert_level`)
    .join(' ')} END`,
);

/** The alert triggers' statements; each one statement, so a batch is one round trip. */
export class PgAlertTriggerRepository implements AlertTriggerRepository {
  constructor(private readonly db: Executor) {}

  async raise(input: {
    category: AlertCategory;
    now: Date;
    scope?: AlertScope | undefined;
    limit: number;
  }): Promise<RaisedAlert[]> {
    const { category, now, scope, limit } = input;
    const entityType = ALERT_ENTITY_OF[category];
    // Only conditions without an open alert as loud are taken, so a batch's LIMIT moves on; the
    // unique index decides races: a concurrent raise of the same condition meets the other's row
    // and raises its level only when louder. `xmax = 0` tells an insert from an update, and the
    // subquery (which sees the statement's snapshot) the level before it.
    const { rows } = await sql<AlertRow & { inserted: boolean; previous_level: AlertLevel | null }>`
      WITH cond AS (${conditions(category, now, scope)}),
      todo AS (
        SELECT c.* FROM cond c
         WHERE NOT EXISTS (SELECT 1 FROM alerts o
                            WHERE o.org_id = c.org_id AND o.category = ${category}::alert_category
                              AND o.entity_type = ${entityType}::alert_entity_type AND o.entity_id = c.entity_id
                              AND o.resolved_at IS NULL AND o.level >= c.level)
         ORDER BY c.org_id, c.entity_id
         LIMIT ${limit}
      )
      INSERT INTO alerts AS a (org_id, level, category, title, description, entity_type, entity_id, aircraft_id,
                               user_id, threshold, current_value, unit, level_changed_at, raised_at, updated_at)
      SELECT todo.org_id, todo.level, ${category}::alert_category, todo.title, todo.description,
             ${entityType}::alert_entity_type, todo.entity_id, todo.aircraft_id, todo.user_id, todo.threshold,
             todo.current_value, todo.unit, ${at(now)}, ${at(now)}, ${at(now)}
        FROM todo
      ON CONFLICT (org_id, category, entity_type, entity_id) WHERE resolved_at IS NULL
      DO UPDATE SET level = EXCLUDED.level, title = EXCLUDED.title, description = EXCLUDED.description,
                    aircraft_id = EXCLUDED.aircraft_id, user_id = EXCLUDED.user_id, threshold = EXCLUDED.threshold,
                    current_value = EXCLUDED.current_value, unit = EXCLUDED.unit,
                    level_changed_at = EXCLUDED.level_changed_at
       WHERE a.level < EXCLUDED.level
      RETURNING ${ALERT_COLUMNS}, (a.xmax = 0) AS inserted,
                (SELECT o.level FROM alerts o WHERE o.id = a.id) AS previous_level`.execute(this.db);
    return rows.map((row) => ({
      alert: alertRecordOf(row),
      // An update whose old row the snapshot did not see (raised concurrently): one level below.
      previousLevel: row.inserted
        ? null
        : (row.previous_level ?? ALERT_LEVELS[ALERT_LEVELS.indexOf(row.level) - 1]!),
    }));
  }

  async resolveCleared(input: {
    category: AlertCategory;
    now: Date;
    scope?: AlertScope | undefined;
    limit: number;
  }): Promise<AlertRecord[]> {
    const { category, now, scope, limit } = input;
    // A certification expiring later than the band its alert was raised for (a renewal) clears it
    // too: the quieter alert is raised afresh, an escalated one is not lowered in place.
    const stillHolds = category === 'certification_expiring' ? sql`AND c.threshold <= a.threshold` : sql``;
    const { rows } = await sql<AlertRow>`
      WITH cond AS (${conditions(category, now, scope)}),
      cleared AS (
        SELECT a.id FROM alerts a
         WHERE a.category = ${category}::alert_category AND a.resolved_at IS NULL
           ${scoped(scope, 'a.org_id', 'a.entity_id')}
           AND NOT EXISTS (SELECT 1 FROM cond c WHERE c.org_id = a.org_id AND c.entity_id = a.entity_id ${stillHolds})
         ORDER BY a.id
         LIMIT ${limit}
           FOR UPDATE OF a
      )
      UPDATE alerts a
         SET resolved_at = ${at(now)}, resolved_automatically = true
        FROM cleared
       WHERE a.id = cleared.id AND a.resolved_at IS NULL
      RETURNING ${ALERT_COLUMNS}`.execute(this.db);
    return rows.map(alertRecordOf);
  }

  async escalateDue(input: { now: Date; limit: number }): Promise<EscalatedAlert[]> {
    const { now, limit } = input;
    // Counting from level_changed_at makes it once per level; SKIP LOCKED lets several workers
    // share the work, and the re-check of a row another one just escalated finds it not due.
    const { rows } = await sql<AlertRow & { previous_level: AlertLevel }>`
      WITH due AS (
        SELECT a.id FROM alerts a
          LEFT JOIN org_policies p ON p.org_id = a.org_id
         WHERE a.resolved_at IS NULL AND a.acknowledged_at IS NULL AND a.level <> 'critical'
           AND a.level_changed_at + coalesce(p.alert_escalation_after, interval '4 hours') <= ${at(now)}
         ORDER BY a.id
         LIMIT ${limit}
           FOR UPDATE OF a SKIP LOCKED
      )
      UPDATE alerts a
         SET level = ${ESCALATED_CASE}, escalation_level = a.escalation_level + 1, escalated_at = ${at(now)},
             level_changed_at = ${at(now)}
        FROM due
       WHERE a.id = due.id
      RETURNING ${ALERT_COLUMNS}, (SELECT o.level FROM alerts o WHERE o.id = a.id) AS previous_level`.execute(
      this.db,
    );
    return rows.map((row) => ({ alert: alertRecordOf(row), previousLevel: row.previous_level }));
  }

  async aircraftOfTasks(orgId: string, taskIds: readonly string[]): Promise<string[]> {
    if (taskIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('maintenance_tasks')
      .select('aircraft_id')
      .distinct()
      .where('org_id', '=', orgId)
      .where('id', 'in', [...taskIds])
      .execute();
    return rows.map((row) => row.aircraft_id);
  }

  async webhooksOfDeliveries(
    deliveryIds: readonly string[],
  ): Promise<{ orgId: string; webhookId: string }[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select(['org_id', 'webhook_id'])
      .distinct()
      .where('id', 'in', [...deliveryIds])
      .execute();
    return rows.map((row) => ({ orgId: row.org_id, webhookId: row.webhook_id }));
  }

  async openAlerts(orgId: string): Promise<AlertRecord[]> {
    const { rows } = await sql<AlertRow>`
      SELECT ${ALERT_COLUMNS} FROM alerts a
       WHERE a.org_id = ${orgId} AND a.resolved_at IS NULL
       ORDER BY a.level DESC, a.raised_at, a.id`.execute(this.db);
    return rows.map(alertRecordOf);
  }

  async handledByPeople(orgId: string): Promise<{ acknowledged: number; resolved: number }> {
    const row = await this.db
      .selectFrom('alerts')
      .select([
        sql<number>`count(*) FILTER (WHERE acknowledged_at IS NOT NULL)::int`.as('acknowledged'),
        sql<number>`count(*) FILTER (WHERE resolved_by IS NOT NULL)::int`.as('resolved'),
      ])
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    return row;
  }
}
