import { afterAll, beforeAll, describe } from 'vitest';
import { insertAlert } from '../support/alert-factories.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { EVERYONE, itEnforcesRoles, type RouteCase } from '../support/rbac.js';
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

/** Who acts on alerts: everyone but the auditor (a mechanic on the alerts about them). */
const ACTORS = ['admin', 'tenant_admin', 'scheduler', 'mechanic'] as const;

/** A fresh open alert about the tenant's mechanic, so every role's attempt has its own target. */
const alertAboutMechanic = async () =>
  (await insertAlert(t.db.db, { org_id: tenant.org.id, user_id: tenant.userIds.mechanic })).id;

const ROUTES: Record<string, RouteCase> = {
  'GET /alerts': { method: 'GET', build: async () => ({ url: '/alerts' }), allowed: EVERYONE },
  'GET /alerts/summary': {
    method: 'GET',
    build: async () => ({ url: '/alerts/summary' }),
    allowed: EVERYONE,
  },
  'GET /alerts/:id': {
    method: 'GET',
    build: async () => ({ url: `/alerts/${await alertAboutMechanic()}` }),
    allowed: EVERYONE,
  },
  'POST /alerts/:id/acknowledge': {
    method: 'POST',
    build: async () => ({ url: `/alerts/${await alertAboutMechanic()}/acknowledge`, body: {} }),
    allowed: ACTORS,
  },
  'POST /alerts/:id/resolve': {
    method: 'POST',
    build: async () => ({ url: `/alerts/${await alertAboutMechanic()}/resolve`, body: { note: 'done' } }),
    allowed: ACTORS,
  },
};

describe('RBAC matrix for alerts', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
