import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartDefinition, insertPartItem, insertReservation, insertTask } from '../support/factories.js';
import { auditRowsOf, eventsOf, expireItem, partRowCounts } from '../support/parts.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let scheduler: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  scheduler = await t.tokenFor(await t.createUser(home.id, 'scheduler'));
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
});
afterAll(async () => {
  await t.close();
});

interface DefinitionJson {
  id: string;
  name: string;
  in_stock: number;
  reserved: number;
  available: number;
  below_min_stock: boolean;
}

const unique = () => randomUUID().slice(0, 8);
const create = (body: Record<string, unknown>, token = scheduler, query = '') =>
  t.request(token, 'POST', `/api/v1/part-definitions${query}`, {
    name: `Part ${unique()}`,
    category: 'engine',
    ...body,
  });

describe('creating part definitions', () => {
  it('creates a definition with empty stock, a Location, one audit row and one event', async () => {
    const response = await create({ name: 'Brake assembly', category: 'landing gear', min_stock_level: 2 });
    expect(response.statusCode).toBe(201);
    const definition = response.json<DefinitionJson>();
    expect(response.headers.location).toBe(`/api/v1/part-definitions/${definition.id}`);
    expect(definition).toMatchObject({
      org_id: home.id,
      name: 'Brake assembly',
      category: 'landing gear',
      min_stock_level: 2,
      reorder_point: null,
      lead_time_days: null,
      in_stock: 0,
      reserved: 0,
      available: 0,
      below_min_stock: true,
    });
    const audit = await auditRowsOf(t.db.db, definition.id);
    expect(audit.map((row) => [row.entity_type, row.action])).toEqual([['part_definition', 'create']]);
    const events = await eventsOf(t.db.db, definition.id);
    expect(events.map((e) => e.event_type)).toEqual(['part_definition_created']);
    expect(events[0]!.payload).toMatchObject({
      version: 1,
      org_id: home.id,
      data: { name: 'Brake assembly' },
    });
  });

  it('refuses a name taken in the org with 409 PART_NAME_TAKEN, allows it elsewhere and after deletion', async () => {
    const name = `Oil filter ${unique()}`;
    const first = (await create({ name })).json<DefinitionJson>();
    const clash = await create({ name: ` ${name} ` });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ reason: 'PART_NAME_TAKEN', details: [{ field: 'body.name' }] });
    expect((await create({ name }, admin, `?org_id=${other.id}`)).statusCode).toBe(201);

    expect((await t.request(scheduler, 'DELETE', `/api/v1/part-definitions/${first.id}`)).statusCode).toBe(
      204,
    );
    expect((await create({ name })).statusCode).toBe(201);
  });

  it('refuses bad input with 400 naming the field, writing nothing', async () => {
    const before = await partRowCounts(t.db.db);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: undefined }, 'body.name'],
      [{ category: 42 }, 'body.category'],
      [{ min_stock_level: -1 }, 'body.min_stock_level'],
      [{ lead_time_days: 'soon' }, 'body.lead_time_days'],
      [{ reorder_point: 1.5 }, 'body.reorder_point'],
      [{ name: '   ' }, 'body.name'],
      [{ org_id: other.id }, 'body.org_id'],
    ];
    for (const [body, field] of cases) {
      const response = await create(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation' });
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
    expect(await partRowCounts(t.db.db)).toEqual(before);
  });
});

describe('stock counted from items', () => {
  it('counts live, in-stock, unexpired items; reserved ones are not available', async () => {
    const db = t.db.db;
    const definition = await insertPartDefinition(db, { org_id: home.id, min_stock_level: 3 });
    const items = [];
    for (let i = 0; i < 4; i += 1)
      items.push(await insertPartItem(db, { part_definition_id: definition.id }));
    await insertReservation(db, {
      part_item_id: items[0]!.id,
      task_id: (await insertTask(db, { org_id: home.id })).id,
    });
    await insertPartItem(db, { part_definition_id: definition.id, status: 'used' });
    await insertPartItem(db, { part_definition_id: definition.id, deleted_at: new Date() });
    const expired = await insertPartItem(db, { part_definition_id: definition.id });
    await expireItem(db, expired.id);

    const response = await t.request(scheduler, 'GET', `/api/v1/part-definitions/${definition.id}`);
    expect(response.json()).toMatchObject({ in_stock: 4, reserved: 1, available: 3, below_min_stock: false });
    await insertReservation(db, {
      part_item_id: items[1]!.id,
      task_id: (await insertTask(db, { org_id: home.id })).id,
    });
    const listed = await t.request(
      scheduler,
      'GET',
      `/api/v1/part-definitions?name=${encodeURIComponent(definition.name)}`,
    );
    expect(listed.json()).toEqual([
      expect.objectContaining({
        id: definition.id,
        in_stock: 4,
        reserved: 2,
        available: 2,
        below_min_stock: true,
      }),
    ]);
  });

  it('filters the list by below_min_stock, category and name, sorts and pages', async () => {
    const org = await t.createOrg();
    const db = t.db.db;
    const low = await insertPartDefinition(db, {
      org_id: org.id,
      name: 'Alpha seal',
      category: 'hydraulics',
      min_stock_level: 1,
    });
    const fine = await insertPartDefinition(db, {
      org_id: org.id,
      name: 'Beta seal',
      category: 'hydraulics',
      min_stock_level: 1,
    });
    await insertPartItem(db, { part_definition_id: fine.id });
    await insertPartDefinition(db, { org_id: org.id, name: 'Gamma bolt', category: 'airframe' });
    const list = async (query: string) =>
      (await t.request(admin, 'GET', `/api/v1/part-definitions?org_id=${org.id}&${query}`))
        .json<DefinitionJson[]>()
        .map((d) => d.name);

    expect(await list('below_min_stock=true')).toEqual([low.name]);
    expect(await list('below_min_stock=false')).toEqual(['Beta seal', 'Gamma bolt']);
    expect(await list('category=hydraulics&sort=-name')).toEqual(['Beta seal', 'Alpha seal']);
    expect(await list('name=SEAL&limit=1')).toEqual(['Alpha seal']);
    const first = await t.request(admin, 'GET', `/api/v1/part-definitions?org_id=${org.id}&limit=2`);
    expect(first.headers.link).toContain('offset=2');
  });

  it('refuses an unknown sort field or a bad filter with 400', async () => {
    for (const query of ['sort=price', 'below_min_stock=maybe', 'limit=0', 'colour=red']) {
      expect((await t.request(scheduler, 'GET', `/api/v1/part-definitions?${query}`)).statusCode, query).toBe(
        400,
      );
    }
  });
});

describe('changing and deleting part definitions', () => {
  it('changes fields, clears a setting with null, and audits before and after', async () => {
    const definition = (await create({ min_stock_level: 5, lead_time_days: 10 })).json<DefinitionJson>();
    const response = await t.request(scheduler, 'PATCH', `/api/v1/part-definitions/${definition.id}`, {
      category: 'airframe',
      min_stock_level: null,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      category: 'airframe',
      min_stock_level: null,
      lead_time_days: 10,
      below_min_stock: false,
    });
    const audit = await auditRowsOf(t.db.db, definition.id);
    expect(audit.map((row) => row.action)).toEqual(['create', 'update']);
    expect(audit[1]!.details).toMatchObject({
      before: { min_stock_level: 5 },
      after: { min_stock_level: null },
    });
    const events = await eventsOf(t.db.db, definition.id);
    expect(events.map((e) => e.event_type)).toEqual(['part_definition_created', 'part_definition_updated']);
  });

  it('refuses a rename to a taken name, an empty patch and an unknown field', async () => {
    const taken = (await create({})).json<DefinitionJson>();
    const definition = (await create({})).json<DefinitionJson>();
    const url = `/api/v1/part-definitions/${definition.id}`;
    expect((await t.request(scheduler, 'PATCH', url, { name: taken.name })).json()).toMatchObject({
      reason: 'PART_NAME_TAKEN',
    });
    expect((await t.request(scheduler, 'PATCH', url, {})).statusCode).toBe(400);
    expect((await t.request(scheduler, 'PATCH', url, { stock: 3 })).statusCode).toBe(400);
    expect((await t.request(scheduler, 'PATCH', url, { lead_time_days: -2 })).statusCode).toBe(400);
    expect((await auditRowsOf(t.db.db, definition.id)).map((r) => r.action)).toEqual(['create']);
  });

  it('refuses to delete a definition with live items with 409 PART_DEFINITION_IN_USE', async () => {
    const definition = (await create({})).json<DefinitionJson>();
    const item = await insertPartItem(t.db.db, { part_definition_id: definition.id, status: 'used' });
    const url = `/api/v1/part-definitions/${definition.id}`;
    const refused = await t.request(scheduler, 'DELETE', url);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ reason: 'PART_DEFINITION_IN_USE' });

    expect((await t.request(scheduler, 'DELETE', `/api/v1/part-items/${item.id}`)).statusCode).toBe(204);
    expect((await t.request(scheduler, 'DELETE', url)).statusCode).toBe(204);
    expect((await t.request(scheduler, 'GET', url)).statusCode).toBe(404);
    expect((await t.request(scheduler, 'DELETE', url)).statusCode).toBe(404);
    expect((await auditRowsOf(t.db.db, definition.id)).map((r) => r.action)).toEqual(['create', 'delete']);
    expect((await eventsOf(t.db.db, definition.id)).map((e) => e.event_type)).toContain(
      'part_definition_deleted',
    );
  });
});

describe('tenant isolation of part definitions', () => {
  it('answers GET, PATCH and DELETE of another org’s definition with 404, unless an admin names the org', async () => {
    const foreign = await insertPartDefinition(t.db.db, { org_id: other.id });
    const url = `/api/v1/part-definitions/${foreign.id}`;
    for (const [method, body] of [['GET'], ['PATCH', { category: 'x' }], ['DELETE']] as const) {
      const response = await t.request(scheduler, method, url, body);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'PART_DEFINITION_NOT_FOUND' });
    }
    expect((await t.request(admin, 'GET', `${url}?org_id=${other.id}`)).statusCode).toBe(200);
    const listed = await t.request(
      scheduler,
      'GET',
      `/api/v1/part-definitions?name=${encodeURIComponent(foreign.name)}`,
    );
    expect(listed.json()).toEqual([]);
  });

  it('answers a malformed id with 400', async () => {
    expect((await t.request(scheduler, 'GET', '/api/v1/part-definitions/not-a-uuid')).statusCode).toBe(400);
  });
});
