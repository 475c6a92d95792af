import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAuditLog, insertProgram } from '../support/factories.js';

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
  /** Builds the path and body; a fresh target each time, so deletes never run out of targets. */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403. */
  allowed: readonly Role[];
}

const WRITERS: Role[] = ['admin', 'scheduler'];
const program = async () => (await insertProgram(t.db.db, { org_id: orgId })).id;

const ROUTES: Record<string, Route> = {
  'POST /maintenance-programs': {
    method: 'POST',
    build: async () => ({
      url: '/maintenance-programs',
      body: { name: 'A-check', interval_type: 'calendar', interval_value: 120 },
    }),
    allowed: WRITERS,
  },
  'GET /maintenance-programs': {
    method: 'GET',
    build: async () => ({ url: '/maintenance-programs' }),
    allowed: ROLES,
  },
  'GET /maintenance-programs/:id': {
    method: 'GET',
    build: async () => ({ url: `/maintenance-programs/${await program()}` }),
    allowed: ROLES,
  },
  'PATCH /maintenance-programs/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/maintenance-programs/${await program()}`, body: { interval_value: 90 } }),
    allowed: WRITERS,
  },
  'DELETE /maintenance-programs/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/maintenance-programs/${await program()}` }),
    allowed: WRITERS,
  },
  'GET /audit-logs': { method: 'GET', build: async () => ({ url: '/audit-logs' }), allowed: ROLES },
  'GET /audit-logs/:id': {
    method: 'GET',
    build: async () => ({ url: `/audit-logs/${(await insertAuditLog(t.db.db, { org_id: orgId })).id}` }),
    allowed: ROLES,
  },
  'GET /audit-logs/export': {
    method: 'GET',
    build: async () => ({ url: '/audit-logs/export' }),
    allowed: ['admin', 'auditor'],
  },
};

const cases = Object.entries(ROUTES).flatMap(([name, route]) =>
  ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
);

describe('RBAC matrix for maintenance programs and audit logs', () => {
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
