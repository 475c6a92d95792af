import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartDefinition, insertPartItem, insertReservation, insertTask } from '../support/factories.js';
import { auditRowsOf, eventsOf, expireItem, partRowCounts } from '../support/parts.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let mechanic: string;
let admin: string;
let definitionId: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  mechanic = await t.tokenFor(await t.createUser(home.id, 'mechanic'));
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
  definitionId = (await insertPartDefinition(t.db.db, { org_id: home.id })).id;
});
afterAll(async () => {
  await t.close();
});

interface ItemJson {
  id: string;
  serial_number: string;
  status: string;
  expiry_date: string | null;
}

const HOUR = 3_600_000;
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();
const serial = () => `SN-${randomUUID().slice(0, 8)}`;
const create = (body: Record<string, unknown>, token = mechanic) =>
  t.request(token, 'POST', '/api/v1/part-items', {
    part_definition_id: definitionId,
    serial_number: serial(),
    ...body,
  });
const patch = (id: string, body: Record<string, unknown>) =>
  t.request(mechanic, 'PATCH', `/api/v1/part-items/${id}`, body);
/** An item held by an active reservation for a fresh task. */
const reservedItem = async () => {
  const item = await insertPartItem(t.db.db, { part_definition_id: definitionId });
  await insertReservation(t.db.db, {
    part_item_id: item.id,
    task_id: (await insertTask(t.db.db, { org_id: home.id })).id,
  });
  return item;
};

describe('creating part items', () => {
  it('creates an in-stock item with its expiry in UTC, a Location, one audit row and one event', async () => {
    const expiry = new Date(Date.now() + 90 * 24 * HOUR);
    const offset = expiry.toISOString().replace('Z', '+00:00');
    const response = await create({ serial_number: ' SN-TRIM-1 ', expiry_date: offset });
    expect(response.statusCode).toBe(201);
    const item = response.json<ItemJson>();
    expect(response.headers.location).toBe(`/api/v1/part-items/${item.id}`);
    expect(item).toMatchObject({
      org_id: home.id,
      part_definition_id: definitionId,
      serial_number: 'SN-TRIM-1',
      status: 'in_stock',
      expiry_date: expiry.toISOString(),
    });
    expect((await auditRowsOf(t.db.db, item.id)).map((r) => [r.entity_type, r.action])).toEqual([
      ['part_item', 'create'],
    ]);
    expect((await eventsOf(t.db.db, item.id)).map((e) => e.event_type)).toEqual(['part_item_created']);
  });

  it('answers a definition that is missing, deleted or of another org with 404 naming the field', async () => {
    const deleted = await insertPartDefinition(t.db.db, { org_id: home.id, deleted_at: new Date() });
    const foreign = await insertPartDefinition(t.db.db, { org_id: other.id });
    for (const id of [randomUUID(), deleted.id, foreign.id]) {
      const response = await create({ part_definition_id: id });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({
        reason: 'PART_DEFINITION_NOT_FOUND',
        details: [{ field: 'body.part_definition_id' }],
      });
    }
  });

  it('refuses a serial number taken in the org with 409 SERIAL_TAKEN, and frees it on deletion', async () => {
    const sn = serial();
    const first = (await create({ serial_number: sn })).json<ItemJson>();
    const clash = await create({ serial_number: sn });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({
      reason: 'SERIAL_TAKEN',
      details: [{ field: 'body.serial_number' }],
    });
    expect((await t.request(mechanic, 'DELETE', `/api/v1/part-items/${first.id}`)).statusCode).toBe(204);
    expect((await create({ serial_number: sn })).statusCode).toBe(201);
  });

  it('refuses an expiry that is not in the future with 400 EXPIRY_IN_PAST', async () => {
    const response = await create({ expiry_date: inHours(-1) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      reason: 'EXPIRY_IN_PAST',
      details: [{ field: 'body.expiry_date' }],
    });
  });

  it('refuses bad input with 400 naming the field, writing nothing', async () => {
    const before = await partRowCounts(t.db.db);
    const cases: [Record<string, unknown>, string][] = [
      [{ part_definition_id: undefined }, 'body.part_definition_id'],
      [{ part_definition_id: 'abc' }, 'body.part_definition_id'],
      [{ serial_number: 7 }, 'body.serial_number'],
      [{ serial_number: '  ' }, 'body.serial_number'],
      [{ status: 'lost' }, 'body.status'],
      [{ expiry_date: 'next tuesday' }, 'body.expiry_date'],
      [{ colour: 'red' }, 'body.colour'],
    ];
    for (const [body, field] of cases) {
      const response = await create(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
    expect(await partRowCounts(t.db.db)).toEqual(before);
  });
});

describe('changing part items', () => {
  it('changes the serial number and expiry, auditing before and after', async () => {
    const item = (await create({})).json<ItemJson>();
    const expiry = inHours(48);
    const response = await patch(item.id, { serial_number: 'SN-NEW-1', expiry_date: expiry });
    expect(response.json()).toMatchObject({ serial_number: 'SN-NEW-1', expiry_date: expiry });
    const audit = await auditRowsOf(t.db.db, item.id);
    expect(audit[1]).toMatchObject({ action: 'update' });
    expect(audit[1]!.details).toMatchObject({
      before: { serial_number: item.serial_number },
      after: { serial_number: 'SN-NEW-1' },
    });
    expect((await eventsOf(t.db.db, item.id)).map((e) => e.event_type)).toEqual([
      'part_item_created',
      'part_item_updated',
    ]);
  });

  it('refuses moving the expiry into the past, but lets an expired item be marked used or disposed', async () => {
    const item = (await create({ expiry_date: inHours(1) })).json<ItemJson>();
    expect((await patch(item.id, { expiry_date: inHours(-2) })).json()).toMatchObject({
      reason: 'EXPIRY_IN_PAST',
    });

    await expireItem(t.db.db, item.id);
    const expired = (await t.request(mechanic, 'GET', `/api/v1/part-items/${item.id}`)).json<ItemJson>();
    const used = await patch(item.id, { status: 'used', expiry_date: expired.expiry_date });
    expect(used.statusCode).toBe(200);
    expect(used.json()).toMatchObject({ status: 'used', expiry_date: expired.expiry_date });

    const other = (await create({ expiry_date: inHours(1) })).json<ItemJson>();
    await expireItem(t.db.db, other.id);
    expect((await patch(other.id, { status: 'disposed' })).json()).toMatchObject({ status: 'disposed' });
  });

  it('treats used and disposed as final with 409 ITEM_FINAL', async () => {
    for (const status of ['used', 'disposed']) {
      const item = (await create({ status })).json<ItemJson>();
      const response = await patch(item.id, { status: 'in_stock' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'ITEM_FINAL' });
    }
  });

  it('refuses disposing, marking used or deleting a reserved item with 409 ITEM_RESERVED', async () => {
    const item = await reservedItem();
    for (const status of ['used', 'disposed']) {
      expect((await patch(item.id, { status })).json()).toMatchObject({ reason: 'ITEM_RESERVED' });
    }
    const deleted = await t.request(mechanic, 'DELETE', `/api/v1/part-items/${item.id}`);
    expect(deleted.json()).toMatchObject({ reason: 'ITEM_RESERVED' });
    expect((await patch(item.id, { serial_number: `${item.serial_number}-B` })).statusCode).toBe(200);
    expect((await auditRowsOf(t.db.db, item.id)).map((r) => r.action)).toEqual(['update']);
  });

  it('refuses bad patches with 400: empty, unknown field, bad enum, bad timestamp', async () => {
    const item = (await create({})).json<ItemJson>();
    for (const body of [
      {},
      { part_definition_id: definitionId },
      { status: 'lost' },
      { expiry_date: '2030-13-01' },
    ]) {
      expect((await patch(item.id, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('deletes an item once, auditing it, and answers 404 afterwards', async () => {
    const item = (await create({})).json<ItemJson>();
    const url = `/api/v1/part-items/${item.id}`;
    expect((await t.request(mechanic, 'DELETE', url)).statusCode).toBe(204);
    expect((await t.request(mechanic, 'GET', url)).statusCode).toBe(404);
    expect((await t.request(mechanic, 'DELETE', url)).statusCode).toBe(404);
    expect((await auditRowsOf(t.db.db, item.id)).map((r) => r.action)).toEqual(['create', 'delete']);
    expect((await eventsOf(t.db.db, item.id)).map((e) => e.event_type)).toContain('part_item_deleted');
  });
});

describe('listing part items', () => {
  it('filters by status, definition, expiry_before and serial, sorts and pages', async () => {
    const db = t.db.db;
    const definition = await insertPartDefinition(db, { org_id: home.id });
    const soon = await insertPartItem(db, {
      part_definition_id: definition.id,
      serial_number: 'LST-A1',
      expiry_date: inHours(24),
    });
    const later = await insertPartItem(db, {
      part_definition_id: definition.id,
      serial_number: 'LST-B2',
      expiry_date: inHours(240),
    });
    await insertPartItem(db, { part_definition_id: definition.id, serial_number: 'LST-C3', status: 'used' });
    const list = async (query: string) =>
      (await t.request(mechanic, 'GET', `/api/v1/part-items?definition_id=${definition.id}&${query}`))
        .json<ItemJson[]>()
        .map((i) => i.serial_number);

    expect(await list('status=in_stock')).toEqual(['LST-A1', 'LST-B2']);
    expect(await list(`expiry_before=${encodeURIComponent(inHours(48))}`)).toEqual([soon.serial_number]);
    expect(await list('serial=b2')).toEqual([later.serial_number]);
    expect(await list('sort=-expiry_date')).toEqual(['LST-C3', 'LST-B2', 'LST-A1']);
    const first = await t.request(
      mechanic,
      'GET',
      `/api/v1/part-items?definition_id=${definition.id}&limit=2`,
    );
    expect(first.headers.link).toContain('offset=2');
  });

  it('refuses a bad filter with 400', async () => {
    for (const query of ['status=lost', 'definition_id=x', 'expiry_before=soon', 'sort=colour', 'serial=']) {
      expect((await t.request(mechanic, 'GET', `/api/v1/part-items?${query}`)).statusCode, query).toBe(400);
    }
  });
});

describe('tenant isolation of part items', () => {
  it('answers GET, PATCH and DELETE of another org’s item with 404, unless an admin names the org', async () => {
    const foreign = await insertPartItem(t.db.db, { org_id: other.id });
    const url = `/api/v1/part-items/${foreign.id}`;
    for (const [method, body] of [['GET'], ['PATCH', { status: 'disposed' }], ['DELETE']] as const) {
      const response = await t.request(mechanic, method, url, body);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'PART_ITEM_NOT_FOUND' });
    }
    expect((await t.request(admin, 'GET', `${url}?org_id=${other.id}`)).statusCode).toBe(200);
    const listed = await t.request(mechanic, 'GET', `/api/v1/part-items?serial=${foreign.serial_number}`);
    expect(listed.json()).toEqual([]);
  });
});
