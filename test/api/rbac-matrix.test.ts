import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';
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

const org = () => `/organizations/${tenant.org.id}`;
/** A fresh user each time, so deletes never run out of targets. */
const target = async () => (await t.createUser(tenant.org.id, 'mechanic')).id;
const unique = () => randomUUID().slice(0, 8);

const ROUTES: Record<string, RouteCase> = {
  'POST /organizations': {
    method: 'POST',
    build: async () => ({ url: '/organizations', body: { name: `Org ${unique()}` } }),
    allowed: ['admin'],
  },
  'GET /organizations': { method: 'GET', build: async () => ({ url: '/organizations' }), allowed: ['admin'] },
  'GET /organizations/:id': {
    method: 'GET',
    build: async () => ({ url: org() }),
    allowed: ORG_ADMINS,
  },
  'PATCH /organizations/:id': {
    method: 'PATCH',
    build: async () => ({ url: org(), body: { name: `Home ${unique()}` } }),
    allowed: ORG_ADMINS,
  },
  'DELETE /organizations/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/organizations/${(await t.createOrg()).id}` }),
    allowed: ['admin'],
  },
  'GET /organizations/:id/policy': {
    method: 'GET',
    build: async () => ({ url: `${org()}/policy` }),
    allowed: ORG_ADMINS,
  },
  'PATCH /organizations/:id/policy': {
    method: 'PATCH',
    build: async () => ({ url: `${org()}/policy`, body: { max_webhook_attempts: 7 } }),
    allowed: ORG_ADMINS,
  },
  'POST /users': {
    method: 'POST',
    build: async () => ({
      url: '/users',
      body: { email: `new-${unique()}@rbac.test`, role: 'scheduler', password: TEST_PASSWORD },
    }),
    allowed: ORG_ADMINS,
  },
  'GET /users': { method: 'GET', build: async () => ({ url: '/users' }), allowed: ORG_ADMINS },
  'GET /users/:id': {
    method: 'GET',
    build: async () => ({ url: `/users/${await target()}` }),
    allowed: ORG_ADMINS,
  },
  'PATCH /users/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/users/${await target()}`, body: { email: `moved-${unique()}@rbac.test` } }),
    allowed: ORG_ADMINS,
  },
  'DELETE /users/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/users/${await target()}` }),
    allowed: ORG_ADMINS,
  },
};

describe('RBAC matrix for organizations and users', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
