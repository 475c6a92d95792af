import { randomUUID } from 'node:crypto';
import type { ComplianceItem } from '../domain/compliance.js';
import { calendarDayOf, isCalendarDay, type CalendarDay } from '../domain/directive.js';
import type { EventType } from '../domain/events.js';
import {
  normalizeRegistrationText,
  registrationPeriodProblem,
  type ComplianceTemplate,
  type ComplianceTemplateDetail,
  type Registration,
  type RegulatoryAuthority,
} from '../domain/regulatory.js';
import { actsAcrossOrgs, authorize, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction } from './audit.js';
import type { ComplianceService } from './compliance.js';
import { AppError, type FieldProblem } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** The fields a regulatory authority list sorts by. */
export const AUTHORITY_SORT_FIELDS = ['code', 'name', 'country', 'record_retention_years'] as const;
export type AuthoritySortField = (typeof AUTHORITY_SORT_FIELDS)[number];

/** The fields a compliance template list sorts by. */
export const TEMPLATE_SORT_FIELDS = ['code', 'name', 'created_at'] as const;
export type TemplateSortField = (typeof TEMPLATE_SORT_FIELDS)[number];

/** The fields a registration list sorts by. */
export const REGISTRATION_SORT_FIELDS = [
  'approval_type',
  'certificate_number',
  'valid_from',
  'valid_until',
  'created_at',
] as const;
export type RegistrationSortField = (typeof REGISTRATION_SORT_FIELDS)[number];

/** Narrows the authority list; unset fields do not filter. */
export interface AuthorityFilter {
  /** ISO 3166-1 alpha-2 country (upper-case). */
  country?: string | undefined;
  /** Case-insensitive substring of the code or the name. */
  q?: string | undefined;
}

/** Narrows the template list; unset fields do not filter. */
export interface TemplateFilter {
  authorityId?: string | undefined;
  /** Case-insensitive substring of the code or the name. */
  q?: string | undefined;
}

/** Narrows a registration list; unset fields do not filter. */
export interface RegistrationFilter {
  authorityId?: string | undefined;
  /** Exact approval type, regardless of case. */
  approvalType?: string | undefined;
  /** true: not expired on `today` (no end, or an end on or after it); false: expired before it. */
  valid?: boolean | undefined;
  /** The day `valid` is judged on (UTC). */
  today: CalendarDay;
}

export interface NewRegistration {
  orgId: string;
  authorityId: string;
  approvalType: string;
  certificateNumber: string;
  validFrom: CalendarDay | null;
  validUntil: CalendarDay | null;
  scope: string | null;
}

export type RegistrationPatch = Partial<Omit<NewRegistration, 'orgId'>>;

/** Regulatory reference data and registrations in PostgreSQL. */
export interface RegulatoryRepository {
  /** Fetches `page.limit + 1` rows. */
  listAuthorities(
    filter: AuthorityFilter,
    sort: SortKey<AuthoritySortField>[],
    page: Page,
  ): Promise<RegulatoryAuthority[]>;
  findAuthority(id: string): Promise<RegulatoryAuthority | undefined>;
  /** Fetches `page.limit + 1` rows. */
  listTemplates(
    filter: TemplateFilter,
    sort: SortKey<TemplateSortField>[],
    page: Page,
  ): Promise<ComplianceTemplate[]>;
  /** A template with its items in checklist order. */
  findTemplate(id: string): Promise<ComplianceTemplateDetail | undefined>;

  /** Fetches `page.limit + 1` live registrations of the organization. */
  listRegistrations(
    orgId: string,
    filter: RegistrationFilter,
    sort: SortKey<RegistrationSortField>[],
    page: Page,
  ): Promise<Registration[]>;
  /** A live registration of the organization; `forUpdate` holds it until the transaction ends. */
  findRegistration(
    orgId: string,
    id: string,
    options?: { forUpdate?: boolean },
  ): Promise<Registration | undefined>;
  /** A live registration of the organization with this authority, approval type and number, other than `exceptId`. */
  findDuplicateRegistration(
    orgId: string,
    key: { authorityId: string; approvalType: string; certificateNumber: string },
    exceptId?: string,
  ): Promise<Registration | undefined>;
  insertRegistration(input: NewRegistration): Promise<Registration>;
  updateRegistration(orgId: string, id: string, patch: RegistrationPatch): Promise<Registration | undefined>;
  /** Soft-deletes a live registration; returns when, or undefined when there is none. */
  softDeleteRegistration(orgId: string, id: string): Promise<Date | undefined>;
}

/** An authority as records that name one show it. */
export type AuthoritySummaryView = { id: string; code: string; name: string };

/** A regulatory authority as the API shows it. */
export type AuthorityView = {
  id: string;
  code: string;
  name: string;
  country: string | null;
  record_retention_years: number;
  website: string | null;
  created_at: string;
};

export const authorityView = (authority: RegulatoryAuthority): AuthorityView => ({
  id: authority.id,
  code: authority.code,
  name: authority.name,
  country: authority.country,
  record_retention_years: authority.recordRetentionYears,
  website: authority.website,
  created_at: authority.createdAt.toISOString(),
});

/** A compliance template as its list shows it. */
export type TemplateView = {
  id: string;
  authority_id: string;
  authority_code: string;
  code: string;
  name: string;
  description: string | null;
  created_at: string;
};

export const templateView = (template: ComplianceTemplate): TemplateView => ({
  id: template.id,
  authority_id: template.authority.id,
  authority_code: template.authority.code,
  code: template.code,
  name: template.name,
  description: template.description,
  created_at: template.createdAt.toISOString(),
});

/** One template item as the API shows it. */
export type TemplateItemView = {
  id: string;
  position: number;
  description: string;
  requires_inspection: boolean;
};

/** A compliance template with its items in checklist order. */
export type TemplateDetailView = TemplateView & { items: TemplateItemView[] };

export const templateDetailView = (template: ComplianceTemplateDetail): TemplateDetailView => ({
  ...templateView(template),
  items: template.items.map((item) => ({
    id: item.id,
    position: item.position,
    description: item.description,
    requires_inspection: item.requiresInspection,
  })),
});

/** A registration as the API, audit rows and events show it. */
export type RegistrationView = {
  id: string;
  org_id: string;
  authority_id: string;
  authority_code: string;
  approval_type: string;
  certificate_number: string;
  valid_from: string | null;
  valid_until: string | null;
  scope: string | null;
  created_at: string;
  updated_at: string;
};

export const registrationView = (registration: Registration): RegistrationView => ({
  id: registration.id,
  org_id: registration.orgId,
  authority_id: registration.authority.id,
  authority_code: registration.authority.code,
  approval_type: registration.approvalType,
  certificate_number: registration.certificateNumber,
  valid_from: registration.validFrom,
  valid_until: registration.validUntil,
  scope: registration.scope,
  created_at: registration.createdAt.toISOString(),
  updated_at: registration.updatedAt.toISOString(),
});

export interface CreateRegistrationInput {
  authorityId: string;
  approvalType: string;
  certificateNumber: string;
  validFrom?: CalendarDay | null | undefined;
  validUntil?: CalendarDay | null | undefined;
  scope?: string | null | undefined;
}

export type UpdateRegistrationInput = { [K in keyof CreateRegistrationInput]?: CreateRegistrationInput[K] };

export interface RegulatoryServiceDeps {
  uow: UnitOfWork;
  /** Creating a template's items on a task is creating compliance items: its rules, audit and events. */
  compliance: Pick<ComplianceService, 'createMany'>;
  /** Today's date (UTC) for the `valid` filter; the real clock unless a test sets it. */
  today?: () => CalendarDay;
}

/**
 * Regulatory authorities and compliance templates (global, read by every role), compliance items
 * made from a template, and the registrations (approvals) of an organization, which its
 * tenant_admin (or an admin) manages under `/organizations/{id}/registrations`; another
 * organization's id answers 404 as one that does not exist.
 */
export class RegulatoryService {
  constructor(private readonly deps: RegulatoryServiceDeps) {}

  // -- authorities and templates ----------------------------------------------------------

  async listAuthorities(
    actor: Actor,
    filter: AuthorityFilter,
    sort: SortKey<AuthoritySortField>[],
    page: Page,
  ): Promise<PageOf<RegulatoryAuthority>> {
    authorize(actor, 'regulatory_reference', 'read');
    const rows = await this.deps.uow.repos.regulatory.listAuthorities(
      { country: filter.country?.trim().toUpperCase(), q: filter.q?.trim() },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  async getAuthority(actor: Actor, id: string): Promise<RegulatoryAuthority> {
    authorize(actor, 'regulatory_reference', 'read');
    return (await this.deps.uow.repos.regulatory.findAuthority(id)) ?? authorityNotFound();
  }

  async listTemplates(
    actor: Actor,
    filter: TemplateFilter,
    sort: SortKey<TemplateSortField>[],
    page: Page,
  ): Promise<PageOf<ComplianceTemplate>> {
    authorize(actor, 'regulatory_reference', 'read');
    const rows = await this.deps.uow.repos.regulatory.listTemplates(
      { authorityId: filter.authorityId, q: filter.q?.trim() },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  async getTemplate(actor: Actor, id: string): Promise<ComplianceTemplateDetail> {
    authorize(actor, 'regulatory_reference', 'read');
    return (await this.deps.uow.repos.regulatory.findTemplate(id)) ?? templateNotFound();
  }

  /**
   * Creates a template's items, in checklist order, on a scheduled or in-progress task of the
   * organization in scope: each item's description and requires_inspection from the template,
   * result pending. Exactly as that many `POST /compliance-items` in one transaction (RBAC,
   * TASK_CLOSED, one audit row and compliance_item_created event per item); each audit row names
   * the template.
   */
  async createComplianceItemsFromTemplate(
    ctx: MutationContext,
    input: OrgScope & { taskId: string; templateId: string },
  ): Promise<ComplianceItem[]> {
    authorize(ctx.actor, 'compliance_items', 'create');
    const template = await this.deps.uow.repos.regulatory.findTemplate(input.templateId);
    if (!template) {
      throw new AppError(
        'not_found',
        'TEMPLATE_NOT_FOUND',
        `compliance template ${input.templateId} not found`,
        [
          {
            field: 'body.template_id',
            message: 'names no compliance template (see GET /compliance-templates)',
          },
        ],
      );
    }
    if (template.items.length === 0) {
      throw AppError.conflict('TEMPLATE_EMPTY', `compliance template ${template.code} has no items`, [
        { field: 'body.template_id', message: 'the template has no items' },
      ]);
    }
    return this.deps.compliance.createMany(ctx, {
      orgId: input.orgId,
      taskId: input.taskId,
      taskField: 'params.id',
      items: template.items.map((item) => ({
        description: item.description,
        requiresInspection: item.requiresInspection,
      })),
      auditExtra: {
        template: {
          id: template.id,
          authority_code: template.authority.code,
          code: template.code,
        },
      },
    });
  }

  // -- registrations ------------------------------------------------------------------------

  async listRegistrations(
    actor: Actor,
    orgId: string,
    filter: Omit<RegistrationFilter, 'today'>,
    sort: SortKey<RegistrationSortField>[],
    page: Page,
  ): Promise<PageOf<Registration>> {
    authorize(actor, 'registrations', 'read');
    const repos = this.deps.uow.repos;
    await findOrganization(repos, actor, orgId);
    const rows = await repos.regulatory.listRegistrations(
      orgId,
      {
        authorityId: filter.authorityId,
        approvalType:
          filter.approvalType === undefined ? undefined : normalizeRegistrationText(filter.approvalType),
        valid: filter.valid,
        today: this.today(),
      },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  async getRegistration(actor: Actor, orgId: string, id: string): Promise<Registration> {
    authorize(actor, 'registrations', 'read');
    const repos = this.deps.uow.repos;
    await findOrganization(repos, actor, orgId);
    return (await repos.regulatory.findRegistration(orgId, id)) ?? registrationNotFound();
  }

  /**
   * Records an approval of the organization. An unknown authority is 404 AUTHORITY_NOT_FOUND naming
   * authority_id; a live registration with the same authority, approval type and certificate number
   * is 409 REGISTRATION_DUPLICATE; valid_until not after valid_from is 400 naming valid_until.
   */
  async createRegistration(
    ctx: MutationContext,
    orgId: string,
    input: CreateRegistrationInput,
  ): Promise<Registration> {
    authorize(ctx.actor, 'registrations', 'create');
    const fields = registrationFields(input);
    const validFrom = fields.validFrom ?? null;
    const validUntil = fields.validUntil ?? null;
    refusePeriod(validFrom, validUntil);
    return mutate(this.deps.uow, ctx, async (tx) => {
      await findOrganization(tx, ctx.actor, orgId);
      await knownAuthority(tx, input.authorityId);
      const key = {
        authorityId: input.authorityId,
        approvalType: fields.approvalType!,
        certificateNumber: fields.certificateNumber!,
      };
      const duplicate = await tx.regulatory.findDuplicateRegistration(orgId, key);
      if (duplicate) throw duplicateRegistration(duplicate);
      const registration = await tx.regulatory.insertRegistration({
        orgId,
        ...key,
        validFrom,
        validUntil,
        scope: fields.scope ?? null,
      });
      return {
        result: registration,
        ...registrationEffects('create', 'registration_created', {
          after: registration,
          occurredAt: registration.createdAt,
        }),
      };
    });
  }

  /** Changes a live registration; the same rules as its creation, judged on the row as it will be. */
  async updateRegistration(
    ctx: MutationContext,
    orgId: string,
    id: string,
    patch: UpdateRegistrationInput,
  ): Promise<Registration> {
    authorize(ctx.actor, 'registrations', 'update');
    const fields = registrationFields(patch);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      await findOrganization(tx, ctx.actor, orgId);
      const before =
        (await tx.regulatory.findRegistration(orgId, id, { forUpdate: true })) ?? registrationNotFound();
      if (patch.authorityId !== undefined) await knownAuthority(tx, patch.authorityId);
      refusePeriod(
        fields.validFrom === undefined ? before.validFrom : fields.validFrom,
        fields.validUntil === undefined ? before.validUntil : fields.validUntil,
      );
      const key = {
        authorityId: patch.authorityId ?? before.authority.id,
        approvalType: fields.approvalType ?? before.approvalType,
        certificateNumber: fields.certificateNumber ?? before.certificateNumber,
      };
      if (
        key.authorityId !== before.authority.id ||
        key.approvalType !== before.approvalType ||
        key.certificateNumber !== before.certificateNumber
      ) {
        const duplicate = await tx.regulatory.findDuplicateRegistration(orgId, key, id);
        if (duplicate) throw duplicateRegistration(duplicate);
      }
      const registration =
        (await tx.regulatory.updateRegistration(orgId, id, {
          authorityId: patch.authorityId,
          ...fields,
        })) ?? registrationNotFound();
      return {
        result: registration,
        ...registrationEffects('update', 'registration_updated', {
          before,
          after: registration,
          changeId,
          occurredAt: registration.updatedAt,
        }),
      };
    });
  }

  /** Soft-deletes a live registration: it leaves the lists, and its certificate number may be recorded again. */
  async deleteRegistration(ctx: MutationContext, orgId: string, id: string): Promise<void> {
    authorize(ctx.actor, 'registrations', 'delete');
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      await findOrganization(tx, ctx.actor, orgId);
      const before =
        (await tx.regulatory.findRegistration(orgId, id, { forUpdate: true })) ?? registrationNotFound();
      const deletedAt = (await tx.regulatory.softDeleteRegistration(orgId, id)) ?? registrationNotFound();
      return {
        result: undefined,
        ...registrationEffects('delete', 'registration_deleted', {
          before,
          changeId,
          occurredAt: deletedAt,
        }),
      };
    });
  }

  private today(): CalendarDay {
    return this.deps.today?.() ?? calendarDayOf(new Date());
  }
}

const authorityNotFound = (): never => {
  throw AppError.notFound('regulatory authority', 'AUTHORITY_NOT_FOUND');
};
const templateNotFound = (): never => {
  throw AppError.notFound('compliance template', 'TEMPLATE_NOT_FOUND');
};
const registrationNotFound = (): never => {
  throw AppError.notFound('registration', 'REGISTRATION_NOT_FOUND');
};

/**
 * The organization of a `/organizations/{id}/…` route: any live one for an admin, the actor's own
 * for everyone else; any other id is simply not found, as `GET /organizations/{id}` answers.
 */
async function findOrganization(
  repos: Pick<Repositories, 'organizations'>,
  actor: Actor,
  orgId: string,
): Promise<void> {
  if (!actsAcrossOrgs(actor) && actor.kind === 'user' && actor.orgId !== orgId) {
    throw AppError.notFound('organization');
  }
  if (!(await repos.organizations.findById(orgId))) throw AppError.notFound('organization');
}

/** Refuses (404 AUTHORITY_NOT_FOUND, naming the field) an authority id that names none. */
async function knownAuthority(tx: Pick<Repositories, 'regulatory'>, authorityId: string): Promise<void> {
  if (await tx.regulatory.findAuthority(authorityId)) return;
  throw new AppError('not_found', 'AUTHORITY_NOT_FOUND', `regulatory authority ${authorityId} not found`, [
    {
      field: 'body.authority_id',
      message: 'names no regulatory authority (see GET /regulatory-authorities)',
    },
  ]);
}

const duplicateRegistration = (existing: Registration): AppError =>
  AppError.conflict(
    'REGISTRATION_DUPLICATE',
    `the organization already has a live ${existing.authority.code} ${existing.approvalType} registration with certificate number ${existing.certificateNumber} (${existing.id})`,
    [{ field: 'body.certificate_number', message: 'already recorded for this authority and approval type' }],
  );

/** Refuses (400 INVALID_VALIDITY_PERIOD naming valid_until) a period that does not end after it starts. */
function refusePeriod(validFrom: CalendarDay | null, validUntil: CalendarDay | null): void {
  const problem = registrationPeriodProblem(validFrom, validUntil);
  if (problem === undefined) return;
  throw AppError.validation(
    `valid_until ${problem}`,
    [{ field: 'body.valid_until', message: problem }],
    'INVALID_VALIDITY_PERIOD',
  );
}

/** The given fields normalized and checked (400 naming every bad one); unset ones stay unset. */
function registrationFields(input: UpdateRegistrationInput): Omit<RegistrationPatch, 'authorityId'> {
  const problems: FieldProblem[] = [];
  const out: Omit<RegistrationPatch, 'authorityId'> = {};
  const required = (key: 'approvalType' | 'certificateNumber', field: string) => {
    const value = input[key];
    if (value === undefined) return;
    const text = normalizeRegistrationText(value);
    if (text === '') problems.push({ field: `body.${field}`, message: 'must not be blank' });
    else out[key] = text;
  };
  required('approvalType', 'approval_type');
  required('certificateNumber', 'certificate_number');
  for (const [key, field] of [
    ['validFrom', 'valid_from'],
    ['validUntil', 'valid_until'],
  ] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (value !== null && !isCalendarDay(value)) {
      problems.push({ field: `body.${field}`, message: 'must be a calendar day YYYY-MM-DD' });
    } else out[key] = value;
  }
  if (input.scope !== undefined) {
    const scope = input.scope === null ? '' : input.scope.trim();
    out.scope = scope === '' ? null : scope;
  }
  if (problems.length > 0) {
    throw AppError.validation(problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
  }
  return out;
}

/** The audit entry and event of one change to a registration. */
function registrationEffects(
  action: AuditAction,
  type: EventType,
  change: { before?: Registration; after?: Registration; changeId?: string; occurredAt: Date },
) {
  const subject = (change.after ?? change.before)!;
  const data = registrationView(subject);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'registration',
    entityId: subject.id,
    action,
    before: change.before && registrationView(change.before),
    after: change.after && data,
    event: { type, discriminator: change.changeId, data, occurredAt: change.occurredAt },
  });
}
