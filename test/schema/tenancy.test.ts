import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/app/errors.js';
import type { Executor } from '../../src/infra/postgres/executor.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
// Registers what the type-visible trigger's refusals mean to a client.
import '../../src/infra/postgres/reference-data.js';
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
  globalCertificationTypeId,
  globalSkillTypeId,
  insertCertificationType,
  insertEmployeeCertification,
  insertEmployeeSkill,
  insertRecencyEntry,
  insertSkillType,
  insertTaskSkillRequirement,
  insertTypeRating,
  aircraftTypeId,
} from '../support/qualification-factories.js';
import {
  insertAircraftDirective,
  insertComplianceRecord,
  insertDirective,
  insertRegistration,
} from '../support/directive-factories.js';
import { insertAlert } from '../support/alert-factories.js';
import { insertScheduleChange, insertTaskDependency } from '../support/scheduling-factories.js';

let t: TestDatabase;
let own: string;
let other: string;
beforeAll(async () => {
  t = await createTestDatabase();
  own = (await insertOrganization(t.db)).id;
  other = (await insertOrganization(t.db)).id;
});
afterAll(async () => {
  await t.drop();
});

/** Global reference data: rows shared by every organization, named by id alone. */
const GLOBAL_REFERENCE_TABLES = [
  'aircraft_types',
  'certification_types',
  'skill_types',
  'regulatory_authorities',
  'compliance_templates',
];

interface CrossTenantCase {
  label: string;
  constraint: string;
  /** Creates a parent in `other` and writes a row of `own` that points at it. */
  attempt(db: Executor, own: string, other: string): Promise<unknown>;
}

/** A compliance record of `own` on a tracking row of its own, signed by one of its users, with `overrides`. */
async function ownComplianceRecord(
  db: Executor,
  own: string,
  overrides: { aircraft_id?: string; directive_id?: string; task_id?: string; signed_by?: string },
) {
  const tracking = await insertAircraftDirective(db, { org_id: own });
  return insertComplianceRecord(db, { aircraft_directive_id: tracking.id, ...overrides });
}

const crossTenant: CrossTenantCase[] = [
  {
    label: 'an API key cannot act for a user of another organization',
    constraint: 'api_keys_created_by_fkey',
    attempt: async (db, own, other) =>
      insertApiKey(db, { org_id: own, created_by: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'a refresh token cannot belong to a user of another organization',
    constraint: 'refresh_tokens_user_fkey',
    attempt: async (db, own, other) =>
      insertRefreshToken(db, { org_id: own, user_id: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'a refresh token cannot be replaced by a token of another organization',
    constraint: 'refresh_tokens_replaced_by_fkey',
    attempt: async (db, own, other) =>
      insertRefreshToken(db, {
        org_id: own,
        replaced_by: (await insertRefreshToken(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a maintenance program cannot be bound to an aircraft of another organization',
    constraint: 'maintenance_programs_aircraft_fkey',
    attempt: async (db, own, other) =>
      insertProgram(db, { org_id: own, aircraft_id: (await insertAircraft(db, { org_id: other })).id }),
  },
  {
    label: 'a recorded flight cannot belong to an aircraft of another organization',
    constraint: 'aircraft_usage_aircraft_fkey',
    attempt: async (db, own, other) =>
      insertAircraftUsage(db, { org_id: own, aircraft_id: (await insertAircraft(db, { org_id: other })).id }),
  },
  {
    label: 'a recorded flight names its reporting user inside that user’s organization',
    constraint: 'aircraft_usage_created_by_fkey',
    attempt: async (db, own, other) =>
      insertAircraftUsage(db, {
        org_id: own,
        created_by_org_id: own,
        created_by: (await insertUser(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a task cannot reference an aircraft of another organization',
    constraint: 'maintenance_tasks_aircraft_fkey',
    attempt: async (db, own, other) =>
      insertTask(db, { org_id: own, aircraft_id: (await insertAircraft(db, { org_id: other })).id }),
  },
  {
    label: 'a task cannot come from a program of another organization',
    constraint: 'maintenance_tasks_program_fkey',
    attempt: async (db, own, other) =>
      insertTask(db, { org_id: own, program_id: (await insertProgram(db, { org_id: other })).id }),
  },
  {
    label: 'a task cannot be assigned to a mechanic of another organization',
    constraint: 'maintenance_tasks_assigned_mechanic_fkey',
    attempt: async (db, own, other) =>
      insertTask(db, { org_id: own, assigned_mechanic_id: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'a part item cannot be of a part definition of another organization',
    constraint: 'part_items_part_definition_fkey',
    attempt: async (db, own, other) =>
      insertPartItem(db, {
        org_id: own,
        part_definition_id: (await insertPartDefinition(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a part cannot be reserved for a task of another organization',
    constraint: 'part_reservations_task_fkey',
    attempt: async (db, own, other) =>
      insertReservation(db, { org_id: own, task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a part item of another organization cannot be reserved',
    constraint: 'part_reservations_part_item_fkey',
    attempt: async (db, own, other) =>
      insertReservation(db, { org_id: own, part_item_id: (await insertPartItem(db, { org_id: other })).id }),
  },
  {
    label: 'a compliance item cannot belong to a task of another organization',
    constraint: 'compliance_items_task_fkey',
    attempt: async (db, own, other) =>
      insertComplianceItem(db, { org_id: own, task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a compliance item cannot be signed off by a user of another organization',
    constraint: 'compliance_items_sign_off_user_fkey',
    attempt: async (db, own, other) =>
      insertComplianceItem(db, {
        org_id: own,
        result: 'pass',
        sign_off_user_id: (await insertUser(db, { org_id: other })).id,
        sign_off_time: new Date(),
      }),
  },
  {
    label: 'a compliance item cannot be inspected by a user of another organization',
    constraint: 'compliance_items_inspected_by_fkey',
    attempt: async (db, own, other) =>
      insertComplianceItem(db, {
        org_id: own,
        result: 'pass',
        requires_inspection: true,
        sign_off_user_id: (await insertUser(db, { org_id: own })).id,
        sign_off_time: new Date(Date.now() - 60_000),
        inspected_by: (await insertUser(db, { org_id: other })).id,
        inspected_at: new Date(),
        inspection_meaning: 'inspected',
      }),
  },
  {
    label: 'a task cannot require parts for a task of another organization',
    constraint: 'task_part_requirements_task_fkey',
    attempt: async (db, own, other) =>
      insertTaskPartRequirement(db, { org_id: own, task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a task cannot require a part definition of another organization',
    constraint: 'task_part_requirements_part_definition_fkey',
    attempt: async (db, own, other) =>
      insertTaskPartRequirement(db, {
        org_id: own,
        part_definition_id: (await insertPartDefinition(db, { org_id: other })).id,
      }),
  },
  {
    label: 'an audit row cannot name an actor user outside the actor organization',
    constraint: 'audit_logs_actor_user_fkey',
    attempt: async (db, own, other) =>
      insertAuditLog(db, {
        org_id: own,
        actor_org_id: own,
        user_id: (await insertUser(db, { org_id: other })).id,
        actor: 'user',
      }),
  },
  {
    label: 'an idempotency key cannot belong to a user of another organization',
    constraint: 'idempotency_keys_user_fkey',
    attempt: async (db, own, other) =>
      db
        .insertInto('idempotency_keys')
        .values({
          org_id: own,
          user_id: (await insertUser(db, { org_id: other })).id,
          key: 'k1',
          endpoint: 'POST /api/v1/aircraft',
          request_hash: 'h',
          expires_at: new Date(),
        })
        .execute(),
  },
  {
    label: "an idempotent request's mutation cannot belong to a key of another organization",
    constraint: 'idempotency_mutations_key_fkey',
    attempt: async (db, own, other) => {
      const user = await insertUser(db, { org_id: other });
      const key = await db
        .insertInto('idempotency_keys')
        .values({
          org_id: other,
          user_id: user.id,
          key: 'k1',
          endpoint: 'POST /api/v1/aircraft',
          request_hash: 'h',
          expires_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db.insertInto('idempotency_mutations').values({ org_id: own, key_id: key.id, seq: 1 }).execute();
    },
  },
  {
    label: 'a delivery cannot go to a webhook of another organization',
    constraint: 'webhook_deliveries_webhook_fkey',
    attempt: async (db, own, other) =>
      db
        .insertInto('webhook_deliveries')
        .values({
          org_id: own,
          webhook_id: (await insertWebhook(db, { org_id: other })).id,
          event_id: (await insertOutboxEvent(db, { org_id: own })).id,
        })
        .execute(),
  },
  {
    label: 'a delivery cannot carry an event of another organization',
    constraint: 'webhook_deliveries_event_fkey',
    attempt: async (db, own, other) =>
      db
        .insertInto('webhook_deliveries')
        .values({
          org_id: own,
          webhook_id: (await insertWebhook(db, { org_id: own })).id,
          event_id: (await insertOutboxEvent(db, { org_id: other })).id,
        })
        .execute(),
  },
  {
    label: 'an import cannot be created by a user of another organization',
    constraint: 'imports_created_by_fkey',
    attempt: async (db, own, other) =>
      insertImport(db, { org_id: own, created_by: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'an import row cannot belong to an import of another organization',
    constraint: 'import_rows_import_fkey',
    attempt: async (db, own, other) =>
      db
        .insertInto('import_rows')
        .values({
          org_id: own,
          import_id: (await insertImport(db, { org_id: other })).id,
          row_number: 1,
          raw: '{}',
        })
        .execute(),
  },
  // qualified people
  {
    label: 'a certification cannot belong to a user of another organization',
    constraint: 'employee_certifications_user_fkey',
    attempt: async (db, own, other) =>
      insertEmployeeCertification(db, { org_id: own, user_id: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'a certification names its verifier inside that verifier’s organization',
    constraint: 'employee_certifications_verified_by_fkey',
    attempt: async (db, own, other) =>
      insertEmployeeCertification(db, {
        org_id: own,
        verified_by_org_id: own,
        verified_by: (await insertUser(db, { org_id: other })).id,
        verified_at: new Date(),
      }),
  },
  {
    label: 'a type rating cannot belong to a user of another organization',
    constraint: 'type_ratings_user_fkey',
    attempt: async (db, own, other) => {
      const certification = await insertEmployeeCertification(db, { org_id: other });
      return insertTypeRating(db, {
        org_id: own,
        user_id: certification.user_id,
        certification_id: certification.id,
      });
    },
  },
  {
    label: 'a type rating cannot be carried by a certification of another organization',
    constraint: 'type_ratings_certification_fkey',
    attempt: async (db, own, other) =>
      insertTypeRating(db, {
        org_id: own,
        user_id: (await insertUser(db, { org_id: own })).id,
        certification_id: (await insertEmployeeCertification(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a skill cannot belong to a user of another organization',
    constraint: 'employee_skills_user_fkey',
    attempt: async (db, own, other) =>
      insertEmployeeSkill(db, { org_id: own, user_id: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'recency cannot be logged for a user of another organization',
    constraint: 'recency_entries_user_fkey',
    attempt: async (db, own, other) =>
      insertRecencyEntry(db, { org_id: own, user_id: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'a manual recency entry names its author inside that author’s organization',
    constraint: 'recency_entries_created_by_fkey',
    attempt: async (db, own, other) =>
      insertRecencyEntry(db, {
        org_id: own,
        created_by_org_id: own,
        created_by: (await insertUser(db, { org_id: other })).id,
      }),
  },
  {
    label: 'recency cannot come from a task of another organization',
    constraint: 'recency_entries_task_fkey',
    attempt: async (db, own, other) =>
      insertRecencyEntry(db, { org_id: own, task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a skill requirement cannot be narrowed to a program of another organization',
    constraint: 'task_skill_requirements_program_fkey',
    attempt: async (db, own, other) =>
      insertTaskSkillRequirement(db, {
        org_id: own,
        program_id: (await insertProgram(db, { org_id: other })).id,
      }),
  },
  // airworthiness directives
  {
    label: 'a directive cannot be superseded by a directive of another organization',
    constraint: 'directives_superseded_by_fkey',
    attempt: async (db, own, other) =>
      insertDirective(db, {
        org_id: own,
        status: 'superseded',
        superseded_by: (await insertDirective(db, { org_id: other })).id,
      }),
  },
  {
    label: 'aircraft types cannot be added to a directive of another organization',
    constraint: 'directive_aircraft_types_directive_fkey',
    attempt: async (db, own, other) =>
      db
        .insertInto('directive_aircraft_types')
        .values({
          org_id: own,
          directive_id: (await insertDirective(db, { org_id: other }, [])).id,
          aircraft_type_id: await aircraftTypeId(db, 'A20N'),
        })
        .execute(),
  },
  {
    label: 'a task cannot comply with a directive of another organization',
    constraint: 'maintenance_tasks_directive_fkey',
    attempt: async (db, own, other) =>
      insertTask(db, { org_id: own, directive_id: (await insertDirective(db, { org_id: other })).id }),
  },
  {
    label: 'a directive cannot be tracked on an aircraft of another organization',
    constraint: 'aircraft_directives_aircraft_fkey',
    attempt: async (db, own, other) =>
      insertAircraftDirective(db, {
        org_id: own,
        aircraft_id: (await insertAircraft(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a directive of another organization cannot be tracked on an aircraft',
    constraint: 'aircraft_directives_directive_fkey',
    attempt: async (db, own, other) =>
      insertAircraftDirective(db, {
        org_id: own,
        directive_id: (await insertDirective(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a tracked directive cannot be booked to a task of another organization',
    constraint: 'aircraft_directives_task_fkey',
    attempt: async (db, own, other) =>
      insertAircraftDirective(db, { org_id: own, task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a tracked directive’s status cannot be changed by a user of another organization',
    constraint: 'aircraft_directives_status_changed_by_fkey',
    attempt: async (db, own, other) =>
      insertAircraftDirective(db, {
        org_id: own,
        status_changed_by_org_id: own,
        status_changed_by: (await insertUser(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a tracked directive cannot point at a compliance record of another organization',
    constraint: 'aircraft_directives_last_compliance_fkey',
    attempt: async (db, own, other) =>
      insertAircraftDirective(db, {
        org_id: own,
        last_compliance_id: (await insertComplianceRecord(db, { org_id: other })).id,
      }),
  },
  {
    label: 'a compliance record cannot belong to a tracked directive of another organization',
    constraint: 'directive_compliance_records_tracking_fkey',
    attempt: async (db, own, other) => {
      const mine = await insertAircraftDirective(db, { org_id: own });
      const theirs = await insertAircraftDirective(db, { org_id: other });
      return db
        .insertInto('directive_compliance_records')
        .values({
          org_id: own,
          aircraft_directive_id: theirs.id,
          aircraft_id: mine.aircraft_id,
          directive_id: mine.directive_id,
          performed_at: new Date(),
          flight_hours: 1,
          cycles: 1,
          method: 'Inspection',
          signed_by: (await insertUser(db, { org_id: own })).id,
        })
        .execute();
    },
  },
  {
    label: 'a compliance record cannot name an aircraft of another organization',
    constraint: 'directive_compliance_records_aircraft_fkey',
    attempt: async (db, own, other) =>
      ownComplianceRecord(db, own, { aircraft_id: (await insertAircraft(db, { org_id: other })).id }),
  },
  {
    label: 'a compliance record cannot name a directive of another organization',
    constraint: 'directive_compliance_records_directive_fkey',
    attempt: async (db, own, other) =>
      ownComplianceRecord(db, own, { directive_id: (await insertDirective(db, { org_id: other })).id }),
  },
  {
    label: 'a compliance record cannot name a task of another organization',
    constraint: 'directive_compliance_records_task_fkey',
    attempt: async (db, own, other) =>
      ownComplianceRecord(db, own, { task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a compliance record cannot be signed by a user of another organization',
    constraint: 'directive_compliance_records_signed_by_fkey',
    attempt: async (db, own, other) =>
      ownComplianceRecord(db, own, { signed_by: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'a task cannot depend on a task of another organization',
    constraint: 'task_dependencies_predecessor_fkey',
    attempt: async (db, own, other) =>
      insertTaskDependency(db, { org_id: own, predecessor_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a task of another organization cannot depend on one of ours',
    constraint: 'task_dependencies_successor_fkey',
    attempt: async (db, own, other) =>
      insertTaskDependency(db, { org_id: own, successor_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a dependency’s author is a user of the organization they name',
    constraint: 'task_dependencies_created_by_fkey',
    attempt: async (db, own, other) =>
      insertTaskDependency(db, {
        org_id: own,
        created_by: (await insertUser(db, { org_id: other })).id,
        created_by_org_id: own,
      }),
  },
  {
    label: 'a schedule change cannot belong to a task of another organization',
    constraint: 'task_schedule_changes_task_fkey',
    attempt: async (db, own, other) =>
      insertScheduleChange(db, { org_id: own, task_id: (await insertTask(db, { org_id: other })).id }),
  },
  {
    label: 'a schedule change’s author is a user of the organization they name',
    constraint: 'task_schedule_changes_changed_by_fkey',
    attempt: async (db, own, other) =>
      insertScheduleChange(db, {
        org_id: own,
        changed_by: (await insertUser(db, { org_id: other })).id,
        changed_by_org_id: own,
      }),
  },
  {
    label: 'an alert cannot be about an aircraft of another organization',
    constraint: 'alerts_aircraft_fkey',
    attempt: async (db, own, other) =>
      insertAlert(db, { org_id: own, aircraft_id: (await insertAircraft(db, { org_id: other })).id }),
  },
  {
    label: 'an alert cannot be about a user of another organization',
    constraint: 'alerts_user_fkey',
    attempt: async (db, own, other) =>
      insertAlert(db, { org_id: own, user_id: (await insertUser(db, { org_id: other })).id }),
  },
  {
    label: 'an alert’s acknowledger is a user of the organization they name',
    constraint: 'alerts_acknowledged_by_fkey',
    attempt: async (db, own, other) =>
      insertAlert(db, {
        org_id: own,
        acknowledged_by: (await insertUser(db, { org_id: other })).id,
        acknowledged_by_org_id: own,
        acknowledged_at: new Date(),
      }),
  },
  {
    label: 'an alert’s resolver is a user of the organization they name',
    constraint: 'alerts_resolved_by_fkey',
    attempt: async (db, own, other) =>
      insertAlert(db, {
        org_id: own,
        resolved_by: (await insertUser(db, { org_id: other })).id,
        resolved_by_org_id: own,
        resolved_at: new Date(),
      }),
  },
];

describe('composite tenant foreign keys', () => {
  it.each(crossTenant)('$label', async ({ constraint, attempt }) => {
    const error = await rejectionOf(attempt(t.db, own, other));
    expect(error).toMatchObject({ code: '23503', constraint });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ kind: 'validation', reason: 'REFERENCE_NOT_FOUND' });
  });

  it('covers every composite foreign key of the schema', async () => {
    const { rows } = await sql<{ conname: string }>`
      SELECT conname FROM pg_constraint
       WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND cardinality(conkey) > 1
       ORDER BY conname`.execute(t.db);
    expect(rows.map((r) => r.conname)).toEqual(crossTenant.map((c) => c.constraint).sort());
  });

  it('every tenant table carries org_id in its foreign keys to other tenant tables', async () => {
    // A single-column FK between tenant tables would let a row point into another tenant. Only the
    // global reference tables (no org_id, or org_id null for the seeded rows) may be named by id alone.
    const { rows } = await sql<{ conname: string; parent: string }>`
      SELECT c.conname, c.confrelid::regclass::text AS parent FROM pg_constraint c
       WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
         AND cardinality(c.conkey) = 1 AND c.confrelid <> 'organizations'::regclass
       ORDER BY c.conname`.execute(t.db);
    expect(rows.filter((r) => !GLOBAL_REFERENCE_TABLES.includes(r.parent))).toEqual([]);
    expect(rows.map((r) => r.conname)).toContain('aircraft_aircraft_type_fkey');
  });

  it('a reference table that holds organizations’ own rows is guarded by the type-visible trigger', async () => {
    // certification_types and skill_types mix global rows with an org's own: a plain FK cannot
    // say "global or mine", so every table naming one must run amss_check_type_visible on it.
    const { rows } = await sql<{ child: string; column: string; guarded: boolean }>`
      SELECT c.conrelid::regclass::text AS child, a.attname AS column,
             EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
                      WHERE tg.tgrelid = c.conrelid AND p.proname = 'amss_check_type_visible'
                        AND encode(tg.tgargs, 'escape') LIKE '%' || a.attname || '%') AS guarded
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND cardinality(c.conkey) = 1
         AND c.confrelid IN ('certification_types'::regclass, 'skill_types'::regclass)
       ORDER BY 1, 2`.execute(t.db);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((r) => !r.guarded)).toEqual([]);
  });

  it('the same parent works from its own organization', async () => {
    const aircraft = await insertAircraft(t.db, { org_id: own });
    const mechanic = await insertUser(t.db, { org_id: own });
    const program = await insertProgram(t.db, { org_id: own, aircraft_id: aircraft.id });
    const task = await insertTask(t.db, {
      aircraft_id: aircraft.id,
      program_id: program.id,
      assigned_mechanic_id: mechanic.id,
    });
    expect(task.org_id).toBe(own);
  });

  it('a directive’s tracking, task and compliance record work from its own organization', async () => {
    const tracking = await insertAircraftDirective(t.db, { org_id: own });
    const task = await insertTask(t.db, {
      aircraft_id: tracking.aircraft_id,
      directive_id: tracking.directive_id,
    });
    const record = await insertComplianceRecord(t.db, {
      aircraft_directive_id: tracking.id,
      task_id: task.id,
    });
    const linked = await t.db
      .updateTable('aircraft_directives')
      .set({ status: 'complied', last_compliance_id: record.id, task_id: task.id })
      .where('id', '=', tracking.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(linked).toMatchObject({ org_id: own, last_compliance_id: record.id, task_id: task.id });
  });
});

describe('organization references', () => {
  const orphans: { table: string; attempt: (db: Executor, org: string) => Promise<unknown> }[] = [
    {
      table: 'org_policies',
      attempt: (db, org) => db.insertInto('org_policies').values({ org_id: org }).execute(),
    },
    { table: 'users', attempt: (db, org) => insertUser(db, { org_id: org }) },
    { table: 'aircraft', attempt: (db, org) => insertAircraft(db, { org_id: org }) },
    { table: 'maintenance_programs', attempt: (db, org) => insertProgram(db, { org_id: org }) },
    { table: 'part_definitions', attempt: (db, org) => insertPartDefinition(db, { org_id: org }) },
    { table: 'audit_logs', attempt: (db, org) => insertAuditLog(db, { org_id: org }) },
    { table: 'outbox_events', attempt: (db, org) => insertOutboxEvent(db, { org_id: org }) },
    { table: 'webhooks', attempt: (db, org) => insertWebhook(db, { org_id: org }) },
    { table: 'organization_registrations', attempt: (db, org) => insertRegistration(db, { org_id: org }) },
    { table: 'directives', attempt: (db, org) => insertDirective(db, { org_id: org }) },
  ];

  it.each(orphans)(
    'a $table row of an organization that does not exist is rejected',
    async ({ table, attempt }) => {
      const error = await rejectionOf(attempt(t.db, randomUUID()));
      expect(error).toMatchObject({ code: '23503', constraint: `${table}_org_id_fkey` });
      expect(translateDatabaseError(error)).toMatchObject({ kind: 'validation' });
    },
  );
});

describe("another organization's certification or skill type", () => {
  const refusals: {
    label: string;
    constraint: string;
    field: string;
    attempt: (db: Executor, own: string, other: string) => Promise<unknown>;
  }[] = [
    {
      label: 'a certification cannot be of another organization’s certification type',
      constraint: 'employee_certifications_certification_type_id_visible',
      field: 'certification_type_id',
      attempt: async (db, own, other) =>
        insertEmployeeCertification(db, {
          org_id: own,
          certification_type_id: (await insertCertificationType(db, { org_id: other })).id,
        }),
    },
    {
      label: 'a skill cannot be of another organization’s skill type',
      constraint: 'employee_skills_skill_type_id_visible',
      field: 'skill_type_id',
      attempt: async (db, own, other) =>
        insertEmployeeSkill(db, {
          org_id: own,
          skill_type_id: (await insertSkillType(db, { org_id: other })).id,
        }),
    },
    {
      label: 'a skill requirement cannot require another organization’s certification type',
      constraint: 'task_skill_requirements_certification_type_id_visible',
      field: 'certification_type_id',
      attempt: async (db, own, other) =>
        insertTaskSkillRequirement(db, {
          org_id: own,
          certification_type_id: (await insertCertificationType(db, { org_id: other })).id,
        }),
    },
    {
      label: 'a skill requirement cannot require another organization’s skill type',
      constraint: 'task_skill_requirements_skill_type_id_visible',
      field: 'skill_type_id',
      attempt: async (db, own, other) =>
        insertTaskSkillRequirement(db, {
          org_id: own,
          certification_type_id: null,
          skill_type_id: (await insertSkillType(db, { org_id: other })).id,
        }),
    },
    {
      label: 'a certification cannot be moved onto another organization’s type later',
      constraint: 'employee_certifications_certification_type_id_visible',
      field: 'certification_type_id',
      attempt: async (db, own, other) => {
        const certification = await insertEmployeeCertification(db, { org_id: own });
        const foreign = await insertCertificationType(db, { org_id: other });
        return db
          .updateTable('employee_certifications')
          .set({ certification_type_id: foreign.id })
          .where('id', '=', certification.id)
          .execute();
      },
    },
    {
      label: 'a skill cannot be moved onto another organization’s type later',
      constraint: 'employee_skills_skill_type_id_visible',
      field: 'skill_type_id',
      attempt: async (db, own, other) => {
        const skill = await insertEmployeeSkill(db, { org_id: own });
        const foreign = await insertSkillType(db, { org_id: other });
        return db
          .updateTable('employee_skills')
          .set({ skill_type_id: foreign.id })
          .where('id', '=', skill.id)
          .execute();
      },
    },
  ];

  it.each(refusals)('$label', async ({ constraint, field, attempt }) => {
    const error = await rejectionOf(attempt(t.db, own, other));
    expect(error).toMatchObject({ code: '23503', constraint });
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(AppError);
    // A 400 naming the field, never a 500.
    expect(translated).toMatchObject({
      kind: 'validation',
      reason: 'REFERENCE_NOT_FOUND',
      details: [{ field: `body.${field}` }],
    });
  });

  it('global types and the organization’s own types are accepted', async () => {
    const ownCertificationType = await insertCertificationType(t.db, { org_id: own });
    const ownSkillType = await insertSkillType(t.db, { org_id: own });
    const user = await insertUser(t.db, { org_id: own });
    await insertEmployeeCertification(t.db, {
      user_id: user.id,
      certification_type_id: ownCertificationType.id,
    });
    await insertEmployeeCertification(t.db, {
      user_id: user.id,
      certification_type_id: await globalCertificationTypeId(t.db),
    });
    await insertEmployeeSkill(t.db, { user_id: user.id, skill_type_id: ownSkillType.id });
    await insertEmployeeSkill(t.db, { user_id: user.id, skill_type_id: await globalSkillTypeId(t.db) });
    const requirement = await insertTaskSkillRequirement(t.db, {
      org_id: own,
      certification_type_id: ownCertificationType.id,
      skill_type_id: ownSkillType.id,
      min_proficiency: 2,
    });
    expect(requirement.org_id).toBe(own);
  });

  it('a type rating must be carried by the same user’s certification', async () => {
    const holder = await insertEmployeeCertification(t.db, { org_id: own });
    const colleague = await insertUser(t.db, { org_id: own });
    const error = await rejectionOf(
      insertTypeRating(t.db, { user_id: colleague.id, certification_id: holder.id }),
    );
    expect(error).toMatchObject({ code: '23503', constraint: 'type_ratings_certification_fkey' });
    expect(translateDatabaseError(error)).toMatchObject({ kind: 'validation' });
  });
});
