import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft } from '../support/factories.js';
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

/** A fresh aircraft each time, so deletes never run out of targets. */
const target = async () => (await insertAircraft(t.db.db, { org_id: tenant.org.id })).id;
const unique = () => randomUUID().slice(0, 8).toUpperCase();

const ROUTES: Record<string, RouteCase> = {
  'POST /aircraft': {
    method: 'POST',
    build: async () => ({ url: '/aircraft', body: { tail_number: `R${unique()}`, model: 'A320neo' } }),
    allowed: MAINTENANCE_STAFF,
  },
  'GET /aircraft': { method: 'GET', build: async () => ({ url: '/aircraft' }), allowed: EVERYONE },
  'GET /aircraft/:id': {
    method: 'GET',
    build: async () => ({ url: `/aircraft/${await target()}` }),
    allowed: EVERYONE,
  },
  'PATCH /aircraft/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/aircraft/${await target()}`, body: { capacity_slots: 2 } }),
    allowed: MAINTENANCE_STAFF,
  },
  'DELETE /aircraft/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/aircraft/${await target()}` }),
    allowed: MAINTENANCE_STAFF,
  },
  'POST /aircraft/:id/usage': {
    method: 'POST',
    build: async () => ({
      url: `/aircraft/${await target()}/usage`,
      body: { flight_hours: 1.5, cycles: 1, source_ref: `FLT-${unique()}` },
    }),
    allowed: MAINTENANCE_STAFF,
  },
  'GET /aircraft/:id/usage': {
    method: 'GET',
    build: async () => ({ url: `/aircraft/${await target()}/usage` }),
    allowed: EVERYONE,
  },
};

describe('RBAC matrix for aircraft', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));

  it('writes nothing for a refused role', async () => {
    const id = await target();
    await t.request(tenant.tokens.auditor, 'PATCH', `/api/v1/aircraft/${id}`, { capacity_slots: 9 });
    await t.request(tenant.tokens.tenant_admin, 'DELETE', `/api/v1/aircraft/${id}`);
    const rows = await t.db.db.selectFrom('audit_logs').select('id').where('entity_id', '=', id).execute();
    expect(rows).toEqual([]);
  });
});
