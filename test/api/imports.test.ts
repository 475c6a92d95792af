import { access } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import {
  auditRowsFor,
  eventsFor,
  exampleCsv,
  importStorageDir,
  testImportProcessor,
  uploadCsv,
  type ImportJson,
  type ImportRowJson,
} from '../support/imports.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let scheduler: string;
let otherScheduler: string;
let processor: ReturnType<typeof testImportProcessor>;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_STORAGE_DIR: await importStorageDir() });
  home = await t.createOrg();
  other = await t.createOrg();
  scheduler = await t.tokenFor(await t.createUser(home.id, 'scheduler'));
  otherScheduler = await t.tokenFor(await t.createUser(other.id, 'scheduler'));
  processor = testImportProcessor(t);
});
afterAll(async () => {
  await t.close();
});

/** Uploads a file and runs the processor on it until it has finished. */
async function importFile(type: string, csv: string, token = scheduler): Promise<ImportJson> {
  const response = await uploadCsv(t, token, type, csv, { fileName: `${type}.csv` });
  expect(response.statusCode, response.body).toBe(202);
  const { id } = response.json<ImportJson>();
  await processor.processNext(id);
  return (await t.request(token, 'GET', `/api/v1/imports/${id}`)).json<ImportJson>();
}

const rowsOf = async (id: string, query = '', token = scheduler) =>
  (await t.request(token, 'GET', `/api/v1/imports/${id}/rows${query}`)).json<ImportRowJson[]>();

describe('uploading a CSV', () => {
  it('answers 202 with the pending import and its Location, audited with an import_created event', async () => {
    const response = await uploadCsv(t, scheduler, 'aircraft', await exampleCsv('aircraft.csv'), {
      fileName: 'fleet.csv',
    });
    expect(response.statusCode, response.body).toBe(202);
    const imp = response.json<ImportJson>();
    expect(imp).toMatchObject({
      type: 'aircraft',
      status: 'pending',
      file_name: 'fleet.csv',
      org_id: home.id,
    });
    expect(response.headers.location).toBe(`/api/v1/imports/${imp.id}`);
    expect(await storedFileExists(imp.id)).toBe(true);
    const audit = (await auditRowsFor(t, home.id, 'import')).filter((row) => row.entity_id === imp.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'create', actor: 'user:scheduler' });
    const events = (await eventsFor(t, home.id, 'import_created')).filter((e) => e.aggregate_id === imp.id);
    expect(events).toHaveLength(1);
  });

  it('enqueues the import on the import.jobs stream', async () => {
    const response = await uploadCsv(t, scheduler, 'aircraft', await exampleCsv('aircraft.csv'));
    const { id } = response.json<ImportJson>();
    const entries = await t.redis.xrevrange('import.jobs', '+', '-', 'COUNT', 200);
    const fields = entries.map(([, flat]) => ({ [flat[0]!]: flat[1], [flat[2]!]: flat[3] }));
    expect(fields).toContainEqual({ import_id: id, org_id: home.id });
  });

  it('accepts the file before the type field', async () => {
    const form = new FormData();
    form.append('file', new Blob([await exampleCsv('aircraft.csv')]), 'fleet.csv');
    form.append('type', 'aircraft');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/csv',
      payload: form,
      headers: { authorization: `Bearer ${scheduler}` },
    });
    expect(response.statusCode, response.body).toBe(202);
  });

  it('replays the first import for a retried upload with the same Idempotency-Key and file; no second import', async () => {
    const key = randomUUID();
    const csv = await exampleCsv('aircraft.csv');
    const first = await uploadCsv(t, scheduler, 'aircraft', csv, {
      fileName: 'fleet.csv',
      idempotencyKey: key,
    });
    expect(first.statusCode, first.body).toBe(202);
    const retry = await uploadCsv(t, scheduler, 'aircraft', csv, {
      fileName: 'fleet.csv',
      idempotencyKey: key,
    });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    const { id } = first.json<ImportJson>();
    const created = (await eventsFor(t, home.id, 'import_created')).filter((e) => e.aggregate_id === id);
    expect(created).toHaveLength(1);
    expect(await incomingFiles()).toEqual([]);
  });

  it('answers a retried upload whose first attempt died after committing with the first import, keeping one file', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const key = randomUUID();
    const csv = await exampleCsv('aircraft.csv');
    const first = await uploadCsv(t, token, 'aircraft', csv, { idempotencyKey: key });
    expect(first.statusCode, first.body).toBe(202);
    // The process died before the response was stored.
    await t.db.db
      .updateTable('idempotency_keys')
      .set({ status_code: 0, response_body: null, response_headers: null })
      .where('key', '=', key)
      .execute();

    const retry = await uploadCsv(t, token, 'aircraft', csv, { idempotencyKey: key });
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.body).toBe(first.body);
    const { id } = first.json<ImportJson>();
    const imports = await t.db.db.selectFrom('imports').select('id').where('org_id', '=', org.id).execute();
    expect(imports).toEqual([{ id }]);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.join(t.config.importStorageDir, org.id))).toEqual([`${id}.csv`]);
    expect(await incomingFiles()).toEqual([]);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another file, and keeps nothing of it', async () => {
    const key = randomUUID();
    const csv = await exampleCsv('aircraft.csv');
    const first = await uploadCsv(t, scheduler, 'aircraft', csv, { idempotencyKey: key });
    expect(first.statusCode, first.body).toBe(202);
    const before = (await t.request(scheduler, 'GET', '/api/v1/imports?limit=200')).json<ImportJson[]>();
    const other = await uploadCsv(t, scheduler, 'aircraft', `${csv}N999ZZ,A320neo\n`, {
      idempotencyKey: key,
    });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'conflict', reason: 'IDEMPOTENCY_KEY_REUSED' });
    const after = (await t.request(scheduler, 'GET', '/api/v1/imports?limit=200')).json<ImportJson[]>();
    expect(after.map((imp) => imp.id)).toEqual(before.map((imp) => imp.id));
    expect(await incomingFiles()).toEqual([]);
  });
});

/** Uploads still in IMPORT_STORAGE_DIR/.incoming (a refused or replayed upload must leave none). */
async function incomingFiles(): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return readdir(path.join(t.config.importStorageDir, '.incoming')).catch(() => []);
}

describe('importing aircraft end to end', () => {
  it('creates every aircraft of the example file, one audit row and one event each, as the import processor', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const imp = await importFile('aircraft', await exampleCsv('aircraft.csv'), token);
    expect(imp).toMatchObject({
      status: 'completed',
      total_rows: 4,
      valid_rows: 4,
      invalid_rows: 0,
      applied_rows: 4,
      summary: { total: 4, applied: 4, rejected: 0, created: 4, updated: 0, unchanged: 0 },
      progress: { phase: 'completed', rows_processed: 4, rows_total: 4, percent: 100 },
    });
    const fleet = (await t.request(token, 'GET', '/api/v1/aircraft?sort=tail_number')).json<
      { tail_number: string; model: string; status: string; capacity_slots: number }[]
    >();
    expect(fleet.map((a) => a.tail_number)).toEqual(['D-AIBL', 'N101DA', 'N102DA', 'N103DA']);
    expect(fleet.find((a) => a.tail_number === 'N103DA')).toMatchObject({
      status: 'maintenance',
      capacity_slots: 3,
    });
    const audit = await auditRowsFor(t, org.id, 'aircraft');
    expect(audit).toHaveLength(4);
    expect(audit.every((row) => row.actor === 'system:import-processor' && row.user_id === null)).toBe(true);
    expect(audit[0]!.request_id).toMatch(new RegExp(`^import:${imp.id}:\\d+$`));
    expect(await eventsFor(t, org.id, 'aircraft_created')).toHaveLength(4);
    const completed = (await eventsFor(t, org.id, 'import_completed')).filter(
      (e) => e.aggregate_id === imp.id,
    );
    expect(completed).toHaveLength(1);
    expect(await storedFileExists(imp.id)).toBe(false); // finished: its rows are staged, the file is not needed
  });

  it('re-importing the same file changes nothing: no duplicates, no audit rows, no events', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const csv = await exampleCsv('aircraft.csv');
    await importFile('aircraft', csv, token);
    const auditBefore = (await auditRowsFor(t, org.id, 'aircraft')).length;
    const eventsBefore = (
      await t.db.db.selectFrom('outbox_events').where('org_id', '=', org.id).select('id').execute()
    ).length;

    const again = await importFile('aircraft', csv, token);
    expect(again).toMatchObject({ status: 'completed', applied_rows: 4 });
    expect(again.summary).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect((await rowsOf(again.id, '', token)).every((row) => row.outcome === 'unchanged')).toBe(true);
    const fleet = (await t.request(token, 'GET', '/api/v1/aircraft')).json<unknown[]>();
    expect(fleet).toHaveLength(4);
    expect(await auditRowsFor(t, org.id, 'aircraft')).toHaveLength(auditBefore);
    const eventsAfter = await t.db.db
      .selectFrom('outbox_events')
      .where('org_id', '=', org.id)
      .select('event_type')
      .execute();
    // Only the second import's own created/completed events are new.
    expect(eventsAfter.length - eventsBefore).toBe(2);
  });

  it('updates only what a re-imported row changes, with one audit row for it', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    await importFile('aircraft', 'tail_number,model,capacity_slots\nN300DA,A330,2\nN301DA,A330,2\n', token);
    const imp = await importFile(
      'aircraft',
      'tail_number,model,capacity_slots\nn300da,A330,4\nN301DA,A330,\n',
      token,
    );
    expect(imp.summary).toMatchObject({ updated: 1, unchanged: 1, created: 0 });
    const updates = (await auditRowsFor(t, org.id, 'aircraft')).filter((row) => row.action === 'update');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.details).toMatchObject({
      before: { capacity_slots: 2 },
      after: { capacity_slots: 4 },
    });
  });

  it('records a re-imported change as the same PATCH records it: audit row, aircraft_updated and aircraft_status_updated', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    await importFile(
      'aircraft',
      'tail_number,model,status,capacity_slots,last_maintenance\n' +
        'N500DA,A330,operational,2,2026-01-01T00:00:00Z\nN501DA,A330,operational,2,2026-01-01T00:00:00Z\n',
      token,
    );
    const fleet = (await t.request(token, 'GET', '/api/v1/aircraft')).json<
      { id: string; tail_number: string }[]
    >();
    const idOf = (tail: string) => fleet.find((aircraft) => aircraft.tail_number === tail)!.id;
    const patched = await t.request(token, 'PATCH', `/api/v1/aircraft/${idOf('N500DA')}`, {
      model: 'A339',
      status: 'maintenance',
      capacity_slots: 3,
    });
    expect(patched.statusCode, patched.body).toBe(200);

    const imp = await importFile(
      'aircraft',
      'tail_number,model,status,capacity_slots\nN501DA,A339,maintenance,3\n',
      token,
    );

    expect(imp.summary).toMatchObject({ updated: 1, created: 0, unchanged: 0 });
    const [viaPatch, viaImport] = await Promise.all(
      ['N500DA', 'N501DA'].map(async (tail) => {
        const audit = (await auditRowsFor(t, org.id, 'aircraft')).filter(
          (row) => row.entity_id === idOf(tail) && row.action === 'update',
        );
        const events = await t.db.db
          .selectFrom('outbox_events')
          .select(['event_type', 'payload'])
          .where('aggregate_id', '=', idOf(tail))
          .where('event_type', '!=', 'aircraft_created')
          .orderBy('seq')
          .execute();
        return { audit, events };
      }),
    );
    // The same record but for what names the aircraft and the moment.
    const comparable = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value, (key, field: unknown) =>
          ['id', 'tail_number', 'updated_at', 'created_at'].includes(key) ? '…' : field,
        ),
      ) as unknown;
    expect(viaImport!.audit).toHaveLength(1);
    expect(comparable(viaImport!.audit[0]!.details)).toEqual(comparable(viaPatch!.audit[0]!.details));
    expect(viaImport!.audit[0]!.details).toMatchObject({
      before: { model: 'A330', status: 'operational', capacity_slots: 2 },
      after: { model: 'A339', status: 'maintenance', capacity_slots: 3 },
    });
    expect(viaImport!.events.map((event) => event.event_type)).toEqual([
      'aircraft_updated',
      'aircraft_status_updated',
    ]);
    const dataOf = (event: { payload: unknown }) => comparable((event.payload as { data: unknown }).data);
    expect(viaImport!.events.map(dataOf)).toEqual(viaPatch!.events.map(dataOf));
  });

  it('refuses a re-imported next_due before the stored last_maintenance and applies the other changes', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    await importFile(
      'aircraft',
      'tail_number,model,last_maintenance\nN510DA,A330,2026-06-01T00:00:00Z\nN511DA,A330,2026-06-01T00:00:00Z\n',
      token,
    );
    const imp = await importFile(
      'aircraft',
      'tail_number,model,next_due\nN510DA,A330,2026-05-01T00:00:00Z\nN511DA,A330,2026-09-01T00:00:00Z\n',
      token,
    );
    expect(imp).toMatchObject({ applied_rows: 1, invalid_rows: 1 });
    expect(imp.summary).toMatchObject({ updated: 1 });
    const [refused] = await rowsOf(imp.id, '?status=invalid', token);
    expect(refused).toMatchObject({ row_number: 1, outcome: null });
    expect(refused!.errors[0]).toMatch(
      /^NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE: .*next_due must be after last_maintenance/,
    );
    const fleet = (await t.request(token, 'GET', '/api/v1/aircraft?sort=tail_number')).json<
      { tail_number: string; next_due: string | null }[]
    >();
    expect(fleet.map((aircraft) => aircraft.next_due)).toEqual([null, '2026-09-01T00:00:00.000Z']);
  });

  it('stages invalid rows with their errors and applies the valid ones', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const imp = await importFile('aircraft', await exampleCsv('aircraft-with-errors.csv'), token);
    expect(imp).toMatchObject({
      status: 'completed',
      total_rows: 8,
      valid_rows: 1,
      invalid_rows: 7,
      applied_rows: 1,
    });
    expect(imp.summary).toMatchObject({ applied: 1, rejected: 7 });
    const invalid = await rowsOf(imp.id, '?status=invalid', token);
    expect(invalid.map((row) => row.row_number)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const errorsOf = (n: number) => invalid.find((row) => row.row_number === n)!.errors.join(' ');
    expect(errorsOf(2)).toBe('status: must be one of operational, maintenance, grounded');
    expect(errorsOf(3)).toBe('model: is required');
    expect(errorsOf(4)).toBe('capacity_slots: must be >= 1');
    expect(errorsOf(5)).toMatch(/next_due: .*must be after last_maintenance/);
    expect(errorsOf(6)).toBe('the row has 7 field(s) but the header has 6');
    expect(errorsOf(7)).toMatch(/^tail_number: must match pattern/);
    expect(errorsOf(8)).toBe('capacity_slots: must be integer');
    expect(invalid[0]!.raw).toMatchObject({ tail_number: 'N202DA', status: 'flying' });
    expect((await rowsOf(imp.id, '?status=applied', token)).map((row) => row.row_number)).toEqual([1]);
  });

  it('falls back to row by row when a tail number is taken while the batch is being written', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const response = await uploadCsv(
      t,
      token,
      'aircraft',
      'tail_number,model\nN330DA,A330\nN331DA,A330\nN332DA,A330\n',
    );
    const { id } = response.json<ImportJson>();
    // Another writer holds N331DA uncommitted: the batch's insert of all three waits for it, then fails.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const inserted = new Promise<void>((resolve) => (taken = resolve));
    const other = t.db.db.transaction().execute(async (trx) => {
      await insertAircraft(trx, { org_id: org.id, tail_number: 'N331DA', model: 'A330' });
      taken();
      await held;
    });
    await inserted;
    const processing = processor.processNext(id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await other;
    const imp = await processing;
    expect(imp).toMatchObject({ status: 'completed', counts: { applied: 3, invalid: 0 } });
    expect(imp!.summary).toMatchObject({ created: 2, unchanged: 1 });
    const fleet = (await t.request(token, 'GET', '/api/v1/aircraft')).json<unknown[]>();
    expect(fleet).toHaveLength(3);
    expect(await auditRowsFor(t, org.id, 'aircraft')).toHaveLength(2);
  });

  it('applies a tail number repeated in one file in row order: created, then updated', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const imp = await importFile(
      'aircraft',
      'tail_number,model,capacity_slots\nN320DA,A330,1\nn320da,A330,5\n',
      token,
    );
    expect(imp.summary).toMatchObject({ created: 1, updated: 1 });
    const [aircraft] = (await t.request(token, 'GET', '/api/v1/aircraft')).json<
      { capacity_slots: number }[]
    >();
    expect(aircraft!.capacity_slots).toBe(5);
  });

  it('marks a row invalid when applying it is refused, and applies the others', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    // The second row is fine on its own but makes the aircraft operational while a task needs it grounded:
    // the same 409 the REST endpoint answers.
    const csv = 'tail_number,model,status\nN400DA,A350,grounded\nN401DA,A350,operational\n';
    await importFile('aircraft', csv, token);
    const task = await t.db.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', org.id)
      .where('tail_number', '=', 'N400DA')
      .executeTakeFirstOrThrow();
    const now = Date.now();
    await insertTask(t.db.db, {
      org_id: org.id,
      aircraft_id: task.id,
      state: 'in_progress',
      start_time: new Date(now - 3_600_000),
      end_time: new Date(now + 3_600_000),
    });
    const imp = await importFile(
      'aircraft',
      'tail_number,model,status\nN400DA,A350,operational\nN402DA,A350,\n',
      token,
    );
    expect(imp).toMatchObject({ status: 'completed', applied_rows: 1, invalid_rows: 1, valid_rows: 1 });
    const [refused] = await rowsOf(imp.id, '?status=invalid', token);
    expect(refused).toMatchObject({ row_number: 1, outcome: null });
    expect(refused!.errors[0]).toMatch(/^AIRCRAFT_GROUNDING_REQUIRED: /);
  });
});

describe('importing parts and programs', () => {
  it('imports part definitions and their items by name and serial number, and re-imports as no-ops', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const csv = await exampleCsv('parts.csv');
    const imp = await importFile('parts', csv, token);
    expect(imp).toMatchObject({ status: 'completed', applied_rows: 5, invalid_rows: 0 });
    const definitions = (await t.request(token, 'GET', '/api/v1/part-definitions')).json<
      { name: string; in_stock: number; min_stock_level: number | null }[]
    >();
    expect(definitions.map((d) => [d.name, d.in_stock])).toEqual([
      ['Brake assembly', 2],
      ['Oil filter', 2],
      ['Seat cover, economy', 0],
    ]);
    expect(await auditRowsFor(t, org.id, 'part_definition')).toHaveLength(3);
    expect(await auditRowsFor(t, org.id, 'part_item')).toHaveLength(4);

    const again = await importFile('parts', csv, token);
    expect(again.summary).toMatchObject({ created: 0, updated: 0, unchanged: 5 });
    expect(await auditRowsFor(t, org.id, 'part_definition')).toHaveLength(3);
    expect(await auditRowsFor(t, org.id, 'part_item')).toHaveLength(4);
  });

  it('refuses an item whose serial number belongs to another definition', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const imp = await importFile(
      'parts',
      'name,category,serial_number\nPump,hydraulics,SN-1\nValve,hydraulics,SN-1\n',
      token,
    );
    expect(imp).toMatchObject({ applied_rows: 1, invalid_rows: 1 });
    const [row] = await rowsOf(imp.id, '?status=invalid', token);
    expect(row!.errors[0]).toMatch(/^SERIAL_TAKEN: /);
    // The refused row's definition was rolled back with it.
    const names = (await t.request(token, 'GET', '/api/v1/part-definitions')).json<{ name: string }[]>();
    expect(names.map((d) => d.name)).toEqual(['Pump']);
  });

  it('imports programs bound by tail number and templates, refusing an unknown aircraft', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    await importFile('aircraft', await exampleCsv('aircraft.csv'), token);
    const csv = `${await exampleCsv('programs.csv')}Ghost check,calendar,10,N999XX,\n`;
    const imp = await importFile('programs', csv, token);
    expect(imp).toMatchObject({ status: 'completed', applied_rows: 4, invalid_rows: 1 });
    const [ghost] = await rowsOf(imp.id, '?status=invalid', token);
    expect(ghost!.errors[0]).toMatch(/^AIRCRAFT_NOT_FOUND: no live aircraft with tail_number N999XX/);
    const programs = (await t.request(token, 'GET', '/api/v1/maintenance-programs?sort=name')).json<
      { name: string; aircraft_id: string | null; interval_type: string }[]
    >();
    expect(programs.map((p) => [p.name, p.interval_type, p.aircraft_id === null])).toEqual([
      ['A-check', 'calendar', false],
      ['Cabin deep clean', 'calendar', true],
      ['Engine borescope', 'flight_hours', false],
      ['Landing gear overhaul', 'cycles', false],
    ]);
    const again = await importFile('programs', await exampleCsv('programs.csv'), token);
    expect(again.summary).toMatchObject({ created: 0, unchanged: 4 });
  });
});

describe('importing parts together', () => {
  /** Audit details and event data with what tells two organizations' parts apart left out. */
  const comparable = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value, (key, field: unknown) =>
        ['id', 'org_id', 'entity_id', 'part_definition_id', 'updated_at', 'created_at'].includes(key)
          ? '…'
          : field,
      ),
    ) as unknown;

  /** Every part audit row and event of an organization; the events in the order they were written. */
  async function partRecordsOf(orgId: string) {
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select(['entity_type', 'action', 'details'])
      .where('org_id', '=', orgId)
      .where('entity_type', 'in', ['part_definition', 'part_item'])
      .execute();
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select(['event_type', 'payload'])
      .where('org_id', '=', orgId)
      .where('aggregate_type', 'in', ['part_definition', 'part_item'])
      .orderBy('seq')
      .execute();
    return {
      // A batch's audit rows share one timestamp, so they are compared as a set.
      audit: audit
        .map((row) => JSON.stringify([row.entity_type, row.action, comparable(row.details)]))
        .sort(),
      events: events.map((event) => [
        event.event_type,
        comparable((event.payload as { data: unknown }).data),
      ]),
    };
  }

  it('records imported definitions, items and every stock threshold crossed as the REST requests one by one do', async () => {
    const viaImport = await t.createOrg();
    const importer = await t.tokenFor(await t.createUser(viaImport.id, 'scheduler'));
    const viaApi = await t.createOrg();
    const clerk = await t.tokenFor(await t.createUser(viaApi.id, 'scheduler'));
    const expiry = new Date(Date.now() + 90 * 86_400_000).toISOString();

    const imp = await importFile(
      'parts',
      [
        'name,category,min_stock_level,reorder_point,lead_time_days,serial_number,status,expiry_date',
        'Brake assembly,landing gear,1,2,14,BR-1,,',
        'Brake assembly,landing gear,,,,BR-2,,',
        'Brake assembly,landing gear,,,,BR-3,,',
        'Brake assembly,landing gear,,3,,BR-4,used,',
        ' Brake assembly ,landing gear,,1,,,,',
        'Oil filter,engine,,,,OF-1,,' + expiry,
        'Seat cover,cabin,,,,,,',
      ].join('\n') + '\n',
      importer,
    );
    expect(imp.summary).toMatchObject({ applied: 7, rejected: 0, created: 6, updated: 1, unchanged: 0 });

    const ok = async (method: 'POST' | 'PATCH', url: string, body: Record<string, unknown>) => {
      const response = await t.request(clerk, method, `/api/v1${url}`, body);
      expect(response.statusCode, response.body).toBeLessThan(300);
      return response.json<{ id: string }>();
    };
    const brake = await ok('POST', '/part-definitions', {
      name: 'Brake assembly',
      category: 'landing gear',
      min_stock_level: 1,
      reorder_point: 2,
      lead_time_days: 14,
    });
    const item = (serial_number: string, extra: Record<string, unknown> = {}) =>
      ok('POST', '/part-items', { part_definition_id: brake.id, serial_number, ...extra });
    await item('BR-1');
    await item('BR-2');
    await item('BR-3');
    await ok('PATCH', `/part-definitions/${brake.id}`, { reorder_point: 3 });
    await item('BR-4', { status: 'used' });
    await ok('PATCH', `/part-definitions/${brake.id}`, { reorder_point: 1 });
    const filter = await ok('POST', '/part-definitions', { name: 'Oil filter', category: 'engine' });
    await ok('POST', '/part-items', {
      part_definition_id: filter.id,
      serial_number: 'OF-1',
      expiry_date: expiry,
    });
    await ok('POST', '/part-definitions', { name: 'Seat cover', category: 'cabin' });

    const imported = await partRecordsOf(viaImport.id);
    const requested = await partRecordsOf(viaApi.id);
    // Replenished by the first brake and the first filter, low again at reorder point 3, replenished at 1.
    expect(imported.events.map(([type]) => type)).toEqual(
      expect.arrayContaining(['part_stock_replenished', 'part_stock_low']),
    );
    expect(imported).toEqual(requested);
  });

  it('goes row by row for a definition whose rows change one of its items, and applies the others together', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const header = 'name,category,serial_number,status';
    await importFile('parts', `${header}\nPump,hydraulics,P-1,\nValve,hydraulics,V-1,\n`, token);
    const imp = await importFile(
      'parts',
      `${header}\nPump,hydraulics,P-1,disposed\nPump,hydraulics,P-2,\nValve,hydraulics,V-1,\nValve,hydraulics,V-2,\n`,
      token,
    );
    expect(imp.summary).toMatchObject({ applied: 4, created: 2, updated: 1, unchanged: 1 });
    const items = (await t.request(token, 'GET', '/api/v1/part-items')).json<
      { serial_number: string; status: string }[]
    >();
    expect(items.map((i) => [i.serial_number, i.status])).toEqual([
      ['P-1', 'disposed'],
      ['P-2', 'in_stock'],
      ['V-1', 'in_stock'],
      ['V-2', 'in_stock'],
    ]);
  });

  it("refuses an item whose expiry has passed by the database's clock though the worker's lags, as POST refuses it", async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const response = await uploadCsv(
      t,
      token,
      'parts',
      `name,category,serial_number,expiry_date\nHose,hydraulics,H-1,${new Date(Date.now() - 86_400_000).toISOString()}\nHose,hydraulics,H-2,\n`,
      { fileName: 'parts.csv' },
    );
    expect(response.statusCode, response.body).toBe(202);
    const lagging = testImportProcessor(t, { now: () => new Date(Date.now() - 7 * 86_400_000) });
    await lagging.processNext(response.json<{ id: string }>().id);
    const [refused] = await rowsOf(response.json<{ id: string }>().id, '?status=invalid', token);
    expect(refused).toMatchObject({ row_number: 1 });
    expect(refused!.errors[0]).toMatch(/^EXPIRY_IN_PAST: /);
    const definitions = (await t.request(token, 'GET', '/api/v1/part-definitions')).json<
      { name: string; in_stock: number }[]
    >();
    expect(definitions.map((d) => [d.name, d.in_stock])).toEqual([['Hose', 1]]);
  });
});

describe('importing programs together', () => {
  /** Audit details and event data with what names the program and the moment left out. */
  const comparable = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value, (key, field: unknown) =>
        ['id', 'name', 'updated_at', 'created_at'].includes(key) ? '…' : field,
      ),
    ) as unknown;

  async function recordsOf(orgId: string, programId: string) {
    const audit = (await auditRowsFor(t, orgId, 'maintenance_program')).filter(
      (row) => row.entity_id === programId,
    );
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select(['event_type', 'payload'])
      .where('aggregate_id', '=', programId)
      .orderBy('seq')
      .execute();
    return {
      audit: audit.map((row) => [row.action, comparable(row.details)]),
      events: events.map((event) => [
        event.event_type,
        comparable((event.payload as { data: unknown }).data),
      ]),
    };
  }

  it('records an imported program and a re-imported change as POST and PATCH record them', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    await importFile('aircraft', 'tail_number,model\nN600DA,A330\n', token);
    const [aircraft] = (await t.request(token, 'GET', '/api/v1/aircraft')).json<{ id: string }[]>();
    const body = {
      interval_type: 'calendar',
      interval_value: 90,
      aircraft_id: aircraft!.id,
      last_performed: '2026-03-01T00:00:00.000Z',
      task_duration_minutes: 240,
    };
    const posted = await t.request(token, 'POST', '/api/v1/maintenance-programs', {
      ...body,
      name: 'C-check',
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const patched = await t.request(
      token,
      'PATCH',
      `/api/v1/maintenance-programs/${posted.json<{ id: string }>().id}`,
      {
        interval_value: 120,
        task_priority: 'urgent',
      },
    );
    expect(patched.statusCode, patched.body).toBe(200);

    const header = 'name,interval_type,interval_value,tail_number,last_performed,task_duration_minutes';
    await importFile(
      'programs',
      `${header}\n  D-check ,calendar,90,n600da,2026-03-01T00:00:00.000Z,240\n`,
      token,
    );
    const imp = await importFile(
      'programs',
      `${header},task_priority\nD-check,calendar,120,N600DA,2026-03-01T00:00:00.000Z,240,urgent\n`,
      token,
    );

    expect(imp.summary).toMatchObject({ updated: 1, created: 0 });
    const programs = (await t.request(token, 'GET', '/api/v1/maintenance-programs?sort=name')).json<
      { id: string; name: string; interval_value: number; task_priority: string }[]
    >();
    expect(programs.map((p) => [p.name, p.interval_value, p.task_priority])).toEqual([
      ['C-check', 120, 'urgent'],
      ['D-check', 120, 'urgent'],
    ]);
    const viaApi = await recordsOf(org.id, programs[0]!.id);
    const viaImport = await recordsOf(org.id, programs[1]!.id);
    expect(viaImport.audit.map(([action]) => action)).toEqual(['create', 'update']);
    expect(viaImport).toEqual(viaApi);
  });

  it('refuses a program row with a last performance in the future, as POST does, and applies the others', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const posted = await t.request(token, 'POST', '/api/v1/maintenance-programs', {
      name: 'Tomorrow',
      interval_type: 'calendar',
      interval_value: 30,
      last_performed: future,
    });
    expect(posted.statusCode).toBe(400);
    const imp = await importFile(
      'programs',
      `name,interval_type,interval_value,last_performed\nTomorrow,calendar,30,${future}\nToday,calendar,30,\n`,
      token,
    );
    expect(imp).toMatchObject({ applied_rows: 1, invalid_rows: 1 });
    const [refused] = await rowsOf(imp.id, '?status=invalid', token);
    expect(posted.body).toContain('must not be in the future');
    expect(refused!.errors[0]).toMatch(/^last_performed: must not be in the future/);
  });

  it('applies a program named twice in one file in row order: created, then updated', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const imp = await importFile(
      'programs',
      'name,interval_type,interval_value\nCabin check,calendar,30\n Cabin check ,calendar,60\nGalley check,calendar,10\n',
      token,
    );
    expect(imp.summary).toMatchObject({ created: 2, updated: 1 });
    const programs = (await t.request(token, 'GET', '/api/v1/maintenance-programs?sort=name')).json<
      { name: string; interval_value: number }[]
    >();
    expect(programs.map((p) => [p.name, p.interval_value])).toEqual([
      ['Cabin check', 60],
      ['Galley check', 10],
    ]);
  });
});

describe('refused uploads', () => {
  const refusal = async (type: string | undefined, content: string | Uint8Array) => {
    const response = await uploadCsv(t, scheduler, type, content);
    return {
      status: response.statusCode,
      body: response.json<{ code: string; reason: string; error: string }>(),
    };
  };

  it('names the missing and unknown columns of a wrong header (400) and keeps nothing', async () => {
    const before = await t.db.db.selectFrom('imports').select('id').where('org_id', '=', home.id).execute();
    const { status, body } = await refusal('aircraft', 'tail_number,modell,colour\nN1,A320,red\n');
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'validation', reason: 'IMPORT_HEADER_INVALID' });
    expect(body.error).toContain('missing column(s): model');
    expect(body.error).toContain('unknown column(s): modell, colour');
    const after = await t.db.db.selectFrom('imports').select('id').where('org_id', '=', home.id).execute();
    expect(after).toHaveLength(before.length);
  });

  it.each([
    ['an empty file', ''],
    ['a file of blank lines', '\n\n'],
    ['a header without data rows', 'tail_number,model\n'],
  ])('refuses %s with 400 IMPORT_FILE_EMPTY', async (_label, content) => {
    const { status, body } = await refusal('aircraft', content);
    expect(status).toBe(400);
    expect(body.reason).toBe('IMPORT_FILE_EMPTY');
  });

  it('refuses a file that is not UTF-8 with 400 IMPORT_FILE_NOT_UTF8', async () => {
    const latin1 = Buffer.from('tail_number,model\nN1,Dash 8 \xe9\n', 'latin1');
    const { status, body } = await refusal('aircraft', latin1);
    expect(status).toBe(400);
    expect(body.reason).toBe('IMPORT_FILE_NOT_UTF8');
  });

  it('refuses a missing or unknown type with 400 naming the field', async () => {
    expect((await refusal(undefined, 'tail_number,model\nN1,A320\n')).body.error).toBe('type is required');
    const unknown = await refusal('engines', 'tail_number,model\nN1,A320\n');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/^type must be one of aircraft, parts, programs/);
  });

  it('refuses a JSON body with 415', async () => {
    const response = await t.request(scheduler, 'POST', '/api/v1/imports/csv', { type: 'aircraft' });
    expect(response.statusCode).toBe(415);
  });

  it('refuses a file larger than IMPORT_MAX_BYTES with 413 and keeps nothing on disk', async () => {
    const small = await createTestApp({
      IMPORT_STORAGE_DIR: await importStorageDir(),
      IMPORT_MAX_BYTES: '1024',
    });
    try {
      const org = await small.createOrg();
      const token = await small.tokenFor(await small.createUser(org.id, 'scheduler'));
      const rows = Array.from({ length: 100 }, (_, i) => `N${i}XX,A320neo`).join('\n');
      const response = await uploadCsv(small, token, 'aircraft', `tail_number,model\n${rows}\n`);
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ reason: 'IMPORT_FILE_TOO_LARGE' });
      const { readdir } = await import('node:fs/promises');
      const left = await readdir(small.config.importStorageDir, { recursive: true });
      expect(left.filter((name) => name.endsWith('.csv') || name.endsWith('.part'))).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('keeps other routes refusing non-JSON bodies with 415', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/aircraft',
      payload: (() => {
        const form = new FormData();
        form.append('tail_number', 'N1');
        return form;
      })(),
      headers: { authorization: `Bearer ${scheduler}` },
    });
    expect(response.statusCode).toBe(415);
  });
});

describe('malformed files found by the worker', () => {
  it('fails the import with a clear error on bad quoting, and the worker carries on', async () => {
    const csv = 'tail_number,model\nN500DA,A320\nN501DA,"A320\nN502DA,A321\n';
    const imp = await importFile('aircraft', csv);
    expect(imp.status).toBe('failed');
    expect(imp.error).toMatch(/^the file is not valid CSV: /);
    const failed = (await eventsFor(t, home.id, 'import_failed')).filter((e) => e.aggregate_id === imp.id);
    expect(failed).toHaveLength(1);
    // Nothing of a failed file is applied.
    const aircraft = await t.db.db
      .selectFrom('aircraft')
      .select('id')
      .where('org_id', '=', home.id)
      .where('tail_number', '=', 'N500DA')
      .execute();
    expect(aircraft).toEqual([]);
    expect(await storedFileExists(imp.id)).toBe(false);
    expect((await importFile('aircraft', 'tail_number,model\nN503DA,A320\n')).status).toBe('completed');
  });
});

describe('the OpenAPI document', () => {
  it('describes the import endpoints, the upload as multipart/form-data', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    const paths = response.json<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>().paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/imports/csv',
        '/api/v1/imports',
        '/api/v1/imports/{id}',
        '/api/v1/imports/{id}/rows',
      ]),
    );
    expect(JSON.stringify(paths['/api/v1/imports/csv']!.post)).toContain('multipart/form-data');
  });
});

describe('reading imports', () => {
  it('lists imports newest first, filtered by status and type, paginated', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const first = await importFile('aircraft', 'tail_number,model\nN600DA,A320\n', token);
    const second = await importFile('parts', 'name,category\nFilter,engine\n', token);
    const list = (await t.request(token, 'GET', '/api/v1/imports')).json<ImportJson[]>();
    expect(list.map((imp) => imp.id)).toEqual([second.id, first.id]);
    const parts = (await t.request(token, 'GET', '/api/v1/imports?type=parts&status=completed')).json<
      ImportJson[]
    >();
    expect(parts.map((imp) => imp.id)).toEqual([second.id]);
    const page = await t.request(token, 'GET', '/api/v1/imports?limit=1');
    expect(page.headers.link).toContain('offset=1');
    expect((await t.request(token, 'GET', '/api/v1/imports?status=done')).statusCode).toBe(400);
  });

  it('pages the rows of an import', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `N7${i}0DA,A320`).join('\n');
    const imp = await importFile('aircraft', `tail_number,model\n${rows}\n`);
    const page = await t.request(scheduler, 'GET', `/api/v1/imports/${imp.id}/rows?limit=2&offset=2`);
    expect(page.json<ImportRowJson[]>().map((row) => row.row_number)).toEqual([3, 4]);
    expect(page.headers.link).toContain('offset=4');
  });

  it("answers 404 for another organization's import and its rows, and leaves it out of lists", async () => {
    const response = await uploadCsv(t, otherScheduler, 'aircraft', 'tail_number,model\nN800DA,A320\n');
    const { id } = response.json<ImportJson>();
    expect((await t.request(scheduler, 'GET', `/api/v1/imports/${id}`)).statusCode).toBe(404);
    expect((await t.request(scheduler, 'GET', `/api/v1/imports/${id}/rows`)).statusCode).toBe(404);
    expect((await t.request(scheduler, 'GET', `/api/v1/imports/${randomUUID()}`)).statusCode).toBe(404);
    const list = (await t.request(scheduler, 'GET', '/api/v1/imports?limit=200')).json<ImportJson[]>();
    expect(list.map((imp) => imp.id)).not.toContain(id);
  });
});

/** Whether the stored upload of an import is still in IMPORT_STORAGE_DIR. */
async function storedFileExists(importId: string): Promise<boolean> {
  const row = await t.db.db
    .selectFrom('imports')
    .select('file_path')
    .where('id', '=', importId)
    .executeTakeFirstOrThrow();
  return access(path.resolve(t.config.importStorageDir, row.file_path!)).then(
    () => true,
    () => false,
  );
}
