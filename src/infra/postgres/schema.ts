/**
 * Kysely table types for the AMSS schema (migrations/0000N_*.sql). Keep in step with the migrations:
 * `npx tsx scripts/check-migrations.ts` compares these interfaces with the migrated database.
 *
 * Value conventions of node-postgres as configured by AMSS: timestamptz → Date, numeric and bigint →
 * string, jsonb → parsed JSON, text[] → string[], interval → string (a type parser returns the
 * Postgres text form), tstzrange → string.
 */
import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

// ---------------------------------------------------------------------------------------------
// Column helpers
// ---------------------------------------------------------------------------------------------

/** A `timestamptz` column: read as Date, written as Date or an RFC 3339 string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A `timestamptz` column with a database default (usually `now()`). */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A `numeric` column: read as string (exact), written as string or number. */
export type Numeric = ColumnType<string, string | number, string | number>;
/** A `numeric` column with a database default. */
export type GeneratedNumeric = ColumnType<string, string | number | undefined, string | number>;

/** A `date` column: a calendar day as 'YYYY-MM-DD' (a type parser keeps PostgreSQL's text). */
export type CalendarDate = ColumnType<string, string, string>;

/** An `interval` column in its Postgres text form, e.g. `'24:00:00'`, `'365 days'`. */
export type Interval = ColumnType<string, string, string>;
/** An `interval` column with a database default. */
export type GeneratedInterval = ColumnType<string, string | undefined, string>;

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A `jsonb` column: read as parsed JSON of shape `S`, written as JSON text (`JSON.stringify(value)`).
 * Written as text on purpose: node-postgres would serialise a JS array as a Postgres array literal.
 */
export type Json<S = JsonValue> = ColumnType<S, string, string>;
/** A `jsonb` column with a database default. */
export type GeneratedJson<S = JsonValue> = ColumnType<S, string | undefined, string>;

// ---------------------------------------------------------------------------------------------
// Enum types (one per Postgres enum)
// ---------------------------------------------------------------------------------------------

export type UserRole = 'admin' | 'tenant_admin' | 'scheduler' | 'mechanic' | 'auditor';
export type AircraftStatus = 'operational' | 'maintenance' | 'grounded';
export type AircraftStatusSource = 'manual' | 'automatic';
export type TaskType = 'inspection' | 'repair' | 'overhaul';
export type TaskState = 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
export type TaskPriority = 'routine' | 'urgent' | 'aog' | 'critical';
export type AlertLevel = 'info' | 'warning' | 'critical';
export type AlertCategory =
  | 'certification_expiring'
  | 'certification_expired'
  | 'task_overdue'
  | 'directive_due'
  | 'directive_overdue'
  | 'part_low_stock'
  | 'part_out_of_stock'
  | 'webhook_failing'
  | 'aircraft_aog';
export type AlertEntityType =
  'certification' | 'task' | 'aircraft_directive' | 'part_definition' | 'webhook' | 'aircraft';
export type DependencyType = 'finish_to_start' | 'start_to_start' | 'finish_to_finish';
export type PartItemStatus = 'in_stock' | 'used' | 'disposed';
export type ReservationState = 'reserved' | 'used' | 'released';
export type ProgramIntervalType = 'flight_hours' | 'cycles' | 'calendar';
export type ComplianceResult = 'pass' | 'fail' | 'pending';
export type AuditAction = 'create' | 'update' | 'delete' | 'state_change';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type ImportType = 'aircraft' | 'parts' | 'programs';
export type ImportStatus = 'pending' | 'validating' | 'applying' | 'completed' | 'failed';
export type ImportRowStatus = 'pending' | 'valid' | 'invalid' | 'applied';
export type OutboxStatus = 'pending' | 'processed' | 'failed';
export type CertificationStatus = 'active' | 'suspended' | 'revoked';
export type DirectiveType = 'ad' | 'emergency_ad' | 'sb' | 'alert_sb' | 'eo';
export type DirectiveApplicability = 'mandatory' | 'recommended' | 'optional';
export type DirectiveStatus = 'active' | 'superseded' | 'cancelled';
export type CalendarUnit = 'days' | 'months' | 'years';
export type DirectiveTrackingStatus =
  'pending' | 'in_progress' | 'complied' | 'not_applicable' | 'deferred' | 'overdue';

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/** A tenant (airline or MRO customer); soft-deleted, name unique case-insensitively among live orgs. */
export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** Per-org tunables: retention, webhook retry/replay limits, API rate limits, grounding lead time. */
export interface OrgPoliciesTable {
  org_id: string;
  retention_interval: GeneratedInterval;
  max_webhook_attempts: Generated<number>;
  webhook_replay_window_seconds: Generated<number>;
  api_rate_limit_per_min: Generated<number>;
  api_key_rate_limit_per_min: Generated<number>;
  grounding_lead_time: GeneratedInterval;
  /** Whether a sign-off or an inspection re-enters the signer's password (default true). */
  sign_off_reauthentication: Generated<boolean>;
  /** Days before a directive's due date from which it counts as due soon (default 30). */
  directive_warning_days: Generated<number>;
  /** How long an alert waits for an acknowledgement before it moves up a level (default 4 h). */
  alert_escalation_after: GeneratedInterval;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** A login of one org with one role; email (citext) unique per org among live users. */
export interface UsersTable {
  id: Generated<string>;
  org_id: string;
  email: string;
  role: UserRole;
  password_hash: string;
  last_login: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
  /** Access tokens issued before this are refused (set by a password change). */
  sessions_revoked_at: Timestamp | null;
}

/** An API key of an org, stored as the hex SHA-256 of its secret; acts for its creator with its scope's rights. */
export interface ApiKeysTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  /** `read_only` or a role. */
  scope: string;
  secret_hash: string;
  /** `amss_` and the secret's first characters. */
  hint: string;
  created_by: string;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A rotating refresh token, stored as the hex SHA-256 of the token; one family per login. */
export interface RefreshTokensTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Timestamp;
  created_at: GeneratedTimestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  replaced_by: string | null;
}

/** An aircraft of the fleet, with its usage counters; tail number unique per org among live rows. */
export interface AircraftTable {
  id: Generated<string>;
  org_id: string;
  tail_number: string;
  model: string;
  last_maintenance: Timestamp | null;
  next_due: Timestamp | null;
  status: Generated<AircraftStatus>;
  /** Whether a person (`manual`) or the grounding workflow (`automatic`) set the status. */
  status_source: Generated<AircraftStatusSource>;
  capacity_slots: Generated<number>;
  flight_hours_total: GeneratedNumeric;
  cycles_total: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
  /** The aircraft's ICAO type (global reference data); null while unknown. */
  aircraft_type_id: string | null;
  /** The manufacturer serial number (MSN); directives name serial ranges. */
  serial_number: string | null;
}

/** One reported flight of an aircraft; (org, aircraft, source_ref) is unique so a re-sent flight counts once. */
export interface AircraftUsageTable {
  id: Generated<string>;
  org_id: string;
  aircraft_id: string;
  source_ref: string;
  flight_hours: Numeric;
  cycles: number;
  recorded_at: Timestamp;
  created_at: GeneratedTimestamp;
  created_by_org_id: string | null;
  created_by: string | null;
}

/** A recurring maintenance requirement (calendar days, flight hours or cycles) that generates tasks. */
export interface MaintenanceProgramsTable {
  id: Generated<string>;
  org_id: string;
  aircraft_id: string | null;
  name: string;
  interval_type: ProgramIntervalType;
  interval_value: number;
  last_performed: Timestamp | null;
  last_performed_flight_hours: Numeric | null;
  last_performed_cycles: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
  /** How early a task is generated, in the program's units; null: a tenth of the interval (at least 1). */
  lead_value: number | null;
  /** The type of the tasks the generator creates. */
  task_type: Generated<TaskType>;
  /** How long a generated task's window is. */
  task_duration_minutes: Generated<number>;
  /** The priority of the tasks it generates. */
  task_priority: Generated<TaskPriority>;
}

/** A maintenance task in a time window; live scheduled/in-progress tasks of one aircraft never overlap. */
export interface MaintenanceTasksTable {
  id: Generated<string>;
  org_id: string;
  aircraft_id: string;
  program_id: string | null;
  type: TaskType;
  state: Generated<TaskState>;
  start_time: Timestamp;
  end_time: Timestamp;
  assigned_mechanic_id: string | null;
  notes: string | null;
  version: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
  /** Computed by the database (`tstzrange` text, e.g. `["2025-01-01 10:00:00+00","…")`); never written. */
  active_window: GeneratedAlways<string | null>;
  /** When the task moved to in_progress. */
  started_at: Timestamp | null;
  /** When the task moved to completed; with started_at, its worked time. */
  completed_at: Timestamp | null;
  /** The directive this task complies with, when it was booked for one. */
  directive_id: string | null;
  /** How urgent the task is. */
  priority: Generated<TaskPriority>;
}

/** A kind of part (catalogue entry) with optional stock thresholds; name unique per org among live rows. */
export interface PartDefinitionsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  category: string;
  min_stock_level: number | null;
  reorder_point: number | null;
  lead_time_days: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** One serialized physical part; serial number unique per org among live rows. */
export interface PartItemsTable {
  id: Generated<string>;
  org_id: string;
  part_definition_id: string;
  serial_number: string;
  status: Generated<PartItemStatus>;
  expiry_date: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** How many items of one part definition a task needs; one row per (task, definition). */
export interface TaskPartRequirementsTable {
  id: Generated<string>;
  org_id: string;
  task_id: string;
  part_definition_id: string;
  quantity: number;
  created_at: GeneratedTimestamp;
}

/** A part item held for a task; at most one `reserved` (and one `used`) reservation per item. */
export interface PartReservationsTable {
  id: Generated<string>;
  org_id: string;
  task_id: string;
  part_item_id: string;
  state: Generated<ReservationState>;
  quantity: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** A compliance check of a task; immutable once signed off (sign_off_user_id + sign_off_time set). */
export interface ComplianceItemsTable {
  id: Generated<string>;
  org_id: string;
  task_id: string;
  description: string;
  result: Generated<ComplianceResult>;
  sign_off_user_id: string | null;
  sign_off_time: Timestamp | null;
  /** Whether a second person must inspect the work after the sign-off (fixed once signed). */
  requires_inspection: Generated<boolean>;
  /** What the sign-off signature means: 'performed'; set with the sign-off. */
  sign_off_meaning: 'performed' | null;
  /** The independent inspector: never the signer (CHECK); set once, with `inspected_at`. */
  inspected_by: string | null;
  inspected_at: Timestamp | null;
  /** What the inspection signature means: 'inspected'. */
  inspection_meaning: 'inspected' | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** An ICAO aircraft type (global reference data, seeded by migration). */
export interface AircraftTypesTable {
  id: Generated<string>;
  designator: string;
  manufacturer: string;
  model: string;
  created_at: GeneratedTimestamp;
}

/** A kind of licence or certificate: global (org_id null, seeded) or an org's own. */
export interface CertificationTypesTable {
  id: Generated<string>;
  org_id: string | null;
  authority: string;
  code: string;
  name: string;
  description: string | null;
  expires: Generated<boolean>;
  confers_certifying: Generated<boolean>;
  confers_inspection: Generated<boolean>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** A kind of skill (NDT, borescope, …): global (org_id null, seeded) or an org's own. */
export interface SkillTypesTable {
  id: Generated<string>;
  org_id: string | null;
  code: string;
  name: string;
  category: string;
  description: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** A licence or certificate a person holds; "expired" is derived from expiry_date, never stored. */
export interface EmployeeCertificationsTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  certification_type_id: string;
  certificate_number: string;
  issue_date: Timestamp;
  expiry_date: Timestamp | null;
  status: Generated<CertificationStatus>;
  document_url: string | null;
  /** who verified it: (verified_by_org_id, verified_by) like the audit log's actor, both or neither */
  verified_by_org_id: string | null;
  verified_by: string | null;
  verified_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** An aircraft type endorsement, carried by one of the same user's certifications. */
export interface TypeRatingsTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  aircraft_type_id: string;
  certification_id: string;
  endorsed_date: Timestamp;
  expiry_date: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** A skill a person holds, with proficiency 1–5. */
export interface EmployeeSkillsTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  skill_type_id: string;
  proficiency: number;
  qualified: Generated<boolean>;
  expiry_date: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** Hours a person worked on an aircraft type: from a completed task (task_id) or entered by hand. */
export interface RecencyEntriesTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  aircraft_type_id: string;
  hours: Numeric;
  performed_at: Timestamp;
  task_id: string | null;
  notes: string | null;
  /** who entered it by hand: (created_by_org_id, created_by) like the audit log's actor, both or neither */
  created_by_org_id: string | null;
  created_by: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/**
 * What a person needs for a task type (optionally narrowed to an aircraft type and/or program).
 * Unflagged rows bind the performer; `certifying` rows the signer; `inspection` rows the inspector.
 */
export interface TaskSkillRequirementsTable {
  id: Generated<string>;
  org_id: string;
  task_type: TaskType;
  aircraft_type_id: string | null;
  program_id: string | null;
  certification_type_id: string | null;
  type_rating_required: Generated<boolean>;
  skill_type_id: string | null;
  min_proficiency: number | null;
  min_recency_hours: Numeric | null;
  recency_window_days: number | null;
  certifying: Generated<boolean>;
  inspection: Generated<boolean>;
  description: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** Append-only audit trail; org_id is the tenant whose data changed, (actor_org_id, user_id) the actor. */
export interface AuditLogsTable {
  id: Generated<string>;
  org_id: string;
  actor_org_id: string | null;
  user_id: string | null;
  actor: string;
  entity_type: string;
  entity_id: string;
  action: AuditAction;
  entity_version: Generated<number>;
  request_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  timestamp: GeneratedTimestamp;
  details: GeneratedJson<JsonObject>;
}

/** Transactional outbox: events written with the business change, published to Redis Streams. */
export interface OutboxEventsTable {
  id: Generated<string>;
  org_id: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  payload: Json<JsonObject>;
  dedupe_key: string;
  status: Generated<OutboxStatus>;
  attempt_count: Generated<number>;
  last_error: string | null;
  next_attempt_at: GeneratedTimestamp;
  locked_at: Timestamp | null;
  locked_by: string | null;
  created_at: GeneratedTimestamp;
  processed_at: Timestamp | null;
  failed_at: Timestamp | null;
  /**
   * Drawn as the event is inserted: the order the publisher claims events in (bigint, as text);
   * null for events recorded before migration 00010.
   */
  seq: Generated<string | null>;
}

/** A stored response for an Idempotency-Key, scoped to (org, user, key, endpoint); status 0 = in progress. */
export interface IdempotencyKeysTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  key: string;
  endpoint: string;
  request_hash: string;
  status_code: Generated<number>;
  response_body: string | null;
  response_headers: Json<Record<string, string>> | null;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
}

/**
 * The result of one mutation of an idempotent request, written in the mutation's transaction so a
 * retry after a crash finds what the first attempt did (`seq` numbers a request's mutations from 1).
 */
export interface IdempotencyMutationsTable {
  org_id: string;
  key_id: string;
  seq: number;
  result: Buffer | null;
  created_at: GeneratedTimestamp;
}

/** A webhook subscription of an org: target URL, subscribed event types and signing secret. */
export interface WebhooksTable {
  id: Generated<string>;
  org_id: string;
  url: string;
  events: string[];
  secret: string;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** One outbox event to be delivered to one webhook, with its retry state. */
export interface WebhookDeliveriesTable {
  id: Generated<string>;
  org_id: string;
  webhook_id: string;
  event_id: string;
  status: Generated<DeliveryStatus>;
  attempt_count: Generated<number>;
  last_error: string | null;
  next_attempt_at: GeneratedTimestamp;
  last_response_code: number | null;
  last_response_body: string | null;
  locked_at: Timestamp | null;
  locked_by: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  delivered_at: Timestamp | null;
}

/** A CSV import job (aircraft, parts or programs) and its row counts. */
export interface ImportsTable {
  id: Generated<string>;
  org_id: string;
  type: ImportType;
  status: Generated<ImportStatus>;
  file_name: string;
  file_path: string | null;
  created_by: string;
  total_rows: Generated<number>;
  valid_rows: Generated<number>;
  invalid_rows: Generated<number>;
  applied_rows: Generated<number>;
  summary: GeneratedJson<JsonObject>;
  error: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  /** The worker holding the import's lease, and until when (null when no worker holds it). */
  locked_by: string | null;
  locked_until: Timestamp | null;
  attempt_count: Generated<number>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

/** One parsed CSV row of an import (1-based row_number) with its validation errors. */
export interface ImportRowsTable {
  id: Generated<string>;
  org_id: string;
  import_id: string;
  row_number: number;
  raw: Json<JsonObject>;
  status: Generated<ImportRowStatus>;
  errors: GeneratedJson<string[]>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  /** created, updated or unchanged once the row is applied. */
  outcome: string | null;
}

/** The whole AMSS database, for `Kysely<DB>`. */
/** A regulatory authority (global reference data, seeded by migration). */
export interface RegulatoryAuthoritiesTable {
  id: Generated<string>;
  code: string;
  name: string;
  country: string | null;
  record_retention_years: number;
  website: string | null;
  created_at: GeneratedTimestamp;
}

/** A named checklist of compliance items under one authority (global reference data). */
export interface ComplianceTemplatesTable {
  id: Generated<string>;
  authority_id: string;
  code: string;
  name: string;
  description: string | null;
  created_at: GeneratedTimestamp;
}

/** One item of a compliance template, in checklist order. */
export interface ComplianceTemplateItemsTable {
  id: Generated<string>;
  template_id: string;
  position: number;
  description: string;
  requires_inspection: Generated<boolean>;
}

/** An organization's approval (AOC, Part-145, …) under an authority. */
export interface OrganizationRegistrationsTable {
  id: Generated<string>;
  org_id: string;
  authority_id: string;
  approval_type: string;
  certificate_number: string;
  valid_from: CalendarDate | null;
  valid_until: CalendarDate | null;
  scope: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
}

/** An airworthiness directive, service bulletin or engineering order of one org. */
export interface DirectivesTable {
  id: Generated<string>;
  org_id: string;
  authority_id: string;
  type: DirectiveType;
  reference_number: string;
  title: string;
  description: string | null;
  applicability: Generated<DirectiveApplicability>;
  applicable_tail_numbers: string[] | null;
  serial_from: string | null;
  serial_to: string | null;
  effective_date: CalendarDate;
  limit_date: CalendarDate | null;
  limit_days: number | null;
  limit_flight_hours: Numeric | null;
  limit_cycles: number | null;
  recurrence_calendar_value: number | null;
  recurrence_calendar_unit: CalendarUnit | null;
  recurrence_flight_hours: Numeric | null;
  recurrence_cycles: number | null;
  status: Generated<DirectiveStatus>;
  superseded_by: string | null;
  source_url: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  deleted_at: Timestamp | null;
  /** Full-text search vector over reference number, title and description (generated). */
  search: GeneratedAlways<string | null>;
}

/** An aircraft type a directive applies to. */
export interface DirectiveAircraftTypesTable {
  org_id: string;
  directive_id: string;
  aircraft_type_id: string;
}

/** A directive's tracking row on one aircraft: status and next due (whichever first). */
export interface AircraftDirectivesTable {
  id: Generated<string>;
  org_id: string;
  aircraft_id: string;
  directive_id: string;
  status: Generated<DirectiveTrackingStatus>;
  baseline_date: CalendarDate;
  baseline_flight_hours: Numeric;
  baseline_cycles: number;
  next_due_date: CalendarDate | null;
  next_due_flight_hours: Numeric | null;
  next_due_cycles: number | null;
  last_compliance_id: string | null;
  last_complied_at: Timestamp | null;
  status_reason: string | null;
  deferred_until_date: CalendarDate | null;
  deferred_until_flight_hours: Numeric | null;
  deferred_until_cycles: number | null;
  status_changed_by: string | null;
  status_changed_by_org_id: string | null;
  task_id: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** One signed act of compliance with a directive on an aircraft; immutable. */
export interface DirectiveComplianceRecordsTable {
  id: Generated<string>;
  org_id: string;
  aircraft_directive_id: string;
  aircraft_id: string;
  directive_id: string;
  performed_at: Timestamp;
  flight_hours: Numeric;
  cycles: number;
  method: string;
  notes: string | null;
  task_id: string | null;
  signed_by: string;
  signature_meaning: Generated<string>;
  signed_at: GeneratedTimestamp;
  next_due_date: CalendarDate | null;
  next_due_flight_hours: Numeric | null;
  next_due_cycles: number | null;
  created_at: GeneratedTimestamp;
}

/** A dependency of one task on another of the same organization; one per ordered pair. */
export interface TaskDependenciesTable {
  id: Generated<string>;
  org_id: string;
  predecessor_id: string;
  successor_id: string;
  type: Generated<DependencyType>;
  lag_minutes: Generated<number>;
  created_by: string | null;
  created_by_org_id: string | null;
  created_at: GeneratedTimestamp;
}

/** One move of a task's window (a reschedule, a cascade's move or an edit); immutable. */
export interface TaskScheduleChangesTable {
  id: Generated<string>;
  org_id: string;
  task_id: string;
  change_id: string;
  old_start_time: Timestamp;
  old_end_time: Timestamp;
  new_start_time: Timestamp;
  new_end_time: Timestamp;
  reason: string | null;
  cascaded_from_task_id: string | null;
  changed_by: string | null;
  changed_by_org_id: string | null;
  actor: string;
  changed_at: GeneratedTimestamp;
}

/** What the control centre is told (migration 00025); one open alert per (category, entity). */
export interface AlertsTable {
  id: Generated<string>;
  org_id: string;
  level: AlertLevel;
  category: AlertCategory;
  title: string;
  description: string;
  entity_type: AlertEntityType;
  entity_id: string;
  aircraft_id: string | null;
  user_id: string | null;
  threshold: Numeric | null;
  current_value: Numeric | null;
  unit: string | null;
  escalation_level: Generated<number>;
  escalated_at: Timestamp | null;
  level_changed_at: GeneratedTimestamp;
  acknowledged_by: string | null;
  acknowledged_by_org_id: string | null;
  acknowledged_at: Timestamp | null;
  resolved_by: string | null;
  resolved_by_org_id: string | null;
  resolved_at: Timestamp | null;
  resolved_automatically: Generated<boolean>;
  resolution_note: string | null;
  raised_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Which demo `amss dev` last seeded under a demo organization's name, and on which day (UTC) (migration 28). */
export interface DemoSeedTable {
  org_name: string;
  version: string;
  seeded_on: ColumnType<string, string, string>;
}

export interface DB {
  amss_demo_seed: DemoSeedTable;
  organizations: OrganizationsTable;
  org_policies: OrgPoliciesTable;
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  aircraft: AircraftTable;
  aircraft_usage: AircraftUsageTable;
  maintenance_programs: MaintenanceProgramsTable;
  maintenance_tasks: MaintenanceTasksTable;
  part_definitions: PartDefinitionsTable;
  part_items: PartItemsTable;
  part_reservations: PartReservationsTable;
  task_part_requirements: TaskPartRequirementsTable;
  compliance_items: ComplianceItemsTable;
  audit_logs: AuditLogsTable;
  outbox_events: OutboxEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  idempotency_mutations: IdempotencyMutationsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  imports: ImportsTable;
  import_rows: ImportRowsTable;
  aircraft_types: AircraftTypesTable;
  certification_types: CertificationTypesTable;
  skill_types: SkillTypesTable;
  employee_certifications: EmployeeCertificationsTable;
  type_ratings: TypeRatingsTable;
  employee_skills: EmployeeSkillsTable;
  recency_entries: RecencyEntriesTable;
  task_skill_requirements: TaskSkillRequirementsTable;
  regulatory_authorities: RegulatoryAuthoritiesTable;
  compliance_templates: ComplianceTemplatesTable;
  compliance_template_items: ComplianceTemplateItemsTable;
  organization_registrations: OrganizationRegistrationsTable;
  directives: DirectivesTable;
  directive_aircraft_types: DirectiveAircraftTypesTable;
  aircraft_directives: AircraftDirectivesTable;
  directive_compliance_records: DirectiveComplianceRecordsTable;
  task_dependencies: TaskDependenciesTable;
  task_schedule_changes: TaskScheduleChangesTable;
  alerts: AlertsTable;
}
