import { sql, type Selectable } from 'kysely';
import type { Page, SortKey } from '../../app/pagination.js';
import type {
  AuthorityFilter,
  AuthoritySortField,
  NewRegistration,
  RegistrationFilter,
  RegistrationPatch,
  RegistrationSortField,
  RegulatoryRepository,
  TemplateFilter,
  TemplateSortField,
} from '../../app/regulatory.js';
import type {
  ComplianceTemplate,
  ComplianceTemplateDetail,
  Registration,
  RegulatoryAuthority,
} from '../../domain/regulatory.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import { orderBySortKeys } from './listing.js';
import type { RegulatoryAuthoritiesTable } from './schema.js';
import { escapeLike } from './users.js';

registerConstraints({
  // Reached only in a race (the service looks for a duplicate first) or by a direct write.
  organization_registrations_certificate_live_key: {
    kind: 'conflict',
    reason: 'REGISTRATION_DUPLICATE',
    message:
      'the organization already has a live registration with this authority, approval type and certificate number',
    field: 'body.certificate_number',
  },
  organization_registrations_authority_fkey: {
    kind: 'not_found',
    reason: 'AUTHORITY_NOT_FOUND',
    message: 'authority_id names no regulatory authority',
    field: 'body.authority_id',
  },
  organization_registrations_org_id_fkey: {
    kind: 'not_found',
    reason: 'NOT_FOUND',
    message: 'organization not found',
  },
  organization_registrations_approval_type_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the approval type must not be blank',
    field: 'body.approval_type',
  },
  organization_registrations_certificate_number_not_blank: {
    kind: 'validation',
    reason: 'VALIDATION_FAILED',
    message: 'the certificate number must not be blank',
    field: 'body.certificate_number',
  },
  organization_registrations_valid_until_after_valid_from: {
    kind: 'validation',
    reason: 'INVALID_VALIDITY_PERIOD',
    message: 'valid_until must be after valid_from',
    field: 'body.valid_until',
  },
});

const toAuthority = (row: Selectable<RegulatoryAuthoritiesTable>): RegulatoryAuthority => ({
  id: row.id,
  code: row.code,
  name: row.name,
  country: row.country,
  recordRetentionYears: row.record_retention_years,
  website: row.website,
  createdAt: row.created_at,
});

const AUTHORITY_SORT_COLUMNS: Record<AuthoritySortField, string> = {
  code: 'code',
  name: 'name',
  country: 'country',
  record_retention_years: 'record_retention_years',
};

const TEMPLATE_SORT_COLUMNS: Record<TemplateSortField, string> = {
  code: 't.code',
  name: 't.name',
  created_at: 't.created_at',
};

const REGISTRATION_SORT_COLUMNS: Record<RegistrationSortField, string> = {
  approval_type: 'r.approval_type',
  certificate_number: 'r.certificate_number',
  valid_from: 'r.valid_from',
  valid_until: 'r.valid_until',
  created_at: 'r.created_at',
};

const TEMPLATE_COLUMNS = [
  't.id',
  't.code',
  't.name',
  't.description',
  't.created_at',
  'a.id as authority_id',
  'a.code as authority_code',
  'a.name as authority_name',
] as const;

interface TemplateRow {
  id: string;
  code: string;
  name: string;
  description: string | null;
  created_at: Date;
  authority_id: string;
  authority_code: string;
  authority_name: string;
}

const toTemplate = (row: TemplateRow): ComplianceTemplate => ({
  id: row.id,
  authority: { id: row.authority_id, code: row.authority_code, name: row.authority_name },
  code: row.code,
  name: row.name,
  description: row.description,
  createdAt: row.created_at,
});

const REGISTRATION_COLUMNS = [
  'r.id',
  'r.org_id',
  'r.approval_type',
  'r.certificate_number',
  'r.valid_from',
  'r.valid_until',
  'r.scope',
  'r.created_at',
  'r.updated_at',
  'a.id as authority_id',
  'a.code as authority_code',
  'a.name as authority_name',
] as const;

interface RegistrationRow {
  id: string;
  org_id: string;
  approval_type: string;
  certificate_number: string;
  valid_from: string | null;
  valid_until: string | null;
  scope: string | null;
  created_at: Date;
  updated_at: Date;
  authority_id: string;
  authority_code: string;
  authority_name: string;
}

const toRegistration = (row: RegistrationRow): Registration => ({
  id: row.id,
  orgId: row.org_id,
  authority: { id: row.authority_id, code: row.authority_code, name: row.authority_name },
  approvalType: row.approval_type,
  certificateNumber: row.certificate_number,
  validFrom: row.valid_from,
  validUntil: row.valid_until,
  scope: row.scope,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Regulatory reference data (global) and the registrations of each organization. */
export class PgRegulatoryRepository implements RegulatoryRepository {
  constructor(private readonly db: Executor) {}

  async listAuthorities(
    filter: AuthorityFilter,
    sort: SortKey<AuthoritySortField>[],
    page: Page,
  ): Promise<RegulatoryAuthority[]> {
    let query = this.db.selectFrom('regulatory_authorities').selectAll();
    if (filter.country) query = query.where('country', '=', filter.country);
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query = query.where((eb) => eb.or([eb('code', 'ilike', pattern), eb('name', 'ilike', pattern)]));
    }
    const rows = await orderBySortKeys(query, sort, AUTHORITY_SORT_COLUMNS, 'id', {
      table: 'regulatory_authorities',
      after: page.after,
      orgId: undefined,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toAuthority);
  }

  async findAuthority(id: string): Promise<RegulatoryAuthority | undefined> {
    const row = await this.db
      .selectFrom('regulatory_authorities')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toAuthority(row);
  }

  private templates() {
    return this.db
      .selectFrom('compliance_templates as t')
      .innerJoin('regulatory_authorities as a', 'a.id', 't.authority_id')
      .select(TEMPLATE_COLUMNS);
  }

  async listTemplates(
    filter: TemplateFilter,
    sort: SortKey<TemplateSortField>[],
    page: Page,
  ): Promise<ComplianceTemplate[]> {
    let query = this.templates();
    if (filter.authorityId !== undefined) query = query.where('t.authority_id', '=', filter.authorityId);
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q)}%`;
      query = query.where((eb) => eb.or([eb('t.code', 'ilike', pattern), eb('t.name', 'ilike', pattern)]));
    }
    const rows = await orderBySortKeys(query, sort, TEMPLATE_SORT_COLUMNS, 't.id', {
      table: 'compliance_templates',
      after: page.after,
      orgId: undefined,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toTemplate);
  }

  async findTemplate(id: string): Promise<ComplianceTemplateDetail | undefined> {
    const row = await this.templates().where('t.id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const items = await this.db
      .selectFrom('compliance_template_items')
      .select(['id', 'position', 'description', 'requires_inspection'])
      .where('template_id', '=', id)
      .orderBy('position')
      .execute();
    return {
      ...toTemplate(row),
      items: items.map((item) => ({
        id: item.id,
        position: item.position,
        description: item.description,
        requiresInspection: item.requires_inspection,
      })),
    };
  }

  private registrations(orgId: string) {
    return this.db
      .selectFrom('organization_registrations as r')
      .innerJoin('regulatory_authorities as a', 'a.id', 'r.authority_id')
      .select(REGISTRATION_COLUMNS)
      .where('r.org_id', '=', orgId)
      .where('r.deleted_at', 'is', null);
  }

  async listRegistrations(
    orgId: string,
    filter: RegistrationFilter,
    sort: SortKey<RegistrationSortField>[],
    page: Page,
  ): Promise<Registration[]> {
    let query = this.registrations(orgId);
    if (filter.authorityId !== undefined) query = query.where('r.authority_id', '=', filter.authorityId);
    if (filter.approvalType !== undefined) {
      query = query.where(sql<boolean>`lower(r.approval_type) = lower(${filter.approvalType})`);
    }
    if (filter.valid === true) {
      query = query.where((eb) =>
        eb.or([eb('r.valid_until', 'is', null), eb('r.valid_until', '>=', filter.today)]),
      );
    } else if (filter.valid === false) {
      query = query.where('r.valid_until', '<', filter.today);
    }
    const rows = await orderBySortKeys(query, sort, REGISTRATION_SORT_COLUMNS, 'r.id', {
      table: 'organization_registrations',
      after: page.after,
      orgId,
    })
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toRegistration);
  }

  async findRegistration(
    orgId: string,
    id: string,
    options: { forUpdate?: boolean } = {},
  ): Promise<Registration | undefined> {
    let query = this.registrations(orgId).where('r.id', '=', id);
    if (options.forUpdate) query = query.forUpdate('r');
    const row = await query.executeTakeFirst();
    return row && toRegistration(row);
  }

  async findDuplicateRegistration(
    orgId: string,
    key: { authorityId: string; approvalType: string; certificateNumber: string },
    exceptId?: string,
  ): Promise<Registration | undefined> {
    let query = this.registrations(orgId)
      .where('r.authority_id', '=', key.authorityId)
      .where('r.approval_type', '=', key.approvalType)
      .where('r.certificate_number', '=', key.certificateNumber);
    if (exceptId !== undefined) query = query.where('r.id', '<>', exceptId);
    const row = await query.limit(1).executeTakeFirst();
    return row && toRegistration(row);
  }

  async insertRegistration(input: NewRegistration): Promise<Registration> {
    const { id } = await this.db
      .insertInto('organization_registrations')
      .values({
        org_id: input.orgId,
        authority_id: input.authorityId,
        approval_type: input.approvalType,
        certificate_number: input.certificateNumber,
        valid_from: input.validFrom,
        valid_until: input.validUntil,
        scope: input.scope,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findRegistration(input.orgId, id))!;
  }

  async updateRegistration(
    orgId: string,
    id: string,
    patch: RegistrationPatch,
  ): Promise<Registration | undefined> {
    const row = await this.db
      .updateTable('organization_registrations')
      .set({
        authority_id: patch.authorityId,
        approval_type: patch.approvalType,
        certificate_number: patch.certificateNumber,
        valid_from: patch.validFrom,
        valid_until: patch.validUntil,
        scope: patch.scope,
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row && this.findRegistration(orgId, row.id);
  }

  async softDeleteRegistration(orgId: string, id: string): Promise<Date | undefined> {
    const row = await this.db
      .updateTable('organization_registrations')
      .set({ deleted_at: sql`now()` })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('deleted_at')
      .executeTakeFirst();
    return row?.deleted_at ?? undefined;
  }
}
