import { afterAll, beforeAll, describe } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAuditLog, insertProgram } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles, SCHEDULERS, type RouteCase } from '../support/rbac.js';
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

/** A fresh program each time, so deletes never run out of targets. */
const program = async () => (await insertProgram(t.db.db, { org_id: tenant.org.id })).id;
const auditLog = async () => (await insertAuditLog(t.db.db, { org_id: tenant.org.id })).id;

const ROUTES: Record<string, RouteCase> = {
  'POST /maintenance-programs': {
    method: 'POST',
    build: async () => ({
      url: '/maintenance-programs',
      body: { name: 'A-check', interval_type: 'calendar', interval_value: 120 },
    }),
    allowed: SCHEDULERS,
  },
  'GET /maintenance-programs': {
    method: 'GET',
    build: async () => ({ url: '/maintenance-programs' }),
    allowed: EVERYONE,
  },
  'GET /maintenance-programs/:id': {
    method: 'GET',
    build: async () => ({ url: `/maintenance-programs/${await program()}` }),
    allowed: EVERYONE,
  },
  'PATCH /maintenance-programs/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/maintenance-programs/${await program()}`, body: { interval_value: 90 } }),
    allowed: SCHEDULERS,
  },
  'DELETE /maintenance-programs/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/maintenance-programs/${await program()}` }),
    allowed: SCHEDULERS,
  },
  'GET /audit-logs': { method: 'GET', build: async () => ({ url: '/audit-logs' }), allowed: EVERYONE },
  'GET /audit-logs/:id': {
    method: 'GET',
    build: async () => ({ url: `/audit-logs/${await auditLog()}` }),
    allowed: EVERYONE,
  },
  'GET /audit-logs/export': {
    method: 'GET',
    build: async () => ({ url: '/audit-logs/export' }),
    allowed: ['admin', 'auditor'],
  },
};

describe('RBAC matrix for maintenance programs and audit logs', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
