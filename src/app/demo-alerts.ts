import { ALERT_LEVELS, type AlertLevel } from '../domain/alert.js';
import type { UserActor } from './actor.js';
import type { AlertRecord } from './alert-effects.js';
import { AlertTriggerService } from './alert-triggers.js';
import { AlertService } from './alerts.js';
import type { UnitOfWork } from './ports.js';

/** The demo user who acknowledges and resolves the demo's alerts. */
export const DEMO_ALERT_HANDLER_EMAIL = 'scheduler@demo.local';

/** What seeding the demo's alerts did. */
export interface DemoAlertsResult {
  /** Alerts raised by the evaluation. */
  raised: number;
  acknowledged: boolean;
  resolved: boolean;
}

/**
 * After the demo data exists: evaluates every alert condition once, then — once per organization —
 * the demo scheduler acknowledges one open alert and resolves another by hand, so a fresh start
 * shows open alerts of each level the data gives (the demo's certifications, tasks, directives and
 * stock), an acknowledged one and a resolved one. Both are picked from the level with most open
 * alerts, so no level is emptied. Idempotent: a second run only re-evaluates.
 */
export async function seedDemoAlerts(
  uow: UnitOfWork,
  orgId: string,
  now: Date = new Date(),
): Promise<DemoAlertsResult> {
  const counts = await new AlertTriggerService({ uow }).evaluate(now);
  const result: DemoAlertsResult = { raised: counts.raised, acknowledged: false, resolved: false };
  const [handler] = await uow.repos.users.findCredentials(DEMO_ALERT_HANDLER_EMAIL, orgId);
  if (!handler) return result;
  const actor: UserActor = { kind: 'user', userId: handler.id, orgId, role: handler.role, scopes: [] };
  const handled = await uow.repos.alertTriggers.handledByPeople(orgId);

  // Through the alert service, as the scheduler would in the console: the same rules, audit and events.
  const alerts = new AlertService({ uow, now: () => now });
  if (handled.acknowledged === 0) {
    const alert = pick(await uow.repos.alertTriggers.openAlerts(orgId), { unacknowledged: true });
    if (alert) result.acknowledged = Boolean(await alerts.acknowledge({ actor }, alert.id, { orgId }));
  }
  if (handled.resolved === 0) {
    const alert = pick(await uow.repos.alertTriggers.openAlerts(orgId), { unacknowledged: true });
    if (alert)
      result.resolved = Boolean(
        await alerts.resolve({ actor }, alert.id, {
          orgId,
          note: 'Checked with the maintenance control centre: handled (demo).',
        }),
      );
  }
  return result;
}

/** An alert of the level with the most open (unacknowledged) alerts, when that level has two or more. */
function pick(alerts: AlertRecord[], options: { unacknowledged: boolean }): AlertRecord | undefined {
  const candidates = alerts.filter((a) => !options.unacknowledged || a.acknowledgedAt === null);
  const byLevel = new Map<AlertLevel, AlertRecord[]>(ALERT_LEVELS.map((level) => [level, []]));
  for (const alert of candidates) byLevel.get(alert.level)!.push(alert);
  const [, most] = [...byLevel].sort(([, a], [, b]) => b.length - a.length)[0]!;
  return most.length >= 2 ? most.at(-1) : candidates.at(-1);
}
