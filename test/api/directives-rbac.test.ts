import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId, insertDirective } from '../support/directive-factories.js';
import { aircraftTypeId } from '../support/qualification-factories.js';
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

/** A fresh directive of `org` each time, so deletes never run out of targets. */
const directive = async (org: Tenant = tenant) => (await insertDirective(t.db.db, { org_id: org.org.id })).id;

const createBody = async () => ({
  authority_id: await authorityId(t.db.db),
  type: 'ad',
  reference_number: `2031-${randomUUID().slice(0, 8)}`,
  title: 'Inspection of the wing rear spar',
  aircraft_type_ids: [await aircraftTypeId(t.db.db, 'A20N')],
  effective_date: '2031-03-01',
});

const ROUTES: Record<string, RouteCase> = {
  'POST /directives': {
    method: 'POST',
    build: async () => ({ url: '/directives', body: await createBody() }),
    allowed: ORG_ADMINS,
  },
  'GET /directives': { method: 'GET', build: async () => ({ url: '/directives' }), allowed: EVERYONE },
  'GET /directives/:id': {
    method: 'GET',
    build: async () => ({ url: `/directives/${await directive()}` }),
    allowed: EVERYONE,
  },
  'PATCH /directives/:id': {
    method: 'PATCH',
    build: async () => ({ url: `/directives/${await directive()}`, body: { title: 'Revised' } }),
    allowed: ORG_ADMINS,
  },
  'DELETE /directives/:id': {
    method: 'DELETE',
    build: async () => ({ url: `/directives/${await directive()}` }),
    allowed: ORG_ADMINS,
  },
  'POST /directives/:id/scan-fleet': {
    method: 'POST',
    build: async () => ({ url: `/directives/${await directive()}/scan-fleet` }),
    allowed: ['admin', 'tenant_admin', 'scheduler'],
  },
};

describe('RBAC matrix for directives', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));

  it('writes nothing for a refused role', async () => {
    const id = await directive();
    await t.request(tenant.tokens.scheduler, 'PATCH', `/api/v1/directives/${id}`, { title: 'Changed' });
    await t.request(tenant.tokens.mechanic, 'POST', `/api/v1/directives/${id}/scan-fleet`);
    await t.request(tenant.tokens.auditor, 'DELETE', `/api/v1/directives/${id}`);

    const audit = await t.db.db.selectFrom('audit_logs').select('id').where('entity_id', '=', id).execute();
    const row = await t.db.db
      .selectFrom('directives')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(audit).toEqual([]);
    expect(row).toMatchObject({ title: 'Inspection of the wing rear spar', deleted_at: null });
  });
});

describe('another organization’s directives', () => {
  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['POST', '/scan-fleet'],
  ] as const)(
    'answer %s /directives/{id}%s with 404 DIRECTIVE_NOT_FOUND, as an id that names none',
    async (method, suffix) => {
      const foreign = await directive(other);
      for (const id of [foreign, randomUUID()]) {
        const response = await t.request(
          tenant.tokens.tenant_admin,
          method,
          `/api/v1/directives/${id}${suffix}`,
          method === 'PATCH' ? { title: 'Taken over' } : undefined,
        );
        expect(response.statusCode, `${method} ${id}`).toBe(404);
        expect(response.json()).toMatchObject({ reason: 'DIRECTIVE_NOT_FOUND' });
      }
      const row = await t.db.db
        .selectFrom('directives')
        .selectAll()
        .where('id', '=', foreign)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ title: 'Inspection of the wing rear spar', deleted_at: null });
    },
  );

  it('never appear in the list, and their aircraft are never tracked by a scan', async () => {
    const foreign = await directive(other);
    await t.db.db
      .insertInto('aircraft')
      .values({
        org_id: other.org.id,
        tail_number: 'N-OTHER-1',
        model: 'A320neo',
        aircraft_type_id: await aircraftTypeId(t.db.db, 'A20N'),
      })
      .execute();
    const own = await directive();

    const listed = await t.request(tenant.tokens.auditor, 'GET', '/api/v1/directives?limit=200');
    const scanned = await t.request(tenant.tokens.scheduler, 'POST', `/api/v1/directives/${own}/scan-fleet`);

    expect(listed.json<{ id: string }[]>().map((d) => d.id)).not.toContain(foreign);
    expect(scanned.json()).toEqual({ applicable: 0, newly_tracked: 0, already_tracked: 0 });
  });

  it('lets an admin act in another organization with ?org_id=', async () => {
    const foreign = await directive(other);
    const response = await t.request(
      tenant.tokens.admin,
      'GET',
      `/api/v1/directives/${foreign}?org_id=${other.org.id}`,
    );

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: foreign, org_id: other.org.id });
  });
});
