/** Event types published through the outbox. The specification's names, plus the same style for new ones. */
export const EVENT_TYPES = [
  // the specification's
  'task_created',
  'task_state_changed',
  'part_reserved',
  'aircraft_status_updated',
  'compliance_signed',
  'program_task_generated',
  'audit_logged',
  // the same style for every other effect
  'organization_created',
  'organization_updated',
  'organization_deleted',
  'org_policy_updated',
  'user_created',
  'user_updated',
  'user_deleted',
  'aircraft_created',
  'aircraft_updated',
  'aircraft_deleted',
  'aircraft_usage_recorded',
  'program_created',
  'program_updated',
  'program_deleted',
  'task_updated',
  'task_deleted',
  'part_definition_created',
  'part_definition_updated',
  'part_definition_deleted',
  'part_item_created',
  'part_item_updated',
  'part_item_deleted',
  'part_used',
  'part_released',
  'compliance_item_created',
  'compliance_item_updated',
  'compliance_item_deleted',
  'webhook_created',
  'webhook_deleted',
  'webhook_test',
  'api_key_created',
  'api_key_revoked',
  'import_created',
  'import_completed',
  'import_failed',
  // reference data (an organization's own certification and skill types)
  'certification_type_created',
  'certification_type_updated',
  'certification_type_deleted',
  'skill_type_created',
  'skill_type_updated',
  'skill_type_deleted',
  // issue 11: electronic signature and independent inspection
  'compliance_item_inspected',
  // people records (issue 11)
  'certification_created',
  'certification_updated',
  'certification_deleted',
  'type_rating_created',
  'type_rating_updated',
  'type_rating_deleted',
  'skill_created',
  'skill_updated',
  'skill_deleted',
  'recency_logged',
  'recency_updated',
  'recency_deleted',
  // issue 11: task skill requirements (a completed task's hours are recency_logged above)
  'skill_requirement_created',
  'skill_requirement_updated',
  'skill_requirement_deleted',
  // issue 12: an organization's registrations (approvals) under a regulatory authority
  'registration_created',
  'registration_updated',
  'registration_deleted',
  // issue 12: airworthiness directives
  'directive_created',
  'directive_updated',
  'directive_deleted',
  'directive_fleet_scanned',
  // issue 12: compliance with a directive on an aircraft, and its status set by hand or by a task
  'directive_compliance_recorded',
  'directive_status_changed',
  // issue 12: the due tracker turns a directive limit past into overdue
  'directive_overdue',
  // issue 13: dependencies between tasks
  'task_dependency_added',
  'task_dependency_removed',
  // issue 13: a task's window moved by a reschedule (one per task moved, the cascaded ones too)
  'task_rescheduled',
  // issue 13: a definition's available stock crossed its reorder point or zero (src/domain/stock.ts)
  'part_stock_low',
  'part_out_of_stock',
  'part_stock_replenished',
  // issue 14: alerts — raised, worse (level_changed), escalated for want of an acknowledgement,
  // acknowledged, resolved (by a person or automatically)
  'alert_raised',
  'alert_level_changed',
  'alert_escalated',
  'alert_acknowledged',
  'alert_resolved',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Version of the payload layout; consumers switch on it. */
export const EVENT_PAYLOAD_VERSION = 1;

/** A business event, recorded in the outbox in the transaction that caused it. */
export interface DomainEvent {
  orgId: string;
  type: EventType;
  aggregateType: string;
  aggregateId: string;
  /**
   * Stable and unique per effect, so the same effect can never be published twice, e.g.
   * `task_created:{org_id}:{task_id}` or `task_state_changed:{org_id}:{task_id}:{state}:{version}`.
   */
  dedupeKey: string;
  payload: EventPayload;
}

/** The JSON every consumer receives: version 1, the org, the ids, the time and the event's data. */
export interface EventPayload {
  version: typeof EVENT_PAYLOAD_VERSION;
  event_type: EventType;
  org_id: string;
  aggregate_type: string;
  aggregate_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface EventInput {
  orgId: string;
  type: EventType;
  aggregateType: string;
  aggregateId: string;
  /** What makes this effect unique beyond type, org and aggregate (a state and version, a change id). */
  discriminator?: string | number | (string | number)[];
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** Builds an event with its payload and its dedupe key `{type}:{org}:{aggregate}[:{discriminator…}]`. */
export function domainEvent(input: EventInput): DomainEvent {
  const extra = input.discriminator === undefined ? [] : [input.discriminator].flat();
  return {
    orgId: input.orgId,
    type: input.type,
    aggregateType: input.aggregateType,
    aggregateId: input.aggregateId,
    dedupeKey: [input.type, input.orgId, input.aggregateId, ...extra].join(':'),
    payload: {
      version: EVENT_PAYLOAD_VERSION,
      event_type: input.type,
      org_id: input.orgId,
      aggregate_type: input.aggregateType,
      aggregate_id: input.aggregateId,
      occurred_at: input.occurredAt.toISOString(),
      data: input.data,
    },
  };
}
