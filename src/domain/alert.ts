/**
 * Alerts (issue 14): what the maintenance control centre is told, and the rules that decide how
 * loud. Pure functions; the trigger job applies the same thresholds set-based in SQL through
 * `src/infra/postgres/alert-triggers.ts`, which reads them from here.
 */
import type { Role } from './roles.js';

export const ALERT_LEVELS = ['info', 'warning', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const ALERT_CATEGORIES = [
  'certification_expiring',
  'certification_expired',
  'task_overdue',
  'directive_due',
  'directive_overdue',
  'part_low_stock',
  'part_out_of_stock',
  'webhook_failing',
  'aircraft_aog',
] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

export const ALERT_ENTITY_TYPES = [
  'certification',
  'task',
  'aircraft_directive',
  'part_definition',
  'webhook',
  'aircraft',
] as const;
export type AlertEntityType = (typeof ALERT_ENTITY_TYPES)[number];

/** What each category is about: one entity type per category. */
export const ALERT_ENTITY_OF: Record<AlertCategory, AlertEntityType> = {
  certification_expiring: 'certification',
  certification_expired: 'certification',
  task_overdue: 'task',
  directive_due: 'aircraft_directive',
  directive_overdue: 'aircraft_directive',
  part_low_stock: 'part_definition',
  part_out_of_stock: 'part_definition',
  webhook_failing: 'webhook',
  aircraft_aog: 'aircraft',
};

/** The order of levels: a higher rank is louder. */
export function levelRank(level: AlertLevel): number {
  return ALERT_LEVELS.indexOf(level);
}

/** The louder of two levels: a condition that worsens raises the open alert, never lowers it. */
export function louder(a: AlertLevel, b: AlertLevel): AlertLevel {
  return levelRank(a) >= levelRank(b) ? a : b;
}

/**
 * Days before a certification's expiry from which it is announced, loudest last: within 90 days
 * info, within 60 warning, within 30 critical. An expired one is `certification_expired`, critical.
 */
export const CERTIFICATION_EXPIRY_THRESHOLDS: readonly { withinDays: number; level: AlertLevel }[] = [
  { withinDays: 30, level: 'critical' },
  { withinDays: 60, level: 'warning' },
  { withinDays: 90, level: 'info' },
];

/** The level of a certification `daysLeft` days from expiry, or undefined when it is not yet announced. */
export function certificationExpiryLevel(daysLeft: number): AlertLevel | undefined {
  return CERTIFICATION_EXPIRY_THRESHOLDS.find((threshold) => daysLeft <= threshold.withinDays)?.level;
}

/** The threshold (days) a certification `daysLeft` days from expiry has crossed, for the alert's record. */
export function certificationExpiryThreshold(daysLeft: number): number | undefined {
  return CERTIFICATION_EXPIRY_THRESHOLDS.find((threshold) => daysLeft <= threshold.withinDays)?.withinDays;
}

/** An overdue task of these priorities is critical at once; any other is a warning. */
export const CRITICAL_TASK_PRIORITIES = ['aog', 'critical'] as const;

export function taskOverdueLevel(priority: string): AlertLevel {
  return (CRITICAL_TASK_PRIORITIES as readonly string[]).includes(priority) ? 'critical' : 'warning';
}

/** The fixed level of every other category (the ones without thresholds of their own). */
export const CATEGORY_LEVEL: Record<
  Exclude<AlertCategory, 'certification_expiring' | 'task_overdue'>,
  AlertLevel
> = {
  certification_expired: 'critical',
  directive_due: 'warning',
  directive_overdue: 'critical',
  part_low_stock: 'warning',
  part_out_of_stock: 'critical',
  webhook_failing: 'warning',
  aircraft_aog: 'critical',
};

/** The default of `org_policies.alert_escalation_after`: four hours without an acknowledgement. */
export const DEFAULT_ALERT_ESCALATION_AFTER_MS = 4 * 60 * 60 * 1000;

/** The level an escalation moves to, or undefined when the alert is already critical. */
export function escalatedLevel(level: AlertLevel): AlertLevel | undefined {
  return ALERT_LEVELS[levelRank(level) + 1];
}

/** What escalation needs to know of an open alert. */
export interface EscalationCandidate {
  level: AlertLevel;
  levelChangedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
}

/**
 * Whether an alert moves up a level now: open, not acknowledged, below critical, and at its level
 * for `afterMs` or longer. Counting from the last level change makes it once per level.
 */
export function isDueForEscalation(alert: EscalationCandidate, now: Date, afterMs: number): boolean {
  return (
    alert.resolvedAt === null &&
    alert.acknowledgedAt === null &&
    escalatedLevel(alert.level) !== undefined &&
    now.getTime() - alert.levelChangedAt.getTime() >= afterMs
  );
}

/** What acknowledging or resolving needs to know of an alert. */
export interface AlertState {
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  /** The person the alert is about (a certification's holder, an overdue task's mechanic). */
  userId: string | null;
}

/** Why an alert cannot be acknowledged or resolved, named like the API's reasons. */
export type AlertRefusal =
  | { kind: 'conflict'; reason: 'ALERT_ALREADY_ACKNOWLEDGED' | 'ALERT_ALREADY_RESOLVED'; message: string }
  | { kind: 'forbidden'; reason: 'ALERT_NOT_YOURS'; message: string };

/** Who is acting, as far as the alert rules care. */
export interface AlertActor {
  role: Role;
  userId: string | null;
}

/** A mechanic acts only on the alerts about them; every other role allowed by RBAC on any. */
function notYours(alert: AlertState, actor: AlertActor): AlertRefusal | undefined {
  if (actor.role !== 'mechanic' || (alert.userId !== null && alert.userId === actor.userId)) return undefined;
  return {
    kind: 'forbidden',
    reason: 'ALERT_NOT_YOURS',
    message:
      'a mechanic may acknowledge and resolve only the alerts about them (their certifications, their tasks)',
  };
}

/** Why `actor` may not acknowledge the alert now, or undefined when they may. */
export function acknowledgeRefusal(alert: AlertState, actor: AlertActor): AlertRefusal | undefined {
  if (alert.resolvedAt !== null)
    return {
      kind: 'conflict',
      reason: 'ALERT_ALREADY_RESOLVED',
      message: 'the alert is resolved and can no longer be acknowledged',
    };
  if (alert.acknowledgedAt !== null)
    return {
      kind: 'conflict',
      reason: 'ALERT_ALREADY_ACKNOWLEDGED',
      message: 'the alert is already acknowledged',
    };
  return notYours(alert, actor);
}

/** Why `actor` may not resolve the alert now, or undefined when they may. */
export function resolveRefusal(alert: AlertState, actor: AlertActor): AlertRefusal | undefined {
  if (alert.resolvedAt !== null)
    return { kind: 'conflict', reason: 'ALERT_ALREADY_RESOLVED', message: 'the alert is already resolved' };
  return notYours(alert, actor);
}

/**
 * A webhook is failing while a delivery to it failed for good (every attempt used, dead-lettered)
 * within this many hours and none has been delivered since.
 */
export const WEBHOOK_FAILING_WINDOW_HOURS = 24;
