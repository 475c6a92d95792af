import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialDue, type ComplianceLimit } from '../../src/domain/directive.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertAircraftUsage } from '../support/factories.js';
import { authorityId, insertComplianceRecord, insertDirective } from '../support/directive-factories.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
import {
  auditRowsFor,
  eventsFor,
  importStorageDir,
  testImportProcessor,
  uploadCsv,
} from '../support/imports.js';

let t: TestApp;
let a20n: string;
let b738: string;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_STORAGE_DIR: await importStorageDir() });
  a20n = await aircraftTypeId(t.db.db, 'A20N');
  b738 = await aircraftTypeId(t.db.db, 'B738');
});
afterAll(async () => {
  await t.close();
});

const unique = () => randomUUID().slice(0, 6).toUpperCase();

/** A fresh organization with a tenant_admin and a scheduler signed in. */
async function fleet() {
  const org = await t.createOrg();
  return {
    orgId: org.id,
    admin: await t.tokenFor(await t.createUser(org.id, 'tenant_admin')),
    scheduler: await t.tokenFor(await t.createUser(org.id, 'scheduler')),
  };
}

const aircraft = (orgId: string, fields: Parameters<typeof insertAircraft>[1] = {}) =>
  insertAircraft(t.db.db, { org_id: orgId, aircraft_type_id: a20n, tail_number: `N${unique()}`, ...fields });

async function scan(token: string, directiveId: string) {
  return t.request(token, 'POST', `/api/v1/directives/${directiveId}/scan-fleet`);
}

/** The tracking rows of a directive, by aircraft id. */
async function tracked(directiveId: string) {
  const rows = await t.db.db
    .selectFrom('aircraft_directives')
    .selectAll()
    .where('directive_id', '=', directiveId)
    .execute();
  return new Map(rows.map((row) => [row.aircraft_id, row]));
}

describe('scanning the fleet for a directive', () => {
  it('tracks the live aircraft of its types only, answering the counts, with one audit row and a directive_fleet_scanned event', async () => {
    const { orgId, scheduler } = await fleet();
    const a = await aircraft(orgId);
    const b = await aircraft(orgId);
    await aircraft(orgId, { aircraft_type_id: b738 });
    await aircraft(orgId, { aircraft_type_id: null });
    await aircraft(orgId, { deleted_at: new Date() });
    await aircraft((await t.createOrg()).id);
    const directive = await insertDirective(t.db.db, { org_id: orgId });

    const response = await scan(scheduler, directive.id);

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ applicable: 2, newly_tracked: 2, already_tracked: 0 });
    expect([...(await tracked(directive.id)).keys()].sort()).toEqual([a.id, b.id].sort());
    const events = await eventsFor(t, orgId, 'directive_fleet_scanned');
    expect(events.map((e) => (e.payload as { data: object }).data)).toEqual([
      expect.objectContaining({
        directive_id: directive.id,
        applicable: 2,
        newly_tracked: 2,
        already_tracked: 0,
      }),
    ]);
    expect((await auditRowsFor(t, orgId, 'directive')).map((r) => r.entity_id)).toEqual([directive.id]);
  });

  it('narrows by tail numbers when the directive lists them', async () => {
    const { orgId, scheduler } = await fleet();
    const listed = await aircraft(orgId);
    await aircraft(orgId);
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      applicable_tail_numbers: [listed.tail_number, 'N-NOT-HERE'],
    });

    expect((await scan(scheduler, directive.id)).json()).toEqual({
      applicable: 1,
      newly_tracked: 1,
      already_tracked: 0,
    });
    expect([...(await tracked(directive.id)).keys()]).toEqual([listed.id]);
  });

  it('narrows by serial range in natural order (999 before 1000), leaving out aircraft without a serial number', async () => {
    const { orgId, scheduler } = await fleet();
    const serials = ['998', '999', '1000', '1001', '10000', null];
    const fleetBySerial = new Map<string | null, string>();
    for (const serial of serials)
      fleetBySerial.set(serial, (await aircraft(orgId, { serial_number: serial })).id);
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      serial_from: '999',
      serial_to: '1001',
    });

    await scan(scheduler, directive.id);

    const ids = [...(await tracked(directive.id)).keys()].sort();
    expect(ids).toEqual(['999', '1000', '1001'].map((s) => fleetBySerial.get(s)!).sort());
  });

  it('is idempotent: a rescan tracks nothing twice and leaves the rows as they were', async () => {
    const { orgId, scheduler } = await fleet();
    await aircraft(orgId);
    await aircraft(orgId);
    const directive = await insertDirective(t.db.db, { org_id: orgId });
    await scan(scheduler, directive.id);
    const before = await tracked(directive.id);
    await aircraft(orgId);

    const again = await scan(scheduler, directive.id);

    expect(again.json()).toEqual({ applicable: 3, newly_tracked: 1, already_tracked: 2 });
    const after = await tracked(directive.id);
    for (const [id, row] of before) expect(after.get(id)).toEqual(row);
  });

  it('tracks each aircraft once when two scans run at once', async () => {
    const { orgId, scheduler, admin } = await fleet();
    for (let i = 0; i < 20; i += 1) await aircraft(orgId);
    const directive = await insertDirective(t.db.db, { org_id: orgId });

    const answers = (await Promise.all([scan(scheduler, directive.id), scan(admin, directive.id)])).map((r) =>
      r.json<{ applicable: number; newly_tracked: number; already_tracked: number }>(),
    );

    expect(answers.map((a) => a.applicable)).toEqual([20, 20]);
    expect(answers[0]!.newly_tracked + answers[1]!.newly_tracked).toBe(20);
    const rows = await t.db.db
      .selectFrom('aircraft_directives')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('directive_id', '=', directive.id)
      .executeTakeFirstOrThrow();
    expect(Number(rows.count)).toBe(20);
  });

  it('refuses a cancelled or superseded directive with 409 DIRECTIVE_NOT_ACTIVE and a deleted one with 404', async () => {
    const { orgId, scheduler } = await fleet();
    await aircraft(orgId);
    const cancelled = await insertDirective(t.db.db, { org_id: orgId, status: 'cancelled' });
    const deleted = await insertDirective(t.db.db, { org_id: orgId, deleted_at: new Date() });

    const refused = await scan(scheduler, cancelled.id);
    const gone = await scan(scheduler, deleted.id);

    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ reason: 'DIRECTIVE_NOT_ACTIVE' });
    expect(gone.statusCode).toBe(404);
    expect((await tracked(cancelled.id)).size).toBe(0);
  });
});

describe('the baseline and the first due of a tracked aircraft', () => {
  const LIMITS: [string, Partial<ComplianceLimit>, string][] = [
    ['30 days', { days: 30 }, '2024-01-31'],
    ['30 days across a leap February', { days: 30 }, '2024-02-15'],
    ['a date before the days run out', { date: '2024-02-10', days: 60 }, '2024-01-15'],
    ['days before the date', { date: '2024-12-31', days: 10 }, '2024-02-28'],
    ['hours and cycles', { flightHours: 600.25, cycles: 300 }, '2024-03-01'],
    ['everything at once', { date: '2025-01-01', days: 365, flightHours: 1000, cycles: 500 }, '2024-02-29'],
  ];

  it.each(LIMITS)('is what initialDue computes for %s', async (_name, given, effectiveDate) => {
    const { orgId, scheduler } = await fleet();
    const plane = await aircraft(orgId, { flight_hours_total: 1234.5, cycles_total: 678 });
    const limit: ComplianceLimit = { date: null, days: null, flightHours: null, cycles: null, ...given };
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      effective_date: effectiveDate,
      limit_date: limit.date,
      limit_days: limit.days,
      limit_flight_hours: limit.flightHours,
      limit_cycles: limit.cycles,
    });

    await scan(scheduler, directive.id);

    const row = (await tracked(directive.id)).get(plane.id)!;
    const due = initialDue(limit, { date: effectiveDate, flightHours: 1234.5, cycles: 678 });
    expect({
      date: row.next_due_date,
      flightHours: row.next_due_flight_hours === null ? null : Number(row.next_due_flight_hours),
      cycles: row.next_due_cycles,
    }).toEqual(due);
    expect(row).toMatchObject({ status: 'pending', baseline_date: effectiveDate, baseline_cycles: 678 });
  });

  it('counts from the aircraft’s counters at the effective date: today’s minus the flights recorded since', async () => {
    const { orgId, scheduler } = await fleet();
    const plane = await aircraft(orgId, { flight_hours_total: 1000, cycles_total: 500 });
    await insertAircraftUsage(t.db.db, {
      aircraft_id: plane.id,
      flight_hours: 99,
      cycles: 9,
      recorded_at: new Date('2025-05-31T23:59:59Z'),
    });
    await insertAircraftUsage(t.db.db, {
      aircraft_id: plane.id,
      flight_hours: 100,
      cycles: 40,
      recorded_at: new Date('2025-06-01T00:00:00Z'),
    });
    await insertAircraftUsage(t.db.db, {
      aircraft_id: plane.id,
      flight_hours: 50.5,
      cycles: 10,
      recorded_at: new Date('2025-07-01T10:00:00Z'),
    });
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      effective_date: '2025-06-01',
      limit_days: null,
      limit_flight_hours: 200,
      limit_cycles: 100,
    });

    await scan(scheduler, directive.id);

    expect((await tracked(directive.id)).get(plane.id)).toMatchObject({
      baseline_date: '2025-06-01',
      baseline_flight_hours: '849.50',
      baseline_cycles: 450,
      next_due_flight_hours: '1049.50',
      next_due_cycles: 550,
    });
  });

  it('takes the current counters for a directive effective in the future, and never counts below zero', async () => {
    const { orgId, scheduler } = await fleet();
    const plane = await aircraft(orgId, { flight_hours_total: 320, cycles_total: 80 });
    const young = await aircraft(orgId, { flight_hours_total: 5, cycles_total: 1 });
    await insertAircraftUsage(t.db.db, {
      aircraft_id: young.id,
      flight_hours: 50,
      cycles: 10,
      recorded_at: new Date(),
    });
    const future = await insertDirective(t.db.db, { org_id: orgId, effective_date: '2099-01-01' });
    const past = await insertDirective(t.db.db, { org_id: orgId, effective_date: '2000-01-01' });

    await scan(scheduler, future.id);
    await scan(scheduler, past.id);

    expect((await tracked(future.id)).get(plane.id)).toMatchObject({
      baseline_flight_hours: '320.00',
      baseline_cycles: 80,
    });
    expect((await tracked(past.id)).get(young.id)).toMatchObject({
      baseline_flight_hours: '0.00',
      baseline_cycles: 0,
    });
  });
});

describe('aircraft that come under a directive later', () => {
  it('are tracked when created through the API, and when given a type, tail or serial number it applies to', async () => {
    const { orgId, scheduler } = await fleet();
    const directive = await insertDirective(t.db.db, { org_id: orgId, serial_from: '500', serial_to: '600' });
    const cancelled = await insertDirective(t.db.db, { org_id: orgId, status: 'cancelled' });

    const created = await t.request(scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: `N${unique()}`,
      model: 'A320neo',
      aircraft_type_id: a20n,
      serial_number: '550',
    });
    const other = await t.request(scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: `N${unique()}`,
      model: '737-800',
      aircraft_type_id: b738,
    });
    const otherId = other.json<{ id: string }>().id;
    expect((await tracked(directive.id)).has(otherId)).toBe(false);
    const changed = await t.request(scheduler, 'PATCH', `/api/v1/aircraft/${otherId}`, {
      aircraft_type_id: a20n,
      serial_number: '600',
    });

    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ serial_number: '550' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect([...(await tracked(directive.id)).keys()].sort()).toEqual(
      [created.json<{ id: string }>().id, otherId].sort(),
    );
    expect((await tracked(cancelled.id)).size).toBe(0);
  });

  it('are tracked when a CSV import creates them (the batch insert) or changes their serial number', async () => {
    const { orgId, scheduler } = await fleet();
    const existing = await aircraft(orgId, { serial_number: '1' });
    const directive = await insertDirective(t.db.db, { org_id: orgId, serial_from: '100', serial_to: '199' });
    const tails = [`N${unique()}`, `N${unique()}`];
    const csv = [
      'tail_number,model,aircraft_type,serial_number',
      `${tails[0]},A320neo,A20N,150`,
      `${tails[1]},A320neo,A20N,250`,
      `${existing.tail_number},A320,A20N,199`,
    ].join('\n');

    const upload = await uploadCsv(t, scheduler, 'aircraft', csv);
    await testImportProcessor(t).processNext(upload.json<{ id: string }>().id);

    const ids = await t.db.db
      .selectFrom('aircraft')
      .select(['id', 'tail_number', 'serial_number'])
      .where('org_id', '=', orgId)
      .execute();
    const byTail = new Map(ids.map((a) => [a.tail_number, a]));
    expect(byTail.get(tails[0]!)?.serial_number).toBe('150');
    expect([...(await tracked(directive.id)).keys()].sort()).toEqual(
      [byTail.get(tails[0]!)!.id, existing.id].sort(),
    );
  });
});

describe('changing a tracked directive', () => {
  it('moves the due of rows never complied with, from their baseline, and leaves complied rows alone', async () => {
    const { orgId, scheduler, admin } = await fleet();
    const open = await aircraft(orgId);
    const done = await aircraft(orgId);
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      effective_date: '2025-01-01',
      limit_days: 30,
    });
    await scan(scheduler, directive.id);
    const doneRow = (await tracked(directive.id)).get(done.id)!;
    const record = await insertComplianceRecord(t.db.db, { aircraft_directive_id: doneRow.id });
    await t.db.db
      .updateTable('aircraft_directives')
      .set({ status: 'complied', last_compliance_id: record.id, next_due_date: null })
      .where('id', '=', doneRow.id)
      .execute();

    const response = await t.request(admin, 'PATCH', `/api/v1/directives/${directive.id}`, {
      limit: { days: 90, cycles: 100 },
    });

    expect(response.statusCode, response.body).toBe(200);
    const rows = await tracked(directive.id);
    expect(rows.get(open.id)).toMatchObject({
      next_due_date: '2025-04-01',
      next_due_cycles: 100,
      status: 'pending',
    });
    expect(rows.get(done.id)).toMatchObject({
      status: 'complied',
      next_due_date: null,
      next_due_cycles: null,
    });
  });

  it('moves the due of booked and deferred rows too, and tells each overdue row it brings back to pending', async () => {
    const { orgId, scheduler, admin } = await fleet();
    const [booked, deferred, late] = [await aircraft(orgId), await aircraft(orgId), await aircraft(orgId)];
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      effective_date: '2025-01-01',
      limit_days: 30,
    });
    await scan(scheduler, directive.id);
    const before = await tracked(directive.id);
    const set = (id: string, fields: Record<string, unknown>) =>
      t.db.db.updateTable('aircraft_directives').set(fields).where('id', '=', id).execute();
    await set(before.get(booked.id)!.id, { status: 'in_progress' });
    await set(before.get(deferred.id)!.id, {
      status: 'deferred',
      status_reason: 'parts on order',
      deferred_until_date: '2099-01-01',
    });
    await set(before.get(late.id)!.id, { status: 'overdue' });

    const response = await t.request(admin, 'PATCH', `/api/v1/directives/${directive.id}`, {
      limit: { date: '2099-06-01' },
    });

    expect(response.statusCode, response.body).toBe(200);
    const rows = await tracked(directive.id);
    expect(rows.get(booked.id)).toMatchObject({ status: 'in_progress', next_due_date: '2099-06-01' });
    expect(rows.get(deferred.id)).toMatchObject({
      status: 'deferred',
      next_due_date: '2099-06-01',
      deferred_until_date: '2099-01-01',
    });
    expect(rows.get(late.id)).toMatchObject({ status: 'pending', next_due_date: '2099-06-01' });
    const events = await eventsFor(t, orgId, 'directive_status_changed');
    expect(events.map((e) => e.aggregate_id)).toEqual([rows.get(late.id)!.id]);
    expect(events[0]!.payload).toMatchObject({
      data: { previous_status: 'overdue', status: 'pending', reason: 'directive_limit_changed' },
    });
    const audit = await auditRowsFor(t, orgId, 'aircraft_directive');
    expect(audit.map((row) => [row.entity_id, row.action])).toEqual([
      [rows.get(late.id)!.id, 'state_change'],
    ]);
  });

  it('tracks the aircraft a new applicability brings in, keeping the rows of those it no longer names', async () => {
    const { orgId, scheduler, admin } = await fleet();
    const airbus = await aircraft(orgId);
    const boeing = await aircraft(orgId, { aircraft_type_id: b738 });
    const directive = await insertDirective(t.db.db, { org_id: orgId });
    await scan(scheduler, directive.id);

    const response = await t.request(admin, 'PATCH', `/api/v1/directives/${directive.id}`, {
      aircraft_type_ids: [b738],
    });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ tracking: { pending: 2 } });
    expect([...(await tracked(directive.id)).keys()].sort()).toEqual([airbus.id, boeing.id].sort());
  });

  it('keeps its rows as history when cancelled, and tracks no aircraft created afterwards', async () => {
    const { orgId, scheduler, admin } = await fleet();
    const plane = await aircraft(orgId);
    const directive = await insertDirective(t.db.db, {
      org_id: orgId,
      authority_id: await authorityId(t.db.db, 'EASA'),
    });
    await scan(scheduler, directive.id);

    await t.request(admin, 'PATCH', `/api/v1/directives/${directive.id}`, { status: 'cancelled' });
    await t.request(scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: `N${unique()}`,
      model: 'A320neo',
      aircraft_type_id: a20n,
    });

    expect([...(await tracked(directive.id)).keys()]).toEqual([plane.id]);
  });
});

describe('an aircraft’s serial number (MSN)', () => {
  it('is stored trimmed, shown on every view, filtered by exactly, and cleared with null', async () => {
    const { scheduler } = await fleet();
    const created = await t.request(scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: `N${unique()}`,
      model: 'A320neo',
      serial_number: ' 10234 ',
    });
    const { id } = created.json<{ id: string }>();
    await t.request(scheduler, 'POST', '/api/v1/aircraft', { tail_number: `N${unique()}`, model: 'A320neo' });

    const filtered = await t.request(scheduler, 'GET', '/api/v1/aircraft?serial_number=10234');
    const blank = await t.request(scheduler, 'PATCH', `/api/v1/aircraft/${id}`, { serial_number: '   ' });
    const cleared = await t.request(scheduler, 'PATCH', `/api/v1/aircraft/${id}`, { serial_number: null });

    expect(created.json()).toMatchObject({ serial_number: '10234' });
    expect(filtered.json<{ id: string; serial_number: string }[]>()).toEqual([
      expect.objectContaining({ id, serial_number: '10234' }),
    ]);
    expect(blank.statusCode).toBe(400);
    expect(cleared.json()).toMatchObject({ serial_number: null });
  });
});
