import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
import { insertAircraft, insertComplianceItem, insertTask } from '../support/factories.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  globalSkillTypeId,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertRecencyEntry,
  insertTaskSkillRequirement,
  insertTypeRating,
} from '../support/qualification-factories.js';

let t: TestApp;
let a320: string;
let b1: string;
let borescope: string;

beforeAll(async () => {
  t = await createTestApp();
  a320 = await aircraftTypeId(t.db.db, 'A320');
  b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  borescope = await globalSkillTypeId(t.db.db, 'BORESCOPE');
});
afterAll(async () => {
  await t.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const fromNow = (ms: number) => new Date(Date.now() + ms);

/** An org with a scheduler, a mechanic (signed in) and a grounded A320. */
async function shop() {
  const orgId = (await t.createOrg()).id;
  const mechanic = await t.createUser(orgId, 'mechanic');
  const aircraft = await insertAircraft(t.db.db, {
    org_id: orgId,
    status: 'grounded',
    aircraft_type_id: a320,
  });
  return {
    orgId,
    mechanicId: mechanic.id,
    aircraftId: aircraft.id,
    mechanic: await t.tokenFor(mechanic),
    scheduler: await t.tokenFor(await t.createUser(orgId, 'scheduler')),
  };
}
type Shop = Awaited<ReturnType<typeof shop>>;

/**
 * Each reason: a requirement on A320 inspections and what the mechanic holds, so that the one
 * reason is what is missing for work in `window`.
 */
const REASONS: Record<string, (s: Shop, window: { start: Date; end: Date }) => Promise<void>> = {
  CERT_MISSING: async (s) => {
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, certification_type_id: b1 });
  },
  CERT_EXPIRED: async (s, window) => {
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, certification_type_id: b1 });
    const expiry = new Date(window.start.getTime() + 30 * MINUTE);
    await insertEmployeeCertification(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
      expiry_date: expiry,
    });
  },
  CERT_SUSPENDED: async (s) => {
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, certification_type_id: b1 });
    await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
      status: 'suspended',
    });
  },
  CERT_REVOKED: async (s) => {
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, certification_type_id: b1 });
    await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
      status: 'revoked',
    });
  },
  TYPE_RATING_MISSING: async (s) => {
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      certification_type_id: b1,
      type_rating_required: true,
    });
    await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
    });
  },
  SKILL_MISSING: async (s) => {
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, skill_type_id: borescope });
  },
  SKILL_BELOW_MINIMUM: async (s) => {
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      skill_type_id: borescope,
      min_proficiency: 4,
    });
    await insertEmployeeSkill(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      skill_type_id: borescope,
      proficiency: 3,
    });
  },
  SKILL_EXPIRED: async (s, window) => {
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, skill_type_id: borescope });
    const expiry = new Date(window.start.getTime() + 30 * MINUTE);
    await insertEmployeeSkill(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      skill_type_id: borescope,
      proficiency: 3,
      expiry_date: expiry,
    });
  },
  RECENCY_INSUFFICIENT: async (s, window) => {
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      aircraft_type_id: a320,
      min_recency_hours: 8,
      recency_window_days: 90,
    });
    const tenDaysBefore = new Date(window.start.getTime() - 10 * 24 * HOUR);
    await insertRecencyEntry(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      aircraft_type_id: a320,
      hours: 7.5,
      performed_at: tenDaysBefore,
    });
  },
};

const expectNotQualified = (
  response: { statusCode: number; body: string; json: <T>() => T },
  reason: string,
) => {
  expect(response.statusCode, response.body).toBe(409);
  const body = response.json<{ reason: string; details: { reason: string; field: string }[] }>();
  expect(body.reason).toBe('MECHANIC_NOT_QUALIFIED');
  expect(body.details.map((d) => d.reason)).toEqual([reason]);
};

const move = (token: string, id: string, body: Record<string, unknown>) =>
  t.request(token, 'PATCH', `/api/v1/maintenance-tasks/${id}/state`, body);

describe('assigning a mechanic', () => {
  const window = { start: new Date('2031-06-01T08:00:00Z'), end: new Date('2031-06-01T16:00:00Z') };
  const create = (s: Shop) =>
    t.request(s.scheduler, 'POST', '/api/v1/maintenance-tasks', {
      aircraft_id: s.aircraftId,
      type: 'inspection',
      start_time: window.start.toISOString(),
      end_time: window.end.toISOString(),
      assigned_mechanic_id: s.mechanicId,
    });

  it.each(Object.keys(REASONS))(
    'task create refuses an unqualified mechanic: %s, and writes nothing',
    async (reason) => {
      const s = await shop();
      await REASONS[reason]!(s, window);
      expectNotQualified(await create(s), reason);
      const tasks = await t.db.db
        .selectFrom('maintenance_tasks')
        .select('id')
        .where('org_id', '=', s.orgId)
        .execute();
      expect(tasks).toEqual([]);
    },
  );

  it('accepts a licence that expires exactly at the end of the window, and the whole set of requirements met', async () => {
    const s = await shop();
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      certification_type_id: b1,
      type_rating_required: true,
    });
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      skill_type_id: borescope,
      min_proficiency: 3,
    });
    const cert = await insertEmployeeCertification(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
      expiry_date: window.end,
    });
    await insertTypeRating(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      aircraft_type_id: a320,
      certification_id: cert.id,
    });
    await insertEmployeeSkill(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      skill_type_id: borescope,
      proficiency: 3,
    });
    const response = await create(s);
    expect(response.statusCode, response.body).toBe(201);
  });

  it('requirements of another task type, aircraft type or program do not apply', async () => {
    const s = await shop();
    const b738 = await aircraftTypeId(t.db.db, 'B738');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      task_type: 'repair',
      certification_type_id: b1,
    });
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      aircraft_type_id: b738,
      certification_type_id: b1,
    });
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      certification_type_id: b1,
      certifying: true,
    });
    expect((await create(s)).statusCode).toBe(201);
  });

  it('PATCH of the mechanic, of the window or of the type re-checks: 409 with what is missing', async () => {
    const s = await shop();
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      task_type: 'repair',
      certification_type_id: b1,
    });
    await insertEmployeeCertification(t.db.db, {
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
      expiry_date: new Date('2031-06-01T20:00:00Z'),
    });
    const created = await t.request(s.scheduler, 'POST', '/api/v1/maintenance-tasks', {
      aircraft_id: s.aircraftId,
      type: 'inspection',
      start_time: window.start.toISOString(),
      end_time: window.end.toISOString(),
    });
    const url = `/api/v1/maintenance-tasks/${created.json<{ id: string }>().id}`;
    // An inspection has no requirement; a repair needs a B1, which this mechanic holds until 20:00.
    expect(
      (await t.request(s.scheduler, 'PATCH', url, { assigned_mechanic_id: s.mechanicId })).statusCode,
    ).toBe(200);
    expect((await t.request(s.scheduler, 'PATCH', url, { type: 'repair' })).statusCode).toBe(200);
    const late = await t.request(s.scheduler, 'PATCH', url, { end_time: '2031-06-01T22:00:00Z' });
    expectNotQualified(late, 'CERT_EXPIRED');
    expect(late.json<{ details: { field: string }[] }>().details[0]!.field).toBe('body.assigned_mechanic_id');
    const other = await t.createUser(s.orgId, 'mechanic');
    expectNotQualified(
      await t.request(s.scheduler, 'PATCH', url, { assigned_mechanic_id: other.id }),
      'CERT_MISSING',
    );
  });
});

describe('starting and completing re-check the assigned mechanic at that moment', () => {
  it.each(Object.keys(REASONS))('a start is refused with %s and changes nothing', async (reason) => {
    const s = await shop();
    const start = fromNow(MINUTE);
    await REASONS[reason]!(s, { start, end: new Date(start.getTime() + HOUR) });
    const task = await insertTask(t.db.db, {
      aircraft_id: s.aircraftId,
      assigned_mechanic_id: s.mechanicId,
      start_time: start,
      end_time: new Date(start.getTime() + HOUR),
    });
    expectNotQualified(await move(s.mechanic, task.id, { new_state: 'in_progress' }), reason);
    const row = await t.db.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'scheduled', version: 1, started_at: null });
  });

  it.each(Object.keys(REASONS))('a completion is refused with %s and changes nothing', async (reason) => {
    const s = await shop();
    const start = fromNow(-3 * HOUR);
    await REASONS[reason]!(s, { start, end: fromNow(0) });
    const task = await insertTask(t.db.db, {
      aircraft_id: s.aircraftId,
      assigned_mechanic_id: s.mechanicId,
      state: 'in_progress',
      start_time: start,
      end_time: fromNow(-HOUR),
    });
    expectNotQualified(await move(s.mechanic, task.id, { new_state: 'completed', notes: 'Done' }), reason);
    const row = await t.db.db
      .selectFrom('maintenance_tasks')
      .selectAll()
      .where('id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'in_progress', completed_at: null });
    const recency = await t.db.db
      .selectFrom('recency_entries')
      .select('id')
      .where('task_id', '=', task.id)
      .execute();
    expect(recency).toEqual([]);
  });

  it('a licence revoked after assignment stops the start', async () => {
    const s = await shop();
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, certification_type_id: b1 });
    const cert = await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
    });
    const start = fromNow(MINUTE);
    const created = await t.request(s.scheduler, 'POST', '/api/v1/maintenance-tasks', {
      aircraft_id: s.aircraftId,
      type: 'inspection',
      start_time: start.toISOString(),
      end_time: new Date(start.getTime() + HOUR).toISOString(),
      assigned_mechanic_id: s.mechanicId,
    });
    expect(created.statusCode, created.body).toBe(201);
    await t.db.db
      .updateTable('employee_certifications')
      .set({ status: 'revoked' })
      .where('id', '=', cert.id)
      .execute();
    expectNotQualified(
      await move(s.mechanic, created.json<{ id: string }>().id, { new_state: 'in_progress' }),
      'CERT_REVOKED',
    );
  });

  it('a licence revoked while a start is in flight never lets the start through', async () => {
    const s = await shop();
    await insertTaskSkillRequirement(t.db.db, { org_id: s.orgId, certification_type_id: b1 });
    const cert = await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
    });
    const start = fromNow(MINUTE);
    const task = await insertTask(t.db.db, {
      aircraft_id: s.aircraftId,
      assigned_mechanic_id: s.mechanicId,
      start_time: start,
      end_time: new Date(start.getTime() + HOUR),
    });
    // The revocation is written but not committed when the start reads the licence: the start's
    // FOR SHARE read waits for it, and then sees the licence as revoked.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const revoked = new Promise<void>((resolve) => (written = resolve));
    const revocation = t.db.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('employee_certifications')
        .set({ status: 'revoked' })
        .where('id', '=', cert.id)
        .execute();
      written();
      await held;
    });
    await revoked;
    const starting = move(s.mechanic, task.id, { new_state: 'in_progress' });
    await vi.waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*) AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(t.db.db);
        expect(Number(rows[0]!.n)).toBe(1);
      },
      { timeout: 10_000, interval: 20 },
    );
    release();
    await revocation;
    expectNotQualified(await starting, 'CERT_REVOKED');
    const row = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('state')
      .where('id', '=', task.id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('scheduled');
  });
});

describe('worked time and recency', () => {
  it('a start sets started_at, a completion completed_at, and logs the mechanic’s hours on the type once, audited', async () => {
    const s = await shop();
    const start = fromNow(MINUTE);
    const task = await insertTask(t.db.db, {
      aircraft_id: s.aircraftId,
      assigned_mechanic_id: s.mechanicId,
      start_time: start,
      end_time: new Date(start.getTime() + HOUR),
    });
    const started = await move(s.mechanic, task.id, { new_state: 'in_progress' });
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json<{ started_at: string }>().started_at).toMatch(/Z$/);
    const done = await move(s.scheduler, task.id, {
      new_state: 'completed',
      notes: 'Borescope of engine 1',
      allow_early_completion: true,
    });
    expect(done.statusCode, done.body).toBe(200);
    const view = done.json<{ started_at: string; completed_at: string }>();
    const entries = await t.db.db
      .selectFrom('recency_entries')
      .selectAll()
      .where('task_id', '=', task.id)
      .execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ user_id: s.mechanicId, aircraft_type_id: a320, hours: '0.01' });
    expect(entries[0]!.performed_at.toISOString()).toBe(view.completed_at);
    const event = await t.db.db
      .selectFrom('outbox_events')
      .select(['event_type', 'payload'])
      .where('aggregate_id', '=', entries[0]!.id)
      .executeTakeFirstOrThrow();
    expect(event.event_type).toBe('recency_logged');
    expect(event.payload).toMatchObject({
      data: {
        id: entries[0]!.id,
        task_id: task.id,
        source: 'task',
        hours: 0.01,
        aircraft_type: { designator: 'A320' },
      },
    });
    const audit = await t.db.db
      .selectFrom('audit_logs')
      .select(['entity_type', 'action'])
      .where('entity_id', '=', entries[0]!.id)
      .execute();
    expect(audit).toEqual([{ entity_type: 'recency_entry', action: 'create' }]);
    const detail = await t.request(s.scheduler, 'GET', `/api/v1/maintenance-tasks/${task.id}`);
    expect(detail.json()).toMatchObject({
      task: { started_at: view.started_at, completed_at: view.completed_at },
    });
  });

  it('a task with no recorded start logs its window length; an aircraft without a type logs nothing', async () => {
    const s = await shop();
    const untyped = await insertAircraft(t.db.db, { org_id: s.orgId, status: 'grounded' });
    const tasks = [];
    for (const aircraftId of [s.aircraftId, untyped.id]) {
      tasks.push(
        await insertTask(t.db.db, {
          aircraft_id: aircraftId,
          assigned_mechanic_id: s.mechanicId,
          state: 'in_progress',
          start_time: fromNow(-3 * HOUR - tasks.length * 4 * HOUR),
          end_time: fromNow(-HOUR - tasks.length * 4 * HOUR),
        }),
      );
    }
    for (const task of tasks) {
      const response = await move(s.mechanic, task.id, { new_state: 'completed', notes: 'Done' });
      expect(response.statusCode, response.body).toBe(200);
    }
    const entries = await t.db.db
      .selectFrom('recency_entries')
      .select(['task_id', 'hours'])
      .where('org_id', '=', s.orgId)
      .execute();
    expect(entries).toEqual([{ task_id: tasks[0]!.id, hours: '2.00' }]);
  });
});

describe('MECHANIC_BUSY', () => {
  it('refuses a second overlapping active task of the same mechanic, naming the first; touching windows are fine', async () => {
    const s = await shop();
    const other = await insertAircraft(t.db.db, { org_id: s.orgId });
    const book = (aircraftId: string, start: string, end: string) =>
      t.request(s.scheduler, 'POST', '/api/v1/maintenance-tasks', {
        aircraft_id: aircraftId,
        type: 'repair',
        start_time: start,
        end_time: end,
        assigned_mechanic_id: s.mechanicId,
      });
    const first = await book(s.aircraftId, '2031-07-01T08:00:00Z', '2031-07-01T12:00:00Z');
    expect(first.statusCode, first.body).toBe(201);
    const firstId = first.json<{ id: string }>().id;
    const clash = await book(other.id, '2031-07-01T11:00:00Z', '2031-07-01T15:00:00Z');
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({
      reason: 'MECHANIC_BUSY',
      details: [{ field: 'body.assigned_mechanic_id' }],
    });
    expect(clash.json<{ error: string }>().error).toContain(firstId);
    const after = await book(other.id, '2031-07-01T12:00:00Z', '2031-07-01T15:00:00Z');
    expect(after.statusCode, after.body).toBe(201);
    // Moving the later task onto the first is refused the same way.
    const moved = await t.request(
      s.scheduler,
      'PATCH',
      `/api/v1/maintenance-tasks/${after.json<{ id: string }>().id}`,
      {
        start_time: '2031-07-01T10:00:00Z',
      },
    );
    expect(moved.json()).toMatchObject({ reason: 'MECHANIC_BUSY' });
  });

  it('the database guards it too: overlapping active tasks of one mechanic are refused, unassigned and finished ones never conflict', async () => {
    const s = await shop();
    const window = {
      start_time: new Date('2031-08-01T08:00:00Z'),
      end_time: new Date('2031-08-01T12:00:00Z'),
    };
    await insertTask(t.db.db, { org_id: s.orgId, assigned_mechanic_id: s.mechanicId, ...window });
    const clash = insertTask(t.db.db, { org_id: s.orgId, assigned_mechanic_id: s.mechanicId, ...window });
    await expect(clash).rejects.toMatchObject({
      code: '23P01',
      constraint: 'maintenance_tasks_mechanic_no_overlap',
    });
    await insertTask(t.db.db, { org_id: s.orgId, assigned_mechanic_id: null, ...window });
    await insertTask(t.db.db, { org_id: s.orgId, assigned_mechanic_id: null, ...window });
    await insertTask(t.db.db, {
      org_id: s.orgId,
      assigned_mechanic_id: s.mechanicId,
      state: 'cancelled',
      ...window,
    });
    await insertTask(t.db.db, {
      org_id: s.orgId,
      assigned_mechanic_id: s.mechanicId,
      state: 'completed',
      ...window,
    });
  });

  it('of two racing assignments of one mechanic to overlapping tasks exactly one wins; the other is 409 MECHANIC_BUSY naming it', async () => {
    const s = await shop();
    const planes = [
      await insertAircraft(t.db.db, { org_id: s.orgId }),
      await insertAircraft(t.db.db, { org_id: s.orgId }),
    ];
    const responses = await Promise.all(
      planes.map((plane) =>
        t.request(s.scheduler, 'POST', '/api/v1/maintenance-tasks', {
          aircraft_id: plane.id,
          type: 'repair',
          start_time: '2031-09-01T08:00:00Z',
          end_time: '2031-09-01T12:00:00Z',
          assigned_mechanic_id: s.mechanicId,
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const winner = responses.find((r) => r.statusCode === 201)!.json<{ id: string }>();
    const loser = responses.find((r) => r.statusCode === 409)!.json<{ reason: string; error: string }>();
    expect(loser.reason).toBe('MECHANIC_BUSY');
    expect(loser.error).toContain(winner.id);
    const booked = await t.db.db
      .selectFrom('maintenance_tasks')
      .select('id')
      .where('assigned_mechanic_id', '=', s.mechanicId)
      .execute();
    expect(booked).toEqual([{ id: winner.id }]);
  });
});

describe('signers and inspectors', () => {
  const signOff = (token: string, id: string) =>
    t.request(token, 'PATCH', `/api/v1/compliance-items/${id}/sign-off`, { password: TEST_PASSWORD });
  const inspect = (token: string, id: string) =>
    t.request(token, 'POST', `/api/v1/compliance-items/${id}/inspect`, { password: TEST_PASSWORD });

  it('a sign-off needs the task’s certifying requirements: 409 MECHANIC_NOT_QUALIFIED until the signer holds them', async () => {
    const s = await shop();
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      certification_type_id: b1,
      certifying: true,
    });
    const task = await insertTask(t.db.db, { aircraft_id: s.aircraftId, assigned_mechanic_id: s.mechanicId });
    const item = await insertComplianceItem(t.db.db, { org_id: s.orgId, task_id: task.id, result: 'pass' });
    const refused = await signOff(s.mechanic, item.id);
    expectNotQualified(refused, 'CERT_MISSING');
    expect(refused.json()).toMatchObject({ details: [{ field: 'signer', type_id: b1 }] });
    const row = await t.db.db
      .selectFrom('compliance_items')
      .select('sign_off_user_id')
      .where('id', '=', item.id)
      .executeTakeFirstOrThrow();
    expect(row.sign_off_user_id).toBeNull();
    await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: s.mechanicId,
      certification_type_id: b1,
    });
    expect((await signOff(s.mechanic, item.id)).statusCode).toBe(200);
  });

  it('an inspector needs inspection authority and the task’s inspection requirements', async () => {
    const s = await shop();
    const b3 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B3');
    await insertTaskSkillRequirement(t.db.db, {
      org_id: s.orgId,
      skill_type_id: borescope,
      inspection: true,
    });
    const task = await insertTask(t.db.db, { aircraft_id: s.aircraftId, assigned_mechanic_id: s.mechanicId });
    const item = await insertComplianceItem(t.db.db, {
      org_id: s.orgId,
      task_id: task.id,
      result: 'pass',
      requires_inspection: true,
    });
    expect((await signOff(s.mechanic, item.id)).statusCode).toBe(200);
    const user = await t.createUser(s.orgId, 'mechanic');
    const inspector = await t.tokenFor(user);
    // A B3 confers no inspection authority.
    await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: user.id,
      certification_type_id: b3,
    });
    const noAuthority = await inspect(inspector, item.id);
    expect(noAuthority.statusCode).toBe(409);
    const refusal = noAuthority.json<{ reason: string; details: Record<string, unknown>[] }>();
    expect(refusal.reason).toBe('MECHANIC_NOT_QUALIFIED');
    expect(refusal.details).toEqual([
      expect.objectContaining({
        field: 'inspector',
        kind: 'skill',
        type_id: borescope,
        reason: 'SKILL_MISSING',
      }),
      expect.objectContaining({
        field: 'inspector',
        kind: 'certification',
        type_id: null,
        reason: 'CERT_MISSING',
      }),
    ]);
    await insertEmployeeCertification(t.db.db, {
      expiry_date: null,
      org_id: s.orgId,
      user_id: user.id,
      certification_type_id: b1,
    });
    expectNotQualified(await inspect(inspector, item.id), 'SKILL_MISSING');
    await insertEmployeeSkill(t.db.db, {
      org_id: s.orgId,
      user_id: user.id,
      skill_type_id: borescope,
      proficiency: 2,
    });
    const inspected = await inspect(inspector, item.id);
    expect(inspected.statusCode, inspected.body).toBe(200);
  });
});
