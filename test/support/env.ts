/** The PostgreSQL server the integration tests use (trust auth; the user may create databases). */
export const TEST_DB_URL = process.env.AMSS_TEST_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis server the integration tests use. */
export const TEST_REDIS_ADDR = process.env.AMSS_TEST_REDIS_ADDR ?? '127.0.0.1:6379';

/** The migrated database every test file's database is cloned from. */
export const TEMPLATE_DB = 'amss_test_template';

/** Prefix of the per-file databases, so leftovers of an interrupted run can be found and dropped. */
export const TEST_DB_PREFIX = 'amss_test_';

/** The connection string of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(TEST_DB_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
