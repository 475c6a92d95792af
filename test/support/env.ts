/** The PostgreSQL server the integration tests use (trust auth; the user may create databases). */
export const TEST_DB_URL = process.env.AMSS_TEST_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis server the integration tests use (a cluster's seed nodes, comma-separated, with the next). */
export const TEST_REDIS_ADDR = process.env.AMSS_TEST_REDIS_ADDR ?? '127.0.0.1:6379';
/** AMSS_TEST_REDIS_CLUSTER=true: TEST_REDIS_ADDR names a Redis Cluster. */
export const TEST_REDIS_CLUSTER = process.env.AMSS_TEST_REDIS_CLUSTER === 'true';

/**
 * Test databases are named `amss_test_<created-at, base 36 seconds>_<random>`, so several runs can share a
 * server and an interrupted run's leftovers can be recognised by age and dropped.
 */
export const TEST_DB_PREFIX = 'amss_test_';

export function testDatabaseName(kind: 'tpl' | 'db'): string {
  const stamp = Math.floor(Date.now() / 1000).toString(36);
  return `${TEST_DB_PREFIX}${stamp}_${kind}_${Math.random().toString(36).slice(2, 10)}`;
}

/** When a test database was created, read back from its name. */
export function testDatabaseCreatedAt(name: string): Date | undefined {
  const stamp = name.slice(TEST_DB_PREFIX.length).split('_')[0];
  const seconds = stamp ? parseInt(stamp, 36) : NaN;
  return Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
}

/** The connection string of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(TEST_DB_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated database this run's test databases are cloned from. */
    templateDb: string;
  }
}
