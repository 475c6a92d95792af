import pg from 'pg';
import { inject } from 'vitest';
import { connectPostgres, type DatabaseHandle } from '../../src/infra/postgres/database.js';
import { TEST_DB_URL, databaseUrl, testDatabaseName } from './env.js';

export interface TestDatabase extends DatabaseHandle {
  name: string;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, cloned from the run's template in milliseconds. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = testDatabaseName('db');
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDb')}"`);
  const url = databaseUrl(name);
  const handle = connectPostgres(url, { max: 10, applicationName: 'amss-test' });
  return {
    ...handle,
    name,
    url,
    async drop() {
      await handle.close();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Runs one statement as the server's admin user (creating and dropping databases). */
export async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DB_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}
