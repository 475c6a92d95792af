import { afterAll, beforeAll, describe } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles, MAINTENANCE_STAFF, SCHEDULERS, type RouteCase } from '../support/rbac.js';
import { releaseMechanic } from '../support/qualification-factories.js';
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

const HOUR = 3_600_000;

/**
 * A scheduled task on a grounded aircraft of its own, assigned to the matrix's mechanic and
 * starting in a minute: every role allowed to transition may start it. A fresh aircraft and task
 * each time (the mechanic released from the ones before), so nothing runs out or overlaps.
 */
const target = async () => {
  const aircraft = await insertAircraft(t.db.db, { org_id: tenant.org.id, status: 'grounded' });
  const start = new Date(Date.now() + 60_000);
  await releaseMechanic(t.db.db, tenant.userIds.mechanic);
  const task = await insertTask(t.db.db, {
    aircraft_id: aircraft.id,
    start_time: start,
    end_time: new Date(start.getTime() + HOUR),
    assigned_mechanic_id: tenant.userIds.mechanic,
  });
  return { task: task.id, aircraft: aircraft.id };
};

const ROUTES: Record<string, RouteCase> = {
  'POST /maintenance-tasks': {
    method: 'POST',
    build: async () => ({
      url: '/maintenance-tasks',
      body: {
        aircraft_id: (await target()).aircraft,
        type: 'inspection',
        start_time: '2031-01-01T10:00:00Z',
        end_time: '2031-01-01T12:00:00Z',
      },
    }),
    allowed: SCHEDULERS,
  },
  'GET /maintenance-tasks': {
    method: 'GET',
    build: async () => ({ url: '/maintenance-tasks' }),
    allowed: EVERYONE,
  },
  'GET /maintenance-tasks/:id': {
    method: 'GET',
    build: async () => ({ url: `/maintenance-tasks/${(await target()).task}` }),
    allowed: EVERYONE,
  },
  'PATCH /maintenance-tasks/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/maintenance-tasks/${(await target()).task}`, body: { type: 'repair' } }),
    allowed: SCHEDULERS,
  },
  'DELETE /maintenance-tasks/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/maintenance-tasks/${(await target()).task}` }),
    allowed: SCHEDULERS,
  },
  'PATCH /maintenance-tasks/:id/state': {
    method: 'PATCH',
    build: async () => ({
      url: `/maintenance-tasks/${(await target()).task}/state`,
      body: { new_state: 'in_progress' },
    }),
    allowed: MAINTENANCE_STAFF,
  },
};

describe('RBAC matrix for maintenance tasks', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
