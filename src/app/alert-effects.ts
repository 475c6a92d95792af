import type { AlertCategory, AlertEntityType, AlertLevel } from '../domain/alert.js';
import { domainEvent, type DomainEvent } from '../domain/events.js';
import type { AuditEntry } from './audit.js';

/** An alert as the repositories read it (one row of `alerts`). */
export interface AlertRecord {
  id: string;
  orgId: string;
  level: AlertLevel;
  category: AlertCategory;
  title: string;
  description: string;
  entityType: AlertEntityType;
  entityId: string;
  aircraftId: string | null;
  userId: string | null;
  /** numeric in the database: kept as its exact text. */
  threshold: string | null;
  currentValue: string | null;
  unit: string | null;
  escalationLevel: number;
  escalatedAt: Date | null;
  levelChangedAt: Date;
  acknowledgedBy: string | null;
  acknowledgedAt: Date | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  resolvedAutomatically: boolean;
  resolutionNote: string | null;
  raisedAt: Date;
  updatedAt: Date;
}

/** The alert on the wire: `GET /alerts/{id}`, the lists, and the `data` of every alert event. */
export interface AlertView {
  id: string;
  org_id: string;
  level: AlertLevel;
  category: AlertCategory;
  title: string;
  description: string;
  entity_type: AlertEntityType;
  entity_id: string;
  aircraft_id: string | null;
  user_id: string | null;
  threshold: number | null;
  current_value: number | null;
  unit: string | null;
  escalation_level: number;
  escalated: boolean;
  escalated_at: string | null;
  level_changed_at: string;
  acknowledged: boolean;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  resolved: boolean;
  resolved_by: string | null;
  resolved_at: string | null;
  resolved_automatically: boolean;
  resolution_note: string | null;
  raised_at: string;
  updated_at: string;
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());
const numberOrNull = (value: string | null) => (value === null ? null : Number(value));

export function alertView(alert: AlertRecord): AlertView {
  return {
    id: alert.id,
    org_id: alert.orgId,
    level: alert.level,
    category: alert.category,
    title: alert.title,
    description: alert.description,
    entity_type: alert.entityType,
    entity_id: alert.entityId,
    aircraft_id: alert.aircraftId,
    user_id: alert.userId,
    threshold: numberOrNull(alert.threshold),
    current_value: numberOrNull(alert.currentValue),
    unit: alert.unit,
    escalation_level: alert.escalationLevel,
    escalated: alert.escalationLevel > 0,
    escalated_at: iso(alert.escalatedAt),
    level_changed_at: alert.levelChangedAt.toISOString(),
    acknowledged: alert.acknowledgedAt !== null,
    acknowledged_by: alert.acknowledgedBy,
    acknowledged_at: iso(alert.acknowledgedAt),
    resolved: alert.resolvedAt !== null,
    resolved_by: alert.resolvedBy,
    resolved_at: iso(alert.resolvedAt),
    resolved_automatically: alert.resolvedAutomatically,
    resolution_note: alert.resolutionNote,
    raised_at: alert.raisedAt.toISOString(),
    updated_at: alert.updatedAt.toISOString(),
  };
}

/** What happened to an alert; each change is one audit row and one event of the matching type. */
export type AlertChange =
  | { kind: 'raised' }
  | { kind: 'level_changed'; previousLevel: AlertLevel }
  | { kind: 'escalated'; previousLevel: AlertLevel }
  | { kind: 'acknowledged' }
  | { kind: 'resolved' };

const EVENT_OF = {
  raised: 'alert_raised',
  level_changed: 'alert_level_changed',
  escalated: 'alert_escalated',
  acknowledged: 'alert_acknowledged',
  resolved: 'alert_resolved',
} as const;

/**
 * The audit row and the event of one change of an alert (after the change), for `mutate`. The
 * event's dedupe key names the change and the alert's state after it, so the same effect is never
 * published twice while every real change is.
 */
export function alertEffects(
  alert: AlertRecord,
  change: AlertChange,
  now: Date,
): { audit: AuditEntry; event: DomainEvent } {
  const view = alertView(alert);
  const previousLevel = 'previousLevel' in change ? change.previousLevel : undefined;
  const audit: AuditEntry = {
    orgId: alert.orgId,
    entityType: 'alert',
    entityId: alert.id,
    action: change.kind === 'raised' ? 'create' : 'state_change',
    before: previousLevel === undefined ? undefined : { level: previousLevel },
    after: view,
    extra: { change: change.kind },
  };
  const event = domainEvent({
    orgId: alert.orgId,
    type: EVENT_OF[change.kind],
    aggregateType: 'alert',
    aggregateId: alert.id,
    discriminator: change.kind === 'level_changed' || change.kind === 'escalated' ? [alert.level] : undefined,
    data: { ...view },
    occurredAt: now,
  });
  return { audit, event };
}
