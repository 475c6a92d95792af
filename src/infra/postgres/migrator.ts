import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, sql } from 'kysely';
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

/** Feeds the goose SQL files to Kysely's Migrator, which applies them under an advisory lock. */
export class GooseFileProvider implements MigrationProvider {
  constructor(private readonly dir: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((name) => name.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const sections = parseGooseFile(await readFile(path.join(this.dir, file), 'utf8'), file);
      migrations[file.replace(/\.sql$/, '')] = {
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

export function createMigrator(db: Kysely<DB>, dir?: string): Migrator {
  return new Migrator({
    db,
    provider: new GooseFileProvider(dir),
    migrationTableName: MIGRATION_TABLES.migrations,
    migrationLockTableName: MIGRATION_TABLES.lock,
  });
}

/** Throws the underlying error of a failed migration run, naming the migration that failed. */
export function assertMigrationsSucceeded({ error, results }: MigrationResultSet): void {
  if (!error) return;
  const failed = results?.find((result) => result.status === 'Error');
  const cause = error instanceof Error ? error.message : JSON.stringify(error);
  throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, { cause: error });
}

/** The migrations of this build the database has not applied, oldest first (none: it is current). */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  const migrations = await createMigrator(db).getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map(({ name }) => name);
}

/** Applies every pending migration. */
export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  const resultSet = await createMigrator(db).migrateToLatest();
  assertMigrationsSucceeded(resultSet);
  return (resultSet.results ?? []).map((result) => result.migrationName);
}
