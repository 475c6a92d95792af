import { afterAll, beforeAll, describe } from 'vitest';
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

/** "Reports all can generate basic. Auditor has advanced compliance filters." */
const AUDITORS = ['admin', 'auditor'] as const;

const ROUTES: Record<string, RouteCase> = {
  'GET /reports/summary': {
    method: 'GET',
    build: async () => ({ url: '/reports/summary' }),
    allowed: EVERYONE,
  },
  'GET /reports/mechanic-workload': {
    method: 'GET',
    build: async () => ({ url: '/reports/mechanic-workload' }),
    allowed: EVERYONE,
  },
  'GET /reports/compliance': {
    method: 'GET',
    build: async () => ({ url: '/reports/compliance' }),
    allowed: AUDITORS,
  },
  'GET /reports/compliance/export': {
    method: 'GET',
    build: async () => ({ url: '/reports/compliance/export' }),
    allowed: AUDITORS,
  },
};

describe('reports RBAC', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
