import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  insertPartDefinition,
  insertPartItem,
  insertReservation,
  insertTask,
  insertTaskPartRequirement,
} from '../support/factories.js';
import { EVERYONE, itEnforcesRoles, type RouteCase } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const org = () => tenant.org.id;
const availability = (taskId: string, token = tenant.tokens.mechanic) =>
  t.request(token, 'GET', `/api/v1/maintenance-tasks/${taskId}/parts-availability`);
const items = async (definitionId: string, count: number) => {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await insertPartItem(t.db.db, { org_id: org(), part_definition_id: definitionId })).id);
  }
  return ids;
};

describe('GET /maintenance-tasks/{id}/parts-availability', () => {
  it('says per required part whether it is reserved, available or short, with the expected date', async () => {
    const task = await insertTask(t.db.db, { org_id: org() });
    const held = await insertPartDefinition(t.db.db, { org_id: org(), name: 'A held' });
    const free = await insertPartDefinition(t.db.db, { org_id: org(), name: 'B free' });
    const short = await insertPartDefinition(t.db.db, { org_id: org(), name: 'C short', lead_time_days: 3 });
    const unknown = await insertPartDefinition(t.db.db, { org_id: org(), name: 'D unknown' });
    for (const [definition, quantity] of [
      [held, 2],
      [free, 2],
      [short, 3],
      [unknown, 1],
    ] as const) {
      await insertTaskPartRequirement(t.db.db, {
        org_id: org(),
        task_id: task.id,
        part_definition_id: definition.id,
        quantity,
      });
    }
    const [first] = await items(held.id, 1);
    const fitted = await insertPartItem(t.db.db, {
      org_id: org(),
      part_definition_id: held.id,
      status: 'used',
    });
    await insertReservation(t.db.db, { org_id: org(), task_id: task.id, part_item_id: first });
    await insertReservation(t.db.db, {
      org_id: org(),
      task_id: task.id,
      part_item_id: fitted.id,
      state: 'used',
    });
    await items(free.id, 2);
    const [mine, theirs] = await items(short.id, 2);
    await insertReservation(t.db.db, { org_id: org(), task_id: task.id, part_item_id: mine });
    // Another task holds the short part's other item.
    await insertReservation(t.db.db, { org_id: org(), part_item_id: theirs });

    const response = await availability(task.id);
    expect(response.statusCode, response.body).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(response.json()).toEqual([
      {
        part_definition_id: held.id,
        name: 'A held',
        quantity: 2,
        reserved: 2,
        still_needed: 0,
        available_in_stock: 0,
        status: 'reserved',
        shortfall: 0,
        expected_date: null,
      },
      expect.objectContaining({
        name: 'B free',
        reserved: 0,
        still_needed: 2,
        available_in_stock: 2,
        status: 'available',
      }),
      expect.objectContaining({
        name: 'C short',
        reserved: 1,
        still_needed: 2,
        available_in_stock: 0,
        status: 'short',
        shortfall: 2,
        expected_date: new Date(Date.parse(today) + 3 * 86_400_000).toISOString().slice(0, 10),
      }),
      expect.objectContaining({ name: 'D unknown', status: 'short', shortfall: 1, expected_date: null }),
    ]);
  });

  it('answers an empty list for a task without required parts', async () => {
    const task = await insertTask(t.db.db, { org_id: org() });
    expect((await availability(task.id)).json()).toEqual([]);
  });

  it('answers another organization’s task and a deleted one with 404, a malformed id with 400', async () => {
    const foreign = await insertTask(t.db.db, { org_id: other.org.id });
    await insertTaskPartRequirement(t.db.db, { org_id: other.org.id, task_id: foreign.id });
    const response = await availability(foreign.id);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found', reason: 'TASK_NOT_FOUND' });
    const deleted = await insertTask(t.db.db, { org_id: org(), deleted_at: new Date() });
    expect((await availability(deleted.id)).statusCode).toBe(404);
    const malformed = await availability('not-a-uuid');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'validation' });
  });
});

describe('RBAC of parts availability', () => {
  const routes: Record<string, RouteCase> = {
    'GET /maintenance-tasks/:id/parts-availability': {
      method: 'GET',
      build: async () => ({
        url: `/maintenance-tasks/${(await insertTask(t.db.db, { org_id: tenant.org.id })).id}/parts-availability`,
      }),
      allowed: EVERYONE,
    },
  };
  itEnforcesRoles(routes, () => ({ t, tokens: tenant.tokens }));
});
