/**
 * Factories for the qualified-people tables (migration 00015), in the style of factories.ts: each
 * inserts one row with sensible defaults, creates the parents it needs when the overrides name
 * none, and returns the row. Global reference rows are looked up, never created. Numeric columns
 * (hours) take numbers. The one module for qualification test data.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../src/infra/postgres/executor.js';
import type {
  CertificationTypesTable,
  EmployeeCertificationsTable,
  EmployeeSkillsTable,
  RecencyEntriesTable,
  SkillTypesTable,
  TaskSkillRequirementsTable,
  TypeRatingsTable,
} from '../../src/infra/postgres/schema.js';
import { insertOrganization, insertUser } from './factories.js';

type Overrides<T> = Partial<Insertable<T>>;
/** Overrides with the numeric (decimal) columns given as numbers. */
type NumericOverrides<T, K extends keyof Insertable<T>> = Omit<Overrides<T>, K> & {
  [P in K]?: number | null;
};

const decimal = (value: number | null | undefined): string | null | undefined =>
  value === null || value === undefined ? value : String(value);

const unique = (): string => randomUUID().slice(0, 8).toUpperCase();
const DAY = 86_400_000;

/** The id of a seeded aircraft type by ICAO designator (A320 by default). */
export async function aircraftTypeId(db: Executor, designator = 'A320'): Promise<string> {
  const row = await db
    .selectFrom('aircraft_types')
    .select('id')
    .where('designator', '=', designator)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a seeded (global) certification type, EASA Part-66 B1 by default. */
export async function globalCertificationTypeId(
  db: Executor,
  authority = 'EASA',
  code = 'PART66-B1',
): Promise<string> {
  const row = await db
    .selectFrom('certification_types')
    .select('id')
    .where('org_id', 'is', null)
    .where('authority', '=', authority)
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a seeded (global) skill type, borescope by default. */
export async function globalSkillTypeId(db: Executor, code = 'BORESCOPE'): Promise<string> {
  const row = await db
    .selectFrom('skill_types')
    .select('id')
    .where('org_id', 'is', null)
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An organization's own certification type (of a new organization unless `org_id` is given). */
export async function insertCertificationType(
  db: Executor,
  overrides: Overrides<CertificationTypesTable> = {},
): Promise<Selectable<CertificationTypesTable>> {
  const orgId = overrides.org_id === undefined ? (await insertOrganization(db)).id : overrides.org_id;
  return db
    .insertInto('certification_types')
    .values({
      authority: 'COMPANY',
      code: `AUTH-${unique()}`,
      name: 'Company authorization',
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An organization's own skill type (of a new organization unless `org_id` is given). */
export async function insertSkillType(
  db: Executor,
  overrides: Overrides<SkillTypesTable> = {},
): Promise<Selectable<SkillTypesTable>> {
  const orgId = overrides.org_id === undefined ? (await insertOrganization(db)).id : overrides.org_id;
  return db
    .insertInto('skill_types')
    .values({
      code: `SKILL-${unique()}`,
      name: 'Company skill',
      category: 'Company',
      ...overrides,
      org_id: orgId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The organization of the given user, or of a new user when none is named. */
async function userAndOrg(
  db: Executor,
  orgId: string | undefined,
  userId: string | undefined,
): Promise<{ orgId: string; userId: string }> {
  if (userId !== undefined) {
    if (orgId !== undefined) return { orgId, userId };
    const row = await db
      .selectFrom('users')
      .select('org_id')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return { orgId: row.org_id, userId };
  }
  const user = await insertUser(db, orgId === undefined ? {} : { org_id: orgId });
  return { orgId: user.org_id, userId: user.id };
}

/** An active EASA B1 issued a year ago, expiring in a year, of a new mechanic unless `user_id` is given. */
export async function insertEmployeeCertification(
  db: Executor,
  overrides: Overrides<EmployeeCertificationsTable> = {},
): Promise<Selectable<EmployeeCertificationsTable>> {
  const { orgId, userId } = await userAndOrg(db, overrides.org_id, overrides.user_id);
  return db
    .insertInto('employee_certifications')
    .values({
      certification_type_id: overrides.certification_type_id ?? (await globalCertificationTypeId(db)),
      certificate_number: `LIC-${unique()}`,
      issue_date: new Date(Date.now() - 365 * DAY),
      expiry_date: new Date(Date.now() + 365 * DAY),
      ...overrides,
      org_id: orgId,
      user_id: userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An A320 rating carried by a new certification of the same user unless `certification_id` is given. */
export async function insertTypeRating(
  db: Executor,
  overrides: Overrides<TypeRatingsTable> = {},
): Promise<Selectable<TypeRatingsTable>> {
  const { orgId, userId } = await userAndOrg(db, overrides.org_id, overrides.user_id);
  const certificationId =
    overrides.certification_id ??
    (await insertEmployeeCertification(db, { org_id: orgId, user_id: userId })).id;
  return db
    .insertInto('type_ratings')
    .values({
      aircraft_type_id: overrides.aircraft_type_id ?? (await aircraftTypeId(db)),
      endorsed_date: new Date(Date.now() - 30 * DAY),
      ...overrides,
      org_id: orgId,
      user_id: userId,
      certification_id: certificationId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Borescope at proficiency 3, of a new mechanic unless `user_id` is given. */
export async function insertEmployeeSkill(
  db: Executor,
  overrides: Overrides<EmployeeSkillsTable> = {},
): Promise<Selectable<EmployeeSkillsTable>> {
  const { orgId, userId } = await userAndOrg(db, overrides.org_id, overrides.user_id);
  return db
    .insertInto('employee_skills')
    .values({
      skill_type_id: overrides.skill_type_id ?? (await globalSkillTypeId(db)),
      proficiency: 3,
      ...overrides,
      org_id: orgId,
      user_id: userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Two hours on the A320 yesterday, entered by hand, of a new mechanic unless `user_id` is given. */
export async function insertRecencyEntry(
  db: Executor,
  overrides: NumericOverrides<RecencyEntriesTable, 'hours'> = {},
): Promise<Selectable<RecencyEntriesTable>> {
  const { orgId, userId } = await userAndOrg(db, overrides.org_id, overrides.user_id);
  const { hours, ...rest } = overrides;
  return db
    .insertInto('recency_entries')
    .values({
      aircraft_type_id: overrides.aircraft_type_id ?? (await aircraftTypeId(db)),
      performed_at: new Date(Date.now() - DAY),
      ...rest,
      hours: decimal(hours) ?? '2',
      org_id: orgId,
      user_id: userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * An inspection task needs an EASA B1 (when the overrides ask for nothing else: no certification,
 * skill, type rating or recency), in a new organization unless `org_id` is given.
 */
export async function insertTaskSkillRequirement(
  db: Executor,
  overrides: NumericOverrides<TaskSkillRequirementsTable, 'min_recency_hours'> = {},
): Promise<Selectable<TaskSkillRequirementsTable>> {
  const orgId = overrides.org_id ?? (await insertOrganization(db)).id;
  const asksSomething =
    'certification_type_id' in overrides ||
    'skill_type_id' in overrides ||
    overrides.type_rating_required === true ||
    overrides.min_recency_hours != null;
  const { min_recency_hours, ...rest } = overrides;
  return db
    .insertInto('task_skill_requirements')
    .values({
      task_type: 'inspection',
      ...(asksSomething ? {} : { certification_type_id: await globalCertificationTypeId(db) }),
      ...rest,
      min_recency_hours: decimal(min_recency_hours),
      org_id: orgId,
    })
    .returningAll()
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
