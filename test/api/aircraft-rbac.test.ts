import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { insertAircraft } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/app.js';

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
  /** Builds the path and body; a fresh aircraft each time, so deletes never run out of targets. */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403. */
  allowed: Role[];
}

const EVERYONE: Role[] = [...ROLES];
const FLEET_EDITORS: Role[] = ['admin', 'scheduler', 'mechanic'];
const target = async () => (await insertAircraft(t.db.db, { org_id: orgId })).id;
const unique = () => randomUUID().slice(0, 8).toUpperCase();

const ROUTES: Record<string, Route> = {
  'POST /aircraft': {
    method: 'POST',
    build: async () => ({ url: '/aircraft', body: { tail_number: `R${unique()}`, model: 'A320neo' } }),
    allowed: FLEET_EDITORS,
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
    allowed: FLEET_EDITORS,
  },
  'DELETE /aircraft/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/aircraft/${await target()}` }),
    allowed: FLEET_EDITORS,
  },
  'POST /aircraft/:id/usage': {
    method: 'POST',
    build: async () => ({
      url: `/aircraft/${await target()}/usage`,
      body: { flight_hours: 1.5, cycles: 1, source_ref: `FLT-${unique()}` },
    }),
    allowed: FLEET_EDITORS,
  },
  'GET /aircraft/:id/usage': {
    method: 'GET',
    build: async () => ({ url: `/aircraft/${await target()}/usage` }),
    allowed: EVERYONE,
  },
};

const cases = Object.entries(ROUTES).flatMap(([name, route]) =>
  ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
);

describe('RBAC matrix for aircraft', () => {
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

  it('writes nothing for a refused role', async () => {
    const id = await target();
    await t.request(tokens.get('auditor'), 'PATCH', `/api/v1/aircraft/${id}`, { capacity_slots: 9 });
    await t.request(tokens.get('tenant_admin'), 'DELETE', `/api/v1/aircraft/${id}`);
    const rows = await t.db.db.selectFrom('audit_logs').select('id').where('entity_id', '=', id).execute();
    expect(rows).toEqual([]);
  });
});
