import { sql, type RawBuilder } from 'kysely';
import type { RetentionRepository } from '../../app/ports.js';
import type { Executor } from './executor.js';

/** Rows per statement: keeps each delete (and the locks it holds) short. */
const DEFAULT_BATCH_SIZE = 5_000;

/** One purge statement: deletes up to `limit` rows and says how many went, per table. */
type PurgeStatement = (now: Date, limit: number) => RawBuilder<Record<string, string>>;

interface PurgeStep {
  /** The table whose rows the step selects; the loop stops when it deleted fewer than the limit. */
  table: string;
  statement: PurgeStatement;
}

/** Whether `column` lies further back than its org's retention (org_policies joined as `op`). */
const pastRetention = (column: RawBuilder<unknown>, now: Date) =>
  sql`${column} < ${now}::timestamptz - op.retention_interval`;

/**
 * A soft-deleted row of `table` past its org's retention and not `blocked`, with `children`
 * (data-modifying CTEs over `doomed`) deleted in the same statement. Foreign keys are checked at
 * the end of the statement, so the children go first as far as PostgreSQL is concerned.
 */
function softDeleted(
  table: string,
  blocked: RawBuilder<unknown>,
  children: Record<string, RawBuilder<unknown>> = {},
): PurgeStatement {
  return (now, limit) => {
    const childCtes = Object.entries(children).map(
      ([name, statement]) => sql`, ${sql.id(`purged_${name}`)} AS (${statement} RETURNING 1)`,
    );
    const counts = [table, ...Object.keys(children)].map(
      (name) => sql`(SELECT count(*) FROM ${sql.id(`purged_${name}`)}) AS ${sql.id(name)}`,
    );
    return sql<Record<string, string>>`
      WITH doomed AS (
        SELECT x.org_id, x.id FROM ${sql.table(table)} x
          JOIN org_policies op ON op.org_id = x.org_id
         WHERE ${pastRetention(sql.ref('x.deleted_at'), now)} AND NOT (${blocked})
         LIMIT ${limit}
         FOR UPDATE OF x SKIP LOCKED
      )${sql.join(childCtes, sql``)},
      ${sql.id(`purged_${table}`)} AS (
        DELETE FROM ${sql.table(table)} t USING doomed d WHERE t.org_id = d.org_id AND t.id = d.id RETURNING 1
      )
      SELECT ${sql.join(counts)}`;
  };
}

/** Whether import `i` finished (completed or failed) longer ago than its org's retention. */
const finishedImportPastRetention = (now: Date) =>
  sql`i.status IN ('completed', 'failed') AND ${pastRetention(sql.ref('i.finished_at'), now)}`;

/** Whether a row of `table` (meeting `extra`) points at the candidate `x` through (org_id, `column`). */
const referencedBy = (table: string, column: string, extra: RawBuilder<unknown> = sql`true`) =>
  sql`EXISTS (SELECT 1 FROM ${sql.table(table)} r WHERE r.org_id = x.org_id AND ${sql.ref(`r.${column}`)} = x.id AND ${extra})`;

/** Any of the conditions. */
const anyOf = (...conditions: RawBuilder<unknown>[]) => sql`(${sql.join(conditions, sql` OR `)})`;

/**
 * Every foreign key (by constraint name) that references a table the cleaner purges, and how the
 * cleaner deals with it: `blocks` (a referencing row keeps the row) or `deletes` (the referencing
 * rows go with it). test/jobs/retention-cleaner.test.ts checks this against the database, so a new
 * foreign key cannot be forgotten.
 */
export const REFERENCES_HANDLED: Record<string, Record<string, 'blocks' | 'deletes'>> = {
  outbox_events: { webhook_deliveries_event_fkey: 'blocks' },
  webhooks: { webhook_deliveries_webhook_fkey: 'blocks' },
  // task_dependencies_{predecessor,successor}_fkey and task_schedule_changes_task_fkey cascade: a
  // purged task takes its links and its move history along (the audit log keeps every move).
  maintenance_tasks: {
    part_reservations_task_fkey: 'deletes',
    compliance_items_task_fkey: 'deletes',
    recency_entries_task_fkey: 'blocks',
    aircraft_directives_task_fkey: 'blocks',
    directive_compliance_records_task_fkey: 'blocks',
  },
  maintenance_programs: {
    maintenance_tasks_program_fkey: 'blocks',
    task_skill_requirements_program_fkey: 'blocks',
  },
  aircraft: {
    maintenance_tasks_aircraft_fkey: 'blocks',
    maintenance_programs_aircraft_fkey: 'blocks',
    aircraft_usage_aircraft_fkey: 'deletes',
    aircraft_directives_aircraft_fkey: 'blocks',
    directive_compliance_records_aircraft_fkey: 'blocks',
  },
  part_items: { part_reservations_part_item_fkey: 'blocks' },
  // import_rows_import_fkey cascades; the import_rows step empties an import before it goes.
  imports: {},
  part_definitions: {
    part_items_part_definition_fkey: 'blocks',
    task_part_requirements_part_definition_fkey: 'blocks',
  },
  users: {
    audit_logs_actor_user_fkey: 'blocks',
    maintenance_tasks_assigned_mechanic_fkey: 'blocks',
    compliance_items_sign_off_user_fkey: 'blocks',
    compliance_items_inspected_by_fkey: 'blocks',
    imports_created_by_fkey: 'blocks',
    aircraft_usage_created_by_fkey: 'blocks',
    api_keys_created_by_fkey: 'blocks',
    employee_certifications_user_fkey: 'blocks',
    employee_certifications_verified_by_fkey: 'blocks',
    type_ratings_user_fkey: 'blocks',
    employee_skills_user_fkey: 'blocks',
    recency_entries_user_fkey: 'blocks',
    recency_entries_created_by_fkey: 'blocks',
    aircraft_directives_status_changed_by_fkey: 'blocks',
    directive_compliance_records_signed_by_fkey: 'blocks',
    task_dependencies_created_by_fkey: 'blocks',
    task_schedule_changes_changed_by_fkey: 'blocks',
    // the alerts step runs first: a resolved alert past retention no longer keeps its people
    alerts_user_fkey: 'blocks',
    alerts_acknowledged_by_fkey: 'blocks',
    alerts_resolved_by_fkey: 'blocks',
  },
  // directive_aircraft_types_directive_fkey cascades: a directive goes with its aircraft types.
  directives: {
    directives_superseded_by_fkey: 'blocks',
    maintenance_tasks_directive_fkey: 'blocks',
    aircraft_directives_directive_fkey: 'blocks',
    directive_compliance_records_directive_fkey: 'blocks',
  },
  organization_registrations: {},
};

/**
 * In dependency order: deliveries before the events and webhooks they reference, tasks before
 * directives, programs and aircraft, items before definitions, an import's rows before the import, users last.
 */
const STEPS: PurgeStep[] = [
  {
    table: 'webhook_deliveries',
    // Finished deliveries past retention, and the finished history of webhooks deleted that long
    // ago: two index-friendly halves rather than one OR.
    statement: (now, limit) => sql<Record<string, string>>`
      WITH aged AS (
        SELECT x.id FROM webhook_deliveries x
          JOIN org_policies op ON op.org_id = x.org_id
         WHERE x.status IN ('delivered', 'failed')
           AND ${pastRetention(sql`coalesce(x.delivered_at, x.updated_at)`, now)}
         LIMIT ${limit}
         FOR UPDATE OF x SKIP LOCKED
      ), orphaned AS (
        SELECT x.id FROM webhooks w
          JOIN org_policies op ON op.org_id = w.org_id
          JOIN webhook_deliveries x ON x.org_id = w.org_id AND x.webhook_id = w.id
         WHERE ${pastRetention(sql.ref('w.deleted_at'), now)} AND x.status IN ('delivered', 'failed')
         LIMIT ${limit}
         FOR UPDATE OF x SKIP LOCKED
      ), doomed AS (
        SELECT id FROM aged UNION SELECT id FROM orphaned
      ), purged AS (
        DELETE FROM webhook_deliveries t USING doomed d WHERE t.id = d.id RETURNING 1
      )
      SELECT count(*) AS webhook_deliveries FROM purged`,
  },
  {
    table: 'outbox_events',
    // Processed events past retention that no delivery (pending or kept) references; failed ones stay.
    statement: (now, limit) => sql<Record<string, string>>`
      WITH doomed AS (
        SELECT x.org_id, x.id FROM outbox_events x
          JOIN org_policies op ON op.org_id = x.org_id
         WHERE x.status = 'processed' AND ${pastRetention(sql.ref('x.processed_at'), now)}
           AND NOT ${referencedBy('webhook_deliveries', 'event_id')}
         LIMIT ${limit}
         FOR UPDATE OF x SKIP LOCKED
      ), purged AS (
        DELETE FROM outbox_events t USING doomed d WHERE t.org_id = d.org_id AND t.id = d.id RETURNING 1
      )
      SELECT count(*) AS outbox_events FROM purged`,
  },
  { table: 'webhooks', statement: softDeleted('webhooks', referencedBy('webhook_deliveries', 'webhook_id')) },
  {
    table: 'compliance_items',
    // A signed-off item is immutable (and can never be soft-deleted anyway).
    statement: softDeleted('compliance_items', sql`x.sign_off_time IS NOT NULL`),
  },
  {
    table: 'maintenance_tasks',
    // A task goes with its reservations, unsigned compliance items and (by cascade) its part
    // requirements. A maintenance record stays: a completed task (deleted before completed tasks
    // became final), and one with a signed-off compliance item or a used part — the only record of
    // which aircraft that part was fitted to (the database refuses to delete a used reservation).
    statement: softDeleted(
      'maintenance_tasks',
      anyOf(
        sql`x.state = 'completed'`,
        referencedBy('compliance_items', 'task_id', sql`r.sign_off_time IS NOT NULL`),
        referencedBy('part_reservations', 'task_id', sql`r.state = 'used'`),
        referencedBy('recency_entries', 'task_id'),
        // The task booked for, or that did, a directive's compliance is part of that history.
        referencedBy('aircraft_directives', 'task_id'),
        referencedBy('directive_compliance_records', 'task_id'),
      ),
      {
        part_reservations: sql`DELETE FROM part_reservations c USING doomed d WHERE c.org_id = d.org_id AND c.task_id = d.id`,
        compliance_items: sql`DELETE FROM compliance_items c USING doomed d WHERE c.org_id = d.org_id AND c.task_id = d.id`,
      },
    ),
  },
  {
    table: 'directives',
    // After the tasks that named it. A directive ever tracked on an aircraft stays: its tracking
    // rows and compliance records are airworthiness history. Its aircraft types cascade. A
    // directive named as another's successor waits until that one is gone (a later run).
    statement: softDeleted(
      'directives',
      anyOf(
        referencedBy('aircraft_directives', 'directive_id'),
        referencedBy('directive_compliance_records', 'directive_id'),
        referencedBy('maintenance_tasks', 'directive_id'),
        referencedBy('directives', 'superseded_by'),
      ),
    ),
  },
  {
    table: 'maintenance_programs',
    statement: softDeleted(
      'maintenance_programs',
      anyOf(
        referencedBy('maintenance_tasks', 'program_id'),
        referencedBy('task_skill_requirements', 'program_id'),
      ),
    ),
  },
  {
    table: 'aircraft',
    // An aircraft goes with its recorded flights, once no task or program refers to it.
    statement: softDeleted(
      'aircraft',
      anyOf(
        referencedBy('maintenance_tasks', 'aircraft_id'),
        referencedBy('maintenance_programs', 'aircraft_id'),
        // Directive tracking and compliance records are airworthiness history of the aircraft.
        referencedBy('aircraft_directives', 'aircraft_id'),
        referencedBy('directive_compliance_records', 'aircraft_id'),
      ),
      {
        aircraft_usage: sql`DELETE FROM aircraft_usage c USING doomed d WHERE c.org_id = d.org_id AND c.aircraft_id = d.id`,
      },
    ),
  },
  {
    table: 'part_items',
    statement: softDeleted('part_items', referencedBy('part_reservations', 'part_item_id')),
  },
  {
    table: 'part_definitions',
    statement: softDeleted(
      'part_definitions',
      anyOf(
        referencedBy('part_items', 'part_definition_id'),
        referencedBy('task_part_requirements', 'part_definition_id'),
      ),
    ),
  },
  {
    table: 'organization_registrations',
    // Nothing refers to a registration.
    statement: softDeleted('organization_registrations', sql`false`),
  },
  {
    table: 'import_rows',
    // The staged rows of imports that finished (completed or failed) longer ago than retention, a
    // batch at a time: one import can hold a hundred thousand of them.
    statement: (now, limit) => sql<Record<string, string>>`
      WITH doomed AS (
        SELECT x.id FROM imports i
          JOIN org_policies op ON op.org_id = i.org_id
          JOIN import_rows x ON x.org_id = i.org_id AND x.import_id = i.id
         WHERE ${finishedImportPastRetention(now)}
         LIMIT ${limit}
         FOR UPDATE OF x SKIP LOCKED
      ), purged AS (
        DELETE FROM import_rows t USING doomed d WHERE t.id = d.id RETURNING 1
      )
      SELECT count(*) AS import_rows FROM purged`,
  },
  {
    table: 'imports',
    // Then the finished imports themselves, once their rows are gone; their audit rows (creation
    // and finish, with the summary) stay.
    statement: (now, limit) => sql<Record<string, string>>`
      WITH doomed AS (
        SELECT i.org_id, i.id FROM imports i
          JOIN org_policies op ON op.org_id = i.org_id
         WHERE ${finishedImportPastRetention(now)}
           AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.org_id = i.org_id AND r.import_id = i.id)
         LIMIT ${limit}
         FOR UPDATE OF i SKIP LOCKED
      ), purged AS (
        DELETE FROM imports t USING doomed d WHERE t.org_id = d.org_id AND t.id = d.id RETURNING 1
      )
      SELECT count(*) AS imports FROM purged`,
  },
  {
    table: 'alerts',
    // Resolved alerts past retention (an open one stays however old: its condition still holds).
    statement: (now, limit) => sql<Record<string, string>>`
      WITH doomed AS (
        SELECT x.org_id, x.id FROM alerts x
          JOIN org_policies op ON op.org_id = x.org_id
         WHERE ${pastRetention(sql.ref('x.resolved_at'), now)}
         LIMIT ${limit}
         FOR UPDATE OF x SKIP LOCKED
      ), purged AS (
        DELETE FROM alerts t USING doomed d WHERE t.org_id = d.org_id AND t.id = d.id RETURNING 1
      )
      SELECT count(*) AS alerts FROM purged`,
  },
  {
    table: 'users',
    // Refresh tokens and idempotency keys cascade. A user who appears in the audit log (as actor),
    // on any record or as an API key's owner stays for good: those references are history.
    statement: softDeleted(
      'users',
      anyOf(
        sql`EXISTS (SELECT 1 FROM audit_logs r WHERE r.actor_org_id = x.org_id AND r.user_id = x.id)`,
        referencedBy('maintenance_tasks', 'assigned_mechanic_id'),
        referencedBy('compliance_items', 'sign_off_user_id'),
        referencedBy('compliance_items', 'inspected_by'),
        referencedBy('imports', 'created_by'),
        // A key names who it acted for in the audit log's details; its row keeps that answerable.
        referencedBy('api_keys', 'created_by'),
        sql`EXISTS (SELECT 1 FROM aircraft_usage r WHERE r.created_by_org_id = x.org_id AND r.created_by = x.id)`,
        // Qualification records (licences, ratings, skills, logged hours) are history too.
        referencedBy('employee_certifications', 'user_id'),
        // The verifier and the author of a manual entry may be an admin of another organization.
        sql`EXISTS (SELECT 1 FROM employee_certifications r WHERE r.verified_by_org_id = x.org_id AND r.verified_by = x.id)`,
        referencedBy('type_ratings', 'user_id'),
        referencedBy('employee_skills', 'user_id'),
        referencedBy('recency_entries', 'user_id'),
        sql`EXISTS (SELECT 1 FROM recency_entries r WHERE r.created_by_org_id = x.org_id AND r.created_by = x.id)`,
        // Who signed a directive's compliance, or changed its status on an aircraft, is history too.
        referencedBy('directive_compliance_records', 'signed_by'),
        sql`EXISTS (SELECT 1 FROM aircraft_directives r WHERE r.status_changed_by_org_id = x.org_id AND r.status_changed_by = x.id)`,
        // Who linked two tasks, or moved one, is history of the schedule.
        sql`EXISTS (SELECT 1 FROM task_dependencies r WHERE r.created_by_org_id = x.org_id AND r.created_by = x.id)`,
        sql`EXISTS (SELECT 1 FROM task_schedule_changes r WHERE r.changed_by_org_id = x.org_id AND r.changed_by = x.id)`,
        // An alert about them, or one they acknowledged or resolved, until the alert is purged.
        referencedBy('alerts', 'user_id'),
        sql`EXISTS (SELECT 1 FROM alerts r WHERE r.acknowledged_by_org_id = x.org_id AND r.acknowledged_by = x.id)`,
        sql`EXISTS (SELECT 1 FROM alerts r WHERE r.resolved_by_org_id = x.org_id AND r.resolved_by = x.id)`,
      ),
    ),
  },
];

/**
 * Removes what each organization's `org_policies.retention_interval` says is old enough: soft-deleted
 * operational rows nothing live refers to, processed outbox events, finished webhook deliveries
 * and finished imports with their staged rows.
 * Never the audit log. Each statement deletes one batch and commits on its own.
 */
export class PgRetentionRepository implements RetentionRepository {
  constructor(
    private readonly db: Executor,
    private readonly batchSize = DEFAULT_BATCH_SIZE,
  ) {}

  /** Runs every step, even after one fails (a failure is reported at the end with the others). */
  async purgeExpired(now: Date): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    const failures: unknown[] = [];
    for (const step of STEPS) {
      try {
        await this.purgeStep(step, now, removed);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(
        failures,
        `${failures.length} retention step(s) failed; removed so far: ${JSON.stringify(removed)}`,
      );
    }
    return removed;
  }

  private async purgeStep(step: PurgeStep, now: Date, removed: Record<string, number>): Promise<void> {
    for (;;) {
      const { rows } = await step.statement(now, this.batchSize).execute(this.db);
      const counts = rows[0] ?? {};
      for (const [table, count] of Object.entries(counts)) {
        removed[table] = (removed[table] ?? 0) + Number(count);
      }
      if (Number(counts[step.table] ?? 0) < this.batchSize) return;
    }
  }
}
