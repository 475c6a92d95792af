import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/app/actor.js';
import {
  DEMO_AIRCRAFT,
  DEMO_COMPLIANCE_ITEM,
  DEMO_PASSWORD,
  DEMO_PEOPLE,
  DEMO_REQUIREMENTS,
  DEMO_TASKS,
  DEMO_USERS,
  seedDemoData,
} from '../../src/app/demo-data.js';
import { certificationView } from '../../src/app/people.js';
import type { QualificationPurpose } from '../../src/domain/qualification.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { createTestApp, type TestApp } from '../support/app.js';

// The demo organization through the services: qualified people, inspection requirements and the
// item that needs an independent inspection, as `npm start` shows them.
let t: TestApp;
let orgId: string;
const seed = () => seedDemoData(t.container.uow, (plain) => hashPassword(plain, 4));
const page = { limit: 50, offset: 0 };
const DAY_MS = 86_400_000;
const seeder = systemActor('test');

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await seed()).orgId;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function userId(email: string): Promise<string> {
  const [user] = await t.container.uow.repos.users.findCredentials(email, orgId);
  return user!.id;
}

async function demoTask(notes: string) {
  const tasks = await t.container.uow.repos.tasks.list(
    orgId,
    {},
    [{ field: 'start_time', direction: 'asc' }],
    page,
  );
  return tasks.find((task) => task.notes === notes)!;
}

async function check(email: string, query: { taskId?: string; purpose?: QualificationPurpose } & object) {
  const { check: result } = await t.container.services.qualifications.checkPerson(
    seeder,
    await userId(email),
    {
      orgId,
      ...query,
    },
  );
  return result;
}

async function login(email: string): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { org_id: orgId, email, password: DEMO_PASSWORD },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

describe('demo data: qualified people', () => {
  it('types the demo fleet: the A320neo aircraft as A20N, the 737-800 as B738, the A321neo as A21N', async () => {
    for (const demo of DEMO_AIRCRAFT) {
      const aircraft = await t.container.uow.repos.aircraft.findByTailNumber(orgId, demo.tailNumber);
      const [type] = await t.container.uow.repos.referenceData.findAircraftTypesByDesignators([
        demo.aircraftType,
      ]);
      expect(aircraft?.aircraftTypeId, demo.tailNumber).toBe(type!.id);
    }
    expect(DEMO_AIRCRAFT.map((a) => a.aircraftType)).toEqual(['A20N', 'A20N', 'B738', 'A21N']);
  });

  it('assigns every demo task to a mechanic rated on its aircraft type, qualified for it and free in its window', async () => {
    const assigned = DEMO_TASKS.filter((demo) => demo.assigned);
    expect(assigned.length).toBeGreaterThan(0);
    const mechanic = await userId('mechanic@demo.local');
    const ratings = await t.container.uow.repos.people.listTypeRatings(
      orgId,
      mechanic,
      {},
      [{ field: 'created_at', direction: 'asc' }],
      page,
      new Date(),
    );
    for (const demo of assigned) {
      const task = await demoTask(demo.notes);
      expect(task.assignedMechanicId, demo.notes).toBe(mechanic);
      const aircraft = await t.container.uow.repos.aircraft.findById(orgId, task.aircraftId);
      expect(
        ratings.map((r) => r.aircraftTypeId),
        demo.notes,
      ).toContain(aircraft!.aircraftTypeId);
      const result = await check('mechanic@demo.local', { taskId: task.id });
      expect(result.result, demo.notes).toEqual({ qualified: true, missing: [] });
      expect(result.overlappingTaskIds, demo.notes).toEqual([]);
    }
  });

  it('makes the demo A-check an A320neo inspection whose requirements bind the demo mechanic, and the demo mechanic meets them', async () => {
    const aCheck = await demoTask(DEMO_COMPLIANCE_ITEM.taskNotes);
    const { work, mechanics } = await t.container.services.qualifications.qualifiedMechanics(seeder, {
      orgId,
      taskId: aCheck.id,
    });
    expect(work.taskType).toBe('inspection');
    const byEmail = new Map(mechanics.map((m) => [m.email, m]));
    expect(byEmail.get('mechanic@demo.local')?.result.qualified).toBe(true);
    expect(byEmail.get('mechanic2@demo.local')?.result.qualified).toBe(true);
    // The inspector holds no B1: they may inspect this work, not perform it.
    expect(byEmail.get('inspector@demo.local')?.result.missing.map((m) => m.reason)).toEqual([
      'CERT_MISSING',
      'SKILL_MISSING',
    ]);
    const requirements = await t.container.uow.repos.qualifications.listRequirements(
      orgId,
      { aircraftTypeId: work.aircraftTypeId ?? undefined },
      [{ field: 'created_at', direction: 'asc' }],
      page,
    );
    expect(requirements.map((r) => r.description)).toEqual(DEMO_REQUIREMENTS.map((r) => r.description));
    expect(requirements.filter((r) => r.certifying)).toHaveLength(1);
    expect(requirements.filter((r) => r.inspection)).toHaveLength(1);
    expect(
      (await check('mechanic@demo.local', { taskId: aCheck.id, purpose: 'certify' })).result.qualified,
    ).toBe(true);
  });

  it('gives the second mechanic a licence expiring in 20 days: qualified for work ending before, not after', async () => {
    const mechanic2 = await userId('mechanic2@demo.local');
    const [licence] = await t.container.uow.repos.people.listCertifications(
      orgId,
      mechanic2,
      {},
      [{ field: 'created_at', direction: 'asc' }],
      page,
      new Date(),
    );
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    expect(licence!.expiryDate).toEqual(new Date(today.getTime() + 20 * DAY_MS));
    expect(certificationView(licence!)).toMatchObject({ status: 'active', expired: false });

    const aCheck = await demoTask(DEMO_COMPLIANCE_ITEM.taskNotes);
    const aircraft = await t.container.uow.repos.aircraft.findById(orgId, aCheck.aircraftId);
    const at = (days: number) => ({
      taskType: aCheck.type,
      aircraftTypeId: aircraft!.aircraftTypeId!,
      startTime: new Date(today.getTime() + days * DAY_MS),
      endTime: new Date(today.getTime() + days * DAY_MS + 8 * 3_600_000),
    });
    expect((await check('mechanic2@demo.local', at(10))).result.qualified).toBe(true);
    const later = await check('mechanic2@demo.local', at(25));
    expect(later.result.missing.map((m) => m.reason)).toContain('CERT_EXPIRED');
  });

  it('lets the demo inspector, never the performer, independently inspect the demo item after the mechanic signs it off', async () => {
    const aCheck = await demoTask(DEMO_COMPLIANCE_ITEM.taskNotes);
    expect((await check('inspector@demo.local', { taskId: aCheck.id, purpose: 'inspect' })).result).toEqual({
      qualified: true,
      missing: [],
    });
    // The demo mechanic (a B1, no B2) does not meet the A320neo inspection requirement.
    const mechanicAsInspector = await check('mechanic@demo.local', { taskId: aCheck.id, purpose: 'inspect' });
    expect(mechanicAsInspector.result.qualified).toBe(false);

    const [item] = (
      await t.container.uow.repos.compliance.list(
        orgId,
        { taskId: aCheck.id },
        [{ field: 'created_at', direction: 'asc' }],
        page,
      )
    ).filter((candidate) => candidate.description === DEMO_COMPLIANCE_ITEM.description);
    expect(item).toMatchObject({ requiresInspection: true, signOffTime: null });

    const mechanic = await login('mechanic@demo.local');
    const signed = await t.request(mechanic, 'PATCH', `/api/v1/compliance-items/${item!.id}/sign-off`, {
      result: 'pass',
      password: DEMO_PASSWORD,
    });
    expect(signed.statusCode, signed.body).toBe(200);
    expect(signed.json()).toMatchObject({ signed_off: true, inspection_pending: true });

    const byPerformer = await t.request(mechanic, 'POST', `/api/v1/compliance-items/${item!.id}/inspect`, {
      password: DEMO_PASSWORD,
    });
    expect(byPerformer.statusCode).toBe(409);
    expect(byPerformer.json()).toMatchObject({ reason: 'INSPECTOR_IS_PERFORMER' });

    const inspector = await login('inspector@demo.local');
    const inspected = await t.request(inspector, 'POST', `/api/v1/compliance-items/${item!.id}/inspect`, {
      password: DEMO_PASSWORD,
    });
    expect(inspected.statusCode, inspected.body).toBe(200);
    expect(inspected.json()).toMatchObject({
      inspection_pending: false,
      inspected_by: await userId('inspector@demo.local'),
      inspection_meaning: 'inspected',
    });
  });

  it('lists every demo login, each able to sign in', async () => {
    expect(DEMO_USERS.map((u) => u.email)).toEqual(
      expect.arrayContaining(['mechanic@demo.local', 'mechanic2@demo.local', 'inspector@demo.local']),
    );
    expect(DEMO_USERS.find((u) => u.email === 'inspector@demo.local')?.role).toBe('mechanic');
    for (const { email } of DEMO_USERS) await login(email);
  });

  it('changes nothing when seeded again, and audits everything it wrote as system:seed', async () => {
    const audited = async () =>
      (
        await t.db.db
          .selectFrom('audit_logs')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('org_id', '=', orgId)
          .where('actor', '=', 'system:seed')
          .executeTakeFirstOrThrow()
      ).n;
    const before = await audited();
    expect(await seed()).toEqual({ orgId, created: 0 });
    expect(await audited()).toBe(before);
    const actors = await t.db.db
      .selectFrom('audit_logs')
      .select(['entity_type', 'actor'])
      .distinct()
      .where('org_id', '=', orgId)
      .where('entity_type', 'in', [
        'employee_certification',
        'type_rating',
        'employee_skill',
        'recency_entry',
        'task_skill_requirement',
      ])
      .execute();
    expect(new Set(actors.map((a) => a.actor))).toEqual(new Set(['system:seed']));
    expect(new Set(actors.map((a) => a.entity_type)).size).toBe(5);
  });

  it('types demo aircraft seeded before aircraft types existed, once', async () => {
    await t.db.db
      .updateTable('aircraft')
      .set({ aircraft_type_id: null })
      .where('org_id', '=', orgId)
      .execute();
    expect((await seed()).created).toBe(DEMO_AIRCRAFT.length);
    expect((await seed()).created).toBe(0);
  });
});

/** What months of a persistent database do to the demo: its people's dates slide `days` into the past. */
async function age(days: number, where: { email?: string } = {}) {
  const users = sql`(SELECT id FROM users WHERE org_id = ${orgId} ${where.email ? sql`AND email = ${where.email}` : sql``})`;
  const shift = sql`${days} * interval '1 day'`;
  await sql`UPDATE recency_entries SET performed_at = performed_at - ${shift}
             WHERE org_id = ${orgId} AND task_id IS NULL AND user_id IN ${users}`.execute(t.db.db);
  await sql`UPDATE employee_certifications SET issue_date = issue_date - ${shift}, expiry_date = expiry_date - ${shift}
             WHERE org_id = ${orgId} AND user_id IN ${users}`.execute(t.db.db);
  await sql`UPDATE employee_skills SET expiry_date = expiry_date - ${shift}
             WHERE org_id = ${orgId} AND user_id IN ${users}`.execute(t.db.db);
}

const manualRecency = async (email: string) =>
  t.container.uow.repos.people.listRecency(
    orgId,
    await userId(email),
    { source: 'manual' },
    [{ field: 'performed_at', direction: 'desc' }],
    page,
  );

describe('demo data in a database kept for months', () => {
  it('moves the demo hours, licences and skill expiry back to their days counted from today on the next start, once', async () => {
    await age(120);
    const aCheck = await demoTask(DEMO_COMPLIANCE_ITEM.taskNotes);
    const stale = await check('mechanic@demo.local', { taskId: aCheck.id });
    expect(stale.result.missing.map((m) => m.reason)).toContain('RECENCY_INSUFFICIENT');

    const moved = DEMO_PEOPLE.reduce(
      (n, p) =>
        n + p.recency.length + p.certifications.length + p.skills.filter((k) => k.expiresInDays).length,
      0,
    );
    expect((await seed()).created).toBe(moved);
    expect((await seed()).created).toBe(0);

    expect((await check('mechanic@demo.local', { taskId: aCheck.id })).result).toEqual({
      qualified: true,
      missing: [],
    });
    const today = new Date();
    today.setUTCHours(0, 0, 0, 0);
    const [licence] = await t.container.uow.repos.people.listCertifications(
      orgId,
      await userId('mechanic2@demo.local'),
      {},
      [{ field: 'created_at', direction: 'asc' }],
      page,
      new Date(),
    );
    expect(licence!.expiryDate).toEqual(new Date(today.getTime() + 20 * DAY_MS));
    const demo = DEMO_PEOPLE.find((p) => p.email === 'mechanic@demo.local')!;
    expect((await manualRecency('mechanic@demo.local')).map((e) => [e.notes, e.performedAt])).toEqual(
      [...demo.recency]
        .sort((a, b) => a.daysAgo - b.daysAgo)
        .map((r) => [r.notes, new Date(today.getTime() - r.daysAgo * DAY_MS + 14 * 3_600_000)]),
    );
  });

  it('leaves a demo record someone changed by hand where they put it', async () => {
    const email = 'mechanic2@demo.local';
    const user = await userId(email);
    const [entry] = await manualRecency(email);
    await t.container.services.people.updateRecency(
      { actor: seeder },
      user,
      entry!.id,
      { hours: 3 },
      { orgId },
    );
    const [licence] = await t.container.uow.repos.people.listCertifications(
      orgId,
      user,
      {},
      [{ field: 'created_at', direction: 'asc' }],
      page,
      new Date(),
    );
    const extended = new Date(licence!.expiryDate!.getTime() + 30 * DAY_MS);
    await t.container.services.people.updateCertification(
      { actor: seeder },
      user,
      licence!.id,
      { expiryDate: extended },
      { orgId },
    );
    await age(200, { email });

    expect((await seed()).created).toBe(0);
    const [after] = await manualRecency(email);
    expect(after!.performedAt).toEqual(new Date(entry!.performedAt.getTime() - 200 * DAY_MS));
  });
});
