import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId, insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
import { insertAircraft, insertAircraftUsage } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const db = () => t.db.db;
const DAY = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);
type Row = { tail_number: string; projected_due_date: string | null; reference_number: string };
type Matrix = {
  directives: { id: string; reference_number: string }[];
  aircraft: { tail_number: string; cells: unknown[] }[];
  next_cursor: string | null;
};
const get = (url: string) => t.request(home.tokens.auditor, 'GET', `/api/v1${url}`);

/** An A20N aircraft of `home` (1000 h) with `hoursFlown` flown over the last 90 days. */
async function plane(tail: string, hoursFlown = 0) {
  const aircraft = await insertAircraft(db(), {
    org_id: home.org.id,
    tail_number: tail,
    aircraft_type_id: await aircraftTypeId(db(), 'A20N'),
    flight_hours_total: 1000,
    cycles_total: 400,
  });
  if (hoursFlown > 0) {
    await insertAircraftUsage(db(), {
      aircraft_id: aircraft.id,
      flight_hours: hoursFlown,
      cycles: 0,
      recorded_at: new Date(Date.now() - DAY),
    });
  }
  return aircraft;
}

describe('an aircraft’s compliance status', () => {
  it('lists each tracked directive with due, effective due, projection from utilisation and last compliance', async () => {
    const aircraft = await plane('VW-100', 30);
    const byHours = await insertDirective(db(), { org_id: home.org.id, reference_number: 'H-1' });
    const byDate = await insertDirective(db(), { org_id: home.org.id, reference_number: 'D-1' });
    await insertAircraftDirective(db(), {
      org_id: home.org.id,
      aircraft_id: aircraft.id,
      directive_id: byHours.id,
      next_due_date: null,
      next_due_flight_hours: 1010,
    });
    await insertAircraftDirective(db(), {
      org_id: home.org.id,
      aircraft_id: aircraft.id,
      directive_id: byDate.id,
      next_due_date: inDays(40),
    });
    const response = await get(`/aircraft/${aircraft.id}/compliance-status`);
    expect(response.statusCode, response.body).toBe(200);
    // 10 hours to go at 30 h over 90 days: 30 days away as the due list and the domain count it
    // (float8, not numeric arithmetic, which says 31), before the date limit 40 days away.
    expect(response.json()).toMatchObject([
      {
        reference_number: 'H-1',
        authority_code: 'FAA',
        directive_type: 'ad',
        status: 'pending',
        tail_number: 'VW-100',
        next_due: { date: null, flight_hours: 1010 },
        effective_due: { flight_hours: 1010 },
        projected_due_date: inDays(30),
        last_compliance: null,
      },
      { reference_number: 'D-1', projected_due_date: inDays(40) },
    ]);
  });

  it('projects a reached usage limit to today and one of an aircraft that does not fly to never', async () => {
    const idle = await plane('VW-101');
    const reached = await insertDirective(db(), { org_id: home.org.id, reference_number: 'R-1' });
    const never = await insertDirective(db(), { org_id: home.org.id, reference_number: 'N-1' });
    for (const [directive, hours] of [
      [reached, 900],
      [never, 5000],
    ] as const) {
      await insertAircraftDirective(db(), {
        org_id: home.org.id,
        aircraft_id: idle.id,
        directive_id: directive.id,
        next_due_date: null,
        next_due_flight_hours: hours,
      });
    }
    const rows = (await get(`/aircraft/${idle.id}/compliance-status?sort=reference_number`)).json<Row[]>();
    expect(rows.map((r) => r.projected_due_date)).toEqual([null, today()]);
  });
});

describe('a directive’s aircraft', () => {
  it('lists every tracked aircraft, filters by status and sorts by tail, next due or projection', async () => {
    const directive = await insertDirective(db(), { org_id: home.org.id });
    const tails = ['VW-303', 'VW-301', 'VW-302'];
    const dues = [inDays(5), inDays(50), null];
    for (const [i, tail] of tails.entries()) {
      const aircraft = await plane(tail);
      await insertAircraftDirective(db(), {
        org_id: home.org.id,
        aircraft_id: aircraft.id,
        directive_id: directive.id,
        next_due_date: dues[i]!,
        ...(i === 2 ? { status: 'not_applicable', status_reason: 'Not fitted' } : {}),
      });
    }
    const tailsOf = async (query: string) =>
      (await get(`/directives/${directive.id}/aircraft${query}`)).json<Row[]>().map((r) => r.tail_number);
    expect(await tailsOf('')).toEqual(['VW-301', 'VW-302', 'VW-303']);
    expect(await tailsOf('?sort=next_due_date')).toEqual(['VW-303', 'VW-301', 'VW-302']);
    expect(await tailsOf('?sort=-projected_due_date')).toEqual(['VW-302', 'VW-301', 'VW-303']);
    expect(await tailsOf('?status=not_applicable')).toEqual(['VW-302']);
    const first = await get(`/directives/${directive.id}/aircraft?limit=2&cursor=`);
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))![1]!;
    const second = await t.request(home.tokens.auditor, 'GET', next);
    expect(second.json<Row[]>().map((r) => r.tail_number)).toEqual(['VW-303']);
  });
});

describe('the compliance matrix', () => {
  it('draws aircraft × directive cells, the columns the same on every page, paginated by aircraft', async () => {
    const matrixOrg = await createTenant(t);
    const org_id = matrixOrg.org.id;
    const type = await aircraftTypeId(db(), 'A20N');
    const easa = await authorityId(db(), 'EASA');
    const faaAd = await insertDirective(db(), { org_id, reference_number: '2025-0001' });
    const easaAd = await insertDirective(db(), { org_id, reference_number: '2025-0002', authority_id: easa });
    for (const tail of ['MX-3', 'MX-1', 'MX-2']) {
      const aircraft = await insertAircraft(db(), { org_id, tail_number: tail, aircraft_type_id: type });
      await insertAircraftDirective(db(), { org_id, aircraft_id: aircraft.id, directive_id: faaAd.id });
      if (tail !== 'MX-2') {
        await insertAircraftDirective(db(), {
          org_id,
          aircraft_id: aircraft.id,
          directive_id: easaAd.id,
          status: 'overdue',
        });
      }
    }
    const matrix = (query: string) =>
      t.request(matrixOrg.tokens.scheduler, 'GET', `/api/v1/compliance-matrix${query}`);
    const first = await matrix('?limit=2');
    expect(first.statusCode, first.body).toBe(200);
    const body = first.json<Matrix>();
    expect(body.directives.map((d) => d.reference_number)).toEqual(['2025-0002', '2025-0001']);
    expect(body.aircraft.map((a) => a.tail_number)).toEqual(['MX-1', 'MX-2']);
    expect(body.aircraft[0]!.cells).toEqual([
      { directive_id: easaAd.id, status: 'overdue', next_due_date: '2025-01-31' },
      { directive_id: faaAd.id, status: 'pending', next_due_date: '2025-01-31' },
    ]);
    const second = await matrix(`?limit=2&cursor=${body.next_cursor}`);
    expect(second.json<Matrix>().aircraft.map((a) => a.tail_number)).toEqual(['MX-3']);
    expect(second.json<Matrix>()).toMatchObject({ directives: body.directives, next_cursor: null });
    const overdue = (await matrix('?status=overdue')).json<Matrix>();
    expect(overdue.directives.map((d) => d.id)).toEqual([easaAd.id]);
    expect(overdue.aircraft.map((a) => a.tail_number)).toEqual(['MX-1', 'MX-3']);
    const faa = (await matrix(`?authority_id=${faaAd.authority_id}`)).json<Matrix>();
    expect(faa.directives.map((d) => d.id)).toEqual([faaAd.id]);
  });
});
