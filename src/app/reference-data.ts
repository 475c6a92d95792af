import { randomUUID } from 'node:crypto';
import type { EventType } from '../domain/events.js';
import {
  authorityChanges,
  expiresChangeRefusal,
  normalizeCode,
  normalizeLabel,
  typeChangeRefusal,
  type AircraftType,
  type AircraftTypeSummary,
  type CertificationType,
  type SkillType,
} from '../domain/reference-data.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction } from './audit.js';
import { AppError, type FieldProblem } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { UnitOfWork } from './ports.js';

/** The fields an aircraft type list sorts by. */
export const AIRCRAFT_TYPE_SORT_FIELDS = ['designator', 'manufacturer', 'model'] as const;
export type AircraftTypeSortField = (typeof AIRCRAFT_TYPE_SORT_FIELDS)[number];

/** The fields a certification type list sorts by. */
export const CERTIFICATION_TYPE_SORT_FIELDS = ['authority', 'code', 'name', 'created_at'] as const;
export type CertificationTypeSortField = (typeof CERTIFICATION_TYPE_SORT_FIELDS)[number];

/** The fields a skill type list sorts by. */
export const SKILL_TYPE_SORT_FIELDS = ['code', 'name', 'category', 'created_at'] as const;
export type SkillTypeSortField = (typeof SKILL_TYPE_SORT_FIELDS)[number];

/** Narrows the aircraft type list; unset fields do not filter. */
export interface AircraftTypeFilter {
  /** Exact manufacturer, regardless of case. */
  manufacturer?: string | undefined;
  /** Case-insensitive substring of the designator or the model. */
  q?: string | undefined;
}

/** Narrows a certification type list; unset fields do not filter. */
export interface CertificationTypeFilter {
  /** Exact authority, regardless of case. */
  authority?: string | undefined;
  confersCertifying?: boolean | undefined;
  confersInspection?: boolean | undefined;
  /** Case-insensitive substring of the code or the name. */
  q?: string | undefined;
}

/** Narrows a skill type list; unset fields do not filter. */
export interface SkillTypeFilter {
  /** Exact category, regardless of case. */
  category?: string | undefined;
  /** Case-insensitive substring of the code or the name. */
  q?: string | undefined;
}

export interface NewCertificationType {
  orgId: string;
  authority: string;
  code: string;
  name: string;
  description: string | null;
  expires: boolean;
  confersCertifying: boolean;
  confersInspection: boolean;
}

export type CertificationTypePatch = Partial<Omit<NewCertificationType, 'orgId'>>;

export interface NewSkillType {
  orgId: string;
  code: string;
  name: string;
  category: string;
  description: string | null;
}

export type SkillTypePatch = Partial<Omit<NewSkillType, 'orgId'>>;

/**
 * How a type is read inside a writing transaction. `update`: held for its own change or delete
 * (FOR UPDATE). `use`: an organization's own type held while a record naming it is written (FOR
 * KEY SHARE), so a concurrent change or delete of the type either waits for that record and then
 * sees it, or runs first and the writer finds the type gone (404) or changed. Global rows are
 * never changed or deleted, so `use` leaves them unlocked.
 */
export type TypeLock = 'update' | 'use';

/** How many live records of the organization name a type. */
export interface TypeUses {
  /** Live employee certifications (or skills) naming the type. */
  records: number;
  /** Live task skill requirements naming the type. */
  requirements: number;
}

/**
 * Reference data in PostgreSQL. "Visible to an organization" means global (org_id null) or that
 * organization's own, and live; the lists return both.
 */
export interface ReferenceDataRepository {
  /** Fetches `page.limit + 1` rows. */
  listAircraftTypes(
    filter: AircraftTypeFilter,
    sort: SortKey<AircraftTypeSortField>[],
    page: Page,
  ): Promise<AircraftType[]>;
  findAircraftType(id: string): Promise<AircraftType | undefined>;
  /** The aircraft types of these (normalized) designators, in one query. */
  findAircraftTypesByDesignators(designators: string[]): Promise<AircraftType[]>;

  listCertificationTypes(
    orgId: string,
    filter: CertificationTypeFilter,
    sort: SortKey<CertificationTypeSortField>[],
    page: Page,
  ): Promise<CertificationType[]>;
  /**
   * A live certification type visible to the organization (global or its own); `lock` holds it
   * until the transaction ends (see TypeLock). Every write of a record naming a certification type
   * (certifications, requirements) looks it up here with `lock: 'use'`.
   */
  findCertificationType(
    orgId: string,
    id: string,
    options?: { lock?: TypeLock },
  ): Promise<CertificationType | undefined>;
  /** A live certification type visible to the organization with this authority and code, other than `exceptId`. */
  findCertificationTypeByCode(
    orgId: string,
    authority: string,
    code: string,
    exceptId?: string,
  ): Promise<CertificationType | undefined>;
  insertCertificationType(input: NewCertificationType): Promise<CertificationType>;
  updateCertificationType(
    orgId: string,
    id: string,
    patch: CertificationTypePatch,
  ): Promise<CertificationType | undefined>;
  /** Soft-deletes an organization's own live type; returns when, or undefined when there is none. */
  softDeleteCertificationType(orgId: string, id: string): Promise<Date | undefined>;
  /** Live certifications (`records`) and task skill requirements of the organization that name the type. */
  countCertificationTypeUses(orgId: string, id: string): Promise<TypeUses>;

  listSkillTypes(
    orgId: string,
    filter: SkillTypeFilter,
    sort: SortKey<SkillTypeSortField>[],
    page: Page,
  ): Promise<SkillType[]>;
  /** A live skill type visible to the organization; `lock` as for certification types. */
  findSkillType(orgId: string, id: string, options?: { lock?: TypeLock }): Promise<SkillType | undefined>;
  findSkillTypeByCode(orgId: string, code: string, exceptId?: string): Promise<SkillType | undefined>;
  insertSkillType(input: NewSkillType): Promise<SkillType>;
  updateSkillType(orgId: string, id: string, patch: SkillTypePatch): Promise<SkillType | undefined>;
  softDeleteSkillType(orgId: string, id: string): Promise<Date | undefined>;
  /** Live skills (`records`) and task skill requirements of the organization that name the type. */
  countSkillTypeUses(orgId: string, id: string): Promise<TypeUses>;
}

/** An aircraft type as the API shows it. */
export type AircraftTypeView = {
  id: string;
  designator: string;
  manufacturer: string;
  model: string;
};

/** The one view of an aircraft type: its own endpoints and every record that names one show it so. */
export const aircraftTypeView = (type: AircraftTypeSummary): AircraftTypeView => ({
  id: type.id,
  designator: type.designator,
  manufacturer: type.manufacturer,
  model: type.model,
});

/** A certification type as the API, audit rows and events show it. */
export type CertificationTypeView = {
  id: string;
  org_id: string | null;
  global: boolean;
  authority: string;
  code: string;
  name: string;
  description: string | null;
  expires: boolean;
  confers_certifying: boolean;
  confers_inspection: boolean;
  created_at: string;
  updated_at: string;
};

export const certificationTypeView = (type: CertificationType): CertificationTypeView => ({
  id: type.id,
  org_id: type.orgId,
  global: type.orgId === null,
  authority: type.authority,
  code: type.code,
  name: type.name,
  description: type.description,
  expires: type.expires,
  confers_certifying: type.confersCertifying,
  confers_inspection: type.confersInspection,
  created_at: type.createdAt.toISOString(),
  updated_at: type.updatedAt.toISOString(),
});

/** A skill type as the API, audit rows and events show it. */
export type SkillTypeView = {
  id: string;
  org_id: string | null;
  global: boolean;
  code: string;
  name: string;
  category: string;
  description: string | null;
  created_at: string;
  updated_at: string;
};

export const skillTypeView = (type: SkillType): SkillTypeView => ({
  id: type.id,
  org_id: type.orgId,
  global: type.orgId === null,
  code: type.code,
  name: type.name,
  category: type.category,
  description: type.description,
  created_at: type.createdAt.toISOString(),
  updated_at: type.updatedAt.toISOString(),
});

export interface CreateCertificationTypeInput extends OrgScope {
  authority: string;
  code: string;
  name: string;
  description?: string | null | undefined;
  expires?: boolean | undefined;
  confersCertifying?: boolean | undefined;
  confersInspection?: boolean | undefined;
}

export type UpdateCertificationTypeInput = {
  [K in keyof CertificationTypePatch]?: CertificationTypePatch[K] | undefined;
};

export interface CreateSkillTypeInput extends OrgScope {
  code: string;
  name: string;
  category: string;
  description?: string | null | undefined;
}

export type UpdateSkillTypeInput = { [K in keyof SkillTypePatch]?: SkillTypePatch[K] | undefined };

export interface ReferenceDataServiceDeps {
  uow: UnitOfWork;
}

/**
 * Aircraft, certification and skill types. Every role reads them; a tenant_admin (or an admin,
 * naming the organization with `org_id`) adds, changes and deletes the organization's own
 * certification and skill types. Global rows are read-only through the API (403
 * GLOBAL_TYPE_READ_ONLY); another organization's rows answer 404 as if they did not exist.
 */
export class ReferenceDataService {
  constructor(private readonly deps: ReferenceDataServiceDeps) {}

  // -- aircraft types ---------------------------------------------------------------------

  async listAircraftTypes(
    actor: Actor,
    filter: AircraftTypeFilter,
    sort: SortKey<AircraftTypeSortField>[],
    page: Page,
  ): Promise<PageOf<AircraftType>> {
    authorize(actor, 'reference_data', 'read');
    const rows = await this.deps.uow.repos.referenceData.listAircraftTypes(
      { manufacturer: filter.manufacturer?.trim(), q: filter.q?.trim() },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  async getAircraftType(actor: Actor, id: string): Promise<AircraftType> {
    authorize(actor, 'reference_data', 'read');
    return (
      (await this.deps.uow.repos.referenceData.findAircraftType(id)) ??
      notFound('aircraft type', 'AIRCRAFT_TYPE_NOT_FOUND')
    );
  }

  // -- certification types ----------------------------------------------------------------

  async listCertificationTypes(
    actor: Actor,
    filter: CertificationTypeFilter & OrgScope,
    sort: SortKey<CertificationTypeSortField>[],
    page: Page,
  ): Promise<PageOf<CertificationType>> {
    authorize(actor, 'reference_data', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const rows = await repos.referenceData.listCertificationTypes(
      orgId,
      {
        authority: filter.authority === undefined ? undefined : normalizeLabel(filter.authority),
        confersCertifying: filter.confersCertifying,
        confersInspection: filter.confersInspection,
        q: filter.q?.trim(),
      },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  async getCertificationType(actor: Actor, id: string, scope: OrgScope = {}): Promise<CertificationType> {
    authorize(actor, 'reference_data', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.referenceData.findCertificationType(orgId, id)) ?? certificationTypeNotFound();
  }

  /** Adds an organization's own certification type; an authority and code already visible to it is 409. */
  async createCertificationType(
    ctx: MutationContext,
    input: CreateCertificationTypeInput,
  ): Promise<CertificationType> {
    authorize(ctx.actor, 'reference_data', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const fields = certificationFields(input);
    return mutate(this.deps.uow, ctx, async (tx) => {
      const taken = await tx.referenceData.findCertificationTypeByCode(
        orgId,
        fields.authority!,
        fields.code!,
      );
      if (taken) throw certificationCodeTaken(taken);
      const type = await tx.referenceData.insertCertificationType({
        orgId,
        authority: fields.authority!,
        code: fields.code!,
        name: fields.name!,
        description: fields.description ?? null,
        expires: input.expires ?? true,
        confersCertifying: input.confersCertifying ?? false,
        confersInspection: input.confersInspection ?? false,
      });
      return {
        result: type,
        ...typeEffects('certification_type', 'create', 'certification_type_created', {
          orgId,
          id: type.id,
          after: certificationTypeView(type),
          occurredAt: type.createdAt,
        }),
      };
    });
  }

  async updateCertificationType(
    ctx: MutationContext,
    id: string,
    patch: UpdateCertificationTypeInput,
    scope: OrgScope = {},
  ): Promise<CertificationType> {
    authorize(ctx.actor, 'reference_data', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const fields = certificationFields(patch);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before =
        (await tx.referenceData.findCertificationType(orgId, id, { lock: 'update' })) ??
        certificationTypeNotFound();
      refuseGlobal('certification type', before);
      const authority = fields.authority ?? before.authority;
      const code = fields.code ?? before.code;
      if (authority !== before.authority || code !== before.code) {
        const taken = await tx.referenceData.findCertificationTypeByCode(orgId, authority, code, id);
        if (taken) throw certificationCodeTaken(taken);
      }
      const changedAuthority = authorityChanges(before, patch);
      const expiresChanged = patch.expires !== undefined && patch.expires !== before.expires;
      // Held FOR UPDATE above: a certification being recorded on the type meanwhile (which holds it
      // FOR KEY SHARE) either committed first and is counted, or waits and then reads the new rule.
      const uses =
        expiresChanged || changedAuthority.length > 0
          ? await tx.referenceData.countCertificationTypeUses(orgId, id)
          : undefined;
      const refusal = expiresChangeRefusal(before, patch.expires, uses?.records ?? 0);
      if (refusal !== undefined) {
        throw AppError.conflict('CERTIFICATION_TYPE_IN_USE', refusal, [
          {
            field: 'body.expires',
            message: `${uses!.records} live certification(s) follow the current rule`,
          },
        ]);
      }
      const type =
        (await tx.referenceData.updateCertificationType(orgId, id, {
          ...patch,
          ...fields,
        })) ?? certificationTypeNotFound();
      return {
        result: type,
        ...typeEffects('certification_type', 'update', 'certification_type_updated', {
          orgId,
          id,
          before: certificationTypeView(before),
          after: certificationTypeView(type),
          changeId,
          occurredAt: type.updatedAt,
          // Who may certify or inspect changes with it: say so, and for how many holders.
          extra:
            changedAuthority.length > 0
              ? { authority_changed: changedAuthority, live_certifications: uses!.records }
              : undefined,
        }),
      };
    });
  }

  /** Soft-deletes an organization's own type; 409 CERTIFICATION_TYPE_IN_USE while live records name it. */
  async deleteCertificationType(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'reference_data', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before =
        (await tx.referenceData.findCertificationType(orgId, id, { lock: 'update' })) ??
        certificationTypeNotFound();
      refuseGlobal('certification type', before);
      const uses = await tx.referenceData.countCertificationTypeUses(orgId, id);
      if (uses.records + uses.requirements > 0) {
        throw AppError.conflict(
          'CERTIFICATION_TYPE_IN_USE',
          `certification type ${before.authority} ${before.code} is named by ${uses.records} live certification(s) and ${uses.requirements} skill requirement(s); delete or change them first`,
        );
      }
      const deletedAt =
        (await tx.referenceData.softDeleteCertificationType(orgId, id)) ?? certificationTypeNotFound();
      return {
        result: undefined,
        ...typeEffects('certification_type', 'delete', 'certification_type_deleted', {
          orgId,
          id,
          before: certificationTypeView(before),
          changeId,
          occurredAt: deletedAt,
        }),
      };
    });
  }

  // -- skill types ------------------------------------------------------------------------

  async listSkillTypes(
    actor: Actor,
    filter: SkillTypeFilter & OrgScope,
    sort: SortKey<SkillTypeSortField>[],
    page: Page,
  ): Promise<PageOf<SkillType>> {
    authorize(actor, 'reference_data', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const rows = await repos.referenceData.listSkillTypes(
      orgId,
      {
        category: filter.category === undefined ? undefined : normalizeLabel(filter.category),
        q: filter.q?.trim(),
      },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  async getSkillType(actor: Actor, id: string, scope: OrgScope = {}): Promise<SkillType> {
    authorize(actor, 'reference_data', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.referenceData.findSkillType(orgId, id)) ?? skillTypeNotFound();
  }

  /** Adds an organization's own skill type; a code already visible to it is 409 SKILL_TYPE_CODE_TAKEN. */
  async createSkillType(ctx: MutationContext, input: CreateSkillTypeInput): Promise<SkillType> {
    authorize(ctx.actor, 'reference_data', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const fields = skillFields(input);
    return mutate(this.deps.uow, ctx, async (tx) => {
      const taken = await tx.referenceData.findSkillTypeByCode(orgId, fields.code!);
      if (taken) throw skillCodeTaken(taken);
      const type = await tx.referenceData.insertSkillType({
        orgId,
        code: fields.code!,
        name: fields.name!,
        category: fields.category!,
        description: fields.description ?? null,
      });
      return {
        result: type,
        ...typeEffects('skill_type', 'create', 'skill_type_created', {
          orgId,
          id: type.id,
          after: skillTypeView(type),
          occurredAt: type.createdAt,
        }),
      };
    });
  }

  async updateSkillType(
    ctx: MutationContext,
    id: string,
    patch: UpdateSkillTypeInput,
    scope: OrgScope = {},
  ): Promise<SkillType> {
    authorize(ctx.actor, 'reference_data', 'update');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const fields = skillFields(patch);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const before =
        (await tx.referenceData.findSkillType(orgId, id, { lock: 'update' })) ?? skillTypeNotFound();
      refuseGlobal('skill type', before);
      if (fields.code !== undefined && fields.code !== before.code) {
        const taken = await tx.referenceData.findSkillTypeByCode(orgId, fields.code, id);
        if (taken) throw skillCodeTaken(taken);
      }
      const type =
        (await tx.referenceData.updateSkillType(orgId, id, { ...patch, ...fields })) ?? skillTypeNotFound();
      return {
        result: type,
        ...typeEffects('skill_type', 'update', 'skill_type_updated', {
          orgId,
          id,
          before: skillTypeView(before),
          after: skillTypeView(type),
          changeId,
          occurredAt: type.updatedAt,
        }),
      };
    });
  }

  /** Soft-deletes an organization's own type; 409 SKILL_TYPE_IN_USE while live records name it. */
  async deleteSkillType(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'reference_data', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before =
        (await tx.referenceData.findSkillType(orgId, id, { lock: 'update' })) ?? skillTypeNotFound();
      refuseGlobal('skill type', before);
      const uses = await tx.referenceData.countSkillTypeUses(orgId, id);
      if (uses.records + uses.requirements > 0) {
        throw AppError.conflict(
          'SKILL_TYPE_IN_USE',
          `skill type ${before.code} is named by ${uses.records} live skill(s) and ${uses.requirements} skill requirement(s); delete or change them first`,
        );
      }
      const deletedAt = (await tx.referenceData.softDeleteSkillType(orgId, id)) ?? skillTypeNotFound();
      return {
        result: undefined,
        ...typeEffects('skill_type', 'delete', 'skill_type_deleted', {
          orgId,
          id,
          before: skillTypeView(before),
          changeId,
          occurredAt: deletedAt,
        }),
      };
    });
  }
}

const notFound = (entity: string, reason: string): never => {
  throw AppError.notFound(entity, reason);
};
const certificationTypeNotFound = (): never => notFound('certification type', 'CERTIFICATION_TYPE_NOT_FOUND');
const skillTypeNotFound = (): never => notFound('skill type', 'SKILL_TYPE_NOT_FOUND');

/** Refuses (403 GLOBAL_TYPE_READ_ONLY) a change to a global type. */
function refuseGlobal(kind: 'certification type' | 'skill type', type: CertificationType | SkillType): void {
  const refusal = typeChangeRefusal(kind, type);
  if (refusal !== undefined) throw AppError.forbidden(refusal, 'GLOBAL_TYPE_READ_ONLY');
}

const certificationCodeTaken = (taken: CertificationType): AppError =>
  AppError.conflict(
    'CERTIFICATION_TYPE_CODE_TAKEN',
    `${taken.orgId === null ? 'a global' : "your organization's"} certification type ${taken.authority} ${taken.code} already exists (${taken.id})`,
    [{ field: 'body.code', message: 'taken by another certification type of the same authority' }],
  );

const skillCodeTaken = (taken: SkillType): AppError =>
  AppError.conflict(
    'SKILL_TYPE_CODE_TAKEN',
    `${taken.orgId === null ? 'a global' : "your organization's"} skill type ${taken.code} already exists (${taken.id})`,
    [{ field: 'body.code', message: 'taken by another skill type' }],
  );

/** Normalizes the text fields given, refusing blank ones (400 naming the field). */
function normalized<K extends string>(
  input: Partial<Record<K, string | null | undefined>>,
  rules: Record<K, (value: string) => string>,
  nullable: readonly NoInfer<K>[] = [],
): Partial<Record<K, string | null>> {
  const problems: FieldProblem[] = [];
  const out: Partial<Record<K, string | null>> = {};
  for (const key of Object.keys(rules) as K[]) {
    const value = input[key];
    if (value === undefined) continue;
    if (value === null) {
      out[key] = null;
      continue;
    }
    const text = rules[key](value);
    if (text === '') {
      if (nullable.includes(key)) out[key] = null;
      else problems.push({ field: `body.${key}`, message: 'must not be blank' });
    } else out[key] = text;
  }
  if (problems.length > 0) {
    throw AppError.validation(problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
  }
  return out;
}

function certificationFields(input: {
  authority?: string | undefined;
  code?: string | undefined;
  name?: string | undefined;
  description?: string | null | undefined;
}): { authority?: string; code?: string; name?: string; description?: string | null } {
  return normalized(
    input,
    { authority: normalizeLabel, code: normalizeCode, name: normalizeLabel, description: (s) => s.trim() },
    ['description'],
  ) as { authority?: string; code?: string; name?: string; description?: string | null };
}

function skillFields(input: {
  code?: string | undefined;
  name?: string | undefined;
  category?: string | undefined;
  description?: string | null | undefined;
}): { code?: string; name?: string; category?: string; description?: string | null } {
  return normalized(
    input,
    { code: normalizeCode, name: normalizeLabel, category: normalizeLabel, description: (s) => s.trim() },
    ['description'],
  ) as { code?: string; name?: string; category?: string; description?: string | null };
}

/** The audit entry and event of one change to an organization's own type. */
function typeEffects(
  entityType: 'certification_type' | 'skill_type',
  action: AuditAction,
  type: EventType,
  change: {
    orgId: string;
    id: string;
    before?: unknown;
    after?: unknown;
    changeId?: string;
    occurredAt: Date;
    /** Kept in the audit row and added to the event's data. */
    extra?: Record<string, unknown> | undefined;
  },
) {
  const data = (change.after ?? change.before) as Record<string, unknown>;
  return entityEffects({
    orgId: change.orgId,
    entityType,
    entityId: change.id,
    action,
    before: change.before,
    after: change.after,
    extra: change.extra,
    event: {
      type,
      discriminator: change.changeId,
      data: change.extra ? { ...data, ...change.extra } : data,
      occurredAt: change.occurredAt,
    },
  });
}
