import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  insertAircraft,
  insertImport,
  insertOrganization,
  insertOutboxEvent,
  insertPartDefinition,
  insertPartItem,
  insertRefreshToken,
  insertReservation,
  insertUser,
  insertTask,
  insertWebhook,
  rejectionOf,
} from '../support/factories.js';
import {
  authorityId,
  insertAircraftDirective,
  insertComplianceRecord,
  insertDirective,
  insertRegistration,
} from '../support/directive-factories.js';
import { insertAlert } from '../support/alert-factories.js';

let t: TestDatabase;
let org: string;
beforeAll(async () => {
  t = await createTestDatabase();
  org = (await insertOrganization(t.db)).id;
});
afterAll(async () => {
  await t.drop();
});

/** Asserts a 23505 on `constraint` that reaches the caller as a conflict. */
async function expectDuplicate(attempt: Promise<unknown>, constraint: string): Promise<void> {
  const error = await rejectionOf(attempt);
  expect(error).toMatchObject({ code: '23505', constraint });
  const translated = translateDatabaseError(error);
  expect(translated).toBeInstanceOf(AppError);
  expect(translated).toMatchObject({ kind: 'conflict' });
}

describe('unique among live rows, reusable after a soft delete', () => {
  it('organization names are unique regardless of case', async () => {
    await insertOrganization(t.db, { name: 'Blue Sky Airlines' });
    await expectDuplicate(
      insertOrganization(t.db, { name: 'BLUE SKY airlines' }),
      'organizations_name_live_key',
    );
  });

  it('an organization name can be reused after the organization is soft-deleted', async () => {
    const gone = await insertOrganization(t.db, { name: 'Defunct Air' });
    await t.db
      .updateTable('organizations')
      .set({ deleted_at: new Date() })
      .where('id', '=', gone.id)
      .execute();
    await expect(insertOrganization(t.db, { name: 'Defunct Air' })).resolves.toMatchObject({
      name: 'Defunct Air',
    });
  });

  it('a user email is unique in an organization regardless of case', async () => {
    await insertUser(t.db, { org_id: org, email: 'Mech@Example.com' });
    await expectDuplicate(
      insertUser(t.db, { org_id: org, email: 'mech@EXAMPLE.com' }),
      'users_org_id_email_live_key',
    );
  });

  it('the same email may exist in another organization', async () => {
    await insertUser(t.db, { org_id: org, email: 'shared@example.com' });
    const elsewhere = await insertUser(t.db, { email: 'shared@example.com' });
    expect(elsewhere.org_id).not.toBe(org);
  });

  it('an email can be reused after the user is soft-deleted', async () => {
    const gone = await insertUser(t.db, { org_id: org, email: 'leaver@example.com' });
    await t.db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', gone.id).execute();
    const back = await insertUser(t.db, { org_id: org, email: 'LEAVER@example.com' });
    expect(back.id).not.toBe(gone.id);
  });

  it('a tail number is unique in an organization', async () => {
    await insertAircraft(t.db, { org_id: org, tail_number: 'N100A' });
    await expectDuplicate(
      insertAircraft(t.db, { org_id: org, tail_number: 'N100A' }),
      'aircraft_org_id_tail_number_live_key',
    );
  });

  it('a tail number can be reused after the aircraft is soft-deleted', async () => {
    const sold = await insertAircraft(t.db, { org_id: org, tail_number: 'N200B' });
    await t.db.updateTable('aircraft').set({ deleted_at: new Date() }).where('id', '=', sold.id).execute();
    await expect(insertAircraft(t.db, { org_id: org, tail_number: 'N200B' })).resolves.toMatchObject({
      tail_number: 'N200B',
    });
  });

  it('the same tail number may exist in another organization', async () => {
    await insertAircraft(t.db, { org_id: org, tail_number: 'N300C' });
    await expect(insertAircraft(t.db, { tail_number: 'N300C' })).resolves.toMatchObject({
      tail_number: 'N300C',
    });
  });

  it('a part definition name is unique in an organization until it is soft-deleted', async () => {
    const filter = await insertPartDefinition(t.db, { org_id: org, name: 'Oil filter' });
    await expectDuplicate(
      insertPartDefinition(t.db, { org_id: org, name: 'Oil filter' }),
      'part_definitions_org_id_name_live_key',
    );
    await t.db
      .updateTable('part_definitions')
      .set({ deleted_at: new Date() })
      .where('id', '=', filter.id)
      .execute();
    await expect(insertPartDefinition(t.db, { org_id: org, name: 'Oil filter' })).resolves.toBeDefined();
  });

  it('a part serial number is unique in an organization until the item is soft-deleted', async () => {
    const item = await insertPartItem(t.db, { org_id: org, serial_number: 'SN-1' });
    await expectDuplicate(
      insertPartItem(t.db, { org_id: org, serial_number: 'SN-1' }),
      'part_items_org_id_serial_number_live_key',
    );
    await t.db.updateTable('part_items').set({ deleted_at: new Date() }).where('id', '=', item.id).execute();
    await expect(insertPartItem(t.db, { org_id: org, serial_number: 'SN-1' })).resolves.toBeDefined();
  });
});

describe('part reservations', () => {
  it('only one active reservation per part item', async () => {
    const first = await insertReservation(t.db);
    await expectDuplicate(
      insertReservation(t.db, { part_item_id: first.part_item_id }),
      'part_reservations_one_active_per_item',
    );
  });

  it('a released reservation lets the item be reserved again', async () => {
    const first = await insertReservation(t.db);
    await t.db
      .updateTable('part_reservations')
      .set({ state: 'released' })
      .where('id', '=', first.id)
      .execute();
    const again = await insertReservation(t.db, { part_item_id: first.part_item_id });
    expect(again.state).toBe('reserved');
  });

  it('a serialized item can be used only once', async () => {
    const first = await insertReservation(t.db);
    await t.db.updateTable('part_reservations').set({ state: 'used' }).where('id', '=', first.id).execute();
    const second = await insertReservation(t.db, { part_item_id: first.part_item_id });
    await expectDuplicate(
      t.db.updateTable('part_reservations').set({ state: 'used' }).where('id', '=', second.id).execute(),
      'part_reservations_one_use_per_item',
    );
  });
});

describe('events, deliveries and keys', () => {
  it('an outbox event is written once per dedupe key in an organization', async () => {
    await insertOutboxEvent(t.db, { org_id: org, dedupe_key: 'task_created:t1:v1' });
    await expectDuplicate(
      insertOutboxEvent(t.db, { org_id: org, dedupe_key: 'task_created:t1:v1' }),
      'outbox_events_org_id_dedupe_key_key',
    );
  });

  it('the same dedupe key may be used by another organization', async () => {
    await insertOutboxEvent(t.db, { org_id: org, dedupe_key: 'task_created:t2:v1' });
    await expect(insertOutboxEvent(t.db, { dedupe_key: 'task_created:t2:v1' })).resolves.toBeDefined();
  });

  it('an event is delivered to a webhook through one delivery only', async () => {
    const webhook = await insertWebhook(t.db, { org_id: org });
    const event = await insertOutboxEvent(t.db, { org_id: org });
    const delivery = { org_id: org, webhook_id: webhook.id, event_id: event.id };
    await t.db.insertInto('webhook_deliveries').values(delivery).execute();
    await expectDuplicate(
      t.db.insertInto('webhook_deliveries').values(delivery).execute(),
      'webhook_deliveries_webhook_id_event_id_key',
    );
  });

  it('an idempotency key is stored once per user and endpoint', async () => {
    const user = await insertUser(t.db, { org_id: org });
    const key = {
      org_id: org,
      user_id: user.id,
      key: 'k-1',
      endpoint: 'POST /api/v1/aircraft',
      request_hash: 'h1',
      expires_at: new Date(Date.now() + 86_400_000),
    };
    await t.db.insertInto('idempotency_keys').values(key).execute();
    await expectDuplicate(
      t.db
        .insertInto('idempotency_keys')
        .values({ ...key, request_hash: 'h2' })
        .execute(),
      'idempotency_keys_org_id_user_id_key_endpoint_key',
    );
    const otherEndpoint = { ...key, endpoint: 'POST /api/v1/maintenance-tasks' };
    await expect(t.db.insertInto('idempotency_keys').values(otherEndpoint).execute()).resolves.toBeDefined();
  });

  it('a refresh token hash is stored only once', async () => {
    const token = await insertRefreshToken(t.db, { org_id: org });
    await expectDuplicate(
      insertRefreshToken(t.db, { token_hash: token.token_hash }),
      'refresh_tokens_token_hash_key',
    );
  });

  it('a CSV row number appears once per import', async () => {
    const job = await insertImport(t.db, { org_id: org });
    const row = { org_id: org, import_id: job.id, row_number: 1, raw: '{"tail_number":"N1"}' };
    await t.db.insertInto('import_rows').values(row).execute();
    await expectDuplicate(
      t.db.insertInto('import_rows').values(row).execute(),
      'import_rows_org_id_import_id_row_number_key',
    );
  });
});

describe('airworthiness directives', () => {
  it('a directive reference number is unique per organization and authority among live directives', async () => {
    await insertDirective(t.db, { org_id: org, reference_number: '2025-02-51' });
    await expectDuplicate(
      insertDirective(t.db, { org_id: org, reference_number: '2025-02-51' }),
      'directives_org_id_authority_reference_live_key',
    );
  });

  it('the same reference number may come from another authority or belong to another organization', async () => {
    await insertDirective(t.db, { org_id: org, reference_number: '2025-0123' });
    const easa = await insertDirective(t.db, {
      org_id: org,
      reference_number: '2025-0123',
      authority_id: await authorityId(t.db, 'EASA'),
    });
    const elsewhere = await insertDirective(t.db, { reference_number: '2025-0123' });
    expect([easa.reference_number, elsewhere.reference_number]).toEqual(['2025-0123', '2025-0123']);
  });

  it('a soft-deleted directive frees its reference number', async () => {
    const withdrawn = await insertDirective(t.db, { org_id: org, reference_number: '2025-07-01' });
    await t.db
      .updateTable('directives')
      .set({ deleted_at: new Date() })
      .where('id', '=', withdrawn.id)
      .execute();
    const again = await insertDirective(t.db, { org_id: org, reference_number: '2025-07-01' });
    expect(again.id).not.toBe(withdrawn.id);
  });

  it('a registration is recorded once per authority, approval type and certificate number until soft-deleted', async () => {
    const certificate = { org_id: org, approval_type: 'Part-145', certificate_number: 'US.145.0001' };
    const first = await insertRegistration(t.db, certificate);
    await expectDuplicate(
      insertRegistration(t.db, certificate),
      'organization_registrations_certificate_live_key',
    );
    await expect(insertRegistration(t.db, { ...certificate, approval_type: 'AOC' })).resolves.toBeDefined();
    await t.db
      .updateTable('organization_registrations')
      .set({ deleted_at: new Date() })
      .where('id', '=', first.id)
      .execute();
    await expect(insertRegistration(t.db, certificate)).resolves.toBeDefined();
  });

  it('a directive is tracked once per aircraft', async () => {
    const first = await insertAircraftDirective(t.db, { org_id: org });
    await expectDuplicate(
      insertAircraftDirective(t.db, {
        org_id: org,
        aircraft_id: first.aircraft_id,
        directive_id: first.directive_id,
      }),
      'aircraft_directives_org_id_directive_id_aircraft_id_key',
    );
  });

  it('a task complies with a directive on its aircraft once; compliance without a task may repeat', async () => {
    const tracking = await insertAircraftDirective(t.db, { org_id: org });
    const task = await insertTask(t.db, { aircraft_id: tracking.aircraft_id });
    await insertComplianceRecord(t.db, { aircraft_directive_id: tracking.id, task_id: task.id });
    await expectDuplicate(
      insertComplianceRecord(t.db, { aircraft_directive_id: tracking.id, task_id: task.id }),
      'directive_compliance_records_org_id_task_id_key',
    );
    await insertComplianceRecord(t.db, { aircraft_directive_id: tracking.id });
    await expect(insertComplianceRecord(t.db, { aircraft_directive_id: tracking.id })).resolves.toBeDefined();
  });

  it('an authority code is unique', async () => {
    await expectDuplicate(
      t.db
        .insertInto('regulatory_authorities')
        .values({ code: 'FAA', name: 'Another FAA', record_retention_years: 2 })
        .execute(),
      'regulatory_authorities_code_key',
    );
  });
});

describe('alerts', () => {
  it('a condition has one open alert; once resolved it may be raised again', async () => {
    const first = await insertAlert(t.db, { org_id: org });
    const same = {
      org_id: org,
      category: first.category,
      entity_type: first.entity_type,
      entity_id: first.entity_id,
    };
    await expectDuplicate(insertAlert(t.db, same), 'alerts_org_id_open_condition_key');
    await t.db
      .updateTable('alerts')
      .set({ resolved_at: new Date(), resolved_automatically: true })
      .where('id', '=', first.id)
      .execute();
    const again = await insertAlert(t.db, same);
    expect(again.id).not.toBe(first.id);
  });

  it('another category about the same entity is another alert', async () => {
    const expiring = await insertAlert(t.db, { org_id: org });
    const expired = await insertAlert(t.db, {
      org_id: org,
      category: 'certification_expired',
      entity_id: expiring.entity_id,
    });
    expect(expired.id).not.toBe(expiring.id);
  });
});
