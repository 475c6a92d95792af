import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  globalSkillTypeId,
  insertCertificationType,
  insertSkillType,
} from '../support/qualification-factories.js';
import { EVERYONE, itEnforcesRoles, ORG_ADMINS, type RouteCase } from '../support/rbac.js';
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

const unique = () => randomUUID().slice(0, 8).toUpperCase();
/** A fresh type of the tenant each time, so deletes never run out of targets. */
const ownCertificationType = async () =>
  (await insertCertificationType(t.db.db, { org_id: tenant.org.id })).id;
const ownSkillType = async () => (await insertSkillType(t.db.db, { org_id: tenant.org.id })).id;

const ROUTES: Record<string, RouteCase> = {
  'GET /aircraft-types': {
    method: 'GET',
    build: async () => ({ url: '/aircraft-types' }),
    allowed: EVERYONE,
  },
  'GET /aircraft-types/:id': {
    method: 'GET',
    build: async () => ({ url: `/aircraft-types/${await aircraftTypeId(t.db.db)}` }),
    allowed: EVERYONE,
  },
  'GET /certification-types': {
    method: 'GET',
    build: async () => ({ url: '/certification-types' }),
    allowed: EVERYONE,
  },
  'GET /certification-types/:id': {
    method: 'GET',
    build: async () => ({ url: `/certification-types/${await globalCertificationTypeId(t.db.db)}` }),
    allowed: EVERYONE,
  },
  'POST /certification-types': {
    method: 'POST',
    build: async () => ({
      url: '/certification-types',
      body: { authority: 'COMPANY', code: `C-${unique()}`, name: 'Company authorization' },
    }),
    allowed: ORG_ADMINS,
  },
  'PATCH /certification-types/:id': {
    method: 'PATCH',
    build: async () => ({
      url: `/certification-types/${await ownCertificationType()}`,
      body: { name: 'Renamed' },
    }),
    allowed: ORG_ADMINS,
  },
  'DELETE /certification-types/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/certification-types/${await ownCertificationType()}` }),
    allowed: ORG_ADMINS,
  },
  'GET /skill-types': { method: 'GET', build: async () => ({ url: '/skill-types' }), allowed: EVERYONE },
  'GET /skill-types/:id': {
    method: 'GET',
    build: async () => ({ url: `/skill-types/${await globalSkillTypeId(t.db.db)}` }),
    allowed: EVERYONE,
  },
  'POST /skill-types': {
    method: 'POST',
    build: async () => ({
      url: '/skill-types',
      body: { code: `S-${unique()}`, name: 'Company skill', category: 'Company' },
    }),
    allowed: ORG_ADMINS,
  },
  'PATCH /skill-types/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/skill-types/${await ownSkillType()}`, body: { name: 'Renamed' } }),
    allowed: ORG_ADMINS,
  },
  'DELETE /skill-types/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/skill-types/${await ownSkillType()}` }),
    allowed: ORG_ADMINS,
  },
};

describe('RBAC matrix for reference data', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});
