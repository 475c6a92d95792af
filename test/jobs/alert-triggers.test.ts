import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertTriggerService } from '../../src/app/alert-triggers.js';
import { PgUnitOfWork } from '../../src/infra/postgres/unit-of-work.js';
import { alertTriggersJob } from '../../src/jobs/alert-triggers.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAircraftDirective } from '../support/directive-factories.js';
import {
  insertAircraft,
  insertOrganization,
  insertPartDefinition,
  insertPartItem,
  insertReservation,
  insertTask,
  insertUser,
  insertWebhook,
  insertWebhookDelivery,
} from '../support/factories.js';
import { insertEmployeeCertification } from '../support/qualification-factories.js';

let db: TestDatabase;
let triggers: AlertTriggerService;

beforeAll(async () => {
  db = await createTestDatabase();
  triggers = new AlertTriggerService({ uow: new PgUnitOfWork(db.db) });
});
afterAll(async () => {
  await db.drop();
});

const NOW = new Date('2026-06-15T10:30:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const later = (ms: number) => new Date(NOW.getTime() + ms);

/** Every alert of the org, oldest first. */
const alertsOf = (orgId: string) =>
  db.db
    .selectFrom('alerts')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('raised_at')
    .orderBy('id')
    .execute();
const openOf = async (orgId: string) => (await alertsOf(orgId)).filter((a) => a.resolved_at === null);
const eventsOf = (alertId: string) =>
  db.db
    .selectFrom('outbox_events')
    .select(['event_type', 'payload'])
    .where('aggregate_id', '=', alertId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
const auditOf = (alertId: string) =>
  db.db.selectFrom('audit_logs').selectAll().where('entity_id', '=', alertId).orderBy('timestamp').execute();

/** A mechanic of a new org holding a certification expiring `days` after NOW. */
async function certificationExpiringIn(days: number) {
  const org = await insertOrganization(db.db);
  const mechanic = await insertUser(db.db, { org_id: org.id });
  const cert = await insertEmployeeCertification(db.db, {
    org_id: org.id,
    user_id: mechanic.id,
    expiry_date: later(days * DAY),
  });
  return { orgId: org.id, mechanicId: mechanic.id, certId: cert.id };
}

it('announces a certification 90, 60 and 30 days before expiry at info, warning and critical', async () => {
  const cases = [
    [95, undefined],
    [80, 'info'],
    [45, 'warning'],
    [20, 'critical'],
  ] as const;
  for (const [days, level] of cases) {
    const { orgId, mechanicId, certId } = await certificationExpiringIn(days);
    await triggers.evaluate(NOW);
    const alerts = await alertsOf(orgId);
    if (level === undefined) expect(alerts).toEqual([]);
    else
      expect(alerts).toMatchObject([
        { category: 'certification_expiring', level, entity_id: certId, user_id: mechanicId, unit: 'days' },
      ]);
    if (level !== undefined) expect(Number(alerts[0]!.current_value)).toBe(days);
  }
});

it('raises the level of the open alert as expiry nears, then moves it to expired, with one event each', async () => {
  const { orgId, certId } = await certificationExpiringIn(61);
  await triggers.evaluate(NOW);
  await triggers.evaluate(later(2 * DAY));
  const [expiring] = await alertsOf(orgId);
  expect(expiring).toMatchObject({ level: 'warning', threshold: '60', resolved_at: null });
  await triggers.evaluate(later(2 * DAY));
  expect((await eventsOf(expiring!.id)).map((e) => e.event_type)).toEqual([
    'alert_raised',
    'alert_level_changed',
  ]);

  await triggers.evaluate(later(62 * DAY));
  const alerts = await alertsOf(orgId);
  expect(alerts.map((a) => [a.category, a.level, a.resolved_automatically])).toEqual([
    ['certification_expiring', 'warning', true],
    ['certification_expired', 'critical', false],
  ]);
  expect(alerts[1]!.entity_id).toBe(certId);
  const audit = await auditOf(expiring!.id);
  expect(audit.map((row) => row.actor)).toEqual(Array(3).fill('system:alert-triggers'));
  expect(audit[1]!.details).toMatchObject({ change: 'level_changed', before: { level: 'info' } });
});

it('resolves the alert automatically when the certification is renewed', async () => {
  const { orgId, certId } = await certificationExpiringIn(10);
  await triggers.evaluate(NOW);
  await db.db
    .updateTable('employee_certifications')
    .set({ expiry_date: later(400 * DAY) })
    .where('id', '=', certId)
    .execute();
  await triggers.evaluate(later(HOUR));
  const [alert] = await alertsOf(orgId);
  expect(alert).toMatchObject({ resolved_automatically: true, resolved_by: null });
  expect(alert!.resolved_at).toEqual(later(HOUR));
  expect((await eventsOf(alert!.id)).at(-1)).toMatchObject({
    event_type: 'alert_resolved',
    payload: { data: { resolved: true, resolved_automatically: true } },
  });
});

it('flags a task not started after its start, or not finished after its end, louder for AOG and critical', async () => {
  const org = await insertOrganization(db.db);
  const mechanic = await insertUser(db.db, { org_id: org.id });
  const aircraft = await insertAircraft(db.db, { org_id: org.id });
  const window = (startMs: number) => ({ start_time: later(startMs), end_time: later(startMs + 2 * HOUR) });
  const late = await insertTask(db.db, {
    aircraft_id: aircraft.id,
    assigned_mechanic_id: mechanic.id,
    ...window(-HOUR),
  });
  const running = await insertTask(db.db, {
    aircraft_id: aircraft.id,
    state: 'in_progress',
    priority: 'critical',
    ...window(-10 * HOUR),
  });
  await insertTask(db.db, { aircraft_id: aircraft.id, ...window(HOUR) });
  await insertTask(db.db, { aircraft_id: aircraft.id, state: 'cancelled', ...window(-20 * HOUR) });
  await triggers.evaluate(NOW);
  const alerts = await openOf(org.id);
  expect(
    alerts.map((a) => [a.entity_id, a.level, a.user_id, a.aircraft_id, Number(a.current_value)]),
  ).toEqual(
    expect.arrayContaining([
      [late.id, 'warning', mechanic.id, aircraft.id, 60],
      [running.id, 'critical', null, aircraft.id, 480],
    ]),
  );
  expect(alerts).toHaveLength(2);

  await db.db
    .updateTable('maintenance_tasks')
    .set({ state: 'cancelled' })
    .where('id', '=', late.id)
    .execute();
  await triggers.evaluate(NOW);
  expect((await openOf(org.id)).map((a) => a.entity_id)).toEqual([running.id]);
});

it('announces a directive within the warning window, then overdue, and clears both once no longer open', async () => {
  const org = await insertOrganization(db.db);
  await db.db
    .insertInto('org_policies')
    .values({ org_id: org.id, directive_warning_days: 10 })
    .onConflict((oc) => oc.column('org_id').doUpdateSet({ directive_warning_days: 10 }))
    .execute();
  const far = await insertAircraftDirective(db.db, { org_id: org.id, next_due_date: '2026-06-26' });
  const near = await insertAircraftDirective(db.db, { org_id: org.id, next_due_date: '2026-06-25' });
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toMatchObject([
    { category: 'directive_due', level: 'warning', entity_id: near.id, threshold: '10', current_value: '10' },
  ]);

  await db.db
    .updateTable('aircraft_directives')
    .set({ status: 'overdue' })
    .where('id', '=', near.id)
    .execute();
  await triggers.evaluate(NOW);
  expect((await openOf(org.id)).map((a) => [a.category, a.level])).toEqual([
    ['directive_overdue', 'critical'],
  ]);

  await db.db
    .updateTable('aircraft_directives')
    .set({ status: 'not_applicable', status_reason: 'engineering review' })
    .where('id', 'in', [near.id, far.id])
    .execute();
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toEqual([]);
});

it('warns of low stock at the reorder point, goes critical when none is left, and clears on replenishment', async () => {
  const org = await insertOrganization(db.db);
  const definition = await insertPartDefinition(db.db, { org_id: org.id, reorder_point: 2 });
  await insertPartDefinition(db.db, { org_id: org.id });
  const items = [];
  for (let i = 0; i < 3; i++) items.push(await insertPartItem(db.db, { part_definition_id: definition.id }));
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toEqual([]);

  await insertReservation(db.db, { part_item_id: items[0]!.id });
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toMatchObject([
    { category: 'part_low_stock', level: 'warning', current_value: '2' },
  ]);

  await insertReservation(db.db, { part_item_id: items[1]!.id });
  await insertReservation(db.db, { part_item_id: items[2]!.id });
  await triggers.evaluate(NOW);
  expect((await openOf(org.id)).map((a) => [a.category, a.level])).toEqual([
    ['part_out_of_stock', 'critical'],
  ]);

  for (let i = 0; i < 3; i++) await insertPartItem(db.db, { part_definition_id: definition.id });
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toEqual([]);
  expect((await alertsOf(org.id)).every((a) => a.resolved_automatically)).toBe(true);
});

it('reports a webhook whose deliveries failed for good in the last day, until one is delivered', async () => {
  const org = await insertOrganization(db.db);
  const webhook = await insertWebhook(db.db, { org_id: org.id });
  const stale = await insertWebhook(db.db, { org_id: org.id });
  await insertWebhookDelivery(db.db, {
    webhook_id: stale.id,
    status: 'failed',
    updated_at: later(-30 * HOUR),
  });
  await insertWebhookDelivery(db.db, {
    webhook_id: webhook.id,
    status: 'failed',
    updated_at: later(-2 * HOUR),
  });
  await insertWebhookDelivery(db.db, { webhook_id: webhook.id, status: 'failed', updated_at: later(-HOUR) });
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toMatchObject([
    { category: 'webhook_failing', level: 'warning', entity_id: webhook.id, current_value: '2' },
  ]);

  await insertWebhookDelivery(db.db, {
    webhook_id: webhook.id,
    status: 'delivered',
    delivered_at: later(-60_000),
  });
  await triggers.evaluate(NOW);
  expect(await openOf(org.id)).toEqual([]);
});

it('marks an aircraft AOG while it has an open AOG task', async () => {
  const aircraft = await insertAircraft(db.db);
  const task = await insertTask(db.db, {
    aircraft_id: aircraft.id,
    priority: 'aog',
    start_time: later(HOUR),
    end_time: later(3 * HOUR),
  });
  await triggers.evaluate(NOW);
  expect(await openOf(aircraft.org_id)).toMatchObject([
    { category: 'aircraft_aog', level: 'critical', entity_id: aircraft.id, aircraft_id: aircraft.id },
  ]);
  await db.db
    .updateTable('maintenance_tasks')
    .set({ state: 'cancelled' })
    .where('id', '=', task.id)
    .execute();
  await triggers.evaluate(NOW);
  expect(await openOf(aircraft.org_id)).toEqual([]);
});

it('raises one alert and one event when two evaluations race', async () => {
  const { orgId } = await certificationExpiringIn(5);
  const racer = new AlertTriggerService({ uow: new PgUnitOfWork(db.db) });
  await Promise.all([triggers.evaluate(NOW), racer.evaluate(NOW), triggers.evaluate(NOW)]);
  const alerts = await alertsOf(orgId);
  expect(alerts).toHaveLength(1);
  expect((await eventsOf(alerts[0]!.id)).map((e) => e.event_type)).toEqual(['alert_raised']);
});

it('changes alerts in batches until every condition is seen', async () => {
  const org = await insertOrganization(db.db);
  const aircraft = await insertAircraft(db.db, { org_id: org.id });
  for (let i = 0; i < 5; i++)
    await insertTask(db.db, {
      aircraft_id: aircraft.id,
      start_time: later(-(i + 1) * 3 * HOUR),
      end_time: later(-(i + 1) * 3 * HOUR + HOUR),
    });
  const small = new AlertTriggerService({ uow: new PgUnitOfWork(db.db), batchSize: 2 });
  await small.evaluate(NOW);
  expect(await openOf(org.id)).toHaveLength(5);
});

it('runs evaluation then escalation as the worker job, with a summary', async () => {
  await certificationExpiringIn(70);
  const job = alertTriggersJob(triggers, { everyMs: 300_000, now: () => NOW });
  expect(job).toMatchObject({ name: 'alert-triggers', runAtStart: true, schedule: { everyMs: 300_000 } });
  expect(await job.run()).toMatch(/^raised \d+, louder \d+, resolved \d+, escalated \d+ alert\(s\)$/);
});

/** An open info alert of a new org raised at NOW, and that org's escalation policy. */
async function infoAlert(escalateAfter = '4 hours') {
  const { orgId } = await certificationExpiringIn(80);
  await db.db
    .insertInto('org_policies')
    .values({ org_id: orgId, alert_escalation_after: escalateAfter })
    .onConflict((oc) => oc.column('org_id').doUpdateSet({ alert_escalation_after: escalateAfter }))
    .execute();
  await triggers.evaluate(NOW);
  const [alert] = await alertsOf(orgId);
  return { orgId, alertId: alert!.id };
}

const levelOf = async (alertId: string) =>
  db.db
    .selectFrom('alerts')
    .select(['level', 'escalation_level', 'escalated_at'])
    .where('id', '=', alertId)
    .executeTakeFirstOrThrow();

it('escalates an unacknowledged alert one level per policy period, never before, once per level', async () => {
  const { alertId } = await infoAlert();
  await triggers.escalate(later(4 * HOUR - 1000));
  expect(await levelOf(alertId)).toMatchObject({ level: 'info', escalation_level: 0 });

  await triggers.escalate(later(4 * HOUR));
  await triggers.escalate(later(5 * HOUR));
  expect(await levelOf(alertId)).toEqual({
    level: 'warning',
    escalation_level: 1,
    escalated_at: later(4 * HOUR),
  });

  await triggers.escalate(later(8 * HOUR));
  await triggers.escalate(later(30 * HOUR));
  expect(await levelOf(alertId)).toEqual({
    level: 'critical',
    escalation_level: 2,
    escalated_at: later(8 * HOUR),
  });
  const events = await eventsOf(alertId);
  expect(events.map((e) => e.event_type)).toEqual(['alert_raised', 'alert_escalated', 'alert_escalated']);
  expect(events[1]!.payload).toMatchObject({
    data: { level: 'warning', escalated: true, escalation_level: 1 },
  });
});

it("follows the organization's alert_escalation_after", async () => {
  const { alertId } = await infoAlert('1 hour');
  await triggers.escalate(later(HOUR));
  expect(await levelOf(alertId)).toMatchObject({ level: 'warning', escalation_level: 1 });
});

it('never escalates an acknowledged alert', async () => {
  const { orgId, alertId } = await infoAlert();
  const scheduler = await insertUser(db.db, { org_id: orgId, role: 'scheduler' });
  await db.db
    .updateTable('alerts')
    .set({ acknowledged_by: scheduler.id, acknowledged_by_org_id: orgId, acknowledged_at: later(HOUR) })
    .where('id', '=', alertId)
    .execute();
  await triggers.escalate(later(48 * HOUR));
  expect(await levelOf(alertId)).toMatchObject({ level: 'info', escalation_level: 0 });
});

it('escalates each due alert once when two workers escalate at the same time', async () => {
  const { alertId } = await infoAlert();
  const racer = new AlertTriggerService({ uow: new PgUnitOfWork(db.db) });
  await Promise.all([triggers.escalate(later(4 * HOUR)), racer.escalate(later(4 * HOUR))]);
  expect(await levelOf(alertId)).toMatchObject({ level: 'warning', escalation_level: 1 });
  expect((await eventsOf(alertId)).filter((e) => e.event_type === 'alert_escalated')).toHaveLength(1);
});
