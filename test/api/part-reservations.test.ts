import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartItem, insertReservation, insertTask } from '../support/factories.js';
import { auditRowsOf, eventsOf, expireItem, partRowCounts } from '../support/parts.js';

let t: TestApp;
let home: { id: string };
let other: { id: string };
let scheduler: string;
let mechanic: string;
let mechanicId: string;
let otherMechanic: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  home = await t.createOrg();
  other = await t.createOrg();
  scheduler = await t.tokenFor(await t.createUser(home.id, 'scheduler'));
  const assigned = await t.createUser(home.id, 'mechanic');
  mechanicId = assigned.id;
  mechanic = await t.tokenFor(assigned);
  otherMechanic = await t.tokenFor(await t.createUser(home.id, 'mechanic'));
  admin = await t.tokenFor(await t.createUser(home.id, 'admin'));
});
afterAll(async () => {
  await t.close();
});

interface ReservationJson {
  id: string;
  task_id: string;
  part_item_id: string;
  state: string;
  quantity: number;
}

const task = (overrides: Parameters<typeof insertTask>[1] = {}) =>
  insertTask(t.db.db, { org_id: home.id, assigned_mechanic_id: mechanicId, ...overrides });
const item = (overrides: Parameters<typeof insertPartItem>[1] = {}) =>
  insertPartItem(t.db.db, { org_id: home.id, ...overrides });
const reserve = (body: Record<string, unknown>, token = mechanic, app = t) =>
  app.request(token, 'POST', '/api/v1/part-reservations', body);
const transition = (id: string, newState: string, token = mechanic) =>
  t.request(token, 'PATCH', `/api/v1/part-reservations/${id}/state`, { new_state: newState });
const itemStatus = async (id: string) =>
  (await t.db.db.selectFrom('part_items').select('status').where('id', '=', id).executeTakeFirstOrThrow())
    .status;
const reservedEvents = (itemId: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .select('id')
    .where('event_type', '=', 'part_reserved')
    .where(sql<boolean>`payload -> 'data' ->> 'part_item_id' = ${itemId}`)
    .execute();

describe('reserving a part item', () => {
  it('reserves an in-stock item for a scheduled task: 201, Location, one audit row, one part_reserved', async () => {
    const [tk, it1] = [await task(), await item()];
    const response = await reserve({ task_id: tk.id, part_item_id: it1.id });
    expect(response.statusCode).toBe(201);
    const reservation = response.json<ReservationJson>();
    expect(response.headers.location).toBe(`/api/v1/part-reservations/${reservation.id}`);
    expect(reservation).toMatchObject({
      org_id: home.id,
      task_id: tk.id,
      part_item_id: it1.id,
      state: 'reserved',
      quantity: 1,
    });
    expect((await auditRowsOf(t.db.db, reservation.id)).map((r) => [r.entity_type, r.action])).toEqual([
      ['part_reservation', 'create'],
    ]);
    const events = await eventsOf(t.db.db, reservation.id);
    expect(events.map((e) => [e.event_type, e.dedupe_key])).toEqual([
      ['part_reserved', `part_reserved:${home.id}:${reservation.id}`],
    ]);
    expect(await itemStatus(it1.id)).toBe('in_stock');
  });

  it('reserves for an in-progress task too', async () => {
    const response = await reserve({
      task_id: (await task({ state: 'in_progress' })).id,
      part_item_id: (await item()).id,
    });
    expect(response.statusCode).toBe(201);
  });

  it('gives exactly one of ten parallel reservations of one item; the rest get 409 PART_NOT_AVAILABLE', async () => {
    const target = await item();
    const tasks = await Promise.all(Array.from({ length: 10 }, () => task()));
    const responses = await Promise.all(
      tasks.map((tk) => reserve({ task_id: tk.id, part_item_id: target.id })),
    );
    const codes = responses.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, ...Array<number>(9).fill(409)]);
    for (const refused of responses.filter((r) => r.statusCode === 409)) {
      expect(refused.json()).toMatchObject({ reason: 'PART_NOT_AVAILABLE' });
    }
    expect(await reservedEvents(target.id)).toHaveLength(1);
  });

  it('replays a reservation retried with the same Idempotency-Key instead of reserving again', async () => {
    const body = { task_id: (await task()).id, part_item_id: (await item()).id };
    const headers = { 'idempotency-key': `reserve-${randomUUID()}` };
    const first = await t.request(mechanic, 'POST', '/api/v1/part-reservations', body, headers);
    const again = await t.request(mechanic, 'POST', '/api/v1/part-reservations', body, headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await eventsOf(t.db.db, first.json<ReservationJson>().id)).toHaveLength(1);
  });

  it('refuses an item that is already reserved, used or disposed with 409 PART_NOT_AVAILABLE', async () => {
    const reserved = await item();
    await insertReservation(t.db.db, { part_item_id: reserved.id, task_id: (await task()).id });
    for (const target of [reserved, await item({ status: 'used' }), await item({ status: 'disposed' })]) {
      const response = await reserve({ task_id: (await task()).id, part_item_id: target.id });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'PART_NOT_AVAILABLE' });
    }
  });

  it('refuses an expired item with 409 PART_EXPIRED', async () => {
    const expired = await item({ expiry_date: new Date(Date.now() + 3_600_000) });
    await expireItem(t.db.db, expired.id);
    const response = await reserve({ task_id: (await task()).id, part_item_id: expired.id });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'PART_EXPIRED' });
  });

  it('refuses a completed or cancelled task with 409 TASK_NOT_OPEN', async () => {
    for (const state of ['completed', 'cancelled'] as const) {
      const response = await reserve({
        task_id: (await task({ state })).id,
        part_item_id: (await item()).id,
      });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'TASK_NOT_OPEN' });
    }
  });

  it('answers a task or item that is missing, deleted or of another org with 404 naming the field', async () => {
    const openTask = (await task()).id;
    const freeItem = (await item()).id;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ task_id: randomUUID(), part_item_id: freeItem }, 'body.task_id', 'TASK_NOT_FOUND'],
      [
        { task_id: (await task({ deleted_at: new Date() })).id, part_item_id: freeItem },
        'body.task_id',
        'TASK_NOT_FOUND',
      ],
      [
        { task_id: (await insertTask(t.db.db, { org_id: other.id })).id, part_item_id: freeItem },
        'body.task_id',
        'TASK_NOT_FOUND',
      ],
      [
        { task_id: openTask, part_item_id: (await insertPartItem(t.db.db, { org_id: other.id })).id },
        'body.part_item_id',
        'PART_ITEM_NOT_FOUND',
      ],
      [
        { task_id: openTask, part_item_id: (await item({ deleted_at: new Date() })).id },
        'body.part_item_id',
        'PART_ITEM_NOT_FOUND',
      ],
    ];
    const before = await partRowCounts(t.db.db);
    for (const [body, field, reason] of cases) {
      const response = await reserve(body);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason, details: [{ field }] });
    }
    expect(await partRowCounts(t.db.db)).toEqual(before);
  });

  it('refuses bad input with 400 naming the field, writing nothing', async () => {
    const ids = { task_id: (await task()).id, part_item_id: (await item()).id };
    const before = await partRowCounts(t.db.db);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...ids, task_id: undefined }, 'body.task_id'],
      [{ ...ids, part_item_id: 'item-7' }, 'body.part_item_id'],
      [{ ...ids, quantity: 2 }, 'body.quantity'],
      [{ ...ids, quantity: 'one' }, 'body.quantity'],
      [{ ...ids, state: 'used' }, 'body.state'],
    ];
    for (const [body, field] of cases) {
      const response = await reserve(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toContain(field);
    }
    expect(await partRowCounts(t.db.db)).toEqual(before);
  });
});

describe('using and releasing reservations', () => {
  const reserveNew = async (taskOverrides: Parameters<typeof insertTask>[1] = {}) => {
    const target = await item();
    const response = await reserve(
      { task_id: (await task(taskOverrides)).id, part_item_id: target.id },
      scheduler,
    );
    return { itemId: target.id, reservation: response.json<ReservationJson>() };
  };

  it('marks the item used with the reservation, in one transaction, auditing both and emitting part_used', async () => {
    const { itemId, reservation } = await reserveNew();
    const response = await transition(reservation.id, 'used');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ state: 'used' });
    expect(await itemStatus(itemId)).toBe('used');
    const audits = [...(await auditRowsOf(t.db.db, reservation.id)), ...(await auditRowsOf(t.db.db, itemId))];
    expect(audits.filter((r) => r.action !== 'create').map((r) => [r.entity_type, r.action])).toEqual([
      ['part_reservation', 'state_change'],
      ['part_item', 'update'],
    ]);
    expect(new Set(audits.filter((r) => r.action !== 'create').map((r) => r.request_id)).size).toBe(1);
    const events = await eventsOf(t.db.db, reservation.id);
    expect(events.map((e) => e.event_type)).toEqual(['part_reserved', 'part_used']);
    expect(events[1]!.payload).toMatchObject({ data: { state: 'used', part_item: { status: 'used' } } });
  });

  it('lets a scheduler or an admin mark parts used, but not a mechanic who is not assigned', async () => {
    const refused = await transition((await reserveNew()).reservation.id, 'used', otherMechanic);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden', reason: 'NOT_ASSIGNED_MECHANIC' });
    const unassigned = await transition(
      (await reserveNew({ assigned_mechanic_id: null })).reservation.id,
      'used',
    );
    expect(unassigned.json()).toMatchObject({ reason: 'NOT_ASSIGNED_MECHANIC' });
    expect((await transition((await reserveNew()).reservation.id, 'used', scheduler)).statusCode).toBe(200);
    expect((await transition((await reserveNew()).reservation.id, 'used', admin)).statusCode).toBe(200);
  });

  it('releases a reservation (any mechanic), keeps the item in stock, and lets it be reserved again', async () => {
    const { itemId, reservation } = await reserveNew();
    const released = await transition(reservation.id, 'released', otherMechanic);
    expect(released.json()).toMatchObject({ state: 'released' });
    expect(await itemStatus(itemId)).toBe('in_stock');
    expect((await eventsOf(t.db.db, reservation.id)).map((e) => e.event_type)).toEqual([
      'part_reserved',
      'part_released',
    ]);
    const again = await reserve({ task_id: (await task()).id, part_item_id: itemId });
    expect(again.statusCode).toBe(201);
  });

  it('treats used and released as final with 409 INVALID_TRANSITION', async () => {
    for (const [first, second] of [
      ['used', 'released'],
      ['released', 'used'],
      ['released', 'released'],
    ]) {
      const { reservation } = await reserveNew();
      await transition(reservation.id, first!, scheduler);
      const response = await transition(reservation.id, second!, scheduler);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ reason: 'INVALID_TRANSITION' });
    }
  });

  it('refuses to mark used a part that expired after it was reserved: 409 PART_EXPIRED, the item stays in stock', async () => {
    const { itemId, reservation } = await reserveNew();
    await expireItem(t.db.db, itemId);
    const response = await transition(reservation.id, 'used');
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'conflict', reason: 'PART_EXPIRED' });
    expect(await itemStatus(itemId)).toBe('in_stock');
    expect((await eventsOf(t.db.db, reservation.id)).map((e) => e.event_type)).toEqual(['part_reserved']);
    // The expired part is given back rather than fitted.
    expect((await transition(reservation.id, 'released')).json()).toMatchObject({ state: 'released' });
  });

  it('lets exactly one of two racing transitions win', async () => {
    const { itemId, reservation } = await reserveNew();
    const [a, b] = await Promise.all([
      transition(reservation.id, 'used', scheduler),
      transition(reservation.id, 'released', scheduler),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const winner = (a.statusCode === 200 ? a : b).json<ReservationJson>().state;
    expect(await itemStatus(itemId)).toBe(winner === 'used' ? 'used' : 'in_stock');
    expect(await eventsOf(t.db.db, reservation.id)).toHaveLength(2);
  });

  it('refuses a bad new_state with 400', async () => {
    const { reservation } = await reserveNew();
    for (const body of [
      { new_state: 'reserved' },
      { new_state: 'consumed' },
      {},
      { new_state: 'used', notes: 'x' },
    ]) {
      const response = await t.request(
        scheduler,
        'PATCH',
        `/api/v1/part-reservations/${reservation.id}/state`,
        body,
      );
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('reading reservations', () => {
  it('gets one and lists them by task, item and state', async () => {
    const tk = await task();
    const first = (
      await reserve({ task_id: tk.id, part_item_id: (await item()).id })
    ).json<ReservationJson>();
    const second = (
      await reserve({ task_id: tk.id, part_item_id: (await item()).id })
    ).json<ReservationJson>();
    await transition(second.id, 'released');
    const get = await t.request(scheduler, 'GET', `/api/v1/part-reservations/${first.id}`);
    expect(get.json()).toMatchObject({ id: first.id, state: 'reserved' });
    const list = async (query: string) =>
      (await t.request(scheduler, 'GET', `/api/v1/part-reservations?${query}`))
        .json<ReservationJson[]>()
        .map((r) => r.id);
    expect(await list(`task_id=${tk.id}`)).toEqual([first.id, second.id]);
    expect(await list(`task_id=${tk.id}&state=released`)).toEqual([second.id]);
    expect(await list(`part_item_id=${first.part_item_id}`)).toEqual([first.id]);
    expect(await list(`task_id=${tk.id}&sort=-created_at&limit=1`)).toEqual([second.id]);
  });

  it('refuses a bad filter with 400', async () => {
    for (const query of ['state=pending', 'task_id=12', 'sort=quantity', 'part_item_id=']) {
      expect(
        (await t.request(scheduler, 'GET', `/api/v1/part-reservations?${query}`)).statusCode,
        query,
      ).toBe(400);
    }
  });
});

describe('tenant isolation of reservations', () => {
  it('answers GET and PATCH of another org’s reservation with 404, unless an admin names the org', async () => {
    const foreign = await insertReservation(t.db.db, { org_id: other.id });
    for (const [method, url, body] of [
      ['GET', `/api/v1/part-reservations/${foreign.id}`, undefined],
      ['PATCH', `/api/v1/part-reservations/${foreign.id}/state`, { new_state: 'released' }],
    ] as const) {
      const response = await t.request(scheduler, method, url, body);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'PART_RESERVATION_NOT_FOUND' });
    }
    expect(
      (await t.request(admin, 'GET', `/api/v1/part-reservations/${foreign.id}?org_id=${other.id}`))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.request(scheduler, 'GET', `/api/v1/part-reservations?task_id=${foreign.task_id}`)).json(),
    ).toEqual([]);
  });
});

describe('reserving while Redis is unreachable', () => {
  let down: Redis;
  let offline: TestApp;
  beforeAll(async () => {
    // Nothing listens on port 1: the lock manager finds Redis unreachable and proceeds without locks.
    down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    offline = await createTestApp({}, { redis: down });
  });
  afterAll(async () => {
    await offline.close();
    down.disconnect();
  });

  it('still gives exactly one of ten parallel reservations of one item, the database deciding', async () => {
    const org = await offline.createOrg();
    const token = await offline.tokenFor(await offline.createUser(org.id, 'scheduler'));
    const target = await insertPartItem(offline.db.db, { org_id: org.id });
    const tasks = await Promise.all(
      Array.from({ length: 10 }, () => insertTask(offline.db.db, { org_id: org.id })),
    );
    const responses = await Promise.all(
      tasks.map((tk) => reserve({ task_id: tk.id, part_item_id: target.id }, token, offline)),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    expect(
      new Set(responses.filter((r) => r.statusCode === 409).map((r) => r.json<{ reason: string }>().reason)),
    ).toEqual(new Set(['PART_NOT_AVAILABLE']));
    const events = await offline.db.db
      .selectFrom('outbox_events')
      .select('id')
      .where('org_id', '=', org.id)
      .where('event_type', '=', 'part_reserved')
      .execute();
    expect(events).toHaveLength(1);
  });
});
