import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertImport } from '../support/factories.js';
import { csvForm, importStorageDir, uploadCsv } from '../support/imports.js';
import { EVERYONE, itEnforcesRoles, MAINTENANCE_STAFF, SCHEDULERS, type RouteCase } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await createTestApp({ IMPORT_STORAGE_DIR: await importStorageDir() });
  tenant = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

/** Whoever may create and update a type's records may import them (the specification's CRUD rights). */
const IMPORTERS: Record<'aircraft' | 'parts' | 'programs', readonly Role[]> = {
  aircraft: MAINTENANCE_STAFF,
  parts: MAINTENANCE_STAFF,
  programs: SCHEDULERS,
};

const PARTS_CSV = 'name,category\nBrake assembly,landing gear\n';

const anImport = async () => (await insertImport(t.db.db, { org_id: tenant.org.id })).id;

const ROUTES: Record<string, RouteCase> = {
  'POST /imports/csv (aircraft)': {
    method: 'POST',
    build: async () => ({ url: '/imports/csv', body: csvForm('aircraft', 'tail_number,model\nN1RB,A320\n') }),
    allowed: IMPORTERS.aircraft,
  },
  'POST /imports/csv (parts)': {
    method: 'POST',
    build: async () => ({ url: '/imports/csv', body: csvForm('parts', PARTS_CSV) }),
    allowed: IMPORTERS.parts,
  },
  'POST /imports/csv (programs)': {
    method: 'POST',
    build: async () => ({
      url: '/imports/csv',
      body: csvForm('programs', 'name,interval_type,interval_value\nX,calendar,5\n'),
    }),
    allowed: IMPORTERS.programs,
  },
  'GET /imports': { method: 'GET', build: async () => ({ url: '/imports' }), allowed: EVERYONE },
  'GET /imports/:id': {
    method: 'GET',
    build: async () => ({ url: `/imports/${await anImport()}` }),
    allowed: EVERYONE,
  },
  'GET /imports/:id/rows': {
    method: 'GET',
    build: async () => ({ url: `/imports/${await anImport()}/rows` }),
    allowed: EVERYONE,
  },
};

describe('imports RBAC', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));

  it('lets a tenant_admin import nothing it may not create itself (403, nothing stored)', async () => {
    const response = await uploadCsv(
      t,
      tenant.tokens.tenant_admin,
      'programs',
      'name,interval_type,interval_value\nX,calendar,5\n',
    );
    expect(response.statusCode).toBe(403);
    const stored = await t.db.db
      .selectFrom('imports')
      .select('id')
      .where('created_by', '=', tenant.userIds.tenant_admin)
      .execute();
    expect(stored).toEqual([]);
  });

  it('refuses an admin importing into another organization with 403 ORG_SCOPE_FORBIDDEN', async () => {
    const other = await t.createOrg();
    const response = await uploadCsv(t, tenant.tokens.admin, 'aircraft', 'tail_number,model\nN2RB,A320\n', {
      query: `?org_id=${other.id}`,
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
  });
});
