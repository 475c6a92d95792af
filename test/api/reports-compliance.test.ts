import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportService } from '../../src/app/reports.js';
import { buildServer } from '../../src/cmd/container.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  insertAircraft,
  insertComplianceItem,
  insertProgram,
  insertTask,
  insertUser,
} from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
/** A server whose exports read two rows per batch, so every export crosses batch boundaries. */
let smallBatches: FastifyInstance;
let home: Tenant;
let other: { id: string };
let foreignAircraftId: string;
let foreignItemId: string;
const id: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  const reports = new ReportService({ uow: t.container.uow, exportBatchSize: 2 });
  smallBatches = await buildServer({ ...t.container, services: { ...t.container.services, reports } });
  await smallBatches.ready();
  home = await createTenant(t);
  other = await t.createOrg();
  await seed();
});
afterAll(async () => {
  await smallBatches.close();
  await t.close();
});

/**
 * Five live items (I1…I5, created in that order) on three tasks of two aircraft, one task from a
 * program; their compliance times: I1 Jan 10 (signed), I2 Feb 10 (signed by mechanic2, inspected by
 * the home mechanic), I3 Jan 20 (created), I4 Mar 1 (created), I5 Mar 15 (signed, awaiting its inspection).
 */
async function seed() {
  const db = t.db.db;
  const orgId = home.org.id;
  const mechanic2 = await insertUser(db, {
    org_id: orgId,
    role: 'mechanic',
    email: 'second.mechanic@test.local',
  });
  const a = await insertAircraft(db, { org_id: orgId, tail_number: 'N-RPT-A' });
  const b = await insertAircraft(db, { org_id: orgId, tail_number: 'N-RPT-B' });
  const program = await insertProgram(db, { org_id: orgId, aircraft_id: a.id });
  const ta1 = await insertTask(db, {
    org_id: orgId,
    aircraft_id: a.id,
    program_id: program.id,
    type: 'overhaul',
    state: 'completed',
    start_time: new Date('2030-01-09T08:00:00Z'),
    end_time: new Date('2030-01-09T16:00:00Z'),
  });
  const ta2 = await insertTask(db, { org_id: orgId, aircraft_id: a.id });
  const tb1 = await insertTask(db, { org_id: orgId, aircraft_id: b.id });
  const item = (key: string, overrides: Parameters<typeof insertComplianceItem>[1]) =>
    insertComplianceItem(db, { org_id: orgId, ...overrides }).then((row) => (id[key] = row.id));
  const signed = (userId: string, time: string) => ({
    sign_off_user_id: userId,
    sign_off_time: new Date(time),
  });
  await item('I1', {
    task_id: ta1.id,
    description: 'Torque main gear bolts',
    result: 'pass',
    created_at: new Date('2030-01-05T00:00:00Z'),
    updated_at: new Date('2030-01-10T09:30:00Z'),
    ...signed(home.userIds.mechanic, '2030-01-10T09:30:00Z'),
  });
  await item('I2', {
    task_id: ta1.id,
    result: 'fail',
    created_at: new Date('2030-01-06T00:00:00Z'),
    ...signed(mechanic2.id, '2030-02-10T00:00:00Z'),
    requires_inspection: true,
    inspected_by: home.userIds.mechanic,
    inspected_at: new Date('2030-02-10T01:30:00Z'),
    inspection_meaning: 'inspected',
  });
  await item('I3', { task_id: ta2.id, result: 'pending', created_at: new Date('2030-01-20T00:00:00Z') });
  await item('I4', { task_id: tb1.id, result: 'pass', created_at: new Date('2030-03-01T00:00:00Z') });
  await item('I5', {
    task_id: tb1.id,
    result: 'pass',
    requires_inspection: true,
    created_at: new Date('2030-03-02T00:00:00Z'),
    ...signed(home.userIds.mechanic, '2030-03-15T00:00:00Z'),
  });
  await insertComplianceItem(db, { org_id: orgId, task_id: tb1.id, deleted_at: new Date() }); // never shown
  Object.assign(id, { a: a.id, b: b.id, program: program.id, ta1: ta1.id, mechanic2: mechanic2.id });

  const foreignTask = await insertTask(db, { org_id: other.id });
  foreignAircraftId = foreignTask.aircraft_id;
  foreignItemId = (await insertComplianceItem(db, { org_id: other.id, task_id: foreignTask.id })).id;
}

const report = (query = '', token = home.tokens.auditor) =>
  t.request(token, 'GET', `/api/v1/reports/compliance${query}`);
const idsOf = async (query: string, token?: string) => {
  const response = await report(query, token);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ id: string }[]>().map((row) => row.id);
};
const named = (...keys: string[]) => keys.map((key) => id[key]);

describe('GET /reports/compliance', () => {
  it('lists live items oldest first, each with its task, aircraft and signer', async () => {
    const response = await report();
    expect(response.json<{ id: string }[]>().map((row) => row.id)).toEqual(
      named('I1', 'I2', 'I3', 'I4', 'I5'),
    );
    expect(response.json<unknown[]>()[0]).toEqual({
      id: id.I1,
      org_id: home.org.id,
      task_id: id.ta1,
      description: 'Torque main gear bolts',
      result: 'pass',
      signed_off: true,
      sign_off_user_id: home.userIds.mechanic,
      sign_off_user_email: expect.stringMatching(/^mechanic-.*@test\.local$/) as unknown,
      sign_off_time: '2030-01-10T09:30:00.000Z',
      sign_off_meaning: 'performed',
      requires_inspection: false,
      inspection_pending: false,
      inspected_by: null,
      inspected_by_email: null,
      inspected_at: null,
      inspection_meaning: null,
      created_at: '2030-01-05T00:00:00.000Z',
      updated_at: '2030-01-10T09:30:00.000Z',
      task_type: 'overhaul',
      task_state: 'completed',
      task_start_time: '2030-01-09T08:00:00.000Z',
      task_end_time: '2030-01-09T16:00:00.000Z',
      aircraft_id: id.a,
      tail_number: 'N-RPT-A',
      program_id: id.program,
    });
  });

  it('shows what each signature means and the independent inspection: made, awaiting, or none needed', async () => {
    const rows = (await report()).json<Record<string, unknown>[]>();
    const signatures = (key: string) => {
      const row = rows.find((r) => r.id === id[key])!;
      return {
        signed_by: row.sign_off_user_email,
        sign_off_meaning: row.sign_off_meaning,
        requires_inspection: row.requires_inspection,
        inspection_pending: row.inspection_pending,
        inspected_by: row.inspected_by,
        inspected_by_email: row.inspected_by_email,
        inspected_at: row.inspected_at,
        inspection_meaning: row.inspection_meaning,
      };
    };
    const none = {
      inspected_by: null,
      inspected_by_email: null,
      inspected_at: null,
      inspection_meaning: null,
    };
    expect(signatures('I2')).toEqual({
      signed_by: 'second.mechanic@test.local',
      sign_off_meaning: 'performed',
      requires_inspection: true,
      inspection_pending: false,
      inspected_by: home.userIds.mechanic,
      inspected_by_email: expect.stringMatching(/^mechanic-.*@test\.local$/) as unknown,
      inspected_at: '2030-02-10T01:30:00.000Z',
      inspection_meaning: 'inspected',
    });
    expect(signatures('I5')).toMatchObject({
      sign_off_meaning: 'performed',
      requires_inspection: true,
      inspection_pending: true,
      ...none,
    });
    expect(signatures('I3')).toEqual({
      signed_by: null,
      sign_off_meaning: null,
      requires_inspection: false,
      inspection_pending: false,
      ...none,
    });
  });

  it.each([
    ['aircraft_id', () => `aircraft_id=${id.a}`, ['I1', 'I2', 'I3']],
    ['another aircraft', () => `aircraft_id=${id.b}`, ['I4', 'I5']],
    ['program_id', () => `program_id=${id.program}`, ['I1', 'I2']],
    ['result', () => 'result=pass', ['I1', 'I4', 'I5']],
    ['signed_off_by', () => `signed_off_by=${id.mechanic2}`, ['I2']],
    ['signed=true', () => 'signed=true', ['I1', 'I2', 'I5']],
    ['signed=false', () => 'signed=false', ['I3', 'I4']],
    // Compliance time: sign-off time when signed, creation time while unsigned.
    ['from/to', () => 'from=2030-02-01T00:00:00Z&to=2030-03-10T00:00:00Z', ['I2', 'I4']],
    ['from alone (inclusive)', () => 'from=2030-03-01T00:00:00Z', ['I4', 'I5']],
    ['to alone (exclusive)', () => 'to=2030-01-20T00:00:00Z', ['I1']],
    ['combined filters', () => `aircraft_id=${id.b}&signed=true&result=pass`, ['I5']],
  ])('narrows by %s', async (_name, query, expected) => {
    expect(await idsOf(`?${query()}`)).toEqual(named(...expected));
  });

  it('matches nothing for another organization’s aircraft, and never shows its items', async () => {
    expect(await idsOf(`?aircraft_id=${foreignAircraftId}`)).toEqual([]);
    expect(await idsOf('')).not.toContain(foreignItemId);
  });

  it('lets an admin report on another organization with org_id; an auditor may not', async () => {
    expect(await idsOf(`?org_id=${other.id}`, home.tokens.admin)).toEqual([foreignItemId]);
    const refused = await report(`?org_id=${other.id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
  });

  it('sorts by sign-off time, newest first, unsigned items first as nulls', async () => {
    const ids = await idsOf('?sort=-sign_off_time');
    expect(new Set(ids.slice(0, 2))).toEqual(new Set(named('I3', 'I4')));
    expect(ids.slice(2)).toEqual(named('I5', 'I2', 'I1'));
  });

  it('pages with limit and offset and links the next page', async () => {
    const first = await report('?limit=2');
    expect(first.json<{ id: string }[]>().map((row) => row.id)).toEqual(named('I1', 'I2'));
    expect(first.headers.link).toBe('</api/v1/reports/compliance?limit=2&offset=2>; rel="next"');
    const last = await report('?limit=2&offset=4');
    expect(last.json<{ id: string }[]>().map((row) => row.id)).toEqual(named('I5'));
    expect(last.headers.link).toBeUndefined();
  });

  it.each([
    ['an empty time range', '?from=2030-03-01T00:00:00Z&to=2030-03-01T00:00:00Z', 'INVALID_TIME_RANGE'],
    ['an unknown result', '?result=maybe', 'VALIDATION_FAILED'],
    ['a malformed aircraft id', '?aircraft_id=42', 'VALIDATION_FAILED'],
    ['a malformed signer id', '?signed_off_by=someone', 'VALIDATION_FAILED'],
    ['a non-boolean signed', '?signed=perhaps', 'VALIDATION_FAILED'],
    ['a malformed date', '?from=yesterday', 'VALIDATION_FAILED'],
    ['an unknown sort field', '?sort=tail_number', 'VALIDATION_FAILED'],
    ['an unknown parameter', '?task_id=00000000-0000-4000-8000-000000000000', 'VALIDATION_FAILED'],
  ])('answers %s with 400', async (_name, query, reason) => {
    const response = await report(query);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason });
  });
});

describe('GET /reports/compliance/export', () => {
  const exportCsv = (query = '', token = home.tokens.auditor) =>
    smallBatches.inject({
      method: 'GET',
      url: `/api/v1/reports/compliance/export${query}`,
      headers: { authorization: `Bearer ${token}` },
    });
  const rowsOf = (body: string) => parse<Record<string, string>>(body, { columns: true });

  it('streams the report rows as a CSV attachment, the same values as the JSON report', async () => {
    const response = await exportCsv();
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const date = new Date().toISOString().slice(0, 10);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="compliance-report-${home.org.id}-${date}.csv"`,
    );
    expect(response.body.split('\n', 1)[0]).toBe(
      'id,org_id,task_id,description,result,signed_off,sign_off_user_id,sign_off_user_email,sign_off_time,created_at,updated_at,task_type,task_state,task_start_time,task_end_time,aircraft_id,tail_number,program_id,' +
        'sign_off_meaning,requires_inspection,inspection_pending,inspected_by,inspected_by_email,inspected_at,inspection_meaning',
    );
    const rows = rowsOf(response.body);
    expect(rows.map((row) => row.id)).toEqual(named('I1', 'I2', 'I3', 'I4', 'I5'));
    const json = (await report()).json<Record<string, string | boolean | null>[]>();
    const asCells = (row: Record<string, string | boolean | null>) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [key, value === null ? '' : String(value)]),
      );
    expect(rows).toEqual(json.map(asCells));
  });

  it('applies the report’s filters', async () => {
    const rows = rowsOf((await exportCsv(`?aircraft_id=${id.b}&signed=false`)).body);
    expect(rows.map((row) => row.id)).toEqual(named('I4'));
  });

  it('exports every row exactly once when rows share a creation instant to the microsecond', async () => {
    const task = await insertTask(t.db.db, { org_id: home.org.id });
    await sql`
      INSERT INTO compliance_items (org_id, task_id, description, created_at)
      SELECT ${home.org.id}::uuid, ${task.id}::uuid, 'Tie ' || g, timestamptz '2031-01-01T00:00:00.123456Z'
      FROM generate_series(1, 5) AS g`.execute(t.db.db);
    const rows = rowsOf((await exportCsv('?from=2031-01-01T00:00:00Z')).body);
    expect(rows.map((row) => row.description).sort()).toEqual(['Tie 1', 'Tie 2', 'Tie 3', 'Tie 4', 'Tie 5']);
  });

  it('defuses descriptions a spreadsheet would run as a formula', async () => {
    const probe = await insertComplianceItem(t.db.db, {
      org_id: home.org.id,
      description: '=HYPERLINK("http://evil.example","click")',
      created_at: new Date('2032-01-01T00:00:00Z'),
    });
    const [row] = rowsOf((await exportCsv('?from=2032-01-01T00:00:00Z')).body);
    expect(row).toMatchObject({ id: probe.id, description: `'=HYPERLINK("http://evil.example","click")` });
  });

  it('answers a bad filter with the JSON error envelope, not a CSV', async () => {
    const response = await exportCsv('?from=2030-02-01T00:00:00Z&to=2030-01-01T00:00:00Z');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toMatchObject({ reason: 'INVALID_TIME_RANGE' });
  });

  it('exports another organization’s rows for an admin naming it, and only for an admin', async () => {
    const forAdmin = await exportCsv(`?org_id=${other.id}`, home.tokens.admin);
    expect(rowsOf(forAdmin.body).map((row) => row.id)).toEqual([foreignItemId]);
    expect(forAdmin.headers['content-disposition']).toContain(`compliance-report-${other.id}-`);
    expect((await exportCsv(`?org_id=${other.id}`)).statusCode).toBe(403);
  });
});
