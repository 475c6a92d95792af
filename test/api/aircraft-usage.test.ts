import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAircraft, insertAircraftUsage } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let orgId: string;
let mechanic: string;
let mechanicId: string;

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  const m = await t.createUser(orgId, 'mechanic');
  mechanicId = m.id;
  mechanic = await t.tokenFor(m);
});
afterAll(async () => {
  await t.close();
});

interface Outcome {
  recorded: number;
  duplicates: number;
  flight_hours_total: number;
  cycles_total: number;
}

const newAircraft = () => insertAircraft(t.db.db, { org_id: orgId });
const flight = (ref: string, flight_hours = 1.5, cycles = 1) => ({ flight_hours, cycles, source_ref: ref });
const post = (aircraftId: string, body: unknown, token = mechanic) =>
  t.request(token, 'POST', `/api/v1/aircraft/${aircraftId}/usage`, body);
const totals = async (aircraftId: string) => {
  const row = await t.db.db
    .selectFrom('aircraft')
    .select(['flight_hours_total', 'cycles_total'])
    .where('id', '=', aircraftId)
    .executeTakeFirstOrThrow();
  return { hours: Number(row.flight_hours_total), cycles: row.cycles_total };
};
const usageRows = (aircraftId: string) =>
  t.db.db.selectFrom('aircraft_usage').selectAll().where('aircraft_id', '=', aircraftId).execute();
const audits = (aircraftId: string) =>
  t.db.db.selectFrom('audit_logs').selectAll().where('entity_id', '=', aircraftId).execute();
const events = (aircraftId: string) =>
  t.db.db.selectFrom('outbox_events').selectAll().where('aggregate_id', '=', aircraftId).execute();

describe('recording flights', () => {
  it('records one flight (201) and moves the counters forward by it', async () => {
    const aircraft = await newAircraft();
    const response = await post(aircraft.id, {
      ...flight('DA101-0601', 2.25, 1),
      recorded_at: '2025-06-01T10:00:00Z',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({
      recorded: 1,
      duplicates: 0,
      flight_hours_total: 2.25,
      cycles_total: 1,
    });
    const got = await t.request(mechanic, 'GET', `/api/v1/aircraft/${aircraft.id}`);
    expect(got.json()).toMatchObject({ flight_hours_total: 2.25, cycles_total: 1 });
    const [row] = await usageRows(aircraft.id);
    expect(row).toMatchObject({ source_ref: 'DA101-0601', created_by: mechanicId, created_by_org_id: orgId });
    expect(row!.recorded_at.toISOString()).toBe('2025-06-01T10:00:00.000Z');
  });

  it('counts a re-sent flight once, in a later request or within the same batch (the first one wins)', async () => {
    const aircraft = await newAircraft();
    expect((await post(aircraft.id, [flight('A', 1), flight('B', 2)])).json()).toMatchObject({ recorded: 2 });
    const again = await post(aircraft.id, [
      flight('B', 99),
      flight('C', 3),
      flight('C', 50),
      flight('D', 0.5, 2),
    ]);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual({ recorded: 2, duplicates: 2, flight_hours_total: 6.5, cycles_total: 5 });
    expect(await totals(aircraft.id)).toEqual({ hours: 6.5, cycles: 5 });
    expect((await usageRows(aircraft.id)).map((r) => Number(r.flight_hours)).sort()).toEqual([0.5, 1, 2, 3]);
  });

  it('answers 200 with nothing recorded when every flight is known, and emits no event for it', async () => {
    const aircraft = await newAircraft();
    await post(aircraft.id, [flight('A'), flight('B')]);
    const replay = await post(aircraft.id, [flight('B'), flight('A')]);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ recorded: 0, duplicates: 2, flight_hours_total: 3, cycles_total: 2 });
    expect((await events(aircraft.id)).map((e) => e.event_type)).toEqual(['aircraft_usage_recorded']);
  });

  it('audits each request once on the aircraft, with the totals before and after and the counts', async () => {
    const aircraft = await newAircraft();
    await post(aircraft.id, [flight('A', 1.25, 1), flight('B', 0.75, 2)]);
    const [row] = await audits(aircraft.id);
    expect(row).toMatchObject({ entity_type: 'aircraft', action: 'update', user_id: mechanicId });
    expect(row!.details).toMatchObject({
      before: { flight_hours_total: 0, cycles_total: 0 },
      after: { flight_hours_total: 2, cycles_total: 3 },
      usage: { recorded: 2, duplicates: 0, flight_hours_added: 2, cycles_added: 3 },
    });
    const [event] = await events(aircraft.id);
    expect(event!.event_type).toBe('aircraft_usage_recorded');
    expect(event!.payload).toMatchObject({
      version: 1,
      org_id: orgId,
      aggregate_id: aircraft.id,
      data: { flight_hours_total: 2, usage: { recorded: 2 } },
    });
  });

  it('counts the same batch posted five times in parallel exactly once', async () => {
    const aircraft = await newAircraft();
    const batch = [flight('P1', 1.1, 1), flight('P2', 2.2, 1), flight('P3', 3.3, 2)];
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(aircraft.id, batch)));
    expect(responses.map((r) => r.statusCode).filter((s) => s >= 300)).toEqual([]);
    const outcomes = responses.map((r) => r.json<Outcome>());
    expect(outcomes.reduce((sum, o) => sum + o.recorded, 0)).toBe(3);
    expect(outcomes.reduce((sum, o) => sum + o.duplicates, 0)).toBe(12);
    expect(await totals(aircraft.id)).toEqual({ hours: 6.6, cycles: 4 });
    expect(await usageRows(aircraft.id)).toHaveLength(3);
    expect(await events(aircraft.id)).toHaveLength(1);
  });

  it('takes a batch of 500 in one request', async () => {
    const aircraft = await newAircraft();
    const batch = Array.from({ length: 500 }, (_, i) => flight(`F${i}`, 0.1, 1));
    const response = await post(aircraft.id, batch);
    expect(response.json()).toEqual({
      recorded: 500,
      duplicates: 0,
      flight_hours_total: 50,
      cycles_total: 500,
    });
  });

  it('refuses a deleted aircraft with 404', async () => {
    const aircraft = await insertAircraft(t.db.db, { org_id: orgId, deleted_at: new Date() });
    const response = await post(aircraft.id, flight('X'));
    expect(response.statusCode).toBe(404);
    expect(await usageRows(aircraft.id)).toHaveLength(0);
  });
});

describe('bad usage input', () => {
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const cases: [string, unknown, string, string][] = [
    ['negative flight hours', flight('X', -1), 'body.flight_hours', 'VALIDATION_FAILED'],
    ['negative cycles', flight('X', 1, -1), 'body.cycles', 'VALIDATION_FAILED'],
    ['fractional cycles', flight('X', 1, 1.5), 'body.cycles', 'VALIDATION_FAILED'],
    [
      'flight hours as a string',
      { ...flight('X'), flight_hours: '1.5' },
      'body.flight_hours',
      'VALIDATION_FAILED',
    ],
    ['three decimals of flight hours', flight('X', 1.255), 'body.flight_hours', 'FLIGHT_HOURS_PRECISION'],
    [
      'a flight in the future',
      { ...flight('X'), recorded_at: future },
      'body.recorded_at',
      'RECORDED_AT_IN_FUTURE',
    ],
    [
      'a malformed recorded_at',
      { ...flight('X'), recorded_at: 'yesterday' },
      'body.recorded_at',
      'VALIDATION_FAILED',
    ],
    ['a missing source_ref', { flight_hours: 1, cycles: 1 }, 'body.source_ref', 'VALIDATION_FAILED'],
    ['a blank source_ref', flight('   '), 'body.source_ref', 'VALIDATION_FAILED'],
    ['an unknown field', { ...flight('X'), tail_number: 'N1' }, 'body.tail_number', 'VALIDATION_FAILED'],
    [
      'a bad record inside an array',
      [flight('X'), flight('Y', 1.001)],
      'body.1.flight_hours',
      'FLIGHT_HOURS_PRECISION',
    ],
    [
      'a wrong type inside an array',
      [flight('X'), { ...flight('Y'), cycles: 'one' }],
      'body.1.cycles',
      'VALIDATION_FAILED',
    ],
    ['an empty array', [], 'body', 'VALIDATION_FAILED'],
    [
      'more than 500 records',
      Array.from({ length: 501 }, (_, i) => flight(`F${i}`)),
      'body',
      'VALIDATION_FAILED',
    ],
  ];

  it.each(cases)(
    'refuses %s with 400 naming the field, recording nothing',
    async (_label, body, field, reason) => {
      const aircraft = await newAircraft();
      const response = await post(aircraft.id, body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation', reason });
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
      expect(await usageRows(aircraft.id)).toHaveLength(0);
      expect(await totals(aircraft.id)).toEqual({ hours: 0, cycles: 0 });
      expect(await audits(aircraft.id)).toHaveLength(0);
    },
  );
});

describe('listing flights', () => {
  it('lists latest first, filters recorded_at to [from, to) and pages with a Link header', async () => {
    const aircraft = await newAircraft();
    for (const day of ['01', '02', '03', '04']) {
      await insertAircraftUsage(t.db.db, {
        aircraft_id: aircraft.id,
        source_ref: `D${day}`,
        recorded_at: new Date(`2025-05-${day}T12:00:00Z`),
      });
    }
    await insertAircraftUsage(t.db.db, { org_id: orgId });
    const url = `/api/v1/aircraft/${aircraft.id}/usage?from=2025-05-02T12:00:00Z&to=2025-05-04T12:00:00Z`;
    const first = await t.request(mechanic, 'GET', `${url}&limit=1`);
    expect(first.json<{ source_ref: string }[]>().map((u) => u.source_ref)).toEqual(['D03']);
    const next = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
    const second = await t.request(mechanic, 'GET', next!);
    expect(second.json<{ source_ref: string }[]>().map((u) => u.source_ref)).toEqual(['D02']);
    expect(second.headers.link).toBeUndefined();
    const ascending = await t.request(
      mechanic,
      'GET',
      `/api/v1/aircraft/${aircraft.id}/usage?sort=recorded_at`,
    );
    expect(ascending.json<{ source_ref: string }[]>().map((u) => u.source_ref)).toEqual([
      'D01',
      'D02',
      'D03',
      'D04',
    ]);
    expect(ascending.json<object[]>()[0]).toMatchObject({
      aircraft_id: aircraft.id,
      flight_hours: 1,
      cycles: 1,
    });
  });

  it.each([
    ['to not after from', 'from=2025-05-02T00:00:00Z&to=2025-05-02T00:00:00Z', 'INVALID_TIME_RANGE'],
    ['a malformed from', 'from=last-week', 'VALIDATION_FAILED'],
    ['an unknown sort field', 'sort=cycles', 'VALIDATION_FAILED'],
  ])('refuses %s with 400', async (_label, query, reason) => {
    const aircraft = await newAircraft();
    const response = await t.request(mechanic, 'GET', `/api/v1/aircraft/${aircraft.id}/usage?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation', reason });
  });
});
