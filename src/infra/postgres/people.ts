import { sql, type SelectQueryBuilder } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  CertificationFilter,
  CertificationPatch,
  CertificationSortField,
  NewCertification,
  NewRecency,
  NewSkill,
  NewTypeRating,
  PeopleRepository,
  RecencyFilter,
  RecencyPatch,
  RecencySortField,
  RowLock,
  SkillFilter,
  SkillPatch,
  SkillSortField,
  TypeRatingFilter,
  TypeRatingPatch,
  TypeRatingSortField,
} from '../../app/people.js';
import type {
  CertificationStatus,
  EmployeeCertification,
  EmployeeSkill,
  RecencyEntry,
  TypeRating,
} from '../../domain/people.js';
import type { AircraftTypeSummary } from '../../domain/reference-data.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';

// The type-visible triggers' constraints are registered with the reference data (reference-data.ts);
// the service looks the type up first, so they are reached only in a race.
registerConstraints({
  employee_certifications_org_id_user_id_type_live_key: {
    kind: 'conflict',
    reason: 'CERTIFICATION_DUPLICATE',
    message: 'the user already holds a live certification of this type; change or delete that one',
    field: 'body.certification_type_id',
  },
  employee_certifications_expiry_after_issue: {
    kind: 'validation',
    reason: 'EXPIRY_NOT_AFTER_ISSUE',
    message: 'expiry_date must be after issue_date',
    field: 'body.expiry_date',
  },
  type_ratings_org_id_user_id_aircraft_type_live_key: {
    kind: 'conflict',
    reason: 'TYPE_RATING_DUPLICATE',
    message: 'the user already holds a live type rating on this aircraft type; change or delete that one',
    field: 'body.aircraft_type_id',
  },
  type_ratings_certification_fkey: {
    kind: 'not_found',
    reason: 'CERTIFICATION_NOT_FOUND',
    message: "the certification must be one of the rating's own user",
    field: 'body.certification_id',
  },
  type_ratings_expiry_after_endorsement: {
    kind: 'validation',
    reason: 'EXPIRY_NOT_AFTER_START',
    message: 'expiry_date must be after endorsed_date',
    field: 'body.expiry_date',
  },
  employee_skills_org_id_user_id_skill_type_live_key: {
    kind: 'conflict',
    reason: 'SKILL_DUPLICATE',
    message: 'the user already holds a live skill of this type; change or delete that one',
    field: 'body.skill_type_id',
  },
  recency_entries_hours_check: {
    kind: 'validation',
    reason: 'RECENCY_HOURS_OUT_OF_RANGE',
    message: 'hours must be more than 0',
    field: 'body.hours',
  },
});

const CERTIFICATION_SORT_COLUMNS: Record<CertificationSortField, string> = {
  issue_date: 'c.issue_date',
  expiry_date: 'c.expiry_date',
  status: 'c.status',
  created_at: 'c.created_at',
};
const TYPE_RATING_SORT_COLUMNS: Record<TypeRatingSortField, string> = {
  endorsed_date: 'r.endorsed_date',
  expiry_date: 'r.expiry_date',
  created_at: 'r.created_at',
};
const SKILL_SORT_COLUMNS: Record<SkillSortField, string> = {
  proficiency: 's.proficiency',
  expiry_date: 's.expiry_date',
  created_at: 's.created_at',
};
const RECENCY_SORT_COLUMNS: Record<RecencySortField, string> = {
  performed_at: 'e.performed_at',
  hours: 'e.hours',
  created_at: 'e.created_at',
};

/** `expiry_date` of `alias` against `now`: expired strictly before it; never-expiring rows are not expired. */
const expiredCondition = (column: string, expired: boolean, now: Date) =>
  expired
    ? sql<boolean>`(${sql.ref(column)} IS NOT NULL AND ${sql.ref(column)} < ${now})`
    : sql<boolean>`(${sql.ref(column)} IS NULL OR ${sql.ref(column)} >= ${now})`;

interface CertificationRow {
  id: string;
  org_id: string;
  user_id: string;
  certification_type_id: string;
  certificate_number: string;
  issue_date: Date;
  expiry_date: Date | null;
  status: CertificationStatus;
  document_url: string | null;
  verified_by: string | null;
  verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
  type_authority: string;
  type_code: string;
  type_name: string;
  type_expires: boolean;
}

const toCertification = (row: CertificationRow): EmployeeCertification => ({
  id: row.id,
  orgId: row.org_id,
  userId: row.user_id,
  certificationTypeId: row.certification_type_id,
  type: {
    authority: row.type_authority,
    code: row.type_code,
    name: row.type_name,
    expires: row.type_expires,
  },
  certificateNumber: row.certificate_number,
  issueDate: row.issue_date,
  expiryDate: row.expiry_date,
  status: row.status,
  documentUrl: row.document_url,
  verifiedBy: row.verified_by,
  verifiedAt: row.verified_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface AircraftTypeColumns {
  aircraft_type_id: string;
  at_designator: string;
  at_manufacturer: string;
  at_model: string;
}

const aircraftTypeOf = (row: AircraftTypeColumns): AircraftTypeSummary => ({
  id: row.aircraft_type_id,
  designator: row.at_designator,
  manufacturer: row.at_manufacturer,
  model: row.at_model,
});

interface TypeRatingRow extends AircraftTypeColumns {
  id: string;
  org_id: string;
  user_id: string;
  certification_id: string;
  endorsed_date: Date;
  expiry_date: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toTypeRating = (row: TypeRatingRow): TypeRating => ({
  id: row.id,
  orgId: row.org_id,
  userId: row.user_id,
  aircraftTypeId: row.aircraft_type_id,
  aircraftType: aircraftTypeOf(row),
  certificationId: row.certification_id,
  endorsedDate: row.endorsed_date,
  expiryDate: row.expiry_date,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface SkillRow {
  id: string;
  org_id: string;
  user_id: string;
  skill_type_id: string;
  proficiency: number;
  qualified: boolean;
  expiry_date: Date | null;
  created_at: Date;
  updated_at: Date;
  st_code: string;
  st_name: string;
  st_category: string;
}

const toSkill = (row: SkillRow): EmployeeSkill => ({
  id: row.id,
  orgId: row.org_id,
  userId: row.user_id,
  skillTypeId: row.skill_type_id,
  skillType: { code: row.st_code, name: row.st_name, category: row.st_category },
  proficiency: row.proficiency,
  qualified: row.qualified,
  expiryDate: row.expiry_date,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface RecencyRow extends AircraftTypeColumns {
  id: string;
  org_id: string;
  user_id: string;
  hours: string;
  performed_at: Date;
  task_id: string | null;
  notes: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const toRecency = (row: RecencyRow): RecencyEntry => ({
  id: row.id,
  orgId: row.org_id,
  userId: row.user_id,
  aircraftTypeId: row.aircraft_type_id,
  aircraftType: aircraftTypeOf(row),
  hours: Number(row.hours),
  performedAt: row.performed_at,
  taskId: row.task_id,
  notes: row.notes,
  createdBy: row.created_by,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Applies a row lock to a query over one main table aliased `alias` (the joined reference rows stay unlocked). */
function locked<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  alias: string,
  lock: RowLock | undefined,
): SelectQueryBuilder<DB, TB, O> {
  if (lock === 'update') return query.forNoKeyUpdate(alias as never);
  if (lock === 'share') return query.forShare(alias as never);
  return query;
}

/** The paging tail of a list: sort keys, keyset, limit + 1 and offset. */
function paged<DB, TB extends keyof DB, O, F extends string>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: SortKey<F>[],
  columns: Record<F, string>,
  alias: string,
  table: string,
  orgId: string,
  page: Page,
): SelectQueryBuilder<DB, TB, O> {
  return orderBySortKeys(query, sort, columns, `${alias}.id`, { table, after: page.after, orgId })
    .limit(page.limit + 1)
    .offset(page.offset);
}

export class PgPeopleRepository implements PeopleRepository {
  constructor(private readonly db: Executor) {}

  // --- certifications ---------------------------------------------------------------------------

  private certifications(orgId: string, userId: string) {
    return this.db
      .selectFrom('employee_certifications as c')
      .innerJoin('certification_types as ct', 'ct.id', 'c.certification_type_id')
      .selectAll('c')
      .select([
        'ct.authority as type_authority',
        'ct.code as type_code',
        'ct.name as type_name',
        'ct.expires as type_expires',
      ])
      .where('c.org_id', '=', orgId)
      .where('c.user_id', '=', userId)
      .where('c.deleted_at', 'is', null);
  }

  async insertCertification(input: NewCertification): Promise<EmployeeCertification> {
    const { id } = await this.db
      .insertInto('employee_certifications')
      .values({
        org_id: input.orgId,
        user_id: input.userId,
        certification_type_id: input.certificationTypeId,
        certificate_number: input.certificateNumber,
        issue_date: input.issueDate,
        expiry_date: input.expiryDate,
        status: input.status,
        document_url: input.documentUrl,
        verified_by_org_id: input.verifiedBy?.orgId ?? null,
        verified_by: input.verifiedBy?.userId ?? null,
        verified_at: input.verifiedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findCertification(input.orgId, input.userId, id))!;
  }

  async findCertification(
    orgId: string,
    userId: string,
    id: string,
    lock?: RowLock,
  ): Promise<EmployeeCertification | undefined> {
    const row = await locked(
      this.certifications(orgId, userId).where('c.id', '=', id),
      'c',
      lock,
    ).executeTakeFirst();
    return row && toCertification(row);
  }

  async listCertifications(
    orgId: string,
    userId: string,
    filter: CertificationFilter,
    sort: SortKey<CertificationSortField>[],
    page: Page,
    now: Date,
  ): Promise<EmployeeCertification[]> {
    let query = this.certifications(orgId, userId);
    if (filter.status) query = query.where('c.status', '=', filter.status);
    if (filter.certificationTypeId)
      query = query.where('c.certification_type_id', '=', filter.certificationTypeId);
    if (filter.expired !== undefined)
      query = query.where(expiredCondition('c.expiry_date', filter.expired, now));
    const rows = await paged(
      query,
      sort,
      CERTIFICATION_SORT_COLUMNS,
      'c',
      'employee_certifications',
      orgId,
      page,
    ).execute();
    return rows.map(toCertification);
  }

  async updateCertification(
    orgId: string,
    userId: string,
    id: string,
    patch: CertificationPatch,
  ): Promise<EmployeeCertification | undefined> {
    const row = await this.db
      .updateTable('employee_certifications')
      .set({
        certificate_number: patch.certificateNumber,
        issue_date: patch.issueDate,
        expiry_date: patch.expiryDate,
        status: patch.status,
        document_url: patch.documentUrl,
        // Both columns, or neither (undefined leaves the verification as it is).
        verified_by_org_id: patch.verifiedBy === undefined ? undefined : (patch.verifiedBy?.orgId ?? null),
        verified_by: patch.verifiedBy === undefined ? undefined : (patch.verifiedBy?.userId ?? null),
        verified_at: patch.verifiedAt,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row && this.findCertification(orgId, userId, id);
  }

  async softDeleteCertification(
    orgId: string,
    userId: string,
    id: string,
  ): Promise<EmployeeCertification | undefined> {
    const before = await this.findCertification(orgId, userId, id);
    if (!before) return undefined;
    await this.softDelete('employee_certifications', orgId, userId, id);
    return before;
  }

  async liveRatingIdsOfCertification(orgId: string, certificationId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('type_ratings')
      .select('id')
      .where('org_id', '=', orgId)
      .where('certification_id', '=', certificationId)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }

  // --- type ratings -----------------------------------------------------------------------------

  private typeRatings(orgId: string, userId: string) {
    return this.db
      .selectFrom('type_ratings as r')
      .innerJoin('aircraft_types as at', 'at.id', 'r.aircraft_type_id')
      .selectAll('r')
      .select([
        'at.designator as at_designator',
        'at.manufacturer as at_manufacturer',
        'at.model as at_model',
      ])
      .where('r.org_id', '=', orgId)
      .where('r.user_id', '=', userId)
      .where('r.deleted_at', 'is', null);
  }

  async insertTypeRating(input: NewTypeRating): Promise<TypeRating> {
    const { id } = await this.db
      .insertInto('type_ratings')
      .values({
        org_id: input.orgId,
        user_id: input.userId,
        aircraft_type_id: input.aircraftTypeId,
        certification_id: input.certificationId,
        endorsed_date: input.endorsedDate,
        expiry_date: input.expiryDate,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findTypeRating(input.orgId, input.userId, id))!;
  }

  async findTypeRating(
    orgId: string,
    userId: string,
    id: string,
    lock?: RowLock,
  ): Promise<TypeRating | undefined> {
    const row = await locked(
      this.typeRatings(orgId, userId).where('r.id', '=', id),
      'r',
      lock,
    ).executeTakeFirst();
    return row && toTypeRating(row);
  }

  async listTypeRatings(
    orgId: string,
    userId: string,
    filter: TypeRatingFilter,
    sort: SortKey<TypeRatingSortField>[],
    page: Page,
    now: Date,
  ): Promise<TypeRating[]> {
    let query = this.typeRatings(orgId, userId);
    if (filter.aircraftTypeId) query = query.where('r.aircraft_type_id', '=', filter.aircraftTypeId);
    if (filter.certificationId) query = query.where('r.certification_id', '=', filter.certificationId);
    if (filter.expired !== undefined)
      query = query.where(expiredCondition('r.expiry_date', filter.expired, now));
    const rows = await paged(
      query,
      sort,
      TYPE_RATING_SORT_COLUMNS,
      'r',
      'type_ratings',
      orgId,
      page,
    ).execute();
    return rows.map(toTypeRating);
  }

  async updateTypeRating(
    orgId: string,
    userId: string,
    id: string,
    patch: TypeRatingPatch,
  ): Promise<TypeRating | undefined> {
    const row = await this.db
      .updateTable('type_ratings')
      .set({
        aircraft_type_id: patch.aircraftTypeId,
        certification_id: patch.certificationId,
        endorsed_date: patch.endorsedDate,
        expiry_date: patch.expiryDate,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row && this.findTypeRating(orgId, userId, id);
  }

  async softDeleteTypeRating(orgId: string, userId: string, id: string): Promise<TypeRating | undefined> {
    const before = await this.findTypeRating(orgId, userId, id, 'update');
    if (!before) return undefined;
    await this.softDelete('type_ratings', orgId, userId, id);
    return before;
  }

  // --- skills -----------------------------------------------------------------------------------

  private skills(orgId: string, userId: string) {
    return this.db
      .selectFrom('employee_skills as s')
      .innerJoin('skill_types as st', 'st.id', 's.skill_type_id')
      .selectAll('s')
      .select(['st.code as st_code', 'st.name as st_name', 'st.category as st_category'])
      .where('s.org_id', '=', orgId)
      .where('s.user_id', '=', userId)
      .where('s.deleted_at', 'is', null);
  }

  async insertSkill(input: NewSkill): Promise<EmployeeSkill> {
    const { id } = await this.db
      .insertInto('employee_skills')
      .values({
        org_id: input.orgId,
        user_id: input.userId,
        skill_type_id: input.skillTypeId,
        proficiency: input.proficiency,
        qualified: input.qualified,
        expiry_date: input.expiryDate,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findSkill(input.orgId, input.userId, id))!;
  }

  async findSkill(
    orgId: string,
    userId: string,
    id: string,
    lock?: RowLock,
  ): Promise<EmployeeSkill | undefined> {
    const row = await locked(this.skills(orgId, userId).where('s.id', '=', id), 's', lock).executeTakeFirst();
    return row && toSkill(row);
  }

  async listSkills(
    orgId: string,
    userId: string,
    filter: SkillFilter,
    sort: SortKey<SkillSortField>[],
    page: Page,
    now: Date,
  ): Promise<EmployeeSkill[]> {
    let query = this.skills(orgId, userId);
    if (filter.skillTypeId) query = query.where('s.skill_type_id', '=', filter.skillTypeId);
    if (filter.qualified !== undefined) query = query.where('s.qualified', '=', filter.qualified);
    if (filter.expired !== undefined)
      query = query.where(expiredCondition('s.expiry_date', filter.expired, now));
    const rows = await paged(query, sort, SKILL_SORT_COLUMNS, 's', 'employee_skills', orgId, page).execute();
    return rows.map(toSkill);
  }

  async updateSkill(
    orgId: string,
    userId: string,
    id: string,
    patch: SkillPatch,
  ): Promise<EmployeeSkill | undefined> {
    const row = await this.db
      .updateTable('employee_skills')
      .set({
        proficiency: patch.proficiency,
        qualified: patch.qualified,
        expiry_date: patch.expiryDate,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row && this.findSkill(orgId, userId, id);
  }

  async softDeleteSkill(orgId: string, userId: string, id: string): Promise<EmployeeSkill | undefined> {
    const before = await this.findSkill(orgId, userId, id, 'update');
    if (!before) return undefined;
    await this.softDelete('employee_skills', orgId, userId, id);
    return before;
  }

  // --- recency ----------------------------------------------------------------------------------

  private recency(orgId: string, userId: string) {
    return this.db
      .selectFrom('recency_entries as e')
      .innerJoin('aircraft_types as at', 'at.id', 'e.aircraft_type_id')
      .selectAll('e')
      .select([
        'at.designator as at_designator',
        'at.manufacturer as at_manufacturer',
        'at.model as at_model',
      ])
      .where('e.org_id', '=', orgId)
      .where('e.user_id', '=', userId)
      .where('e.deleted_at', 'is', null);
  }

  async insertRecency(input: NewRecency): Promise<RecencyEntry> {
    const { id } = await this.db
      .insertInto('recency_entries')
      .values({
        org_id: input.orgId,
        user_id: input.userId,
        aircraft_type_id: input.aircraftTypeId,
        hours: input.hours,
        performed_at: input.performedAt,
        notes: input.notes,
        created_by_org_id: input.createdBy?.orgId ?? null,
        created_by: input.createdBy?.userId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findRecency(input.orgId, input.userId, id))!;
  }

  async findRecency(
    orgId: string,
    userId: string,
    id: string,
    lock?: RowLock,
  ): Promise<RecencyEntry | undefined> {
    const row = await locked(
      this.recency(orgId, userId).where('e.id', '=', id),
      'e',
      lock,
    ).executeTakeFirst();
    return row && toRecency(row);
  }

  async listRecency(
    orgId: string,
    userId: string,
    filter: RecencyFilter,
    sort: SortKey<RecencySortField>[],
    page: Page,
  ): Promise<RecencyEntry[]> {
    let query = this.recency(orgId, userId);
    if (filter.aircraftTypeId) query = query.where('e.aircraft_type_id', '=', filter.aircraftTypeId);
    if (filter.from) query = query.where('e.performed_at', '>=', filter.from);
    if (filter.to) query = query.where('e.performed_at', '<', filter.to);
    if (filter.source === 'task') query = query.where('e.task_id', 'is not', null);
    if (filter.source === 'manual') query = query.where('e.task_id', 'is', null);
    const rows = await paged(
      query,
      sort,
      RECENCY_SORT_COLUMNS,
      'e',
      'recency_entries',
      orgId,
      page,
    ).execute();
    return rows.map(toRecency);
  }

  async updateRecency(
    orgId: string,
    userId: string,
    id: string,
    patch: RecencyPatch,
  ): Promise<RecencyEntry | undefined> {
    const row = await this.db
      .updateTable('recency_entries')
      .set({
        aircraft_type_id: patch.aircraftTypeId,
        hours: patch.hours,
        performed_at: patch.performedAt,
        notes: patch.notes,
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .where('task_id', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row && this.findRecency(orgId, userId, id);
  }

  async softDeleteRecency(orgId: string, userId: string, id: string): Promise<RecencyEntry | undefined> {
    const before = await this.findRecency(orgId, userId, id, 'update');
    if (!before || before.taskId !== null) return undefined;
    await this.softDelete('recency_entries', orgId, userId, id);
    return before;
  }

  private async softDelete(
    table: 'employee_certifications' | 'type_ratings' | 'employee_skills' | 'recency_entries',
    orgId: string,
    userId: string,
    id: string,
  ): Promise<void> {
    const now = new Date();
    await this.db
      .updateTable(table as 'type_ratings')
      .set({ deleted_at: now, updated_at: now })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .execute();
  }
}
