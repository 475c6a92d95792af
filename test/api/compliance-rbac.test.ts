import { afterAll, beforeAll, describe } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { TEST_PASSWORD, type TestApp } from '../support/app.js';
import { complianceRows, createComplianceWorld } from '../support/compliance.js';
import { insertComplianceItem } from '../support/factories.js';
import {
  globalCertificationTypeId,
  insertEmployeeCertification,
} from '../support/qualification-factories.js';
import { EVERYONE, itEnforcesRoles, type RouteCase } from '../support/rbac.js';

let t: TestApp;
let orgId: string;
let tokens: Record<Role, string>;
let rows: ReturnType<typeof complianceRows>;

beforeAll(async () => {
  let home: { id: string };
  let userIds: Record<Role, string>;
  ({ t, home, tokens, userIds } = await createComplianceWorld());
  orgId = home.id;
  rows = complianceRows(t);
  // The mechanic inspects in the matrix: an inspector needs inspection authority (a Part-66 B1).
  const b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  await insertEmployeeCertification(t.db.db, {
    expiry_date: null,
    org_id: orgId,
    user_id: userIds.mechanic,
    certification_type_id: b1,
  });
});
afterAll(async () => {
  await t.close();
});

/** The roles that record compliance checks. */
const INSPECTORS: readonly Role[] = ['admin', 'mechanic'];
/** The roles that decide whether an item needs an independent inspection and may waive one. */
const PLANNERS: readonly Role[] = ['admin', 'tenant_admin', 'scheduler'];
/** A fresh target each time (a passing, unsigned item), so sign-offs and deletes never run out. */
const item = async () => (await rows.newItem(orgId, 'pass')).id;
/** A fresh unsigned item that requires an independent inspection. */
const flagged = async () =>
  (await insertComplianceItem(t.db.db, { org_id: orgId, result: 'pass', requires_inspection: true })).id;
/** A fresh item signed off by someone other than the mechanic, awaiting its independent inspection. */
const signedAwaitingInspection = async () => {
  const performer = await t.createUser(orgId, 'mechanic');
  const signed = await insertComplianceItem(t.db.db, {
    org_id: orgId,
    result: 'pass',
    requires_inspection: true,
    sign_off_user_id: performer.id,
    sign_off_time: new Date(Date.now() - 60_000),
  });
  return signed.id;
};

const ROUTES: Record<string, RouteCase> = {
  'POST /compliance-items': {
    method: 'POST',
    build: async () => ({
      url: '/compliance-items',
      body: { task_id: (await rows.newTask(orgId)).id, description: 'Check' },
    }),
    allowed: INSPECTORS,
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
    allowed: INSPECTORS,
  },
  'PATCH /compliance-items/:id (raise requires_inspection)': {
    method: 'PATCH',
    build: async () => ({ url: `/compliance-items/${await item()}`, body: { requires_inspection: true } }),
    allowed: [...PLANNERS, 'mechanic'],
  },
  'PATCH /compliance-items/:id (waive requires_inspection)': {
    method: 'PATCH',
    build: async () => ({
      url: `/compliance-items/${await flagged()}`,
      body: { requires_inspection: false },
    }),
    allowed: PLANNERS,
  },
  'PATCH /compliance-items/:id/sign-off': {
    method: 'PATCH',
    build: async () => ({
      url: `/compliance-items/${await item()}/sign-off`,
      body: { password: TEST_PASSWORD },
    }),
    allowed: ['mechanic'],
  },
  'POST /compliance-items/:id/inspect': {
    method: 'POST',
    build: async () => ({
      url: `/compliance-items/${await signedAwaitingInspection()}/inspect`,
      body: { password: TEST_PASSWORD },
    }),
    allowed: ['mechanic'],
  },
  'DELETE /compliance-items/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/compliance-items/${await item()}` }),
    allowed: INSPECTORS,
  },
  'DELETE /compliance-items/:id (requires inspection)': {
    method: 'DELETE',
    build: async () => ({ url: `/compliance-items/${await flagged()}` }),
    allowed: ['admin'],
  },
};

describe('RBAC matrix for compliance items', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens }));
});
