import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedDemoData } from '../../src/app/demo-data.js';
import { DEMO_ALERT_HANDLER_EMAIL, seedDemoAlerts } from '../../src/app/demo-alerts.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { createTestApp, type TestApp } from '../support/app.js';

// What `amss dev` shows on a fresh start once the lead wires seedDemoAlerts after the demo data.
let t: TestApp;
let orgId: string;

beforeAll(async () => {
  t = await createTestApp();
  orgId = (await seedDemoData(t.container.uow, (plain) => hashPassword(plain, 4))).orgId;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const alertsOf = () => t.db.db.selectFrom('alerts').selectAll().where('org_id', '=', orgId).execute();

it('shows open, acknowledged and resolved demo alerts, each handled by the demo scheduler, once', async () => {
  const first = await seedDemoAlerts(t.container.uow, orgId);
  expect(first).toMatchObject({ acknowledged: true, resolved: true });
  expect(first.raised).toBeGreaterThan(2);
  const again = await seedDemoAlerts(t.container.uow, orgId);
  // Only the alert resolved by hand comes back: its condition still holds, so the next evaluation
  // raises it afresh (as the worker's job would), and nothing is acknowledged or resolved twice.
  expect(again).toEqual({ raised: 1, acknowledged: false, resolved: false });

  const alerts = await alertsOf();
  const [scheduler] = await t.container.uow.repos.users.findCredentials(DEMO_ALERT_HANDLER_EMAIL, orgId);
  const acknowledged = alerts.filter((a) => a.acknowledged_at !== null);
  const byHand = alerts.filter((a) => a.resolved_by !== null);
  expect(acknowledged.map((a) => [a.acknowledged_by, a.resolved_at])).toEqual([[scheduler!.id, null]]);
  expect(byHand.map((a) => [a.resolved_by, a.resolved_automatically])).toEqual([[scheduler!.id, false]]);
  expect(alerts.filter((a) => a.resolved_at === null && a.acknowledged_at === null).length).toBeGreaterThan(
    0,
  );
  const audit = await t.db.db
    .selectFrom('audit_logs')
    .select('user_id')
    .where('entity_id', 'in', [acknowledged[0]!.id, byHand[0]!.id])
    .where('user_id', 'is not', null)
    .execute();
  expect(audit).toEqual([{ user_id: scheduler!.id }, { user_id: scheduler!.id }]);
});
