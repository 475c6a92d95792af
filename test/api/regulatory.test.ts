import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { authorityId, complianceTemplateId } from '../support/directive-factories.js';
import { insertTask } from '../support/factories.js';
import { auditRowsOf, eventsOf } from '../support/parts.js';
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

interface AuthorityJson {
  id: string;
  code: string;
  name: string;
  country: string | null;
  record_retention_years: number;
}
interface TemplateJson {
  id: string;
  authority_id: string;
  authority_code: string;
  code: string;
  name: string;
  items?: { position: number; description: string; requires_inspection: boolean }[];
}
interface ItemJson {
  id: string;
  task_id: string;
  description: string;
  result: string;
  requires_inspection: boolean;
  signed_off: boolean;
}

const get = (url: string, token = home.tokens.mechanic) => t.request(token, 'GET', `/api/v1${url}`);
const fromTemplate = (
  taskId: string,
  templateId: string,
  token = home.tokens.mechanic,
  headers: Record<string, string> = {},
) =>
  t.request(
    token,
    'POST',
    `/api/v1/maintenance-tasks/${taskId}/compliance-items/from-template`,
    { template_id: templateId },
    headers,
  );

describe('regulatory authorities', () => {
  it('lists the seeded authorities to every role, by code, with their record-retention years', async () => {
    const response = await get('/regulatory-authorities?limit=200', home.tokens.auditor);
    expect(response.statusCode).toBe(200);
    const authorities = response.json<AuthorityJson[]>();
    const codes = authorities.map((a) => a.code);
    for (const code of ['FAA', 'EASA', 'UK CAA', 'ECAA', 'TCCA', 'ICAO']) expect(codes).toContain(code);
    expect(codes).toEqual([...codes].sort());
    expect(authorities.find((a) => a.code === 'EASA')).toMatchObject({
      name: 'European Union Aviation Safety Agency',
      country: null,
      record_retention_years: 3,
    });
  });

  it('sorts by name descending and filters by country and text', async () => {
    const names = (await get('/regulatory-authorities?sort=-name&limit=200')).json<AuthorityJson[]>();
    expect(names.map((a) => a.name)).toEqual(
      names
        .map((a) => a.name)
        .sort()
        .reverse(),
    );
    const us = (await get('/regulatory-authorities?country=us')).json<AuthorityJson[]>();
    expect(us.map((a) => a.code)).toEqual(['FAA']);
    const canada = (await get('/regulatory-authorities?q=canada')).json<AuthorityJson[]>();
    expect(canada.map((a) => a.code)).toEqual(['TCCA']);
    const bad = await get('/regulatory-authorities?sort=website');
    expect(bad.statusCode).toBe(400);
  });

  it('gets one authority; an unknown id is 404 and a malformed one 400', async () => {
    const id = await authorityId(t.db.db, 'UK CAA');
    expect((await get(`/regulatory-authorities/${id}`)).json()).toMatchObject({
      id,
      code: 'UK CAA',
      country: 'GB',
    });
    const missing = await get(`/regulatory-authorities/${randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ reason: 'AUTHORITY_NOT_FOUND' });
    expect((await get('/regulatory-authorities/not-a-uuid')).statusCode).toBe(400);
  });
});

describe('compliance templates', () => {
  it("lists templates with their authority's code, filtered by authority", async () => {
    const easa = await authorityId(t.db.db, 'EASA');
    const response = await get(`/compliance-templates?authority_id=${easa}`, home.tokens.scheduler);
    expect(response.statusCode).toBe(200);
    const templates = response.json<TemplateJson[]>();
    expect(templates.map((row) => row.code)).toEqual(['AD-COMPLIANCE', 'CRS-145']);
    expect(new Set(templates.map((row) => row.authority_code))).toEqual(new Set(['EASA']));
    expect(new Set(templates.map((row) => row.authority_id))).toEqual(new Set([easa]));
    const all = (await get('/compliance-templates?limit=200')).json<TemplateJson[]>();
    expect(all.length).toBeGreaterThanOrEqual(7);
    expect(all.find((row) => row.code === 'RTS-121')).toMatchObject({ authority_code: 'FAA' });
  });

  it('shows one template with its items in checklist order', async () => {
    const id = await complianceTemplateId(t.db.db, 'FAA', 'RTS-121');
    const response = await get(`/compliance-templates/${id}`, home.tokens.auditor);
    expect(response.statusCode).toBe(200);
    const template = response.json<TemplateJson>();
    expect(template).toMatchObject({ id, code: 'RTS-121', authority_code: 'FAA' });
    expect(template.items!.map((item) => item.position)).toEqual([1, 2, 3, 4]);
    expect(template.items![1]).toMatchObject({
      description: 'Required inspection items (RII) inspected by an authorised inspector',
      requires_inspection: true,
    });
    expect(template.items!.filter((item) => item.requires_inspection)).toHaveLength(1);
    const missing = await get(`/compliance-templates/${randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ reason: 'TEMPLATE_NOT_FOUND' });
  });
});

describe('compliance items from a template', () => {
  it("creates the template's items on the task in order, requires_inspection from the template, result pending", async () => {
    const task = await insertTask(t.db.db, { org_id: home.org.id });
    const templateId = await complianceTemplateId(t.db.db, 'EASA', 'CRS-145');
    const response = await fromTemplate(task.id, templateId);
    expect(response.statusCode, response.body).toBe(201);
    const items = response.json<ItemJson[]>();
    expect(items.map((item) => [item.description, item.requires_inspection])).toEqual([
      ['Work order completed as requested', false],
      ['Independent inspection of critical maintenance tasks (145.A.48)', true],
      ['Tools and equipment accounted for', false],
      ['Certificate of release to service issued by authorised certifying staff', false],
    ]);
    expect(new Set(items.map((item) => item.result))).toEqual(new Set(['pending']));
    expect(new Set(items.map((item) => item.task_id))).toEqual(new Set([task.id]));
    // The task's checklist shows them in the template's order.
    const detail = (await get(`/maintenance-tasks/${task.id}`)).json<{ compliance: ItemJson[] }>();
    expect(detail.compliance.map((item) => item.id)).toEqual(items.map((item) => item.id));
  });

  it('writes one audit row naming the template and one compliance_item_created event per item', async () => {
    const task = await insertTask(t.db.db, { org_id: home.org.id });
    const templateId = await complianceTemplateId(t.db.db, 'FAA', 'AD-COMPLIANCE');
    const items = (await fromTemplate(task.id, templateId)).json<ItemJson[]>();
    expect(items).toHaveLength(3);
    for (const item of items) {
      const audits = await auditRowsOf(t.db.db, item.id);
      expect(audits).toHaveLength(1);
      expect(audits[0]).toMatchObject({
        action: 'create',
        entity_type: 'compliance_item',
        org_id: home.org.id,
      });
      expect(audits[0]!.details).toMatchObject({
        template: { id: templateId, authority_code: 'FAA', code: 'AD-COMPLIANCE' },
      });
      const events = await eventsOf(t.db.db, item.id);
      expect(events.map((event) => event.event_type)).toEqual(['compliance_item_created']);
    }
  });

  it('refuses a completed or cancelled task with 409 TASK_CLOSED and creates nothing', async () => {
    const templateId = await complianceTemplateId(t.db.db);
    for (const state of ['completed', 'cancelled'] as const) {
      const task = await insertTask(t.db.db, { org_id: home.org.id, state });
      const response = await fromTemplate(task.id, templateId);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'conflict', reason: 'TASK_CLOSED' });
      const rows = await t.db.db
        .selectFrom('compliance_items')
        .select('id')
        .where('task_id', '=', task.id)
        .execute();
      expect(rows).toHaveLength(0);
    }
  });

  it("answers 404 for an unknown template, and for another organization's task", async () => {
    const task = await insertTask(t.db.db, { org_id: home.org.id });
    const unknown = await fromTemplate(task.id, randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      reason: 'TEMPLATE_NOT_FOUND',
      details: [{ field: 'body.template_id' }],
    });

    const foreign = await insertTask(t.db.db, { org_id: other.org.id });
    const response = await fromTemplate(foreign.id, await complianceTemplateId(t.db.db));
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ reason: 'TASK_NOT_FOUND', details: [{ field: 'params.id' }] });
    const rows = await t.db.db
      .selectFrom('compliance_items')
      .select('id')
      .where('task_id', '=', foreign.id)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it('replays a retry with the same Idempotency-Key instead of creating the items twice', async () => {
    const task = await insertTask(t.db.db, { org_id: home.org.id });
    const templateId = await complianceTemplateId(t.db.db, 'TCCA', 'MR-571');
    const headers = { 'idempotency-key': `from-template-${randomUUID()}` };
    const first = await fromTemplate(task.id, templateId, home.tokens.mechanic, headers);
    const retry = await fromTemplate(task.id, templateId, home.tokens.mechanic, headers);
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    const rows = await t.db.db
      .selectFrom('compliance_items')
      .select('id')
      .where('task_id', '=', task.id)
      .execute();
    expect(rows).toHaveLength(3);
  });

  it('lets an admin name the organization with org_id', async () => {
    const task = await insertTask(t.db.db, { org_id: other.org.id });
    const response = await t.request(
      home.tokens.admin,
      'POST',
      `/api/v1/maintenance-tasks/${task.id}/compliance-items/from-template?org_id=${other.org.id}`,
      { template_id: await complianceTemplateId(t.db.db, 'UK CAA', 'CRS-145') },
    );
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<ItemJson[]>()).toHaveLength(3);
  });
});
