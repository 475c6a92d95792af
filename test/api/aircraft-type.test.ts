import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft } from '../support/factories.js';
import {
  exampleCsv,
  importStorageDir,
  testImportProcessor,
  uploadCsv,
  type ImportJson,
  type ImportRowJson,
} from '../support/imports.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let a320: string;
let b738: string;
let processor: ReturnType<typeof testImportProcessor>;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_STORAGE_DIR: await importStorageDir() });
  home = await createTenant(t);
  a320 = await aircraftTypeId(t.db.db, 'A320');
  b738 = await aircraftTypeId(t.db.db, 'B738');
  processor = testImportProcessor(t);
});
afterAll(async () => {
  await t.close();
});

interface AircraftJson {
  id: string;
  tail_number: string;
  aircraft_type_id: string | null;
}

const unique = () => randomUUID().slice(0, 6).toUpperCase();
const create = (body: Record<string, unknown>, token = home.tokens.scheduler) =>
  t.request(token, 'POST', '/api/v1/aircraft', { tail_number: `T${unique()}`, model: 'A320', ...body });

describe('the aircraft type of an aircraft', () => {
  it('is set on create and shown by get, list and the audit row and event', async () => {
    const response = await create({ aircraft_type_id: a320 });
    expect(response.statusCode).toBe(201);
    const created = response.json<AircraftJson>();
    expect(created.aircraft_type_id).toBe(a320);
    const got = await t.request(home.tokens.auditor, 'GET', `/api/v1/aircraft/${created.id}`);
    expect(got.json()).toMatchObject({ aircraft_type_id: a320 });
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select('details')
      .where('entity_id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ after: { aircraft_type_id: a320 } });
    const event = await t.db.db
      .selectFrom('outbox_events')
      .select('payload')
      .where('aggregate_id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({ data: { aircraft_type_id: a320 } });
  });

  it('is null when not given', async () => {
    expect((await create({})).json<AircraftJson>().aircraft_type_id).toBeNull();
  });

  it('is changed and cleared by PATCH', async () => {
    const { id } = (await create({ aircraft_type_id: a320 })).json<AircraftJson>();
    const changed = await t.request(home.tokens.mechanic, 'PATCH', `/api/v1/aircraft/${id}`, {
      aircraft_type_id: b738,
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ aircraft_type_id: b738 });
    const cleared = await t.request(home.tokens.mechanic, 'PATCH', `/api/v1/aircraft/${id}`, {
      aircraft_type_id: null,
    });
    expect(cleared.json()).toMatchObject({ aircraft_type_id: null });
  });

  it('refuses an id that names no aircraft type with 404 naming the field, writing nothing', async () => {
    const tail = `T${unique()}`;
    const response = await create({ tail_number: tail, aircraft_type_id: randomUUID() });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      code: 'not_found',
      reason: 'AIRCRAFT_TYPE_NOT_FOUND',
      details: [{ field: 'body.aircraft_type_id' }],
    });
    const stored = await t.db.db
      .selectFrom('aircraft')
      .select('id')
      .where('tail_number', '=', tail)
      .execute();
    expect(stored).toEqual([]);
    const { id } = (await create({})).json<AircraftJson>();
    const patch = await t.request(home.tokens.scheduler, 'PATCH', `/api/v1/aircraft/${id}`, {
      aircraft_type_id: randomUUID(),
    });
    expect(patch.statusCode).toBe(404);
    expect(patch.json()).toMatchObject({ reason: 'AIRCRAFT_TYPE_NOT_FOUND' });
    const malformed = await create({ aircraft_type_id: 'A320' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'validation' });
  });

  it('filters the fleet with ?aircraft_type_id=', async () => {
    const org = await createTenant(t);
    const [first, second] = [`A${unique()}`, `B${unique()}`];
    await insertAircraft(t.db.db, { org_id: org.org.id, tail_number: first, aircraft_type_id: a320 });
    await insertAircraft(t.db.db, { org_id: org.org.id, tail_number: second, aircraft_type_id: b738 });
    await insertAircraft(t.db.db, { org_id: org.org.id });
    const list = await t.request(org.tokens.mechanic, 'GET', `/api/v1/aircraft?aircraft_type_id=${a320}`);
    expect(list.statusCode).toBe(200);
    expect(list.json<AircraftJson[]>().map((a) => a.tail_number)).toEqual([first]);
    expect(
      (await t.request(org.tokens.mechanic, 'GET', '/api/v1/aircraft?aircraft_type_id=B738')).statusCode,
    ).toBe(400);
  });
});

describe('the aircraft type in CSV imports', () => {
  async function importFile(csv: string, token: string): Promise<ImportJson> {
    const response = await uploadCsv(t, token, 'aircraft', csv);
    expect(response.statusCode, response.body).toBe(202);
    const { id } = response.json<ImportJson>();
    await processor.processNext(id);
    return (await t.request(token, 'GET', `/api/v1/imports/${id}`)).json<ImportJson>();
  }

  it('sets the type from its ICAO designator (any case) on the bulk path', async () => {
    const org = await createTenant(t);
    const imp = await importFile(await exampleCsv('aircraft.csv'), org.tokens.scheduler);
    expect(imp).toMatchObject({ status: 'completed', applied_rows: 4, invalid_rows: 0 });
    const fleet = (await t.request(org.tokens.scheduler, 'GET', '/api/v1/aircraft')).json<AircraftJson[]>();
    const typeOf = (tail: string) => fleet.find((a) => a.tail_number === tail)!.aircraft_type_id;
    expect(typeOf('N101DA')).toBe(await aircraftTypeId(t.db.db, 'A20N'));
    expect(typeOf('N102DA')).toBe(await aircraftTypeId(t.db.db, 'A20N'));
    expect(typeOf('N103DA')).toBe(b738);
    expect(typeOf('D-AIBL')).toBe(await aircraftTypeId(t.db.db, 'A319'));
  });

  it('marks a row with an unknown designator invalid with a clear message and applies the others', async () => {
    const org = await createTenant(t);
    const csv = 'tail_number,model,aircraft_type\nN500DA,A320,A320\nN501DA,A320,ZZ99\nN502DA,A320,\n';
    const imp = await importFile(csv, org.tokens.scheduler);
    expect(imp).toMatchObject({ status: 'completed', applied_rows: 2, invalid_rows: 1 });
    const rows = (
      await t.request(org.tokens.scheduler, 'GET', `/api/v1/imports/${imp.id}/rows?status=invalid`)
    ).json<ImportRowJson[]>();
    expect(rows.map((row) => [row.row_number, row.errors])).toEqual([
      [
        2,
        [
          'AIRCRAFT_TYPE_NOT_FOUND: no aircraft type with ICAO designator ZZ99 (aircraft_type names no aircraft type of GET /aircraft-types)',
        ],
      ],
    ]);
    const fleet = (await t.request(org.tokens.scheduler, 'GET', '/api/v1/aircraft')).json<AircraftJson[]>();
    expect(fleet.map((a) => [a.tail_number, a.aircraft_type_id])).toEqual([
      ['N500DA', a320],
      ['N502DA', null],
    ]);
  });

  it('updates an existing aircraft’s type, and a re-import is unchanged', async () => {
    const org = await createTenant(t);
    await importFile('tail_number,model\nN600DA,B737\nN601DA,B737\n', org.tokens.scheduler);
    const csv = 'tail_number,model,aircraft_type\nN600DA,B737,b738\nN601DA,B737,\n';
    const imp = await importFile(csv, org.tokens.scheduler);
    expect(imp.summary).toMatchObject({ updated: 1, unchanged: 1 });
    const again = await importFile(csv, org.tokens.scheduler);
    expect(again.summary).toMatchObject({ updated: 0, unchanged: 2 });
    const fleet = (await t.request(org.tokens.scheduler, 'GET', '/api/v1/aircraft')).json<AircraftJson[]>();
    expect(fleet.map((a) => [a.tail_number, a.aircraft_type_id])).toEqual([
      ['N600DA', b738],
      ['N601DA', null],
    ]);
  });

  it('refuses an unknown designator on a tail number repeated in the file, keeping the valid row', async () => {
    const org = await createTenant(t);
    const csv = 'tail_number,model,aircraft_type\nN700DA,A320,A320\nN700DA,A320,QQ1\n';
    const imp = await importFile(csv, org.tokens.scheduler);
    expect(imp).toMatchObject({ applied_rows: 1, invalid_rows: 1 });
    const [aircraft] = (await t.request(org.tokens.scheduler, 'GET', '/api/v1/aircraft')).json<
      AircraftJson[]
    >();
    expect(aircraft!.aircraft_type_id).toBe(a320);
  });
});
