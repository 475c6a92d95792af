import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  globalSkillTypeId,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertRecencyEntry,
  insertTypeRating,
} from '../support/qualification-factories.js';
import { EVERYONE, itEnforcesRoles, ORG_ADMINS, type RouteCase } from '../support/rbac.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let tenant: Tenant;
let other: Tenant;
let b1: string;
let eddy: string;
let a320: string;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  other = await createTenant(t);
  b1 = await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B1');
  eddy = await globalSkillTypeId(t.db.db, 'NDT-ET');
  a320 = await aircraftTypeId(t.db.db, 'A320');
});
afterAll(async () => {
  await t.close();
});

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** A fresh mechanic of `org` holding one record of each kind, so every route has a target. */
async function person(org: Tenant = tenant) {
  const orgId = org.org.id;
  const userId = (await t.createUser(orgId, 'mechanic')).id;
  return records(orgId, userId);
}

async function records(orgId: string, userId: string) {
  const certificationId = (
    await insertEmployeeCertification(t.db.db, { org_id: orgId, user_id: userId, certification_type_id: b1 })
  ).id;
  return {
    userId,
    certificationId,
    typeRatingId: (
      await insertTypeRating(t.db.db, {
        org_id: orgId,
        user_id: userId,
        certification_id: certificationId,
        aircraft_type_id: a320,
      })
    ).id,
    skillId: (await insertEmployeeSkill(t.db.db, { org_id: orgId, user_id: userId, skill_type_id: eddy })).id,
    recencyId: (await insertRecencyEntry(t.db.db, { org_id: orgId, user_id: userId, aircraft_type_id: a320 }))
      .id,
  };
}

/** The signed-in mechanic's own records (created once): every reading role, the mechanic included, may read them. */
let own: Awaited<ReturnType<typeof records>> | undefined;
const ownRecords = async () => (own ??= await records(tenant.org.id, tenant.userIds.mechanic));

type Kind = 'certifications' | 'type-ratings' | 'skills' | 'recency';
const KINDS: Kind[] = ['certifications', 'type-ratings', 'skills', 'recency'];
const recordId = (r: Awaited<ReturnType<typeof records>>, kind: Kind) =>
  ({
    certifications: r.certificationId,
    'type-ratings': r.typeRatingId,
    skills: r.skillId,
    recency: r.recencyId,
  })[kind];
const PARAM: Record<Kind, string> = {
  certifications: ':certificationId',
  'type-ratings': ':typeRatingId',
  skills: ':skillId',
  recency: ':recencyId',
};

/** A valid create body for a fresh user. */
const createBody = async (kind: Kind, r: Awaited<ReturnType<typeof records>>): Promise<unknown> => {
  switch (kind) {
    case 'certifications':
      return {
        certification_type_id: await globalCertificationTypeId(t.db.db, 'EASA', 'PART66-B2'),
        certificate_number: 'B2-1',
        issue_date: ago(10),
        expiry_date: ago(-1000),
      };
    case 'type-ratings':
      return {
        aircraft_type_id: await aircraftTypeId(t.db.db, 'B738'),
        certification_id: r.certificationId,
        endorsed_date: ago(5),
      };
    case 'skills':
      return { skill_type_id: await globalSkillTypeId(t.db.db, 'BORESCOPE'), proficiency: 2 };
    case 'recency':
      return { aircraft_type_id: a320, hours: 2, performed_at: ago(1) };
  }
};
const PATCH_BODY: Record<Kind, unknown> = {
  certifications: { certificate_number: 'CHANGED-1' },
  'type-ratings': { expiry_date: ago(-500) },
  skills: { proficiency: 4 },
  recency: { hours: 3 },
};

const ROUTES: Record<string, RouteCase> = Object.fromEntries(
  KINDS.flatMap((kind): [string, RouteCase][] => [
    [
      `GET /users/:id/${kind}`,
      {
        method: 'GET',
        build: async () => ({ url: `/users/${(await ownRecords()).userId}/${kind}` }),
        allowed: EVERYONE,
      },
    ],
    [
      `GET /users/:id/${kind}/${PARAM[kind]}`,
      {
        method: 'GET',
        build: async () => {
          const r = await ownRecords();
          return { url: `/users/${r.userId}/${kind}/${recordId(r, kind)}` };
        },
        allowed: EVERYONE,
      },
    ],
    [
      `POST /users/:id/${kind}`,
      {
        method: 'POST',
        build: async () => {
          const r = await person();
          return { url: `/users/${r.userId}/${kind}`, body: await createBody(kind, r) };
        },
        allowed: ORG_ADMINS,
      },
    ],
    [
      `PATCH /users/:id/${kind}/${PARAM[kind]}`,
      {
        method: 'PATCH',
        build: async () => {
          const r = await person();
          return { url: `/users/${r.userId}/${kind}/${recordId(r, kind)}`, body: PATCH_BODY[kind] };
        },
        allowed: ORG_ADMINS,
      },
    ],
    [
      `DELETE /users/:id/${kind}/${PARAM[kind]}`,
      {
        method: 'DELETE',
        build: async () => {
          const r = await person();
          // A certification carrying a rating cannot go: delete one that carries none.
          if (kind === 'certifications') {
            await t.db.db
              .updateTable('type_ratings')
              .set({ deleted_at: new Date() })
              .where('id', '=', r.typeRatingId)
              .execute();
          }
          return { url: `/users/${r.userId}/${kind}/${recordId(r, kind)}` };
        },
        allowed: ORG_ADMINS,
      },
    ],
  ]),
);

describe('RBAC matrix for people records', () => {
  itEnforcesRoles(ROUTES, () => ({ t, tokens: tenant.tokens }));

  it('writes nothing for a refused role', async () => {
    const r = await person();
    await t.request(tenant.tokens.scheduler, 'PATCH', `/api/v1/users/${r.userId}/skills/${r.skillId}`, {
      proficiency: 5,
    });
    await t.request(tenant.tokens.mechanic, 'DELETE', `/api/v1/users/${r.userId}/recency/${r.recencyId}`);
    await t.request(tenant.tokens.auditor, 'POST', `/api/v1/users/${r.userId}/skills`, {
      skill_type_id: await globalSkillTypeId(t.db.db, 'WELDING'),
      proficiency: 1,
    });
    const rows = await t.db.db
      .selectFrom('audit_logs')
      .select('id')
      .where('entity_id', 'in', [r.skillId, r.recencyId])
      .execute();
    expect(rows).toEqual([]);
    const skills = await t.db.db
      .selectFrom('employee_skills')
      .select('proficiency')
      .where('user_id', '=', r.userId)
      .execute();
    expect(skills).toEqual([{ proficiency: 3 }]);
  });
});

describe('a mechanic and other people’s records', () => {
  it.each(KINDS)('reads their own %s, list and one', async (kind) => {
    const r = await ownRecords();
    const list = await t.request(tenant.tokens.mechanic, 'GET', `/api/v1/users/${r.userId}/${kind}`);
    const one = await t.request(
      tenant.tokens.mechanic,
      'GET',
      `/api/v1/users/${r.userId}/${kind}/${recordId(r, kind)}`,
    );

    expect(list.statusCode).toBe(200);
    expect(list.json<{ id: string }[]>().map((x) => x.id)).toEqual([recordId(r, kind)]);
    expect(one.statusCode).toBe(200);
  });

  it.each(KINDS)('is refused a colleague’s %s with 403 OWN_RECORDS_ONLY, list and one', async (kind) => {
    const r = await person();
    for (const url of [
      `/api/v1/users/${r.userId}/${kind}`,
      `/api/v1/users/${r.userId}/${kind}/${recordId(r, kind)}`,
    ]) {
      const response = await t.request(tenant.tokens.mechanic, 'GET', url);
      expect(response.statusCode, url).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden', reason: 'OWN_RECORDS_ONLY' });
    }
  });

  it.each(KINDS)(
    'gets the same 403 for a colleague, another organization’s user and an id that names no one (%s): nothing tells which ids are colleagues',
    async (kind) => {
      const colleague = await person();
      const foreign = await person(other);
      for (const userId of [colleague.userId, foreign.userId, randomUUID()]) {
        for (const url of [
          `/api/v1/users/${userId}/${kind}`,
          `/api/v1/users/${userId}/${kind}/${randomUUID()}`,
        ]) {
          const response = await t.request(tenant.tokens.mechanic, 'GET', url);
          expect(response.statusCode, url).toBe(403);
          expect(response.json()).toMatchObject({ reason: 'OWN_RECORDS_ONLY' });
        }
      }
    },
  );

  it('still answers a tenant_admin 404 USER_NOT_FOUND for an id that names no one', async () => {
    const response = await t.request(
      tenant.tokens.tenant_admin,
      'GET',
      `/api/v1/users/${randomUUID()}/skills`,
    );
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'USER_NOT_FOUND' });
  });
});

describe('tenant isolation', () => {
  /** Every route, for a user of the other organization (and that user's record ids). */
  const calls = (r: Awaited<ReturnType<typeof records>>, body: (kind: Kind) => unknown) =>
    KINDS.flatMap((kind) => {
      const one = `/api/v1/users/${r.userId}/${kind}/${recordId(r, kind)}`;
      return [
        { method: 'GET' as const, url: `/api/v1/users/${r.userId}/${kind}` },
        { method: 'GET' as const, url: one },
        { method: 'POST' as const, url: `/api/v1/users/${r.userId}/${kind}`, body: body(kind) },
        { method: 'PATCH' as const, url: one, body: PATCH_BODY[kind] },
        { method: 'DELETE' as const, url: one },
      ];
    });

  it.each(['tenant_admin', 'scheduler', 'auditor'] as const)(
    'answers 404 USER_NOT_FOUND to a %s for another organization’s user on every route, changing nothing',
    async (role) => {
      const foreign = await person(other);
      const bodies = new Map<Kind, unknown>();
      for (const kind of KINDS) bodies.set(kind, await createBody(kind, foreign));
      for (const call of calls(foreign, (kind) => bodies.get(kind))) {
        const response = await t.request(tenant.tokens[role], call.method, call.url, call.body);
        // A reading role is refused writes by RBAC before any lookup: 403 says nothing about the id.
        const expected = call.method !== 'GET' && role !== 'tenant_admin' ? 403 : 404;
        expect(response.statusCode, `${call.method} ${call.url}`).toBe(expected);
        if (expected === 404) expect(response.json()).toMatchObject({ reason: 'USER_NOT_FOUND' });
      }
      const audits = await t.db.db
        .selectFrom('audit_logs')
        .select('id')
        .where('org_id', '=', other.org.id)
        .where('entity_type', 'in', [
          'employee_certification',
          'type_rating',
          'employee_skill',
          'recency_entry',
        ])
        .execute();
      expect(audits).toEqual([]);
    },
  );

  it('answers 404 for another organization’s record id under one of its own users, on every route', async () => {
    const mine = await person();
    const foreign = await person(other);
    for (const kind of KINDS) {
      const url = `/api/v1/users/${mine.userId}/${kind}/${recordId(foreign, kind)}`;
      for (const [method, body] of [['GET'], ['PATCH', PATCH_BODY[kind]], ['DELETE']] as const) {
        const response = await t.request(tenant.tokens.tenant_admin, method, url, body);
        expect(response.statusCode, `${method} ${url}`).toBe(404);
      }
    }
  });

  it('lets a system admin act in another organization with ?org_id=, verifying for it as themself', async () => {
    const r = await person();
    const url = `/api/v1/users/${r.userId}/certifications/${r.certificationId}?org_id=${tenant.org.id}`;

    const read = await t.request(other.tokens.admin, 'GET', url);
    const changed = await t.request(other.tokens.admin, 'PATCH', url, { status: 'suspended' });
    const verify = await t.request(other.tokens.admin, 'PATCH', url, { verified: true });
    const withoutScope = await t.request(
      other.tokens.admin,
      'GET',
      `/api/v1/users/${r.userId}/certifications`,
    );

    expect(read.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ status: 'suspended' });
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json()).toMatchObject({ verified: true, verified_by: other.userIds.admin });
    expect(withoutScope.statusCode).toBe(404);
  });
});
