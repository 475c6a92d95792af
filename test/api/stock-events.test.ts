import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartDefinition, insertPartItem, insertTask } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const STOCK_EVENTS = ['part_stock_low', 'part_out_of_stock', 'part_stock_replenished'] as const;

/** The stock events of one definition, oldest first. */
const stockEvents = async (definitionId: string) =>
  (
    await t.db.db
      .selectFrom('outbox_events')
      .select(['event_type', 'payload', 'dedupe_key'])
      .where('aggregate_id', '=', definitionId)
      .where('event_type', 'in', [...STOCK_EVENTS])
      .orderBy('created_at')
      .execute()
  ).map((row) => ({
    type: row.event_type,
    data: (row.payload as { data: Record<string, unknown> }).data,
    key: row.dedupe_key,
  }));

/** A definition with `items` in-stock items (inserted directly: no events of their own). */
async function stocked(
  items: number,
  settings: Record<string, unknown> = { reorder_point: 1, lead_time_days: 5 },
) {
  const definition = await insertPartDefinition(t.db.db, { org_id: tenant.org.id, ...settings });
  const ids: string[] = [];
  for (let i = 0; i < items; i++) {
    ids.push(
      (await insertPartItem(t.db.db, { org_id: tenant.org.id, part_definition_id: definition.id })).id,
    );
  }
  return { definition, ids };
}
const reserve = async (itemId: string) => {
  const task = await insertTask(t.db.db, { org_id: tenant.org.id });
  return t.request(tenant.tokens.scheduler, 'POST', '/api/v1/part-reservations', {
    task_id: task.id,
    part_item_id: itemId,
  });
};
const transition = (id: string, newState: 'used' | 'released') =>
  t.request(tenant.tokens.scheduler, 'PATCH', `/api/v1/part-reservations/${id}/state`, {
    new_state: newState,
  });

describe('stock events of reservations', () => {
  it('emits nothing while a reservation leaves stock above the reorder point', async () => {
    const { definition, ids } = await stocked(3);
    expect((await reserve(ids[0]!)).statusCode).toBe(201);
    expect(await stockEvents(definition.id)).toEqual([]);
  });

  it('emits part_stock_low when a reservation takes stock to the reorder point, with what an alert needs', async () => {
    const { definition, ids } = await stocked(2);
    const reservation = (await reserve(ids[0]!)).json<{ id: string }>();
    const events = await stockEvents(definition.id);
    expect(events.map((e) => e.type)).toEqual(['part_stock_low']);
    const today = new Date().toISOString().slice(0, 10);
    expect(events[0]!.data).toMatchObject({
      part_definition_id: definition.id,
      name: definition.name,
      available: 1,
      reorder_point: 1,
      min_stock_level: null,
      lead_time_days: 5,
      earliest_arrival: new Date(Date.parse(today) + 5 * 86_400_000).toISOString().slice(0, 10),
      cause: { event: 'part_reserved', entity_id: reservation.id },
    });
    expect(events[0]!.key).toBe(
      `part_stock_low:${tenant.org.id}:${definition.id}:part_reserved:${reservation.id}`,
    );
  });

  it('emits part_out_of_stock for the last item, nothing when it is used, and replenished when released', async () => {
    const { definition, ids } = await stocked(1, { reorder_point: null });
    const reservation = (await reserve(ids[0]!)).json<{ id: string }>();
    expect((await stockEvents(definition.id)).map((e) => e.type)).toEqual(['part_out_of_stock']);

    const second = await insertPartItem(t.db.db, {
      org_id: tenant.org.id,
      part_definition_id: definition.id,
    });
    const held = (await reserve(second.id)).json<{ id: string }>();
    expect((await transition(held.id, 'used')).statusCode).toBe(200);
    expect((await transition(reservation.id, 'released')).statusCode).toBe(200);
    expect((await stockEvents(definition.id)).map((e) => [e.type, e.data.available])).toEqual([
      ['part_out_of_stock', 0],
      ['part_out_of_stock', 0],
      ['part_stock_replenished', 1],
    ]);
  });

  it('emits part_stock_replenished when a new item lifts stock back above the reorder point', async () => {
    const { definition, ids } = await stocked(2);
    await reserve(ids[0]!);
    const created = await t.request(tenant.tokens.mechanic, 'POST', '/api/v1/part-items', {
      part_definition_id: definition.id,
      serial_number: `SN-${definition.id.slice(0, 8)}`,
    });
    expect(created.statusCode).toBe(201);
    expect((await stockEvents(definition.id)).map((e) => [e.type, e.data.available])).toEqual([
      ['part_stock_low', 1],
      ['part_stock_replenished', 2],
    ]);
  });

  it('emits part_stock_low when a raised reorder point puts the stock at it', async () => {
    const { definition } = await stocked(3);
    const url = `/api/v1/part-definitions/${definition.id}`;
    expect((await t.request(tenant.tokens.scheduler, 'PATCH', url, { reorder_point: 3 })).statusCode).toBe(
      200,
    );
    expect((await t.request(tenant.tokens.scheduler, 'PATCH', url, { category: 'other' })).statusCode).toBe(
      200,
    );
    expect((await stockEvents(definition.id)).map((e) => e.type)).toEqual(['part_stock_low']);
  });
});

describe('stock events under concurrent reservations', () => {
  it('reserving the last items all at once emits exactly one part_stock_low and one part_out_of_stock', async () => {
    const { definition, ids } = await stocked(4, { reorder_point: 2 });
    const responses = await Promise.all(ids.map((id) => reserve(id)));
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    // Each transaction's events carry its start time, so they are compared as a set.
    const events = await stockEvents(definition.id);
    expect(events.map((e) => [e.type, e.data.available]).sort()).toEqual([
      ['part_out_of_stock', 0],
      ['part_stock_low', 2],
    ]);
  });

  it('releasing them all at once emits exactly one part_stock_replenished', async () => {
    const { definition, ids } = await stocked(3, { reorder_point: 1 });
    const reservations = [];
    for (const id of ids) reservations.push((await reserve(id)).json<{ id: string }>());
    await Promise.all(reservations.map((r) => transition(r.id, 'released')));
    expect((await stockEvents(definition.id)).map((e) => e.type).sort()).toEqual([
      'part_out_of_stock',
      'part_stock_low',
      'part_stock_replenished',
    ]);
  });
});

describe('stock events of a task’s cancellation and deletion', () => {
  it.each(['cancelled', 'deleted'] as const)(
    'emits part_stock_replenished when a %s task gives its parts back to stock',
    async (how) => {
      const { definition, ids } = await stocked(2);
      const task = await insertTask(t.db.db, {
        org_id: tenant.org.id,
        start_time: new Date(Date.now() + 30 * 86_400_000),
        end_time: new Date(Date.now() + 30 * 86_400_000 + 3_600_000),
      });
      const reserved = await t.request(tenant.tokens.scheduler, 'POST', '/api/v1/part-reservations', {
        task_id: task.id,
        part_item_id: ids[0],
      });
      expect(reserved.statusCode).toBe(201);
      const gone =
        how === 'cancelled'
          ? await t.request(tenant.tokens.scheduler, 'PATCH', `/api/v1/maintenance-tasks/${task.id}/state`, {
              new_state: 'cancelled',
            })
          : await t.request(tenant.tokens.scheduler, 'DELETE', `/api/v1/maintenance-tasks/${task.id}`);
      expect(gone.statusCode).toBeLessThan(300);
      expect((await stockEvents(definition.id)).map((e) => e.type)).toEqual([
        'part_stock_low',
        'part_stock_replenished',
      ]);
    },
  );
});
