import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertPartDefinition, insertPartItem, insertReservation, insertTask } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles, MAINTENANCE_STAFF, type RouteCase } from '../support/rbac.js';
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

// Fresh targets each time, so deletes and transitions never run out.
const unique = () => randomUUID().slice(0, 8);
const definition = async () => (await insertPartDefinition(t.db.db, { org_id: tenant.org.id })).id;
const item = async () => (await insertPartItem(t.db.db, { org_id: tenant.org.id })).id;
const reservation = async () => (await insertReservation(t.db.db, { org_id: tenant.org.id })).id;

const ROUTES: Record<string, RouteCase> = {
  'POST /part-definitions': {
    method: 'POST',
    build: async () => ({ url: '/part-definitions', body: { name: `Part ${unique()}`, category: 'engine' } }),
    allowed: MAINTENANCE_STAFF,
  },
  'GET /part-definitions': {
    method: 'GET',
    build: async () => ({ url: '/part-definitions' }),
    allowed: EVERYONE,
  },
  'GET /part-definitions/:id': {
    method: 'GET',
    build: async () => ({ url: `/part-definitions/${await definition()}` }),
    allowed: EVERYONE,
  },
  'PATCH /part-definitions/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/part-definitions/${await definition()}`, body: { reorder_point: 4 } }),
    allowed: MAINTENANCE_STAFF,
  },
  'DELETE /part-definitions/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/part-definitions/${await definition()}` }),
    allowed: MAINTENANCE_STAFF,
  },
  'POST /part-items': {
    method: 'POST',
    build: async () => ({
      url: '/part-items',
      body: { part_definition_id: await definition(), serial_number: `SN-${unique()}` },
    }),
    allowed: MAINTENANCE_STAFF,
  },
  'GET /part-items': { method: 'GET', build: async () => ({ url: '/part-items' }), allowed: EVERYONE },
  'GET /part-items/:id': {
    method: 'GET',
    build: async () => ({ url: `/part-items/${await item()}` }),
    allowed: EVERYONE,
  },
  'PATCH /part-items/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/part-items/${await item()}`, body: { status: 'disposed' } }),
    allowed: MAINTENANCE_STAFF,
  },
  'DELETE /part-items/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/part-items/${await item()}` }),
    allowed: MAINTENANCE_STAFF,
  },
  'POST /part-reservations': {
    method: 'POST',
    build: async () => ({
      url: '/part-reservations',
      body: {
        task_id: (await insertTask(t.db.db, { org_id: tenant.org.id })).id,
        part_item_id: await item(),
      },
    }),
    allowed: MAINTENANCE_STAFF,
  },
  'GET /part-reservations': {
    method: 'GET',
    build: async () => ({ url: '/part-reservations' }),
    allowed: EVERYONE,
  },
  'GET /part-reservations/:id': {
    method: 'GET',
    build: async () => ({ url: `/part-reservations/${await reservation()}` }),
    allowed: EVERYONE,
  },
  'PATCH /part-reservations/:id/state': {
    method: 'PATCH',
    build: async () => ({
      url: `/part-reservations/${await reservation()}/state`,
      body: { new_state: 'released' },
    }),
    allowed: MAINTENANCE_STAFF,
  },
};

describe('RBAC matrix for parts', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));

  it.each(Object.entries(ROUTES))(
    '%s naming another org as a non-admin answers 403',
    async (_name, route) => {
      const { url, body } = await route.build();
      const scoped = `/api/v1${url}${url.includes('?') ? '&' : '?'}org_id=${randomUUID()}`;
      const response = await t.request(tenant.tokens.scheduler, route.method, scoped, body);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
    },
  );
});
