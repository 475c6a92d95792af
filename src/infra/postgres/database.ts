import { Kysely, PostgresDialect, type DialectAdapter } from 'kysely';
import pg from 'pg';
import { TransactionLockPostgresAdapter } from './migrator.js';
import { amssClient, StatementNames } from './pg-client.js';
import type { DB } from './schema.js';

// node-postgres would turn intervals into objects and bigint counts into strings; AMSS wants the
// interval text PostgreSQL prints (with IntervalStyle iso_8601, e.g. "PT24H") and counts as numbers.
pg.types.setTypeParser(pg.types.builtins.INTERVAL, (value) => value);
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// A `date` is a calendar day, not an instant: keep PostgreSQL's 'YYYY-MM-DD' rather than a Date at
// the server's local midnight, which would shift the day in any time zone west of UTC.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  /** Runs `SELECT 1`; used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Options shared by the server pool and the embedded PGlite pool. */
export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /**
   * Run parameterized statements as named prepared statements (default true), so PostgreSQL
   * parses and plans each distinct statement once per connection instead of on every request.
   * Switch it off behind a connection pooler that cannot keep prepared statements.
   */
  preparedStatements?: boolean;
}

/** Connects to a PostgreSQL server through a node-postgres pool. */
export function connectPostgres(url: string, options: PoolOptions = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'amss',
    Client: amssClient(options.preparedStatements === false ? undefined : new StatementNames()),
    // Every session speaks UTC and ISO intervals, whatever the server's defaults are.
    options: '-c TimeZone=UTC -c IntervalStyle=iso_8601',
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return fromPool(pool);
}

/** Kysely's PostgreSQL dialect, with the migration lock of migrator.ts (transaction-scoped). */
class AmssPostgresDialect extends PostgresDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionLockPostgresAdapter();
  }
}

/** Wraps any node-postgres compatible pool (including PGlite's adapter) in a Kysely database. */
export function fromPool(pool: pg.Pool, onClose?: () => Promise<void>): DatabaseHandle {
  const db = new Kysely<DB>({ dialect: new AmssPostgresDialect({ pool }) });
  return {
    db,
    async ping() {
      const client = await pool.connect();
      try {
        await client.query('SELECT 1');
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
      await onClose?.();
    },
  };
}
