/**
 * Test factories: each inserts one row with sensible defaults, creates the parents it needs when
 * the overrides name none, and returns the inserted row. A parent given without `org_id` puts the
 * new row in that parent's organization, so `insertTask(db, { aircraft_id })` just works.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../src/infra/postgres/executor.js';
import type {
  AircraftTable,
  AircraftUsageTable,
  AuditLogsTable,
  ComplianceItemsTable,
  ImportsTable,
  MaintenanceProgramsTable,
  MaintenanceTasksTable,
  OrganizationsTable,
  OutboxEventsTable,
  PartDefinitionsTable,
  PartItemsTable,
  PartReservationsTable,
  TaskPartRequirementsTable,
  RefreshTokensTable,
  ApiKeysTable,
  UsersTable,
  WebhooksTable,
  WebhookDeliveriesTable,
} from '../../src/infra/postgres/schema.js';

let counter = 0;
/** Unique within a run and across parallel test files, for names that must not collide. */
const unique = (): string => `${++counter}-${randomUUID().slice(0, 8)}`;

/** A fixed day far in the future; each defaulted task gets its own window after it, so they never overlap. */
const TASK_EPOCH = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

type Overrides<T> = Partial<Insertable<T>>;

/** Tables whose rows a factory may look up to learn the organization of a given parent. */
type ParentTable =
  | 'users'
  | 'aircraft'
  | 'maintenance_programs'
  | 'maintenance_tasks'
  | 'part_definitions'
  | 'part_items'
  | 'webhooks'
  | 'imports';

/**
 * The organization for a new row: the override if given, else the organization of the first
 * parent named, else a new organization.
 */
async function resolveOrg(
  db: Executor,
  orgId: string | undefined,
  parents: [ParentTable, string | null | undefined][] = [],
): Promise<string> {
  if (orgId !== undefined) return orgId;
  for (const [table, id] of parents) {
    if (id === null || id === undefined) continue;
    const row = await db.selectFrom(table).select('org_id').where('id', '=', id).executeTakeFirstOrThrow();
    return row.org_id;
  }
  return (await insertOrganization(db)).id;
}

export async function insertOrganization(
  db: Executor,
  overrides: Overrides<OrganizationsTable> = {},
): Promise<Selectable<OrganizationsTable>> {
  return db
    .insertInto('organizations')
    .values({ name: `Org ${unique()}`, ...overrides })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A mechanic by default. The default password hash matches no password; pass a bcrypt hash to log in. */
/** Sets an organization's grounding lead time (a PostgreSQL interval, e.g. '0' or '48 hours'). */
export async function setGroundingLeadTime(db: Executor, orgId: string, interval: string): Promise<void> {
  await db
    .updateTable('org_policies')
    .set({ grounding_lead_time: interval })
    .where('org_id', '=', orgId)
    .execute();
}

export async function insertUser(
  db: Executor,
  overrides: Overrides<UsersTable> = {},
): Promise<Selectable<UsersTable>> {
  const orgId = await resolveOrg(db, overrides.org_id);
  return db
    .insertInto('users')
    .values({
      email: `user-${unique()}@example.com`,
      role: 'mechanic',
      password_hash: 'not-a-bcrypt-hash',
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertAircraft(
  db: Executor,
  overrides: Overrides<AircraftTable> = {},
): Promise<Selectable<AircraftTable>> {
  const orgId = await resolveOrg(db, overrides.org_id);
  return db
    .insertInto('aircraft')
    .values({ tail_number: `N${unique()}`, model: 'A320', ...overrides, org_id: orgId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A one-hour, one-cycle flight recorded now, of a new aircraft unless `aircraft_id` is given. */
export async function insertAircraftUsage(
  db: Executor,
  overrides: Overrides<AircraftUsageTable> = {},
): Promise<Selectable<AircraftUsageTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['aircraft', overrides.aircraft_id]]);
  const aircraftId = overrides.aircraft_id ?? (await insertAircraft(db, { org_id: orgId })).id;
  return db
    .insertInto('aircraft_usage')
    .values({
      source_ref: `FLT-${unique()}`,
      flight_hours: 1,
      cycles: 1,
      recorded_at: new Date(),
      ...overrides,
      org_id: orgId,
      aircraft_id: aircraftId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A calendar program every 30 days; a template (no aircraft) unless `aircraft_id` is given. */
export async function insertProgram(
  db: Executor,
  overrides: Overrides<MaintenanceProgramsTable> = {},
): Promise<Selectable<MaintenanceProgramsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['aircraft', overrides.aircraft_id]]);
  return db
    .insertInto('maintenance_programs')
    .values({
      name: `Program ${unique()}`,
      interval_type: 'calendar',
      interval_value: 30,
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A live refresh token of a new user unless `user_id` is given, expiring in 7 days. */
export async function insertRefreshToken(
  db: Executor,
  overrides: Overrides<RefreshTokensTable> = {},
): Promise<Selectable<RefreshTokensTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['users', overrides.user_id]]);
  const userId = overrides.user_id ?? (await insertUser(db, { org_id: orgId })).id;
  return db
    .insertInto('refresh_tokens')
    .values({
      family_id: randomUUID(),
      token_hash: randomBytes(32).toString('hex'),
      expires_at: new Date(Date.now() + 7 * 24 * HOUR),
      ...overrides,
      org_id: orgId,
      user_id: userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A live read_only API key of a new tenant_admin unless `created_by` is given. */
export async function insertApiKey(
  db: Executor,
  overrides: Overrides<ApiKeysTable> = {},
): Promise<Selectable<ApiKeysTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['users', overrides.created_by]]);
  const createdBy =
    overrides.created_by ?? (await insertUser(db, { org_id: orgId, role: 'tenant_admin' })).id;
  return db
    .insertInto('api_keys')
    .values({
      name: `key-${unique()}`,
      scope: 'read_only',
      secret_hash: randomBytes(32).toString('hex'),
      hint: 'amss_abcdefgh',
      ...overrides,
      org_id: orgId,
      created_by: createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A scheduled inspection on a new aircraft unless `aircraft_id` is given. Without explicit times
 * each task gets its own two-hour window, so several defaulted tasks on one aircraft never overlap.
 */
export async function insertTask(
  db: Executor,
  overrides: Overrides<MaintenanceTasksTable> = {},
): Promise<Selectable<MaintenanceTasksTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [
    ['aircraft', overrides.aircraft_id],
    ['maintenance_programs', overrides.program_id],
  ]);
  const aircraftId = overrides.aircraft_id ?? (await insertAircraft(db, { org_id: orgId })).id;
  const start = new Date(TASK_EPOCH + ++counter * 3 * HOUR);
  return db
    .insertInto('maintenance_tasks')
    .values({
      type: 'inspection',
      start_time: start,
      end_time: new Date(start.getTime() + 2 * HOUR),
      ...overrides,
      org_id: orgId,
      aircraft_id: aircraftId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertPartDefinition(
  db: Executor,
  overrides: Overrides<PartDefinitionsTable> = {},
): Promise<Selectable<PartDefinitionsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id);
  return db
    .insertInto('part_definitions')
    .values({ name: `Part ${unique()}`, category: 'filters', ...overrides, org_id: orgId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An in-stock item without expiry, of a new part definition unless `part_definition_id` is given. */
export async function insertPartItem(
  db: Executor,
  overrides: Overrides<PartItemsTable> = {},
): Promise<Selectable<PartItemsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['part_definitions', overrides.part_definition_id]]);
  const definitionId = overrides.part_definition_id ?? (await insertPartDefinition(db, { org_id: orgId })).id;
  return db
    .insertInto('part_items')
    .values({
      serial_number: `SN-${unique()}`,
      ...overrides,
      org_id: orgId,
      part_definition_id: definitionId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A `reserved` reservation; the task and the part item are created in the same org when missing. */
export async function insertReservation(
  db: Executor,
  overrides: Overrides<PartReservationsTable> = {},
): Promise<Selectable<PartReservationsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [
    ['maintenance_tasks', overrides.task_id],
    ['part_items', overrides.part_item_id],
  ]);
  const taskId = overrides.task_id ?? (await insertTask(db, { org_id: orgId })).id;
  const itemId = overrides.part_item_id ?? (await insertPartItem(db, { org_id: orgId })).id;
  return db
    .insertInto('part_reservations')
    .values({ ...overrides, org_id: orgId, task_id: taskId, part_item_id: itemId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A task's need for one unit of a part definition; the task and definition are created when missing. */
export async function insertTaskPartRequirement(
  db: Executor,
  overrides: Overrides<TaskPartRequirementsTable> = {},
): Promise<Selectable<TaskPartRequirementsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [
    ['maintenance_tasks', overrides.task_id],
    ['part_definitions', overrides.part_definition_id],
  ]);
  const taskId = overrides.task_id ?? (await insertTask(db, { org_id: orgId })).id;
  const definitionId = overrides.part_definition_id ?? (await insertPartDefinition(db, { org_id: orgId })).id;
  return db
    .insertInto('task_part_requirements')
    .values({ quantity: 1, ...overrides, org_id: orgId, task_id: taskId, part_definition_id: definitionId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A pending, unsigned compliance item of a new task unless `task_id` is given. */
export async function insertComplianceItem(
  db: Executor,
  overrides: Overrides<ComplianceItemsTable> = {},
): Promise<Selectable<ComplianceItemsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [
    ['maintenance_tasks', overrides.task_id],
    ['users', overrides.sign_off_user_id],
    ['users', overrides.inspected_by],
  ]);
  const taskId = overrides.task_id ?? (await insertTask(db, { org_id: orgId })).id;
  // The database takes an item's signatures one statement at a time, in order (00020): the row is
  // inserted unsigned, then signed off, then inspected. updated_at, when given, is written last.
  const {
    sign_off_user_id,
    sign_off_time,
    sign_off_meaning,
    inspected_by,
    inspected_at,
    inspection_meaning,
    updated_at,
    ...columns
  } = overrides;
  const signOff = { sign_off_user_id, sign_off_time, sign_off_meaning };
  const inspection = { inspected_by, inspected_at, inspection_meaning };
  const steps = [signOff, inspection].filter((step) => Object.values(step).some((v) => v != null));
  const row = await db
    .insertInto('compliance_items')
    .values({
      description: 'Torque check',
      ...columns,
      ...(steps.length === 0 && updated_at !== undefined ? { updated_at } : {}),
      org_id: orgId,
      task_id: taskId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  let last = row;
  for (const [index, step] of steps.entries()) {
    const set =
      step === signOff && sign_off_time != null && sign_off_meaning === undefined
        ? // A signed item carries what its signature means, as the sign-off writes it.
          { ...step, sign_off_meaning: 'performed' as const }
        : step;
    last = await db
      .updateTable('compliance_items')
      .set({ ...set, ...(index === steps.length - 1 && updated_at !== undefined ? { updated_at } : {}) })
      .where('org_id', '=', orgId)
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return last;
}

/** An audit row written by a named system actor (no user) unless `user_id` is given. */
export async function insertAuditLog(
  db: Executor,
  overrides: Overrides<AuditLogsTable> = {},
): Promise<Selectable<AuditLogsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id);
  return db
    .insertInto('audit_logs')
    .values({
      actor: 'system:test',
      entity_type: 'aircraft',
      entity_id: randomUUID(),
      action: 'create',
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A pending `task_created` event with a unique dedupe key. */
export async function insertOutboxEvent(
  db: Executor,
  overrides: Overrides<OutboxEventsTable> = {},
): Promise<Selectable<OutboxEventsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id);
  return db
    .insertInto('outbox_events')
    .values({
      aggregate_type: 'maintenance_task',
      aggregate_id: randomUUID(),
      event_type: 'task_created',
      payload: JSON.stringify({ version: 1 }),
      dedupe_key: `task_created:${unique()}`,
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertWebhook(
  db: Executor,
  overrides: Overrides<WebhooksTable> = {},
): Promise<Selectable<WebhooksTable>> {
  const orgId = await resolveOrg(db, overrides.org_id);
  return db
    .insertInto('webhooks')
    .values({
      url: 'https://hooks.example.com/amss',
      events: ['task_created'],
      secret: randomUUID().replaceAll('-', ''),
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A pending delivery, due now, of an event to a webhook; creates a webhook and a processed event
 * in the delivery's organization unless they are given.
 */
export async function insertWebhookDelivery(
  db: Executor,
  overrides: Overrides<WebhookDeliveriesTable> = {},
): Promise<Selectable<WebhookDeliveriesTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['webhooks', overrides.webhook_id]]);
  const webhookId = overrides.webhook_id ?? (await insertWebhook(db, { org_id: orgId })).id;
  const eventId =
    overrides.event_id ??
    (await insertOutboxEvent(db, { org_id: orgId, status: 'processed', processed_at: new Date() })).id;
  return db
    .insertInto('webhook_deliveries')
    .values({ ...overrides, org_id: orgId, webhook_id: webhookId, event_id: eventId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A pending aircraft import created by a new user unless `created_by` is given. */
export async function insertImport(
  db: Executor,
  overrides: Overrides<ImportsTable> = {},
): Promise<Selectable<ImportsTable>> {
  const orgId = await resolveOrg(db, overrides.org_id, [['users', overrides.created_by]]);
  const createdBy = overrides.created_by ?? (await insertUser(db, { org_id: orgId })).id;
  return db
    .insertInto('imports')
    .values({
      type: 'aircraft',
      file_name: 'fleet.csv',
      ...overrides,
      org_id: orgId,
      created_by: createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * The error a statement fails with; fails the test if it succeeds. For asserting on a database
 * error's `code` and `constraint` and on what `translateDatabaseError` makes of it.
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the statement to be rejected, but it succeeded');
    },
    (error: unknown) => error,
  );
}
