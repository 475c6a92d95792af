import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCursor } from '../../src/app/pagination.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { auditRowsOf, eventsOf } from '../support/parts.js';
import {
  aircraftTypeId,
  globalCertificationTypeId,
  globalSkillTypeId,
  insertCertificationType,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertSkillType,
  insertTaskSkillRequirement,
} from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

let t: TestApp;
let home: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  home = await createTenant(t);
  other = await createTenant(t);
});
afterAll(async () => {
  await t.close();
});

interface TypeJson {
  id: string;
  org_id: string | null;
  global: boolean;
  code: string;
  name: string;
  authority?: string;
  category?: string;
}

const anyText: unknown = expect.any(String);
const unique = () => randomUUID().slice(0, 6).toUpperCase();
const get = (url: string, token = home.tokens.mechanic) => t.request(token, 'GET', `/api/v1${url}`);

describe('aircraft types', () => {
  it('lists the seeded ICAO types to every role, by designator', async () => {
    const response = await get('/aircraft-types?limit=200', home.tokens.auditor);
    expect(response.statusCode).toBe(200);
    const designators = response.json<{ designator: string }[]>().map((row) => row.designator);
    for (const expected of ['A20N', 'A320', 'A321', 'A332', 'A359', 'B38M', 'B738', 'B77W', 'B789']) {
      expect(designators).toContain(expected);
    }
    for (const expected of ['E190', 'E195', 'AT76', 'DH8D', 'CRJ9']) expect(designators).toContain(expected);
    expect(designators).toEqual([...designators].sort());
  });

  it('filters by manufacturer and searches designator and model', async () => {
    const boeing = (await get('/aircraft-types?manufacturer=boeing&sort=-designator')).json<
      { manufacturer: string; designator: string }[]
    >();
    expect(boeing.length).toBeGreaterThan(3);
    expect(new Set(boeing.map((row) => row.manufacturer))).toEqual(new Set(['Boeing']));
    expect(boeing.map((row) => row.designator)).toEqual(
      boeing
        .map((row) => row.designator)
        .sort()
        .reverse(),
    );
    const neo = (await get('/aircraft-types?q=neo')).json<{ designator: string }[]>();
    expect(neo.map((row) => row.designator).sort()).toEqual(['A20N', 'A21N']);
    const byDesignator = (await get('/aircraft-types?q=b38')).json<{ model: string }[]>();
    expect(byDesignator.map((row) => row.model)).toEqual(['737 MAX 8']);
  });

  it('gets one type; an unknown id is 404 and a malformed one 400', async () => {
    const id = await aircraftTypeId(t.db.db, 'B789');
    expect((await get(`/aircraft-types/${id}`)).json()).toEqual({
      id,
      designator: 'B789',
      manufacturer: 'Boeing',
      model: '787-9',
    });
    const missing = await get(`/aircraft-types/${randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not_found', reason: 'AIRCRAFT_TYPE_NOT_FOUND' });
    expect((await get('/aircraft-types/not-a-uuid')).statusCode).toBe(400);
  });

  it('refuses an unknown sort field or filter with the 400 envelope', async () => {
    const badSort = await get('/aircraft-types?sort=weight');
    expect(badSort.statusCode).toBe(400);
    expect(badSort.json()).toMatchObject({ code: 'validation', request_id: anyText });
    expect((await get('/aircraft-types?designator=A320')).statusCode).toBe(400);
  });
});

describe('certification types', () => {
  const create = (body: Record<string, unknown>, token = home.tokens.tenant_admin, query = '') =>
    t.request(token, 'POST', `/api/v1/certification-types${query}`, {
      authority: 'COMPANY',
      code: `AUTH-${unique()}`,
      name: 'Company authorization',
      ...body,
    });

  it('lists the global types and the organization’s own, never another organization’s', async () => {
    const mine = await insertCertificationType(t.db.db, { org_id: home.org.id, authority: 'ACME' });
    const theirs = await insertCertificationType(t.db.db, { org_id: other.org.id, authority: 'ACME' });
    const rows = (await get('/certification-types?limit=200')).json<TypeJson[]>();
    const ids = rows.map((row) => row.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect(ids).toContain(await globalCertificationTypeId(t.db.db, 'FAA', 'A&P'));
    expect(rows.find((row) => row.code === 'PART66-B1' && row.authority === 'EASA')).toMatchObject({
      org_id: null,
      global: true,
    });
  });

  it('filters by authority, by the authority conferred and by text', async () => {
    const inspection = (await get('/certification-types?authority=easa&confers_inspection=true')).json<
      TypeJson[]
    >();
    expect(inspection.map((row) => row.code).sort()).toEqual(['PART66-B1', 'PART66-B2']);
    const notCertifying = (await get('/certification-types?confers_certifying=false')).json<TypeJson[]>();
    expect(notCertifying.every((row) => row.org_id === home.org.id)).toBe(true);
    const search = (await get('/certification-types?q=inspection%20auth')).json<TypeJson[]>();
    expect(search.map((row) => [row.authority, row.code])).toEqual([['FAA', 'IA']]);
    expect((await get('/certification-types?confers_inspection=maybe')).statusCode).toBe(400);
  });

  it('creates the organization’s own type with one audit row and one event', async () => {
    const response = await create({ code: ' auth-run ', name: '  Engine   run ', confers_certifying: true });
    expect(response.statusCode).toBe(201);
    const created = response.json<TypeJson>();
    expect(response.headers.location).toBe(`/api/v1/certification-types/${created.id}`);
    expect(created).toMatchObject({
      org_id: home.org.id,
      global: false,
      authority: 'COMPANY',
      code: 'AUTH-RUN',
      name: 'Engine run',
      expires: true,
      confers_certifying: true,
      confers_inspection: false,
      description: null,
    });
    const audit = await auditRowsOf(t.db.db, created.id);
    expect(audit.map((row) => [row.entity_type, row.action])).toEqual([['certification_type', 'create']]);
    expect((await eventsOf(t.db.db, created.id)).map((row) => row.event_type)).toEqual([
      'certification_type_created',
    ]);
    expect((await get(`/certification-types/${created.id}`, home.tokens.scheduler)).statusCode).toBe(200);
  });

  it('refuses a duplicate code with 409, also one a global type holds', async () => {
    const code = `DUP-${unique()}`;
    expect((await create({ code })).statusCode).toBe(201);
    const again = await create({ code: code.toLowerCase() });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'conflict', reason: 'CERTIFICATION_TYPE_CODE_TAKEN' });
    const global = await create({ authority: 'EASA', code: 'PART66-B1' });
    expect(global.statusCode).toBe(409);
    expect(global.json<{ error: string }>().error).toMatch(/a global certification type EASA PART66-B1/);
    // Another organization may use the same code for its own type.
    expect((await create({ code }, other.tokens.tenant_admin)).statusCode).toBe(201);
  });

  it('refuses bad input with the 400 envelope naming the field', async () => {
    const blank = await create({ name: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json()).toMatchObject({
      code: 'validation',
      details: [{ field: 'body.name' }],
    });
    const unknown = await create({ confers_everything: true });
    expect(unknown.statusCode).toBe(400);
    const empty = await t.request(
      home.tokens.tenant_admin,
      'PATCH',
      `/api/v1/certification-types/${(await insertCertificationType(t.db.db, { org_id: home.org.id })).id}`,
      {},
    );
    expect(empty.statusCode).toBe(400);
  });

  it('changes and deletes its own type, each audited with its event', async () => {
    const { id } = await insertCertificationType(t.db.db, { org_id: home.org.id });
    const changed = await t.request(home.tokens.tenant_admin, 'PATCH', `/api/v1/certification-types/${id}`, {
      name: 'Borescope authorization',
      description: 'Company borescope sign-off',
      confers_inspection: true,
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'Borescope authorization', confers_inspection: true });
    const deleted = await t.request(home.tokens.tenant_admin, 'DELETE', `/api/v1/certification-types/${id}`);
    expect(deleted.statusCode).toBe(204);
    expect((await get(`/certification-types/${id}`)).statusCode).toBe(404);
    const ids = (await get('/certification-types?limit=200')).json<TypeJson[]>().map((row) => row.id);
    expect(ids).not.toContain(id);
    expect((await auditRowsOf(t.db.db, id)).map((row) => row.action)).toEqual(['update', 'delete']);
    expect((await eventsOf(t.db.db, id)).map((row) => row.event_type)).toEqual([
      'certification_type_updated',
      'certification_type_deleted',
    ]);
  });

  it('a deleted type’s code may be used again', async () => {
    const code = `REUSE-${unique()}`;
    const first = (await create({ code })).json<TypeJson>();
    await t.request(home.tokens.tenant_admin, 'DELETE', `/api/v1/certification-types/${first.id}`);
    expect((await create({ code })).statusCode).toBe(201);
  });

  it('protects global types: 403 GLOBAL_TYPE_READ_ONLY, nothing written, even for an admin', async () => {
    const id = await globalCertificationTypeId(t.db.db);
    for (const token of [home.tokens.tenant_admin, home.tokens.admin]) {
      const patch = await t.request(token, 'PATCH', `/api/v1/certification-types/${id}`, {
        name: 'Mine now',
      });
      expect(patch.statusCode).toBe(403);
      expect(patch.json()).toMatchObject({ code: 'forbidden', reason: 'GLOBAL_TYPE_READ_ONLY' });
      const del = await t.request(token, 'DELETE', `/api/v1/certification-types/${id}`);
      expect(del.statusCode).toBe(403);
      expect(del.json()).toMatchObject({ reason: 'GLOBAL_TYPE_READ_ONLY' });
    }
    expect((await get(`/certification-types/${id}`)).json()).toMatchObject({ name: 'Part-66 Category B1' });
    expect(await auditRowsOf(t.db.db, id)).toEqual([]);
  });

  it('answers 404 for another organization’s type, on every route', async () => {
    const { id } = await insertCertificationType(t.db.db, { org_id: other.org.id });
    const token = home.tokens.tenant_admin;
    expect((await t.request(token, 'GET', `/api/v1/certification-types/${id}`)).statusCode).toBe(404);
    const patch = await t.request(token, 'PATCH', `/api/v1/certification-types/${id}`, { name: 'x' });
    expect(patch.statusCode).toBe(404);
    expect(patch.json()).toMatchObject({ reason: 'CERTIFICATION_TYPE_NOT_FOUND' });
    expect((await t.request(token, 'DELETE', `/api/v1/certification-types/${id}`)).statusCode).toBe(404);
    expect(await auditRowsOf(t.db.db, id)).toEqual([]);
  });

  it('an admin manages another organization’s types with ?org_id=, a tenant admin may not', async () => {
    const created = await create({}, home.tokens.admin, `?org_id=${other.org.id}`);
    expect(created.statusCode).toBe(201);
    const type = created.json<TypeJson>();
    expect(type.org_id).toBe(other.org.id);
    expect(created.headers.location).toBe(`/api/v1/certification-types/${type.id}?org_id=${other.org.id}`);
    const listed = (
      await get(`/certification-types?org_id=${other.org.id}&limit=200`, home.tokens.admin)
    ).json<TypeJson[]>();
    expect(listed.map((row) => row.id)).toContain(type.id);
    const refused = await create({}, home.tokens.tenant_admin, `?org_id=${other.org.id}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ reason: 'ORG_SCOPE_FORBIDDEN' });
  });

  it('refuses to delete a type a live certification names (409 CERTIFICATION_TYPE_IN_USE)', async () => {
    const type = await insertCertificationType(t.db.db, { org_id: home.org.id });
    await insertEmployeeCertification(t.db.db, { org_id: home.org.id, certification_type_id: type.id });
    const response = await t.request(
      home.tokens.tenant_admin,
      'DELETE',
      `/api/v1/certification-types/${type.id}`,
    );
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'CERTIFICATION_TYPE_IN_USE' });
  });

  describe('changing the rules of a type people hold', () => {
    const patch = (id: string, body: Record<string, unknown>) =>
      t.request(home.tokens.tenant_admin, 'PATCH', `/api/v1/certification-types/${id}`, body);
    const held = async (holders: number, overrides: { expires?: boolean } = {}) => {
      const type = await insertCertificationType(t.db.db, { org_id: home.org.id, ...overrides });
      for (let i = 0; i < holders; i += 1) {
        await insertEmployeeCertification(t.db.db, {
          org_id: home.org.id,
          certification_type_id: type.id,
          ...(type.expires ? {} : { expiry_date: null }),
        });
      }
      return type.id;
    };

    it.each([
      ['stop expiring', true, false],
      ['start expiring', false, true],
    ])(
      'refuses to make a held type %s: 409 CERTIFICATION_TYPE_IN_USE naming how many, nothing changed',
      async (_, expires, to) => {
        const id = await held(2, { expires });
        const response = await patch(id, { expires: to, name: 'Renamed' });

        expect(response.statusCode, response.body).toBe(409);
        expect(response.json()).toMatchObject({
          reason: 'CERTIFICATION_TYPE_IN_USE',
          error: expect.stringContaining('held by 2 live certifications') as unknown,
          details: [{ field: 'body.expires' }],
        });
        expect((await get(`/certification-types/${id}`)).json()).toMatchObject({
          expires,
          name: 'Company authorization',
        });
        expect(await auditRowsOf(t.db.db, id)).toEqual([]);
      },
    );

    it('changes expires of a type no one holds (a skill requirement naming it is no obstacle)', async () => {
      const id = await held(0);
      await insertTaskSkillRequirement(t.db.db, { org_id: home.org.id, certification_type_id: id });
      const response = await patch(id, { expires: false });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ expires: false });
    });

    it('lets a held type start or stop conferring authority, saying in the audit row and event for how many holders', async () => {
      const id = await held(3);
      const response = await patch(id, { confers_inspection: true, confers_certifying: false });

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ confers_inspection: true, confers_certifying: false });
      const authority = {
        authority_changed: [{ field: 'confers_inspection', from: false, to: true }],
        live_certifications: 3,
      };
      const [audit] = await auditRowsOf(t.db.db, id);
      expect(audit).toMatchObject({ action: 'update', details: authority });
      const [event] = await eventsOf(t.db.db, id);
      expect(event).toMatchObject({ event_type: 'certification_type_updated', payload: { data: authority } });
    });
  });
});

describe('skill types', () => {
  const create = (body: Record<string, unknown>, token = home.tokens.tenant_admin) =>
    t.request(token, 'POST', '/api/v1/skill-types', {
      code: `SK-${unique()}`,
      name: 'Company skill',
      category: 'Company',
      ...body,
    });

  it('lists the global skills and the organization’s own; filters by category and text', async () => {
    const mine = await insertSkillType(t.db.db, { org_id: home.org.id, category: 'NDT' });
    const theirs = await insertSkillType(t.db.db, { org_id: other.org.id, category: 'NDT' });
    const ndt = (await get('/skill-types?category=ndt')).json<TypeJson[]>();
    expect(ndt.map((row) => row.code)).toEqual(
      expect.arrayContaining(['NDT-UT', 'NDT-ET', 'NDT-PT', 'NDT-MT', 'NDT-RT', mine.code]),
    );
    expect(ndt.map((row) => row.id)).not.toContain(theirs.id);
    expect(new Set(ndt.map((row) => row.category))).toEqual(new Set(['NDT']));
    const search = (await get('/skill-types?q=borescope')).json<TypeJson[]>();
    expect(search.map((row) => row.code)).toEqual(['BORESCOPE']);
    const byName = (await get('/skill-types?sort=-name&limit=3')).json<TypeJson[]>();
    expect(byName.map((row) => row.name)).toEqual([...byName.map((row) => row.name)].sort().reverse());
  });

  it('creates, changes and deletes the organization’s own, each audited with its event', async () => {
    const created = await create({ code: 'apu-run', name: 'APU run', category: ' Powerplant ' });
    expect(created.statusCode).toBe(201);
    const type = created.json<TypeJson>();
    expect(type).toMatchObject({
      org_id: home.org.id,
      global: false,
      code: 'APU-RUN',
      category: 'Powerplant',
    });
    const changed = await t.request(home.tokens.admin, 'PATCH', `/api/v1/skill-types/${type.id}`, {
      name: 'APU run and shutdown',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'APU run and shutdown' });
    expect(
      (await t.request(home.tokens.tenant_admin, 'DELETE', `/api/v1/skill-types/${type.id}`)).statusCode,
    ).toBe(204);
    expect((await eventsOf(t.db.db, type.id)).map((row) => row.event_type)).toEqual([
      'skill_type_created',
      'skill_type_updated',
      'skill_type_deleted',
    ]);
    expect((await auditRowsOf(t.db.db, type.id)).map((row) => [row.entity_type, row.action])).toEqual([
      ['skill_type', 'create'],
      ['skill_type', 'update'],
      ['skill_type', 'delete'],
    ]);
  });

  it('refuses a duplicate code (409 SKILL_TYPE_CODE_TAKEN), a global one too', async () => {
    const code = `DUP-${unique()}`;
    expect((await create({ code })).statusCode).toBe(201);
    expect((await create({ code })).json()).toMatchObject({ reason: 'SKILL_TYPE_CODE_TAKEN' });
    const global = await create({ code: 'ndt-ut' });
    expect(global.statusCode).toBe(409);
    const renamed = await t.request(
      home.tokens.tenant_admin,
      'PATCH',
      `/api/v1/skill-types/${(await insertSkillType(t.db.db, { org_id: home.org.id })).id}`,
      { code },
    );
    expect(renamed.statusCode).toBe(409);
  });

  it('protects global skill types and hides another organization’s', async () => {
    const global = await globalSkillTypeId(t.db.db, 'WELDING');
    const patch = await t.request(home.tokens.tenant_admin, 'PATCH', `/api/v1/skill-types/${global}`, {
      category: 'Mine',
    });
    expect(patch.statusCode).toBe(403);
    expect(patch.json()).toMatchObject({ reason: 'GLOBAL_TYPE_READ_ONLY' });
    expect((await t.request(home.tokens.admin, 'DELETE', `/api/v1/skill-types/${global}`)).statusCode).toBe(
      403,
    );
    const theirs = await insertSkillType(t.db.db, { org_id: other.org.id });
    expect((await get(`/skill-types/${theirs.id}`)).statusCode).toBe(404);
    expect(
      (await t.request(home.tokens.tenant_admin, 'DELETE', `/api/v1/skill-types/${theirs.id}`)).statusCode,
    ).toBe(404);
  });

  it('refuses to delete a type a live skill names (409 SKILL_TYPE_IN_USE)', async () => {
    const type = await insertSkillType(t.db.db, { org_id: home.org.id });
    await insertEmployeeSkill(t.db.db, { org_id: home.org.id, skill_type_id: type.id });
    const response = await t.request(home.tokens.tenant_admin, 'DELETE', `/api/v1/skill-types/${type.id}`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'SKILL_TYPE_IN_USE' });
  });

  it('pages with a cursor across global and own rows without repeats', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/skill-types?limit=4&cursor=';
    while (url) {
      const response = await get(url);
      expect(response.statusCode).toBe(200);
      seen.push(...response.json<TypeJson[]>().map((row) => row.id));
      const link = response.headers.link as string | undefined;
      url = link ? /<\/api\/v1([^>]+)>/.exec(link)?.[1] : undefined;
    }
    const all = (await get('/skill-types?limit=200')).json<TypeJson[]>().map((row) => row.id);
    expect(seen).toEqual(all);
  });

  it('a cursor naming another organization’s type gives an empty page', async () => {
    const theirs = await insertSkillType(t.db.db, { org_id: other.org.id, code: 'AAA-FIRST' });
    const response = await get(`/skill-types?cursor=${rowCursor('', theirs.id)}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([]);
  });
});

describe('idempotency', () => {
  it('replays a create retried with the same Idempotency-Key: one type, one event', async () => {
    const body = { code: `IDEM-${unique()}`, name: 'Idempotent skill', category: 'Company' };
    const headers = { 'idempotency-key': `key-${unique()}` };
    const first = await t.request(home.tokens.tenant_admin, 'POST', '/api/v1/skill-types', body, headers);
    const again = await t.request(home.tokens.tenant_admin, 'POST', '/api/v1/skill-types', body, headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const { id } = first.json<TypeJson>();
    expect(await eventsOf(t.db.db, id)).toHaveLength(1);
  });
});
