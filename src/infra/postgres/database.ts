import { Kysely, PostgresDialect, type DialectAdapter } from 'kysely';
import pg from 'pg';
import { TransactionLockPostgresAdapter } from './migrator.js';
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

/** How many distinct statement texts get a prepared-statement name; later ones run unnamed. */
export const MAX_PREPARED_STATEMENTS = 1_000;

/**
 * Names for statement texts, the same name for the same text on every connection. Bounded, so
 * statements whose text varies (bulk inserts of n rows, `IN` lists) cannot grow the set of
 * prepared statements each connection keeps without end: past the bound they run unnamed.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private issued = 0;

  constructor(private readonly max: number = MAX_PREPARED_STATEMENTS) {}

  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= this.max) return known;
    this.issued += 1;
    const name = `amss_${this.issued}`;
    this.names.set(text, name);
    return name;
  }

  /** Gives the text a new name the next time, so every connection prepares it afresh. */
  retire(text: string): void {
    this.names.delete(text);
  }
}

/**
 * What PostgreSQL answers when a prepared statement no longer fits: a migration changed the
 * columns a `SELECT *` returns (0A000), or the statement was dropped from the session (26000).
 */
const isStalePreparedStatement = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '26000' ||
    (code === '0A000' && String((error as Error).message).includes('cached plan must not change result type'))
  );
};

/**
 * A node-postgres client that sends parameterized statements as named prepared statements.
 * Statements without parameters (BEGIN, COMMIT, migrations' multi-statement scripts) keep the
 * simple protocol, as before. A statement a schema change made stale fails once and is then
 * prepared again under a new name (the request that hit it gets the error, like any failed query).
 */
function preparingClient(names: StatementNames): typeof pg.Client {
  return class PreparingClient extends pg.Client {
    // node-postgres overloads query() many ways; only (text, values) is rewritten, the rest passes through.
    override query(...args: unknown[]): never {
      const [text, values, callback] = args;
      if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
        const name = names.nameFor(text);
        if (name !== undefined) {
          return (super.query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
            if (isStalePreparedStatement(error)) names.retire(text);
            throw error;
          }) as never;
        }
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  };
}

/** Connects to a PostgreSQL server through a node-postgres pool. */
export function connectPostgres(url: string, options: PoolOptions = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
    application_name: options.applicationName ?? 'amss',
    ...(options.preparedStatements === false ? {} : { Client: preparingClient(new StatementNames()) }),
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
