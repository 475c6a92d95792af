import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.js';

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
  /** Builds the path and body; a fresh target user each time, so deletes never run out of targets. */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403. */
  allowed: Role[];
}

const ADMINS: Role[] = ['admin', 'tenant_admin'];
const target = async () => (await t.createUser(orgId, 'mechanic')).id;
const unique = () => randomUUID().slice(0, 8);

const ROUTES: Record<string, Route> = {
  'POST /organizations': {
    method: 'POST',
    build: async () => ({ url: '/organizations', body: { name: `Org ${unique()}` } }),
    allowed: ['admin'],
  },
  'GET /organizations': { method: 'GET', build: async () => ({ url: '/organizations' }), allowed: ['admin'] },
  'GET /organizations/:id': {
    method: 'GET',
    build: async () => ({ url: `/organizations/${orgId}` }),
    allowed: ADMINS,
  },
  'PATCH /organizations/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/organizations/${orgId}`, body: { name: `Home ${unique()}` } }),
    allowed: ADMINS,
  },
  'GET /organizations/:id/policy': {
    method: 'GET',
    build: async () => ({ url: `/organizations/${orgId}/policy` }),
    allowed: ADMINS,
  },
  'PATCH /organizations/:id/policy': {
    method: 'PATCH',
    build: async () => ({ url: `/organizations/${orgId}/policy`, body: { max_webhook_attempts: 7 } }),
    allowed: ADMINS,
  },
  'POST /users': {
    method: 'POST',
    build: async () => ({
      url: '/users',
      body: { email: `new-${unique()}@rbac.test`, role: 'scheduler', password: TEST_PASSWORD },
    }),
    allowed: ADMINS,
  },
  'GET /users': { method: 'GET', build: async () => ({ url: '/users' }), allowed: ADMINS },
  'GET /users/:id': {
    method: 'GET',
    build: async () => ({ url: `/users/${await target()}` }),
    allowed: ADMINS,
  },
  'PATCH /users/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/users/${await target()}`, body: { email: `moved-${unique()}@rbac.test` } }),
    allowed: ADMINS,
  },
  'DELETE /users/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/users/${await target()}` }),
    allowed: ADMINS,
  },
};

const cases = Object.entries(ROUTES).flatMap(([name, route]) =>
  ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
);

describe('RBAC matrix for organizations and users', () => {
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
