import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAlerts } from '../../src/app/demo-alerts.js';
import { DEMO_PASSWORD, seedDemoData } from '../../src/app/demo-data.js';
import { DEMO_CURRENT_WORK, DEMO_PAST_WORK, seedDemoWork } from '../../src/app/demo-work.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';

// What a newcomer sees after `npm start`: the demo's history and today's work behind every
// dashboard figure, seeded as `amss dev` seeds it.
let t: TestApp;
let orgId: string;
let mechanicToken: string;

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await seedDemoData(t.container.uow, (plain) => hashPassword(plain, 4))).orgId;
  await seedDemoAlerts(t.container.uow, orgId);
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { org_id: orgId, email: 'mechanic@demo.local', password: DEMO_PASSWORD },
  });
  mechanicToken = login.json<{ access_token: string }>().access_token;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const tasksOf = () =>
  t.db.db
    .selectFrom('maintenance_tasks')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('deleted_at', 'is', null)
    .execute();

/** Every number in a JSON value, with its path. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => numbersIn(inner, path ? `${path}.${key}` : key));
}

describe('demo work', () => {
  it('gives a fresh start a dashboard with every figure above zero', async () => {
    const response = await t.request(mechanicToken, 'GET', '/api/v1/dashboard/metrics');
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ mechanics: { utilisation: unknown }; my_tasks_today: unknown[] }>();
    // Per-mechanic utilisation lists each mechanic, idle ones included; their average is a figure.
    const { utilisation: _perMechanic, ...mechanics } = body.mechanics;
    const zeros = numbersIn({ ...body, mechanics }).filter(([, n]) => n === 0);
    expect(zeros).toEqual([]);
    expect(body.my_tasks_today).toHaveLength(1);
  });

  it('records the history as it happened: signed before completion, one completion late, one cancellation', async () => {
    const tasks = await tasksOf();
    const past = DEMO_PAST_WORK.map((work) => tasks.find((task) => task.notes === work.notes)!);
    expect(past.map((task) => task.state)).toEqual(['completed', 'completed', 'completed', 'cancelled']);
    const late = past.filter((task) => task.completed_at && task.completed_at > task.end_time);
    expect(late.map((task) => task.notes)).toEqual(['Demo history: left outer main wheel and tyre change']);
    const signed = await t.db.db
      .selectFrom('compliance_items as c')
      .innerJoin('maintenance_tasks as m', 'm.id', 'c.task_id')
      .innerJoin('users as u', 'u.id', 'c.sign_off_user_id')
      .select(['u.email', 'c.sign_off_time', 'm.started_at', 'm.completed_at'])
      .where('c.org_id', '=', orgId)
      .where('m.state', '=', 'completed')
      .execute();
    expect(signed).toHaveLength(3);
    for (const row of signed) {
      expect(row.email).toBe('mechanic@demo.local');
      expect(row.sign_off_time!.getTime()).toBeGreaterThan(row.started_at!.getTime());
      expect(row.sign_off_time!.getTime()).toBeLessThan(row.completed_at!.getTime());
    }
  });

  it('has the demo mechanic on a task now, one task overdue, and the overdue aircraft in the hangar', async () => {
    const tasks = await tasksOf();
    const current = DEMO_CURRENT_WORK.map((work) => tasks.find((task) => task.notes === work.notes)!);
    expect(current.map((task) => task.state)).toEqual(['scheduled', 'in_progress', 'scheduled']);
    expect(current[0]!.start_time.getTime()).toBeLessThan(Date.now());
    const aircraft = await t.container.uow.repos.aircraft.findByTailNumber(orgId, 'N201DA');
    expect([aircraft?.status, aircraft?.statusSource]).toEqual(['maintenance', 'manual']);
  });

  it('audits the tasks’ history as system:seed and creates nothing when seeded again', async () => {
    const actors = await t.db.db
      .selectFrom('audit_logs')
      .select('actor')
      .distinct()
      .where('org_id', '=', orgId)
      .where('entity_type', '=', 'maintenance_task')
      .execute();
    expect(actors).toEqual([{ actor: 'system:seed' }]);
    const before = (await tasksOf()).length;
    expect(
      await seedDemoWork(t.container.uow, orgId, { email: 'mechanic@demo.local', password: DEMO_PASSWORD }),
    ).toBe(0);
    expect((await tasksOf()).length).toBe(before);
  });

  it('records the history unsigned when the demo password no longer opens the mechanic’s account', async () => {
    const db = await createTestDatabase();
    try {
      const uow = new PgUnitOfWork(db.db);
      const { orgId: other } = await seedDemoData(uow, async () => 'not-a-real-hash');
      const states = await db.db
        .selectFrom('maintenance_tasks')
        .select(['notes', 'state'])
        .where('org_id', '=', other)
        .where('notes', 'like', 'Demo history:%')
        .orderBy('start_time')
        .execute();
      expect(states.map((task) => task.state)).toEqual(['completed', 'completed', 'completed', 'cancelled']);
      const signed = await db.db
        .selectFrom('compliance_items')
        .select('id')
        .where('org_id', '=', other)
        .where('sign_off_time', 'is not', null)
        .execute();
      expect(signed).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
