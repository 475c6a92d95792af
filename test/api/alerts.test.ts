import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { systemActor } from '../../src/app/actor.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsTable } from '../../src/infra/postgres/schema.js';
import { insertAlert } from '../support/alert-factories.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAircraft } from '../support/factories.js';
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

interface AlertJson {
  id: string;
  level: string;
  category: string;
  acknowledged: boolean;
  acknowledged_by: string | null;
  resolved: boolean;
  resolved_by: string | null;
  resolution_note: string | null;
}

const HOUR = 3_600_000;
const T0 = Date.parse('2031-03-01T08:00:00Z');
const at = (hours: number) => new Date(T0 + hours * HOUR);

/** An alert of `owner`'s organization (the tenant's unless named). */
const alertOf = (overrides: Partial<Insertable<AlertsTable>> = {}, owner: Tenant = tenant) =>
  insertAlert(t.db.db, { org_id: owner.org.id, ...overrides });

const get = async <T = AlertJson[]>(url: string, token = tenant.tokens.scheduler) => {
  const response = await t.request(token, 'GET', `/api/v1${url}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
};
const ids = (rows: { id: string }[]) => rows.map((row) => row.id);
const act = (id: string, action: 'acknowledge' | 'resolve', token: string, body: unknown = {}) =>
  t.request(token, 'POST', `/api/v1/alerts/${id}/${action}`, body);

const auditRowsOf = (id: string) =>
  t.db.db.selectFrom('audit_logs').selectAll().where('entity_id', '=', id).orderBy('timestamp').execute();
const eventsOf = (id: string) =>
  t.db.db
    .selectFrom('outbox_events')
    .selectAll()
    .where('aggregate_id', '=', id)
    .orderBy('created_at')
    .execute();

describe('GET /alerts', () => {
  it("lists the organization's alerts newest first as the alert JSON, never another organization's", async () => {
    const world = await createTenant(t);
    const old = await alertOf({ raised_at: at(0) }, world);
    const recent = await alertOf(
      { raised_at: at(2), level: 'critical', user_id: world.userIds.mechanic },
      world,
    );
    await alertOf({}, other);

    const rows = await get<Record<string, unknown>[]>('/alerts', world.tokens.auditor);

    expect(ids(rows as { id: string }[])).toEqual([recent.id, old.id]);
    expect(rows[0]).toMatchObject({
      org_id: world.org.id,
      level: 'critical',
      category: 'certification_expiring',
      entity_type: 'certification',
      entity_id: recent.entity_id,
      user_id: world.userIds.mechanic,
      threshold: 90,
      current_value: 80,
      unit: 'days',
      escalation_level: 0,
      escalated: false,
      acknowledged: false,
      resolved: false,
      resolved_automatically: false,
      raised_at: '2031-03-01T10:00:00.000Z',
    });
  });

  it('filters by level, category, entity, aircraft, person, acknowledged and resolved', async () => {
    const world = await createTenant(t);
    const org_id = world.org.id;
    const aircraft = await insertAircraft(t.db.db, { org_id });
    const plain = await alertOf({}, world);
    const critical = await alertOf({ level: 'critical', aircraft_id: aircraft.id }, world);
    const task = await alertOf(
      { category: 'task_overdue', entity_type: 'task', user_id: world.userIds.mechanic },
      world,
    );
    const acknowledged = await alertOf(
      { acknowledged_at: at(1), acknowledged_by: world.userIds.scheduler, acknowledged_by_org_id: org_id },
      world,
    );
    const resolved = await alertOf({ resolved_at: at(1), resolved_automatically: true }, world);
    const list = async (query: string) =>
      ids(await get(`/alerts?${query}&sort=raised_at`, world.tokens.scheduler));

    expect(await list('level=critical')).toEqual([critical.id]);
    expect(await list('category=task_overdue')).toEqual([task.id]);
    expect(await list(`entity_type=certification&entity_id=${plain.entity_id}`)).toEqual([plain.id]);
    expect(await list(`aircraft_id=${aircraft.id}`)).toEqual([critical.id]);
    expect(await list(`user_id=${world.userIds.mechanic}`)).toEqual([task.id]);
    expect(await list('acknowledged=true')).toEqual([acknowledged.id]);
    expect(await list('resolved=true')).toEqual([resolved.id]);
    expect((await list('resolved=false&acknowledged=false')).sort()).toEqual(
      [plain.id, critical.id, task.id].sort(),
    );
  });

  it('refuses an unknown filter value, a malformed id filter and an unknown sort field with 400', async () => {
    for (const query of [
      'level=loud',
      'category=weather',
      'entity_id=42',
      'acknowledged=maybe',
      'sort=title',
    ]) {
      const response = await t.request(tenant.tokens.scheduler, 'GET', `/api/v1/alerts?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ code: 'validation' });
    }
  });

  it('sorts by level (info → critical), category and update time, both ways, ties broken by id', async () => {
    const world = await createTenant(t);
    const info = await alertOf(
      { level: 'info', category: 'part_low_stock', entity_type: 'part_definition' },
      world,
    );
    const critical = await alertOf({ level: 'critical' }, world);
    const warning = await alertOf({ level: 'warning', category: 'task_overdue', entity_type: 'task' }, world);
    const token = world.tokens.auditor;

    expect(ids(await get('/alerts?sort=level', token))).toEqual([info.id, warning.id, critical.id]);
    expect(ids(await get('/alerts?sort=-level', token))).toEqual([critical.id, warning.id, info.id]);
    expect(ids(await get('/alerts?sort=category', token))).toEqual([critical.id, warning.id, info.id]);
    await t.db.db.updateTable('alerts').set({ title: 'touched' }).where('id', '=', info.id).execute();
    expect(ids(await get('/alerts?sort=-updated_at', token))[0]).toBe(info.id);
  });

  it('pages by limit and offset, and by cursor, with a Link to the next page', async () => {
    const world = await createTenant(t);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await alertOf({ raised_at: at(i) }, world));
    const newestFirst = ids(made).reverse();

    const first = await t.request(world.tokens.scheduler, 'GET', '/api/v1/alerts?limit=2');
    expect(ids(first.json())).toEqual(newestFirst.slice(0, 2));
    expect(first.headers.link).toBe('</api/v1/alerts?limit=2&offset=2>; rel="next"');

    const byCursor = await t.request(world.tokens.scheduler, 'GET', '/api/v1/alerts?limit=2&cursor=');
    const next = /<([^>]+)>/.exec(String(byCursor.headers.link))![1]!;
    const rest = await t.request(world.tokens.scheduler, 'GET', next);
    expect(ids(rest.json())).toEqual(newestFirst.slice(2));
    expect(rest.headers.link).toBeUndefined();
  });
});

describe('GET /alerts/summary', () => {
  it('counts open alerts by level and category, unacknowledged and escalated, leaving out resolved and foreign ones', async () => {
    const world = await createTenant(t);
    await alertOf({ level: 'info' }, world);
    await alertOf({ level: 'warning', escalation_level: 1, escalated_at: at(4) }, world);
    await alertOf(
      {
        level: 'critical',
        category: 'part_out_of_stock',
        entity_type: 'part_definition',
        acknowledged_at: at(1),
        acknowledged_by: world.userIds.scheduler,
        acknowledged_by_org_id: world.org.id,
      },
      world,
    );
    await alertOf({ level: 'critical', resolved_at: at(2), resolved_automatically: true }, world);
    await alertOf({ level: 'critical' }, other);

    const summary = await get<Record<string, unknown>>('/alerts/summary', world.tokens.mechanic);

    expect(summary).toMatchObject({
      total: 3,
      unacknowledged: 2,
      escalated: 1,
      by_level: { info: 1, warning: 1, critical: 1 },
    });
    expect(summary.by_category).toMatchObject({
      certification_expiring: 2,
      part_out_of_stock: 1,
      task_overdue: 0,
      aircraft_aog: 0,
    });
    expect(Object.keys(summary.by_category as object)).toHaveLength(9);
  });
});

describe('GET /alerts/{id}', () => {
  it("answers the alert, 404 for another organization's or an unknown id, 400 for a malformed one", async () => {
    const own = await alertOf();
    const foreign = await alertOf({}, other);

    expect((await get<AlertJson>(`/alerts/${own.id}`)).id).toBe(own.id);
    for (const id of [foreign.id, randomUUID()]) {
      const response = await t.request(tenant.tokens.scheduler, 'GET', `/api/v1/alerts/${id}`);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'ALERT_NOT_FOUND' });
    }
    const malformed = await t.request(tenant.tokens.scheduler, 'GET', '/api/v1/alerts/not-a-uuid');
    expect(malformed.statusCode).toBe(400);
  });
});

describe('POST /alerts/{id}/acknowledge', () => {
  it('acknowledges once, audits it with the note and publishes alert_acknowledged; a repeat is 409', async () => {
    const alert = await alertOf({ level: 'warning' });

    const response = await act(alert.id, 'acknowledge', tenant.tokens.scheduler, { note: ' on it ' });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id: alert.id,
      acknowledged: true,
      acknowledged_by: tenant.userIds.scheduler,
      resolved: false,
    });
    const [audit] = await auditRowsOf(alert.id);
    expect(audit).toMatchObject({
      entity_type: 'alert',
      action: 'state_change',
      user_id: tenant.userIds.scheduler,
    });
    expect(audit!.details).toMatchObject({
      change: 'acknowledged',
      note: 'on it',
      after: { acknowledged: true },
    });
    const events = await eventsOf(alert.id);
    expect(events.map((e) => e.event_type)).toEqual(['alert_acknowledged']);
    expect(events[0]!.payload).toMatchObject({ data: { id: alert.id, acknowledged: true } });

    const repeat = await act(alert.id, 'acknowledge', tenant.tokens.tenant_admin);
    expect(repeat.statusCode).toBe(409);
    expect(repeat.json()).toMatchObject({ reason: 'ALERT_ALREADY_ACKNOWLEDGED' });
    expect(await auditRowsOf(alert.id)).toHaveLength(1);
  });

  it('accepts a request without a body, and refuses a resolved alert with 409 ALERT_ALREADY_RESOLVED', async () => {
    const open = await alertOf();
    const resolved = await alertOf({ resolved_at: at(1), resolved_automatically: true });

    const bare = await t.request(tenant.tokens.scheduler, 'POST', `/api/v1/alerts/${open.id}/acknowledge`);
    expect(bare.statusCode, bare.body).toBe(200);
    const refused = await act(resolved.id, 'acknowledge', tenant.tokens.scheduler);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ reason: 'ALERT_ALREADY_RESOLVED' });
  });

  it('lets two people racing to acknowledge succeed once: the other gets 409, one audit row, one event', async () => {
    const alert = await alertOf();

    const answers = await Promise.all([
      act(alert.id, 'acknowledge', tenant.tokens.scheduler),
      act(alert.id, 'acknowledge', tenant.tokens.tenant_admin),
    ]);

    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.statusCode === 409)!.json()).toMatchObject({
      reason: 'ALERT_ALREADY_ACKNOWLEDGED',
    });
    expect(await auditRowsOf(alert.id)).toHaveLength(1);
    expect(await eventsOf(alert.id)).toHaveLength(1);
  });

  it('replays the first answer to a retry with the same Idempotency-Key instead of a 409', async () => {
    const alert = await alertOf();
    const headers = { 'idempotency-key': `ack-${alert.id}` };
    const url = `/api/v1/alerts/${alert.id}/acknowledge`;

    const first = await t.request(tenant.tokens.scheduler, 'POST', url, {}, headers);
    const retry = await t.request(tenant.tokens.scheduler, 'POST', url, {}, headers);

    expect(first.statusCode).toBe(200);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(await eventsOf(alert.id)).toHaveLength(1);
  });
});

describe('POST /alerts/{id}/resolve', () => {
  it('resolves by hand with the note, audits it and publishes alert_resolved; a repeat is 409', async () => {
    const alert = await alertOf({ level: 'critical' });

    const response = await act(alert.id, 'resolve', tenant.tokens.tenant_admin, {
      note: 'licence renewed early',
    });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      resolved: true,
      resolved_by: tenant.userIds.tenant_admin,
      resolved_automatically: false,
      resolution_note: 'licence renewed early',
      acknowledged: false,
    });
    expect((await auditRowsOf(alert.id))[0]!.details).toMatchObject({ change: 'resolved' });
    expect((await eventsOf(alert.id)).map((e) => e.event_type)).toEqual(['alert_resolved']);

    const repeat = await act(alert.id, 'resolve', tenant.tokens.scheduler);
    expect(repeat.statusCode).toBe(409);
    expect(repeat.json()).toMatchObject({ reason: 'ALERT_ALREADY_RESOLVED' });
  });

  it('refuses an alert the trigger job already resolved with 409 ALERT_ALREADY_RESOLVED', async () => {
    const alert = await alertOf({ resolved_at: at(3), resolved_automatically: true });

    const response = await act(alert.id, 'resolve', tenant.tokens.scheduler, { note: 'done' });

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ reason: 'ALERT_ALREADY_RESOLVED' });
    expect(await auditRowsOf(alert.id)).toHaveLength(0);
  });

  it('lets two people racing to resolve succeed once: the other gets 409 ALERT_ALREADY_RESOLVED', async () => {
    const alert = await alertOf();

    const answers = await Promise.all([
      act(alert.id, 'resolve', tenant.tokens.scheduler),
      act(alert.id, 'resolve', tenant.tokens.tenant_admin),
    ]);

    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.statusCode === 409)!.json()).toMatchObject({
      reason: 'ALERT_ALREADY_RESOLVED',
    });
    expect(await eventsOf(alert.id)).toHaveLength(1);
  });
});

describe('who may act on an alert', () => {
  it('lets a mechanic acknowledge and resolve the alerts about them, and no other (403 ALERT_NOT_YOURS)', async () => {
    const mine = await alertOf({ user_id: tenant.userIds.mechanic });
    const someoneElses = await alertOf({ user_id: tenant.userIds.scheduler });
    const nobodys = await alertOf();
    const token = tenant.tokens.mechanic;

    expect((await act(mine.id, 'acknowledge', token)).statusCode).toBe(200);
    expect((await act(mine.id, 'resolve', token)).statusCode).toBe(200);
    for (const alert of [someoneElses, nobodys]) {
      for (const action of ['acknowledge', 'resolve'] as const) {
        const refused = await act(alert.id, action, token);
        expect(refused.statusCode, action).toBe(403);
        expect(refused.json()).toMatchObject({ reason: 'ALERT_NOT_YOURS' });
      }
    }
  });

  it('refuses a background job: acknowledging and resolving are a person’s acts', async () => {
    const alert = await alertOf();
    const ctx = { actor: systemActor('alert-triggers') };
    const { alerts } = t.container.services;

    await expect(alerts.acknowledge(ctx, alert.id, { orgId: tenant.org.id })).rejects.toMatchObject({
      reason: 'ALERT_NEEDS_A_PERSON',
    });
    await expect(alerts.resolve(ctx, alert.id, { orgId: tenant.org.id })).rejects.toMatchObject({
      reason: 'ALERT_NEEDS_A_PERSON',
    });
  });

  it("answers 404 for another organization's alert, and lets an admin act in it with ?org_id=", async () => {
    const foreign = await alertOf({}, other);

    for (const action of ['acknowledge', 'resolve'] as const) {
      const response = await act(foreign.id, action, tenant.tokens.tenant_admin);
      expect(response.statusCode, action).toBe(404);
      expect(response.json()).toMatchObject({ reason: 'ALERT_NOT_FOUND' });
    }
    const admin = await t.request(
      tenant.tokens.admin,
      'POST',
      `/api/v1/alerts/${foreign.id}/acknowledge?org_id=${other.org.id}`,
      {},
    );
    expect(admin.statusCode, admin.body).toBe(200);
    expect(admin.json()).toMatchObject({ acknowledged_by: tenant.userIds.admin });
    expect(await auditRowsOf(foreign.id)).toMatchObject([
      { org_id: other.org.id, actor_org_id: tenant.org.id },
    ]);
  });
});
