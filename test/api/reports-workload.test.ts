import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportService } from '../../src/app/reports.js';
import { buildServer } from '../../src/cmd/container.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask, insertUser } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(NOW.getTime() + ms);
const iso = (ms: number) => at(ms).toISOString();

let t: TestApp;
let server: FastifyInstance;
let home: Tenant;
let other: { id: string };
const mechanic: Record<'ada' | 'bob' | 'cyd', string> = { ada: '', bob: '', cyd: '' };

beforeAll(async () => {
  t = await createTestApp();
  const reports = new ReportService({ uow: t.container.uow, now: () => NOW });
  server = await buildServer({ ...t.container, services: { ...t.container.services, reports } });
  await server.ready();
  home = await createTenant(t);
  other = await t.createOrg();
  await seed();
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/** Ada has open work, Bob one task in three weeks, Cyd nothing; others are no mechanics or gone. */
async function seed() {
  const db = t.db.db;
  const orgId = home.org.id;
  const user = (email: string, extra = {}) =>
    insertUser(db, { org_id: orgId, role: 'mechanic', email, ...extra }).then((row) => row.id);
  mechanic.ada = await user('ada@test.local');
  mechanic.bob = await user('bob@test.local');
  mechanic.cyd = await user('cyd@test.local');
  const gone = await user('dee@test.local', { deleted_at: at(-DAY) });
  const scheduler = await user('eve@test.local', { role: 'scheduler' });

  const aircraft = (await insertAircraft(db, { org_id: orgId })).id;
  const task = (assignee: string, state: string, start: number, hours: number, extra = {}) =>
    insertTask(db, {
      org_id: orgId,
      aircraft_id: aircraft,
      assigned_mechanic_id: assignee,
      state: state as 'scheduled',
      start_time: at(start),
      end_time: at(start + hours * HOUR),
      ...extra,
    });
  await task(mechanic.ada, 'scheduled', -3 * HOUR, 1); // late to start: open, but not the next start
  await task(mechanic.ada, 'in_progress', -HOUR, 2);
  await task(mechanic.ada, 'scheduled', DAY, 2);
  await task(mechanic.ada, 'scheduled', 5 * DAY, 3.5);
  await task(mechanic.ada, 'completed', -3 * DAY, 4);
  await task(mechanic.ada, 'cancelled', 2 * DAY, 4);
  await task(mechanic.ada, 'scheduled', 3 * DAY, 4, { deleted_at: at(-HOUR) });
  await task(mechanic.bob, 'scheduled', 20 * DAY, 1.5);
  await task(gone, 'scheduled', 30 * DAY, 1);
  await task(scheduler, 'scheduled', 31 * DAY, 1);

  // Another organization's mechanic and task never show up.
  const foreign = await insertUser(db, { org_id: other.id, role: 'mechanic', email: 'aaa@test.local' });
  await insertTask(db, {
    org_id: other.id,
    assigned_mechanic_id: foreign.id,
    start_time: at(DAY),
    end_time: at(DAY + HOUR),
  });
}

const workload = (query = '', token = home.tokens.mechanic) =>
  server.inject({
    method: 'GET',
    url: `/api/v1/reports/mechanic-workload${query}`,
    headers: { authorization: `Bearer ${token}` },
  });

const idle = (id: string, email: string) => ({
  mechanic_id: id,
  email,
  open_tasks: 0,
  scheduled_tasks: 0,
  in_progress_tasks: 0,
  planned_hours: 0,
  next_start: null,
});

describe('GET /reports/mechanic-workload', () => {
  it('lists every live mechanic of the organization by email, idle ones included, with open tasks and hours', async () => {
    const response = await workload();
    expect(response.statusCode, response.body).toBe(200);
    const rows = response.json<{ email: string }[]>();
    expect(rows.slice(0, 3)).toEqual([
      {
        mechanic_id: mechanic.ada,
        email: 'ada@test.local',
        open_tasks: 4,
        scheduled_tasks: 3,
        in_progress_tasks: 1,
        planned_hours: 8.5,
        next_start: iso(DAY),
      },
      {
        mechanic_id: mechanic.bob,
        email: 'bob@test.local',
        open_tasks: 1,
        scheduled_tasks: 1,
        in_progress_tasks: 0,
        planned_hours: 1.5,
        next_start: iso(20 * DAY),
      },
      idle(mechanic.cyd, 'cyd@test.local'),
    ]);
    // The tenant's own signed-in mechanic is the fourth; nobody else (deleted, scheduler, other org).
    expect(rows.slice(3)).toEqual([expect.objectContaining({ mechanic_id: home.userIds.mechanic })]);
  });

  it('counts only tasks starting inside the from/to window', async () => {
    const rows = (await workload(`?from=${iso(0)}&to=${iso(7 * DAY)}`)).json<{ email: string }[]>();
    expect(rows.slice(0, 3)).toEqual([
      {
        mechanic_id: mechanic.ada,
        email: 'ada@test.local',
        open_tasks: 2,
        scheduled_tasks: 2,
        in_progress_tasks: 0,
        planned_hours: 5.5,
        next_start: iso(DAY),
      },
      idle(mechanic.bob, 'bob@test.local'),
      idle(mechanic.cyd, 'cyd@test.local'),
    ]);
  });

  it('sorts by planned hours, most first, and pages with a Link header', async () => {
    const first = await workload('?sort=-planned_hours&limit=2');
    expect(first.json<{ mechanic_id: string }[]>().map((row) => row.mechanic_id)).toEqual([
      mechanic.ada,
      mechanic.bob,
    ]);
    expect(first.headers.link).toBe(
      '</api/v1/reports/mechanic-workload?sort=-planned_hours&limit=2&offset=2>; rel="next"',
    );
    const rest = await workload('?sort=-planned_hours&limit=2&offset=2');
    expect(rest.json<unknown[]>()).toHaveLength(2);
    expect(rest.headers.link).toBeUndefined();
  });

  it('lets an admin read another organization’s workload with org_id', async () => {
    const rows = (await workload(`?org_id=${other.id}`, home.tokens.admin)).json<
      { email: string; open_tasks: number }[]
    >();
    expect(rows).toEqual([expect.objectContaining({ email: 'aaa@test.local', open_tasks: 1 })]);
    expect((await workload(`?org_id=${other.id}`)).statusCode).toBe(403);
  });

  it.each([
    ['an empty window', `?from=${iso(DAY)}&to=${iso(0)}`, 'INVALID_TIME_RANGE'],
    ['a malformed date', '?from=tomorrow', 'VALIDATION_FAILED'],
    ['an unknown sort field', '?sort=role', 'VALIDATION_FAILED'],
    ['a limit above 200', '?limit=201', 'VALIDATION_FAILED'],
  ])('answers %s with 400', async (_name, query, reason) => {
    const response = await workload(query);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason });
  });
});
