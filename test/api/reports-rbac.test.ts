import { afterAll, beforeAll, describe } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId } from '../support/directive-factories.js';
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

/** The directive compliance report: auditors, and the tenant admin who holds the approvals. */
const REGULATORY_REPORTERS = ['admin', 'tenant_admin', 'auditor'] as const;

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
  'GET /reports/directive-compliance': {
    method: 'GET',
    build: async () => ({ url: `/reports/directive-compliance?authority_id=${await authorityId(t.db.db)}` }),
    allowed: REGULATORY_REPORTERS,
  },
  'GET /reports/directive-compliance (pdf)': {
    method: 'GET',
    build: async () => ({
      url: `/reports/directive-compliance?authority_id=${await authorityId(t.db.db)}&format=pdf`,
    }),
    allowed: REGULATORY_REPORTERS,
  },
};

describe('reports RBAC', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
