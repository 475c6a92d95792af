/** People facts written straight to the database, for the qualification tests. */
import type { Executor } from '../../src/infra/postgres/executor.js';

/** The id of a seeded aircraft type, by ICAO designator. */
export async function aircraftTypeId(db: Executor, designator: string): Promise<string> {
  const row = await db
    .selectFrom('aircraft_types')
    .select('id')
    .where('designator', '=', designator)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a seeded (global) certification type. */
export async function certificationTypeId(db: Executor, authority: string, code: string): Promise<string> {
  const row = await db
    .selectFrom('certification_types')
    .select('id')
    .where('authority', '=', authority)
    .where('code', '=', code)
    .where('org_id', 'is', null)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a seeded (global) skill type. */
export async function skillTypeId(db: Executor, code: string): Promise<string> {
  const row = await db
    .selectFrom('skill_types')
    .select('id')
    .where('code', '=', code)
    .where('org_id', 'is', null)
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertCertification(
  db: Executor,
  values: {
    org_id: string;
    user_id: string;
    certification_type_id: string;
    status?: 'active' | 'suspended' | 'revoked';
    expiry_date?: Date | null;
  },
): Promise<{ id: string }> {
  return db
    .insertInto('employee_certifications')
    .values({
      certificate_number: `N-${Math.random().toString(36).slice(2, 10)}`,
      issue_date: new Date('2020-01-01T00:00:00Z'),
      ...values,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function insertTypeRating(
  db: Executor,
  values: {
    org_id: string;
    user_id: string;
    aircraft_type_id: string;
    certification_id: string;
    expiry_date?: Date | null;
  },
): Promise<{ id: string }> {
  return db
    .insertInto('type_ratings')
    .values({ endorsed_date: new Date('2020-06-01T00:00:00Z'), ...values })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function insertSkill(
  db: Executor,
  values: {
    org_id: string;
    user_id: string;
    skill_type_id: string;
    proficiency: number;
    qualified?: boolean;
    expiry_date?: Date | null;
  },
): Promise<{ id: string }> {
  return db.insertInto('employee_skills').values(values).returning('id').executeTakeFirstOrThrow();
}

export async function insertRecency(
  db: Executor,
  values: { org_id: string; user_id: string; aircraft_type_id: string; hours: number; performed_at: Date },
): Promise<{ id: string }> {
  return db
    .insertInto('recency_entries')
    .values({ ...values, hours: String(values.hours) })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function insertRequirement(
  db: Executor,
  values: {
    org_id: string;
    task_type?: 'inspection' | 'repair' | 'overhaul';
    aircraft_type_id?: string | null;
    program_id?: string | null;
    certification_type_id?: string | null;
    type_rating_required?: boolean;
    skill_type_id?: string | null;
    min_proficiency?: number | null;
    min_recency_hours?: number | null;
    recency_window_days?: number | null;
    certifying?: boolean;
    inspection?: boolean;
  },
): Promise<{ id: string }> {
  const { min_recency_hours, ...rest } = values;
  return db
    .insertInto('task_skill_requirements')
    .values({
      task_type: 'inspection',
      ...rest,
      min_recency_hours:
        min_recency_hours === undefined || min_recency_hours === null ? null : String(min_recency_hours),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/**
 * Unassigns a mechanic from their live scheduled and in-progress tasks, so a test may book them
 * again at any time: a mechanic is never on two overlapping active tasks
 * (maintenance_tasks_mechanic_no_overlap), and tests that reuse one mechanic for many tasks
 * "starting in a minute" would otherwise collide with the ones before.
 */
export async function releaseMechanic(db: Executor, mechanicId: string): Promise<void> {
  await db
    .updateTable('maintenance_tasks')
    .set({ assigned_mechanic_id: null })
    .where('assigned_mechanic_id', '=', mechanicId)
    .where('state', 'in', ['scheduled', 'in_progress'])
    .where('deleted_at', 'is', null)
    .execute();
}
