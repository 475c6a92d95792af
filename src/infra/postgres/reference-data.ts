import { sql, type Selectable } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  AircraftTypeFilter,
  AircraftTypeSortField,
  CertificationTypeFilter,
  CertificationTypePatch,
  CertificationTypeSortField,
  NewCertificationType,
  NewSkillType,
  ReferenceDataRepository,
  SkillTypeFilter,
  SkillTypePatch,
  SkillTypeSortField,
  TypeLock,
  TypeUses,
} from '../../app/reference-data.js';
import type { AircraftType, CertificationType, SkillType } from '../../domain/reference-data.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { AircraftTypesTable, CertificationTypesTable, SkillTypesTable } from './schema.js';
import { escapeLike } from './users.js';

const CERTIFICATION_TYPE_NOT_FOUND = 'certification_type_id names no certification type of this organization';
const SKILL_TYPE_NOT_FOUND = 'skill_type_id names no skill type of this organization';

registerConstraints({
  // The amss_check_type_visible trigger refuses a row naming another organization's type (23503):
  // it reads to the client exactly as a type that does not exist, naming the field.
  employee_certifications_certification_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: CERTIFICATION_TYPE_NOT_FOUND,
    field: 'body.certification_type_id',
  },
  task_skill_requirements_certification_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: CERTIFICATION_TYPE_NOT_FOUND,
    field: 'body.certification_type_id',
  },
  employee_skills_skill_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: SKILL_TYPE_NOT_FOUND,
    field: 'body.skill_type_id',
  },
  task_skill_requirements_skill_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: SKILL_TYPE_NOT_FOUND,
    field: 'body.skill_type_id',
  },
  // Reached only in a race: the service looks for a taken code first.
  certification_types_org_id_authority_code_live_key: {
    kind: 'conflict',
    reason: 'CERTIFICATION_TYPE_CODE_TAKEN',
    message: 'a live certification type with this authority and code already exists in the organization',
    field: 'body.code',
  },
  skill_types_org_id_code_live_key: {
    kind: 'conflict',
    reason: 'SKILL_TYPE_CODE_TAKEN',
    message: 'a live skill type with this code already exists in the organization',
    field: 'body.code',
  },
});

const toAircraftType = (row: Selectable<AircraftTypesTable>): AircraftType => ({
  id: row.id,
  designator: row.designator,
  manufacturer: row.manufacturer,
  model: row.model,
  createdAt: row.created_at,
});

const toCertificationType = (row: Selectable<CertificationTypesTable>): CertificationType => ({
  id: row.id,
  orgId: row.org_id,
  authority: row.authority,
  code: row.code,
  name: row.name,
  description: row.description,
  expires: row.expires,
  confersCertifying: row.confers_certifying,
  confersInspection: row.confers_inspection,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toSkillType = (row: Selectable<SkillTypesTable>): SkillType => ({
  id: row.id,
  orgId: row.org_id,
  code: row.code,
  name: row.name,
  category: row.category,
  description: row.description,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const AIRCRAFT_TYPE_SORT_COLUMNS: Record<AircraftTypeSortField, string> = {
  designator: 'designator',
  manufacturer: 'manufacturer',
  model: 'model',
};

const CERTIFICATION_TYPE_SORT_COLUMNS: Record<CertificationTypeSortField, string> = {
  authority: 'authority',
  code: 'code',
  name: 'name',
  created_at: 'created_at',
};

const SKILL_TYPE_SORT_COLUMNS: Record<SkillTypeSortField, string> = {
  code: 'code',
  name: 'name',
  category: 'category',
  created_at: 'created_at',
};

/** Global rows and the organization's own live ones. */
const visibleTo = (orgId: string) =>
  sql<boolean>`(org_id IS NULL OR (org_id = ${orgId}::uuid AND deleted_at IS NULL))`;

/**
 * The type `id` visible to the organization, read for a record that names it (TypeLock `use`): an
 * own row is held FOR KEY SHARE, and a delete or change that got there first makes it vanish
 * (read committed re-checks `deleted_at` once the lock is granted); a global row is read unlocked.
 */
async function visibleTypeForUse<Row>(
  db: Executor,
  table: 'certification_types' | 'skill_types',
  orgId: string,
  id: string,
): Promise<Row | undefined> {
  const { rows } = await sql<Row>`
    WITH own AS (
      SELECT * FROM ${sql.table(table)}
       WHERE id = ${id}::uuid AND org_id = ${orgId}::uuid AND deleted_at IS NULL
         FOR KEY SHARE
    )
    SELECT * FROM own
    UNION ALL
    SELECT * FROM ${sql.table(table)} WHERE id = ${id}::uuid AND org_id IS NULL`.execute(db);
  return rows[0];
}

/** Live records and requirements of the organization naming a type, in one round trip. */
async function typeUses(
  db: Executor,
  records: 'employee_certifications' | 'employee_skills',
  column: 'certification_type_id' | 'skill_type_id',
  orgId: string,
  id: string,
): Promise<TypeUses> {
  const { rows } = await sql<{ records: string; requirements: string }>`
    SELECT (SELECT count(*) FROM ${sql.table(records)}
              WHERE org_id = ${orgId} AND ${sql.ref(column)} = ${id} AND deleted_at IS NULL) AS records,
           (SELECT count(*) FROM task_skill_requirements
              WHERE org_id = ${orgId} AND ${sql.ref(column)} = ${id} AND deleted_at IS NULL) AS requirements`.execute(
    db,
  );
  return { records: Number(rows[0]?.records ?? 0), requirements: Number(rows[0]?.requirements ?? 0) };
}

/**
 * A keyset cursor must name a row the organization can see (global or its own): one naming
 * another organization's row gives an empty page, never a glimpse of where that row sorts.
 */
const cursorVisibleTo = (table: 'certification_types' | 'skill_types', orgId: string, after: string) =>
  sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table(table)} AS cursor_row
                        WHERE cursor_row.id = ${after}::uuid
                          AND (cursor_row.org_id IS NULL OR cursor_row.org_id = ${orgId}::uuid))`;

/**
 * Reference data. Keyset cursors of the certification and skill type lists are scoped by
 * visibility (`cursorVisibleTo`), not by org_id, since global rows have none.
 */
export class PgReferenceDataRepository implements ReferenceDataRepository {
  constructor(private readonly db: Executor) {}

  async listAircraftTypes(
    filter: AircraftTypeFilter,
    sort: SortKey<AircraftTypeSortField>[],
    page: Page,
  ): Promise<AircraftType[]> {
    let query = this.db.selectFrom('aircraft_types').selectAll();
    if (filter.manufacturer)
      query = query.where(sql<boolean>`lower(manufacturer) = lower(${filter.manufacturer})`);
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query = query.where((eb) => eb.or([eb('designator', 'ilike', pattern), eb('model', 'ilike', pattern)]));
    }
    const rows = await orderBySortKeys(query, sort, AIRCRAFT_TYPE_SORT_COLUMNS, 'id', {
      table: 'aircraft_types',
      after: page.after,
      orgId: undefined,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toAircraftType);
  }

  async findAircraftType(id: string): Promise<AircraftType | undefined> {
    const row = await this.db
      .selectFrom('aircraft_types')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAircraftType(row);
  }

  async findAircraftTypesByDesignators(designators: string[]): Promise<AircraftType[]> {
    if (designators.length === 0) return [];
    const rows = await this.db
      .selectFrom('aircraft_types')
      .selectAll()
      .where('designator', '=', sql<string>`ANY(${designators}::text[])`)
      .execute();
    return rows.map(toAircraftType);
  }

  async listCertificationTypes(
    orgId: string,
    filter: CertificationTypeFilter,
    sort: SortKey<CertificationTypeSortField>[],
    page: Page,
  ): Promise<CertificationType[]> {
    let query = this.db.selectFrom('certification_types').selectAll().where(visibleTo(orgId));
    if (page.after !== undefined)
      query = query.where(cursorVisibleTo('certification_types', orgId, page.after));
    if (filter.authority) query = query.where(sql<boolean>`lower(authority) = lower(${filter.authority})`);
    if (filter.confersCertifying !== undefined) {
      query = query.where('confers_certifying', '=', filter.confersCertifying);
    }
    if (filter.confersInspection !== undefined) {
      query = query.where('confers_inspection', '=', filter.confersInspection);
    }
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query = query.where((eb) => eb.or([eb('code', 'ilike', pattern), eb('name', 'ilike', pattern)]));
    }
    const rows = await orderBySortKeys(query, sort, CERTIFICATION_TYPE_SORT_COLUMNS, 'id', {
      table: 'certification_types',
      after: page.after,
      orgId: undefined,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toCertificationType);
  }

  async findCertificationType(
    orgId: string,
    id: string,
    options: { lock?: TypeLock } = {},
  ): Promise<CertificationType | undefined> {
    if (options.lock === 'use') {
      const row = await visibleTypeForUse<Selectable<CertificationTypesTable>>(
        this.db,
        'certification_types',
        orgId,
        id,
      );
      return row && toCertificationType(row);
    }
    let query = this.db
      .selectFrom('certification_types')
      .selectAll()
      .where('id', '=', id)
      .where(visibleTo(orgId));
    if (options.lock === 'update') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toCertificationType(row);
  }

  async findCertificationTypeByCode(
    orgId: string,
    authority: string,
    code: string,
    exceptId?: string,
  ): Promise<CertificationType | undefined> {
    let query = this.db
      .selectFrom('certification_types')
      .selectAll()
      .where(visibleTo(orgId))
      .where(sql<boolean>`lower(authority) = lower(${authority})`)
      .where(sql<boolean>`upper(code) = upper(${code})`);
    if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
    const row = await query.orderBy('org_id', 'asc').limit(1).executeTakeFirst();
    return row && toCertificationType(row);
  }

  async insertCertificationType(input: NewCertificationType): Promise<CertificationType> {
    const row = await this.db
      .insertInto('certification_types')
      .values({
        org_id: input.orgId,
        authority: input.authority,
        code: input.code,
        name: input.name,
        description: input.description,
        expires: input.expires,
        confers_certifying: input.confersCertifying,
        confers_inspection: input.confersInspection,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCertificationType(row);
  }

  async updateCertificationType(
    orgId: string,
    id: string,
    patch: CertificationTypePatch,
  ): Promise<CertificationType | undefined> {
    const row = await this.db
      .updateTable('certification_types')
      .set({
        authority: patch.authority,
        code: patch.code,
        name: patch.name,
        description: patch.description,
        expires: patch.expires,
        confers_certifying: patch.confersCertifying,
        confers_inspection: patch.confersInspection,
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toCertificationType(row);
  }

  async softDeleteCertificationType(orgId: string, id: string): Promise<Date | undefined> {
    const row = await this.db
      .updateTable('certification_types')
      .set({ deleted_at: sql`now()` })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('deleted_at')
      .executeTakeFirst();
    return row?.deleted_at ?? undefined;
  }

  countCertificationTypeUses(orgId: string, id: string): Promise<TypeUses> {
    return typeUses(this.db, 'employee_certifications', 'certification_type_id', orgId, id);
  }

  async listSkillTypes(
    orgId: string,
    filter: SkillTypeFilter,
    sort: SortKey<SkillTypeSortField>[],
    page: Page,
  ): Promise<SkillType[]> {
    let query = this.db.selectFrom('skill_types').selectAll().where(visibleTo(orgId));
    if (page.after !== undefined) query = query.where(cursorVisibleTo('skill_types', orgId, page.after));
    if (filter.category) query = query.where(sql<boolean>`lower(category) = lower(${filter.category})`);
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query = query.where((eb) => eb.or([eb('code', 'ilike', pattern), eb('name', 'ilike', pattern)]));
    }
    const rows = await orderBySortKeys(query, sort, SKILL_TYPE_SORT_COLUMNS, 'id', {
      table: 'skill_types',
      after: page.after,
      orgId: undefined,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toSkillType);
  }

  async findSkillType(
    orgId: string,
    id: string,
    options: { lock?: TypeLock } = {},
  ): Promise<SkillType | undefined> {
    if (options.lock === 'use') {
      const row = await visibleTypeForUse<Selectable<SkillTypesTable>>(this.db, 'skill_types', orgId, id);
      return row && toSkillType(row);
    }
    let query = this.db.selectFrom('skill_types').selectAll().where('id', '=', id).where(visibleTo(orgId));
    if (options.lock === 'update') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toSkillType(row);
  }

  async findSkillTypeByCode(orgId: string, code: string, exceptId?: string): Promise<SkillType | undefined> {
    let query = this.db
      .selectFrom('skill_types')
      .selectAll()
      .where(visibleTo(orgId))
      .where(sql<boolean>`upper(code) = upper(${code})`);
    if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
    const row = await query.orderBy('org_id', 'asc').limit(1).executeTakeFirst();
    return row && toSkillType(row);
  }

  async insertSkillType(input: NewSkillType): Promise<SkillType> {
    const row = await this.db
      .insertInto('skill_types')
      .values({
        org_id: input.orgId,
        code: input.code,
        name: input.name,
        category: input.category,
        description: input.description,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSkillType(row);
  }

  async updateSkillType(orgId: string, id: string, patch: SkillTypePatch): Promise<SkillType | undefined> {
    const row = await this.db
      .updateTable('skill_types')
      .set({ code: patch.code, name: patch.name, category: patch.category, description: patch.description })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toSkillType(row);
  }

  async softDeleteSkillType(orgId: string, id: string): Promise<Date | undefined> {
    const row = await this.db
      .updateTable('skill_types')
      .set({ deleted_at: sql`now()` })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('deleted_at')
      .executeTakeFirst();
    return row?.deleted_at ?? undefined;
  }

  countSkillTypeUses(orgId: string, id: string): Promise<TypeUses> {
    return typeUses(this.db, 'employee_skills', 'skill_type_id', orgId, id);
  }
}
