import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId, insertRegistration } from '../support/directive-factories.js';
import { rejectionOf } from '../support/factories.js';
import { auditRowsOf, eventsOf } from '../support/parts.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let other: Tenant;
let faa: string;
let easa: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  other = await createTenant(t);
  faa = await authorityId(t.db.db, 'FAA');
  easa = await authorityId(t.db.db, 'EASA');
});
afterAll(async () => {
  await t.close();
});

interface RegistrationJson {
  id: string;
  org_id: string;
  authority_id: string;
  authority_code: string;
  approval_type: string;
  certificate_number: string;
  valid_from: string | null;
  valid_until: string | null;
  scope: string | null;
}

const unique = () => randomUUID().slice(0, 8).toUpperCase();
const base = (orgId = home.org.id) => `/api/v1/organizations/${orgId}/registrations`;
const create = (body: Record<string, unknown>, token = home.tokens.tenant_admin, orgId = home.org.id) =>
  t.request(token, 'POST', base(orgId), body);
const list = async (query: string, orgId = home.org.id) => {
  const response = await t.request(home.tokens.auditor, 'GET', `${base(orgId)}?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<RegistrationJson[]>();
};
/** A fresh organization with one user per role, so list filters see only what the test adds. */
const freshTenant = () => createTenant(t);

describe('recording registrations', () => {
  it('records an approval with its authority and answers 201 with a Location', async () => {
    const number = `DE.145.${unique()}`;
    const response = await create({
      authority_id: easa,
      approval_type: '  Part-145 ',
      certificate_number: number,
      valid_from: '2030-01-01',
      scope: 'A1 ratings: A320 family',
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json<RegistrationJson>();
    expect(response.headers.location).toBe(`${base()}/${created.id}`);
    expect(created).toMatchObject({
      org_id: home.org.id,
      authority_id: easa,
      authority_code: 'EASA',
      approval_type: 'Part-145',
      certificate_number: number,
      valid_from: '2030-01-01',
      valid_until: null,
      scope: 'A1 ratings: A320 family',
    });
    const fetched = await t.request(home.tokens.mechanic, 'GET', `${base()}/${created.id}`);
    expect(fetched.json()).toEqual(created);
  });

  it('audits create, update and delete and emits registration_created, _updated and _deleted', async () => {
    const created = (
      await create({ authority_id: faa, approval_type: 'AOC', certificate_number: `AOC-${unique()}` })
    ).json<RegistrationJson>();
    const url = `${base()}/${created.id}`;
    const patched = await t.request(home.tokens.tenant_admin, 'PATCH', url, { valid_until: '2034-06-30' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ valid_until: '2034-06-30' });
    expect((await t.request(home.tokens.tenant_admin, 'DELETE', url)).statusCode).toBe(204);

    const audits = await auditRowsOf(t.db.db, created.id);
    expect(audits.map((row) => [row.action, row.entity_type])).toEqual([
      ['create', 'registration'],
      ['update', 'registration'],
      ['delete', 'registration'],
    ]);
    const events = await eventsOf(t.db.db, created.id);
    expect(events.map((event) => event.event_type)).toEqual([
      'registration_created',
      'registration_updated',
      'registration_deleted',
    ]);
    expect((await t.request(home.tokens.auditor, 'GET', url)).statusCode).toBe(404);
  });

  it('refuses a duplicate live registration with 409 REGISTRATION_DUPLICATE, and allows it again once deleted', async () => {
    const body = { authority_id: faa, approval_type: 'Part-121', certificate_number: `121-${unique()}` };
    const first = (await create(body)).json<RegistrationJson>();
    const again = await create(body);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      code: 'conflict',
      reason: 'REGISTRATION_DUPLICATE',
      details: [{ field: 'body.certificate_number' }],
    });
    // The same number under another authority, or in another organization, is another approval.
    expect((await create({ ...body, authority_id: easa })).statusCode).toBe(201);
    expect((await create(body, other.tokens.tenant_admin, other.org.id)).statusCode).toBe(201);

    expect((await t.request(home.tokens.tenant_admin, 'DELETE', `${base()}/${first.id}`)).statusCode).toBe(
      204,
    );
    expect((await create(body)).statusCode).toBe(201);
  });

  it('refuses a PATCH that would duplicate another live registration', async () => {
    const number = `CAMO-${unique()}`;
    await create({ authority_id: easa, approval_type: 'Part-CAMO', certificate_number: number });
    const second = (
      await create({ authority_id: easa, approval_type: 'Part-CAMO', certificate_number: `${number}-2` })
    ).json<RegistrationJson>();
    const response = await t.request(home.tokens.tenant_admin, 'PATCH', `${base()}/${second.id}`, {
      certificate_number: number,
    });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'REGISTRATION_DUPLICATE' });
  });

  it('refuses valid_until on or before valid_from with 400 naming valid_until, also when a PATCH makes it so', async () => {
    for (const valid_until of ['2030-01-01', '2029-12-31']) {
      const response = await create({
        authority_id: faa,
        approval_type: 'AOC',
        certificate_number: `AOC-${unique()}`,
        valid_from: '2030-01-01',
        valid_until,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation', details: [{ field: 'body.valid_until' }] });
    }
    const created = (
      await create({
        authority_id: faa,
        approval_type: 'AOC',
        certificate_number: `AOC-${unique()}`,
        valid_until: '2031-01-01',
      })
    ).json<RegistrationJson>();
    const response = await t.request(home.tokens.tenant_admin, 'PATCH', `${base()}/${created.id}`, {
      valid_from: '2031-06-01',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'INVALID_VALIDITY_PERIOD',
      details: [{ field: 'body.valid_until' }],
    });
  });

  it('answers 404 naming authority_id for an unknown authority, and 400 for a day that does not exist', async () => {
    const unknown = await create({
      authority_id: randomUUID(),
      approval_type: 'AOC',
      certificate_number: 'X-1',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      reason: 'AUTHORITY_NOT_FOUND',
      details: [{ field: 'body.authority_id' }],
    });
    const badDay = await create({
      authority_id: faa,
      approval_type: 'AOC',
      certificate_number: 'X-2',
      valid_until: '2031-02-30',
    });
    expect(badDay.statusCode).toBe(400);
  });
});

describe('listing registrations', () => {
  it('filters by authority, approval type and validity today, and sorts', async () => {
    const tenant = await freshTenant();
    const orgId = tenant.org.id;
    const add = (authority_id: string, approval_type: string, valid_until: string | null) =>
      insertRegistration(t.db.db, {
        org_id: orgId,
        authority_id,
        approval_type,
        valid_until,
        certificate_number: `N-${unique()}`,
      });
    const expired = await add(faa, 'AOC', '2001-01-01');
    const open = await add(faa, 'Part-145', null);
    const future = await add(easa, 'Part-145', '2999-12-31');
    await insertRegistration(t.db.db, { org_id: orgId, authority_id: easa, deleted_at: new Date() });
    const ids = (rows: RegistrationJson[]) => rows.map((row) => row.id).sort();
    const admin = tenant.tokens.admin;
    const get = async (query: string) =>
      (await t.request(admin, 'GET', `${base(orgId)}?${query}`)).json<RegistrationJson[]>();

    expect(ids(await get(''))).toEqual([expired.id, open.id, future.id].sort());
    expect(ids(await get(`authority_id=${faa}`))).toEqual([expired.id, open.id].sort());
    expect(ids(await get('approval_type=part-145'))).toEqual([open.id, future.id].sort());
    expect(ids(await get('valid=true'))).toEqual([open.id, future.id].sort());
    expect(ids(await get('valid=false'))).toEqual([expired.id]);
    expect((await get('sort=-valid_until')).map((row) => row.id)).toEqual([open.id, future.id, expired.id]);
    const page = await t.request(admin, 'GET', `${base(orgId)}?limit=2`);
    expect(page.json<RegistrationJson[]>()).toHaveLength(2);
    expect(page.headers.link).toContain('rel="next"');
    expect((await t.request(admin, 'GET', `${base(orgId)}?sort=scope`)).statusCode).toBe(400);
  });

  it('lets every role of the organization read them', async () => {
    const created = await insertRegistration(t.db.db, { org_id: home.org.id });
    for (const token of Object.values(home.tokens)) {
      const response = await t.request(token, 'GET', `${base()}/${created.id}`);
      expect(response.statusCode).toBe(200);
    }
    expect((await list(`authority_id=${created.authority_id}`)).map((row) => row.id)).toContain(created.id);
  });
});

describe('the database behind the registration rules', () => {
  it('answers a duplicate or an inverted period that gets past the service (a race) as the same 4xx', async () => {
    const existing = await insertRegistration(t.db.db, { org_id: home.org.id });
    const write = (overrides: Partial<{ certificateNumber: string; validUntil: string }>) =>
      rejectionOf(
        t.container.uow.transaction((tx) =>
          tx.regulatory.insertRegistration({
            orgId: home.org.id,
            authorityId: existing.authority_id,
            approvalType: existing.approval_type,
            certificateNumber: existing.certificate_number,
            validFrom: '2030-01-01',
            validUntil: null,
            scope: null,
            ...overrides,
          }),
        ),
      );
    expect(await write({})).toMatchObject({
      kind: 'conflict',
      reason: 'REGISTRATION_DUPLICATE',
      details: [{ field: 'body.certificate_number' }],
    });
    expect(await write({ certificateNumber: `N-${unique()}`, validUntil: '2029-01-01' })).toMatchObject({
      kind: 'validation',
      reason: 'INVALID_VALIDITY_PERIOD',
      details: [{ field: 'body.valid_until' }],
    });
  });
});
