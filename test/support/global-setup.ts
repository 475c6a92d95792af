import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectPostgres } from '../../src/infra/postgres/database.js';
import { migrateToLatest } from '../../src/infra/postgres/migrator.js';
import { TEST_DB_PREFIX, TEST_DB_URL, databaseUrl, testDatabaseCreatedAt, testDatabaseName } from './env.js';

/** Leftovers of interrupted runs older than this are dropped; younger ones may belong to a run in progress. */
const LEFTOVER_AGE_MS = 2 * 3_600_000;

/**
 * Builds this run's migrated template database once, hands its name to the test files, and drops
 * it (and every database cloned from it) when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = testDatabaseName('tpl');
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${TEST_DB_PREFIX}%`],
    );
    for (const { datname } of rows) {
      const createdAt = testDatabaseCreatedAt(datname);
      if (!createdAt || Date.now() - createdAt.getTime() > LEFTOVER_AGE_MS) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await admin.query(`CREATE DATABASE "${template}"`);
  });

  const handle = connectPostgres(databaseUrl(template), { max: 1 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  project.provide('templateDb', template);

  return async () => {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  };
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = await connectCreatingDatabase(TEST_DB_URL);
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * A client on `url`'s database, created first (from the server's `postgres` database) when it does
 * not exist: on a fresh machine PostgreSQL has no `test` database, and `npm test` must need nothing
 * but the running server.
 */
export async function connectCreatingDatabase(url: string): Promise<pg.Client> {
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };
  try {
    return await connect();
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // invalid_catalog_name
  }
  const server = new URL(url);
  const name = decodeURIComponent(server.pathname.slice(1));
  server.pathname = '/postgres';
  const bootstrap = new pg.Client({ connectionString: server.toString() });
  await bootstrap.connect();
  try {
    await bootstrap.query(`CREATE DATABASE ${bootstrap.escapeIdentifier(name)}`);
  } catch (error) {
    // Another run created it in between.
    if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database
  } finally {
    await bootstrap.end();
  }
  return connect();
}
