/** Helpers for people-records tests: reference type ids and rows inserted straight into the database. */
import type { Executor } from '../../src/infra/postgres/executor.js';

/** The id of a seeded global certification type. */
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

/** The id of a seeded global skill type. */
export async function skillTypeId(db: Executor, code: string): Promise<string> {
  const row = await db
    .selectFrom('skill_types')
    .select('id')
    .where('code', '=', code)
    .where('org_id', 'is', null)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The id of a seeded aircraft type. */
export async function aircraftTypeId(db: Executor, designator: string): Promise<string> {
  const row = await db
    .selectFrom('aircraft_types')
    .select('id')
    .where('designator', '=', designator)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An organization's own certification type. */
export async function insertOrgCertificationType(
  db: Executor,
  orgId: string,
  overrides: { code?: string; expires?: boolean; deleted?: boolean } = {},
): Promise<string> {
  const row = await db
    .insertInto('certification_types')
    .values({
      org_id: orgId,
      authority: 'IN-HOUSE',
      code: overrides.code ?? `AUTH-${Math.random().toString(36).slice(2, 8)}`,
      name: 'In-house authorisation',
      expires: overrides.expires ?? true,
      deleted_at: overrides.deleted ? new Date() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An organization's own skill type. */
export async function insertOrgSkillType(db: Executor, orgId: string): Promise<string> {
  const row = await db
    .insertInto('skill_types')
    .values({
      org_id: orgId,
      code: `SKILL-${Math.random().toString(36).slice(2, 8)}`,
      name: 'In-house skill',
      category: 'Local',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const YEAR = 365 * 86_400_000;

/** A live certification row (EASA B1 by default, issued a year ago, expiring in four). */
export async function insertCertification(
  db: Executor,
  input: {
    orgId: string;
    userId: string;
    typeId: string;
    expiryDate?: Date | null;
    status?: 'active' | 'suspended' | 'revoked';
  },
): Promise<string> {
  const row = await db
    .insertInto('employee_certifications')
    .values({
      org_id: input.orgId,
      user_id: input.userId,
      certification_type_id: input.typeId,
      certificate_number: `CERT-${Math.random().toString(36).slice(2, 8)}`,
      issue_date: new Date(Date.now() - YEAR),
      expiry_date: input.expiryDate === undefined ? new Date(Date.now() + 4 * YEAR) : input.expiryDate,
      status: input.status ?? 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A live type rating row carried by `certificationId`. */
export async function insertTypeRating(
  db: Executor,
  input: { orgId: string; userId: string; certificationId: string; aircraftTypeId: string },
): Promise<string> {
  const row = await db
    .insertInto('type_ratings')
    .values({
      org_id: input.orgId,
      user_id: input.userId,
      certification_id: input.certificationId,
      aircraft_type_id: input.aircraftTypeId,
      endorsed_date: new Date(Date.now() - YEAR / 2),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A live skill row. */
export async function insertSkill(
  db: Executor,
  input: { orgId: string; userId: string; skillTypeId: string },
): Promise<string> {
  const row = await db
    .insertInto('employee_skills')
    .values({ org_id: input.orgId, user_id: input.userId, skill_type_id: input.skillTypeId, proficiency: 3 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A live recency row; with `taskId`, one written by a completed task. */
export async function insertRecency(
  db: Executor,
  input: {
    orgId: string;
    userId: string;
    aircraftTypeId: string;
    taskId?: string;
    hours?: number;
    performedAt?: Date;
  },
): Promise<string> {
  const row = await db
    .insertInto('recency_entries')
    .values({
      org_id: input.orgId,
      user_id: input.userId,
      aircraft_type_id: input.aircraftTypeId,
      hours: input.hours ?? 4,
      performed_at: input.performedAt ?? new Date(Date.now() - 86_400_000),
      task_id: input.taskId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The audit rows and outbox events of one entity, oldest first. */
export async function effectsOf(
  db: Executor,
  entityId: string,
): Promise<{
  audit: { action: string; entity_type: string; details: Record<string, unknown>; user_id: string | null }[];
  events: { event_type: string; payload: Record<string, unknown> }[];
}> {
  const audit = await db
    .selectFrom('audit_logs')
    .select(['action', 'entity_type', 'details', 'user_id'])
    .where('entity_id', '=', entityId)
    .orderBy('timestamp')
    .execute();
  const events = await db
    .selectFrom('outbox_events')
    .select(['event_type', 'payload'])
    .where('aggregate_id', '=', entityId)
    .orderBy('created_at')
    .execute();
  return { audit, events };
}
