import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertImport } from '../support/factories.js';
import { csvForm, importStorageDir, uploadCsv } from '../support/imports.js';
import { itEnforcesRoles, type RouteCase } from '../support/rbac.js';
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

/** imports.read in the RBAC table. */
const READERS: readonly Role[] = ['admin', 'tenant_admin', 'scheduler', 'auditor'];
/** imports.create, narrowed to those who may also create and update what the file holds. */
const AIRCRAFT_IMPORTERS: readonly Role[] = ['admin', 'scheduler'];

const anImport = async () => (await insertImport(t.db.db, { org_id: tenant.org.id })).id;

const ROUTES: Record<string, RouteCase> = {
  'POST /imports/csv (aircraft)': {
    method: 'POST',
    build: async () => ({ url: '/imports/csv', body: csvForm('aircraft', 'tail_number,model\nN1RB,A320\n') }),
    allowed: AIRCRAFT_IMPORTERS,
  },
  'GET /imports': { method: 'GET', build: async () => ({ url: '/imports' }), allowed: READERS },
  'GET /imports/:id': {
    method: 'GET',
    build: async () => ({ url: `/imports/${await anImport()}` }),
    allowed: READERS,
  },
  'GET /imports/:id/rows': {
    method: 'GET',
    build: async () => ({ url: `/imports/${await anImport()}/rows` }),
    allowed: READERS,
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
      .where('org_id', '=', tenant.org.id)
      .where('type', '=', 'programs')
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
