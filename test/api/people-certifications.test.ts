import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { effectsOf, heldTransaction, lockWaiters } from '../support/people.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  insertCertificationType,
  insertEmployeeCertification,
  insertTypeRating,
} from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let b1: string;
let faaAp: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  faaAp = await globalCertificationTypeId(t.db.db, 'FAA', 'A&P');
});
afterAll(async () => {
  await t.close();
});

interface CertificationJson {
  id: string;
  user_id: string;
  certification_type: { authority: string; code: string; name: string; expires: boolean };
  certificate_number: string;
  expiry_date: string | null;
  expired: boolean;
  status: string;
  document_url: string | null;
  verified: boolean;
  verified_by: string | null;
  verified_at: string | null;
}

const DAY = 86_400_000;
const daysFromNow = (n: number) => new Date(Date.now() + n * DAY).toISOString();
const newMechanic = async () => (await t.createUser(tenant.org.id, 'mechanic')).id;
const base = (userId: string) => `/api/v1/users/${userId}/certifications`;
const admin = () => tenant.tokens.tenant_admin;
const body = (overrides: Record<string, unknown> = {}) => ({
  certification_type_id: b1,
  certificate_number: 'UK.66.12345',
  issue_date: daysFromNow(-365),
  expiry_date: daysFromNow(4 * 365),
  ...overrides,
});
const create = (userId: string, overrides: Record<string, unknown> = {}, token = admin()) =>
  t.request(token, 'POST', base(userId), body(overrides));
const liveCount = async (userId: string) =>
  (
    await t.db.db
      .selectFrom('employee_certifications')
      .select('id')
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .execute()
  ).length;

describe('recording a certification', () => {
  it('records it with its type, derived expired flag, Location, an audit row and certification_created', async () => {
    const userId = await newMechanic();
    const response = await create(userId, { document_url: 'https://records.example.com/b1.pdf' });

    expect(response.statusCode, response.body).toBe(201);
    const cert = response.json<CertificationJson>();
    expect(response.headers.location).toBe(`${base(userId)}/${cert.id}`);
    expect(cert).toMatchObject({
      user_id: userId,
      certification_type: { authority: 'EASA', code: 'PART66-B1', expires: true },
      certificate_number: 'UK.66.12345',
      expired: false,
      status: 'active',
      document_url: 'https://records.example.com/b1.pdf',
      verified: false,
      verified_by: null,
    });
    const { audit, events } = await effectsOf(t.db.db, cert.id);
    expect(audit.map((a) => [a.entity_type, a.action])).toEqual([['employee_certification', 'create']]);
    expect(audit[0]!.user_id).toBe(tenant.userIds.tenant_admin);
    expect(events.map((e) => e.event_type)).toEqual(['certification_created']);
  });

  it('records the verifier as the acting admin when verified on creation', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId, { verified: true })).json<CertificationJson>();

    expect(cert.verified).toBe(true);
    expect(cert.verified_by).toBe(tenant.userIds.tenant_admin);
    expect(cert.verified_at).not.toBeNull();
  });

  it('records a system admin of another organization, acting there with ?org_id=, as the verifier', async () => {
    const userId = await newMechanic();
    const scoped = `${base(userId)}?org_id=${tenant.org.id}`;
    const created = await t.request(other.tokens.admin, 'POST', scoped, body({ verified: true }));
    expect(created.statusCode, created.body).toBe(201);
    const cert = created.json<CertificationJson>();
    expect(cert).toMatchObject({ verified: true, verified_by: other.userIds.admin });

    const url = `${base(userId)}/${cert.id}?org_id=${tenant.org.id}`;
    await t.request(admin(), 'PATCH', url, { verified: false });
    const again = await t.request(other.tokens.admin, 'PATCH', url, { verified: true });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<CertificationJson>()).toMatchObject({
      verified: true,
      verified_by: other.userIds.admin,
    });
    // The tenant's own reads show the same verifier; the row names them with their organization.
    expect((await t.request(admin(), 'GET', url)).json<CertificationJson>().verified_by).toBe(
      other.userIds.admin,
    );
    const row = await t.db.db
      .selectFrom('employee_certifications')
      .select(['org_id', 'verified_by_org_id', 'verified_by'])
      .where('id', '=', cert.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      org_id: tenant.org.id,
      verified_by_org_id: other.org.id,
      verified_by: other.userIds.admin,
    });
  });

  it('takes a lifetime licence (a type that does not expire) without an expiry date', async () => {
    const response = await create(await newMechanic(), { certification_type_id: faaAp, expiry_date: null });

    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<CertificationJson>()).toMatchObject({ expiry_date: null, expired: false });
  });

  it('accepts the organization’s own certification type', async () => {
    const own = (await insertCertificationType(t.db.db, { org_id: tenant.org.id })).id;
    expect((await create(await newMechanic(), { certification_type_id: own })).statusCode).toBe(201);
  });

  it.each([
    ['no expiry for a type that expires', { expiry_date: null }, 'EXPIRY_DATE_REQUIRED', 'body.expiry_date'],
    ['an expiry for a type that never expires', 'lifetime', 'EXPIRY_DATE_NOT_ALLOWED', 'body.expiry_date'],
    [
      'an expiry before the issue date',
      { expiry_date: daysFromNow(-400) },
      'EXPIRY_NOT_AFTER_ISSUE',
      'body.expiry_date',
    ],
    [
      'an issue date in the future',
      { issue_date: daysFromNow(3) },
      'ISSUE_DATE_IN_FUTURE',
      'body.issue_date',
    ],
    [
      'a document URL that is not http(s)',
      { document_url: 'ftp://x.example/b1.pdf' },
      'INVALID_DOCUMENT_URL',
      'body.document_url',
    ],
    [
      'a blank certificate number',
      { certificate_number: '   ' },
      'VALIDATION_FAILED',
      'body.certificate_number',
    ],
    ['an unknown status', { status: 'expired' }, 'VALIDATION_FAILED', 'body.status'],
    ['an unknown field', { expired: true }, 'VALIDATION_FAILED', 'body'],
  ])('refuses %s with a 400 naming the field and writes nothing', async (_name, overrides, reason, field) => {
    const userId = await newMechanic();
    // The seeded types are known only once beforeAll ran.
    const response = await create(
      userId,
      overrides === 'lifetime' ? { certification_type_id: faaAp } : (overrides as Record<string, unknown>),
    );

    expect(response.statusCode, response.body).toBe(400);
    const error = response.json<{ code: string; reason: string; details: { field: string }[] }>();
    expect(error).toMatchObject({ code: 'validation', reason });
    expect(error.details.map((d) => d.field).join(' ')).toContain(field);
    expect(await liveCount(userId)).toBe(0);
  });

  it.each([
    [
      'another organization’s type',
      async () => (await insertCertificationType(t.db.db, { org_id: other.org.id })).id,
    ],
    [
      'a deleted type of its own',
      async () =>
        (await insertCertificationType(t.db.db, { org_id: tenant.org.id, deleted_at: new Date() })).id,
    ],
    ['an unknown type', async () => randomUUID()],
  ])('answers %s with 404 CERTIFICATION_TYPE_NOT_FOUND naming the field', async (_name, typeId) => {
    const userId = await newMechanic();
    const response = await create(userId, { certification_type_id: await typeId() });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      reason: 'CERTIFICATION_TYPE_NOT_FOUND',
      details: [{ field: 'body.certification_type_id' }],
    });
    expect(await liveCount(userId)).toBe(0);
  });

  it('refuses a second live certification of the same type with 409, and allows it once the first is deleted', async () => {
    const userId = await newMechanic();
    const first = (await create(userId)).json<CertificationJson>();

    const duplicate = await create(userId, { certificate_number: 'OTHER' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ reason: 'CERTIFICATION_DUPLICATE' });

    await t.request(admin(), 'DELETE', `${base(userId)}/${first.id}`);
    expect((await create(userId, { certificate_number: 'RENEWED' })).statusCode).toBe(201);
  });

  it('answers 404 USER_NOT_FOUND for a deleted user, an unknown user and another organization’s user', async () => {
    const deleted = await newMechanic();
    await t.request(admin(), 'DELETE', `/api/v1/users/${deleted}`);
    for (const userId of [deleted, randomUUID(), other.userIds.mechanic]) {
      const response = await create(userId);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'USER_NOT_FOUND' });
    }
  });

  it('replays a create sent again with the same Idempotency-Key', async () => {
    const userId = await newMechanic();
    const headers = { 'idempotency-key': randomUUID() };
    const payload = body();
    const first = await t.request(admin(), 'POST', base(userId), payload, headers);
    const again = await t.request(admin(), 'POST', base(userId), payload, headers);

    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<CertificationJson>().id).toBe(first.json<CertificationJson>().id);
    expect(await liveCount(userId)).toBe(1);
  });
});

describe('the derived expired flag', () => {
  it('is true once the expiry date has passed and filters the list both ways', async () => {
    const userId = await newMechanic();
    const expired = (
      await insertEmployeeCertification(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        certification_type_id: b1,
        expiry_date: new Date(Date.now() - DAY),
      })
    ).id;
    const valid = (
      await insertEmployeeCertification(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        certification_type_id: faaAp,
        expiry_date: null,
      })
    ).id;

    const one = await t.request(admin(), 'GET', `${base(userId)}/${expired}`);
    expect(one.json<CertificationJson>().expired).toBe(true);
    const onlyExpired = await t.request(admin(), 'GET', `${base(userId)}?expired=true`);
    const onlyValid = await t.request(admin(), 'GET', `${base(userId)}?expired=false`);
    expect(onlyExpired.json<CertificationJson[]>().map((c) => c.id)).toEqual([expired]);
    expect(onlyValid.json<CertificationJson[]>().map((c) => c.id)).toEqual([valid]);
  });
});

describe('listing certifications', () => {
  it('filters by status and type, sorts, and pages with a Link header', async () => {
    const userId = await newMechanic();
    const types = await Promise.all(
      ['PART66-B1', 'PART66-B2', 'PART66-C'].map((code) => globalCertificationTypeId(t.db.db, 'EASA', code)),
    );
    const ids = [];
    for (const [i, typeId] of types.entries()) {
      ids.push(
        (
          await insertEmployeeCertification(t.db.db, {
            org_id: tenant.org.id,
            user_id: userId,
            certification_type_id: typeId,
            expiry_date: new Date(Date.now() + (i + 1) * 100 * DAY),
            status: i === 1 ? 'suspended' : 'active',
          })
        ).id,
      );
    }

    const suspended = await t.request(admin(), 'GET', `${base(userId)}?status=suspended`);
    expect(suspended.json<CertificationJson[]>().map((c) => c.id)).toEqual([ids[1]]);
    const ofType = await t.request(admin(), 'GET', `${base(userId)}?certification_type_id=${types[2]}`);
    expect(ofType.json<CertificationJson[]>().map((c) => c.id)).toEqual([ids[2]]);
    const latestFirst = await t.request(admin(), 'GET', `${base(userId)}?sort=-expiry_date&limit=2`);
    expect(latestFirst.json<CertificationJson[]>().map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect(latestFirst.headers.link).toContain('rel="next"');
    const bad = await t.request(admin(), 'GET', `${base(userId)}?sort=certificate_number`);
    expect(bad.statusCode).toBe(400);
  });
});

describe('changing a certification', () => {
  it('suspends it: the audit row is a state change with the old and new status, and certification_updated is emitted', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId)).json<CertificationJson>();

    const response = await t.request(admin(), 'PATCH', `${base(userId)}/${cert.id}`, { status: 'suspended' });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<CertificationJson>().status).toBe('suspended');
    const { audit, events } = await effectsOf(t.db.db, cert.id);
    expect(audit.at(-1)).toMatchObject({
      action: 'state_change',
      details: { previous_status: 'active', status: 'suspended' },
    });
    expect(events.map((e) => e.event_type)).toEqual(['certification_created', 'certification_updated']);
  });

  it('keeps a revocation final: 409 CERTIFICATION_REVOKED, nothing written', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId, { status: 'revoked' })).json<CertificationJson>();

    const response = await t.request(admin(), 'PATCH', `${base(userId)}/${cert.id}`, { status: 'active' });

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_REVOKED' });
    expect((await effectsOf(t.db.db, cert.id)).audit).toHaveLength(1);
  });

  it('verifies it (the actor is the verifier), and withdraws the verification when the number changes', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId)).json<CertificationJson>();
    const url = `${base(userId)}/${cert.id}`;

    const verified = (await t.request(admin(), 'PATCH', url, { verified: true })).json<CertificationJson>();
    expect(verified).toMatchObject({ verified: true, verified_by: tenant.userIds.tenant_admin });

    const renumbered = (
      await t.request(admin(), 'PATCH', url, { certificate_number: 'UK.66.99999' })
    ).json<CertificationJson>();
    expect(renumbered).toMatchObject({
      certificate_number: 'UK.66.99999',
      verified: false,
      verified_by: null,
    });
  });

  it('checks new dates against the stored ones and the type (400, nothing changed)', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId)).json<CertificationJson>();
    const url = `${base(userId)}/${cert.id}`;

    const noExpiry = await t.request(admin(), 'PATCH', url, { expiry_date: null });
    const beforeIssue = await t.request(admin(), 'PATCH', url, { expiry_date: daysFromNow(-500) });

    expect(noExpiry.json()).toMatchObject({ reason: 'EXPIRY_DATE_REQUIRED' });
    expect(beforeIssue.json()).toMatchObject({ reason: 'EXPIRY_NOT_AFTER_ISSUE' });
    expect((await t.request(admin(), 'GET', url)).json<CertificationJson>().expiry_date).toBe(
      cert.expiry_date,
    );
  });

  it('refuses an empty change and an attempt to change the type (400)', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId)).json<CertificationJson>();
    const url = `${base(userId)}/${cert.id}`;

    expect((await t.request(admin(), 'PATCH', url, {})).statusCode).toBe(400);
    expect((await t.request(admin(), 'PATCH', url, { certification_type_id: faaAp })).statusCode).toBe(400);
  });

  it('answers 404 for another user’s certification id under this user', async () => {
    const owner = await newMechanic();
    const cert = (await create(owner)).json<CertificationJson>();
    const someoneElse = await newMechanic();

    const response = await t.request(admin(), 'PATCH', `${base(someoneElse)}/${cert.id}`, {
      status: 'suspended',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_NOT_FOUND' });
  });
});

describe('deleting a certification', () => {
  it('soft-deletes it with an audit row and certification_deleted; it then answers 404', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId)).json<CertificationJson>();

    const response = await t.request(admin(), 'DELETE', `${base(userId)}/${cert.id}`);

    expect(response.statusCode).toBe(204);
    expect((await t.request(admin(), 'GET', `${base(userId)}/${cert.id}`)).statusCode).toBe(404);
    const row = await t.db.db
      .selectFrom('employee_certifications')
      .select('deleted_at')
      .where('id', '=', cert.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    const { audit, events } = await effectsOf(t.db.db, cert.id);
    expect(audit.at(-1)!.action).toBe('delete');
    expect(events.at(-1)!.event_type).toBe('certification_deleted');
  });

  it('is refused with 409 CERTIFICATION_HAS_TYPE_RATINGS while it carries a live type rating', async () => {
    const userId = await newMechanic();
    const cert = (await create(userId)).json<CertificationJson>();
    const rating = (
      await insertTypeRating(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        certification_id: cert.id,
        aircraft_type_id: await aircraftTypeId(t.db.db, 'A320'),
      })
    ).id;

    const response = await t.request(admin(), 'DELETE', `${base(userId)}/${cert.id}`);

    expect(response.statusCode).toBe(409);
    expect(response.json<{ reason: string; error: string }>()).toMatchObject({
      reason: 'CERTIFICATION_HAS_TYPE_RATINGS',
    });
    expect(response.json<{ error: string }>().error).toContain(rating);
    expect(await liveCount(userId)).toBe(1);
  });
});

describe('a certification and a change to its type racing', () => {
  const ownType = async (overrides: { expires?: boolean } = {}) =>
    (await insertCertificationType(t.db.db, { org_id: tenant.org.id, ...overrides })).id;

  it('a certification that waited for its type’s delete finds the type gone: 404, no live certification on a deleted type', async () => {
    const typeId = await ownType();
    const userId = await newMechanic();
    // The type being deleted, as the service does it: held FOR UPDATE, no use counted, soft-deleted.
    const deleting = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM certification_types WHERE id = ${typeId} FOR UPDATE`.execute(trx);
      await sql`UPDATE certification_types SET deleted_at = now() WHERE id = ${typeId}`.execute(trx);
    });
    const creating = create(userId, { certification_type_id: typeId });
    await lockWaiters(t.db.db, 1);
    deleting.release();
    await deleting.done;

    const response = await creating;
    expect(response.statusCode, response.body).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_TYPE_NOT_FOUND' });
    expect(await liveCount(userId)).toBe(0);
  });

  it('a type delete that waited for a certification being recorded on it answers 409 CERTIFICATION_TYPE_IN_USE', async () => {
    const typeId = await ownType();
    const userId = await newMechanic();
    // A certification being recorded, as the service does it: the type held FOR KEY SHARE, the row inserted.
    const adding = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM certification_types WHERE id = ${typeId} FOR KEY SHARE`.execute(trx);
      await insertEmployeeCertification(trx, {
        org_id: tenant.org.id,
        user_id: userId,
        certification_type_id: typeId,
      });
    });
    const deleting = t.request(admin(), 'DELETE', `/api/v1/certification-types/${typeId}`);
    await lockWaiters(t.db.db, 1);
    adding.release();
    await adding.done;

    const response = await deleting;
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_TYPE_IN_USE' });
  });

  it('a certification that waited for its type to stop expiring is checked against the new rule: no expiry date left on a lifetime type', async () => {
    const typeId = await ownType({ expires: true });
    const userId = await newMechanic();
    const changing = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM certification_types WHERE id = ${typeId} FOR UPDATE`.execute(trx);
      await sql`UPDATE certification_types SET expires = false WHERE id = ${typeId}`.execute(trx);
    });
    const creating = create(userId, { certification_type_id: typeId, expiry_date: daysFromNow(365) });
    await lockWaiters(t.db.db, 1);
    changing.release();
    await changing.done;

    const response = await creating;
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ reason: 'EXPIRY_DATE_NOT_ALLOWED' });
    expect(await liveCount(userId)).toBe(0);
  });
});
