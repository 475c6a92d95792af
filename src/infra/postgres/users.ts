import { orderBySortKeys } from './listing.js';
import { sql, type Selectable } from 'kysely';
import type { Page } from '../../app/pagination.js';
import type { UserFilter, UserRepository } from '../../app/ports.js';
import type { UserPrincipal } from '../../app/principals.js';
import type { Role } from '../../domain/roles.js';
import type { User, UserCredentials } from '../../domain/user.js';
import { registerConstraints } from './errors.js';
import type { Executor } from './executor.js';
import type { UsersTable } from './schema.js';

registerConstraints({
  users_org_id_email_live_key: {
    kind: 'conflict',
    reason: 'EMAIL_TAKEN',
    message: 'a user with this email already exists in the organization',
    field: 'email',
  },
});

const toUser = (row: Omit<Selectable<UsersTable>, 'password_hash' | 'sessions_revoked_at'>): User => ({
  id: row.id,
  orgId: row.org_id,
  email: row.email,
  role: row.role,
  lastLogin: row.last_login,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Every column but the password hash, which only the login flow reads. */
const PUBLIC_COLUMNS = [
  'id',
  'org_id',
  'email',
  'role',
  'last_login',
  'created_at',
  'updated_at',
  'deleted_at',
] as const;

export class PgUserRepository implements UserRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: { orgId: string; email: string; role: Role; passwordHash: string }): Promise<User> {
    const row = await this.db
      .insertInto('users')
      .values({
        org_id: input.orgId,
        email: input.email,
        role: input.role,
        password_hash: input.passwordHash,
      })
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirstOrThrow();
    return toUser(row);
  }

  async findById(orgId: string, id: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .select(PUBLIC_COLUMNS)
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async list(orgId: string, filter: UserFilter, page: Page): Promise<User[]> {
    let query = this.db
      .selectFrom('users')
      .select(PUBLIC_COLUMNS)
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null);
    if (filter.role) query = query.where('role', '=', filter.role);
    if (filter.email) query = query.where('email', 'ilike', `%${escapeLike(filter.email)}%`);
    const rows = await orderBySortKeys(
      query,
      [{ field: 'email', direction: 'asc' }],
      { email: 'email' },
      'id',
      {
        table: 'users',
        after: page.after,
        orgId,
      },
    )
      .limit(page.limit + 1)
      .offset(page.offset)
      .execute();
    return rows.map(toUser);
  }

  async update(
    orgId: string,
    id: string,
    patch: { email?: string; role?: Role; passwordHash?: string },
  ): Promise<User | undefined> {
    const row = await this.db
      .updateTable('users')
      .set({
        email: patch.email,
        role: patch.role,
        password_hash: patch.passwordHash,
        // A new password signs the user out everywhere: tokens issued before it stop working.
        ...(patch.passwordHash === undefined ? {} : { sessions_revoked_at: sql<Date>`now()` }),
        updated_at: new Date(),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async softDelete(orgId: string, id: string): Promise<User | undefined> {
    const now = new Date();
    const row = await this.db
      .updateTable('users')
      .set({ deleted_at: now, updated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async findPrincipal(orgId: string, id: string): Promise<UserPrincipal | undefined> {
    const row = await this.db
      .selectFrom('users as u')
      .innerJoin('organizations as o', 'o.id', 'u.org_id')
      .select(['u.role', 'u.sessions_revoked_at'])
      .where('u.org_id', '=', orgId)
      .where('u.id', '=', id)
      .where('u.deleted_at', 'is', null)
      .where('o.deleted_at', 'is', null)
      .executeTakeFirst();
    return row && { orgId, userId: id, role: row.role, sessionsRevokedAt: row.sessions_revoked_at };
  }

  async findCredentials(email: string, orgId?: string): Promise<UserCredentials[]> {
    let query = this.db
      .selectFrom('users')
      .select([...PUBLIC_COLUMNS, 'password_hash'])
      .where('email', '=', email)
      .where('deleted_at', 'is', null)
      .where('org_id', 'in', (live) =>
        live.selectFrom('organizations').select('id').where('deleted_at', 'is', null),
      );
    if (orgId !== undefined) query = query.where('org_id', '=', orgId);
    const rows = await query.limit(20).execute();
    return rows.map((row) => ({ ...toUser(row), passwordHash: row.password_hash }));
  }

  async recordLogin(orgId: string, id: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ last_login: new Date() })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }
}

/** Escapes LIKE wildcards so a search for `a_b` finds `a_b`, not `axb`. */
export const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (char) => `\\${char}`);
