import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId, complianceTemplateId, insertRegistration } from '../support/directive-factories.js';
import { insertTask } from '../support/factories.js';
import { EVERYONE, itEnforcesRoles, ORG_ADMINS, type RouteCase } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

const unique = () => randomUUID().slice(0, 8).toUpperCase();
const registrations = (orgId = tenant.org.id) => `/organizations/${orgId}/registrations`;
/** A fresh registration each time, so deletes never run out of targets. */
const registration = async (orgId = tenant.org.id) =>
  (await insertRegistration(t.db.db, { org_id: orgId })).id;

const ROUTES: Record<string, RouteCase> = {
  'GET /regulatory-authorities': {
    method: 'GET',
    build: async () => ({ url: '/regulatory-authorities' }),
    allowed: EVERYONE,
  },
  'GET /regulatory-authorities/:id': {
    method: 'GET',
    build: async () => ({ url: `/regulatory-authorities/${await authorityId(t.db.db)}` }),
    allowed: EVERYONE,
  },
  'GET /compliance-templates': {
    method: 'GET',
    build: async () => ({ url: '/compliance-templates' }),
    allowed: EVERYONE,
  },
  'GET /compliance-templates/:id': {
    method: 'GET',
    build: async () => ({ url: `/compliance-templates/${await complianceTemplateId(t.db.db)}` }),
    allowed: EVERYONE,
  },
  'POST /maintenance-tasks/:id/compliance-items/from-template': {
    method: 'POST',
    build: async () => ({
      url: `/maintenance-tasks/${(await insertTask(t.db.db, { org_id: tenant.org.id })).id}/compliance-items/from-template`,
      body: { template_id: await complianceTemplateId(t.db.db) },
    }),
    allowed: ['admin', 'mechanic'],
  },
  'GET /organizations/:id/registrations': {
    method: 'GET',
    build: async () => ({ url: registrations() }),
    allowed: EVERYONE,
  },
  'GET /organizations/:id/registrations/:registrationId': {
    method: 'GET',
    build: async () => ({ url: `${registrations()}/${await registration()}` }),
    allowed: EVERYONE,
  },
  'POST /organizations/:id/registrations': {
    method: 'POST',
    build: async () => ({
      url: registrations(),
      body: {
        authority_id: await authorityId(t.db.db),
        approval_type: 'AOC',
        certificate_number: `AOC-${unique()}`,
      },
    }),
    allowed: ORG_ADMINS,
  },
  'PATCH /organizations/:id/registrations/:registrationId': {
    method: 'PATCH',
    build: async () => ({
      url: `${registrations()}/${await registration()}`,
      body: { scope: 'Line maintenance' },
    }),
    allowed: ORG_ADMINS,
  },
  'DELETE /organizations/:id/registrations/:registrationId': {
    method: 'DELETE',
    build: async () => ({ url: `${registrations()}/${await registration()}` }),
    allowed: ORG_ADMINS,
  },
};

describe('RBAC matrix for regulatory reference data and registrations', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));
});

describe('registrations of another organization', () => {
  const NON_ADMINS: Role[] = ['tenant_admin', 'scheduler', 'mechanic', 'auditor'];

  it.each(NON_ADMINS)('answer 404 to a %s on every route, changing nothing', async (role) => {
    const token = tenant.tokens[role];
    const foreign = await insertRegistration(t.db.db, { org_id: other.org.id, scope: 'untouched' });
    const one = `/api/v1${registrations(other.org.id)}/${foreign.id}`;
    const answers = [
      await t.request(token, 'GET', `/api/v1${registrations(other.org.id)}`),
      await t.request(token, 'GET', one),
      await t.request(token, 'POST', `/api/v1${registrations(other.org.id)}`, {
        authority_id: await authorityId(t.db.db),
        approval_type: 'AOC',
        certificate_number: `AOC-${unique()}`,
      }),
      await t.request(token, 'PATCH', one, { scope: 'changed' }),
      await t.request(token, 'DELETE', one),
    ];
    // Roles the RBAC table refuses the write to get 403 before the organization is looked at.
    for (const response of answers) expect([403, 404]).toContain(response.statusCode);
    if (role === 'tenant_admin') expect(answers.map((r) => r.statusCode)).toEqual([404, 404, 404, 404, 404]);
    else expect(answers.slice(0, 2).map((r) => r.statusCode)).toEqual([404, 404]);
    const row = await t.db.db
      .selectFrom('organization_registrations')
      .selectAll()
      .where('id', '=', foreign.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ scope: 'untouched', deleted_at: null });
    const count = await t.db.db
      .selectFrom('organization_registrations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', other.org.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBeGreaterThanOrEqual(1);
  });

  it("answers 404 for another organization's registration id under your own organization", async () => {
    const foreign = await registration(other.org.id);
    const url = `/api/v1${registrations()}/${foreign}`;
    expect((await t.request(tenant.tokens.tenant_admin, 'GET', url)).statusCode).toBe(404);
    expect((await t.request(tenant.tokens.tenant_admin, 'PATCH', url, { scope: 'x' })).statusCode).toBe(404);
    expect((await t.request(tenant.tokens.tenant_admin, 'DELETE', url)).statusCode).toBe(404);
  });

  it('lets an admin manage any organization’s registrations; an unknown organization is 404', async () => {
    const admin = tenant.tokens.admin;
    const created = await t.request(admin, 'POST', `/api/v1${registrations(other.org.id)}`, {
      authority_id: await authorityId(t.db.db, 'ECAA'),
      approval_type: 'Part-145',
      certificate_number: `ECAR-${unique()}`,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ org_id: other.org.id, authority_code: 'ECAA' });
    const listed = await t.request(admin, 'GET', `/api/v1${registrations(other.org.id)}`);
    expect(listed.json<{ id: string }[]>().map((row) => row.id)).toContain(created.json<{ id: string }>().id);
    expect((await t.request(admin, 'GET', `/api/v1${registrations(randomUUID())}`)).statusCode).toBe(404);
  });
});
