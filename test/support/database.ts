import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectPostgres, type DatabaseHandle } from '../../src/infra/postgres/database.js';
import { TEMPLATE_DB, TEST_DB_PREFIX, TEST_DB_URL, databaseUrl } from './env.js';

export interface TestDatabase extends DatabaseHandle {
  name: string;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, cloned from the template in milliseconds. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_DB_PREFIX}${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
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

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DB_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}
