import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartDefinition, insertPartItem, insertReservation, insertTask } from '../support/factories.js';

let t: TestApp;
let orgId: string;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.createOrg()).id;
  for (const role of ROLES) tokens.set(role, await t.tokenFor(await t.createUser(orgId, role)));
});
afterAll(async () => {
  await t.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Route {
  method: Method;
  /** Builds the path and body; fresh targets each time, so deletes and transitions never run out. */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403. */
  allowed: readonly Role[];
}

const CHANGERS: Role[] = ['admin', 'scheduler', 'mechanic'];
const unique = () => randomUUID().slice(0, 8);
const definition = async () => (await insertPartDefinition(t.db.db, { org_id: orgId })).id;
const item = async () => (await insertPartItem(t.db.db, { org_id: orgId })).id;
const reservation = async () => (await insertReservation(t.db.db, { org_id: orgId })).id;

const ROUTES: Record<string, Route> = {
  'POST /part-definitions': {
    method: 'POST',
    build: async () => ({ url: '/part-definitions', body: { name: `Part ${unique()}`, category: 'engine' } }),
    allowed: CHANGERS,
  },
  'GET /part-definitions': {
    method: 'GET',
    build: async () => ({ url: '/part-definitions' }),
    allowed: ROLES,
  },
  'GET /part-definitions/:id': {
    method: 'GET',
    build: async () => ({ url: `/part-definitions/${await definition()}` }),
    allowed: ROLES,
  },
  'PATCH /part-definitions/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/part-definitions/${await definition()}`, body: { reorder_point: 4 } }),
    allowed: CHANGERS,
  },
  'DELETE /part-definitions/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/part-definitions/${await definition()}` }),
    allowed: CHANGERS,
  },
  'POST /part-items': {
    method: 'POST',
    build: async () => ({
      url: '/part-items',
      body: { part_definition_id: await definition(), serial_number: `SN-${unique()}` },
    }),
    allowed: CHANGERS,
  },
  'GET /part-items': { method: 'GET', build: async () => ({ url: '/part-items' }), allowed: ROLES },
  'GET /part-items/:id': {
    method: 'GET',
    build: async () => ({ url: `/part-items/${await item()}` }),
    allowed: ROLES,
  },
  'PATCH /part-items/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/part-items/${await item()}`, body: { status: 'disposed' } }),
    allowed: CHANGERS,
  },
  'DELETE /part-items/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/part-items/${await item()}` }),
    allowed: CHANGERS,
  },
  'POST /part-reservations': {
    method: 'POST',
    build: async () => ({
      url: '/part-reservations',
      body: { task_id: (await insertTask(t.db.db, { org_id: orgId })).id, part_item_id: await item() },
    }),
    allowed: CHANGERS,
  },
  'GET /part-reservations': {
    method: 'GET',
    build: async () => ({ url: '/part-reservations' }),
    allowed: ROLES,
  },
  'GET /part-reservations/:id': {
    method: 'GET',
    build: async () => ({ url: `/part-reservations/${await reservation()}` }),
    allowed: ROLES,
  },
  'PATCH /part-reservations/:id/state': {
    method: 'PATCH',
    build: async () => ({
      url: `/part-reservations/${await reservation()}/state`,
      body: { new_state: 'released' },
    }),
    allowed: CHANGERS,
  },
};

const cases = Object.entries(ROUTES).flatMap(([name, route]) =>
  ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
);

describe('RBAC matrix for parts', () => {
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

  it.each(Object.entries(ROUTES))(
    '%s naming another org as a non-admin answers 403',
    async (_name, route) => {
      const { url, body } = await route.build();
      const scoped = `/api/v1${url}${url.includes('?') ? '&' : '?'}org_id=${randomUUID()}`;
      const response = await t.request(tokens.get('scheduler'), route.method, scoped, body);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
    },
  );
});
