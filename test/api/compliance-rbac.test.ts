import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/roles.js';
import type { TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld } from '../support/compliance.js';

let t: TestApp;
let orgId: string;
let tokens: Record<Role, string>;
let rows: ReturnType<typeof complianceRows>;

beforeAll(async () => {
  let home: { id: string };
  ({ t, home, tokens } = await createComplianceWorld());
  orgId = home.id;
  rows = complianceRows(t);
});
afterAll(async () => {
  await t.close();
});

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A fresh target each time (a passing, unsigned item), so sign-offs and deletes never run out. */
  build: () => Promise<{ url: string; body?: unknown }>;
  /** The roles the specification lets through; every other role gets 403. */
  allowed: Role[];
}

const EVERYONE: Role[] = [...ROLES];
const WORKERS: Role[] = ['admin', 'mechanic'];
const item = async () => (await rows.newItem(orgId, 'pass')).id;

const ROUTES: Record<string, Route> = {
  'POST /compliance-items': {
    method: 'POST',
    build: async () => ({
      url: '/compliance-items',
      body: { task_id: (await rows.newTask(orgId)).id, description: 'Check' },
    }),
    allowed: WORKERS,
  },
  'GET /compliance-items': {
    method: 'GET',
    build: async () => ({ url: '/compliance-items' }),
    allowed: EVERYONE,
  },
  'GET /compliance-items/:id': {
    method: 'GET',
    build: async () => ({ url: `/compliance-items/${await item()}` }),
    allowed: EVERYONE,
  },
  'PATCH /compliance-items/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/compliance-items/${await item()}`, body: { result: 'fail' } }),
    allowed: WORKERS,
  },
  'PATCH /compliance-items/:id/sign-off': {
    method: 'PATCH',
    build: async () => ({ url: `/compliance-items/${await item()}/sign-off`, body: {} }),
    allowed: ['mechanic'],
  },
  'DELETE /compliance-items/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/compliance-items/${await item()}` }),
    allowed: WORKERS,
  },
};

const cases = Object.entries(ROUTES).flatMap(([name, route]) =>
  ROLES.map((role) => ({ name, role, route, allowed: route.allowed.includes(role) })),
);

describe('RBAC matrix for compliance items', () => {
  it.each(cases)('$name as $role: allowed=$allowed', async ({ role, route, allowed }) => {
    const { url, body } = await route.build();
    const response = await t.request(tokens[role], route.method, `/api/v1${url}`, body);
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
