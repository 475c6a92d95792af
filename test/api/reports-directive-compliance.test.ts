import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportService } from '../../src/app/reports.js';
import { buildServer } from '../../src/cmd/container.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  authorityId,
  insertAircraftDirective,
  insertComplianceRecord,
  insertDirective,
  insertRegistration,
} from '../support/directive-factories.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
import { insertAircraft, insertTask, insertUser } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
/** A server whose report reads two rows per batch, so every report crosses batch boundaries. */
let smallBatches: FastifyInstance;
let home: Tenant;
let faa: string;
let easa: string;
let foreignAircraftId: string;
const id: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  const reports = new ReportService({ uow: t.container.uow, exportBatchSize: 2 });
  smallBatches = await buildServer({ ...t.container, services: { ...t.container.services, reports } });
  await smallBatches.ready();
  home = await createTenant(t);
  faa = await authorityId(t.db.db, 'FAA');
  easa = await authorityId(t.db.db, 'EASA');
  await seed();
});
afterAll(async () => {
  await smallBatches.close();
  await t.close();
});

/**
 * Three aircraft of the home org: N100DC with FAA AD-100 (complied twice, the last on 2025-01-20 by
 * signer@dc.test), AD-200 (superseded, complied once), AD-400 (cancelled, never complied: left out)
 * and an EASA directive (left out); N200DC with AD-100 pending since 2025-01-31 (past its limit);
 * N300DC with nothing tracked. The org holds an FAA AOC.
 */
async function seed() {
  const db = t.db.db;
  const orgId = home.org.id;
  const a20n = await aircraftTypeId(db, 'A20N');
  await insertRegistration(db, {
    org_id: orgId,
    authority_id: faa,
    certificate_number: 'AOC-HOME-1',
    valid_until: '2031-12-31',
  });
  const signer = await insertUser(db, { org_id: orgId, role: 'mechanic', email: 'signer@dc.test' });
  const plane = (tail: string, serial: string) =>
    insertAircraft(db, {
      org_id: orgId,
      tail_number: tail,
      serial_number: serial,
      aircraft_type_id: a20n,
      flight_hours_total: 5000,
      cycles_total: 2000,
    });
  const [a, b, c] = [
    await plane('N100DC', '1234'),
    await plane('N200DC', '1300'),
    await plane('N300DC', '1400'),
  ];
  const directive = (ref: string, overrides: Parameters<typeof insertDirective>[1] = {}) =>
    insertDirective(db, { org_id: orgId, authority_id: faa, reference_number: ref, ...overrides });
  const d100 = await directive('AD-100', { title: 'Wing rear spar inspection' });
  const d300 = await directive('AD-300', { title: 'Rear spar modification' });
  const d200 = await directive('AD-200', { status: 'superseded', superseded_by: d300.id });
  const d400 = await directive('AD-400', { status: 'cancelled' });
  const e1 = await directive('EASA-1', { authority_id: easa });
  const track = (aircraftId: string, directiveId: string) =>
    insertAircraftDirective(db, { org_id: orgId, aircraft_id: aircraftId, directive_id: directiveId });
  const a100 = await track(a.id, d100.id);
  const task = await insertTask(db, { org_id: orgId, aircraft_id: a.id });
  const record = (trackingId: string, performedAt: string, method: string, taskId?: string) =>
    insertComplianceRecord(db, {
      aircraft_directive_id: trackingId,
      signed_by: signer.id,
      performed_at: new Date(performedAt),
      method,
      flight_hours: 4800,
      cycles: 1900,
      ...(taskId ? { task_id: taskId } : {}),
    });
  await record(a100.id, '2024-12-01T09:00:00Z', 'Initial inspection');
  const last = await record(a100.id, '2025-01-20T10:00:00Z', 'Inspection per paragraph (g)', task.id);
  await db
    .updateTable('aircraft_directives')
    .set({ status: 'complied', last_compliance_id: last.id, next_due_date: null })
    .where('id', '=', a100.id)
    .execute();
  const a200 = await track(a.id, d200.id);
  await record(a200.id, '2024-06-01T09:00:00Z', 'Terminating action');
  await track(a.id, d400.id);
  await track(a.id, e1.id);
  await track(b.id, d100.id);
  Object.assign(id, { a: a.id, b: b.id, c: c.id, task: task.id, signer: signer.id, d100: d100.id });

  const other = await t.createOrg();
  foreignAircraftId = (await insertAircraft(db, { org_id: other.id })).id;
}

const url = (query: string) => `/api/v1/reports/directive-compliance?${query}`;
const report = (query: string, token = home.tokens.auditor) => t.request(token, 'GET', url(query));

interface ReportJson {
  org_name: string;
  authority: { code: string };
  registrations: { certificate_number: string; valid_until: string | null }[];
  generated_at: string;
  aircraft: {
    tail_number: string;
    serial_number: string;
    directives: {
      reference_number: string;
      status: string;
      directive_status: string;
      past_limit: boolean;
      next_due: { date: string | null };
      last_compliance: { method: string; performed_at: string; signer_email: string; task_id: string } | null;
    }[];
  }[];
}

/** The text of a PDF as `pdftotext -layout` reads it, one string per page. */
function pdfPages(pdf: Buffer): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'amss-report-')), 'report.pdf');
  writeFileSync(file, pdf);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  return text.split('\f').filter((page) => page.trim() !== '');
}

describe('GET /reports/directive-compliance as JSON', () => {
  it('lists every aircraft by tail with its directives of the authority, last compliance and next due', async () => {
    const response = await report(`authority_id=${faa}`);

    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<ReportJson>();
    expect(body).toMatchObject({ org_name: home.org.name, authority: { code: 'FAA' } });
    expect(body.registrations).toMatchObject([
      { certificate_number: 'AOC-HOME-1', valid_until: '2031-12-31' },
    ]);
    expect(body.aircraft.map((a) => [a.tail_number, a.directives.map((d) => d.reference_number)])).toEqual([
      ['N100DC', ['AD-100', 'AD-200']],
      ['N200DC', ['AD-100']],
      ['N300DC', []],
    ]);
    const [complied, superseded] = body.aircraft[0]!.directives;
    expect(complied).toMatchObject({
      status: 'complied',
      past_limit: false,
      last_compliance: {
        method: 'Inspection per paragraph (g)',
        performed_at: '2025-01-20T10:00:00.000Z',
        signer_email: 'signer@dc.test',
        task_id: id.task,
      },
    });
    expect(superseded).toMatchObject({
      directive_status: 'superseded',
      last_compliance: { method: 'Terminating action' },
    });
    expect(body.aircraft[1]!.directives[0]).toMatchObject({
      status: 'pending',
      past_limit: true,
      next_due: { date: '2025-01-31' },
      last_compliance: null,
    });
  });

  it('covers one aircraft when aircraft_id names it', async () => {
    const body = (await report(`authority_id=${faa}&aircraft_id=${id.b}`)).json<ReportJson>();

    expect(body.aircraft.map((a) => a.tail_number)).toEqual(['N200DC']);
  });

  it('reads the same report in small batches as in one', async () => {
    const whole = (await report(`authority_id=${faa}`)).json<ReportJson>();
    const batched = await smallBatches.inject({
      method: 'GET',
      url: url(`authority_id=${faa}`),
      headers: { authorization: `Bearer ${home.tokens.auditor}` },
    });

    expect({ ...batched.json<ReportJson>(), generated_at: '' }).toEqual({ ...whole, generated_at: '' });
  });

  it('shows an authority the org has no registration with, and none of its other directives', async () => {
    const body = (await report(`authority_id=${easa}`)).json<ReportJson>();

    expect(body.registrations).toEqual([]);
    expect(body.aircraft.flatMap((a) => a.directives.map((d) => d.reference_number))).toEqual(['EASA-1']);
  });
});

describe('GET /reports/directive-compliance refusals', () => {
  it('asks for authority_id when it is missing', async () => {
    const response = await report('');

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'validation',
      details: [expect.objectContaining({ field: 'querystring.authority_id' })],
    });
  });

  it('answers 404 for an unknown authority and for another organization’s aircraft', async () => {
    const unknown = await report('authority_id=00000000-0000-4000-8000-000000000000');
    const foreign = await report(`authority_id=${faa}&aircraft_id=${foreignAircraftId}`);

    expect(unknown.statusCode).toBe(404);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'not_found' });
  });

  it('shows another organization nothing of this one', async () => {
    const other = await createTenant(t);
    const body = (await report(`authority_id=${faa}`, other.tokens.auditor)).json<ReportJson>();

    expect(body.registrations).toEqual([]);
    expect(body.aircraft).toEqual([]);
  });
});

describe('GET /reports/directive-compliance?format=csv', () => {
  it('streams one line per aircraft and directive as an attachment', async () => {
    const response = await report(`authority_id=${faa}&format=csv`);

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toMatch(
      new RegExp(
        `^attachment; filename="directive-compliance-FAA-${home.org.id}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`,
      ),
    );
    const rows = parse<Record<string, string>>(response.body, { columns: true });
    expect(rows.map((row) => [row.tail_number, row.reference_number, row.status])).toEqual([
      ['N100DC', 'AD-100', 'complied'],
      ['N100DC', 'AD-200', 'pending'],
      ['N200DC', 'AD-100', 'pending'],
      ['N300DC', '', ''],
    ]);
    expect(rows[0]).toMatchObject({
      serial_number: '1234',
      last_compliance_at: '2025-01-20T10:00:00.000Z',
      last_compliance_method: 'Inspection per paragraph (g)',
      signer_email: 'signer@dc.test',
      compliance_task_id: id.task,
      past_limit: 'false',
    });
    expect(rows[2]).toMatchObject({ next_due_date: '2025-01-31', past_limit: 'true', signer_email: '' });
  });
});

describe('GET /reports/directive-compliance?format=pdf', () => {
  it('renders a PDF whose text names the org, authority, registration, tails, references and signer', async () => {
    const response = await report(`authority_id=${faa}&format=pdf`);

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="directive-compliance-FAA-.*\.pdf"$/,
    );
    const pages = pdfPages(response.rawPayload);
    const text = pages.join('\n');
    expect(pages).toHaveLength(1);
    for (const expected of [
      home.org.name,
      'Directive compliance report: FAA',
      'Federal Aviation Administration',
      'AOC AOC-HOME-1 (valid until 2031-12-31)',
      'N100DC',
      'N200DC',
      'N300DC',
      'MSN 1234',
      'AD-100',
      'AD-200',
      'signer@dc.test',
      'pending (past limit)',
      'No directive of FAA is tracked on this aircraft.',
      'Page 1 of 1',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('AD-400');
    expect(text).toMatch(/Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
  });

  it('continues a long table on the next pages with the page header and the table header repeated', async () => {
    const fleet = await createTenant(t);
    const db = t.db.db;
    const aircraft = await insertAircraft(db, {
      org_id: fleet.org.id,
      tail_number: 'N999LONG',
      aircraft_type_id: await aircraftTypeId(db, 'A20N'),
    });
    for (let n = 1; n <= 70; n += 1) {
      const directive = await insertDirective(db, {
        org_id: fleet.org.id,
        reference_number: `AD-${String(n).padStart(3, '0')}`,
      });
      await insertAircraftDirective(db, {
        org_id: fleet.org.id,
        aircraft_id: aircraft.id,
        directive_id: directive.id,
      });
    }

    const response = await report(`authority_id=${faa}&format=pdf`, fleet.tokens.tenant_admin);

    const pages = pdfPages(response.rawPayload);
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((page, index) => {
      expect(page).toContain(fleet.org.name);
      expect(page).toContain('Registration: none on record with FAA');
      expect(page).toMatch(/Reference\s+Title\s+Status\s+Last compliance\s+Next due\s+Signer/);
      expect(page).toContain(`Page ${index + 1} of ${pages.length}`);
    });
    expect(pages[1]).toContain('N999LONG');
    expect(pages[1]).toContain('(continued)');
    expect(pages.at(-1)).toContain('AD-070');
  });
});
