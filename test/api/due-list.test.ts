import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DueListService } from '../../src/app/due-list.js';
import { buildServer } from '../../src/cmd/container.js';
import { addCalendar, calendarDayOf } from '../../src/domain/directive.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import { insertAircraft, insertAircraftUsage, insertProgram, insertTask } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
/** A server whose CSV export reads two items per batch, so the export crosses batch boundaries. */
let smallBatches: FastifyInstance;
let home: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  const dueList = new DueListService({ uow: t.container.uow, exportBatchSize: 2 });
  smallBatches = await buildServer({ ...t.container, services: { ...t.container.services, dueList } });
  await smallBatches.ready();
  home = await createTenant(t);
});
afterAll(async () => {
  await smallBatches.close();
  await t.close();
});

const DAY = 86_400_000;
const today = () => calendarDayOf(new Date());
const inDays = (n: number) => addCalendar(today(), n, 'days');

interface Item {
  source: string;
  name: string;
  reference: string | null;
  due_date: string | null;
  due_flight_hours: number | null;
  due_cycles: number | null;
  remaining_days: number | null;
  remaining_flight_hours: number | null;
  projected_date: string | null;
  overdue: boolean;
  booked: boolean;
  task_id: string | null;
  aircraft_directive_id: string | null;
  program_id: string | null;
}

/** A fresh aircraft of the home org (the given counters): each test lists only its own. */
const plane = (counters: { flight_hours_total?: string; cycles_total?: number } = {}) =>
  insertAircraft(t.db.db, { org_id: home.org.id, ...counters });

/** An open directive limit on the aircraft, the directive titled `title`. */
async function directiveDue(aircraftId: string, title: string, due: Record<string, unknown>) {
  const directive = await insertDirective(t.db.db, { org_id: home.org.id, title });
  return insertAircraftDirective(t.db.db, {
    org_id: home.org.id,
    aircraft_id: aircraftId,
    directive_id: directive.id,
    next_due_date: null,
    ...due,
  });
}

async function dueList(query: string, token = home.tokens.scheduler): Promise<Item[]> {
  const response = await t.request(token, 'GET', `/api/v1/due-list?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Item[]>();
}

describe('sources', () => {
  it('lists a directive limit within 30 days by default, with what is left, and leaves a later one out', async () => {
    const a = await plane();
    await directiveDue(a.id, 'Soon', { next_due_date: inDays(10) });
    await directiveDue(a.id, 'Later', { next_due_date: inDays(45) });
    const items = await dueList(`aircraft_id=${a.id}`);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      source: 'directive',
      name: 'Soon',
      due_date: inDays(10),
      remaining_days: 10,
      projected_date: inDays(10),
      overdue: false,
      booked: false,
    });
  });

  it('lists the next occurrence of a program bound to the aircraft', async () => {
    const a = await plane();
    const program = await insertProgram(t.db.db, {
      aircraft_id: a.id,
      name: 'A-check',
      interval_value: 30,
      last_performed: new Date(Date.now() - 25 * DAY),
    });
    const due = calendarDayOf(new Date(Date.now() + 5 * DAY));
    expect(await dueList(`aircraft_id=${a.id}`)).toEqual([
      expect.objectContaining({ source: 'program', program_id: program.id, name: 'A-check', due_date: due }),
    ]);
  });

  it('holds a deferred directive to its approved new limit', async () => {
    const a = await plane();
    await directiveDue(a.id, 'Deferred', {
      status: 'deferred',
      status_reason: 'parts on order',
      next_due_date: inDays(-3),
      deferred_until_date: inDays(20),
    });
    const [item] = await dueList(`aircraft_id=${a.id}`);
    expect(item).toMatchObject({ due_date: inDays(20), overdue: false });
  });
});

describe('the horizon', () => {
  it('by flight hours alone: hour limits within reach, no date limit', async () => {
    const a = await plane({ flight_hours_total: '1000.00' });
    await directiveDue(a.id, 'Near', { next_due_flight_hours: '1040.00' });
    await directiveDue(a.id, 'Far', { next_due_flight_hours: '1100.00' });
    await directiveDue(a.id, 'Dated', { next_due_date: inDays(1) });
    const items = await dueList(`aircraft_id=${a.id}&flight_hours=50`);
    expect(items.map((i) => i.name)).toEqual(['Near']);
    expect(items[0]).toMatchObject({ remaining_flight_hours: 40, due_flight_hours: 1040 });
  });

  it('by cycles, whichever comes first with days', async () => {
    const a = await plane({ cycles_total: 900 });
    await insertProgram(t.db.db, {
      aircraft_id: a.id,
      name: 'Gear',
      interval_type: 'cycles',
      interval_value: 500,
      last_performed_cycles: 420,
    });
    await directiveDue(a.id, 'Dated', { next_due_date: inDays(5) });
    await directiveDue(a.id, 'Cycled', { next_due_cycles: 1100 });
    const items = await dueList(`aircraft_id=${a.id}&cycles=30&days=7`);
    expect(items.map((i) => i.name).sort()).toEqual(['Dated', 'Gear']);
  });
});

it('projects a usage limit from the aircraft’s average daily use over the last 90 days', async () => {
  const a = await plane({ flight_hours_total: '500.00' });
  // 270 hours in the window (3 a day); an older flight does not count.
  for (let i = 0; i < 9; i++) {
    await insertAircraftUsage(t.db.db, {
      aircraft_id: a.id,
      flight_hours: 30,
      recorded_at: new Date(Date.now() - (i * 9 + 1) * DAY),
    });
  }
  await insertAircraftUsage(t.db.db, {
    aircraft_id: a.id,
    flight_hours: 500,
    recorded_at: new Date(Date.now() - 120 * DAY),
  });
  await directiveDue(a.id, 'By hours', { next_due_flight_hours: '530.00' });
  await directiveDue(a.id, 'Too far', { next_due_flight_hours: '700.00' });
  const items = await dueList(`aircraft_id=${a.id}`);
  expect(items.map((i) => [i.name, i.projected_date])).toEqual([['By hours', inDays(10)]]);
});

it('lists overdue items first, then by projected date, and says which have a task booked', async () => {
  const a = await plane({ cycles_total: 50 });
  await directiveDue(a.id, 'Third', { next_due_date: inDays(20) });
  const booked = await insertTask(t.db.db, {
    aircraft_id: a.id,
    start_time: new Date(Date.now() + DAY),
    end_time: new Date(Date.now() + DAY + 3_600_000),
  });
  await directiveDue(a.id, 'Second', { next_due_date: inDays(2), task_id: booked.id });
  await directiveDue(a.id, 'Past cycles', { next_due_cycles: 40 });
  await directiveDue(a.id, 'Marked', { status: 'overdue', next_due_date: inDays(-1) });
  const items = await dueList(`aircraft_id=${a.id}`);
  expect(items.map((i) => [i.name, i.overdue, i.booked])).toEqual([
    ['Marked', true, false],
    ['Past cycles', true, false],
    ['Second', false, true],
    ['Third', false, false],
  ]);
  expect(items[2]!.task_id).toBe(booked.id);
});

it('pages the JSON list and streams every item as CSV', async () => {
  const a = await plane();
  for (const n of [3, 1, 4, 2, 5]) await directiveDue(a.id, `Item ${n}`, { next_due_date: inDays(n) });
  const first = await t.request(home.tokens.auditor, 'GET', `/api/v1/due-list?aircraft_id=${a.id}&limit=2`);
  expect(first.json<Item[]>().map((i) => i.name)).toEqual(['Item 1', 'Item 2']);
  expect(first.headers.link).toContain('offset=2');
  const csv = await smallBatches.inject({
    method: 'GET',
    url: `/api/v1/due-list?aircraft_id=${a.id}&format=csv`,
    headers: { authorization: `Bearer ${home.tokens.auditor}` },
  });
  expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
  const rows = parse<Record<string, string>>(csv.body, { columns: true });
  expect(rows.map((r) => r.name)).toEqual(['Item 1', 'Item 2', 'Item 3', 'Item 4', 'Item 5']);
  expect(rows[0]).toMatchObject({
    source: 'directive',
    due_date: inDays(1),
    overdue: 'false',
    booked: 'false',
  });
});

describe('isolation', () => {
  it('answers 404 for another organization’s aircraft and never lists its items', async () => {
    const other = await t.createOrg();
    const foreign = await insertAircraft(t.db.db, { org_id: other.id });
    const directive = await insertDirective(t.db.db, { org_id: other.id, title: 'Foreign' });
    await insertAircraftDirective(t.db.db, {
      org_id: other.id,
      aircraft_id: foreign.id,
      directive_id: directive.id,
      next_due_date: inDays(1),
    });
    const response = await t.request(
      home.tokens.scheduler,
      'GET',
      `/api/v1/due-list?aircraft_id=${foreign.id}`,
    );
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'AIRCRAFT_NOT_FOUND' });
    expect((await dueList('limit=200')).map((i) => i.name)).not.toContain('Foreign');
  });

  it('refuses a horizon that is not a number with 400', async () => {
    const response = await t.request(home.tokens.scheduler, 'GET', '/api/v1/due-list?days=soon');
    expect(response.statusCode).toBe(400);
  });
});

describe('RBAC', () => {
  itEnforcesRoles(
    {
      'GET /due-list': { method: 'GET', build: async () => ({ url: '/due-list' }), allowed: EVERYONE },
    },
    () => ({ t, tokens: home.tokens }),
  );
});
