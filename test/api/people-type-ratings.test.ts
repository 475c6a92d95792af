import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { effectsOf, heldTransaction, lockWaiters as waitForLockWaiters } from '../support/people.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  insertEmployeeCertification,
  insertTypeRating,
} from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let b1: string;
let a320: string;
let b738: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  a320 = await aircraftTypeId(t.db.db, 'A320');
  b738 = await aircraftTypeId(t.db.db, 'B738');
});
afterAll(async () => {
  await t.close();
});

interface RatingJson {
  id: string;
  user_id: string;
  aircraft_type_id: string;
  aircraft_type: { designator: string };
  certification_id: string;
  endorsed_date: string;
  expiry_date: string | null;
  expired: boolean;
}

const DAY = 86_400_000;
const daysFromNow = (n: number) => new Date(Date.now() + n * DAY).toISOString();
const admin = () => tenant.tokens.tenant_admin;
const base = (userId: string) => `/api/v1/users/${userId}/type-ratings`;

/** A fresh mechanic of the tenant holding a live B1. */
async function holder(status: 'active' | 'revoked' = 'active'): Promise<{ userId: string; certId: string }> {
  const userId = (await t.createUser(tenant.org.id, 'mechanic')).id;
  const certId = (
    await insertEmployeeCertification(t.db.db, {
      org_id: tenant.org.id,
      user_id: userId,
      certification_type_id: b1,
      status: status,
    })
  ).id;
  return { userId, certId };
}
const create = (userId: string, body: Record<string, unknown>) =>
  t.request(admin(), 'POST', base(userId), {
    aircraft_type_id: a320,
    endorsed_date: daysFromNow(-30),
    ...body,
  });
const liveCount = async (userId: string) =>
  (
    await t.db.db
      .selectFrom('type_ratings')
      .select('id')
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .execute()
  ).length;

describe('recording a type rating', () => {
  it('records it on the user’s own certification with the aircraft type, an audit row and type_rating_created', async () => {
    const { userId, certId } = await holder();

    const response = await create(userId, { certification_id: certId, expiry_date: daysFromNow(700) });

    expect(response.statusCode, response.body).toBe(201);
    const rating = response.json<RatingJson>();
    expect(response.headers.location).toBe(`${base(userId)}/${rating.id}`);
    expect(rating).toMatchObject({
      user_id: userId,
      aircraft_type_id: a320,
      // The one aircraft type view, as GET /aircraft-types/{id} shows it.
      aircraft_type: (await t.request(admin(), 'GET', `/api/v1/aircraft-types/${a320}`)).json<unknown>(),
      certification_id: certId,
      expired: false,
    });
    const { audit, events } = await effectsOf(t.db.db, rating.id);
    expect(audit.map((a) => [a.entity_type, a.action])).toEqual([['type_rating', 'create']]);
    expect(events.map((e) => e.event_type)).toEqual(['type_rating_created']);
  });

  it('refuses another user’s certification with 404 CERTIFICATION_NOT_FOUND naming the field, writing nothing', async () => {
    const { userId } = await holder();
    const { certId: someoneElses } = await holder();

    const response = await create(userId, { certification_id: someoneElses });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      reason: 'CERTIFICATION_NOT_FOUND',
      details: [{ field: 'body.certification_id' }],
    });
    expect(await liveCount(userId)).toBe(0);
  });

  it('refuses another organization’s certification the same way', async () => {
    const { userId } = await holder();
    const foreign = (
      await insertEmployeeCertification(t.db.db, {
        org_id: other.org.id,
        user_id: other.userIds.mechanic,
        certification_type_id: b1,
      })
    ).id;

    const response = await create(userId, { certification_id: foreign });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_NOT_FOUND' });
  });

  it('refuses a revoked certification with 409 CERTIFICATION_REVOKED', async () => {
    const { userId, certId } = await holder('revoked');

    const response = await create(userId, { certification_id: certId });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_REVOKED' });
  });

  it('refuses an unknown aircraft type with 404 AIRCRAFT_TYPE_NOT_FOUND', async () => {
    const { userId, certId } = await holder();

    const response = await create(userId, { certification_id: certId, aircraft_type_id: randomUUID() });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      reason: 'AIRCRAFT_TYPE_NOT_FOUND',
      details: [{ field: 'body.aircraft_type_id' }],
    });
  });

  it.each([
    ['an expiry not after the endorsement', { expiry_date: daysFromNow(-40) }, 'EXPIRY_NOT_AFTER_START'],
    ['an endorsement in the future', { endorsed_date: daysFromNow(5) }, 'DATE_IN_FUTURE'],
    ['a malformed certification id', { certification_id: 'abc' }, 'VALIDATION_FAILED'],
  ])('refuses %s with 400 and writes nothing', async (_name, overrides, reason) => {
    const { userId, certId } = await holder();

    const response = await create(userId, { certification_id: certId, ...overrides });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason });
    expect(await liveCount(userId)).toBe(0);
  });

  it('refuses a second live rating on the same aircraft type with 409 TYPE_RATING_DUPLICATE', async () => {
    const { userId, certId } = await holder();
    expect((await create(userId, { certification_id: certId })).statusCode).toBe(201);

    const duplicate = await create(userId, { certification_id: certId });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ reason: 'TYPE_RATING_DUPLICATE' });
    expect((await create(userId, { certification_id: certId, aircraft_type_id: b738 })).statusCode).toBe(201);
  });
});

describe('reading, changing and deleting type ratings', () => {
  it('lists with filters (aircraft type, expired) and reads one with its derived expired flag', async () => {
    const { userId, certId } = await holder();
    const current = (await create(userId, { certification_id: certId })).json<RatingJson>();
    const lapsed = await t.db.db
      .insertInto('type_ratings')
      .values({
        org_id: tenant.org.id,
        user_id: userId,
        certification_id: certId,
        aircraft_type_id: b738,
        endorsed_date: new Date(Date.now() - 400 * DAY),
        expiry_date: new Date(Date.now() - DAY),
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    const onA320 = await t.request(admin(), 'GET', `${base(userId)}?aircraft_type_id=${a320}`);
    const expired = await t.request(admin(), 'GET', `${base(userId)}?expired=true`);
    const one = await t.request(admin(), 'GET', `${base(userId)}/${lapsed.id}`);

    expect(onA320.json<RatingJson[]>().map((r) => r.id)).toEqual([current.id]);
    expect(expired.json<RatingJson[]>().map((r) => r.id)).toEqual([lapsed.id]);
    expect(one.json<RatingJson>()).toMatchObject({ id: lapsed.id, expired: true });
  });

  it('moves a rating to another of the user’s certifications, and refuses another user’s (404, unchanged)', async () => {
    const { userId, certId } = await holder();
    const second = (
      await insertEmployeeCertification(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        certification_type_id: await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B2'),
      })
    ).id;
    const { certId: foreign } = await holder();
    const rating = (await create(userId, { certification_id: certId })).json<RatingJson>();
    const url = `${base(userId)}/${rating.id}`;

    const moved = await t.request(admin(), 'PATCH', url, { certification_id: second });
    const refused = await t.request(admin(), 'PATCH', url, { certification_id: foreign });

    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json<RatingJson>().certification_id).toBe(second);
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ reason: 'CERTIFICATION_NOT_FOUND' });
    expect((await t.request(admin(), 'GET', url)).json<RatingJson>().certification_id).toBe(second);
    const { audit, events } = await effectsOf(t.db.db, rating.id);
    expect(audit.map((a) => a.action)).toEqual(['create', 'update']);
    expect(events.map((e) => e.event_type)).toEqual(['type_rating_created', 'type_rating_updated']);
  });

  it('soft-deletes a rating (type_rating_deleted), after which its certification may be deleted', async () => {
    const { userId, certId } = await holder();
    const rating = (
      await insertTypeRating(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        certification_id: certId,
        aircraft_type_id: a320,
      })
    ).id;

    expect((await t.request(admin(), 'DELETE', `${base(userId)}/${rating}`)).statusCode).toBe(204);
    expect((await t.request(admin(), 'GET', `${base(userId)}/${rating}`)).statusCode).toBe(404);
    expect((await effectsOf(t.db.db, rating)).events.map((e) => e.event_type)).toEqual([
      'type_rating_deleted',
    ]);
    const certDelete = await t.request(admin(), 'DELETE', `/api/v1/users/${userId}/certifications/${certId}`);
    expect(certDelete.statusCode).toBe(204);
  });
});

describe('a rating and a certification delete racing', () => {
  const lockWaiters = (n: number) => waitForLockWaiters(t.db.db, n);

  it('never leaves a live rating on a deleted certification: a delete that waited for a rating answers 409', async () => {
    const { userId, certId } = await holder();
    // A rating being added, as the service does it: the certification held FOR SHARE, the row inserted.
    const adding = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM employee_certifications WHERE id = ${certId} FOR SHARE`.execute(trx);
      await insertTypeRating(trx, { org_id: tenant.org.id, user_id: userId, certification_id: certId });
    });
    const deleting = t.request(admin(), 'DELETE', `/api/v1/users/${userId}/certifications/${certId}`);
    await lockWaiters(1);
    adding.release();
    await adding.done;

    const response = await deleting;
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_HAS_TYPE_RATINGS' });
  });

  it('a rating that waited for the certification’s delete finds it gone: 404 CERTIFICATION_NOT_FOUND', async () => {
    const { userId, certId } = await holder();
    const deleting = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM employee_certifications WHERE id = ${certId} FOR NO KEY UPDATE`.execute(trx);
      await sql`UPDATE employee_certifications SET deleted_at = now() WHERE id = ${certId}`.execute(trx);
    });
    const adding = create(userId, { certification_id: certId });
    await lockWaiters(1);
    deleting.release();
    await deleting.done;

    const response = await adding;
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_NOT_FOUND' });
    expect(await liveCount(userId)).toBe(0);
  });
});
