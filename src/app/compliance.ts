import { randomUUID } from 'node:crypto';
import { verifyPassword } from '../auth/passwords.js';
import {
  complianceChangeRefusal,
  complianceDescriptionProblem,
  inspectComplianceItem,
  inspectedRefusal,
  inspectionRequirementRefusal,
  inspectorAssignmentRefusal,
  isInspectionPending,
  isSignedOff,
  normalizeComplianceDescription,
  signOffComplianceItem,
  signedOffRefusal,
  taskClosedRefusal,
  type ComplianceInspection,
  type ComplianceItem,
  type ComplianceRefusal,
  type ComplianceResult,
  type ComplianceSignOff,
  type ComplianceTask,
} from '../domain/compliance.js';
import type { EventType } from '../domain/events.js';
import { isAllowed } from '../domain/rbac.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor, UserActor } from './actor.js';
import { auditRecord, type AuditAction, type AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import type { LoginLimiter, LoginLockout } from './login-limiter.js';
import { entityEffects, mutate, type Change, type MutationContext } from './mutation.js';
import { pageOf, parseSort, type Page, type PageOf, type SortKey } from './pagination.js';
import type { Repositories, UnitOfWork } from './ports.js';

/** A compliance item as the API, audit rows and events show it. */
export type ComplianceItemView = {
  id: string;
  org_id: string;
  task_id: string;
  description: string;
  result: ComplianceResult;
  signed_off: boolean;
  sign_off_user_id: string | null;
  sign_off_time: string | null;
  sign_off_meaning: 'performed' | null;
  requires_inspection: boolean;
  inspection_pending: boolean;
  inspected_by: string | null;
  inspected_at: string | null;
  inspection_meaning: 'inspected' | null;
  created_at: string;
  updated_at: string;
};

/** The view of a compliance item. */
export const complianceItemView = (item: ComplianceItem): ComplianceItemView => ({
  id: item.id,
  org_id: item.orgId,
  task_id: item.taskId,
  description: item.description,
  result: item.result,
  signed_off: isSignedOff(item),
  sign_off_user_id: item.signOffUserId,
  sign_off_time: item.signOffTime?.toISOString() ?? null,
  sign_off_meaning: item.signOffMeaning,
  requires_inspection: item.requiresInspection,
  inspection_pending: isInspectionPending(item),
  inspected_by: item.inspectedBy,
  inspected_at: item.inspectedAt?.toISOString() ?? null,
  inspection_meaning: item.inspectionMeaning,
  created_at: item.createdAt.toISOString(),
  updated_at: item.updatedAt.toISOString(),
});

/** The fields a compliance list sorts by. */
export const COMPLIANCE_SORT_FIELDS = ['created_at', 'sign_off_time'] as const;
export type ComplianceSortField = (typeof COMPLIANCE_SORT_FIELDS)[number];

/** Filters of the compliance list; sign-off times match `from <= sign_off_time < to`. */
export interface ComplianceFilter {
  taskId?: string | undefined;
  result?: ComplianceResult | undefined;
  /** true: signed off only; false: not yet signed off only. */
  signed?: boolean | undefined;
  signedBy?: string | undefined;
  /** true: items still awaiting their independent inspection; false: every other item. */
  inspectionPending?: boolean | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** What the list accepts: the filters, the organization in scope and the raw `sort` parameter. */
export interface ComplianceListInput extends ComplianceFilter, OrgScope {
  sort?: string | undefined;
}

/** A new compliance item for a task of the organization in scope. */
export interface CreateComplianceItemInput extends OrgScope {
  taskId: string;
  description: string;
  result?: ComplianceResult | undefined;
  /** Whether a second person must inspect the work after the sign-off (default false). */
  requiresInspection?: boolean | undefined;
}

/** New compliance items for one task of the organization in scope, made together in this order. */
export interface CreateComplianceItemsInput extends OrgScope {
  taskId: string;
  items: {
    description: string;
    result?: ComplianceResult | undefined;
    requiresInspection?: boolean | undefined;
  }[];
  /** The request field that names the task, for its 404 (default `body.task_id`). */
  taskField?: string | undefined;
  /** Kept in each item's audit row, e.g. the template the items came from. */
  auditExtra?: Record<string, unknown> | undefined;
}

/** The fields of an unsigned item to change; unset ones stay as they are. */
export interface UpdateComplianceItemInput {
  description?: string | undefined;
  result?: ComplianceResult | undefined;
  requiresInspection?: boolean | undefined;
}

/** A signature's re-authentication: the signer's own password, when the organization's policy asks for it. */
export interface SignatureInput {
  password?: string | undefined;
}

/** What a signature was about, for the audit row of a refused one. */
export interface SignatureAttempt {
  /** What the request named, as audit fields, e.g. `{compliance_item_id}` or `{aircraft_id, directive_id}`. */
  subject: Record<string, string>;
  /** What the signature would have meant. */
  meaning: 'performed' | 'inspected' | 'complied';
}

/** What re-authenticating a signer needs: the repositories and the login's failed-attempt limiter. */
export interface SignatureDeps {
  uow: UnitOfWork;
  loginLimiter: LoginLimiter;
}

/** Which requirements a signature must meet: a sign-off the task's certifying ones, an inspection its inspection ones. */
export type SignaturePurpose = 'certify' | 'inspect';

/**
 * Whether a person may sign for a task (helper C's qualification check, wired in by the container):
 * throws 409 MECHANIC_NOT_QUALIFIED with what is missing. Runs inside the signature's transaction.
 */
export interface SignerQualificationCheck {
  assertQualified(
    tx: Repositories,
    input: { orgId: string; userId: string; taskId: string; purpose: SignaturePurpose; at: Date },
  ): Promise<void>;
}

/** Persistence of compliance items; every method is scoped to one organization. */
export interface ComplianceRepository {
  /**
   * A live task of the organization, locked against concurrent state changes (FOR SHARE) so it
   * cannot complete without seeing an item added in this transaction.
   */
  findTaskForNewItem(orgId: string, taskId: string): Promise<ComplianceTask | undefined>;
  /**
   * Inserts items of one task in one statement and returns them in the order given; their
   * created_at follow that order, so the task's checklist lists them so.
   */
  insertMany(
    orgId: string,
    taskId: string,
    items: {
      description: string;
      result?: ComplianceResult | undefined;
      requiresInspection?: boolean | undefined;
    }[],
  ): Promise<ComplianceItem[]>;
  /** A live item. */
  findById(orgId: string, id: string): Promise<ComplianceItem | undefined>;
  /**
   * Holds the task of an item FOR SHARE (deleted or not) until the transaction ends, so a change
   * of its mechanic (which holds it FOR UPDATE) waits for this transaction or is seen by it;
   * false when the item does not exist in the org.
   */
  lockTaskOfItem(orgId: string, itemId: string): Promise<boolean>;
  /** A live item of the task that `userId` independently inspected, if any. */
  findInspectedBy(orgId: string, taskId: string, userId: string): Promise<ComplianceItem | undefined>;
  /** A live item locked for change (FOR UPDATE) with its task (deleted or not). */
  findForChange(
    orgId: string,
    id: string,
  ): Promise<{ item: ComplianceItem; task: ComplianceTask } | undefined>;
  /** Fetches `page.limit + 1` rows so the caller knows whether more follow. */
  list(
    orgId: string,
    filter: ComplianceFilter,
    sort: SortKey<ComplianceSortField>[],
    page: Page,
  ): Promise<ComplianceItem[]>;
  /** Changes a live, unsigned item; undefined when it is signed off or gone. */
  update(orgId: string, id: string, patch: UpdateComplianceItemInput): Promise<ComplianceItem | undefined>;
  /** Signs off a live, unsigned item; undefined when it is already signed off or gone. */
  signOff(orgId: string, id: string, signOff: ComplianceSignOff): Promise<ComplianceItem | undefined>;
  /**
   * Records the inspection of a live, signed-off item that requires one and is not inspected yet;
   * undefined otherwise.
   */
  inspect(orgId: string, id: string, inspection: ComplianceInspection): Promise<ComplianceItem | undefined>;
  /** Soft-deletes a live, unsigned item; undefined when it is signed off or gone. */
  softDelete(orgId: string, id: string): Promise<ComplianceItem | undefined>;
}

/** What the compliance service needs. */
export interface ComplianceServiceDeps {
  uow: UnitOfWork;
  /**
   * The login's failed-attempt limiter: a wrong signature password counts exactly like a wrong
   * login password (same counters, same lockouts), so signing is no side door for guessing.
   */
  loginLimiter: LoginLimiter;
  /** The qualification check of signers and inspectors; unset until it is wired in. */
  qualifications?: SignerQualificationCheck | undefined;
  /** The clock of signatures and inspections (the demo's history signs in the past). */
  now?: (() => Date) | undefined;
}

/**
 * Compliance items of maintenance tasks. Mechanics (and admins) create, edit and delete them until
 * sign-off; only a mechanic signs off, once, with a final result other than pending; from then on
 * the item is immutable (409 ALREADY_SIGNED_OFF here, and the database trigger behind it).
 */
export class ComplianceService {
  private readonly now: () => Date;

  constructor(private readonly deps: ComplianceServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Adds an item to a scheduled or in-progress task of the organization (404 naming task_id otherwise). */
  async create(ctx: MutationContext, input: CreateComplianceItemInput): Promise<ComplianceItem> {
    const [item] = await this.createMany(ctx, {
      orgId: input.orgId,
      taskId: input.taskId,
      items: [
        {
          description: input.description,
          result: input.result,
          requiresInspection: input.requiresInspection,
        },
      ],
    });
    return item!;
  }

  /**
   * Adds several items to a scheduled or in-progress task in one transaction, in the order given
   * (a template's checklist): the same rules as one item each (RBAC, raising requires_inspection,
   * a closed task is 409 TASK_CLOSED, an unknown task 404 naming `taskField`), one audit row and
   * one compliance_item_created event per item.
   */
  async createMany(ctx: MutationContext, input: CreateComplianceItemsInput): Promise<ComplianceItem[]> {
    authorize(ctx.actor, 'compliance_items', 'create');
    if (input.items.some((item) => item.requiresInspection === true)) {
      authorize(ctx.actor, 'compliance_items', 'require_inspection');
    }
    if (input.items.length === 0) throw new Error('createMany needs at least one compliance item');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    const items = input.items.map((item) => ({
      description: checkedDescription(item.description),
      result: item.result,
      requiresInspection: item.requiresInspection,
    }));
    return mutate(this.deps.uow, ctx, async (tx) => {
      const task = await tx.compliance.findTaskForNewItem(orgId, input.taskId);
      if (!task) {
        throw new AppError('not_found', 'TASK_NOT_FOUND', `task ${input.taskId} not found`, [
          { field: input.taskField ?? 'body.task_id', message: 'no such task in this organization' },
        ]);
      }
      refuse(taskClosedRefusal(task));
      const created = await tx.compliance.insertMany(orgId, task.id, items);
      const effects = created.map((item) =>
        complianceEffects({
          action: 'create',
          type: 'compliance_item_created',
          after: item,
          extra: input.auditExtra,
        }),
      );
      return {
        result: created,
        audit: effects.map((effect) => effect.audit).flat(),
        events: effects.flatMap((effect) => effect.events ?? []),
      };
    });
  }

  /** One live item of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<ComplianceItem> {
    authorize(actor, 'compliance_items', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    return (await repos.compliance.findById(orgId, id)) ?? notFound();
  }

  /** Live items of the organization, filtered and sorted (default: oldest first). */
  async list(actor: Actor, input: ComplianceListInput, page: Page): Promise<PageOf<ComplianceItem>> {
    authorize(actor, 'compliance_items', 'read');
    const sort = parseSort(input.sort, COMPLIANCE_SORT_FIELDS, [{ field: 'created_at', direction: 'asc' }]);
    if (input.from && input.to && input.to <= input.from) {
      throw AppError.validation(
        'the sign-off time range is empty: to must be after from',
        [{ field: 'querystring.to', message: 'must be after from' }],
        'INVALID_TIME_RANGE',
      );
    }
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const filter: ComplianceFilter = {
      taskId: input.taskId,
      result: input.result,
      signed: input.signed,
      signedBy: input.signedBy,
      inspectionPending: input.inspectionPending,
      from: input.from,
      to: input.to,
    };
    return pageOf(await repos.compliance.list(orgId, filter, sort, page), page);
  }

  /** Changes the description or result of an item that is not signed off yet. */
  async update(
    ctx: MutationContext,
    id: string,
    patch: UpdateComplianceItemInput,
    scope: OrgScope = {},
  ): Promise<ComplianceItem> {
    authorize(ctx.actor, 'compliance_items', 'update');
    // The record of the check is the mechanics' (and admins'); planners change only whether it needs an inspection.
    if (patch.description !== undefined || patch.result !== undefined) {
      authorize(ctx.actor, 'compliance_items', 'record');
    }
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const description = patch.description === undefined ? undefined : checkedDescription(patch.description);
    const changeId = randomUUID();
    return mutate(this.deps.uow, ctx, async (tx) => {
      const { item: before, task } = await findForChange(tx, orgId, id);
      refuse(complianceChangeRefusal(before, task));
      refuse(inspectionRequirementRefusal(before, patch, mayWaiveInspection(ctx.actor)));
      if (patch.requiresInspection === true && !before.requiresInspection) {
        authorize(ctx.actor, 'compliance_items', 'require_inspection');
      }
      const item =
        (await tx.compliance.update(orgId, id, {
          description,
          result: patch.result,
          requiresInspection: patch.requiresInspection,
        })) ?? (await raceLost(tx, orgId, id));
      return {
        result: item,
        ...complianceEffects({
          action: 'update',
          type: 'compliance_item_updated',
          before,
          after: item,
          changeId,
        }),
      };
    });
  }

  /**
   * Signs an item off as the acting mechanic, now, optionally recording the final result in the
   * same step: an electronic signature meaning `performed`. Unless the organization's policy turns
   * it off, the signer re-enters their password first (401 SIGNATURE_REAUTHENTICATION_FAILED,
   * counted like a failed login). Exactly once: of two racing sign-offs one wins and the other gets
   * 409 ALREADY_SIGNED_OFF.
   */
  async signOff(
    ctx: MutationContext,
    id: string,
    input: SignatureInput & { result?: ComplianceResult | undefined },
    scope: OrgScope = {},
  ): Promise<ComplianceItem> {
    authorize(ctx.actor, 'compliance_items', 'sign_off');
    const actor = signer(ctx.actor, 'signs off compliance items');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, actor, scope);
    await this.reauthenticate(ctx, actor, input.password, { itemId: id, meaning: 'performed' });
    return mutate(this.deps.uow, ctx, async (tx) => {
      const { item: before, task } = await findForChange(tx, orgId, id);
      const at = this.now();
      const decision = signOffComplianceItem(before, task, {
        signerId: actor.userId,
        at,
        result: input.result,
      });
      if (!decision.ok) throw conflict(decision.refusal);
      await this.checkQualified(tx, { orgId, userId: actor.userId, taskId: task.id, purpose: 'certify', at });
      const item =
        (await tx.compliance.signOff(orgId, id, decision.value)) ?? (await raceLost(tx, orgId, id));
      return {
        result: item,
        ...complianceEffects({ action: 'state_change', type: 'compliance_signed', before, after: item }),
      };
    });
  }

  /**
   * Records the independent inspection of a signed-off item that requires one: a second mechanic,
   * never the one who signed it off, signs `inspected`, re-authenticating like a sign-off. Once
   * inspected, the item never changes again.
   */
  async inspect(
    ctx: MutationContext,
    id: string,
    input: SignatureInput,
    scope: OrgScope = {},
  ): Promise<ComplianceItem> {
    authorize(ctx.actor, 'compliance_items', 'inspect');
    const actor = signer(ctx.actor, 'inspects compliance items');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, actor, scope);
    await this.reauthenticate(ctx, actor, input.password, { itemId: id, meaning: 'inspected' });
    return mutate(this.deps.uow, ctx, async (tx) => {
      // The task first, FOR SHARE: a reassignment of its mechanic racing this inspection either
      // waits for it (and is refused, see refuseInspectorAsMechanic) or is read by it below.
      await tx.compliance.lockTaskOfItem(orgId, id);
      const { item: before, task } = await findForChange(tx, orgId, id);
      const at = this.now();
      const decision = inspectComplianceItem(before, task, { inspectorId: actor.userId, at });
      if (!decision.ok) throw conflict(decision.refusal);
      await this.checkQualified(tx, { orgId, userId: actor.userId, taskId: task.id, purpose: 'inspect', at });
      const item =
        (await tx.compliance.inspect(orgId, id, decision.value)) ??
        (await raceLost(tx, orgId, id, 'inspect'));
      return {
        result: item,
        ...complianceEffects({
          action: 'state_change',
          type: 'compliance_item_inspected',
          before,
          after: item,
        }),
      };
    });
  }

  /** The signer's re-authentication (see {@link reauthenticateSigner}). */
  private async reauthenticate(
    ctx: MutationContext,
    actor: UserActor,
    password: string | undefined,
    attempt: { itemId: string; meaning: 'performed' | 'inspected' },
  ) {
    await reauthenticateSigner(this.deps, ctx, actor, password, {
      subject: { compliance_item_id: attempt.itemId },
      meaning: attempt.meaning,
    });
  }

  /** The single place a signer's or inspector's qualification for the task is checked. */
  private async checkQualified(
    tx: Repositories,
    input: { orgId: string; userId: string; taskId: string; purpose: SignaturePurpose; at: Date },
  ): Promise<void> {
    // The container passes the qualification check (src/app/qualifications.ts, signerQualifications).
    await this.deps.qualifications?.assertQualified(tx, input);
  }

  /** Soft-deletes an item that is not signed off yet; a signed-off item stays forever. */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'compliance_items', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      const { item: before, task } = await findForChange(tx, orgId, id);
      refuse(complianceChangeRefusal(before, task));
      refuse(inspectionRequirementRefusal(before, 'delete', mayWaiveInspection(ctx.actor)));
      const item = (await tx.compliance.softDelete(orgId, id)) ?? (await raceLost(tx, orgId, id));
      return {
        result: undefined,
        ...complianceEffects({
          action: 'delete',
          type: 'compliance_item_deleted',
          before,
          changeId,
          occurredAt: item.updatedAt,
        }),
      };
    });
  }
}

/**
 * The acting person of a signature: a signed-in mechanic (the RBAC check lets only them through).
 * A job has no one to sign, and a signature is a person's: an API key has no password and would
 * sign in its creator's name, so it is refused (403 API_KEY_FORBIDDEN).
 */
export function signer(actor: Actor, what: string): UserActor {
  if (actor.kind !== 'user') throw AppError.forbidden(`only a mechanic ${what}`);
  if (actor.apiKey) {
    throw AppError.forbidden(
      "a signature is a person's and needs their password: sign in as the mechanic instead of using an API key",
      'API_KEY_FORBIDDEN',
    );
  }
  return actor;
}

/** The signer's re-authentication failed; nothing was signed. */
const reauthenticationFailed = (message: string): AppError =>
  AppError.unauthenticated(`${message}; nothing was signed`, 'SIGNATURE_REAUTHENTICATION_FAILED');

const notFound = (): never => {
  throw AppError.notFound('compliance item', 'COMPLIANCE_ITEM_NOT_FOUND');
};

/** A domain refusal as the error it is: a 409 unless it says otherwise, with its details. */
/**
 * Refuses (409 INSPECTOR_IS_PERFORMER) making `mechanicId` the mechanic of a task one of whose
 * items they independently inspected: for the task service, inside its change, which holds the
 * task FOR UPDATE — an inspection holds it FOR SHARE (see `inspect`), so the two serialize.
 */
export async function refuseInspectorAsMechanic(
  tx: Pick<Repositories, 'compliance'>,
  input: { orgId: string; taskId: string; mechanicId: string },
): Promise<void> {
  const inspected = await tx.compliance.findInspectedBy(input.orgId, input.taskId, input.mechanicId);
  if (inspected) refuse(inspectorAssignmentRefusal(inspected, input.mechanicId));
}

const conflict = (refusal: ComplianceRefusal): AppError =>
  new AppError(refusal.kind ?? 'conflict', refusal.reason, refusal.message, refusal.details);

/** Whether the actor may waive an independent inspection (clear the flag, delete a flagged item). */
const mayWaiveInspection = (actor: Actor): boolean =>
  actor.kind === 'system' || isAllowed(actor.role, 'compliance_items', 'waive_inspection');

/** Throws the refusal, if there is one. */
function refuse(refusal: ComplianceRefusal | undefined): void {
  if (refusal) throw conflict(refusal);
}

async function findForChange(
  tx: Pick<Repositories, 'compliance'>,
  orgId: string,
  id: string,
): Promise<{ item: ComplianceItem; task: ComplianceTask }> {
  return (await tx.compliance.findForChange(orgId, id)) ?? notFound();
}

/**
 * The conditional write matched no row: no unsigned live row for a change or sign-off, no live row
 * awaiting its inspection for an inspection. The locked read makes this unreachable today, but the
 * write's condition is the guarantee, so answer as the guards would have.
 */
async function raceLost(
  tx: Pick<Repositories, 'compliance'>,
  orgId: string,
  id: string,
  write: 'change' | 'inspect' = 'change',
): Promise<never> {
  const current = await tx.compliance.findById(orgId, id);
  if (current) refuse(write === 'inspect' ? inspectedRefusal(current) : signedOffRefusal(current));
  return notFound();
}

function checkedDescription(raw: string): string {
  const description = normalizeComplianceDescription(raw);
  const problem = complianceDescriptionProblem(description);
  if (problem !== undefined) {
    throw AppError.validation(`the description ${problem}`, [
      { field: 'body.description', message: problem },
    ]);
  }
  return description;
}

/** What one change to a compliance item records. */
interface ComplianceChange {
  action: AuditAction;
  type: EventType;
  before?: ComplianceItem;
  after?: ComplianceItem;
  /** Distinguishes this change's event from every other change to the same item (unset when it happens once). */
  changeId?: string;
  occurredAt?: Date;
  /** Kept in the audit row only. */
  extra?: Record<string, unknown> | undefined;
}

/** The audit row and the event of one change to a compliance item. */
function complianceEffects(change: ComplianceChange): Omit<Change<unknown>, 'result'> {
  const subject = (change.after ?? change.before)!;
  const data = complianceItemView(subject);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'compliance_item',
    entityId: subject.id,
    action: change.action,
    before: change.before && complianceItemView(change.before),
    after: change.after && data,
    extra: change.extra,
    event: {
      type: change.type,
      discriminator: change.changeId,
      data,
      occurredAt: change.occurredAt ?? subject.updatedAt,
    },
  });
}

/**
 * A signer proves who they are again, as at a login: their password, checked against the
 * same failed-attempt counters (per address and email) as the login, so a guesser holding a
 * stolen token learns nothing faster here, and the owner's login is limited exactly as if the
 * attempts had been logins. Skipped when the organization's `sign_off_reauthentication` is off.
 * A failure writes nothing but its security audit row (see {@link auditFailedSignature}).
 */
export async function reauthenticateSigner(
  deps: SignatureDeps,
  ctx: MutationContext,
  actor: UserActor,
  password: string | undefined,
  attempt: SignatureAttempt,
): Promise<void> {
  const repos = deps.uow.repos;
  const policy = await repos.orgPolicies.get(actor.orgId);
  if (policy?.signOffReauthentication === false) return;
  if (password === undefined || password === '') {
    await auditFailedSignature(deps, ctx, actor, attempt, 'password_missing', []);
    throw reauthenticationFailed('your password is required to sign: send it as `password`');
  }
  const user = await repos.users.findById(actor.orgId, actor.userId);
  if (!user) throw reauthenticationFailed('the password is not correct');
  const { loginLimiter } = deps;
  const ip = ctx.request?.ip ?? 'unknown';
  await loginLimiter.check(ip, user.email);
  const [credentials] = (await repos.users.findCredentials(user.email, actor.orgId)).filter(
    (candidate) => candidate.id === actor.userId,
  );
  if (!credentials || !(await verifyPassword(password, credentials.passwordHash))) {
    const lockouts = await loginLimiter.recordFailure(ip, user.email);
    await auditFailedSignature(deps, ctx, actor, attempt, 'password_wrong', lockouts);
    throw reauthenticationFailed('the password is not correct');
  }
  await loginLimiter.recordSuccess(ip, user.email);
}

/**
 * Records a refused signature the way a failed login is recorded: a `state_change` of the signer's
 * user with `details.event = signature_failed` (and `sign_in_locked` when the failure filled a
 * failed-login limit of their email), in a transaction of its own so the row survives the refused
 * request; audit rows only, no outbox event, like every sign-in record. The actor is the signed-in
 * user whose token made the attempt.
 */
async function auditFailedSignature(
  deps: SignatureDeps,
  ctx: MutationContext,
  actor: UserActor,
  attempt: SignatureAttempt,
  cause: 'password_missing' | 'password_wrong',
  lockouts: LoginLockout[],
): Promise<void> {
  const entry = (extra: Record<string, unknown>): AuditEntry => ({
    orgId: actor.orgId,
    entityType: 'user',
    entityId: actor.userId,
    action: 'state_change',
    extra,
  });
  const entries = [
    entry({
      event: 'signature_failed',
      ...attempt.subject,
      signature_meaning: attempt.meaning,
      cause,
    }),
    ...lockouts
      .filter((lockout) => lockout.scope !== 'address')
      .map((lockout) =>
        entry({
          event: 'sign_in_locked',
          scope: lockout.scope,
          retry_after_seconds: lockout.retryAfterSeconds,
        }),
      ),
  ];
  const records = entries.map((e) => auditRecord(e, ctx.actor, ctx.request));
  await deps.uow.transaction((repos) => repos.changeLog.record(records, []));
}
