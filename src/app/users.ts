import { randomUUID } from 'node:crypto';
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.js';
import type { EventType } from '../domain/events.js';
import type { Role } from '../domain/roles.js';
import { normalizeEmail, userManagementRefusal, type User } from '../domain/user.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { AuditAction } from './audit.js';
import { AppError } from './errors.js';
import { entityEffects, mutate, type Change, type MutationContext } from './mutation.js';
import { pageOf, type Page, type PageOf } from './pagination.js';
import type { Repositories, UnitOfWork, UserFilter } from './ports.js';
import type { Revocations } from './principals.js';

/** A user as the API, audit rows and events show it: never the password hash. */
export type UserView = {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  last_login: string | null;
  created_at: string;
  updated_at: string;
};

/** The view of a user. */
export const userView = (user: User): UserView => ({
  id: user.id,
  org_id: user.orgId,
  email: user.email,
  role: user.role,
  last_login: user.lastLogin?.toISOString() ?? null,
  created_at: user.createdAt.toISOString(),
  updated_at: user.updatedAt.toISOString(),
});

/** A new user; `orgId` is an admin's explicit target organization. */
export interface CreateUserInput extends OrgScope {
  email: string;
  role: Role;
  password: string;
}

/** The fields of a user to change; unset ones stay as they are. */
export interface UpdateUserInput {
  email?: string | undefined;
  role?: Role | undefined;
  password?: string | undefined;
}

/** What the user service needs; `bcryptCost` is the configured hashing cost. */
export interface UserServiceDeps {
  uow: UnitOfWork;
  bcryptCost: number;
  /** Where a committed role change, password change or deletion is announced, so tokens stop working at once. */
  revocations: Pick<Revocations, 'announce'>;
}

/**
 * User management inside one organization: the actor's own, or for an admin the one named by
 * `org_id`. A tenant_admin never creates, changes or deletes an admin nor grants the admin role;
 * another organization's user id answers 404 exactly like a missing one.
 */
export class UserService {
  constructor(private readonly deps: UserServiceDeps) {}

  /** Creates a user after checking the password policy; a live email taken in the org is 409 EMAIL_TAKEN. */
  async create(ctx: MutationContext, input: CreateUserInput): Promise<User> {
    authorize(ctx.actor, 'users', 'create');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, input);
    refuseUnmanageable(ctx.actor, { orgId, role: input.role }, input.role);
    const email = normalizeEmail(input.email);
    const passwordHash = await this.hashNewPassword(input.password, email);
    return mutate(this.deps.uow, ctx, async (repos) => {
      const user = await repos.users.insert({ orgId, email, role: input.role, passwordHash });
      const effects = userEffects({
        action: 'create',
        type: 'user_created',
        after: user,
        occurredAt: user.createdAt,
      });
      return { result: user, ...effects };
    });
  }

  /** One live user of the organization in scope (404 otherwise). */
  async get(actor: Actor, id: string, scope: OrgScope = {}): Promise<User> {
    authorize(actor, 'users', 'read');
    const repos = this.deps.uow.repos;
    return findUser(repos, await resolveOrgScope(repos.organizations, actor, scope), id);
  }

  /** Live users of the organization by email, optionally filtered by role and email substring. */
  async list(actor: Actor, filter: UserFilter & OrgScope, page: Page): Promise<PageOf<User>> {
    authorize(actor, 'users', 'list');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, filter);
    const rows = await repos.users.list(orgId, { role: filter.role, email: filter.email }, page);
    return pageOf(rows, page);
  }

  /**
   * Changes email, role or password. A new role applies to the user's next request (tokens carry
   * none the server trusts); a new password signs the user out everywhere, access tokens included.
   */
  async update(
    ctx: MutationContext,
    id: string,
    patch: UpdateUserInput,
    scope: OrgScope = {},
  ): Promise<User> {
    authorize(ctx.actor, 'users', 'update');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, ctx.actor, scope);
    const current = await findUser(repos, orgId, id);
    refuseUnmanageable(ctx.actor, current, patch.role);
    if (isSelf(ctx.actor, current) && patch.role !== undefined && patch.role !== current.role) {
      throw AppError.conflict('CANNOT_CHANGE_OWN_ROLE', 'you cannot change your own role');
    }
    const email = patch.email === undefined ? undefined : normalizeEmail(patch.email);
    // Hashed before the transaction: bcrypt is slow and must not hold a connection.
    const passwordHash =
      patch.password === undefined
        ? undefined
        : await this.hashNewPassword(patch.password, email ?? current.email);
    const changeId = randomUUID();
    const updated = await mutate(this.deps.uow, ctx, async (tx) => {
      // Read again inside the transaction: the audit row must show the state this change replaced.
      const before = await findUser(tx, orgId, id);
      refuseUnmanageable(ctx.actor, before, patch.role);
      const user =
        (await tx.users.update(orgId, id, { email, role: patch.role, passwordHash })) ?? notFound();
      if (passwordHash !== undefined || user.role !== before.role) {
        await tx.refreshTokens.revokeForUser(orgId, id);
      }
      const effects = userEffects({
        action: 'update',
        type: 'user_updated',
        before,
        after: user,
        changeId,
        occurredAt: user.updatedAt,
        extra: { password_changed: passwordHash !== undefined },
      });
      return { result: user, ...effects };
    });
    await this.deps.revocations.announce({ orgId, userId: id });
    return updated;
  }

  /** Soft-deletes the user and revokes their tokens, refresh and access; nobody deletes themselves. */
  async delete(ctx: MutationContext, id: string, scope: OrgScope = {}): Promise<void> {
    authorize(ctx.actor, 'users', 'delete');
    const orgId = await resolveOrgScope(this.deps.uow.repos.organizations, ctx.actor, scope);
    if (isSelf(ctx.actor, { id, orgId })) {
      throw AppError.conflict('CANNOT_DELETE_SELF', 'you cannot delete your own user');
    }
    const changeId = randomUUID();
    await mutate(this.deps.uow, ctx, async (tx) => {
      const before = await findUser(tx, orgId, id);
      refuseUnmanageable(ctx.actor, before);
      const user = (await tx.users.softDelete(orgId, id)) ?? notFound();
      await tx.refreshTokens.revokeForUser(orgId, id);
      const effects = userEffects({
        action: 'delete',
        type: 'user_deleted',
        before,
        changeId,
        occurredAt: user.updatedAt,
      });
      return { result: undefined, ...effects };
    });
    await this.deps.revocations.announce({ orgId, userId: id });
  }

  private async hashNewPassword(password: string, email: string): Promise<string> {
    const problems = checkPasswordPolicy(password, { email });
    if (problems.length > 0) {
      throw AppError.validation(
        `the password is too weak: ${problems.join('; ')}`,
        problems.map((message) => ({ field: 'password', message })),
        'WEAK_PASSWORD',
      );
    }
    return hashPassword(password, this.deps.bcryptCost);
  }
}

const notFound = (): never => {
  throw AppError.notFound('user');
};

async function findUser(repos: Pick<Repositories, 'users'>, orgId: string, id: string): Promise<User> {
  return (await repos.users.findById(orgId, id)) ?? notFound();
}

const isSelf = (actor: Actor, user: { id: string; orgId: string }): boolean =>
  actor.kind === 'user' && actor.userId === user.id && actor.orgId === user.orgId;

/** Refuses (403 ADMIN_PROTECTED) what `userManagementRefusal` forbids, e.g. a tenant_admin touching an admin. */
function refuseUnmanageable(actor: Actor, target: { orgId: string; role: Role }, newRole?: Role): void {
  if (actor.kind === 'system') return;
  const refusal = userManagementRefusal(actor, target, newRole);
  if (refusal === undefined) return;
  const adminInvolved = target.role === 'admin' || newRole === 'admin';
  throw AppError.forbidden(refusal, adminInvolved ? 'ADMIN_PROTECTED' : 'FORBIDDEN');
}

/** What one change to a user records: the change it is, the user before and after, and anything else. */
interface UserChange {
  action: AuditAction;
  type: EventType;
  before?: User;
  after?: User;
  /** Distinguishes this change's event from every other change to the same user (unset for creation). */
  changeId?: string;
  occurredAt: Date;
  extra?: Record<string, unknown>;
}

/** The audit row and the event of one change to a user. */
function userEffects(change: UserChange): Omit<Change<unknown>, 'result'> {
  const subject = (change.after ?? change.before)!;
  const data = userView(subject);
  return entityEffects({
    orgId: subject.orgId,
    entityType: 'user',
    entityId: subject.id,
    action: change.action,
    before: change.before && userView(change.before),
    after: change.after && data,
    extra: change.extra,
    event: { type: change.type, discriminator: change.changeId, data, occurredAt: change.occurredAt },
  });
}
