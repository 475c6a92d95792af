import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertTask } from '../support/factories.js';
import { effectsOf, heldTransaction, lockWaiters } from '../support/people.js';
import {
  aircraftTypeId,
  globalSkillTypeId,
  insertRecencyEntry,
  insertSkillType,
} from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let eddy: string;
let borescope: string;
let a320: string;
let b738: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  eddy = await globalSkillTypeId(t.db.db, 'NDT-ET');
  borescope = await globalSkillTypeId(t.db.db, 'BORESCOPE');
  a320 = await aircraftTypeId(t.db.db, 'A320');
  b738 = await aircraftTypeId(t.db.db, 'B738');
});
afterAll(async () => {
  await t.close();
});

const DAY = 86_400_000;
const daysFromNow = (n: number) => new Date(Date.now() + n * DAY).toISOString();
const admin = () => tenant.tokens.tenant_admin;
const newMechanic = async () => (await t.createUser(tenant.org.id, 'mechanic')).id;
const count = async (table: 'employee_skills' | 'recency_entries', userId: string) =>
  (
    await t.db.db
      .selectFrom(table)
      .select('id')
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .execute()
  ).length;

interface SkillJson {
  id: string;
  skill_type: { code: string; name: string; category: string };
  proficiency: number;
  qualified: boolean;
  expiry_date: string | null;
  expired: boolean;
}

interface RecencyJson {
  id: string;
  aircraft_type: { designator: string };
  hours: number;
  performed_at: string;
  task_id: string | null;
  source: string;
  notes: string | null;
  created_by: string | null;
}

describe('skills', () => {
  const base = (userId: string) => `/api/v1/users/${userId}/skills`;
  const create = (userId: string, body: Record<string, unknown> = {}) =>
    t.request(admin(), 'POST', base(userId), { skill_type_id: eddy, proficiency: 3, ...body });

  it('records a skill, qualified by default, with its type, an audit row and skill_created', async () => {
    const userId = await newMechanic();
    const response = await create(userId, { expiry_date: daysFromNow(200) });

    expect(response.statusCode, response.body).toBe(201);
    const skill = response.json<SkillJson>();
    expect(skill).toMatchObject({
      skill_type: { code: 'NDT-ET', category: 'NDT' },
      proficiency: 3,
      qualified: true,
      expired: false,
    });
    const { audit, events } = await effectsOf(t.db.db, skill.id);
    expect(audit.map((a) => [a.entity_type, a.action])).toEqual([['employee_skill', 'create']]);
    expect(events.map((e) => e.event_type)).toEqual(['skill_created']);
  });

  it.each([0, 6, 2.5])('refuses proficiency %s with 400 naming the field', async (proficiency) => {
    const userId = await newMechanic();
    const response = await create(userId, { proficiency });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ details: { field: string }[] }>().details[0]!.field).toBe('body.proficiency');
    expect(await count('employee_skills', userId)).toBe(0);
  });

  it('refuses another organization’s skill type and an unknown one with 404 SKILL_TYPE_NOT_FOUND', async () => {
    const userId = await newMechanic();
    for (const typeId of [(await insertSkillType(t.db.db, { org_id: other.org.id })).id, randomUUID()]) {
      const response = await create(userId, { skill_type_id: typeId });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({
        reason: 'SKILL_TYPE_NOT_FOUND',
        details: [{ field: 'body.skill_type_id' }],
      });
    }
    expect(
      (
        await create(userId, {
          skill_type_id: (await insertSkillType(t.db.db, { org_id: tenant.org.id })).id,
        })
      ).statusCode,
    ).toBe(201);
  });

  it('refuses a second live skill of the same type with 409 SKILL_DUPLICATE', async () => {
    const userId = await newMechanic();
    await create(userId);
    const duplicate = await create(userId, { proficiency: 5 });

    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ reason: 'SKILL_DUPLICATE' });
  });

  it('changes proficiency and qualification, filters by qualified and expired, then soft-deletes', async () => {
    const userId = await newMechanic();
    const skill = (await create(userId)).json<SkillJson>();
    const lapsed = (
      await create(userId, { skill_type_id: borescope, expiry_date: daysFromNow(-1) })
    ).json<SkillJson>();
    const url = `${base(userId)}/${skill.id}`;

    const changed = await t.request(admin(), 'PATCH', url, { proficiency: 5, qualified: false });
    expect(changed.json<SkillJson>()).toMatchObject({ proficiency: 5, qualified: false });
    const unqualified = await t.request(admin(), 'GET', `${base(userId)}?qualified=false`);
    expect(unqualified.json<SkillJson[]>().map((s) => s.id)).toEqual([skill.id]);
    const expired = await t.request(admin(), 'GET', `${base(userId)}?expired=true`);
    expect(expired.json<SkillJson[]>()).toMatchObject([{ id: lapsed.id, expired: true }]);

    expect((await t.request(admin(), 'DELETE', url)).statusCode).toBe(204);
    expect((await t.request(admin(), 'GET', url)).statusCode).toBe(404);
    expect((await effectsOf(t.db.db, skill.id)).events.map((e) => e.event_type)).toEqual([
      'skill_created',
      'skill_updated',
      'skill_deleted',
    ]);
  });
});

describe('a skill and its type’s delete racing', () => {
  it('a skill that waited for its type’s delete finds the type gone: 404, no live skill on a deleted type', async () => {
    const typeId = (await insertSkillType(t.db.db, { org_id: tenant.org.id })).id;
    const userId = await newMechanic();
    // The type being deleted, as the service does it: held FOR UPDATE, no use counted, soft-deleted.
    const deleting = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM skill_types WHERE id = ${typeId} FOR UPDATE`.execute(trx);
      await sql`UPDATE skill_types SET deleted_at = now() WHERE id = ${typeId}`.execute(trx);
    });
    const creating = t.request(admin(), 'POST', `/api/v1/users/${userId}/skills`, {
      skill_type_id: typeId,
      proficiency: 3,
    });
    await lockWaiters(t.db.db, 1);
    deleting.release();
    await deleting.done;

    const response = await creating;
    expect(response.statusCode, response.body).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'SKILL_TYPE_NOT_FOUND' });
    expect(await count('employee_skills', userId)).toBe(0);
  });
});

describe('recency', () => {
  const base = (userId: string) => `/api/v1/users/${userId}/recency`;
  const log = (userId: string, body: Record<string, unknown> = {}) =>
    t.request(admin(), 'POST', base(userId), {
      aircraft_type_id: a320,
      hours: 6.5,
      performed_at: daysFromNow(-2),
      ...body,
    });

  it('logs hours by hand: source manual, the actor as created_by, an audit row and recency_logged', async () => {
    const userId = await newMechanic();
    const response = await log(userId, { notes: '  C-check at a partner MRO  ' });

    expect(response.statusCode, response.body).toBe(201);
    const entry = response.json<RecencyJson>();
    expect(entry).toMatchObject({
      // The one aircraft type view, as GET /aircraft-types/{id} shows it.
      aircraft_type: (await t.request(admin(), 'GET', `/api/v1/aircraft-types/${a320}`)).json<unknown>(),
      hours: 6.5,
      task_id: null,
      source: 'manual',
      notes: 'C-check at a partner MRO',
      created_by: tenant.userIds.tenant_admin,
    });
    const { audit, events } = await effectsOf(t.db.db, entry.id);
    expect(audit.map((a) => [a.entity_type, a.action])).toEqual([['recency_entry', 'create']]);
    expect(events.map((e) => e.event_type)).toEqual(['recency_logged']);
  });

  it('records a system admin of another organization, logging hours there with ?org_id=, as created_by', async () => {
    const userId = await newMechanic();
    const response = await t.request(other.tokens.admin, 'POST', `${base(userId)}?org_id=${tenant.org.id}`, {
      aircraft_type_id: a320,
      hours: 3,
      performed_at: daysFromNow(-1),
    });

    expect(response.statusCode, response.body).toBe(201);
    const entry = response.json<RecencyJson>();
    expect(entry).toMatchObject({ source: 'manual', created_by: other.userIds.admin });
    const listed = await t.request(admin(), 'GET', base(userId));
    expect(listed.json<RecencyJson[]>().map((e) => e.created_by)).toEqual([other.userIds.admin]);
    const row = await t.db.db
      .selectFrom('recency_entries')
      .select(['created_by_org_id', 'created_by'])
      .where('id', '=', entry.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ created_by_org_id: other.org.id, created_by: other.userIds.admin });
  });

  it.each([
    ['zero hours', { hours: 0 }, 'body.hours'],
    ['negative hours', { hours: -1 }, 'body.hours'],
    ['more hours than one entry can hold', { hours: 1000.5 }, 'body.hours'],
    ['more than two decimals', { hours: 1.005 }, 'body.hours'],
    ['work performed in the future', { performed_at: daysFromNow(1) }, 'body.performed_at'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_name, body, field) => {
    const userId = await newMechanic();
    const response = await log(userId, body);

    expect(response.statusCode).toBe(400);
    expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    expect(await count('recency_entries', userId)).toBe(0);
  });

  it('refuses an unknown aircraft type with 404 AIRCRAFT_TYPE_NOT_FOUND', async () => {
    const response = await log(await newMechanic(), { aircraft_type_id: randomUUID() });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'AIRCRAFT_TYPE_NOT_FOUND' });
  });

  it('lists latest first, filtered by aircraft type, source and a [from, to) window', async () => {
    const userId = await newMechanic();
    const old = (await log(userId, { performed_at: daysFromNow(-40) })).json<RecencyJson>();
    const recent = (await log(userId, { performed_at: daysFromNow(-3) })).json<RecencyJson>();
    const onB738 = (
      await log(userId, { aircraft_type_id: b738, performed_at: daysFromNow(-1) })
    ).json<RecencyJson>();
    const task = await insertTask(t.db.db, { org_id: tenant.org.id });
    const fromTask = (
      await insertRecencyEntry(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        aircraft_type_id: a320,
        task_id: task.id,
        performed_at: new Date(Date.now() - 1.5 * DAY),
      })
    ).id;

    const all = await t.request(admin(), 'GET', base(userId));
    expect(all.json<RecencyJson[]>().map((e) => e.id)).toEqual([onB738.id, fromTask, recent.id, old.id]);
    const a320Manual = await t.request(
      admin(),
      'GET',
      `${base(userId)}?aircraft_type_id=${a320}&source=manual`,
    );
    expect(a320Manual.json<RecencyJson[]>().map((e) => e.id)).toEqual([recent.id, old.id]);
    const window = new URLSearchParams({ from: daysFromNow(-30), to: daysFromNow(-2) });
    const inWindow = await t.request(admin(), 'GET', `${base(userId)}?${window.toString()}`);
    expect(inWindow.json<RecencyJson[]>().map((e) => e.id)).toEqual([recent.id]);
    const backwards = new URLSearchParams({ from: daysFromNow(-1), to: daysFromNow(-2) });
    const invalid = await t.request(admin(), 'GET', `${base(userId)}?${backwards.toString()}`);
    expect(invalid.json()).toMatchObject({ reason: 'INVALID_TIME_RANGE' });
  });

  it('changes and deletes a manual entry, with recency_updated and recency_deleted', async () => {
    const userId = await newMechanic();
    const entry = (await log(userId)).json<RecencyJson>();
    const url = `${base(userId)}/${entry.id}`;

    const changed = await t.request(admin(), 'PATCH', url, { hours: 7, notes: null });
    expect(changed.json<RecencyJson>()).toMatchObject({ hours: 7, notes: null });
    expect((await t.request(admin(), 'DELETE', url)).statusCode).toBe(204);
    expect((await effectsOf(t.db.db, entry.id)).events.map((e) => e.event_type)).toEqual([
      'recency_logged',
      'recency_updated',
      'recency_deleted',
    ]);
  });

  it('keeps an entry written by a completed task: PATCH and DELETE answer 409 RECENCY_FROM_TASK', async () => {
    const userId = await newMechanic();
    const task = await insertTask(t.db.db, { org_id: tenant.org.id });
    const entry = (
      await insertRecencyEntry(t.db.db, {
        org_id: tenant.org.id,
        user_id: userId,
        aircraft_type_id: a320,
        task_id: task.id,
      })
    ).id;
    const url = `${base(userId)}/${entry}`;

    const patch = await t.request(admin(), 'PATCH', url, { hours: 1 });
    const remove = await t.request(admin(), 'DELETE', url);

    expect(patch.statusCode).toBe(409);
    expect(patch.json()).toMatchObject({ reason: 'RECENCY_FROM_TASK' });
    expect(remove.statusCode).toBe(409);
    expect(remove.json()).toMatchObject({ reason: 'RECENCY_FROM_TASK' });
    const read = (await t.request(admin(), 'GET', url)).json<RecencyJson>();
    expect(read).toMatchObject({ hours: 2, source: 'task', task_id: task.id });
    expect((await effectsOf(t.db.db, entry)).audit).toEqual([]);
  });
});
