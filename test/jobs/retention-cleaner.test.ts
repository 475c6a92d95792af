import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgIdempotencyStore } from '../../src/infra/postgres/idempotency.js';
import { PgRetentionRepository, REFERENCES_HANDLED } from '../../src/infra/postgres/retention.js';
import type { DB } from '../../src/infra/postgres/schema.js';
import { retentionCleanerJob } from '../../src/jobs/retention-cleaner.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  insertAircraft,
  insertAircraftUsage,
  insertApiKey,
  insertAuditLog,
  insertComplianceItem,
  insertImport,
  insertOrganization,
  insertOutboxEvent,
  insertPartDefinition,
  insertPartItem,
  insertProgram,
  insertReservation,
  insertTask,
  insertTaskPartRequirement,
  insertUser,
  insertWebhook,
  insertWebhookDelivery,
} from '../support/factories.js';
import {
  insertAircraftDirective,
  insertComplianceRecord,
  insertDirective,
  insertRegistration,
} from '../support/directive-factories.js';
import { insertAlert } from '../support/alert-factories.js';
import { insertEmployeeCertification, insertRecencyEntry } from '../support/qualification-factories.js';

let db: TestDatabase;
let retention: PgRetentionRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  retention = new PgRetentionRepository(db.db);
});
afterAll(async () => {
  await db.drop();
});

const DAY = 86_400_000;
const NOW = new Date('2027-01-01T00:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
/** Past the 30-day retention of `org()`, and well inside it. */
const OLD = daysAgo(31);
const RECENT = daysAgo(29);

/** An organization whose policy keeps deleted and processed rows 30 days. */
async function org(retentionInterval = '30 days'): Promise<string> {
  const { id } = await insertOrganization(db.db);
  await db.db
    .insertInto('org_policies')
    .values({ org_id: id, retention_interval: retentionInterval })
    .execute();
  return id;
}

const exists = async (table: keyof DB, id: string): Promise<boolean> => {
  const { rows } = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE id = ${id}`.execute(db.db);
  return rows[0]!.n === 1;
};

const purge = () => retention.purgeExpired(NOW);

describe('soft-deleted rows', () => {
  it('go once past their org’s retention; rows inside it and live rows stay', async () => {
    const orgId = await org();
    const rows = {
      oldAircraft: await insertAircraft(db.db, { org_id: orgId, deleted_at: OLD }),
      recentAircraft: await insertAircraft(db.db, { org_id: orgId, deleted_at: RECENT }),
      liveAircraft: await insertAircraft(db.db, { org_id: orgId }),
      oldDefinition: await insertPartDefinition(db.db, { org_id: orgId, deleted_at: OLD }),
      recentDefinition: await insertPartDefinition(db.db, { org_id: orgId, deleted_at: RECENT }),
      oldUser: await insertUser(db.db, { org_id: orgId, deleted_at: OLD }),
      recentUser: await insertUser(db.db, { org_id: orgId, deleted_at: RECENT }),
      oldWebhook: await insertWebhook(db.db, { org_id: orgId, deleted_at: OLD }),
    };
    const plane = rows.liveAircraft.id;
    const more = {
      oldProgram: await insertProgram(db.db, { aircraft_id: plane, deleted_at: OLD }),
      recentProgram: await insertProgram(db.db, { aircraft_id: plane, deleted_at: RECENT }),
      oldTask: await insertTask(db.db, { aircraft_id: plane, deleted_at: OLD }),
      recentTask: await insertTask(db.db, { aircraft_id: plane, deleted_at: RECENT }),
      liveTask: await insertTask(db.db, { aircraft_id: plane }),
      oldItem: await insertPartItem(db.db, { org_id: orgId, deleted_at: OLD }),
    };
    await purge();
    const gone = [
      'oldAircraft',
      'oldDefinition',
      'oldUser',
      'oldWebhook',
      'oldProgram',
      'oldTask',
      'oldItem',
    ];
    const tables: Record<string, keyof DB> = {
      Aircraft: 'aircraft',
      Definition: 'part_definitions',
      User: 'users',
      Webhook: 'webhooks',
      Program: 'maintenance_programs',
      Task: 'maintenance_tasks',
      Item: 'part_items',
    };
    const all = { ...rows, ...more };
    for (const [name, row] of Object.entries(all)) {
      const table = tables[name.replace(/^(old|recent|live)/, '')]!;
      expect(await exists(table, row.id), name).toBe(!gone.includes(name));
    }
  });

  it('follow each org’s own retention interval', async () => {
    const short = await org('7 days');
    const long = await org('365 days');
    const a = await insertAircraft(db.db, { org_id: short, deleted_at: daysAgo(60) });
    const b = await insertAircraft(db.db, { org_id: long, deleted_at: daysAgo(60) });
    await purge();
    expect([await exists('aircraft', a.id), await exists('aircraft', b.id)]).toEqual([false, true]);
  });

  it('stay while a live row still refers to them', async () => {
    const orgId = await org();
    const deletedAircraft = await insertAircraft(db.db, { org_id: orgId, deleted_at: OLD });
    await insertProgram(db.db, { aircraft_id: deletedAircraft.id });
    const plane = await insertAircraft(db.db, { org_id: orgId });
    const deletedProgram = await insertProgram(db.db, { aircraft_id: plane.id, deleted_at: OLD });
    await insertTask(db.db, { aircraft_id: plane.id, program_id: deletedProgram.id });
    const deletedDefinition = await insertPartDefinition(db.db, { org_id: orgId, deleted_at: OLD });
    await insertPartItem(db.db, { part_definition_id: deletedDefinition.id });
    const requiredDefinition = await insertPartDefinition(db.db, { org_id: orgId, deleted_at: OLD });
    await insertTaskPartRequirement(db.db, { part_definition_id: requiredDefinition.id });
    const deletedItem = await insertPartItem(db.db, { org_id: orgId, deleted_at: OLD });
    await insertReservation(db.db, { part_item_id: deletedItem.id });
    const mechanic = await insertUser(db.db, { org_id: orgId, deleted_at: OLD });
    await insertTask(db.db, { org_id: orgId, assigned_mechanic_id: mechanic.id });
    const actor = await insertUser(db.db, { org_id: orgId, deleted_at: OLD });
    await insertAuditLog(db.db, {
      org_id: orgId,
      actor_org_id: orgId,
      user_id: actor.id,
      actor: 'user:mechanic',
    });
    const webhook = await insertWebhook(db.db, { org_id: orgId, deleted_at: OLD });
    await insertWebhookDelivery(db.db, { webhook_id: webhook.id });
    await purge();
    expect(
      await Promise.all([
        exists('aircraft', deletedAircraft.id),
        exists('maintenance_programs', deletedProgram.id),
        exists('part_definitions', deletedDefinition.id),
        exists('part_definitions', requiredDefinition.id),
        exists('part_items', deletedItem.id),
        exists('users', mechanic.id),
        exists('users', actor.id),
        exists('webhooks', webhook.id),
      ]),
    ).toEqual([true, true, true, true, true, true, true, true]);
  });

  it('take a task’s reservations, unsigned compliance items and part requirements with it', async () => {
    const orgId = await org();
    const task = await insertTask(db.db, { org_id: orgId, deleted_at: OLD, state: 'cancelled' });
    const reservation = await insertReservation(db.db, { task_id: task.id, state: 'released' });
    const item = await insertComplianceItem(db.db, { task_id: task.id });
    const requirement = await insertTaskPartRequirement(db.db, { task_id: task.id });
    const removed = await purge();
    expect(
      await Promise.all([
        exists('maintenance_tasks', task.id),
        exists('part_reservations', reservation.id),
        exists('compliance_items', item.id),
        exists('task_part_requirements', requirement.id),
        exists('part_items', reservation.part_item_id),
      ]),
    ).toEqual([false, false, false, false, true]);
    expect(removed.part_reservations).toBeGreaterThanOrEqual(1);
  });

  it('keep a task with a signed-off compliance item: it is a maintenance record', async () => {
    const orgId = await org();
    const signer = await insertUser(db.db, { org_id: orgId });
    const task = await insertTask(db.db, { org_id: orgId, deleted_at: OLD, state: 'completed' });
    const item = await insertComplianceItem(db.db, {
      task_id: task.id,
      result: 'pass',
      sign_off_user_id: signer.id,
      sign_off_time: daysAgo(40),
    });
    await purge();
    expect([await exists('maintenance_tasks', task.id), await exists('compliance_items', item.id)]).toEqual([
      true,
      true,
    ]);
  });

  it('keep the used part reservations of a deleted task, and a completed task: they record what was fitted', async () => {
    const orgId = await org();
    const cancelled = await insertTask(db.db, { org_id: orgId, deleted_at: OLD, state: 'cancelled' });
    const used = await insertReservation(db.db, { task_id: cancelled.id, state: 'used' });
    // Deleted before completed tasks were final.
    const completed = await insertTask(db.db, { org_id: orgId, deleted_at: OLD, state: 'completed' });
    await purge();
    expect(
      await Promise.all([
        exists('maintenance_tasks', cancelled.id),
        exists('part_reservations', used.id),
        exists('part_items', used.part_item_id),
        exists('maintenance_tasks', completed.id),
      ]),
    ).toEqual([true, true, true, true]);
  });

  it('take an aircraft’s recorded flights with it', async () => {
    const orgId = await org();
    const plane = await insertAircraft(db.db, { org_id: orgId, deleted_at: OLD });
    const flight = await insertAircraftUsage(db.db, { aircraft_id: plane.id });
    await purge();
    expect([await exists('aircraft', plane.id), await exists('aircraft_usage', flight.id)]).toEqual([
      false,
      false,
    ]);
  });

  it('never touch the audit log', async () => {
    const orgId = await org();
    const entry = await insertAuditLog(db.db, { org_id: orgId, timestamp: daysAgo(4000) });
    const before = await db.db
      .selectFrom('audit_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .execute();
    await purge();
    const after = await db.db
      .selectFrom('audit_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .execute();
    expect(after).toEqual(before);
    expect(await exists('audit_logs', entry.id)).toBe(true);
  });
});

describe('outbox events and webhook deliveries', () => {
  it('remove finished deliveries past retention, then the processed events no delivery refers to', async () => {
    const orgId = await org();
    const webhook = await insertWebhook(db.db, { org_id: orgId });
    const event = (processedAt: Date, status: 'processed' | 'failed' | 'pending' = 'processed') =>
      insertOutboxEvent(db.db, {
        org_id: orgId,
        status,
        processed_at: status === 'pending' ? null : processedAt,
      });
    const oldEvent = await event(OLD);
    const oldDelivered = await insertWebhookDelivery(db.db, {
      webhook_id: webhook.id,
      event_id: oldEvent.id,
      status: 'delivered',
      delivered_at: OLD,
    });
    const heldEvent = await event(OLD);
    const pending = await insertWebhookDelivery(db.db, { webhook_id: webhook.id, event_id: heldEvent.id });
    const recentEvent = await event(RECENT);
    const failedEvent = await event(OLD, 'failed');
    const pendingEvent = await insertOutboxEvent(db.db, { org_id: orgId, created_at: OLD });
    const failedDelivery = await insertWebhookDelivery(db.db, {
      webhook_id: webhook.id,
      event_id: (await event(OLD)).id,
      status: 'failed',
    });
    await db.db
      .updateTable('webhook_deliveries')
      .set({ updated_at: OLD })
      .where('id', '=', failedDelivery.id)
      .execute();
    await purge();
    expect(
      await Promise.all([
        exists('webhook_deliveries', oldDelivered.id),
        exists('outbox_events', oldEvent.id),
        exists('webhook_deliveries', pending.id),
        exists('outbox_events', heldEvent.id),
        exists('outbox_events', recentEvent.id),
        exists('outbox_events', failedEvent.id),
        exists('outbox_events', pendingEvent.id),
        exists('webhook_deliveries', failedDelivery.id),
        exists('outbox_events', failedDelivery.event_id),
      ]),
    ).toEqual([false, false, true, true, true, true, true, false, false]);
  });

  it('remove a deleted webhook with its finished history once it is past retention', async () => {
    const orgId = await org();
    const webhook = await insertWebhook(db.db, { org_id: orgId, deleted_at: OLD });
    const delivery = await insertWebhookDelivery(db.db, {
      webhook_id: webhook.id,
      status: 'delivered',
      delivered_at: RECENT,
    });
    await purge();
    expect([await exists('webhooks', webhook.id), await exists('webhook_deliveries', delivery.id)]).toEqual([
      false,
      false,
    ]);
  });
});

describe('the worker job', () => {
  it('also removes expired idempotency keys and reports the count of every table', async () => {
    const orgId = await org();
    const user = await insertUser(db.db, { org_id: orgId });
    await db.db
      .insertInto('idempotency_keys')
      .values({
        org_id: orgId,
        user_id: user.id,
        key: 'k',
        endpoint: 'POST /api/v1/aircraft',
        request_hash: 'h',
        expires_at: daysAgo(1),
      })
      .execute();
    await insertAircraft(db.db, { org_id: orgId, deleted_at: OLD });
    const job = retentionCleanerJob(retention, new PgIdempotencyStore(db.db), {
      everyMs: DAY,
      now: () => NOW,
    });
    expect(job).toMatchObject({ name: 'retention-cleaner', runAtStart: true, schedule: { everyMs: DAY } });
    const outcome = await job.run();
    expect(outcome).toMatch(/aircraft=1\b/);
    expect(outcome).toMatch(/idempotency_keys=1\b/);
    expect(await job.run()).toMatch(/^removed (\w+=0, )+idempotency_keys=0$/);
  });

  it('works through more rows than one batch in short statements', async () => {
    const orgId = await org();
    const planes = [];
    for (let i = 0; i < 5; i += 1)
      planes.push(await insertAircraft(db.db, { org_id: orgId, deleted_at: OLD }));
    const removed = await new PgRetentionRepository(db.db, 2).purgeExpired(NOW);
    expect(removed.aircraft).toBeGreaterThanOrEqual(5);
    for (const plane of planes) expect(await exists('aircraft', plane.id)).toBe(false);
  });
});

describe('imports', () => {
  /** An import of `orgId` in `status`, finished at `finishedAt`, with `rows` staged rows. */
  async function importWith(
    orgId: string,
    status: 'completed' | 'failed' | 'applying',
    finishedAt: Date | null,
    rows = 3,
  ) {
    const imp = await insertImport(db.db, { org_id: orgId, status, finished_at: finishedAt });
    for (let n = 1; n <= rows; n += 1) {
      await db.db
        .insertInto('import_rows')
        .values({
          org_id: orgId,
          import_id: imp.id,
          row_number: n,
          raw: JSON.stringify({ tail_number: `N${n}` }),
        })
        .execute();
    }
    return imp;
  }

  const stagedRows = async (importId: string) => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM import_rows WHERE import_id = ${importId}`.execute(db.db);
    return rows[0]!.n;
  };

  it('remove a finished import with its staged rows once past retention; recent and running ones stay', async () => {
    const orgId = await org();
    const completed = await importWith(orgId, 'completed', OLD);
    const failed = await importWith(orgId, 'failed', OLD);
    const recent = await importWith(orgId, 'completed', RECENT);
    const running = await importWith(orgId, 'applying', null);
    const removed = await purge();
    for (const gone of [completed, failed]) {
      expect(await exists('imports', gone.id)).toBe(false);
      expect(await stagedRows(gone.id)).toBe(0);
    }
    for (const kept of [recent, running]) {
      expect(await exists('imports', kept.id)).toBe(true);
      expect(await stagedRows(kept.id)).toBe(3);
    }
    expect(removed.imports).toBeGreaterThanOrEqual(2);
    expect(removed.import_rows).toBeGreaterThanOrEqual(6);
  });

  it('empty a large import in batches before removing it', async () => {
    const small = new PgRetentionRepository(db.db, 2);
    const orgId = await org();
    const imp = await importWith(orgId, 'completed', OLD, 5);
    await small.purgeExpired(NOW);
    expect(await exists('imports', imp.id)).toBe(false);
    expect(await stagedRows(imp.id)).toBe(0);
  });

  it("keep a deleted user who owned an API key: the key's audit rows name them", async () => {
    const orgId = await org();
    const user = await insertUser(db.db, { org_id: orgId, deleted_at: OLD });
    await insertApiKey(db.db, { org_id: orgId, created_by: user.id, revoked_at: OLD });
    await purge();
    expect(await exists('users', user.id)).toBe(true);
  });

  it('keep a deleted admin who verified a certification or logged hours in another organization', async () => {
    const adminOrg = await org();
    const tenantOrg = await org();
    const verifier = await insertUser(db.db, { org_id: adminOrg, role: 'admin', deleted_at: OLD });
    const author = await insertUser(db.db, { org_id: adminOrg, role: 'admin', deleted_at: OLD });
    await insertEmployeeCertification(db.db, {
      org_id: tenantOrg,
      verified_by_org_id: adminOrg,
      verified_by: verifier.id,
      verified_at: OLD,
    });
    await insertRecencyEntry(db.db, {
      org_id: tenantOrg,
      created_by_org_id: adminOrg,
      created_by: author.id,
    });
    await purge();
    expect(await exists('users', verifier.id)).toBe(true);
    expect(await exists('users', author.id)).toBe(true);
  });

  it('let the importing user go once the imports that name them are gone', async () => {
    const orgId = await org();
    const user = await insertUser(db.db, { org_id: orgId, deleted_at: OLD });
    await insertImport(db.db, { org_id: orgId, created_by: user.id, status: 'completed', finished_at: OLD });
    await purge();
    expect(await exists('users', user.id)).toBe(false);
  });
});

describe('directives', () => {
  const typesOf = async (directiveId: string) =>
    (
      await db.db
        .selectFrom('directive_aircraft_types')
        .select('aircraft_type_id')
        .where('directive_id', '=', directiveId)
        .execute()
    ).length;

  it('remove a deleted directive never tracked on an aircraft, with its aircraft types, once past retention', async () => {
    const orgId = await org();
    const old = await insertDirective(db.db, { org_id: orgId, deleted_at: OLD });
    const recent = await insertDirective(db.db, { org_id: orgId, deleted_at: RECENT });
    const live = await insertDirective(db.db, { org_id: orgId });
    const removed = await purge();
    expect(
      await Promise.all([
        exists('directives', old.id),
        exists('directives', recent.id),
        exists('directives', live.id),
      ]),
    ).toEqual([false, true, true]);
    expect([await typesOf(old.id), await typesOf(recent.id)]).toEqual([0, 1]);
    expect(removed.directives).toBeGreaterThanOrEqual(1);
  });

  it('keep a deleted directive tracked on an aircraft, its tracking row and its compliance records', async () => {
    const orgId = await org();
    const directive = await insertDirective(db.db, { org_id: orgId, deleted_at: OLD });
    const tracked = await insertAircraftDirective(db.db, { org_id: orgId, directive_id: directive.id });
    const record = await insertComplianceRecord(db.db, { aircraft_directive_id: tracked.id });
    await purge();
    expect(
      await Promise.all([
        exists('directives', directive.id),
        exists('aircraft_directives', tracked.id),
        exists('directive_compliance_records', record.id),
      ]),
    ).toEqual([true, true, true]);
    expect(await typesOf(directive.id)).toBe(1);
  });

  it('keep a deleted directive a task complies with, or that another directive is superseded by', async () => {
    const orgId = await org();
    const named = await insertDirective(db.db, { org_id: orgId, deleted_at: OLD });
    await insertTask(db.db, { org_id: orgId, directive_id: named.id });
    const successor = await insertDirective(db.db, { org_id: orgId, deleted_at: OLD });
    await insertDirective(db.db, { org_id: orgId, status: 'superseded', superseded_by: successor.id });
    await purge();
    expect([await exists('directives', named.id), await exists('directives', successor.id)]).toEqual([
      true,
      true,
    ]);
  });

  it('let a deleted directive go once the deleted task that named it is gone', async () => {
    const orgId = await org();
    const directive = await insertDirective(db.db, { org_id: orgId, deleted_at: OLD });
    const task = await insertTask(db.db, {
      org_id: orgId,
      directive_id: directive.id,
      state: 'cancelled',
      deleted_at: OLD,
    });
    await purge();
    expect([await exists('maintenance_tasks', task.id), await exists('directives', directive.id)]).toEqual([
      false,
      false,
    ]);
  });

  it('keep a deleted aircraft and deleted tasks that directive tracking or compliance refers to', async () => {
    const orgId = await org();
    const plane = await insertAircraft(db.db, { org_id: orgId });
    const booked = await insertTask(db.db, { aircraft_id: plane.id, state: 'cancelled' });
    const worked = await insertTask(db.db, { aircraft_id: plane.id, state: 'cancelled' });
    const tracked = await insertAircraftDirective(db.db, {
      org_id: orgId,
      aircraft_id: plane.id,
      task_id: booked.id,
    });
    await insertComplianceRecord(db.db, { aircraft_directive_id: tracked.id, task_id: worked.id });
    for (const [table, id] of [
      ['maintenance_tasks', booked.id],
      ['maintenance_tasks', worked.id],
      ['aircraft', plane.id],
    ] as const) {
      await db.db.updateTable(table).set({ deleted_at: OLD }).where('id', '=', id).execute();
    }
    await purge();
    expect(
      await Promise.all([
        exists('aircraft', plane.id),
        exists('maintenance_tasks', booked.id),
        exists('maintenance_tasks', worked.id),
      ]),
    ).toEqual([true, true, true]);
  });

  it('keep a deleted aircraft named only by a compliance record', async () => {
    const orgId = await org();
    const tracked = await insertAircraftDirective(db.db, { org_id: orgId });
    const elsewhere = await insertAircraft(db.db, { org_id: orgId, deleted_at: OLD });
    await insertComplianceRecord(db.db, { aircraft_directive_id: tracked.id, aircraft_id: elsewhere.id });
    await purge();
    expect(await exists('aircraft', elsewhere.id)).toBe(true);
  });

  it('keep deleted users who signed a compliance record or changed a directive’s status on an aircraft', async () => {
    const orgId = await org();
    const signer = await insertUser(db.db, { org_id: orgId });
    const changer = await insertUser(db.db, { org_id: orgId });
    const tracked = await insertAircraftDirective(db.db, {
      org_id: orgId,
      status: 'not_applicable',
      status_reason: 'Modification already embodied',
      status_changed_by: changer.id,
      status_changed_by_org_id: orgId,
    });
    await insertComplianceRecord(db.db, { aircraft_directive_id: tracked.id, signed_by: signer.id });
    await db.db
      .updateTable('users')
      .set({ deleted_at: OLD })
      .where('id', 'in', [signer.id, changer.id])
      .execute();
    await purge();
    expect([await exists('users', signer.id), await exists('users', changer.id)]).toEqual([true, true]);
  });

  it('remove resolved alerts past retention; open and recently resolved ones stay, and so do their people', async () => {
    const orgId = await org();
    const mechanic = await insertUser(db.db, { org_id: orgId, deleted_at: OLD });
    const resolver = await insertUser(db.db, { org_id: orgId, deleted_at: OLD });
    const resolvedBy = { resolved_by: resolver.id, resolved_by_org_id: orgId };
    const old = await insertAlert(db.db, { org_id: orgId, resolved_at: OLD, resolved_automatically: true });
    const recent = await insertAlert(db.db, { org_id: orgId, resolved_at: RECENT, ...resolvedBy });
    const open = await insertAlert(db.db, { org_id: orgId, raised_at: daysAgo(400), user_id: mechanic.id });
    await purge();
    expect(
      await Promise.all([
        exists('alerts', old.id),
        exists('alerts', recent.id),
        exists('alerts', open.id),
        exists('users', mechanic.id),
        exists('users', resolver.id),
      ]),
    ).toEqual([false, true, true, true, true]);
  });

  it('remove a deleted registration once past retention; a recent one stays', async () => {
    const orgId = await org();
    const old = await insertRegistration(db.db, { org_id: orgId, deleted_at: OLD });
    const recent = await insertRegistration(db.db, { org_id: orgId, deleted_at: RECENT });
    const live = await insertRegistration(db.db, { org_id: orgId });
    await purge();
    expect(
      await Promise.all([
        exists('organization_registrations', old.id),
        exists('organization_registrations', recent.id),
        exists('organization_registrations', live.id),
      ]),
    ).toEqual([false, true, true]);
  });
});

describe('foreign keys', () => {
  it('every foreign key into a purged table is handled, so a purge never breaks one', async () => {
    const { rows } = await sql<{ target: string; name: string }>`
      SELECT confrelid::regclass::text AS target, conname AS name
        FROM pg_constraint
       WHERE contype = 'f' AND confdeltype IN ('a', 'r')
         AND confrelid::regclass::text = ANY(${Object.keys(REFERENCES_HANDLED)})`.execute(db.db);
    const inDb: Record<string, string[]> = {};
    for (const row of rows) (inDb[row.target] ??= []).push(row.name);
    for (const [table, handled] of Object.entries(REFERENCES_HANDLED)) {
      expect((inDb[table] ?? []).sort(), table).toEqual(Object.keys(handled).sort());
    }
  });
});
