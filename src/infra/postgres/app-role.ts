import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from './database.js';
import { MIGRATION_TABLES } from './migrator.js';

/** What `amss migrate grant-app-role` sets up. */
export interface AppRoleOptions {
  /** The login role the server and worker connect as (a plain identifier: `amss_app`). */
  role: string;
  /**
   * Its password; when given it replaces the role's password, when absent an existing role keeps
   * its own and a new one has none (fine for trust, peer or certificate authentication only).
   */
  password?: string;
}

/**
 * Tables the application reads and appends to but never changes: UPDATE and DELETE are not
 * granted at all (the immutability triggers refuse them too; two locks, either one enough).
 */
const APPEND_ONLY_TABLES = ['audit_logs'];

/** The migrator's own bookkeeping, which the application never touches. */
const MIGRATOR_TABLES = Object.values(MIGRATION_TABLES);

/** A refusal that the command prints as it is: the role cannot be made safe as it stands. */
export class AppRoleError extends Error {}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates (or brings back in line) the database role the server and worker run as, so a stolen
 * application connection cannot undo what the database guards: the role owns nothing (so it can
 * neither ALTER, DROP nor DISABLE TRIGGER on any table, nor replace a trigger function), is no
 * superuser (so `SET session_replication_role = replica` is refused) and holds only row
 * privileges: SELECT, INSERT, UPDATE and DELETE on the tables, no TRUNCATE, no TRIGGER, no
 * REFERENCES; only SELECT and INSERT on the audit log. Run it as the owner of the schema (the role
 * that runs the migrations): its default privileges grant the same on tables later migrations add.
 * Idempotent; returns what it did, one line each.
 */
export async function grantAppRole(db: Database, options: AppRoleOptions): Promise<string[]> {
  const { role, password } = options;
  if (!ROLE_NAME.test(role)) {
    throw new AppRoleError(
      `"${role}" is not a plain role name (lower-case letters, digits and _, at most 63)`,
    );
  }
  return db.transaction().execute(async (tx) => {
    const run = (statement: ReturnType<typeof sql>) => statement.execute(tx);
    const owner = (await sql<{ user: string }>`SELECT current_user AS user`.execute(tx)).rows[0]!.user;
    if (owner === role) {
      throw new AppRoleError(`the application role must not be the owner that runs migrations ("${owner}")`);
    }
    const done: string[] = [];
    const existing = await sql<{
      rolsuper: boolean;
    }>`SELECT rolsuper FROM pg_roles WHERE rolname = ${role}`.execute(tx);
    const id = sql.id(role);
    if (existing.rows.length === 0) {
      await run(sql`CREATE ROLE ${id} LOGIN`);
      done.push(`created role ${role}`);
    } else {
      const ownsSomething = await sql`
        SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
        WHERE r.rolname = ${role} AND c.relnamespace = 'public'::regnamespace LIMIT 1`.execute(tx);
      if (ownsSomething.rows.length > 0) {
        throw new AppRoleError(
          `role ${role} owns tables in this database: it cannot be the application role`,
        );
      }
    }
    const member = await sql<{
      member: boolean;
    }>`SELECT pg_has_role(${role}, ${owner}, 'MEMBER') AS member`.execute(tx);
    if (member.rows[0]!.member) {
      throw new AppRoleError(
        `role ${role} is a member of ${owner} and so could act as the owner: revoke that first`,
      );
    }
    await run(
      sql`ALTER ROLE ${id} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT`,
    );
    if (password !== undefined) {
      // A SCRAM verifier, not the password itself, so the statement (and any server log of it) holds no secret.
      await run(sql`ALTER ROLE ${id} PASSWORD ${sql.lit(scramVerifier(password))}`);
      done.push(`set the password of ${role}`);
    }
    const database = sql.id(
      (await sql<{ db: string }>`SELECT current_database() AS db`.execute(tx)).rows[0]!.db,
    );
    await run(sql`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${id}`);
    await run(sql`GRANT USAGE ON SCHEMA public TO ${id}`);
    await run(sql`REVOKE CREATE ON SCHEMA public FROM ${id}`);
    await run(sql`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${id}`);
    await run(sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${id}`);
    await run(sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${id}`);
    for (const table of APPEND_ONLY_TABLES) {
      await run(sql`REVOKE UPDATE, DELETE ON ${sql.table(table)} FROM ${id}`);
    }
    for (const table of MIGRATOR_TABLES) {
      await run(sql`REVOKE ALL ON TABLE ${sql.table(table)} FROM ${id}`);
    }
    // Tables and sequences the owner creates later (the next migrations) get the same row privileges.
    await run(sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${sql.id(owner)} IN SCHEMA public
      GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${id}`);
    await run(sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${sql.id(owner)} IN SCHEMA public
      GRANT USAGE, SELECT ON SEQUENCES TO ${id}`);
    done.push(
      `granted ${role} row access to the tables of ${owner} (audit_logs: read and append only), now and in later migrations`,
    );
    return done;
  });
}

/**
 * PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as `CREATE ROLE … PASSWORD`
 * accepts it): the server never sees the password itself.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
