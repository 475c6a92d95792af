import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import type { Executor } from '../../src/infra/postgres/executor.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import type {
  DB,
  IdempotencyKeysTable,
  OrgPoliciesTable,
  WebhookDeliveriesTable,
} from '../../src/infra/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  insertAircraft,
  insertAircraftUsage,
  insertApiKey,
  insertAuditLog,
  insertComplianceItem,
  insertImport,
  insertOrganization,
  insertOutboxEvent,
  insertPartDefinition,
  insertPartItem,
  insertProgram,
  insertRefreshToken,
  insertReservation,
  insertTask,
  insertTaskPartRequirement,
  insertUser,
  insertWebhook,
  rejectionOf,
} from '../support/factories.js';
import {
  insertCertificationType,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertRecencyEntry,
  insertSkillType,
  insertTaskSkillRequirement,
  insertTypeRating,
} from '../support/qualification-factories.js';
import {
  authorityId,
  complianceTemplateId,
  insertAircraftDirective,
  insertComplianceRecord,
  insertDirective,
  insertRegistration,
} from '../support/directive-factories.js';
import { insertAlert } from '../support/alert-factories.js';
import { insertScheduleChange, insertTaskDependency } from '../support/scheduling-factories.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const policy = async (db: Executor, values: Partial<Insertable<OrgPoliciesTable>>) =>
  db
    .insertInto('org_policies')
    .values({ ...values, org_id: (await insertOrganization(db)).id })
    .execute();

const idempotencyKey = async (db: Executor, values: Partial<Insertable<IdempotencyKeysTable>>) => {
  const user = await insertUser(db);
  return db
    .insertInto('idempotency_keys')
    .values({
      key: 'k',
      endpoint: 'POST /api/v1/aircraft',
      request_hash: 'h',
      expires_at: new Date(Date.now() + 86_400_000),
      ...values,
      org_id: user.org_id,
      user_id: user.id,
    })
    .returning(['id', 'org_id'])
    .executeTakeFirstOrThrow();
};

const delivery = async (db: Executor, values: Partial<Insertable<WebhookDeliveriesTable>>) => {
  const webhook = await insertWebhook(db);
  const event = await insertOutboxEvent(db, { org_id: webhook.org_id });
  return db
    .insertInto('webhook_deliveries')
    .values({ ...values, org_id: webhook.org_id, webhook_id: webhook.id, event_id: event.id })
    .execute();
};

const importRow = async (
  db: Executor,
  values: { row_number?: number; errors?: string; outcome?: string },
) => {
  const job = await insertImport(db);
  return db
    .insertInto('import_rows')
    .values({ row_number: 1, raw: '{}', ...values, org_id: job.org_id, import_id: job.id })
    .execute();
};

const at = (iso: string) => new Date(iso);

const aircraftType = (db: Executor, values: { designator?: string; manufacturer?: string; model?: string }) =>
  db
    .insertInto('aircraft_types')
    .values({ designator: 'ZZ99', manufacturer: 'Test', model: 'Test', ...values })
    .execute();

let authorityCount = 0;
const authority = (
  db: Executor,
  values: { code?: string; name?: string; country?: string | null; record_retention_years?: number },
) =>
  db
    .insertInto('regulatory_authorities')
    .values({
      code: `XCAA${++authorityCount}`,
      name: 'Test Aviation Authority',
      record_retention_years: 2,
      ...values,
    })
    .execute();

const template = async (db: Executor, values: { code?: string; name?: string }) =>
  db
    .insertInto('compliance_templates')
    .values({ authority_id: await authorityId(db), code: 'TEST-1', name: 'Test template', ...values })
    .execute();

const templateItem = async (db: Executor, values: { position?: number; description?: string }) =>
  db
    .insertInto('compliance_template_items')
    .values({
      template_id: await complianceTemplateId(db),
      position: 99,
      description: 'Test item',
      ...values,
    })
    .execute();

interface CheckCase {
  label: string;
  constraint: string;
  attempt(db: Executor): Promise<unknown>;
}

const violations: CheckCase[] = [
  // organizations and policies
  {
    label: 'an organization needs a name',
    constraint: 'organizations_name_not_blank',
    attempt: (db) => insertOrganization(db, { name: '  ' }),
  },
  {
    label: 'retention must be a positive interval',
    constraint: 'org_policies_retention_interval_check',
    attempt: (db) => policy(db, { retention_interval: '0 days' }),
  },
  {
    label: 'webhooks get at least one attempt',
    constraint: 'org_policies_max_webhook_attempts_check',
    attempt: (db) => policy(db, { max_webhook_attempts: 0 }),
  },
  {
    label: 'the webhook replay window is positive',
    constraint: 'org_policies_webhook_replay_window_seconds_check',
    attempt: (db) => policy(db, { webhook_replay_window_seconds: 0 }),
  },
  {
    label: 'the API rate limit is positive',
    constraint: 'org_policies_api_rate_limit_per_min_check',
    attempt: (db) => policy(db, { api_rate_limit_per_min: 0 }),
  },
  {
    label: 'the API key rate limit is positive',
    constraint: 'org_policies_api_key_rate_limit_per_min_check',
    attempt: (db) => policy(db, { api_key_rate_limit_per_min: -5 }),
  },
  {
    label: 'the grounding lead time is not negative',
    constraint: 'org_policies_grounding_lead_time_check',
    attempt: (db) => policy(db, { grounding_lead_time: '-1 hour' }),
  },
  // users and tokens
  {
    label: 'a user needs an email',
    constraint: 'users_email_not_blank',
    attempt: (db) => insertUser(db, { email: ' ' }),
  },
  {
    label: 'a refresh token is stored as lower-case SHA-256 hex',
    constraint: 'refresh_tokens_token_hash_format',
    attempt: (db) => insertRefreshToken(db, { token_hash: 'A'.repeat(64) }),
  },
  {
    label: 'an API key is stored as lower-case SHA-256 hex',
    constraint: 'api_keys_secret_hash_format',
    attempt: (db) => insertApiKey(db, { secret_hash: 'amss_plain-secret' }),
  },
  {
    label: 'an API key has a name of at most 100 characters',
    constraint: 'api_keys_name_length',
    attempt: (db) => insertApiKey(db, { name: 'x'.repeat(101) }),
  },
  {
    label: 'an API key scope is read_only or a role',
    constraint: 'api_keys_scope_check',
    attempt: (db) => insertApiKey(db, { scope: 'superuser' }),
  },
  {
    label: 'an API key hint shows only the amss_ prefix and a few characters',
    constraint: 'api_keys_hint_format',
    attempt: (db) => insertApiKey(db, { hint: 'abcdefgh' }),
  },
  // aircraft
  {
    label: 'an aircraft needs a tail number',
    constraint: 'aircraft_tail_number_not_blank',
    attempt: (db) => insertAircraft(db, { tail_number: '' }),
  },
  {
    label: 'an aircraft needs a model',
    constraint: 'aircraft_model_not_blank',
    attempt: (db) => insertAircraft(db, { model: ' ' }),
  },
  {
    label: 'an aircraft has at least one capacity slot',
    constraint: 'aircraft_capacity_slots_check',
    attempt: (db) => insertAircraft(db, { capacity_slots: 0 }),
  },
  {
    label: 'flight hours are not negative',
    constraint: 'aircraft_flight_hours_total_check',
    attempt: (db) => insertAircraft(db, { flight_hours_total: '-0.01' }),
  },
  {
    label: 'cycles are not negative',
    constraint: 'aircraft_cycles_total_check',
    attempt: (db) => insertAircraft(db, { cycles_total: -1 }),
  },
  {
    label: 'next due lies after the last maintenance',
    constraint: 'aircraft_next_due_after_last_maintenance',
    attempt: (db) =>
      insertAircraft(db, { last_maintenance: at('2025-01-02T00:00Z'), next_due: at('2025-01-02T00:00Z') }),
  },
  // aircraft usage
  {
    label: 'a recorded flight needs its source reference',
    constraint: 'aircraft_usage_source_ref_not_blank',
    attempt: (db) => insertAircraftUsage(db, { source_ref: ' ' }),
  },
  {
    label: 'a recorded flight has no negative hours',
    constraint: 'aircraft_usage_flight_hours_check',
    attempt: (db) => insertAircraftUsage(db, { flight_hours: '-0.01' }),
  },
  {
    label: 'a recorded flight has no negative cycles',
    constraint: 'aircraft_usage_cycles_check',
    attempt: (db) => insertAircraftUsage(db, { cycles: -1 }),
  },
  {
    label: 'a recorded flight names both the reporting user and their organization, or neither',
    constraint: 'aircraft_usage_created_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertAircraftUsage(db, { org_id: user.org_id, created_by: user.id });
    },
  },
  // programs and tasks
  {
    label: 'a program needs a name',
    constraint: 'maintenance_programs_name_not_blank',
    attempt: (db) => insertProgram(db, { name: '' }),
  },
  {
    label: 'a program interval is positive',
    constraint: 'maintenance_programs_interval_value_check',
    attempt: (db) => insertProgram(db, { interval_value: 0 }),
  },
  {
    label: 'a program’s last flight hours are not negative',
    constraint: 'maintenance_programs_last_performed_flight_hours_check',
    attempt: (db) => insertProgram(db, { last_performed_flight_hours: -1 }),
  },
  {
    label: 'a program’s last cycles are not negative',
    constraint: 'maintenance_programs_last_performed_cycles_check',
    attempt: (db) => insertProgram(db, { last_performed_cycles: -1 }),
  },
  {
    label: 'a program’s lead is not negative',
    constraint: 'maintenance_programs_lead_value_check',
    attempt: (db) => insertProgram(db, { lead_value: -1 }),
  },
  {
    label: 'a program’s generated tasks last at least a minute',
    constraint: 'maintenance_programs_task_duration_minutes_check',
    attempt: (db) => insertProgram(db, { task_duration_minutes: 0 }),
  },
  {
    label: 'a task ends after it starts',
    constraint: 'maintenance_tasks_end_after_start',
    attempt: (db) =>
      insertTask(db, { start_time: at('2030-03-01T10:00Z'), end_time: at('2030-03-01T10:00Z') }),
  },
  {
    label: 'a task version starts at 1',
    constraint: 'maintenance_tasks_version_check',
    attempt: (db) => insertTask(db, { version: 0 }),
  },
  // parts
  {
    label: 'a part definition needs a name',
    constraint: 'part_definitions_name_not_blank',
    attempt: (db) => insertPartDefinition(db, { name: ' ' }),
  },
  {
    label: 'a part definition needs a category',
    constraint: 'part_definitions_category_not_blank',
    attempt: (db) => insertPartDefinition(db, { category: '' }),
  },
  {
    label: 'a minimum stock level is not negative',
    constraint: 'part_definitions_min_stock_level_check',
    attempt: (db) => insertPartDefinition(db, { min_stock_level: -1 }),
  },
  {
    label: 'a reorder point is not negative',
    constraint: 'part_definitions_reorder_point_check',
    attempt: (db) => insertPartDefinition(db, { reorder_point: -1 }),
  },
  {
    label: 'a lead time is not negative',
    constraint: 'part_definitions_lead_time_days_check',
    attempt: (db) => insertPartDefinition(db, { lead_time_days: -1 }),
  },
  {
    label: 'a part item needs a serial number',
    constraint: 'part_items_serial_number_not_blank',
    attempt: (db) => insertPartItem(db, { serial_number: ' ' }),
  },
  {
    label: 'a reservation quantity is positive',
    constraint: 'part_reservations_quantity_check',
    attempt: (db) => insertReservation(db, { quantity: 0 }),
  },
  {
    label: 'a task requires a positive quantity of a part',
    constraint: 'task_part_requirements_quantity_check',
    attempt: (db) => insertTaskPartRequirement(db, { quantity: 0 }),
  },
  // compliance
  {
    label: 'a compliance item needs a description',
    constraint: 'compliance_items_description_not_blank',
    attempt: (db) => insertComplianceItem(db, { description: '' }),
  },
  {
    label: 'a sign-off names both the user and the time',
    constraint: 'compliance_items_sign_off_complete',
    attempt: async (db) => insertComplianceItem(db, { sign_off_user_id: (await insertUser(db)).id }),
  },
  {
    label: 'an item cannot be signed off while its result is pending',
    constraint: 'compliance_items_signed_off_not_pending',
    attempt: async (db) =>
      insertComplianceItem(db, {
        result: 'pending',
        sign_off_user_id: (await insertUser(db)).id,
        sign_off_time: new Date(),
      }),
  },
  // electronic signatures and independent inspection (00016)
  {
    label: 'a sign-off records what the signature means: performed',
    constraint: 'compliance_items_sign_off_meaning_check',
    attempt: async (db) =>
      insertComplianceItem(db, {
        result: 'pass',
        sign_off_user_id: (await insertUser(db)).id,
        sign_off_time: new Date(),
        sign_off_meaning: 'approved' as 'performed',
      }),
  },
  {
    label: 'an inspection names the inspector, the time and what it means together',
    constraint: 'compliance_items_inspection_complete',
    attempt: async (db) => insertComplianceItem(db, { inspected_by: (await insertUser(db)).id }),
  },
  {
    label: 'an item is inspected only after it is signed off',
    constraint: 'compliance_items_inspection_after_sign_off',
    attempt: async (db) =>
      insertComplianceItem(db, {
        requires_inspection: true,
        inspected_by: (await insertUser(db)).id,
        inspected_at: new Date(),
        inspection_meaning: 'inspected',
      }),
  },
  {
    label: 'only an item that requires inspection is inspected',
    constraint: 'compliance_items_inspection_required',
    // The triggers refuse such a row first (a row is created unsigned, 00020; a signed item takes
    // an inspection only when it requires one, 00016): the CHECK is the line behind them.
    attempt: async (db) => {
      const [signer, inspector] = await twoUsers(db);
      const task = await insertTask(db, { org_id: signer.org_id });
      return (db as Kysely<DB>).transaction().execute(async (tx) => {
        await sql`ALTER TABLE compliance_items DISABLE TRIGGER compliance_items_created_unsigned`.execute(tx);
        return tx
          .insertInto('compliance_items')
          .values({
            ...signedAndInspected(signer, inspector, { requires_inspection: false }),
            task_id: task.id,
            description: 'Torque check',
            sign_off_meaning: 'performed',
          })
          .execute();
      });
    },
  },
  {
    label: 'the inspector is never the performer who signed the work off',
    constraint: 'compliance_items_inspector_not_performer',
    attempt: async (db) => {
      const [signer] = await twoUsers(db);
      return insertComplianceItem(db, signedAndInspected(signer, signer));
    },
  },
  // audit, outbox, idempotency
  {
    label: 'an audit user comes with the actor organization',
    constraint: 'audit_logs_actor_user_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertAuditLog(db, { org_id: user.org_id, user_id: user.id, actor: 'user' });
    },
  },
  {
    label: 'an audit row names its actor',
    constraint: 'audit_logs_actor_not_blank',
    attempt: (db) => insertAuditLog(db, { actor: ' ' }),
  },
  {
    label: 'audit details are a JSON object',
    constraint: 'audit_logs_details_object',
    attempt: (db) => insertAuditLog(db, { details: '[]' }),
  },
  {
    label: 'an outbox attempt count is not negative',
    constraint: 'outbox_events_attempt_count_check',
    attempt: (db) => insertOutboxEvent(db, { attempt_count: -1 }),
  },
  {
    label: 'an outbox payload is a JSON object',
    constraint: 'outbox_events_payload_object',
    attempt: (db) => insertOutboxEvent(db, { payload: '"text"' }),
  },
  {
    label: 'an idempotency key is at most 255 characters',
    constraint: 'idempotency_keys_key_length',
    attempt: (db) => idempotencyKey(db, { key: 'k'.repeat(256) }),
  },
  {
    label: 'an idempotency key is not empty',
    constraint: 'idempotency_keys_key_length',
    attempt: (db) => idempotencyKey(db, { key: '' }),
  },
  {
    label: 'a stored status code is an HTTP status',
    constraint: 'idempotency_keys_status_code_check',
    attempt: (db) => idempotencyKey(db, { status_code: 600 }),
  },
  {
    label: "a request's mutations are numbered from 1",
    constraint: 'idempotency_mutations_seq_check',
    attempt: async (db) => {
      const key = await idempotencyKey(db, {});
      await db
        .insertInto('idempotency_mutations')
        .values({ org_id: key.org_id, key_id: key.id, seq: 0 })
        .execute();
    },
  },
  // webhooks
  {
    label: 'a webhook URL is http or https',
    constraint: 'webhooks_url_scheme',
    attempt: (db) => insertWebhook(db, { url: 'ftp://example.com/hook' }),
  },
  {
    label: 'a webhook subscribes to at least one event',
    constraint: 'webhooks_events_not_empty',
    attempt: (db) => insertWebhook(db, { events: [] }),
  },
  {
    label: 'a webhook event list has no null entries',
    constraint: 'webhooks_events_not_empty',
    attempt: async (db) =>
      sql`INSERT INTO webhooks (org_id, url, events, secret)
          VALUES (${(await insertOrganization(db)).id}, 'https://example.com', ARRAY['task_created', NULL], 's')`.execute(
        db,
      ),
  },
  {
    label: 'a webhook has a secret',
    constraint: 'webhooks_secret_not_blank',
    attempt: (db) => insertWebhook(db, { secret: '' }),
  },
  {
    label: 'a delivery attempt count is not negative',
    constraint: 'webhook_deliveries_attempt_count_check',
    attempt: (db) => delivery(db, { attempt_count: -1 }),
  },
  {
    label: 'a stored response body is at most 4096 characters',
    constraint: 'webhook_deliveries_last_response_body_length',
    attempt: (db) => delivery(db, { last_response_body: 'x'.repeat(4097) }),
  },
  // imports
  {
    label: 'import row counts are not negative',
    constraint: 'imports_row_counts_check',
    attempt: (db) => insertImport(db, { invalid_rows: -1 }),
  },
  {
    label: 'an import summary is a JSON object',
    constraint: 'imports_summary_object',
    attempt: (db) => insertImport(db, { summary: '[]' }),
  },
  {
    label: 'CSV rows are numbered from 1',
    constraint: 'import_rows_row_number_check',
    attempt: (db) => importRow(db, { row_number: 0 }),
  },
  {
    label: 'row errors are a JSON array',
    constraint: 'import_rows_errors_array',
    attempt: (db) => importRow(db, { errors: '{}' }),
  },
  {
    label: 'an import lease names its worker and its end together',
    constraint: 'imports_lock_pairing',
    attempt: (db) => insertImport(db, { locked_by: 'worker-1' }),
  },
  {
    label: 'an import attempt count is not negative',
    constraint: 'imports_attempt_count_check',
    attempt: (db) => insertImport(db, { attempt_count: -1 }),
  },
  {
    label: 'an applied row was created, updated or unchanged',
    constraint: 'import_rows_outcome_check',
    attempt: (db) => importRow(db, { outcome: 'deleted' }),
  },
  // qualified people: reference data
  {
    label: 'an aircraft type designator is 2–4 upper-case letters or digits (ICAO)',
    constraint: 'aircraft_types_designator_format',
    attempt: (db) => aircraftType(db, { designator: 'a320' }),
  },
  {
    label: 'an aircraft type needs a manufacturer',
    constraint: 'aircraft_types_manufacturer_not_blank',
    attempt: (db) => aircraftType(db, { manufacturer: ' ' }),
  },
  {
    label: 'an aircraft type needs a model',
    constraint: 'aircraft_types_model_not_blank',
    attempt: (db) => aircraftType(db, { model: '' }),
  },
  {
    label: 'a certification type needs an authority',
    constraint: 'certification_types_authority_not_blank',
    attempt: (db) => insertCertificationType(db, { authority: ' ' }),
  },
  {
    label: 'a certification type needs a code',
    constraint: 'certification_types_code_not_blank',
    attempt: (db) => insertCertificationType(db, { code: '' }),
  },
  {
    label: 'a certification type needs a name',
    constraint: 'certification_types_name_not_blank',
    attempt: (db) => insertCertificationType(db, { name: ' ' }),
  },
  {
    label: 'a global certification type is never deleted',
    constraint: 'certification_types_global_not_deleted',
    attempt: (db) => insertCertificationType(db, { org_id: null, deleted_at: new Date() }),
  },
  {
    label: 'a skill type needs a code',
    constraint: 'skill_types_code_not_blank',
    attempt: (db) => insertSkillType(db, { code: ' ' }),
  },
  {
    label: 'a skill type needs a name',
    constraint: 'skill_types_name_not_blank',
    attempt: (db) => insertSkillType(db, { name: '' }),
  },
  {
    label: 'a skill type needs a category',
    constraint: 'skill_types_category_not_blank',
    attempt: (db) => insertSkillType(db, { category: ' ' }),
  },
  {
    label: 'a global skill type is never deleted',
    constraint: 'skill_types_global_not_deleted',
    attempt: (db) => insertSkillType(db, { org_id: null, deleted_at: new Date() }),
  },
  // qualified people: people data
  {
    label: 'a certification needs its certificate number',
    constraint: 'employee_certifications_certificate_number_not_blank',
    attempt: (db) => insertEmployeeCertification(db, { certificate_number: ' ' }),
  },
  {
    label: 'a certification expires after it was issued',
    constraint: 'employee_certifications_expiry_after_issue',
    attempt: (db) =>
      insertEmployeeCertification(db, {
        issue_date: at('2025-01-02T00:00Z'),
        expiry_date: at('2025-01-02T00:00Z'),
      }),
  },
  {
    label: 'a verification names both the verifier and the time',
    constraint: 'employee_certifications_verified_complete',
    attempt: (db) => insertEmployeeCertification(db, { verified_at: new Date() }),
  },
  {
    label: 'a verifier is named with their organization, or not at all',
    constraint: 'employee_certifications_verified_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertEmployeeCertification(db, {
        org_id: user.org_id,
        verified_by: user.id,
        verified_at: new Date(),
      });
    },
  },
  {
    label: 'a type rating expires after its endorsement',
    constraint: 'type_ratings_expiry_after_endorsement',
    attempt: (db) =>
      insertTypeRating(db, { endorsed_date: at('2025-01-02T00:00Z'), expiry_date: at('2025-01-01T00:00Z') }),
  },
  {
    label: 'a skill proficiency is 1 to 5',
    constraint: 'employee_skills_proficiency_check',
    attempt: (db) => insertEmployeeSkill(db, { proficiency: 6 }),
  },
  {
    label: 'logged recency hours are positive',
    constraint: 'recency_entries_hours_check',
    attempt: (db) => insertRecencyEntry(db, { hours: 0 }),
  },
  {
    label: 'the author of a manual recency entry is named with their organization, or not at all',
    constraint: 'recency_entries_created_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertRecencyEntry(db, { org_id: user.org_id, created_by: user.id });
    },
  },
  // qualified people: task skill requirements
  {
    label: 'a minimum proficiency comes with a skill and lies in 1–5',
    constraint: 'task_skill_requirements_min_proficiency_check',
    attempt: (db) => insertTaskSkillRequirement(db, { min_proficiency: 3 }),
  },
  {
    label: 'a recency requirement names both hours and window',
    constraint: 'task_skill_requirements_recency_complete',
    attempt: (db) => insertTaskSkillRequirement(db, { min_recency_hours: 10 }),
  },
  {
    label: 'required recency hours are positive',
    constraint: 'task_skill_requirements_min_recency_hours_check',
    attempt: (db) => insertTaskSkillRequirement(db, { min_recency_hours: 0, recency_window_days: 30 }),
  },
  {
    label: 'a recency window is at least a day',
    constraint: 'task_skill_requirements_recency_window_days_check',
    attempt: (db) => insertTaskSkillRequirement(db, { min_recency_hours: 10, recency_window_days: 0 }),
  },
  {
    label: 'a requirement requires something',
    constraint: 'task_skill_requirements_requires_something',
    attempt: (db) => insertTaskSkillRequirement(db, { certification_type_id: null }),
  },
  // airworthiness directives: reference data
  {
    label: 'an authority needs a code',
    constraint: 'regulatory_authorities_code_not_blank',
    attempt: (db) => authority(db, { code: ' ' }),
  },
  {
    label: 'an authority needs a name',
    constraint: 'regulatory_authorities_name_not_blank',
    attempt: (db) => authority(db, { name: '' }),
  },
  {
    label: 'an authority’s country is an ISO 3166-1 alpha-2 code',
    constraint: 'regulatory_authorities_country_format',
    attempt: (db) => authority(db, { country: 'USA' }),
  },
  {
    label: 'an authority keeps records for at least a year',
    constraint: 'regulatory_authorities_record_retention_years_check',
    attempt: (db) => authority(db, { record_retention_years: 0 }),
  },
  {
    label: 'a compliance template needs a code',
    constraint: 'compliance_templates_code_not_blank',
    attempt: (db) => template(db, { code: ' ' }),
  },
  {
    label: 'a compliance template needs a name',
    constraint: 'compliance_templates_name_not_blank',
    attempt: (db) => template(db, { name: '' }),
  },
  {
    label: 'a template item’s position counts from 1',
    constraint: 'compliance_template_items_position_check',
    attempt: (db) => templateItem(db, { position: 0 }),
  },
  {
    label: 'a template item needs a description',
    constraint: 'compliance_template_items_description_not_blank',
    attempt: (db) => templateItem(db, { description: ' ' }),
  },
  // airworthiness directives: registrations and aircraft
  {
    label: 'a registration needs its approval type',
    constraint: 'organization_registrations_approval_type_not_blank',
    attempt: (db) => insertRegistration(db, { approval_type: ' ' }),
  },
  {
    label: 'a registration needs its certificate number',
    constraint: 'organization_registrations_certificate_number_not_blank',
    attempt: (db) => insertRegistration(db, { certificate_number: '' }),
  },
  {
    label: 'a registration is valid until after it is valid from',
    constraint: 'organization_registrations_valid_until_after_valid_from',
    attempt: (db) => insertRegistration(db, { valid_from: '2025-01-01', valid_until: '2025-01-01' }),
  },
  {
    label: 'an aircraft serial number is not blank',
    constraint: 'aircraft_serial_number_not_blank',
    attempt: (db) => insertAircraft(db, { serial_number: ' ' }),
  },
  // airworthiness directives: directives
  {
    label: 'a directive needs its reference number',
    constraint: 'directives_reference_number_not_blank',
    attempt: (db) => insertDirective(db, { reference_number: ' ' }),
  },
  {
    label: 'a directive needs a title',
    constraint: 'directives_title_not_blank',
    attempt: (db) => insertDirective(db, { title: '' }),
  },
  {
    label: 'a list of applicable tails is not empty',
    constraint: 'directives_applicable_tail_numbers_not_empty',
    attempt: (db) => insertDirective(db, { applicable_tail_numbers: [] }),
  },
  {
    label: 'a serial range’s start is not blank',
    constraint: 'directives_serial_from_not_blank',
    attempt: (db) => insertDirective(db, { serial_from: ' ' }),
  },
  {
    label: 'a serial range’s end is not blank',
    constraint: 'directives_serial_to_not_blank',
    attempt: (db) => insertDirective(db, { serial_to: '' }),
  },
  {
    label: 'a serial range runs forwards in natural order (1000 comes after 999)',
    constraint: 'directives_serial_range_ordered',
    attempt: (db) => insertDirective(db, { serial_from: '1000', serial_to: '999' }),
  },
  {
    label: 'a limit in days is positive',
    constraint: 'directives_limit_days_check',
    attempt: (db) => insertDirective(db, { limit_days: 0 }),
  },
  {
    label: 'a limit in flight hours is positive',
    constraint: 'directives_limit_flight_hours_check',
    attempt: (db) => insertDirective(db, { limit_flight_hours: '0' }),
  },
  {
    label: 'a limit in cycles is positive',
    constraint: 'directives_limit_cycles_check',
    attempt: (db) => insertDirective(db, { limit_cycles: -1 }),
  },
  {
    label: 'a limit date is not before the effective date',
    constraint: 'directives_limit_date_not_before_effective',
    attempt: (db) => insertDirective(db, { effective_date: '2025-03-01', limit_date: '2025-02-28' }),
  },
  {
    label: 'a calendar recurrence names both its value and its unit',
    constraint: 'directives_recurrence_calendar_complete',
    attempt: (db) => insertDirective(db, { recurrence_calendar_value: 12 }),
  },
  {
    label: 'a calendar recurrence is positive',
    constraint: 'directives_recurrence_calendar_value_check',
    attempt: (db) =>
      insertDirective(db, { recurrence_calendar_value: 0, recurrence_calendar_unit: 'months' }),
  },
  {
    label: 'a flight-hour recurrence is positive',
    constraint: 'directives_recurrence_flight_hours_check',
    attempt: (db) => insertDirective(db, { recurrence_flight_hours: '-5' }),
  },
  {
    label: 'a cycle recurrence is positive',
    constraint: 'directives_recurrence_cycles_check',
    attempt: (db) => insertDirective(db, { recurrence_cycles: 0 }),
  },
  {
    label: 'a superseded directive names its successor, and only a superseded one does',
    constraint: 'directives_superseded_has_successor',
    attempt: (db) => insertDirective(db, { status: 'superseded' }),
  },
  {
    label: 'a directive is not superseded by itself',
    constraint: 'directives_not_superseded_by_itself',
    attempt: (db) => {
      const id = randomUUID();
      return insertDirective(db, { id, status: 'superseded', superseded_by: id });
    },
  },
  // airworthiness directives: tracking and compliance
  {
    label: 'a status change names both the user and their organization',
    constraint: 'aircraft_directives_status_changed_by_pairing',
    attempt: async (db) => insertAircraftDirective(db, { status_changed_by: (await insertUser(db)).id }),
  },
  {
    label: 'baseline flight hours are not negative',
    constraint: 'aircraft_directives_baseline_flight_hours_check',
    attempt: (db) => insertAircraftDirective(db, { baseline_flight_hours: '-0.01' }),
  },
  {
    label: 'baseline cycles are not negative',
    constraint: 'aircraft_directives_baseline_cycles_check',
    attempt: (db) => insertAircraftDirective(db, { baseline_cycles: -1 }),
  },
  {
    label: 'a directive marked not applicable says why',
    constraint: 'aircraft_directives_reason_required',
    attempt: (db) => insertAircraftDirective(db, { status: 'not_applicable', status_reason: ' ' }),
  },
  {
    label: 'a deferral carries its approved new limit, and only a deferral does',
    constraint: 'aircraft_directives_deferral_has_limit',
    attempt: (db) => insertAircraftDirective(db, { status: 'deferred', status_reason: 'Parts on order' }),
  },
  {
    label: 'a complied directive points at its compliance record',
    constraint: 'aircraft_directives_complied_has_compliance',
    attempt: (db) => insertAircraftDirective(db, { status: 'complied' }),
  },
  {
    label: 'a compliance record says how it was complied with',
    constraint: 'directive_compliance_records_method_not_blank',
    attempt: (db) => insertComplianceRecord(db, { method: ' ' }),
  },
  {
    label: 'a compliance record’s flight hours are not negative',
    constraint: 'directive_compliance_records_flight_hours_check',
    attempt: (db) => insertComplianceRecord(db, { flight_hours: '-1' }),
  },
  {
    label: 'a compliance record’s cycles are not negative',
    constraint: 'directive_compliance_records_cycles_check',
    attempt: (db) => insertComplianceRecord(db, { cycles: -1 }),
  },
  {
    label: 'a compliance record is signed as complied',
    constraint: 'directive_compliance_records_signature_meaning_check',
    attempt: (db) => insertComplianceRecord(db, { signature_meaning: 'performed' }),
  },
  {
    label: 'the directive warning window is at least a day',
    constraint: 'org_policies_directive_warning_days_check',
    attempt: (db) => policy(db, { directive_warning_days: 0 }),
  },
  {
    label: 'a task never depends on itself',
    constraint: 'task_dependencies_not_on_itself',
    attempt: async (db) => {
      const task = await insertTask(db);
      return insertTaskDependency(db, {
        org_id: task.org_id,
        predecessor_id: task.id,
        successor_id: task.id,
      });
    },
  },
  {
    label: 'a dependency’s lag is not negative',
    constraint: 'task_dependencies_lag_minutes_check',
    attempt: (db) => insertTaskDependency(db, { lag_minutes: -1 }),
  },
  {
    label: 'a dependency’s author names their organization',
    constraint: 'task_dependencies_created_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertTaskDependency(db, { org_id: user.org_id, created_by: user.id });
    },
  },
  {
    label: 'a schedule change’s old window ends after it starts',
    constraint: 'task_schedule_changes_old_window_check',
    attempt: (db) => insertScheduleChange(db, { old_end_time: at('2031-03-01T08:00Z') }),
  },
  {
    label: 'a schedule change’s new window ends after it starts',
    constraint: 'task_schedule_changes_new_window_check',
    attempt: (db) => insertScheduleChange(db, { new_end_time: at('2031-03-01T09:00Z') }),
  },
  {
    label: 'a schedule change names who made it',
    constraint: 'task_schedule_changes_actor_not_blank',
    attempt: (db) => insertScheduleChange(db, { actor: ' ' }),
  },
  {
    label: 'a schedule change’s author names their organization',
    constraint: 'task_schedule_changes_changed_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertScheduleChange(db, { org_id: user.org_id, changed_by: user.id });
    },
  },
  {
    label: 'a move is not cascaded from the task itself',
    constraint: 'task_schedule_changes_not_cascaded_from_itself',
    attempt: async (db) => {
      const task = await insertTask(db);
      return insertScheduleChange(db, {
        org_id: task.org_id,
        task_id: task.id,
        cascaded_from_task_id: task.id,
      });
    },
  },
  {
    label: 'an organization waits at least a minute before escalating an alert',
    constraint: 'org_policies_alert_escalation_after_check',
    attempt: (db) => policy(db, { alert_escalation_after: '30 seconds' }),
  },
  {
    label: 'an organization escalates an alert within 30 days',
    constraint: 'org_policies_alert_escalation_after_check',
    attempt: (db) => policy(db, { alert_escalation_after: '31 days' }),
  },
  {
    label: 'an alert has a title',
    constraint: 'alerts_title_not_blank',
    attempt: (db) => insertAlert(db, { title: '  ' }),
  },
  {
    label: 'an alert’s unit, when given, is not blank',
    constraint: 'alerts_unit_not_blank',
    attempt: (db) => insertAlert(db, { unit: ' ' }),
  },
  {
    label: 'an alert escalates at most twice (info → warning → critical)',
    constraint: 'alerts_escalation_level_check',
    attempt: (db) => insertAlert(db, { escalation_level: 3, escalated_at: new Date() }),
  },
  {
    label: 'an escalated alert says when it escalated',
    constraint: 'alerts_escalated_at_pairing',
    attempt: (db) => insertAlert(db, { escalation_level: 1 }),
  },
  {
    label: 'an acknowledgement names the acknowledger’s organization',
    constraint: 'alerts_acknowledged_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertAlert(db, { org_id: user.org_id, acknowledged_by: user.id, acknowledged_at: new Date() });
    },
  },
  {
    label: 'an acknowledgement is a person’s, with its time',
    constraint: 'alerts_acknowledged_pairing',
    attempt: (db) => insertAlert(db, { acknowledged_at: new Date() }),
  },
  {
    label: 'a resolution names the resolver’s organization',
    constraint: 'alerts_resolved_by_pairing',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertAlert(db, { org_id: user.org_id, resolved_by: user.id, resolved_at: new Date() });
    },
  },
  {
    label: 'a resolved alert was resolved by a person or automatically',
    constraint: 'alerts_resolution_check',
    attempt: (db) => insertAlert(db, { resolved_at: new Date() }),
  },
  {
    label: 'an alert resolved automatically names no person',
    constraint: 'alerts_resolution_check',
    attempt: async (db) => {
      const user = await insertUser(db);
      return insertAlert(db, {
        org_id: user.org_id,
        resolved_by: user.id,
        resolved_by_org_id: user.org_id,
        resolved_at: new Date(),
        resolved_automatically: true,
      });
    },
  },
  {
    label: 'an open alert is not marked resolved automatically',
    constraint: 'alerts_resolution_check',
    attempt: (db) => insertAlert(db, { resolved_automatically: true }),
  },
];

/** Two users of one organization. */
async function twoUsers(db: Executor) {
  const first = await insertUser(db);
  return [first, await insertUser(db, { org_id: first.org_id })] as const;
}

/** The columns of an item signed off by `signer` and inspected by `inspector` a minute later. */
function signedAndInspected(
  signer: { id: string; org_id: string },
  inspector: { id: string },
  overrides: { requires_inspection?: boolean } = {},
) {
  const signedAt = new Date(Date.now() - 60_000);
  return {
    org_id: signer.org_id,
    result: 'pass' as const,
    requires_inspection: true,
    sign_off_user_id: signer.id,
    sign_off_time: signedAt,
    inspected_by: inspector.id,
    inspected_at: new Date(),
    inspection_meaning: 'inspected' as const,
    ...overrides,
  };
}

describe('CHECK constraints', () => {
  it.each(violations)('$label', async ({ constraint, attempt }) => {
    const error = await rejectionOf(attempt(t.db));
    expect(error).toMatchObject({ code: '23514', constraint });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'validation', reason: 'CONSTRAINT_VIOLATION' });
  });

  it('covers every CHECK constraint of the schema', async () => {
    const { rows } = await sql<{ conname: string }>`
      SELECT conname FROM pg_constraint
       WHERE contype = 'c' AND connamespace = 'public'::regnamespace ORDER BY conname`.execute(t.db);
    const covered = [...new Set(violations.map((v) => v.constraint))].sort();
    expect(rows.map((r) => r.conname)).toEqual(covered);
  });
});

describe('values at the limits are accepted', () => {
  const limits: { label: string; attempt(db: Executor): Promise<unknown> }[] = [
    { label: 'one capacity slot', attempt: (db) => insertAircraft(db, { capacity_slots: 1 }) },
    {
      label: 'next due without a last maintenance',
      attempt: (db) => insertAircraft(db, { next_due: at('2030-01-01T00:00Z') }),
    },
    { label: 'a grounding lead time of zero', attempt: (db) => policy(db, { grounding_lead_time: '0' }) },
    { label: 'a reorder point of zero', attempt: (db) => insertPartDefinition(db, { reorder_point: 0 }) },
    {
      label: 'a one-minute task',
      attempt: (db) =>
        insertTask(db, { start_time: at('2031-01-01T10:00Z'), end_time: at('2031-01-01T10:01Z') }),
    },
    {
      label: 'an in-progress idempotency placeholder (status 0)',
      attempt: (db) => idempotencyKey(db, { status_code: 0 }),
    },
    {
      label: 'a 255-character idempotency key',
      attempt: (db) => idempotencyKey(db, { key: 'k'.repeat(255) }),
    },
    {
      label: 'a plain http webhook URL (local development)',
      attempt: (db) => insertWebhook(db, { url: 'http://localhost:9000/hook' }),
    },
    {
      label: 'a 4096-character response body',
      attempt: (db) => delivery(db, { last_response_body: 'x'.repeat(4096) }),
    },
    {
      label: 'a serial range of one serial number',
      attempt: (db) => insertDirective(db, { serial_from: 'MSN 1234', serial_to: 'MSN 1234' }),
    },
    {
      label: 'a serial range from 999 to 1000 (natural order)',
      attempt: (db) => insertDirective(db, { serial_from: '999', serial_to: '1000' }),
    },
    {
      label: 'a directive due on its effective date',
      attempt: (db) => insertDirective(db, { effective_date: '2025-01-01', limit_date: '2025-01-01' }),
    },
    {
      label: 'a registration valid until revoked',
      attempt: (db) => insertRegistration(db, { valid_from: '2025-01-01', valid_until: null }),
    },
    {
      label: 'a compliance record at zero hours and cycles',
      attempt: (db) => insertComplianceRecord(db, { flight_hours: 0, cycles: 0 }),
    },
  ];

  it.each(limits)('$label', async ({ attempt }) => {
    await expect(attempt(t.db)).resolves.toBeDefined();
  });
});

describe('enum columns', () => {
  it('an unknown role is a validation error', async () => {
    const org = await insertOrganization(t.db);
    const error = await rejectionOf(
      sql`INSERT INTO users (org_id, email, role, password_hash)
          VALUES (${org.id}, 'pilot@example.com', 'pilot', 'x')`.execute(t.db),
    );
    expect(error).toMatchObject({ code: '22P02' });
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'validation', reason: 'INVALID_VALUE' });
  });
});
