import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, PostgresAdapter, sql } from 'kysely';
import type { DB } from './schema.js';
import type { Kysely, Migration, MigrationProvider, MigrationResultSet } from 'kysely';

/** The repository's `migrations/` folder, found relative to this file in both `src/` and `dist/`. */
export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../migrations',
);

/** The Up and Down halves of one goose-format SQL file. */
export interface GooseSections {
  up: string;
  down: string;
}

/**
 * Splits a goose file at its `-- +goose Up` / `-- +goose Down` markers. The
 * `StatementBegin/End` markers are comments to PostgreSQL, so each half runs as one
 * multi-statement query and the same file stays valid for goose itself.
 */
export function parseGooseFile(text: string, fileName: string): GooseSections {
  const up = /^--\s*\+goose\s+Up\b.*$/im.exec(text);
  const down = /^--\s*\+goose\s+Down\b.*$/im.exec(text);
  if (!up) throw new Error(`${fileName}: missing "-- +goose Up" marker`);
  if (!down)
    throw new Error(`${fileName}: missing "-- +goose Down" marker (every migration must be reversible)`);
  if (down.index < up.index) throw new Error(`${fileName}: "-- +goose Down" comes before "-- +goose Up"`);
  const before = text
    .slice(0, up.index)
    .replace(/^\s*--.*$/gm, '')
    .trim();
  if (before !== '') throw new Error(`${fileName}: SQL before "-- +goose Up" would never run`);
  return {
    up: text.slice(up.index + up[0].length, down.index).trim(),
    down: text.slice(down.index + down[0].length).trim(),
  };
}

/** The migrator's own bookkeeping tables. */
export const MIGRATION_TABLES = { migrations: 'amss_migrations', lock: 'amss_migrations_lock' } as const;

/** The names of the migrations in `dir` (their files less `.sql`), oldest first. */
async function migrationNames(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => file.slice(0, -'.sql'.length));
}

/** Feeds the goose SQL files to Kysely's Migrator, which applies them under an advisory lock. */
export class GooseFileProvider implements MigrationProvider {
  constructor(private readonly dir: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const name of await migrationNames(this.dir)) {
      const file = `${name}.sql`;
      const sections = parseGooseFile(await readFile(path.join(this.dir, file), 'utf8'), file);
      migrations[name] = {
        up: async (db) => {
          await sql.raw(sections.up).execute(db);
        },
        down: async (db) => {
          await sql.raw(sections.down).execute(db);
        },
      };
    }
    return migrations;
  }
}

/** The migrator's operations, as `amss migrate` and the tests use them. */
export type MigrationRunner = Pick<
  Migrator,
  'migrateToLatest' | 'migrateTo' | 'migrateDown' | 'getMigrations'
>;

/** The key of the transaction-scoped advisory lock that serialises migration runs. */
const MIGRATION_LOCK_KEY = 7_165_304_215_330_771_812n;

/**
 * Kysely's PostgreSQL adapter with the migration lock held for a transaction instead of a session
 * (AMSS's databases are built with it, see database.ts). `createMigrator` runs each migration run in
 * one transaction that has already taken this lock; Kysely's own lock, a session lock released in a
 * `finally`, would fail there after a failed migration (the transaction is aborted) and hide its error.
 */
export class TransactionLockPostgresAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(db);
  }

  override async releaseMigrationLock(): Promise<void> {
    // Released by the transaction's commit or rollback.
  }
}

/**
 * The migrator, each run of which holds one connection in one transaction that first takes a
 * transaction-scoped advisory lock (two runs at once: the second waits, then finds nothing to do).
 * Kysely's own lock is session-level and taken and released outside its transaction: through
 * PgBouncer in transaction mode those statements may reach different server connections and leave
 * the lock held on one of them, so the next run would wait its hour-long timeout. Inside one
 * transaction every statement, Kysely's lock included, runs on one server connection. A run that
 * fails is rolled back whole, bookkeeping included.
 */
export function createMigrator(db: Kysely<DB>, dir?: string): MigrationRunner {
  const provider = new GooseFileProvider(dir);
  const inTransaction = <T>(run: (migrator: Migrator) => Promise<T>, failed: (result: T) => boolean) =>
    db.connection().execute(async (connection) => {
      await sql`BEGIN`.execute(connection);
      let result: T;
      try {
        await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(connection);
        const migrator = new Migrator({
          db: connection,
          provider,
          migrationTableName: MIGRATION_TABLES.migrations,
          migrationLockTableName: MIGRATION_TABLES.lock,
          disableTransactions: true,
        });
        result = await run(migrator);
      } catch (error) {
        await sql`ROLLBACK`.execute(connection);
        throw error;
      }
      await (failed(result) ? sql`ROLLBACK` : sql`COMMIT`).execute(connection);
      return result;
    });
  const failed = (resultSet: MigrationResultSet) => resultSet.error !== undefined;
  return {
    // Every start runs this: when nothing is pending, one read answers it (see pendingMigrations).
    migrateToLatest: async () =>
      (await pendingMigrations(db, dir)).length === 0
        ? { results: [] }
        : inTransaction((migrator) => migrator.migrateToLatest(), failed),
    migrateTo: (target) => inTransaction((migrator) => migrator.migrateTo(target), failed),
    migrateDown: () => inTransaction((migrator) => migrator.migrateDown(), failed),
    getMigrations: () =>
      inTransaction(
        (migrator) => migrator.getMigrations(),
        () => false,
      ),
  };
}

/** Throws the underlying error of a failed migration run, naming the migration that failed. */
export function assertMigrationsSucceeded({ error, results }: MigrationResultSet): void {
  if (!error) return;
  const failed = results?.find((result) => result.status === 'Error');
  const cause = error instanceof Error ? error.message : JSON.stringify(error);
  throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, { cause: error });
}

/**
 * The migrations of this build the database has not applied, oldest first (none: it is current). One read
 * of the bookkeeping table, without the lock: Kysely's migrator first introspects the whole catalogue for
 * its tables, 0.1–0.5 s on the embedded database at every start.
 */
export async function pendingMigrations(db: Kysely<DB>, dir = MIGRATIONS_DIR): Promise<string[]> {
  const { rows } = await sql<{ present: boolean }>`
    SELECT to_regclass(${MIGRATION_TABLES.migrations}) IS NOT NULL AS present`.execute(db);
  const applied = rows[0]?.present
    ? await sql<{ name: string }>`SELECT name FROM ${sql.table(MIGRATION_TABLES.migrations)}`.execute(db)
    : { rows: [] };
  const done = new Set(applied.rows.map(({ name }) => name));
  return (await migrationNames(dir)).filter((name) => !done.has(name));
}

/** Applies every pending migration. */
export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  const resultSet = await createMigrator(db).migrateToLatest();
  assertMigrationsSucceeded(resultSet);
  return (resultSet.results ?? []).map((result) => result.migrationName);
}
