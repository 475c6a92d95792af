import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft, insertTask } from '../support/factories.js';

let t: TestApp;
let orgId: string;
let mechanicId: string;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  for (const role of ROLES) {
    const user = await t.createUser(orgId, role);
    if (role === 'mechanic') mechanicId = user.id;
    tokens.set(role, await t.tokenFor(user));
  }
});
afterAll(async () => {
  await t.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Route {
  method: Method;
  /** Builds the path and body; a fresh aircraft and task each time, so nothing runs out or overlaps. */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403. */
  allowed: Role[];
}

const EVERYONE: Role[] = [...ROLES];
const SCHEDULERS: Role[] = ['admin', 'scheduler'];
const HOUR = 3_600_000;

/**
 * A scheduled task on a grounded aircraft of its own, assigned to the matrix's mechanic and
 * starting in a minute: every role allowed to transition may start it.
 */
const target = async () => {
  const aircraft = await insertAircraft(t.db.db, { org_id: orgId, status: 'grounded' });
  const start = new Date(Date.now() + 60_000);
  const task = await insertTask(t.db.db, {
    aircraft_id: aircraft.id,
    start_time: start,
    end_time: new Date(start.getTime() + HOUR),
    assigned_mechanic_id: mechanicId,
  });
  return { task: task.id, aircraft: aircraft.id };
};

const ROUTES: Record<string, Route> = {
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
    allowed: ['admin', 'scheduler', 'mechanic'],
  },
};

const cases = Object.entries(ROUTES).flatMap(([name, route]) =>
  ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
);

describe('RBAC matrix for maintenance tasks', () => {
  it.each(cases)('$name as $role: allowed=$allowed', async ({ role, route, allowed }) => {
    const { url, body } = await route.build();
    const response = await t.request(tokens.get(role), route.method, `/api/v1${url}`, body);
    if (allowed) {
      expect(response.statusCode, response.body).toBeGreaterThanOrEqual(200);
      expect(response.statusCode, response.body).toBeLessThan(300);
    } else {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
  });

  it.each(Object.entries(ROUTES))('%s without a token answers 401', async (_name, route) => {
    const { url, body } = await route.build();
    const response = await t.request(undefined, route.method, `/api/v1${url}`, body);
    expect(response.statusCode).toBe(401);
  });
});
