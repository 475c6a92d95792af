import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardService, type DashboardMetrics } from '../../src/app/dashboard.js';
import { systemActor } from '../../src/app/actor.js';
import { loadConfig } from '../../src/config/config.js';
import { ROLES } from '../../src/domain/roles.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { insertAlert } from '../support/alert-factories.js';
import { insertAircraftDirective, insertDirective } from '../support/directive-factories.js';
import {
  insertAircraft,
  insertComplianceItem,
  insertOrganization,
  insertPartDefinition,
  insertPartItem,
  insertReservation,
  insertTask,
  insertTaskPartRequirement,
  insertUser,
} from '../support/factories.js';
import {
  globalCertificationTypeId,
  insertEmployeeCertification,
} from '../support/qualification-factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

const NOW = new Date('2030-03-15T10:00:00Z');
const at = (iso: string) => new Date(`2030-03-${iso}Z`);
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);

let t: TestApp;
let tenant: Tenant;
let crafted: string;
let other: string;

/** An organization whose every figure is known (see the expectations below), at NOW. */
async function craft(): Promise<string> {
  const db = t.db.db;
  const org = (await insertOrganization(db)).id;
  await db.insertInto('org_policies').values({ org_id: org }).execute();
  const a1 = (await insertAircraft(db, { org_id: org })).id;
  const a2 = (await insertAircraft(db, { org_id: org })).id;
  const a3 = (await insertAircraft(db, { org_id: org, status: 'maintenance' })).id;
  await insertAircraft(db, { org_id: org, status: 'grounded' });
  const gone = (await insertAircraft(db, { org_id: org, deleted_at: NOW })).id;
  const m1 = (await insertUser(db, { org_id: org, email: 'm1@crafted.test' })).id;
  const m2 = (await insertUser(db, { org_id: org, email: 'm2@crafted.test' })).id;
  const m3 = (await insertUser(db, { org_id: org, email: 'm3@crafted.test', deleted_at: NOW })).id;
  const task = (o: Parameters<typeof insertTask>[1]) => insertTask(db, { org_id: org, ...o });
  // M1 on an AOG task in progress (4 h today); M2 booked 2 h (overdue), 4 h tonight and worked 2 h this morning.
  await task({
    aircraft_id: a3,
    state: 'in_progress',
    priority: 'aog',
    start_time: at('15T08:00'),
    end_time: at('15T12:00'),
    started_at: at('15T08:00'),
    assigned_mechanic_id: m1,
  });
  const t2 = await task({
    aircraft_id: a1,
    start_time: at('15T09:00'),
    end_time: at('15T11:00'),
    assigned_mechanic_id: m2,
  });
  const t3 = await task({
    aircraft_id: a2,
    start_time: at('15T20:00'),
    end_time: at('16T02:00'),
    assigned_mechanic_id: m2,
  });
  await task({ aircraft_id: a1, state: 'in_progress', start_time: at('15T06:00'), end_time: at('15T09:00') });
  const done = (start: string, end: string, started: string, completed: string, m: string) =>
    task({
      aircraft_id: a2,
      state: 'completed',
      start_time: at(start),
      end_time: at(end),
      started_at: at(started),
      completed_at: at(completed),
      assigned_mechanic_id: m,
    });
  const t5 = await done('10T08:00', '10T12:00', '10T08:00', '10T11:00', m1); // on time, 3 h
  await done('12T08:00', '12T10:00', '12T08:30', '12T13:30', m1); // late, 5 h
  await done('15T06:00', '15T07:00', '15T06:00', '15T08:00', m2); // late, 2 h, today
  const t8 = await task({
    aircraft_id: a2,
    state: 'completed',
    start_time: new Date('2030-01-01T08:00Z'),
    end_time: new Date('2030-01-01T09:00Z'),
    completed_at: new Date('2030-01-01T09:00Z'),
  });
  await task({ aircraft_id: a2, state: 'cancelled', start_time: at('20T08:00'), end_time: at('20T09:00') });
  await task({ aircraft_id: a1, start_time: at('21T08:00'), end_time: at('21T09:00'), deleted_at: NOW });
  // Parts: P1 low (2 in stock, 1 reserved for t3), P2 out, P3 fine with one item expiring in 10 days.
  const p1 = (await insertPartDefinition(db, { org_id: org, reorder_point: 2 })).id;
  const p2 = (await insertPartDefinition(db, { org_id: org })).id;
  const p3 = (await insertPartDefinition(db, { org_id: org, reorder_point: 1 })).id;
  const held = await insertPartItem(db, { org_id: org, part_definition_id: p1 });
  await insertPartItem(db, { org_id: org, part_definition_id: p1 });
  await insertPartItem(db, { org_id: org, part_definition_id: p3, expiry_date: days(10) });
  await insertPartItem(db, { org_id: org, part_definition_id: p3 });
  await insertPartItem(db, { org_id: org, part_definition_id: p3 });
  await insertPartItem(db, { org_id: org, part_definition_id: p3, status: 'used' });
  await insertPartItem(db, { org_id: org, part_definition_id: p3, expiry_date: days(-1) });
  await insertReservation(db, { org_id: org, task_id: t3.id, part_item_id: held.id });
  await insertTaskPartRequirement(db, { org_id: org, task_id: t3.id, part_definition_id: p1, quantity: 2 });
  await insertTaskPartRequirement(db, { org_id: org, task_id: t2.id, part_definition_id: p3 });
  await insertTaskPartRequirement(db, { org_id: org, task_id: t5.id, part_definition_id: p3 });
  void p2;
  // Compliance: pending on t2, signed on t5; unsigned on a completed task and deleted ones count nowhere.
  await insertComplianceItem(db, { org_id: org, task_id: t2.id });
  await insertComplianceItem(db, {
    org_id: org,
    task_id: t5.id,
    result: 'pass',
    sign_off_user_id: m1,
    sign_off_time: at('10T11:00'),
  });
  await insertComplianceItem(db, { org_id: org, task_id: t8.id });
  await insertComplianceItem(db, { org_id: org, task_id: t3.id, deleted_at: NOW });
  // Directives: due in 10 days, overdue, far off, and overdue on a deleted aircraft.
  const directive = (await insertDirective(db, { org_id: org })).id;
  const track = (aircraft: string, due: string, status?: 'complied') =>
    insertAircraftDirective(db, {
      org_id: org,
      aircraft_id: aircraft,
      directive_id: directive,
      next_due_date: due,
      ...(status ? { status } : {}),
    });
  await track(a1, '2030-03-25');
  await track(a2, '2030-03-14');
  await track(a3, '2030-06-23');
  await track(gone, '2030-03-01');
  // Certifications: 20, 45 and 80 days left, one expired; a deleted person's and a suspended one count nowhere.
  const b1 = await globalCertificationTypeId(db);
  const b2 = await globalCertificationTypeId(db, 'EASA', 'PART66-B2');
  const cert = (user: string, type: string, expiry: Date, status?: 'suspended') =>
    insertEmployeeCertification(db, {
      org_id: org,
      user_id: user,
      certification_type_id: type,
      expiry_date: expiry,
      ...(status ? { status } : {}),
    });
  await cert(m1, b1, days(20));
  await cert(m1, b2, days(-3));
  await cert(m2, b1, days(45));
  await cert(m2, b2, days(80));
  await cert(m3, b1, days(-3));
  await cert((await insertUser(db, { org_id: org, role: 'scheduler' })).id, b1, days(10), 'suspended');
  // Alerts: info and critical open, a critical acknowledged, a resolved one.
  await insertAlert(db, { org_id: org });
  await insertAlert(db, { org_id: org, level: 'critical' });
  await insertAlert(db, {
    org_id: org,
    level: 'critical',
    acknowledged_at: NOW,
    acknowledged_by: m1,
    acknowledged_by_org_id: org,
  });
  await insertAlert(db, { org_id: org, level: 'critical', resolved_at: NOW, resolved_automatically: true });
  return org;
}

const serviceAt = (now: () => Date, cacheTtlMs = 0) =>
  new DashboardService({ uow: t.container.uow, now, cacheTtlMs });
const metricsOf = (org: string, service = serviceAt(() => NOW)) =>
  service.metrics(systemActor('test'), { orgId: org });

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  crafted = await craft();
  other = await craft();
});
afterAll(async () => {
  await t.close();
});

describe('GET /dashboard/metrics', () => {
  it('counts the fleet, the tasks and the completions of the last 30 days exactly', async () => {
    const m = await metricsOf(crafted);
    expect(m.fleet).toEqual({
      total: 4,
      by_status: { operational: 2, maintenance: 1, grounded: 1 },
      availability_rate: 0.5,
      aog: 1,
    });
    expect(m.tasks).toEqual({
      total: 9,
      by_state: { scheduled: 2, in_progress: 2, completed: 4, cancelled: 1 },
      overdue: 2,
      completed_last_30_days: 3,
      on_time_completion_rate: 0.3333,
      average_turnaround_hours: 3.33,
    });
    expect(m.computed_at).toBe(NOW.toISOString());
  });

  it('shows each mechanic’s booked hours today against an 8-hour shift, and who is on a task now', async () => {
    const m = await metricsOf(crafted);
    const ids = m.mechanics.utilisation.map((u) => u.mechanic_id);
    expect(m.mechanics).toEqual({
      total: 2,
      on_task_now: 1,
      shift_hours: 8,
      average_utilisation: 0.75,
      utilisation: [
        { mechanic_id: ids[0], email: 'm1@crafted.test', booked_hours: 4, utilisation: 0.5 },
        { mechanic_id: ids[1], email: 'm2@crafted.test', booked_hours: 8, utilisation: 1 },
      ],
    });
  });

  it('counts stock, low and empty definitions, and the fill rate of open demand', async () => {
    const m = await metricsOf(crafted);
    expect(m.parts).toEqual({
      items_in_stock: 5,
      items_expiring_soon: 1,
      definitions_low: 1,
      definitions_out_of_stock: 1,
      units_required: 3,
      units_reserved: 1,
      fill_rate: 0.3333,
    });
  });

  it('counts compliance items, directives, certifications and alerts', async () => {
    const m = await metricsOf(crafted);
    expect(m.compliance).toEqual({ pending: 1, signed: 1 });
    expect(m.directives).toEqual({ due: 1, overdue: 1 });
    expect(m.certifications).toEqual({
      expiring_within_30_days: 1,
      expiring_within_60_days: 2,
      expiring_within_90_days: 3,
      expired: 1,
    });
    expect(m.alerts).toEqual({ unresolved: 3, critical: 2, unacknowledged: 2 });
  });

  it('never counts another organization’s data', async () => {
    const [mine, theirs] = await Promise.all([metricsOf(crafted), metricsOf(other)]);
    expect({ ...theirs, org_id: crafted, mechanics: { ...theirs.mechanics, utilisation: [] } }).toEqual({
      ...mine,
      mechanics: { ...mine.mechanics, utilisation: [] },
    });
    const fresh = await metricsOf(tenant.org.id);
    expect([
      fresh.fleet.total,
      fresh.tasks.total,
      fresh.alerts.unresolved,
      fresh.parts.items_in_stock,
    ]).toEqual([0, 0, 0, 0]);
  });

  it('serves an organization’s figures from the cache until its TTL has passed', async () => {
    let now = NOW;
    const service = serviceAt(() => now, 5000);
    const first = await metricsOf(crafted, service);
    await insertAircraft(t.db.db, { org_id: crafted, tail_number: 'CACHE1' });
    now = new Date(NOW.getTime() + 4999);
    expect(await metricsOf(crafted, service)).toEqual(first);
    now = new Date(NOW.getTime() + 5000);
    const later = await metricsOf(crafted, service);
    expect([later.fleet.total, later.computed_at]).toEqual([5, now.toISOString()]);
    await t.db.db.deleteFrom('aircraft').where('tail_number', '=', 'CACHE1').execute();
  });

  it('computes afresh on every request when DASHBOARD_CACHE_TTL is 0 (default 5 s)', () => {
    expect(loadConfig({ APP_ENV: 'test' }).dashboardCacheTtlMs).toBe(5000);
    expect(loadConfig({ APP_ENV: 'test', DASHBOARD_CACHE_TTL: '0' }).dashboardCacheTtlMs).toBe(0);
    expect(loadConfig({ APP_ENV: 'test', DASHBOARD_CACHE_TTL: '2s' }).dashboardCacheTtlMs).toBe(2000);
    expect(() => loadConfig({ APP_ENV: 'test', DASHBOARD_CACHE_TTL: 'soon' })).toThrow(/DASHBOARD_CACHE_TTL/);
  });

  it('answers every role; only a mechanic’s answer lists their own tasks of the day', async () => {
    const db = t.db.db;
    const mechanic = tenant.userIds.mechanic;
    const now = Date.now();
    const mine = await insertTask(db, {
      org_id: tenant.org.id,
      assigned_mechanic_id: mechanic,
      start_time: new Date(now - 3_600_000),
      end_time: new Date(now + 3_600_000),
    });
    await insertTask(db, {
      org_id: tenant.org.id,
      assigned_mechanic_id: mechanic,
      start_time: new Date(now + 3 * 86_400_000),
      end_time: new Date(now + 3 * 86_400_000 + 3_600_000),
    });
    for (const role of ROLES) {
      const query = role === 'admin' ? `?org_id=${tenant.org.id}` : '';
      const response = await t.request(tenant.tokens[role], 'GET', `/api/v1/dashboard/metrics${query}`);
      expect(response.statusCode, role).toBe(200);
      const body = response.json<DashboardMetrics>();
      expect(body.org_id).toBe(tenant.org.id);
      if (role === 'mechanic') expect(body.my_tasks_today?.map((task) => task.id)).toEqual([mine.id]);
      else expect(body.my_tasks_today, role).toBeUndefined();
    }
  });

  it('refuses without a token, another org for a non-admin, and a malformed org id', async () => {
    expect((await t.request(undefined, 'GET', '/api/v1/dashboard/metrics')).statusCode).toBe(401);
    const foreign = await t.request(
      tenant.tokens.scheduler,
      'GET',
      `/api/v1/dashboard/metrics?org_id=${crafted}`,
    );
    expect([foreign.statusCode, foreign.json<{ reason: string }>().reason]).toEqual([
      403,
      'ORG_SCOPE_FORBIDDEN',
    ]);
    const missing = await t.request(
      tenant.tokens.admin,
      'GET',
      '/api/v1/dashboard/metrics?org_id=00000000-0000-4000-8000-000000000000',
    );
    expect(missing.statusCode).toBe(404);
    expect(
      (await t.request(tenant.tokens.admin, 'GET', '/api/v1/dashboard/metrics?org_id=nope')).statusCode,
    ).toBe(400);
  });
});
