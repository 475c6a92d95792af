import pg from 'pg';
import { connectPostgres } from '../../src/infra/postgres/database.js';
import { migrateToLatest } from '../../src/infra/postgres/migrator.js';
import { TEMPLATE_DB, TEST_DB_PREFIX, TEST_DB_URL, databaseUrl } from './env.js';

/** Builds the migrated template database once per test run and drops leftovers of earlier runs. */
export default async function setup(): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: TEST_DB_URL });
  await admin.connect();
  try {
    const leftovers = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2`,
      [`${TEST_DB_PREFIX}%`, TEMPLATE_DB],
    );
    for (const { datname } of leftovers.rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }

  const template = connectPostgres(databaseUrl(TEMPLATE_DB), { max: 1 });
  try {
    await migrateToLatest(template.db);
  } finally {
    await template.close();
  }
  return () => Promise.resolve();
}
