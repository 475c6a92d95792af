import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventType } from '../domain/events.js';
import {
  certificationDateProblems,
  certificationStatusRefusal,
  documentUrlProblem,
  isExpired,
  recencyProblems,
  recordAccessRefusal,
  startAndExpiryProblems,
  type CertificationStatus,
  type EmployeeCertification,
  type EmployeeSkill,
  type PeopleProblem,
  type RecencyEntry,
  type TypeRating,
} from '../domain/people.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction, AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';
import { aircraftTypeView, type AircraftTypeView } from './reference-data.js';

// ---------------------------------------------------------------------------------------------
// Views: what the API, audit rows and events show
// ---------------------------------------------------------------------------------------------

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** A certification as the API shows it; `expired` is derived from expiry_date at `now`. */
export type CertificationView = {
  id: string;
  org_id: string;
  user_id: string;
  certification_type_id: string;
  certification_type: { authority: string; code: string; name: string; expires: boolean };
  certificate_number: string;
  issue_date: string;
  expiry_date: string | null;
  expired: boolean;
  status: CertificationStatus;
  document_url: string | null;
  verified: boolean;
  verified_by: string | null;
  verified_at: string | null;
  created_at: string;
  updated_at: string;
};

export const certificationView = (c: EmployeeCertification, now: Date = new Date()): CertificationView => ({
  id: c.id,
  org_id: c.orgId,
  user_id: c.userId,
  certification_type_id: c.certificationTypeId,
  certification_type: {
    authority: c.type.authority,
    code: c.type.code,
    name: c.type.name,
    expires: c.type.expires,
  },
  certificate_number: c.certificateNumber,
  issue_date: c.issueDate.toISOString(),
  expiry_date: iso(c.expiryDate),
  expired: isExpired(c.expiryDate, now),
  status: c.status,
  document_url: c.documentUrl,
  verified: c.verifiedAt !== null,
  verified_by: c.verifiedBy,
  verified_at: iso(c.verifiedAt),
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

/** A type rating as the API shows it. */
export type TypeRatingView = {
  id: string;
  org_id: string;
  user_id: string;
  aircraft_type_id: string;
  aircraft_type: AircraftTypeView;
  certification_id: string;
  endorsed_date: string;
  expiry_date: string | null;
  expired: boolean;
  created_at: string;
  updated_at: string;
};

export const typeRatingView = (r: TypeRating, now: Date = new Date()): TypeRatingView => ({
  id: r.id,
  org_id: r.orgId,
  user_id: r.userId,
  aircraft_type_id: r.aircraftTypeId,
  aircraft_type: aircraftTypeView(r.aircraftType),
  certification_id: r.certificationId,
  endorsed_date: r.endorsedDate.toISOString(),
  expiry_date: iso(r.expiryDate),
  expired: isExpired(r.expiryDate, now),
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

/** A skill as the API shows it. */
export type SkillView = {
  id: string;
  org_id: string;
  user_id: string;
  skill_type_id: string;
  skill_type: { code: string; name: string; category: string };
  proficiency: number;
  qualified: boolean;
  expiry_date: string | null;
  expired: boolean;
  created_at: string;
  updated_at: string;
};

export const skillView = (s: EmployeeSkill, now: Date = new Date()): SkillView => ({
  id: s.id,
  org_id: s.orgId,
  user_id: s.userId,
  skill_type_id: s.skillTypeId,
  skill_type: { code: s.skillType.code, name: s.skillType.name, category: s.skillType.category },
  proficiency: s.proficiency,
  qualified: s.qualified,
  expiry_date: iso(s.expiryDate),
  expired: isExpired(s.expiryDate, now),
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
});

/** A recency entry as the API shows it. */
export type RecencyView = {
  id: string;
  org_id: string;
  user_id: string;
  aircraft_type_id: string;
  aircraft_type: AircraftTypeView;
  hours: number;
  performed_at: string;
  task_id: string | null;
  source: 'task' | 'manual';
  notes: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
};

export const recencyView = (e: RecencyEntry): RecencyView => ({
  id: e.id,
  org_id: e.orgId,
  user_id: e.userId,
  aircraft_type_id: e.aircraftTypeId,
  aircraft_type: aircraftTypeView(e.aircraftType),
  hours: e.hours,
  performed_at: e.performedAt.toISOString(),
  task_id: e.taskId,
  source: e.taskId === null ? 'manual' : 'task',
  notes: e.notes,
  created_by: e.createdBy,
  created_at: e.createdAt.toISOString(),
  updated_at: e.updatedAt.toISOString(),
});

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

export const CERTIFICATION_SORT_FIELDS = ['issue_date', 'expiry_date', 'status', 'created_at'] as const;
export type CertificationSortField = (typeof CERTIFICATION_SORT_FIELDS)[number];
export const TYPE_RATING_SORT_FIELDS = ['endorsed_date', 'expiry_date', 'created_at'] as const;
export type TypeRatingSortField = (typeof TYPE_RATING_SORT_FIELDS)[number];
export const SKILL_SORT_FIELDS = ['proficiency', 'expiry_date', 'created_at'] as const;
export type SkillSortField = (typeof SKILL_SORT_FIELDS)[number];
export const RECENCY_SORT_FIELDS = ['performed_at', 'hours', 'created_at'] as const;
export type RecencySortField = (typeof RECENCY_SORT_FIELDS)[number];

/** `expired` filters compare the expiry date with the time of the request. */
export interface ExpiryFilter {
  /** true: expired at `now` only; false: not expired (or never expiring) only. */
  expired?: boolean | undefined;
}

export interface CertificationFilter extends ExpiryFilter {
  status?: CertificationStatus | undefined;
  certificationTypeId?: string | undefined;
}

export interface TypeRatingFilter extends ExpiryFilter {
  aircraftTypeId?: string | undefined;
  certificationId?: string | undefined;
}

export interface SkillFilter extends ExpiryFilter {
  skillTypeId?: string | undefined;
  qualified?: boolean | undefined;
}

export interface RecencyFilter {
  aircraftTypeId?: string | undefined;
  /** performed_at >= from */
  from?: Date | undefined;
  /** performed_at < to */
  to?: Date | undefined;
  /** task: written by a completed task; manual: entered by a person. */
  source?: 'task' | 'manual' | undefined;
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

export interface CreateCertificationInput {
  certificationTypeId: string;
  certificateNumber: string;
  issueDate: Date;
  expiryDate?: Date | null | undefined;
  status?: CertificationStatus | undefined;
  documentUrl?: string | null | undefined;
  /** true: the actor verified the certificate against the original (records them and now). */
  verified?: boolean | undefined;
}

export interface UpdateCertificationInput {
  certificateNumber?: string | undefined;
  issueDate?: Date | undefined;
  expiryDate?: Date | null | undefined;
  status?: CertificationStatus | undefined;
  documentUrl?: string | null | undefined;
  /** true: verified by the actor now; false: the verification is withdrawn. */
  verified?: boolean | undefined;
}

export interface CreateTypeRatingInput {
  aircraftTypeId: string;
  certificationId: string;
  endorsedDate: Date;
  expiryDate?: Date | null | undefined;
}

export type UpdateTypeRatingInput = Partial<CreateTypeRatingInput>;

export interface CreateSkillInput {
  skillTypeId: string;
  proficiency: number;
  qualified?: boolean | undefined;
  expiryDate?: Date | null | undefined;
}

export interface UpdateSkillInput {
  proficiency?: number | undefined;
  qualified?: boolean | undefined;
  expiryDate?: Date | null | undefined;
}

export interface CreateRecencyInput {
  aircraftTypeId: string;
  hours: number;
  performedAt: Date;
  notes?: string | null | undefined;
}

export type UpdateRecencyInput = Partial<CreateRecencyInput>;

// ---------------------------------------------------------------------------------------------
// Repository (port)
// ---------------------------------------------------------------------------------------------

/**
 * Who did something to a record: a user named with their own organization, which is the record's
 * unless a system admin acted in another one with `?org_id=` (like the audit log's actor).
 */
export interface RecordedBy {
  orgId: string;
  userId: string;
}

/** Rows as the repository writes them. */
export interface NewCertification {
  orgId: string;
  userId: string;
  certificationTypeId: string;
  certificateNumber: string;
  issueDate: Date;
  expiryDate: Date | null;
  status: CertificationStatus;
  documentUrl: string | null;
  verifiedBy: RecordedBy | null;
  verifiedAt: Date | null;
}
export type CertificationPatch = Partial<
  Pick<
    NewCertification,
    'certificateNumber' | 'issueDate' | 'expiryDate' | 'status' | 'documentUrl' | 'verifiedBy' | 'verifiedAt'
  >
>;
export interface NewTypeRating {
  orgId: string;
  userId: string;
  aircraftTypeId: string;
  certificationId: string;
  endorsedDate: Date;
  expiryDate: Date | null;
}
export type TypeRatingPatch = Partial<
  Pick<NewTypeRating, 'aircraftTypeId' | 'certificationId' | 'endorsedDate' | 'expiryDate'>
>;
export interface NewSkill {
  orgId: string;
  userId: string;
  skillTypeId: string;
  proficiency: number;
  qualified: boolean;
  expiryDate: Date | null;
}
export type SkillPatch = Partial<Pick<NewSkill, 'proficiency' | 'qualified' | 'expiryDate'>>;
export interface NewRecency {
  orgId: string;
  userId: string;
  aircraftTypeId: string;
  hours: number;
  performedAt: Date;
  notes: string | null;
  createdBy: RecordedBy | null;
}
export type RecencyPatch = Partial<Pick<NewRecency, 'aircraftTypeId' | 'hours' | 'performedAt' | 'notes'>>;

/** The lock a read takes: `update` for the row being changed, `share` for a row another one leans on. */
export type RowLock = 'update' | 'share';

/**
 * People records in PostgreSQL. Every method is scoped by org and user; "find" answers live rows
 * only. Lists fetch `page.limit + 1` rows so the caller knows whether more follow.
 */
export interface PeopleRepository {
  insertCertification(input: NewCertification): Promise<EmployeeCertification>;
  findCertification(
    orgId: string,
    userId: string,
    id: string,
    lock?: RowLock,
  ): Promise<EmployeeCertification | undefined>;
  listCertifications(
    orgId: string,
    userId: string,
    filter: CertificationFilter,
    sort: SortKey<CertificationSortField>[],
    page: Page,
    now: Date,
  ): Promise<EmployeeCertification[]>;
  updateCertification(
    orgId: string,
    userId: string,
    id: string,
    patch: CertificationPatch,
  ): Promise<EmployeeCertification | undefined>;
  softDeleteCertification(
    orgId: string,
    userId: string,
    id: string,
  ): Promise<EmployeeCertification | undefined>;
  /** The live type ratings a certification carries. */
  liveRatingIdsOfCertification(orgId: string, certificationId: string): Promise<string[]>;

  insertTypeRating(input: NewTypeRating): Promise<TypeRating>;
  findTypeRating(orgId: string, userId: string, id: string, lock?: RowLock): Promise<TypeRating | undefined>;
  listTypeRatings(
    orgId: string,
    userId: string,
    filter: TypeRatingFilter,
    sort: SortKey<TypeRatingSortField>[],
    page: Page,
    now: Date,
  ): Promise<TypeRating[]>;
  updateTypeRating(
    orgId: string,
    userId: string,
    id: string,
    patch: TypeRatingPatch,
  ): Promise<TypeRating | undefined>;
  softDeleteTypeRating(orgId: string, userId: string, id: string): Promise<TypeRating | undefined>;

  insertSkill(input: NewSkill): Promise<EmployeeSkill>;
  findSkill(orgId: string, userId: string, id: string, lock?: RowLock): Promise<EmployeeSkill | undefined>;
  listSkills(
    orgId: string,
    userId: string,
    filter: SkillFilter,
    sort: SortKey<SkillSortField>[],
    page: Page,
    now: Date,
  ): Promise<EmployeeSkill[]>;
  updateSkill(
    orgId: string,
    userId: string,
    id: string,
    patch: SkillPatch,
  ): Promise<EmployeeSkill | undefined>;
  softDeleteSkill(orgId: string, userId: string, id: string): Promise<EmployeeSkill | undefined>;

  insertRecency(input: NewRecency): Promise<RecencyEntry>;
  findRecency(orgId: string, userId: string, id: string, lock?: RowLock): Promise<RecencyEntry | undefined>;
  listRecency(
    orgId: string,
    userId: string,
    filter: RecencyFilter,
    sort: SortKey<RecencySortField>[],
    page: Page,
  ): Promise<RecencyEntry[]>;
  updateRecency(
    orgId: string,
    userId: string,
    id: string,
    patch: RecencyPatch,
  ): Promise<RecencyEntry | undefined>;
  softDeleteRecency(orgId: string, userId: string, id: string): Promise<RecencyEntry | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

export interface PeopleServiceDeps {
  uow: UnitOfWork;
  now?: () => Date;
}

type Scoped = OrgScope;

/**
 * The people records of an organization's users: certifications, type ratings, skills and
 * recency. tenant_admin (own org) and admin manage them; scheduler and auditor read everyone's; a
 * mechanic reads their own (403 OWN_RECORDS_ONLY otherwise). The user must be a live user of the
 * organization in scope (404 USER_NOT_FOUND otherwise: a deleted user's records go with them), and
 * a record id must be that user's (404). Every change writes its audit row and event in its
 * transaction.
 */
export class PeopleService {
  private readonly now: () => Date;

  constructor(private readonly deps: PeopleServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  // --- certifications -------------------------------------------------------------------------

  /**
   * Records a certification. The type must be live and the org's to use (404
   * CERTIFICATION_TYPE_NOT_FOUND); the dates must suit it (see `certificationDateProblems`); a
   * second live certification of the same type for the user is 409 CERTIFICATION_DUPLICATE.
   */
  async createCertification(
    ctx: MutationContext,
    userId: string,
    input: CreateCertificationInput,
    scope: Scoped = {},
  ): Promise<EmployeeCertification> {
    const orgId = await this.scope(ctx.actor, 'create', userId, scope);
    const now = this.now();
    const documentUrl = checkedDocumentUrl(input.documentUrl);
    const verifier = input.verified === true ? verifierOf(ctx.actor) : null;
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      // Held against the type's delete or change of rule until this commits (an org's own type).
      const type = await tx.referenceData.findCertificationType(orgId, input.certificationTypeId, {
        lock: 'use',
      });
      if (!type) {
        throw missingReference(
          'body.certification_type_id',
          'CERTIFICATION_TYPE_NOT_FOUND',
          'certification type',
        );
      }
      const expiryDate = input.expiryDate ?? null;
      refuseProblems(
        certificationDateProblems({ typeExpires: type.expires, issueDate: input.issueDate, expiryDate, now }),
        'certification',
      );
      const created = await tx.people.insertCertification({
        orgId,
        userId,
        certificationTypeId: type.id,
        certificateNumber: input.certificateNumber.trim(),
        issueDate: input.issueDate,
        expiryDate,
        status: input.status ?? 'active',
        documentUrl: documentUrl ?? null,
        verifiedBy: verifier,
        verifiedAt: verifier === null ? null : now,
      });
      return {
        result: created,
        ...recordEffects(CERTIFICATION, { action: 'create', after: created, now }),
      };
    });
  }

  async getCertification(
    actor: Actor,
    userId: string,
    id: string,
    scope: Scoped = {},
  ): Promise<EmployeeCertification> {
    const orgId = await this.scope(actor, 'read', userId, scope);
    return (await this.deps.uow.repos.people.findCertification(orgId, userId, id)) ?? notFound(CERTIFICATION);
  }

  async listCertifications(
    actor: Actor,
    userId: string,
    filter: CertificationFilter & Scoped,
    sort: SortKey<CertificationSortField>[],
    page: Page,
  ): Promise<PageOf<EmployeeCertification>> {
    const orgId = await this.scope(actor, 'read', userId, filter);
    const { status, expired, certificationTypeId } = filter;
    const rows = await this.deps.uow.repos.people.listCertifications(
      orgId,
      userId,
      { status, expired, certificationTypeId },
      sort,
      page,
      this.now(),
    );
    return pageOf(rows, page);
  }

  /**
   * Changes a certification. Dates are checked merged with the stored ones; a revoked
   * certification stays revoked (409 CERTIFICATION_REVOKED). A status change is audited as a
   * state change with the old and new status. Changing the number, dates or document withdraws
   * an earlier verification unless the same request verifies again.
   */
  async updateCertification(
    ctx: MutationContext,
    userId: string,
    id: string,
    patch: UpdateCertificationInput,
    scope: Scoped = {},
  ): Promise<EmployeeCertification> {
    const orgId = await this.scope(ctx.actor, 'update', userId, scope);
    const now = this.now();
    const documentUrl = checkedDocumentUrl(patch.documentUrl);
    const verifier = patch.verified === true ? verifierOf(ctx.actor) : null;
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before =
        (await tx.people.findCertification(orgId, userId, id, 'update')) ?? notFound(CERTIFICATION);
      const type = await tx.referenceData.findCertificationType(orgId, before.certificationTypeId);
      if (patch.status !== undefined) {
        const refusal = certificationStatusRefusal(before.status, patch.status);
        if (refusal) {
          throw AppError.conflict(refusal.reason, refusal.message, [
            { field: 'body.status', message: 'the certification is revoked' },
          ]);
        }
      }
      const issueDate = patch.issueDate ?? before.issueDate;
      const expiryDate = patch.expiryDate === undefined ? before.expiryDate : patch.expiryDate;
      if (patch.issueDate !== undefined || patch.expiryDate !== undefined) {
        refuseProblems(
          certificationDateProblems({
            // A type the org has since deleted keeps its rule for the certifications it has.
            typeExpires: type?.expires ?? before.type.expires,
            issueDate,
            expiryDate,
            now,
          }).filter((p) => patch.issueDate !== undefined || p.reason !== 'ISSUE_DATE_IN_FUTURE'),
          'certification',
        );
      }
      const certificateNumber = patch.certificateNumber?.trim();
      const substanceChanged =
        (certificateNumber !== undefined && certificateNumber !== before.certificateNumber) ||
        (patch.issueDate !== undefined && patch.issueDate.getTime() !== before.issueDate.getTime()) ||
        (patch.expiryDate !== undefined && patch.expiryDate?.getTime() !== before.expiryDate?.getTime()) ||
        (documentUrl !== undefined && documentUrl !== before.documentUrl);
      const verification =
        patch.verified === true
          ? { verifiedBy: verifier, verifiedAt: now }
          : patch.verified === false || substanceChanged
            ? { verifiedBy: null, verifiedAt: null }
            : {};
      const after =
        (await tx.people.updateCertification(orgId, userId, id, {
          certificateNumber,
          issueDate: patch.issueDate,
          expiryDate: patch.expiryDate,
          status: patch.status,
          documentUrl,
          ...verification,
        })) ?? notFound(CERTIFICATION);
      const statusChanged = after.status !== before.status;
      return {
        result: after,
        ...recordEffects(CERTIFICATION, {
          action: statusChanged ? 'state_change' : 'update',
          before,
          after,
          now,
          changeId,
          extra: statusChanged ? { previous_status: before.status, status: after.status } : undefined,
        }),
      };
    });
  }

  /**
   * Soft-deletes a certification. Refused with 409 CERTIFICATION_HAS_TYPE_RATINGS while live type
   * ratings are carried by it: delete (or move) those first, so no rating is left standing on a
   * licence that is gone.
   */
  async deleteCertification(
    ctx: MutationContext,
    userId: string,
    id: string,
    scope: Scoped = {},
  ): Promise<void> {
    const orgId = await this.scope(ctx.actor, 'delete', userId, scope);
    const now = this.now();
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      // Locked first: a rating being added on it meanwhile holds a share lock, so either that one
      // commits before and is counted here, or it waits and then finds the certification gone.
      const before =
        (await tx.people.findCertification(orgId, userId, id, 'update')) ?? notFound(CERTIFICATION);
      const ratings = await tx.people.liveRatingIdsOfCertification(orgId, id);
      if (ratings.length > 0) {
        throw AppError.conflict(
          'CERTIFICATION_HAS_TYPE_RATINGS',
          `the certification carries ${ratings.length} live type rating${ratings.length === 1 ? '' : 's'} (${ratings.join(', ')}); delete or move them first`,
        );
      }
      await tx.people.softDeleteCertification(orgId, userId, id);
      return {
        result: undefined,
        ...recordEffects(CERTIFICATION, { action: 'delete', before, now, changeId }),
      };
    });
  }

  // --- type ratings ---------------------------------------------------------------------------

  /**
   * Records a type rating on one of the user's own live certifications (404
   * CERTIFICATION_NOT_FOUND naming body.certification_id otherwise; a revoked one is 409
   * CERTIFICATION_REVOKED). One live rating per aircraft type (409 TYPE_RATING_DUPLICATE).
   */
  async createTypeRating(
    ctx: MutationContext,
    userId: string,
    input: CreateTypeRatingInput,
    scope: Scoped = {},
  ): Promise<TypeRating> {
    const orgId = await this.scope(ctx.actor, 'create', userId, scope);
    const now = this.now();
    const expiryDate = input.expiryDate ?? null;
    refuseProblems(
      startAndExpiryProblems({
        startField: 'body.endorsed_date',
        start: input.endorsedDate,
        expiryDate,
        now,
      }),
      'type rating',
    );
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      await carryingCertification(tx, orgId, userId, input.certificationId);
      await aircraftType(tx, input.aircraftTypeId);
      const created = await tx.people.insertTypeRating({
        orgId,
        userId,
        aircraftTypeId: input.aircraftTypeId,
        certificationId: input.certificationId,
        endorsedDate: input.endorsedDate,
        expiryDate,
      });
      return { result: created, ...recordEffects(TYPE_RATING, { action: 'create', after: created, now }) };
    });
  }

  async getTypeRating(actor: Actor, userId: string, id: string, scope: Scoped = {}): Promise<TypeRating> {
    const orgId = await this.scope(actor, 'read', userId, scope);
    return (await this.deps.uow.repos.people.findTypeRating(orgId, userId, id)) ?? notFound(TYPE_RATING);
  }

  async listTypeRatings(
    actor: Actor,
    userId: string,
    filter: TypeRatingFilter & Scoped,
    sort: SortKey<TypeRatingSortField>[],
    page: Page,
  ): Promise<PageOf<TypeRating>> {
    const orgId = await this.scope(actor, 'read', userId, filter);
    const { aircraftTypeId, certificationId, expired } = filter;
    const rows = await this.deps.uow.repos.people.listTypeRatings(
      orgId,
      userId,
      { aircraftTypeId, certificationId, expired },
      sort,
      page,
      this.now(),
    );
    return pageOf(rows, page);
  }

  async updateTypeRating(
    ctx: MutationContext,
    userId: string,
    id: string,
    patch: UpdateTypeRatingInput,
    scope: Scoped = {},
  ): Promise<TypeRating> {
    const orgId = await this.scope(ctx.actor, 'update', userId, scope);
    const now = this.now();
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before = (await tx.people.findTypeRating(orgId, userId, id, 'update')) ?? notFound(TYPE_RATING);
      if (patch.endorsedDate !== undefined || patch.expiryDate !== undefined) {
        refuseProblems(
          startAndExpiryProblems({
            startField: 'body.endorsed_date',
            start: patch.endorsedDate ?? before.endorsedDate,
            expiryDate: patch.expiryDate === undefined ? before.expiryDate : patch.expiryDate,
            now,
          }).filter((p) => patch.endorsedDate !== undefined || p.reason !== 'DATE_IN_FUTURE'),
          'type rating',
        );
      }
      if (patch.certificationId !== undefined && patch.certificationId !== before.certificationId) {
        await carryingCertification(tx, orgId, userId, patch.certificationId);
      }
      if (patch.aircraftTypeId !== undefined) await aircraftType(tx, patch.aircraftTypeId);
      const after =
        (await tx.people.updateTypeRating(orgId, userId, id, {
          aircraftTypeId: patch.aircraftTypeId,
          certificationId: patch.certificationId,
          endorsedDate: patch.endorsedDate,
          expiryDate: patch.expiryDate,
        })) ?? notFound(TYPE_RATING);
      return {
        result: after,
        ...recordEffects(TYPE_RATING, { action: 'update', before, after, now, changeId }),
      };
    });
  }

  async deleteTypeRating(
    ctx: MutationContext,
    userId: string,
    id: string,
    scope: Scoped = {},
  ): Promise<void> {
    const orgId = await this.scope(ctx.actor, 'delete', userId, scope);
    const now = this.now();
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before = (await tx.people.softDeleteTypeRating(orgId, userId, id)) ?? notFound(TYPE_RATING);
      return {
        result: undefined,
        ...recordEffects(TYPE_RATING, { action: 'delete', before, now, changeId }),
      };
    });
  }

  // --- skills ---------------------------------------------------------------------------------

  /** Records a skill of a live type the org may use (404 SKILL_TYPE_NOT_FOUND); one live per type (409 SKILL_DUPLICATE). */
  async createSkill(
    ctx: MutationContext,
    userId: string,
    input: CreateSkillInput,
    scope: Scoped = {},
  ): Promise<EmployeeSkill> {
    const orgId = await this.scope(ctx.actor, 'create', userId, scope);
    const now = this.now();
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      // Held against the type's delete until this commits (an org's own type).
      if (!(await tx.referenceData.findSkillType(orgId, input.skillTypeId, { lock: 'use' }))) {
        throw missingReference('body.skill_type_id', 'SKILL_TYPE_NOT_FOUND', 'skill type');
      }
      const created = await tx.people.insertSkill({
        orgId,
        userId,
        skillTypeId: input.skillTypeId,
        proficiency: input.proficiency,
        qualified: input.qualified ?? true,
        expiryDate: input.expiryDate ?? null,
      });
      return { result: created, ...recordEffects(SKILL, { action: 'create', after: created, now }) };
    });
  }

  async getSkill(actor: Actor, userId: string, id: string, scope: Scoped = {}): Promise<EmployeeSkill> {
    const orgId = await this.scope(actor, 'read', userId, scope);
    return (await this.deps.uow.repos.people.findSkill(orgId, userId, id)) ?? notFound(SKILL);
  }

  async listSkills(
    actor: Actor,
    userId: string,
    filter: SkillFilter & Scoped,
    sort: SortKey<SkillSortField>[],
    page: Page,
  ): Promise<PageOf<EmployeeSkill>> {
    const orgId = await this.scope(actor, 'read', userId, filter);
    const { skillTypeId, qualified, expired } = filter;
    const rows = await this.deps.uow.repos.people.listSkills(
      orgId,
      userId,
      { skillTypeId, qualified, expired },
      sort,
      page,
      this.now(),
    );
    return pageOf(rows, page);
  }

  async updateSkill(
    ctx: MutationContext,
    userId: string,
    id: string,
    patch: UpdateSkillInput,
    scope: Scoped = {},
  ): Promise<EmployeeSkill> {
    const orgId = await this.scope(ctx.actor, 'update', userId, scope);
    const now = this.now();
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before = (await tx.people.findSkill(orgId, userId, id, 'update')) ?? notFound(SKILL);
      const after =
        (await tx.people.updateSkill(orgId, userId, id, {
          proficiency: patch.proficiency,
          qualified: patch.qualified,
          expiryDate: patch.expiryDate,
        })) ?? notFound(SKILL);
      return { result: after, ...recordEffects(SKILL, { action: 'update', before, after, now, changeId }) };
    });
  }

  async deleteSkill(ctx: MutationContext, userId: string, id: string, scope: Scoped = {}): Promise<void> {
    const orgId = await this.scope(ctx.actor, 'delete', userId, scope);
    const now = this.now();
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before = (await tx.people.softDeleteSkill(orgId, userId, id)) ?? notFound(SKILL);
      return { result: undefined, ...recordEffects(SKILL, { action: 'delete', before, now, changeId }) };
    });
  }

  // --- recency --------------------------------------------------------------------------------

  /**
   * Logs hours on an aircraft type by hand (work done elsewhere, or not through a task). The
   * acting person is recorded as `created_by`, with their own organization (a system admin acting
   * in another one is named all the same); a job is named by the audit row only.
   */
  async logRecency(
    ctx: MutationContext,
    userId: string,
    input: CreateRecencyInput,
    scope: Scoped = {},
  ): Promise<RecencyEntry> {
    const orgId = await this.scope(ctx.actor, 'create', userId, scope);
    const now = this.now();
    refuseProblems(
      recencyProblems({ hours: input.hours, performedAt: input.performedAt, now }),
      'recency entry',
    );
    const createdBy: RecordedBy | null =
      ctx.actor.kind === 'user' ? { orgId: ctx.actor.orgId, userId: ctx.actor.userId } : null;
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      await aircraftType(tx, input.aircraftTypeId);
      const created = await tx.people.insertRecency({
        orgId,
        userId,
        aircraftTypeId: input.aircraftTypeId,
        hours: input.hours,
        performedAt: input.performedAt,
        notes: normalizeNotes(input.notes),
        createdBy,
      });
      return { result: created, ...recordEffects(RECENCY, { action: 'create', after: created, now }) };
    });
  }

  async getRecency(actor: Actor, userId: string, id: string, scope: Scoped = {}): Promise<RecencyEntry> {
    const orgId = await this.scope(actor, 'read', userId, scope);
    return (await this.deps.uow.repos.people.findRecency(orgId, userId, id)) ?? notFound(RECENCY);
  }

  async listRecency(
    actor: Actor,
    userId: string,
    filter: RecencyFilter & Scoped,
    sort: SortKey<RecencySortField>[],
    page: Page,
  ): Promise<PageOf<RecencyEntry>> {
    const orgId = await this.scope(actor, 'read', userId, filter);
    const { aircraftTypeId, from, to, source } = filter;
    if (from && to && to.getTime() <= from.getTime()) {
      throw AppError.validation(
        'to must be after from',
        [{ field: 'querystring.to', message: 'must be after from' }],
        'INVALID_TIME_RANGE',
      );
    }
    const rows = await this.deps.uow.repos.people.listRecency(
      orgId,
      userId,
      { aircraftTypeId, from, to, source },
      sort,
      page,
    );
    return pageOf(rows, page);
  }

  /** Changes a manual entry; an entry written by a completed task is its record and is 409 RECENCY_FROM_TASK. */
  async updateRecency(
    ctx: MutationContext,
    userId: string,
    id: string,
    patch: UpdateRecencyInput,
    scope: Scoped = {},
  ): Promise<RecencyEntry> {
    const orgId = await this.scope(ctx.actor, 'update', userId, scope);
    const now = this.now();
    refuseProblems(
      recencyProblems({ hours: patch.hours, performedAt: patch.performedAt, now }),
      'recency entry',
    );
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before = (await tx.people.findRecency(orgId, userId, id, 'update')) ?? notFound(RECENCY);
      refuseTaskEntry(before, 'changed');
      if (patch.aircraftTypeId !== undefined) await aircraftType(tx, patch.aircraftTypeId);
      const after =
        (await tx.people.updateRecency(orgId, userId, id, {
          aircraftTypeId: patch.aircraftTypeId,
          hours: patch.hours,
          performedAt: patch.performedAt,
          notes: patch.notes === undefined ? undefined : normalizeNotes(patch.notes),
        })) ?? notFound(RECENCY);
      return { result: after, ...recordEffects(RECENCY, { action: 'update', before, after, now, changeId }) };
    });
  }

  /** Soft-deletes a manual entry; an entry written by a completed task is 409 RECENCY_FROM_TASK. */
  async deleteRecency(ctx: MutationContext, userId: string, id: string, scope: Scoped = {}): Promise<void> {
    const orgId = await this.scope(ctx.actor, 'delete', userId, scope);
    const now = this.now();
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      await liveUser(tx, orgId, userId);
      const before = (await tx.people.findRecency(orgId, userId, id, 'update')) ?? notFound(RECENCY);
      refuseTaskEntry(before, 'deleted');
      await tx.people.softDeleteRecency(orgId, userId, id);
      return { result: undefined, ...recordEffects(RECENCY, { action: 'delete', before, now, changeId }) };
    });
  }

  // --- shared ---------------------------------------------------------------------------------

  /**
   * The organization a request about `userId`'s records acts in, after the RBAC check. A mechanic
   * may only read their own (403 OWN_RECORDS_ONLY), checked before the user is looked up so that
   * every other id (a colleague, another org's user, none at all) answers the same 403 and tells
   * them nothing about who exists. Anyone else needs `userId` to be a live user of the
   * organization (404 USER_NOT_FOUND, as for another org's user).
   */
  private async scope(
    actor: Actor,
    action: 'create' | 'read' | 'update' | 'delete',
    userId: string,
    scope: Scoped,
  ): Promise<string> {
    authorize(actor, 'people', action);
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    if (actor.kind === 'user') {
      const refusal = recordAccessRefusal(actor, userId);
      if (refusal) throw AppError.forbidden(refusal.message, refusal.reason);
    }
    await liveUser(repos, orgId, userId);
    return orgId;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async function liveUser(repos: Pick<Repositories, 'users'>, orgId: string, userId: string): Promise<void> {
  if (!(await repos.users.findById(orgId, userId))) throw AppError.notFound('user', 'USER_NOT_FOUND');
}

/** The user's own live certification that is to carry a rating, held against deletion meanwhile. */
async function carryingCertification(
  tx: Repositories,
  orgId: string,
  userId: string,
  certificationId: string,
): Promise<EmployeeCertification> {
  const certification = await tx.people.findCertification(orgId, userId, certificationId, 'share');
  if (!certification) {
    throw new AppError('not_found', 'CERTIFICATION_NOT_FOUND', 'certification not found for this user', [
      { field: 'body.certification_id', message: "must be a live certification of the rating's own user" },
    ]);
  }
  if (certification.status === 'revoked') {
    throw AppError.conflict('CERTIFICATION_REVOKED', 'a revoked certification cannot carry a type rating', [
      { field: 'body.certification_id', message: 'the certification is revoked' },
    ]);
  }
  return certification;
}

async function aircraftType(tx: Repositories, id: string): Promise<void> {
  if (!(await tx.referenceData.findAircraftType(id))) {
    throw missingReference('body.aircraft_type_id', 'AIRCRAFT_TYPE_NOT_FOUND', 'aircraft type');
  }
}

const missingReference = (field: string, reason: string, entity: string): AppError =>
  new AppError('not_found', reason, `${entity} not found`, [
    { field, message: `no live ${entity} with this id that the organization may use` },
  ]);

/** Throws the first problem's reason as a 400 naming every field at fault. */
function refuseProblems(problems: PeopleProblem[], what: string): void {
  const [first] = problems;
  if (!first) return;
  throw AppError.validation(
    `invalid ${what}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems.map(({ field, message }) => ({ field, message })),
    first.reason,
  );
}

/** A document URL as stored (trimmed), or 400 INVALID_DOCUMENT_URL; undefined and null pass through. */
function checkedDocumentUrl(url: string | null | undefined): string | null | undefined {
  if (url === undefined || url === null) return url;
  const trimmed = url.trim();
  const problem = documentUrlProblem(trimmed);
  if (problem !== undefined) {
    throw AppError.validation(
      `document_url ${problem}`,
      [{ field: 'body.document_url', message: problem }],
      'INVALID_DOCUMENT_URL',
    );
  }
  return trimmed;
}

/**
 * Who verifies: the acting person, named with their own organization, so a system admin acting in
 * another organization with `?org_id=` is recorded as its verifier like anyone else. A job is no
 * person and verifies nothing (403 VERIFIER_NOT_A_PERSON).
 */
function verifierOf(actor: Actor): RecordedBy {
  if (actor.kind === 'user') return { orgId: actor.orgId, userId: actor.userId };
  throw AppError.forbidden('a certification is verified by a person', 'VERIFIER_NOT_A_PERSON');
}

const normalizeNotes = (notes: string | null | undefined): string | null => {
  const trimmed = notes?.trim();
  return trimmed === undefined || trimmed === '' ? null : trimmed;
};

function refuseTaskEntry(entry: RecencyEntry, verb: string): void {
  if (entry.taskId === null) return;
  throw AppError.conflict(
    'RECENCY_FROM_TASK',
    `this entry was written when task ${entry.taskId} completed and is its record; it cannot be ${verb}`,
  );
}

/** How each kind of record is named in audit rows, events and errors. */
interface RecordKind<T> {
  entityType: string;
  noun: string;
  notFoundReason: string;
  events: { create: EventType; update: EventType; delete: EventType };
  view: (record: T, now: Date) => Record<string, unknown>;
}

const CERTIFICATION: RecordKind<EmployeeCertification> = {
  entityType: 'employee_certification',
  noun: 'certification',
  notFoundReason: 'CERTIFICATION_NOT_FOUND',
  events: {
    create: 'certification_created',
    update: 'certification_updated',
    delete: 'certification_deleted',
  },
  view: certificationView,
};
const TYPE_RATING: RecordKind<TypeRating> = {
  entityType: 'type_rating',
  noun: 'type rating',
  notFoundReason: 'TYPE_RATING_NOT_FOUND',
  events: { create: 'type_rating_created', update: 'type_rating_updated', delete: 'type_rating_deleted' },
  view: typeRatingView,
};
const SKILL: RecordKind<EmployeeSkill> = {
  entityType: 'employee_skill',
  noun: 'skill',
  notFoundReason: 'SKILL_NOT_FOUND',
  events: { create: 'skill_created', update: 'skill_updated', delete: 'skill_deleted' },
  view: skillView,
};
const RECENCY: RecordKind<RecencyEntry> = {
  entityType: 'recency_entry',
  noun: 'recency entry',
  notFoundReason: 'RECENCY_ENTRY_NOT_FOUND',
  events: { create: 'recency_logged', update: 'recency_updated', delete: 'recency_deleted' },
  view: (entry) => recencyView(entry),
};

const notFound = (kind: RecordKind<never>): never => {
  throw AppError.notFound(kind.noun, kind.notFoundReason);
};

/** The audit entry and event of one change to a people record. */
function recordEffects<T extends { id: string; orgId: string }>(
  kind: RecordKind<T>,
  change: {
    action: AuditAction;
    before?: T;
    after?: T;
    now: Date;
    changeId?: string;
    extra?: Record<string, unknown> | undefined;
  },
): { audit: AuditEntry; events: DomainEvent[] } {
  const subject = (change.after ?? change.before)!;
  const data = kind.view(subject, change.now);
  const type = kind.events[change.action === 'state_change' ? 'update' : change.action];
  return entityEffects({
    orgId: subject.orgId,
    entityType: kind.entityType,
    entityId: subject.id,
    action: change.action,
    before: change.before && kind.view(change.before, change.now),
    after: change.after && data,
    extra: change.extra,
    event: {
      type,
      discriminator: change.changeId,
      data: change.extra ? { ...data, ...change.extra } : data,
      occurredAt: change.now,
    },
  });
}
