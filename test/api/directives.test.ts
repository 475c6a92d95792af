import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId, insertDirective } from '../support/directive-factories.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
import { auditRowsFor, eventsFor } from '../support/imports.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let faa: string;
let easa: string;
let a20n: string;
let b738: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  faa = await authorityId(t.db.db, 'FAA');
  easa = await authorityId(t.db.db, 'EASA');
  a20n = await aircraftTypeId(t.db.db, 'A20N');
  b738 = await aircraftTypeId(t.db.db, 'B738');
});
afterAll(async () => {
  await t.close();
});

const unique = () => randomUUID().slice(0, 8).toUpperCase();
const admin = () => tenant.tokens.tenant_admin;

const body = (overrides: Record<string, unknown> = {}) => ({
  authority_id: faa,
  type: 'ad',
  reference_number: `2031-${unique()}`,
  title: 'Inspection of the wing rear spar',
  aircraft_type_ids: [a20n],
  effective_date: '2031-03-01',
  limit: { days: 30 },
  ...overrides,
});

async function create(overrides: Record<string, unknown> = {}, token = admin()) {
  const response = await t.request(token, 'POST', '/api/v1/directives', body(overrides));
  expect(response.statusCode, response.body).toBe(201);
  return response.json<Record<string, unknown> & { id: string; reference_number: string }>();
}

/** A fresh organization with a tenant_admin, so list assertions see only their own rows. */
async function freshOrg() {
  const org = await t.createOrg();
  return { orgId: org.id, token: await t.tokenFor(await t.createUser(org.id, 'tenant_admin')) };
}

const list = async (token: string, query: string) => {
  const response = await t.request(token, 'GET', `/api/v1/directives${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ reference_number: string; title: string }[]>().map((d) => d.reference_number);
};

describe('recording a directive', () => {
  it('answers 201 with its authority code, aircraft type designators, limit, recurrence and empty tracking counts', async () => {
    const created = await create({
      aircraft_type_ids: [b738, a20n, a20n],
      applicable_tail_numbers: ['n101da', 'N102DA'],
      serial_from: ' 1000 ',
      serial_to: '4999',
      limit: { days: 30, flight_hours: 600.5 },
      recurrence: { calendar: { value: 12, unit: 'months' }, flight_hours: 600 },
      source_url: 'https://drs.faa.gov/ad/2031-01',
    });

    expect(created).toMatchObject({
      org_id: tenant.org.id,
      authority_id: faa,
      authority_code: 'FAA',
      applicability: 'mandatory',
      status: 'active',
      superseded_by: null,
      aircraft_types: [
        { id: a20n, designator: 'A20N' },
        { id: b738, designator: 'B738' },
      ],
      applicable_tail_numbers: ['N101DA', 'N102DA'],
      serial_from: '1000',
      serial_to: '4999',
      effective_date: '2031-03-01',
      limit: { date: null, days: 30, flight_hours: 600.5, cycles: null },
      recurrence: { calendar: { value: 12, unit: 'months' }, flight_hours: 600, cycles: null },
      tracking: { pending: 0, in_progress: 0, complied: 0, not_applicable: 0, deferred: 0, overdue: 0 },
    });
    const read = await t.request(admin(), 'GET', `/api/v1/directives/${created.id}`);
    expect(read.json()).toEqual(created);
  });

  it('shows a directive without limit or recurrence as limit all null and recurrence null', async () => {
    const created = await create({ limit: null, recurrence: null, applicability: 'recommended', type: 'sb' });

    expect(created).toMatchObject({
      type: 'sb',
      applicability: 'recommended',
      limit: { date: null, days: null, flight_hours: null, cycles: null },
      recurrence: null,
    });
  });

  it('is audited with a directive_created event in the same transaction', async () => {
    const created = await create();

    const audit = (await auditRowsFor(t, tenant.org.id, 'directive')).filter(
      (r) => r.entity_id === created.id,
    );
    const events = (await eventsFor(t, tenant.org.id, 'directive_created')).filter(
      (e) => e.aggregate_id === created.id,
    );
    expect(audit.map((r) => r.action)).toEqual(['create']);
    expect(events).toHaveLength(1);
  });

  it('refuses a second live directive of the authority with the same reference number (409 DIRECTIVE_DUPLICATE), not once the first is deleted', async () => {
    const first = await create();
    const again = await t.request(
      admin(),
      'POST',
      '/api/v1/directives',
      body({ reference_number: first.reference_number }),
    );
    const otherAuthority = await t.request(
      admin(),
      'POST',
      '/api/v1/directives',
      body({ reference_number: first.reference_number, authority_id: easa }),
    );
    await t.request(admin(), 'DELETE', `/api/v1/directives/${first.id}`);
    const afterDelete = await t.request(
      admin(),
      'POST',
      '/api/v1/directives',
      body({ reference_number: first.reference_number }),
    );

    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      reason: 'DIRECTIVE_DUPLICATE',
      details: [{ field: 'body.reference_number' }],
    });
    expect(otherAuthority.statusCode).toBe(201);
    expect(afterDelete.statusCode).toBe(201);
  });

  it.each([
    ['an unknown authority', { authority_id: randomUUID() }, 404, 'AUTHORITY_NOT_FOUND', 'body.authority_id'],
    [
      'an unknown aircraft type',
      { aircraft_type_ids: [randomUUID()] },
      404,
      'AIRCRAFT_TYPE_NOT_FOUND',
      'body.aircraft_type_ids',
    ],
    ['no aircraft type', { aircraft_type_ids: [] }, 400, 'VALIDATION_FAILED', 'body.aircraft_type_ids'],
    [
      'a limit date before the effective date',
      { limit: { date: '2031-02-28' } },
      400,
      'LIMIT_DATE_BEFORE_EFFECTIVE',
      'body.limit.date',
    ],
    [
      'a day that does not exist',
      { effective_date: '2031-02-29' },
      400,
      'VALIDATION_FAILED',
      'body.effective_date',
    ],
    [
      'a reversed serial range',
      { serial_from: '1000', serial_to: '999' },
      400,
      'SERIAL_RANGE_REVERSED',
      'body.serial_to',
    ],
    [
      'flight hours with three decimals',
      { limit: { flight_hours: 1.005 } },
      400,
      'FLIGHT_HOURS_PRECISION',
      'body.limit.flight_hours',
    ],
    [
      'superseded without a successor',
      { status: 'superseded' },
      400,
      'SUPERSEDED_BY_REQUIRED',
      'body.superseded_by',
    ],
    [
      'a successor while active',
      { superseded_by: randomUUID() },
      400,
      'SUPERSEDED_BY_NOT_ALLOWED',
      'body.superseded_by',
    ],
    [
      'a source URL that is not http(s)',
      { source_url: 'ftp://x.example/ad' },
      400,
      'INVALID_SOURCE_URL',
      'body.source_url',
    ],
  ])('refuses %s, naming the field', async (_name, overrides, status, reason, field) => {
    const response = await t.request(admin(), 'POST', '/api/v1/directives', body(overrides));

    expect(response.statusCode, response.body).toBe(status);
    expect(response.json()).toMatchObject({ reason });
    expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
  });

  it('refuses another organization’s directive as successor with 404 DIRECTIVE_NOT_FOUND naming superseded_by', async () => {
    const foreign = await insertDirective(t.db.db, { org_id: other.org.id });
    const response = await t.request(
      admin(),
      'POST',
      '/api/v1/directives',
      body({ status: 'superseded', superseded_by: foreign.id }),
    );

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      reason: 'DIRECTIVE_NOT_FOUND',
      details: [{ field: 'body.superseded_by' }],
    });
  });
});

describe('changing a directive', () => {
  it('changes the fields given, audited with before and after and a directive_updated event', async () => {
    const created = await create();
    const response = await t.request(admin(), 'PATCH', `/api/v1/directives/${created.id}`, {
      title: 'Revised inspection',
      limit: { cycles: 500 },
      recurrence: { cycles: 1000 },
    });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      title: 'Revised inspection',
      limit: { date: null, days: null, flight_hours: null, cycles: 500 },
      recurrence: { calendar: null, flight_hours: null, cycles: 1000 },
    });
    const audit = (await auditRowsFor(t, tenant.org.id, 'directive')).filter(
      (r) => r.entity_id === created.id,
    );
    expect(audit.map((r) => r.action)).toEqual(['create', 'update']);
    const events = await eventsFor(t, tenant.org.id, 'directive_updated');
    expect(events.filter((e) => e.aggregate_id === created.id)).toHaveLength(1);
  });

  it('supersedes it by another live directive, and returning it to active drops the successor', async () => {
    const old = await create();
    const successor = await create();
    const superseded = await t.request(admin(), 'PATCH', `/api/v1/directives/${old.id}`, {
      status: 'superseded',
      superseded_by: successor.id,
    });
    const itself = await t.request(admin(), 'PATCH', `/api/v1/directives/${old.id}`, {
      superseded_by: old.id,
    });
    const active = await t.request(admin(), 'PATCH', `/api/v1/directives/${old.id}`, { status: 'active' });

    expect(superseded.json()).toMatchObject({ status: 'superseded', superseded_by: successor.id });
    expect(itself.statusCode).toBe(400);
    expect(itself.json()).toMatchObject({ reason: 'SUPERSEDED_BY_ITSELF' });
    expect(active.json()).toMatchObject({ status: 'active', superseded_by: null });
  });

  it('deletes it softly: gone from the API with a directive_deleted event', async () => {
    const created = await create();
    const deleted = await t.request(admin(), 'DELETE', `/api/v1/directives/${created.id}`);
    const read = await t.request(admin(), 'GET', `/api/v1/directives/${created.id}`);
    const again = await t.request(admin(), 'DELETE', `/api/v1/directives/${created.id}`);

    expect(deleted.statusCode).toBe(204);
    expect(read.statusCode).toBe(404);
    expect(read.json()).toMatchObject({ reason: 'DIRECTIVE_NOT_FOUND' });
    expect(again.statusCode).toBe(404);
    const events = await eventsFor(t, tenant.org.id, 'directive_deleted');
    expect(events.filter((e) => e.aggregate_id === created.id)).toHaveLength(1);
  });
});

describe('listing directives', () => {
  it('filters by authority, type, status, applicability, aircraft type and effective dates', async () => {
    const { token } = await freshOrg();
    const a = await create({ effective_date: '2031-01-10' }, token);
    const b = await create(
      {
        authority_id: easa,
        type: 'sb',
        applicability: 'recommended',
        effective_date: '2031-02-10',
        aircraft_type_ids: [b738],
      },
      token,
    );
    const c = await create({ status: 'cancelled', effective_date: '2031-03-10' }, token);

    expect(await list(token, `?authority_id=${easa}`)).toEqual([b.reference_number]);
    expect(await list(token, '?type=sb')).toEqual([b.reference_number]);
    expect(await list(token, '?status=cancelled')).toEqual([c.reference_number]);
    expect(await list(token, '?applicability=recommended')).toEqual([b.reference_number]);
    expect(await list(token, `?aircraft_type_id=${b738}`)).toEqual([b.reference_number]);
    expect(await list(token, '?effective_from=2031-01-10&effective_to=2031-02-10')).toEqual([
      b.reference_number,
      a.reference_number,
    ]);
  });

  it('searches the text of reference number, title and description, and reference-number prefixes', async () => {
    const { token } = await freshOrg();
    const spar = await create({ reference_number: '2031-0412', title: 'Wing rear spar cracks' }, token);
    const pump = await create(
      { reference_number: '2030-0101', title: 'Fuel pump', description: 'Replace the boost pump wiring' },
      token,
    );

    expect(await list(token, '?q=spar')).toEqual([spar.reference_number]);
    expect(await list(token, `?q=${encodeURIComponent('boost wiring')}`)).toEqual([pump.reference_number]);
    expect(await list(token, `?q=${encodeURIComponent('pump -wiring')}`)).toEqual([]);
    expect(await list(token, '?q=2031-04')).toEqual([spar.reference_number]);
  });

  it('sorts by reference number, title, effective date and creation, latest effective first by default', async () => {
    const { token } = await freshOrg();
    await create({ reference_number: 'B-2', title: 'Alpha', effective_date: '2031-01-01' }, token);
    await create({ reference_number: 'A-1', title: 'Charlie', effective_date: '2031-03-01' }, token);
    await create({ reference_number: 'C-3', title: 'Bravo', effective_date: '2031-02-01' }, token);

    expect(await list(token, '')).toEqual(['A-1', 'C-3', 'B-2']);
    expect(await list(token, '?sort=reference_number')).toEqual(['A-1', 'B-2', 'C-3']);
    expect(await list(token, '?sort=-title')).toEqual(['A-1', 'C-3', 'B-2']);
    expect(await list(token, '?sort=created_at')).toEqual(['B-2', 'A-1', 'C-3']);
  });

  it('refuses effective_to before effective_from with 400 INVALID_DATE_RANGE', async () => {
    const response = await t.request(
      admin(),
      'GET',
      '/api/v1/directives?effective_from=2031-02-01&effective_to=2031-01-01',
    );

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ reason: 'INVALID_DATE_RANGE' });
  });
});
