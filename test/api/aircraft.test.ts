import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORG_NAME, seedDemoData } from '../../src/app/demo-data.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let admin: string;
let scheduler: string;
let schedulerId: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  const s = await t.createUser(home.id, 'scheduler');
  schedulerId = s.id;
  scheduler = await t.tokenFor(s);
});
afterAll(async () => {
  await t.close();
});

interface AircraftJson {
  id: string;
  org_id: string;
  tail_number: string;
  model: string;
  status: string;
  status_source: string;
  capacity_slots: number;
  last_maintenance: string | null;
  next_due: string | null;
  flight_hours_total: number;
  cycles_total: number;
}

let tails = 0;
const newTail = () => `T${++tails}-${randomUUID().slice(0, 6)}`.toUpperCase();
const createAircraft = (token: string, body: Record<string, unknown> = {}, query = '') =>
  t.request(token, 'POST', `/api/v1/aircraft${query}`, { tail_number: newTail(), model: 'A320neo', ...body });
const audits = (entityId: string) =>
  t.db.db
    .selectFrom('audit_logs')
    .selectAll()
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();
const events = (aggregateId: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', aggregateId)
    .orderBy('created_at')
    .execute();
const aircraftCount = async () =>
  Number(
    (
      await t.db.db
        .selectFrom('aircraft')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('creating aircraft', () => {
  it('creates an operational aircraft with one slot and zero usage, its tail number upper-cased', async () => {
    const tail = newTail();
    const response = await createAircraft(scheduler, { tail_number: tail.toLowerCase() });
    expect(response.statusCode).toBe(201);
    const aircraft = response.json<AircraftJson>();
    expect(response.headers.location).toBe(`/api/v1/aircraft/${aircraft.id}`);
    expect(aircraft).toMatchObject({
      org_id: home.id,
      tail_number: tail,
      model: 'A320neo',
      status: 'operational',
      status_source: 'manual',
      capacity_slots: 1,
      last_maintenance: null,
      next_due: null,
      flight_hours_total: 0,
      cycles_total: 0,
    });
  });

  it('records one audit row by the scheduler and one aircraft_created event', async () => {
    const aircraft = (await createAircraft(scheduler)).json<AircraftJson>();
    const rows = await audits(aircraft.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'create', entity_type: 'aircraft', user_id: schedulerId });
    expect(rows[0]!.details).toMatchObject({ after: { tail_number: aircraft.tail_number } });
    const written = await events(aircraft.id);
    expect(written.map((e) => e.event_type)).toEqual(['aircraft_created']);
    expect(written[0]!.dedupe_key).toBe(`aircraft_created:${home.id}:${aircraft.id}`);
  });

  it('refuses a live tail number in any case with 409 TAIL_NUMBER_TAKEN, and frees it once deleted', async () => {
    const tail = newTail();
    const first = (await createAircraft(scheduler, { tail_number: tail })).json<AircraftJson>();
    const clash = await createAircraft(scheduler, { tail_number: tail.toLowerCase() });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'conflict', reason: 'TAIL_NUMBER_TAKEN' });
    expect((await createAircraft(admin, { tail_number: tail }, `?org_id=${other.id}`)).statusCode).toBe(201);

    expect((await t.request(scheduler, 'DELETE', `/api/v1/aircraft/${first.id}`)).statusCode).toBe(204);
    expect((await createAircraft(scheduler, { tail_number: tail })).statusCode).toBe(201);
  });

  it('refuses next_due not after last_maintenance with 400, writing nothing', async () => {
    const before = await aircraftCount();
    const response = await createAircraft(scheduler, {
      last_maintenance: '2025-03-01T00:00:00Z',
      next_due: '2025-03-01T00:00:00+00:00',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE',
      details: [{ field: 'body.next_due' }],
    });
    expect(await aircraftCount()).toBe(before);
  });

  it('normalises timestamps to UTC', async () => {
    const response = await createAircraft(scheduler, {
      last_maintenance: '2025-03-01T10:00:00+02:00',
      next_due: '2025-09-01T10:00:00-04:00',
    });
    expect(response.json()).toMatchObject({
      last_maintenance: '2025-03-01T08:00:00.000Z',
      next_due: '2025-09-01T14:00:00.000Z',
    });
  });

  const badBodies: [string, Record<string, unknown>, string][] = [
    ['a missing tail number', { tail_number: undefined }, 'body.tail_number'],
    ['a missing model', { model: undefined }, 'body.model'],
    ['a tail number with spaces', { tail_number: 'N1 DA' }, 'body.tail_number'],
    ['capacity_slots as a string', { capacity_slots: '2' }, 'body.capacity_slots'],
    ['zero capacity slots', { capacity_slots: 0 }, 'body.capacity_slots'],
    ['an unknown status', { status: 'flying' }, 'body.status'],
    ['a timestamp that is not RFC 3339', { next_due: 'tomorrow' }, 'body.next_due'],
    ['a timestamp without a zone', { last_maintenance: '2025-01-01T10:00:00' }, 'body.last_maintenance'],
    ['read-only usage counters', { flight_hours_total: 10 }, 'body.flight_hours_total'],
    ['an org_id in the body', { org_id: randomUUID() }, 'body.org_id'],
    ['a blank model', { model: '   ' }, 'body.model'],
  ];

  it.each(badBodies)('refuses %s with 400 naming the field, writing nothing', async (_label, body, field) => {
    const before = await aircraftCount();
    const response = await createAircraft(scheduler, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation' });
    expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    expect(await aircraftCount()).toBe(before);
  });
});

describe('listing aircraft', () => {
  it('filters by status, exact model and tail number text, and pages with a Link header', async () => {
    const org = await t.createOrg();
    const scope = `?org_id=${org.id}`;
    for (const [tail, model, status] of [
      ['N301XY', 'A320neo', 'operational'],
      ['N302XY', 'A320neo', 'operational'],
      ['N303XY', 'A320neo', 'grounded'],
      ['N304XY', 'A320', 'operational'],
      ['D-ABCD', 'A320neo', 'operational'],
    ]) {
      expect((await createAircraft(admin, { tail_number: tail, model, status }, scope)).statusCode).toBe(201);
    }
    const tailsOf = (body: AircraftJson[]) => body.map((a) => a.tail_number);
    const base = `/api/v1/aircraft${scope}&status=operational&model=A320neo&q=xy`;
    const first = await t.request(admin, 'GET', `${base}&limit=1&sort=-tail_number`);
    expect(tailsOf(first.json())).toEqual(['N302XY']);
    const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
    const second = await t.request(admin, 'GET', next!);
    expect(tailsOf(second.json())).toEqual(['N301XY']);
    expect(second.headers.link).toBeUndefined();
    const alias = await t.request(admin, 'GET', `/api/v1/aircraft${scope}&tail_number=d-a`);
    expect(tailsOf(alias.json())).toEqual(['D-ABCD']);
  });

  it('sorts by next_due with the id as tie-breaker, and by created_at', async () => {
    const org = await t.createOrg();
    const scope = `?org_id=${org.id}`;
    const dues = ['2031-01-03T00:00:00Z', '2031-01-01T00:00:00Z', '2031-01-02T00:00:00Z'];
    for (const next_due of dues) await createAircraft(admin, { next_due }, scope);
    const byDue = await t.request(admin, 'GET', `/api/v1/aircraft${scope}&sort=next_due`);
    expect(byDue.json<AircraftJson[]>().map((a) => a.next_due)).toEqual(
      [...dues].sort().map((d) => d.replace('Z', '.000Z')),
    );
    const byCreation = await t.request(admin, 'GET', `/api/v1/aircraft${scope}&sort=-created_at`);
    expect(byCreation.json<AircraftJson[]>().map((a) => a.next_due)[0]).toBe('2031-01-02T00:00:00.000Z');
  });

  it.each([
    ['an unknown sort field', 'sort=flight_hours_total'],
    ['an unknown status', 'status=flying'],
    ['q and tail_number that differ', 'q=N1&tail_number=N2'],
    ['an unknown parameter', 'colour=red'],
    ['a malformed org_id', 'org_id=nope'],
  ])('refuses %s with 400', async (_label, query) => {
    const response = await t.request(admin, 'GET', `/api/v1/aircraft?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation' });
  });
});

describe('changing aircraft', () => {
  it('changes fields, auditing before and after, with one aircraft_updated event', async () => {
    const aircraft = (await createAircraft(scheduler)).json<AircraftJson>();
    const response = await t.request(scheduler, 'PATCH', `/api/v1/aircraft/${aircraft.id}`, {
      model: 'A321neo',
      capacity_slots: 3,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ model: 'A321neo', capacity_slots: 3 });
    const rows = await audits(aircraft.id);
    expect(rows.map((r) => r.action)).toEqual(['create', 'update']);
    expect(rows[1]!.details).toMatchObject({ before: { model: 'A320neo' }, after: { model: 'A321neo' } });
    expect((await events(aircraft.id)).map((e) => e.event_type)).toEqual([
      'aircraft_created',
      'aircraft_updated',
    ]);
  });

  it('checks a new next_due against the stored last_maintenance, and accepts it once that is cleared', async () => {
    const aircraft = (
      await createAircraft(scheduler, { last_maintenance: '2025-06-01T00:00:00Z' })
    ).json<AircraftJson>();
    const url = `/api/v1/aircraft/${aircraft.id}`;
    const refused = await t.request(scheduler, 'PATCH', url, { next_due: '2025-05-01T00:00:00Z' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ reason: 'NEXT_DUE_NOT_AFTER_LAST_MAINTENANCE' });
    const refusedLast = await t.request(scheduler, 'PATCH', url, {
      next_due: '2025-07-01T00:00:00Z',
      last_maintenance: '2025-08-01T00:00:00Z',
    });
    expect(refusedLast.statusCode).toBe(400);
    const cleared = await t.request(scheduler, 'PATCH', url, {
      last_maintenance: null,
      next_due: '2025-05-01T00:00:00Z',
    });
    expect(cleared.json()).toMatchObject({ last_maintenance: null, next_due: '2025-05-01T00:00:00.000Z' });
    expect((await audits(aircraft.id)).map((r) => r.action)).toEqual(['create', 'update']);
  });

  it('refuses an empty body, read-only counters and a taken tail number', async () => {
    const taken = (await createAircraft(scheduler)).json<AircraftJson>();
    const aircraft = (await createAircraft(scheduler)).json<AircraftJson>();
    const url = `/api/v1/aircraft/${aircraft.id}`;
    expect((await t.request(scheduler, 'PATCH', url, {})).statusCode).toBe(400);
    const counters = await t.request(scheduler, 'PATCH', url, { cycles_total: 5 });
    expect(counters.json()).toMatchObject({
      details: [{ field: 'body.cycles_total', message: 'is not a known field' }],
    });
    const clash = await t.request(scheduler, 'PATCH', url, { tail_number: taken.tail_number });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ reason: 'TAIL_NUMBER_TAKEN' });
    expect(await audits(aircraft.id)).toHaveLength(1);
  });

  it('grounds by hand: a manual status, one audit row, aircraft_updated and aircraft_status_updated', async () => {
    const aircraft = (await createAircraft(scheduler)).json<AircraftJson>();
    const response = await t.request(scheduler, 'PATCH', `/api/v1/aircraft/${aircraft.id}`, {
      status: 'grounded',
    });
    expect(response.json()).toMatchObject({ status: 'grounded', status_source: 'manual' });
    expect(await audits(aircraft.id)).toHaveLength(2);
    const written = await events(aircraft.id);
    expect(written.map((e) => e.event_type).sort()).toEqual([
      'aircraft_created',
      'aircraft_status_updated',
      'aircraft_updated',
    ]);
    const statusEvent = written.find((e) => e.event_type === 'aircraft_status_updated')!;
    expect(statusEvent.payload).toMatchObject({
      version: 1,
      org_id: home.id,
      aggregate_id: aircraft.id,
      data: { status: 'grounded', previous_status: 'operational' },
    });
  });
});

describe('deleting aircraft', () => {
  it('refuses while a task is scheduled or in progress with 409 AIRCRAFT_HAS_ACTIVE_TASKS', async () => {
    for (const state of ['scheduled', 'in_progress'] as const) {
      const aircraft = await insertAircraft(t.db.db, { org_id: home.id });
      await insertTask(t.db.db, { aircraft_id: aircraft.id, state });
      const response = await t.request(scheduler, 'DELETE', `/api/v1/aircraft/${aircraft.id}`);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason: 'AIRCRAFT_HAS_ACTIVE_TASKS' });
      expect(await audits(aircraft.id)).toHaveLength(0);
    }
  });

  it('deletes an aircraft whose tasks are all finished; it then answers 404 and leaves lists', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: home.id });
    await insertTask(t.db.db, { aircraft_id: aircraft.id, state: 'completed' });
    await insertTask(t.db.db, { aircraft_id: aircraft.id, state: 'cancelled' });
    await insertTask(t.db.db, { aircraft_id: aircraft.id, deleted_at: new Date() });
    const url = `/api/v1/aircraft/${aircraft.id}`;
    expect((await t.request(scheduler, 'DELETE', url)).statusCode).toBe(204);
    expect((await t.request(scheduler, 'GET', url)).statusCode).toBe(404);
    expect((await t.request(scheduler, 'DELETE', url)).statusCode).toBe(404);
    const list = await t.request(scheduler, 'GET', `/api/v1/aircraft?q=${aircraft.tail_number}`);
    expect(list.json()).toEqual([]);
    const rows = await audits(aircraft.id);
    expect(rows.map((r) => r.action)).toEqual(['delete']);
    expect((await events(aircraft.id)).map((e) => e.event_type)).toEqual(['aircraft_deleted']);
  });
});

describe('tenant isolation', () => {
  it('answers every endpoint with 404 for another org’s aircraft, changing nothing', async () => {
    const foreign = await insertAircraft(t.db.db, { org_id: other.id });
    const url = `/api/v1/aircraft/${foreign.id}`;
    const usage = { flight_hours: 1, cycles: 1, source_ref: 'F1' };
    for (const [method, path, body] of [
      ['GET', url],
      ['PATCH', url, { model: 'B737' }],
      ['DELETE', url],
      ['POST', `${url}/usage`, usage],
      ['GET', `${url}/usage`],
    ] as const) {
      const response = await t.request(scheduler, method, path, body);
      expect(response.statusCode, `${method} ${path}`).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found', reason: 'AIRCRAFT_NOT_FOUND' });
    }
    expect(await audits(foreign.id)).toHaveLength(0);
  });

  it('lets an admin manage another org’s fleet by naming it with org_id', async () => {
    const scope = `?org_id=${other.id}`;
    const created = await createAircraft(admin, {}, scope);
    const { id } = created.json<AircraftJson>();
    expect(created.json()).toMatchObject({ org_id: other.id });
    expect(created.headers.location).toBe(`/api/v1/aircraft/${id}${scope}`);
    expect((await t.request(admin, 'GET', `/api/v1/aircraft/${id}`)).statusCode).toBe(404);
    expect((await t.request(admin, 'GET', `/api/v1/aircraft/${id}${scope}`)).statusCode).toBe(200);
    expect(
      (await t.request(admin, 'PATCH', `/api/v1/aircraft/${id}${scope}`, { model: 'A319' })).statusCode,
    ).toBe(200);
    expect((await t.request(admin, 'DELETE', `/api/v1/aircraft/${id}${scope}`)).statusCode).toBe(204);
    const [row] = await audits(id);
    expect(row).toMatchObject({ org_id: other.id, actor_org_id: home.id });
  });

  it('refuses a scheduler naming another org with 403 ORG_SCOPE_FORBIDDEN and a malformed id with 400', async () => {
    const response = await createAircraft(scheduler, {}, `?org_id=${other.id}`);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
    const malformed = await t.request(scheduler, 'GET', '/api/v1/aircraft/not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ details: [{ field: 'params.id' }] });
  });
});

describe('demo data', () => {
  it('gives Demo Airline four aircraft, created once however often it runs', async () => {
    const seed = () => seedDemoData(t.container.uow, async () => 'not-a-real-hash');
    const { orgId } = await seed();
    const fleet = await t.db.db
      .selectFrom('aircraft')
      .select(['tail_number', 'model'])
      .where('org_id', '=', orgId)
      .orderBy('tail_number')
      .execute();
    expect(fleet).toEqual([
      { tail_number: 'N101DA', model: 'A320neo' },
      { tail_number: 'N102DA', model: 'A320neo' },
      { tail_number: 'N201DA', model: 'B737-800' },
      { tail_number: 'N301DA', model: 'A321neo' },
    ]);
    expect(await seed()).toEqual({ orgId, created: 0 });
    const org = await t.container.uow.repos.organizations.findByName(DEMO_ORG_NAME);
    expect(org?.id).toBe(orgId);
  });
});
