import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportService } from '../../src/app/reports.js';
import { buildServer } from '../../src/cmd/container.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  insertAircraft,
  insertComplianceItem,
  insertPartDefinition,
  insertPartItem,
  insertReservation,
  insertTask,
} from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

/** The report's clock; far enough ahead that every expiry below is still in the database's future. */
const NOW = new Date('2030-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(NOW.getTime() + ms);

let t: TestApp;
let server: FastifyInstance;
let home: Tenant;
let other: { id: string };
let empty: { id: string };
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  // The same server, its report service reading the fixed clock.
  const reports = new ReportService({ uow: t.container.uow, now: () => NOW });
  server = await buildServer({ ...t.container, services: { ...t.container.services, reports } });
  await server.ready();
  home = await createTenant(t);
  other = await t.createOrg();
  empty = await t.createOrg();
  await seedHome(home.org.id, home.userIds.mechanic);
  await seedOther(other.id);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/** The seeded organization; each comment says where the row is counted. */
async function seedHome(orgId: string, mechanicId: string) {
  const db = t.db.db;
  const a1 = await insertAircraft(db, { org_id: orgId, status: 'operational' });
  const a2 = await insertAircraft(db, { org_id: orgId, status: 'operational' });
  const a3 = await insertAircraft(db, { org_id: orgId, status: 'grounded' });
  await insertAircraft(db, { org_id: orgId, status: 'maintenance', deleted_at: at(-DAY) }); // deleted: nowhere

  const task = (aircraftId: string, state: string, start: number, end: number, extra = {}) =>
    insertTask(db, {
      org_id: orgId,
      aircraft_id: aircraftId,
      state: state as 'scheduled',
      start_time: at(start),
      end_time: at(end),
      ...extra,
    });
  const t1 = await task(a1.id, 'scheduled', 2 * DAY, 2 * DAY + 3 * HOUR); // upcoming 7 and 30
  await task(a1.id, 'scheduled', 10 * DAY, 10 * DAY + 4 * HOUR); // upcoming 30
  await task(a2.id, 'scheduled', -5 * HOUR, -HOUR); // overdue
  const t4 = await task(a3.id, 'in_progress', -2 * HOUR, 2 * HOUR); // running, not overdue
  await task(a3.id, 'in_progress', -10 * HOUR, -6 * HOUR); // overdue
  const t6 = await task(a1.id, 'completed', -3 * DAY, -3 * DAY + 2 * HOUR); // closed: not overdue
  const t7 = await task(a2.id, 'cancelled', 3 * DAY, 3 * DAY + HOUR); // closed: not upcoming
  await task(a1.id, 'scheduled', 40 * DAY, 40 * DAY + HOUR); // beyond 30 days
  const t9 = await task(a2.id, 'scheduled', DAY, DAY + HOUR, { deleted_at: at(-HOUR) }); // deleted: nowhere
  await task(a2.id, 'scheduled', 7 * DAY, 7 * DAY + HOUR); // exactly +7 days: upcoming 30 only
  await task(a2.id, 'scheduled', 0, HOUR); // starts exactly now: upcoming 7 and 30

  const definition = (name: string, minStockLevel: number | null, extra = {}) =>
    insertPartDefinition(db, { org_id: orgId, name, min_stock_level: minStockLevel, ...extra });
  const item = (definitionId: string, extra = {}) =>
    insertPartItem(db, { org_id: orgId, part_definition_id: definitionId, ...extra });
  const oil = await definition('Oil filter', 3);
  const i1 = await item(oil.id); // in stock, reserved below
  await item(oil.id, { expiry_date: at(10 * DAY) }); // in stock, expiring
  await item(oil.id, { expiry_date: at(40 * DAY) }); // in stock
  await item(oil.id, { expiry_date: at(-DAY) }); // expired at NOW: not in stock
  await item(oil.id, { status: 'used' });
  await item(oil.id, { status: 'disposed' });
  await item(oil.id, { deleted_at: at(-DAY) });
  await insertReservation(db, { org_id: orgId, task_id: t1.id, part_item_id: i1.id });
  const brake = await definition('Brake pad', 2); // no items: 2 short
  const seal = await definition('Seal', 1);
  await item(seal.id, { expiry_date: at(30 * DAY) }); // in stock, expiring on the last day
  const bolt = await definition('Bolt', null);
  await item(bolt.id); // in stock; no minimum
  await definition('Gasket', 5, { deleted_at: at(-DAY) }); // deleted: nowhere
  await definition('Washer', 0); // 0 available is not below 0
  Object.assign(ids, { oil: oil.id, brake: brake.id });

  const compliance = (taskId: string, result: 'pass' | 'fail' | 'pending', signed: boolean, extra = {}) =>
    insertComplianceItem(db, {
      org_id: orgId,
      task_id: taskId,
      result,
      ...(signed ? { sign_off_user_id: mechanicId, sign_off_time: at(-DAY) } : {}),
      ...extra,
    });
  await compliance(t6.id, 'pass', true);
  await compliance(t4.id, 'fail', true);
  await compliance(t1.id, 'pending', false); // awaiting
  await compliance(t1.id, 'pass', false); // awaiting
  await compliance(t7.id, 'pending', false); // cancelled task: never signed
  await compliance(t9.id, 'pending', false); // deleted task: never signed
  await compliance(t1.id, 'pass', false, { deleted_at: at(-HOUR) }); // deleted: nowhere
}

/** Another organization's rows, which must never show up in the seeded one's figures. */
async function seedOther(orgId: string) {
  const db = t.db.db;
  const aircraft = await insertAircraft(db, { org_id: orgId, status: 'maintenance' });
  const task = await insertTask(db, {
    org_id: orgId,
    aircraft_id: aircraft.id,
    start_time: at(-3 * HOUR),
    end_time: at(-2 * HOUR),
  });
  await insertComplianceItem(db, { org_id: orgId, task_id: task.id, result: 'fail' });
  await insertPartItem(db, {
    org_id: orgId,
    part_definition_id: (await insertPartDefinition(db, { org_id: orgId, min_stock_level: 9 })).id,
  });
}

const summary = (token: string, query = '') =>
  server.inject({
    method: 'GET',
    url: `/api/v1/reports/summary${query}`,
    headers: { authorization: `Bearer ${token}` },
  });

describe('GET /reports/summary', () => {
  it('counts every figure of the organization at the report’s clock', async () => {
    const response = await summary(home.tokens.mechanic);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      org_id: home.org.id,
      generated_at: '2030-06-01T12:00:00.000Z',
      fleet: { total: 3, by_status: { operational: 2, maintenance: 0, grounded: 1 } },
      tasks: {
        total: 10,
        by_state: { scheduled: 6, in_progress: 2, completed: 1, cancelled: 1 },
        overdue: 2,
        upcoming_7_days: 2,
        upcoming_30_days: 4,
      },
      parts: {
        items_in_stock: 5,
        items_expiring_30_days: 2,
        definitions_below_min_stock: {
          count: 2,
          definitions: [
            {
              id: ids.brake,
              name: 'Brake pad',
              category: 'filters',
              min_stock_level: 2,
              in_stock: 0,
              reserved: 0,
              available: 0,
            },
            {
              id: ids.oil,
              name: 'Oil filter',
              category: 'filters',
              min_stock_level: 3,
              in_stock: 3,
              reserved: 1,
              available: 2,
            },
          ],
        },
      },
      compliance: {
        total: 6,
        by_result: { pass: 2, fail: 1, pending: 3 },
        signed_off: 2,
        awaiting_sign_off: 2,
        unsigned_on_closed_tasks: 2,
      },
    });
  });

  it('answers all zeros, every status, state and result present, for an organization with no data', async () => {
    const response = await summary(home.tokens.admin, `?org_id=${empty.id}`);
    expect(response.json()).toEqual({
      org_id: empty.id,
      generated_at: '2030-06-01T12:00:00.000Z',
      fleet: { total: 0, by_status: { operational: 0, maintenance: 0, grounded: 0 } },
      tasks: {
        total: 0,
        by_state: { scheduled: 0, in_progress: 0, completed: 0, cancelled: 0 },
        overdue: 0,
        upcoming_7_days: 0,
        upcoming_30_days: 0,
      },
      parts: {
        items_in_stock: 0,
        items_expiring_30_days: 0,
        definitions_below_min_stock: { count: 0, definitions: [] },
      },
      compliance: {
        total: 0,
        by_result: { pass: 0, fail: 0, pending: 0 },
        signed_off: 0,
        awaiting_sign_off: 0,
        unsigned_on_closed_tasks: 0,
      },
    });
  });

  it('lets an admin read another organization’s figures with org_id, and only those', async () => {
    const body = (await summary(home.tokens.admin, `?org_id=${other.id}`)).json<unknown>();
    expect(body).toMatchObject({
      org_id: other.id,
      fleet: { total: 1, by_status: { maintenance: 1 } },
      tasks: { total: 1, overdue: 1 },
      parts: { items_in_stock: 1, definitions_below_min_stock: { count: 1 } },
      compliance: { total: 1, by_result: { fail: 1 }, awaiting_sign_off: 1 },
    });
  });

  it('refuses anyone else naming another organization, and an admin naming an unknown one', async () => {
    const forbidden = await summary(home.tokens.auditor, `?org_id=${other.id}`);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'forbidden', reason: 'ORG_SCOPE_FORBIDDEN' });
    const unknown = await summary(home.tokens.admin, '?org_id=00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
  });

  it('answers a malformed org_id or an unknown parameter with 400 in the error envelope', async () => {
    for (const query of ['?org_id=not-a-uuid', '?colour=red']) {
      const response = await summary(home.tokens.admin, query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation' });
    }
  });

  it('uses the real clock in the server the container builds', async () => {
    const before = Date.now();
    const response = await t.request(home.tokens.scheduler, 'GET', '/api/v1/reports/summary');
    const generatedAt = Date.parse(response.json<{ generated_at: string }>().generated_at);
    expect(generatedAt).toBeGreaterThanOrEqual(before);
    expect(generatedAt).toBeLessThanOrEqual(Date.now());
  });
});
