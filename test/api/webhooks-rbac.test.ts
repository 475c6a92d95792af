import { afterAll, beforeAll, describe } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertWebhook } from '../support/factories.js';
import { itEnforcesRoles, ORG_ADMINS, type RouteCase } from '../support/rbac.js';
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

// A fresh webhook each time, so deletes never run out of targets.
const webhook = async () => (await insertWebhook(t.db.db, { org_id: tenant.org.id })).id;

const ROUTES: Record<string, RouteCase> = {
  'POST /webhooks': {
    method: 'POST',
    build: async () => ({ url: '/webhooks', body: { url: 'https://hooks.example.com/rbac', events: ['*'] } }),
    allowed: ORG_ADMINS,
  },
  'GET /webhooks': { method: 'GET', build: async () => ({ url: '/webhooks' }), allowed: ORG_ADMINS },
  'GET /webhooks/:id': {
    method: 'GET',
    build: async () => ({ url: `/webhooks/${await webhook()}` }),
    allowed: ORG_ADMINS,
  },
  'DELETE /webhooks/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/webhooks/${await webhook()}` }),
    allowed: ORG_ADMINS,
  },
  'POST /webhooks/:id/test': {
    method: 'POST',
    build: async () => ({ url: `/webhooks/${await webhook()}/test` }),
    allowed: ORG_ADMINS,
  },
  'GET /webhooks/:id/deliveries': {
    method: 'GET',
    build: async () => ({ url: `/webhooks/${await webhook()}/deliveries` }),
    allowed: ORG_ADMINS,
  },
};

describe('webhook routes enforce roles', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
