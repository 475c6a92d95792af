import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertProgram, insertTask } from '../support/factories.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  globalSkillTypeId,
  insertCertificationType,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertRecencyEntry,
  insertSkillType,
  insertTaskSkillRequirement,
} from '../support/qualification-factories.js';
import { heldTransaction, lockWaiters } from '../support/people.js';
import { EVERYONE, itEnforcesRoles, ORG_ADMINS, type RouteCase } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let a320: string;
let b1: string;
let borescope: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  a320 = await aircraftTypeId(t.db.db, 'A320');
  b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  borescope = await globalSkillTypeId(t.db.db, 'BORESCOPE');
});
afterAll(async () => {
  await t.close();
});

const url = '/api/v1/task-skill-requirements';
const admin = () => tenant.tokens.tenant_admin;

describe('task skill requirements', () => {
  it('a tenant admin creates one: 201 with Location, one audit row and a skill_requirement_created event', async () => {
    const response = await t.request(admin(), 'POST', url, {
      task_type: 'inspection',
      aircraft_type_id: a320,
      certification_type_id: b1,
      type_rating_required: true,
      min_recency_hours: 8,
      recency_window_days: 180,
      description: 'A320 inspections',
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<{ id: string }>();
    expect(body).toMatchObject({
      org_id: tenant.org.id,
      task_type: 'inspection',
      aircraft_type_id: a320,
      program_id: null,
      certification_type_id: b1,
      type_rating_required: true,
      skill_type_id: null,
      min_recency_hours: 8,
      recency_window_days: 180,
      certifying: false,
      inspection: false,
    });
    expect(response.headers.location).toBe(`${url}/${body.id}`);
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('aggregate_id', '=', body.id)
      .execute();
    expect(events).toEqual([{ event_type: 'skill_requirement_created' }]);
    const audits = await t.db.db
      .selectFrom('audit_logs')
      .select('action')
      .where('entity_id', '=', body.id)
      .execute();
    expect(audits).toEqual([{ action: 'create' }]);
  });

  it('changes and deletes one, each audited with its event; a deleted one answers 404', async () => {
    const { id } = await insertTaskSkillRequirement(t.db.db, {
      org_id: tenant.org.id,
      skill_type_id: borescope,
    });
    const patched = await t.request(admin(), 'PATCH', `${url}/${id}`, {
      min_proficiency: 4,
      inspection: true,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ skill_type_id: borescope, min_proficiency: 4, inspection: true });
    expect((await t.request(admin(), 'DELETE', `${url}/${id}`)).statusCode).toBe(204);
    expect((await t.request(admin(), 'GET', `${url}/${id}`)).statusCode).toBe(404);
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('aggregate_id', '=', id)
      .execute();
    expect(events.map((e) => e.event_type).sort()).toEqual([
      'skill_requirement_deleted',
      'skill_requirement_updated',
    ]);
  });

  it('lists with filters by task type, aircraft type and program', async () => {
    const org = await t.createOrg();
    const token = await t.tokenFor(await t.createUser(org.id, 'tenant_admin'));
    const program = await insertProgram(t.db.db, { org_id: org.id });
    const a = await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      certification_type_id: b1,
    });
    const b = await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      aircraft_type_id: a320,
      certification_type_id: b1,
    });
    const c = await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      program_id: program.id,
      skill_type_id: borescope,
    });
    const ids = async (query: string) =>
      (await t.request(token, 'GET', `${url}${query}`)).json<{ id: string }[]>().map((r) => r.id);
    expect(await ids('')).toEqual([a.id, b.id, c.id]);
    expect(await ids('?task_type=repair')).toEqual([a.id]);
    expect(await ids(`?aircraft_type_id=${a320}`)).toEqual([b.id]);
    expect(await ids(`?program_id=${program.id}`)).toEqual([c.id]);
  });

  it.each([
    [{ task_type: 'inspection' }, 'body'],
    [
      { task_type: 'inspection', skill_type_id: null, min_proficiency: 3, certification_type_id: null },
      'body.skill_type_id',
    ],
    [{ task_type: 'inspection', min_proficiency: 3, certification_type_id: 'b1' }, 'body.min_proficiency'],
    [{ task_type: 'inspection', min_recency_hours: 8 }, 'body.recency_window_days'],
    [{ task_type: 'inspection', type_rating_required: true, surprise: 1 }, 'body.surprise'],
  ])('refuses a malformed requirement with 400 naming the field: %j', async (body, field) => {
    const resolved = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v === 'b1' ? b1 : v]));
    const response = await t.request(admin(), 'POST', url, resolved);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
  });

  it('another org’s program or certification type is 404 naming the field; its requirement is 404', async () => {
    const theirProgram = await insertProgram(t.db.db, { org_id: other.org.id });
    const theirs = await t.db.db
      .insertInto('certification_types')
      .values({ org_id: other.org.id, authority: 'Own', code: `X-${Date.now()}`, name: 'Their own licence' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const program = await t.request(admin(), 'POST', url, {
      task_type: 'inspection',
      program_id: theirProgram.id,
      certification_type_id: b1,
    });
    expect(program.statusCode).toBe(404);
    expect(program.json()).toMatchObject({ details: [{ field: 'body.program_id' }] });
    const cert = await t.request(admin(), 'POST', url, {
      task_type: 'inspection',
      certification_type_id: theirs.id,
    });
    expect(cert.statusCode).toBe(404);
    expect(cert.json()).toMatchObject({ details: [{ field: 'body.certification_type_id' }] });
    const foreign = await insertTaskSkillRequirement(t.db.db, {
      org_id: other.org.id,
      certification_type_id: b1,
    });
    for (const method of ['GET', 'DELETE'] as const)
      expect((await t.request(admin(), method, `${url}/${foreign.id}`)).statusCode).toBe(404);
    const patch = await t.request(admin(), 'PATCH', `${url}/${foreign.id}`, { certifying: true });
    expect(patch.statusCode).toBe(404);
    const list = await t.request(admin(), 'GET', url);
    expect(list.json<{ id: string }[]>().map((r) => r.id)).not.toContain(foreign.id);
  });
});

describe('a requirement and the delete of the type it names racing', () => {
  /** The organization's own certification type, as the tenant admin's delete holds it: locked and deleted, not committed. */
  async function deletingOwnType(kind: 'certification_types' | 'skill_types') {
    const type =
      kind === 'certification_types'
        ? await insertCertificationType(t.db.db, { org_id: tenant.org.id })
        : await insertSkillType(t.db.db, { org_id: tenant.org.id });
    const deleting = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM ${sql.table(kind)} WHERE id = ${type.id} FOR UPDATE`.execute(trx);
      await sql`UPDATE ${sql.table(kind)} SET deleted_at = now() WHERE id = ${type.id}`.execute(trx);
    });
    return { id: type.id, deleting };
  }

  it.each([
    ['certification_types', 'certification_type_id'],
    ['skill_types', 'skill_type_id'],
  ] as const)(
    'a requirement that waited for the delete of the org’s own type (%s) finds it gone: 404 naming the field, nothing written',
    async (kind, field) => {
      const { id, deleting } = await deletingOwnType(kind);
      const creating = t.request(admin(), 'POST', url, { task_type: 'overhaul', [field]: id });
      await lockWaiters(t.db.db, 1);
      deleting.release();
      await deleting.done;

      const response = await creating;
      expect(response.statusCode, response.body).toBe(404);
      expect(response.json()).toMatchObject({
        reason: 'REFERENCE_NOT_FOUND',
        details: [{ field: `body.${field}` }],
      });
      const naming = await t.db.db
        .selectFrom('task_skill_requirements')
        .select('id')
        .where(field, '=', id)
        .execute();
      expect(naming).toEqual([]);
    },
  );

  it('a type delete that waited for a requirement being added answers 409 CERTIFICATION_TYPE_IN_USE', async () => {
    const type = await insertCertificationType(t.db.db, { org_id: tenant.org.id });
    // A requirement being added, as the service does it: the type held FOR KEY SHARE, the row inserted.
    const adding = await heldTransaction(t.db.db, async (trx) => {
      await sql`SELECT id FROM certification_types WHERE id = ${type.id} FOR KEY SHARE`.execute(trx);
      await insertTaskSkillRequirement(trx, { org_id: tenant.org.id, certification_type_id: type.id });
    });
    const deleting = t.request(admin(), 'DELETE', `/api/v1/certification-types/${type.id}`);
    await lockWaiters(t.db.db, 1);
    adding.release();
    await adding.done;

    const response = await deleting;
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_TYPE_IN_USE' });
  });
});

describe('the qualification check', () => {
  const work = 'task_type=repair&start_time=2031-03-01T08:00:00Z&end_time=2031-03-01T16:00:00Z';

  it('answers what a person lacks, and a mechanic may check only themselves', async () => {
    const org = await t.createOrg();
    const scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const mechanic = await t.createUser(org.id, 'mechanic');
    const colleague = await t.createUser(org.id, 'mechanic');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      certification_type_id: b1,
    });
    const response = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${mechanic.id}/qualification-check?${work}`,
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      user_id: mechanic.id,
      work: {
        task_id: null,
        task_type: 'repair',
        purpose: 'perform',
        start_time: '2031-03-01T08:00:00.000Z',
      },
      qualified: false,
      missing: [{ kind: 'certification', type_id: b1, name: 'Part-66 Category B1', reason: 'CERT_MISSING' }],
      free: true,
    });
    const own = await t.tokenFor(mechanic);
    expect(
      (await t.request(own, 'GET', `/api/v1/users/${mechanic.id}/qualification-check?${work}`)).statusCode,
    ).toBe(200);
    const nosy = await t.request(own, 'GET', `/api/v1/users/${colleague.id}/qualification-check?${work}`);
    expect(nosy.statusCode).toBe(403);
  });

  it('by task_id: the task’s own type, aircraft type and window; another org’s task or user is 404', async () => {
    const org = await t.createOrg();
    const scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const mechanic = await t.createUser(org.id, 'mechanic');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      aircraft_type_id: a320,
      skill_type_id: borescope,
      min_proficiency: 2,
    });
    await insertEmployeeSkill(t.db.db, {
      org_id: org.id,
      user_id: mechanic.id,
      skill_type_id: borescope,
      proficiency: 1,
    });
    const aircraft = await insertAircraft(t.db.db, { org_id: org.id, aircraft_type_id: a320 });
    const task = await insertTask(t.db.db, { aircraft_id: aircraft.id });
    const check = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${mechanic.id}/qualification-check?task_id=${task.id}`,
    );
    expect(check.json()).toMatchObject({
      work: { task_id: task.id, aircraft_type_id: a320, task_type: 'inspection' },
      missing: [{ reason: 'SKILL_BELOW_MINIMUM', type_id: borescope }],
    });
    const foreignTask = await insertTask(t.db.db, { org_id: other.org.id });
    const byForeignTask = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${mechanic.id}/qualification-check?task_id=${foreignTask.id}`,
    );
    expect(byForeignTask.statusCode).toBe(404);
    const foreignUser = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${other.userIds.mechanic}/qualification-check?${work}`,
    );
    expect(foreignUser.statusCode).toBe(404);
    const both = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${mechanic.id}/qualification-check?task_id=${task.id}&task_type=repair`,
    );
    expect(both.statusCode).toBe(400);
    const neither = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${mechanic.id}/qualification-check?task_type=repair`,
    );
    expect(neither.statusCode).toBe(400);
  });

  it('an unknown aircraft type, or another org’s or a deleted program, is 404 naming the field, on both checks', async () => {
    const org = await t.createOrg();
    const scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const mechanic = await t.createUser(org.id, 'mechanic');
    // A requirement on no aircraft type and no program: a check that matched nothing would answer "qualified: false".
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      certification_type_id: b1,
    });
    const theirProgram = await insertProgram(t.db.db, { org_id: other.org.id });
    const deletedProgram = await insertProgram(t.db.db, { org_id: org.id, deleted_at: new Date() });
    const unknownType = '00000000-0000-4000-8000-000000000000';
    const cases = [
      [`aircraft_type_id=${unknownType}`, ['querystring.aircraft_type_id']],
      [`program_id=${theirProgram.id}`, ['querystring.program_id']],
      [`program_id=${deletedProgram.id}`, ['querystring.program_id']],
      [
        `aircraft_type_id=${unknownType}&program_id=${theirProgram.id}`,
        ['querystring.aircraft_type_id', 'querystring.program_id'],
      ],
    ] as const;
    for (const [refs, fields] of cases) {
      for (const path of [
        `/api/v1/users/${mechanic.id}/qualification-check`,
        '/api/v1/qualified-mechanics',
      ]) {
        const response = await t.request(scheduler, 'GET', `${path}?${work}&${refs}`);
        expect(response.statusCode, `${path} ${refs}: ${response.body}`).toBe(404);
        expect(response.json()).toMatchObject({ reason: 'REFERENCE_NOT_FOUND' });
        expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toEqual(fields);
      }
    }
    const ownProgram = await insertProgram(t.db.db, { org_id: org.id });
    const known = await t.request(
      scheduler,
      'GET',
      `/api/v1/users/${mechanic.id}/qualification-check?${work}&aircraft_type_id=${a320}&program_id=${ownProgram.id}`,
    );
    expect(known.statusCode, known.body).toBe(200);
    expect(known.json()).toMatchObject({ work: { aircraft_type_id: a320, program_id: ownProgram.id } });
  });

  it('purpose=inspect asks for inspection authority and the inspection rows; purpose=certify the certifying rows', async () => {
    const org = await t.createOrg();
    const scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const mechanic = await t.createUser(org.id, 'mechanic');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      skill_type_id: borescope,
      inspection: true,
    });
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      certification_type_id: b1,
      certifying: true,
    });
    const check = async (purpose: string) =>
      (
        await t.request(
          scheduler,
          'GET',
          `/api/v1/users/${mechanic.id}/qualification-check?${work}&purpose=${purpose}`,
        )
      ).json<{
        missing: { reason: string; type_id: string | null }[];
      }>().missing;
    expect(await check('perform')).toEqual([]);
    expect((await check('certify')).map((m) => [m.reason, m.type_id])).toEqual([['CERT_MISSING', b1]]);
    expect((await check('inspect')).map((m) => [m.reason, m.type_id])).toEqual([
      ['SKILL_MISSING', borescope],
      ['CERT_MISSING', null],
    ]);
  });

  it('recency counts the hours in [start − N days, start): the first instant counts, the work’s start does not', async () => {
    const org = await t.createOrg();
    const scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const mechanic = await t.createUser(org.id, 'mechanic');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      aircraft_type_id: a320,
      min_recency_hours: 8,
      recency_window_days: 90,
    });
    const start = new Date('2031-03-01T08:00:00Z');
    const log = (hours: number, at: Date, type = a320) =>
      insertRecencyEntry(t.db.db, {
        org_id: org.id,
        user_id: mechanic.id,
        aircraft_type_id: type,
        hours,
        performed_at: at,
      });
    const windowStart = new Date(start.getTime() - 90 * 24 * 3_600_000);
    await log(4, windowStart);
    await log(4, new Date(windowStart.getTime() - 1));
    await log(4, start);
    await log(4, new Date(start.getTime() - 1), await aircraftTypeId(t.db.db, 'B738'));
    const path = `/api/v1/users/${mechanic.id}/qualification-check?${work}&aircraft_type_id=${a320}`;
    const short = await t.request(scheduler, 'GET', path);
    expect(short.json()).toMatchObject({ qualified: false, missing: [{ reason: 'RECENCY_INSUFFICIENT' }] });
    expect(short.json<{ missing: { message: string }[] }>().missing[0]!.message).toMatch(/^4 hours on A320/);
    await log(4, new Date(start.getTime() - 1));
    expect((await t.request(scheduler, 'GET', path)).json()).toMatchObject({ qualified: true, missing: [] });
  });

  it('qualified-mechanics lists every live mechanic of the org, qualified and free first, naming overlapping tasks', async () => {
    const org = await t.createOrg();
    const scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
    const mk = (name: string) => t.createUser(org.id, 'mechanic', `${name}@qm.test`);
    const [ready, busy, unlicensed] = [await mk('a-ready'), await mk('b-busy'), await mk('c-unlicensed')];
    await t.createUser(org.id, 'scheduler');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: org.id,
      task_type: 'repair',
      certification_type_id: b1,
    });
    for (const person of [ready, busy])
      await insertEmployeeCertification(t.db.db, {
        expiry_date: null,
        org_id: org.id,
        user_id: person.id,
        certification_type_id: b1,
      });
    const booked = await insertTask(t.db.db, {
      org_id: org.id,
      assigned_mechanic_id: busy.id,
      start_time: new Date('2031-03-01T12:00:00Z'),
      end_time: new Date('2031-03-01T20:00:00Z'),
    });
    const response = await t.request(scheduler, 'GET', `/api/v1/qualified-mechanics?${work}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual([
      {
        user_id: ready.id,
        email: 'a-ready@qm.test',
        qualified: true,
        missing: [],
        free: true,
        overlapping_task_ids: [],
      },
      {
        user_id: busy.id,
        email: 'b-busy@qm.test',
        qualified: true,
        missing: [],
        free: false,
        overlapping_task_ids: [booked.id],
      },
      expect.objectContaining({ user_id: unlicensed.id, qualified: false, free: true }),
    ]);
    const mechanicToken = await t.tokenFor(ready);
    expect((await t.request(mechanicToken, 'GET', `/api/v1/qualified-mechanics?${work}`)).statusCode).toBe(
      403,
    );
  });

  it('qualified-mechanics costs the same few queries for 1 or 40 mechanics', async () => {
    /** The statements one request sends, after a first request warmed the principal cache. */
    const queriesOf = async (token: string, path: string) => {
      expect((await t.request(token, 'GET', path)).statusCode).toBe(200);
      const original = pg.Client.prototype.query;
      let count = 0;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        count += 1;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
      try {
        const response = await t.request(token, 'GET', path);
        expect(response.statusCode).toBe(200);
        return { count, mechanics: response.json<unknown[]>().length };
      } finally {
        pg.Client.prototype.query = original;
      }
    };
    const small = await t.createOrg();
    const large = await t.createOrg();
    await t.createUser(small.id, 'mechanic');
    for (let i = 0; i < 40; i += 1) {
      const user = await t.createUser(large.id, 'mechanic');
      await insertEmployeeCertification(t.db.db, {
        expiry_date: null,
        org_id: large.id,
        user_id: user.id,
        certification_type_id: b1,
      });
    }
    for (const org of [small, large])
      await insertTaskSkillRequirement(t.db.db, {
        org_id: org.id,
        task_type: 'repair',
        certification_type_id: b1,
      });
    const task = await insertTask(t.db.db, { org_id: large.id, type: 'repair' });
    const smallToken = await t.tokenFor(await t.createUser(small.id, 'scheduler'));
    const largeToken = await t.tokenFor(await t.createUser(large.id, 'scheduler'));
    const one = await queriesOf(smallToken, `/api/v1/qualified-mechanics?${work}`);
    const forty = await queriesOf(largeToken, `/api/v1/qualified-mechanics?${work}`);
    const byTask = await queriesOf(largeToken, `/api/v1/qualified-mechanics?task_id=${task.id}`);
    expect([one.mechanics, forty.mechanics]).toEqual([1, 40]);
    expect(forty.count).toBe(one.count);
    expect(forty.count).toBeLessThanOrEqual(2);
    expect(byTask.count).toBeLessThanOrEqual(3);
  });
});

describe('RBAC matrix for requirements and checks', () => {
  const requirement = async () =>
    (await insertTaskSkillRequirement(t.db.db, { org_id: tenant.org.id, certification_type_id: b1 })).id;
  const work = 'task_type=repair&start_time=2031-03-01T08:00:00Z&end_time=2031-03-01T16:00:00Z';
  const ROUTES: Record<string, RouteCase> = {
    'POST /task-skill-requirements': {
      method: 'POST',
      build: async () => ({
        url: '/task-skill-requirements',
        body: { task_type: 'overhaul', skill_type_id: borescope },
      }),
      allowed: ORG_ADMINS,
    },
    'GET /task-skill-requirements': {
      method: 'GET',
      build: async () => ({ url: '/task-skill-requirements' }),
      allowed: EVERYONE,
    },
    'GET /task-skill-requirements/:id': {
      method: 'GET',
      build: async () => ({ url: `/task-skill-requirements/${await requirement()}` }),
      allowed: EVERYONE,
    },
    'PATCH /task-skill-requirements/:id': {
      method: 'PATCH',
      build: async () => ({
        url: `/task-skill-requirements/${await requirement()}`,
        body: { certifying: true },
      }),
      allowed: ORG_ADMINS,
    },
    'DELETE /task-skill-requirements/:id': {
      method: 'DELETE',
      build: async () => ({ url: `/task-skill-requirements/${await requirement()}` }),
      allowed: ORG_ADMINS,
    },
    // The mechanic checks themselves here; checking someone else is 403 (tested above).
    'GET /users/:id/qualification-check': {
      method: 'GET',
      build: async () => ({ url: `/users/${tenant.userIds.mechanic}/qualification-check?${work}` }),
      allowed: EVERYONE,
    },
    'GET /qualified-mechanics': {
      method: 'GET',
      build: async () => ({ url: `/qualified-mechanics?${work}` }),
      allowed: ['admin', 'tenant_admin', 'scheduler', 'auditor'],
    },
  };
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
