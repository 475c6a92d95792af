import { sql } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  PeopleQuery,
  PersonFactsRow,
  QualificationRepository,
  RecencyEntryRow,
  SkillRequirementFields,
  SkillRequirementFilter,
  SkillRequirementSortField,
  WorkRequirements,
} from '../../app/qualifications.js';
import {
  recencyWindow,
  type CertificationStatus,
  type SkillRequirement,
} from '../../domain/qualification.js';
import type { Role } from '../../domain/roles.js';
import type { TaskType } from '../../domain/task.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { isoTimestamp } from './json-views.js';
import { orderBySortKeys } from './listing.js';

// The type-visible trigger's refusals (task_skill_requirements_*_visible) are registered with the
// reference data (reference-data.ts), like those of the people tables.
registerConstraints({
  task_skill_requirements_program_fkey: {
    kind: 'not_found',
    reason: 'PROGRAM_NOT_FOUND',
    message: 'the maintenance program does not exist in this organization',
    field: 'body.program_id',
  },
  task_skill_requirements_aircraft_type_fkey: {
    kind: 'not_found',
    reason: 'REFERENCE_NOT_FOUND',
    message: 'the aircraft type does not exist',
    field: 'body.aircraft_type_id',
  },
  task_skill_requirements_certification_type_fkey: {
    kind: 'not_found',
    reason: 'REFERENCE_NOT_FOUND',
    message: 'the certification type does not exist',
    field: 'body.certification_type_id',
  },
  task_skill_requirements_skill_type_fkey: {
    kind: 'not_found',
    reason: 'REFERENCE_NOT_FOUND',
    message: 'the skill type does not exist',
    field: 'body.skill_type_id',
  },
  task_skill_requirements_min_proficiency_check: {
    kind: 'validation',
    reason: 'INVALID_REQUIREMENT',
    message: 'min_proficiency needs skill_type_id and lies between 1 and 5',
    field: 'body.min_proficiency',
  },
  task_skill_requirements_recency_complete: {
    kind: 'validation',
    reason: 'INVALID_REQUIREMENT',
    message: 'min_recency_hours and recency_window_days go together',
    field: 'body.min_recency_hours',
  },
  task_skill_requirements_requires_something: {
    kind: 'validation',
    reason: 'INVALID_REQUIREMENT',
    message:
      'the requirement requires nothing: give certification_type_id, skill_type_id, min_recency_hours or type_rating_required',
    field: 'body',
  },
});

/** A requirement row with the names of its types. */
export interface RequirementRow {
  id: string;
  org_id: string;
  task_type: TaskType;
  aircraft_type_id: string | null;
  program_id: string | null;
  certification_type_id: string | null;
  certification_type_name: string | null;
  type_rating_required: boolean;
  skill_type_id: string | null;
  skill_type_name: string | null;
  min_proficiency: number | null;
  min_recency_hours: string | number | null;
  recency_window_days: number | null;
  certifying: boolean;
  inspection: boolean;
  description: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export const toRequirement = (row: RequirementRow): SkillRequirement => ({
  id: row.id,
  orgId: row.org_id,
  taskType: row.task_type,
  aircraftTypeId: row.aircraft_type_id,
  programId: row.program_id,
  certificationTypeId: row.certification_type_id,
  certificationTypeName: row.certification_type_name,
  typeRatingRequired: row.type_rating_required,
  skillTypeId: row.skill_type_id,
  skillTypeName: row.skill_type_name,
  minProficiency: row.min_proficiency,
  minRecencyHours: row.min_recency_hours === null ? null : Number(row.min_recency_hours),
  recencyWindowDays: row.recency_window_days,
  certifying: row.certifying,
  inspection: row.inspection,
  description: row.description,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const SORT_COLUMNS: Record<SkillRequirementSortField, string> = {
  created_at: 'r.created_at',
  task_type: 'r.task_type',
};

const columnsOf = (fields: SkillRequirementFields) => ({
  task_type: fields.taskType,
  aircraft_type_id: fields.aircraftTypeId,
  program_id: fields.programId,
  certification_type_id: fields.certificationTypeId,
  type_rating_required: fields.typeRatingRequired,
  skill_type_id: fields.skillTypeId,
  min_proficiency: fields.minProficiency,
  min_recency_hours: fields.minRecencyHours === null ? null : String(fields.minRecencyHours),
  recency_window_days: fields.recencyWindowDays,
  certifying: fields.certifying,
  inspection: fields.inspection,
  description: fields.description,
});

/** JSON rows of the people query: timestamps arrive as text, numerics as numbers. */
interface PeopleRow {
  user_id: string;
  email: string;
  role: Role;
  certifications: {
    id: string;
    certification_type_id: string;
    name: string;
    status: CertificationStatus;
    expiry_date: string | null;
    confers_certifying: boolean;
    confers_inspection: boolean;
  }[];
  type_ratings: { aircraft_type_id: string; certification_id: string; expiry_date: string | null }[];
  skills: {
    skill_type_id: string;
    name: string;
    proficiency: number;
    qualified: boolean;
    expiry_date: string | null;
  }[];
  recency: { window_days: number; hours: string | number }[];
  overlapping_task_ids: string[];
}

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

export class PgQualificationRepository implements QualificationRepository {
  constructor(private readonly db: Executor) {}

  private selectRequirements() {
    return this.db
      .selectFrom('task_skill_requirements as r')
      .leftJoin('certification_types as ct', 'ct.id', 'r.certification_type_id')
      .leftJoin('skill_types as st', 'st.id', 'r.skill_type_id')
      .select([
        'r.id',
        'r.org_id',
        'r.task_type',
        'r.aircraft_type_id',
        'r.program_id',
        'r.certification_type_id',
        'ct.name as certification_type_name',
        'r.type_rating_required',
        'r.skill_type_id',
        'st.name as skill_type_name',
        'r.min_proficiency',
        'r.min_recency_hours',
        'r.recency_window_days',
        'r.certifying',
        'r.inspection',
        'r.description',
        'r.created_at',
        'r.updated_at',
      ]);
  }

  async insertRequirement(orgId: string, fields: SkillRequirementFields): Promise<SkillRequirement> {
    const { id } = await this.db
      .insertInto('task_skill_requirements')
      .values({ org_id: orgId, ...columnsOf(fields) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findRequirement(orgId, id))!;
  }

  async findRequirement(
    orgId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<SkillRequirement | undefined> {
    let query = this.selectRequirements()
      .where('r.org_id', '=', orgId)
      .where('r.id', '=', id)
      .where('r.deleted_at', 'is', null);
    if (options.lock) query = query.forUpdate('r');
    const row = await query.executeTakeFirst();
    return row && toRequirement(row);
  }

  async listRequirements(
    orgId: string,
    filter: SkillRequirementFilter,
    sort: SortKey<SkillRequirementSortField>[],
    page: Page,
  ): Promise<SkillRequirement[]> {
    let query = this.selectRequirements().where('r.org_id', '=', orgId).where('r.deleted_at', 'is', null);
    if (filter.taskType !== undefined) query = query.where('r.task_type', '=', filter.taskType);
    if (filter.aircraftTypeId !== undefined)
      query = query.where('r.aircraft_type_id', '=', filter.aircraftTypeId);
    if (filter.programId !== undefined) query = query.where('r.program_id', '=', filter.programId);
    const rows = await orderBySortKeys(query, sort, SORT_COLUMNS, 'r.id', {
      table: 'task_skill_requirements',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toRequirement);
  }

  async updateRequirement(
    orgId: string,
    id: string,
    fields: SkillRequirementFields,
  ): Promise<SkillRequirement | undefined> {
    const row = await this.db
      .updateTable('task_skill_requirements')
      .set({ ...columnsOf(fields), updated_at: new Date() })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row && this.findRequirement(orgId, id);
  }

  async softDeleteRequirement(orgId: string, id: string): Promise<SkillRequirement | undefined> {
    const now = new Date();
    const row = await this.db
      .updateTable('task_skill_requirements')
      .set({ deleted_at: now, updated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toRequirement({ ...row, certification_type_name: null, skill_type_name: null });
  }

  async requirementsFor(
    orgId: string,
    work: {
      taskType: TaskType;
      aircraftId?: string | undefined;
      aircraftTypeId?: string | null | undefined;
      programId: string | null;
    },
  ): Promise<WorkRequirements> {
    // One statement: the aircraft's type (when the work names an aircraft) and every live
    // requirement matching it, as a JSON array.
    const aircraftType =
      work.aircraftId !== undefined
        ? sql`(SELECT a.aircraft_type_id FROM aircraft a WHERE a.org_id = ${orgId} AND a.id = ${work.aircraftId}::uuid)`
        : sql`${work.aircraftTypeId ?? null}::uuid`;
    const { rows } = await sql<{
      aircraft_type_id: string | null;
      aircraft_type_name: string | null;
      requirements: RequirementRow[];
    }>`
      WITH work AS (SELECT ${aircraftType} AS aircraft_type_id)
      SELECT w.aircraft_type_id,
             (SELECT t.designator FROM aircraft_types t WHERE t.id = w.aircraft_type_id) AS aircraft_type_name,
             (SELECT coalesce(json_agg(req ORDER BY req.created_at, req.id), '[]') FROM (
                SELECT r.id, r.org_id, r.task_type, r.aircraft_type_id, r.program_id, r.certification_type_id,
                       ct.name AS certification_type_name, r.type_rating_required, r.skill_type_id,
                       st.name AS skill_type_name, r.min_proficiency, r.min_recency_hours, r.recency_window_days,
                       r.certifying, r.inspection, r.description, r.created_at, r.updated_at
                  FROM task_skill_requirements r
                  LEFT JOIN certification_types ct ON ct.id = r.certification_type_id
                  LEFT JOIN skill_types st ON st.id = r.skill_type_id
                 WHERE r.org_id = ${orgId} AND r.deleted_at IS NULL AND r.task_type = ${work.taskType}::task_type
                   AND (r.aircraft_type_id IS NULL OR r.aircraft_type_id = w.aircraft_type_id)
                   AND (r.program_id IS NULL OR r.program_id = ${work.programId}::uuid)) AS req) AS requirements
        FROM work w`.execute(this.db);
    const row = rows[0]!;
    return {
      aircraftTypeId: row.aircraft_type_id,
      aircraftTypeName: row.aircraft_type_name,
      requirements: row.requirements.map(toRequirement),
    };
  }

  async peopleFacts(orgId: string, query: PeopleQuery): Promise<PersonFactsRow[]> {
    const windowStarts = query.recencyDays.map((days) =>
      recencyWindow(query.window.start, days).start.toISOString(),
    );
    const lock = query.lock ? sql`FOR SHARE OF ec` : sql``;
    const lockRatings = query.lock ? sql`FOR SHARE OF tr` : sql``;
    const lockSkills = query.lock ? sql`FOR SHARE OF es` : sql``;
    const people =
      query.userIds === undefined ? sql`u.role = 'mechanic'` : sql`u.id = ANY(${query.userIds}::uuid[])`;
    // Named people are named to every fact table too, so each is read through its (org_id,
    // user_id) index. Joined through `people` instead, a prepared statement's generic plan read
    // the whole org's facts and, for each row, scanned the org's users for its owner: quadratic
    // in the org's mechanics (256 of them: 20-40 ms per check, most of an assigned create).
    // A named person who is not in `people` (deleted) has their facts read, and locked, for
    // nothing: the join below finds no person for them.
    const ofPeople = (column: string) =>
      query.userIds === undefined
        ? sql`${sql.ref(column)} IN (SELECT id FROM people)`
        : sql`${sql.ref(column)} = ANY(${query.userIds}::uuid[])`;
    // One statement for any number of people: each kind of fact is read once for the whole set
    // and grouped per person. The certification, rating and skill rows are read without a filter
    // on their status, so a row locked FOR SHARE that a concurrent change revoked is re-read with
    // its new status rather than silently dropped.
    // The planner must see what it is joining: `people` is inlined (NOT MATERIALIZED) so each
    // per-person aggregate joins users by its primary key, and the windows come from unnest, whose
    // length it knows. Materialized, with json_to_recordset, it estimated 2.5 million rows for
    // 2,000 mechanics, crossed jit_above_cost and spent 1.3 s of 1.5 s compiling the plan.
    const { rows } = await sql<PeopleRow>`
      WITH people AS NOT MATERIALIZED (
        SELECT u.id, u.email, u.role FROM users u
         WHERE u.org_id = ${orgId} AND u.deleted_at IS NULL AND ${people}
      ),
      certs AS (
        SELECT ec.user_id, ec.id, ec.certification_type_id, ct.name, ec.status, ec.expiry_date,
               ct.confers_certifying, ct.confers_inspection
          FROM employee_certifications ec
          JOIN certification_types ct ON ct.id = ec.certification_type_id
         WHERE ec.org_id = ${orgId} AND ec.deleted_at IS NULL AND ${ofPeople('ec.user_id')}
         ${lock}
      ),
      ratings AS (
        SELECT tr.user_id, tr.aircraft_type_id, tr.certification_id, tr.expiry_date
          FROM type_ratings tr
         WHERE tr.org_id = ${orgId} AND tr.deleted_at IS NULL AND ${ofPeople('tr.user_id')}
         ${lockRatings}
      ),
      skills AS (
        SELECT es.user_id, es.skill_type_id, st.name, es.proficiency, es.qualified, es.expiry_date
          FROM employee_skills es
          JOIN skill_types st ON st.id = es.skill_type_id
         WHERE es.org_id = ${orgId} AND es.deleted_at IS NULL AND ${ofPeople('es.user_id')}
         ${lockSkills}
      ),
      windows AS (
        SELECT w.days, w."from" AS from_at
          FROM unnest(${query.recencyDays}::int[], ${windowStarts}::timestamptz[]) AS w(days, "from")
      ),
      recency AS (
        SELECT r.user_id, w.days AS window_days, sum(r.hours) AS hours
          FROM recency_entries r
          JOIN windows w ON r.performed_at >= w.from_at
         WHERE r.org_id = ${orgId} AND r.deleted_at IS NULL AND ${ofPeople('r.user_id')}
           AND r.aircraft_type_id = ${query.aircraftTypeId}::uuid
           AND r.performed_at < ${query.window.start.toISOString()}::timestamptz
         GROUP BY r.user_id, w.days
      ),
      busy AS (
        SELECT t.assigned_mechanic_id AS user_id, array_agg(t.id ORDER BY t.start_time, t.id) AS task_ids
          FROM maintenance_tasks t
         WHERE t.org_id = ${orgId} AND t.deleted_at IS NULL AND t.state IN ('scheduled', 'in_progress')
           AND ${ofPeople('t.assigned_mechanic_id')}
           AND t.start_time < ${query.window.end.toISOString()}::timestamptz
           AND t.end_time > ${query.window.start.toISOString()}::timestamptz
           AND t.id IS DISTINCT FROM ${query.excludeTaskId ?? null}::uuid
         GROUP BY t.assigned_mechanic_id
      )
      SELECT p.id AS user_id, p.email, p.role,
             coalesce(c.items, '[]') AS certifications,
             coalesce(tr.items, '[]') AS type_ratings,
             coalesce(s.items, '[]') AS skills,
             coalesce(rc.items, '[]') AS recency,
             coalesce(b.task_ids, '{}') AS overlapping_task_ids
        FROM people p
        LEFT JOIN (SELECT user_id, json_agg(json_build_object(
                     'id', id, 'certification_type_id', certification_type_id, 'name', name, 'status', status,
                     'expiry_date', expiry_date, 'confers_certifying', confers_certifying,
                     'confers_inspection', confers_inspection)) AS items
                     FROM certs GROUP BY user_id) c ON c.user_id = p.id
        LEFT JOIN (SELECT user_id, json_agg(json_build_object(
                     'aircraft_type_id', aircraft_type_id, 'certification_id', certification_id,
                     'expiry_date', expiry_date)) AS items
                     FROM ratings GROUP BY user_id) tr ON tr.user_id = p.id
        LEFT JOIN (SELECT user_id, json_agg(json_build_object(
                     'skill_type_id', skill_type_id, 'name', name, 'proficiency', proficiency,
                     'qualified', qualified, 'expiry_date', expiry_date)) AS items
                     FROM skills GROUP BY user_id) s ON s.user_id = p.id
        LEFT JOIN (SELECT user_id, json_agg(json_build_object('window_days', window_days, 'hours', hours)) AS items
                     FROM recency GROUP BY user_id) rc ON rc.user_id = p.id
        LEFT JOIN busy b ON b.user_id = p.id
       ORDER BY p.email, p.id`.execute(this.db);
    const aircraftTypeId = query.aircraftTypeId;
    return rows.map((row) => ({
      userId: row.user_id,
      email: row.email,
      role: row.role,
      overlappingTaskIds: row.overlapping_task_ids,
      certifications: row.certifications.map((c) => ({
        id: c.id,
        certificationTypeId: c.certification_type_id,
        name: c.name,
        status: c.status,
        expiryDate: date(c.expiry_date),
        confersCertifying: c.confers_certifying,
        confersInspection: c.confers_inspection,
      })),
      typeRatings: row.type_ratings.map((r) => ({
        aircraftTypeId: r.aircraft_type_id,
        certificationId: r.certification_id,
        expiryDate: date(r.expiry_date),
      })),
      skills: row.skills.map((s) => ({
        skillTypeId: s.skill_type_id,
        name: s.name,
        proficiency: s.proficiency,
        qualified: s.qualified,
        expiryDate: date(s.expiry_date),
      })),
      recency:
        aircraftTypeId === null
          ? []
          : row.recency.map((r) => ({ aircraftTypeId, windowDays: r.window_days, hours: Number(r.hours) })),
    }));
  }

  async insertRecencyEntry(input: {
    orgId: string;
    userId: string;
    aircraftTypeId: string;
    hours: number;
    performedAt: Date;
    taskId: string;
    notes: string | null;
  }): Promise<RecencyEntryRow | undefined> {
    // A completed task logs its mechanic's hours once: a live entry of the same task is kept.
    const { rows } = await sql<RecencyEntryRow>`
      INSERT INTO recency_entries (org_id, user_id, aircraft_type_id, hours, performed_at, task_id, notes)
      VALUES (${input.orgId}, ${input.userId}, ${input.aircraftTypeId}, ${input.hours.toFixed(2)}::numeric,
              ${input.performedAt.toISOString()}::timestamptz, ${input.taskId}, ${input.notes})
      ON CONFLICT (org_id, task_id, user_id) WHERE task_id IS NOT NULL AND deleted_at IS NULL DO NOTHING
      RETURNING id, org_id, user_id, aircraft_type_id, hours::float8 AS hours,
                ${isoTimestamp('performed_at')} AS performed_at,
                task_id, notes, created_by,
                ${isoTimestamp('created_at')} AS created_at,
                ${isoTimestamp('updated_at')} AS updated_at`.execute(this.db);
    return rows[0];
  }
}
