import { NO_MIGRATIONS } from 'kysely';
import type { DatabaseHandle } from '../infra/postgres/database.js';
import { assertMigrationsSucceeded, createMigrator } from '../infra/postgres/migrator.js';

export type MigrateDirection = 'up' | 'down' | 'down-all' | 'status';

/** What `runMigrate` answers when no migration was pending. */
export const NOTHING_TO_MIGRATE = 'nothing to do';

/** `amss migrate up|down|status`: applies, reverts one (or all) or lists the migrations. */
export async function runMigrate(database: DatabaseHandle, direction: MigrateDirection): Promise<string> {
  const migrator = createMigrator(database.db);
  if (direction === 'status') {
    const migrations = await migrator.getMigrations();
    return migrations
      .map(
        (m) =>
          `${m.executedAt ? `applied ${m.executedAt.toISOString()}` : 'pending                         '}  ${m.name}`,
      )
      .join('\n');
  }
  const resultSet =
    direction === 'up'
      ? await migrator.migrateToLatest()
      : direction === 'down'
        ? await migrator.migrateDown()
        : await migrator.migrateTo(NO_MIGRATIONS);
  assertMigrationsSucceeded(resultSet);
  const results = resultSet.results ?? [];
  if (results.length === 0) return NOTHING_TO_MIGRATE;
  return results
    .map((r) => `${r.direction === 'Up' ? 'applied ' : 'reverted'}  ${r.migrationName}`)
    .join('\n');
}
