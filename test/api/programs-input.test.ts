import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertProgram } from '../support/factories.js';

let t: TestApp;
let scheduler: string;
let programId: string;

beforeAll(async () => {
  t = await createTestApp();
  const org = await t.createOrg();
  scheduler = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
  programId = (await insertProgram(t.db.db, { org_id: org.id, name: 'Untouched' })).id;
});
afterAll(async () => {
  await t.close();
});

const url = '/api/v1/maintenance-programs';
const valid = { name: 'A-check', interval_type: 'calendar', interval_value: 120 };

/** Programs and audit rows, to show a refused request wrote nothing. */
const written = async () => {
  const count = async (table: 'maintenance_programs' | 'audit_logs') =>
    Number(
      (
        await t.db.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const untouched = await t.db.db
    .selectFrom('maintenance_programs')
    .select(['name', 'updated_at'])
    .where('id', '=', programId)
    .executeTakeFirstOrThrow();
  return { programs: await count('maintenance_programs'), audits: await count('audit_logs'), untouched };
};

type Case = [
  name: string,
  method: 'POST' | 'PATCH' | 'GET' | 'DELETE',
  path: string,
  body: unknown,
  field: string,
];

const cases: Case[] = [
  ['create without a name', 'POST', url, { interval_type: 'calendar', interval_value: 1 }, 'body.name'],
  ['create without an interval type', 'POST', url, { name: 'X', interval_value: 1 }, 'body.interval_type'],
  [
    'create with an interval of the wrong type',
    'POST',
    url,
    { ...valid, interval_value: 'ten' },
    'body.interval_value',
  ],
  ['create with an interval of 0', 'POST', url, { ...valid, interval_value: 0 }, 'body.interval_value'],
  [
    'create with a fractional interval',
    'POST',
    url,
    { ...valid, interval_value: 1.5 },
    'body.interval_value',
  ],
  [
    'create with an unknown interval type',
    'POST',
    url,
    { ...valid, interval_type: 'weekly' },
    'body.interval_type',
  ],
  [
    'create with a date-only last_performed',
    'POST',
    url,
    { ...valid, last_performed: '2025-01-01' },
    'body.last_performed',
  ],
  [
    'create with a zone-less last_performed',
    'POST',
    url,
    { ...valid, last_performed: '2025-01-01T10:00:00' },
    'body.last_performed',
  ],
  [
    'create with a malformed aircraft id',
    'POST',
    url,
    { ...valid, aircraft_id: 'N101DA' },
    'body.aircraft_id',
  ],
  [
    'create with an unknown field',
    'POST',
    url,
    { ...valid, org_id: '6c1f1a52-6f0e-4c2c-9a56-3b4f27cbd0a1' },
    'body.org_id',
  ],
  [
    'create setting the read-only counters',
    'POST',
    url,
    { ...valid, last_performed_cycles: 3 },
    'body.last_performed_cycles',
  ],
  ['change with an empty body', 'PATCH', `${url}/:id`, {}, 'body'],
  [
    'change to an unknown interval type',
    'PATCH',
    `${url}/:id`,
    { interval_type: 'yearly' },
    'body.interval_type',
  ],
  ['change to a negative interval', 'PATCH', `${url}/:id`, { interval_value: -5 }, 'body.interval_value'],
  ['change to a blank-length name', 'PATCH', `${url}/:id`, { name: '' }, 'body.name'],
  [
    'change with a bad timestamp',
    'PATCH',
    `${url}/:id`,
    { last_performed: 'last tuesday' },
    'body.last_performed',
  ],
  ['change with an unknown field', 'PATCH', `${url}/:id`, { colour: 'red' }, 'body.colour'],
  ['change a malformed id', 'PATCH', `${url}/nope`, { name: 'X' }, 'params.id'],
  ['get a malformed id', 'GET', `${url}/nope`, undefined, 'params.id'],
  ['delete a malformed id', 'DELETE', `${url}/nope`, undefined, 'params.id'],
  ['list with a non-boolean template', 'GET', `${url}?template=maybe`, undefined, 'querystring.template'],
  [
    'list with an unknown interval type',
    'GET',
    `${url}?interval_type=weekly`,
    undefined,
    'querystring.interval_type',
  ],
  [
    'list with a malformed aircraft id',
    'GET',
    `${url}?aircraft_id=abc`,
    undefined,
    'querystring.aircraft_id',
  ],
  ['list sorted by an unknown field', 'GET', `${url}?sort=tail_number`, undefined, 'querystring.sort'],
  ['list with limit 0', 'GET', `${url}?limit=0`, undefined, 'querystring.limit'],
  ['list with an unknown parameter', 'GET', `${url}?colour=red`, undefined, 'querystring.colour'],
];

describe('bad input on every program endpoint', () => {
  it.each(cases)('%s → 400 naming the field, nothing written', async (_name, method, path, body, field) => {
    const before = await written();
    const response = await t.request(scheduler, method, path.replace(':id', programId), body);
    expect(response.statusCode, response.body).toBe(400);
    const error = response.json<{ code: string; details?: { field: string }[] }>();
    expect(error.code).toBe('validation');
    expect(error.details?.map((d) => d.field) ?? ['body']).toContain(field);
    expect(await written()).toEqual(before);
  });

  it('refuses a last performance in the future on change, writing nothing', async () => {
    const before = await written();
    const response = await t.request(scheduler, 'PATCH', `${url}/${programId}`, {
      last_performed: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(response.json()).toMatchObject({ reason: 'LAST_PERFORMED_IN_FUTURE' });
    expect(await written()).toEqual(before);
  });
});
