import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertProgram, insertTask } from '../support/factories.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let scheduler: string;
let schedulerId: string;
let admin: string;
let aircraftId: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  const s = await t.createUser(home.id, 'scheduler');
  schedulerId = s.id;
  scheduler = await t.tokenFor(s);
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  aircraftId = (
    await insertAircraft(t.db.db, { org_id: home.id, flight_hours_total: '1234.50', cycles_total: 800 })
  ).id;
});
afterAll(async () => {
  await t.close();
});

interface ProgramJson {
  id: string;
  org_id: string;
  aircraft_id: string | null;
  name: string;
  interval_type: string;
  next_due: {
    at: string | null;
    flight_hours: number | null;
    cycles: number | null;
    remaining: number | null;
  } | null;
}

const url = '/api/v1/maintenance-programs';
const create = (body: Record<string, unknown>, token = scheduler, query = '') =>
  t.request(token, 'POST', `${url}${query}`, {
    name: 'A-check',
    interval_type: 'calendar',
    interval_value: 120,
    ...body,
  });
const auditsOf = (entityId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();
const eventsOf = (aggregateId: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', aggregateId)
    .orderBy('created_at')
    .execute();
/** Sets the counters a task completion would record. */
const performedAt = (id: string, hours: string, cycles: number) =>
  t.db.db
    .updateTable('maintenance_programs')
    .set({ last_performed_flight_hours: hours, last_performed_cycles: cycles })
    .where('id', '=', id)
    .execute();

describe('creating programs', () => {
  it('creates a template calendar program due interval days after its last performance', async () => {
    const response = await create({ last_performed: '2025-03-01T12:00:00+02:00' });
    expect(response.statusCode).toBe(201);
    const program = response.json<ProgramJson>();
    expect(response.headers.location).toBe(`${url}/${program.id}`);
    expect(program).toMatchObject({
      org_id: home.id,
      aircraft_id: null,
      name: 'A-check',
      last_performed: '2025-03-01T10:00:00.000Z',
      last_performed_flight_hours: null,
      last_performed_cycles: null,
      next_due: { at: '2025-06-29T10:00:00.000Z', flight_hours: null, cycles: null, remaining: null },
    });
  });

  it('binds a flight-hours program to an aircraft; its next due stays null until it is performed', async () => {
    const response = await create({
      name: 'Oil change',
      interval_type: 'flight_hours',
      interval_value: 500,
      aircraft_id: aircraftId,
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ aircraft_id: aircraftId, next_due: null });
  });

  it('records one audit row and one program_created event, both showing the program', async () => {
    const program = (await create({ aircraft_id: aircraftId })).json<ProgramJson>();
    const [audit, ...moreAudits] = await auditsOf(program.id);
    expect(moreAudits).toEqual([]);
    expect(audit).toMatchObject({
      action: 'create',
      entity_type: 'maintenance_program',
      org_id: home.id,
      user_id: schedulerId,
      details: { after: program },
    });
    const events = await eventsOf(program.id);
    expect(events.map((e) => e.event_type)).toEqual(['program_created']);
    expect(events[0]!.payload).toMatchObject({
      version: 1,
      org_id: home.id,
      aggregate_id: program.id,
      data: program,
    });
  });

  it('trims the name and refuses a blank one with PROGRAM_NAME_BLANK', async () => {
    expect((await create({ name: '  B-check  ' })).json()).toMatchObject({ name: 'B-check' });
    const blank = await create({ name: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json()).toMatchObject({ reason: 'PROGRAM_NAME_BLANK', details: [{ field: 'body.name' }] });
  });

  it('refuses a last performance in the future with LAST_PERFORMED_IN_FUTURE', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const response = await create({ last_performed: future });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'LAST_PERFORMED_IN_FUTURE',
      details: [{ field: 'body.last_performed', message: 'must not be in the future' }],
    });
  });

  it('answers 404 AIRCRAFT_NOT_FOUND naming body.aircraft_id for a deleted aircraft', async () => {
    const gone = await insertAircraft(t.db.db, { org_id: home.id, deleted_at: new Date() });
    const response = await create({ aircraft_id: gone.id });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      reason: 'AIRCRAFT_NOT_FOUND',
      details: [{ field: 'body.aircraft_id' }],
    });
  });
});

describe('next due on the aircraft’s counters', () => {
  it('shows the hours and cycles left from the aircraft’s current totals, in the list as in the detail', async () => {
    const hours = (
      await create({ interval_type: 'flight_hours', interval_value: 500, aircraft_id: aircraftId })
    ).json<ProgramJson>();
    const cycles = (
      await create({ interval_type: 'cycles', interval_value: 100, aircraft_id: aircraftId })
    ).json<ProgramJson>();
    await performedAt(hours.id, '1000.25', 0);
    await performedAt(cycles.id, '0', 650);
    const detail = (await t.request(scheduler, 'GET', `${url}/${hours.id}`)).json<ProgramJson>();
    expect(detail.next_due).toEqual({ at: null, flight_hours: 1500.25, cycles: null, remaining: 265.75 });
    const list = (await t.request(scheduler, 'GET', `${url}?aircraft_id=${aircraftId}&limit=200`)).json<
      ProgramJson[]
    >();
    expect(list.find((p) => p.id === cycles.id)!.next_due).toEqual({
      at: null,
      flight_hours: null,
      cycles: 750,
      remaining: -50,
    });
  });
});

describe('changing programs', () => {
  it('changes the interval and records the program before and after in one audit row and event', async () => {
    const program = (await create({})).json<ProgramJson>();
    const response = await t.request(scheduler, 'PATCH', `${url}/${program.id}`, {
      interval_type: 'cycles',
      interval_value: 300,
      name: 'C-check',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ name: 'C-check', interval_type: 'cycles', interval_value: 300 });
    const audits = await auditsOf(program.id);
    expect(audits.map((a) => a.action)).toEqual(['create', 'update']);
    expect(audits[1]!.details).toMatchObject({ before: { name: 'A-check' }, after: { name: 'C-check' } });
    expect((await eventsOf(program.id)).map((e) => e.event_type)).toEqual([
      'program_created',
      'program_updated',
    ]);
  });

  it('clears the last performance with null', async () => {
    const program = (await create({ last_performed: '2025-01-01T00:00:00Z' })).json<ProgramJson>();
    const response = await t.request(scheduler, 'PATCH', `${url}/${program.id}`, { last_performed: null });
    expect(response.json()).toMatchObject({ last_performed: null, next_due: null });
  });

  it('keeps the aircraft binding and the performance counters out of reach', async () => {
    const program = (await create({})).json<ProgramJson>();
    for (const field of ['aircraft_id', 'last_performed_flight_hours', 'last_performed_cycles']) {
      const response = await t.request(scheduler, 'PATCH', `${url}/${program.id}`, {
        [field]: field === 'aircraft_id' ? aircraftId : 10,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        details: [{ field: `body.${field}`, message: 'is not a known field' }],
      });
    }
  });

  it('gives each of two parallel changes its own audit row, the second starting where the first ended', async () => {
    const program = (await create({ interval_value: 10 })).json<ProgramJson>();
    const responses = await Promise.all(
      [20, 30].map((interval_value) =>
        t.request(scheduler, 'PATCH', `${url}/${program.id}`, { interval_value }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    const updates = (await auditsOf(program.id)).filter((a) => a.action === 'update');
    expect(updates).toHaveLength(2);
    // Which one won the row lock is up to the database; the chain 10 → first → second must hold.
    const changes = updates.map(
      (a) => a.details as { before: { interval_value: number }; after: { interval_value: number } },
    );
    const first = changes.find((c) => c.before.interval_value === 10)!;
    const second = changes.find((c) => c !== first)!;
    expect(second.before.interval_value).toBe(first.after.interval_value);
  });
});

describe('deleting programs', () => {
  it('soft-deletes: the program disappears from reads and lists, and one delete is audited', async () => {
    const program = (await create({ name: `Gone ${randomUUID()}` })).json<ProgramJson>();
    expect((await t.request(scheduler, 'DELETE', `${url}/${program.id}`)).statusCode).toBe(204);
    expect((await t.request(scheduler, 'GET', `${url}/${program.id}`)).statusCode).toBe(404);
    expect((await t.request(scheduler, 'DELETE', `${url}/${program.id}`)).statusCode).toBe(404);
    const list = (await t.request(scheduler, 'GET', `${url}?limit=200`)).json<ProgramJson[]>();
    expect(list.map((p) => p.id)).not.toContain(program.id);
    expect((await auditsOf(program.id)).map((a) => a.action)).toEqual(['create', 'delete']);
    expect((await eventsOf(program.id)).map((e) => e.event_type)).toEqual([
      'program_created',
      'program_deleted',
    ]);
  });

  it.each(['scheduled', 'in_progress'] as const)(
    'refuses with 409 PROGRAM_HAS_ACTIVE_TASKS while a task is %s',
    async (state) => {
      const program = await insertProgram(t.db.db, { org_id: home.id, aircraft_id: aircraftId });
      await insertTask(t.db.db, { aircraft_id: aircraftId, program_id: program.id, state });
      const response = await t.request(scheduler, 'DELETE', `${url}/${program.id}`);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason: 'PROGRAM_HAS_ACTIVE_TASKS' });
      expect(await auditsOf(program.id)).toEqual([]);
    },
  );

  it('deletes a program whose tasks are all completed, cancelled or deleted', async () => {
    const program = await insertProgram(t.db.db, { org_id: home.id, aircraft_id: aircraftId });
    for (const state of ['completed', 'cancelled'] as const) {
      await insertTask(t.db.db, { aircraft_id: aircraftId, program_id: program.id, state });
    }
    await insertTask(t.db.db, { aircraft_id: aircraftId, program_id: program.id, deleted_at: new Date() });
    expect((await t.request(scheduler, 'DELETE', `${url}/${program.id}`)).statusCode).toBe(204);
  });

  it('deletes once when two deletes race: one 204, one 404, one audit row', async () => {
    const program = await insertProgram(t.db.db, { org_id: home.id });
    const responses = await Promise.all(
      [1, 2].map(() => t.request(scheduler, 'DELETE', `${url}/${program.id}`)),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([204, 404]);
    expect(await auditsOf(program.id)).toHaveLength(1);
  });
});

describe('listing programs', () => {
  it('filters by aircraft, interval type and template, and sorts', async () => {
    const org = await t.createOrg();
    const plane = await insertAircraft(t.db.db, { org_id: org.id });
    const scope = `org_id=${org.id}`;
    for (const [name, type, bound] of [
      ['Bravo', 'cycles', true],
      ['Alpha', 'calendar', true],
      ['Charlie', 'flight_hours', false],
    ] as const) {
      await insertProgram(t.db.db, {
        org_id: org.id,
        name,
        interval_type: type,
        aircraft_id: bound ? plane.id : null,
      });
    }
    const names = async (query: string) =>
      (await t.request(admin, 'GET', `${url}?${scope}&${query}`)).json<ProgramJson[]>().map((p) => p.name);
    expect(await names('')).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(await names(`aircraft_id=${plane.id}`)).toEqual(['Alpha', 'Bravo']);
    expect(await names('template=true')).toEqual(['Charlie']);
    expect(await names('template=false&sort=-name')).toEqual(['Bravo', 'Alpha']);
    expect(await names('interval_type=cycles')).toEqual(['Bravo']);
    expect(await names('sort=interval_type')).toEqual(['Charlie', 'Bravo', 'Alpha']);
    expect(await names('sort=-created_at')).toEqual(['Charlie', 'Alpha', 'Bravo']);
  });

  it('pages with a Link header', async () => {
    const org = await t.createOrg();
    for (const name of ['P1', 'P2', 'P3']) await insertProgram(t.db.db, { org_id: org.id, name });
    const first = await t.request(admin, 'GET', `${url}?org_id=${org.id}&limit=2`);
    expect(first.json<ProgramJson[]>().map((p) => p.name)).toEqual(['P1', 'P2']);
    const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
    const second = await t.request(admin, 'GET', next!);
    expect(second.json<ProgramJson[]>().map((p) => p.name)).toEqual(['P3']);
    expect(second.headers.link).toBeUndefined();
  });
});

describe('tenant isolation', () => {
  it('answers GET, PATCH and DELETE of another org’s program with 404', async () => {
    const foreign = await insertProgram(t.db.db, { org_id: other.id });
    for (const [method, body] of [['GET'], ['PATCH', { name: 'Mine now' }], ['DELETE']] as const) {
      const response = await t.request(scheduler, method, `${url}/${foreign.id}`, body);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'PROGRAM_NOT_FOUND' });
    }
    expect(await auditsOf(foreign.id)).toEqual([]);
  });

  it('answers an aircraft of another org in the body with 404 naming body.aircraft_id, writing nothing', async () => {
    const foreignPlane = await insertAircraft(t.db.db, { org_id: other.id });
    const response = await create({ aircraft_id: foreignPlane.id });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      code: 'not_found',
      reason: 'AIRCRAFT_NOT_FOUND',
      details: [{ field: 'body.aircraft_id' }],
    });
    const bound = await t.db.db
      .selectFrom('maintenance_programs')
      .select('id')
      .where('aircraft_id', '=', foreignPlane.id)
      .execute();
    expect(bound).toEqual([]);
  });

  it('never lists another org’s programs, even filtered by its aircraft', async () => {
    const foreignPlane = await insertAircraft(t.db.db, { org_id: other.id });
    await insertProgram(t.db.db, { org_id: other.id, aircraft_id: foreignPlane.id });
    const list = await t.request(scheduler, 'GET', `${url}?aircraft_id=${foreignPlane.id}`);
    expect(list.json()).toEqual([]);
  });

  it('lets an admin manage another org’s programs by naming it with org_id', async () => {
    const scope = `?org_id=${other.id}`;
    const created = await create({}, admin, scope);
    expect(created.json()).toMatchObject({ org_id: other.id });
    const { id } = created.json<ProgramJson>();
    expect(created.headers.location).toBe(`${url}/${id}${scope}`);
    expect((await t.request(admin, 'GET', `${url}/${id}`)).statusCode).toBe(404);
    expect((await t.request(admin, 'PATCH', `${url}/${id}${scope}`, { name: 'Theirs' })).statusCode).toBe(
      200,
    );
    expect((await t.request(admin, 'DELETE', `${url}/${id}${scope}`)).statusCode).toBe(204);
    expect((await auditsOf(id)).map((a) => [a.org_id, a.actor_org_id])).toEqual([
      [other.id, home.id],
      [other.id, home.id],
      [other.id, home.id],
    ]);
  });

  it('refuses a scheduler naming another org with ORG_SCOPE_FORBIDDEN', async () => {
    const response = await t.request(scheduler, 'GET', `${url}?org_id=${other.id}`);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
  });
});
