import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromPool, type DatabaseHandle } from '../../src/infra/postgres/database.js';
import { amssClient, StatementNames } from '../../src/infra/postgres/pg-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await sql`CREATE TABLE scratch (n int PRIMARY KEY)`.execute(db.db);
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await sql`TRUNCATE scratch`.execute(db.db);
});

interface Counted {
  handle: DatabaseHandle;
  /** Round trips so far: every statement, or pipeline of statements, ends with one ReadyForQuery. */
  roundTrips(): number;
  /** The one connection's transaction status: I idle, T in a transaction, E in a failed one. */
  status(): string;
}

/** A one-connection pool of AMSS's client that counts its round trips. */
function countedPool(names: StatementNames | undefined): Counted {
  const pool = new pg.Pool({ connectionString: db.url, max: 1, Client: amssClient(names) });
  let count = 0;
  let client: pg.PoolClient | undefined;
  pool.on('connect', (connected) => {
    client = connected;
    (connected as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => {
      count += 1;
    });
  });
  return {
    handle: fromPool(pool),
    roundTrips: () => count,
    status: () => (client as unknown as { getTransactionStatus(): string }).getTransactionStatus(),
  };
}

let counted: Counted | undefined;
afterEach(async () => {
  await counted?.handle.close();
  counted = undefined;
});

const rows = async (): Promise<number[]> =>
  (await sql<{ n: number }>`SELECT n FROM scratch ORDER BY n`.execute(db.db)).rows.map((row) => row.n);

const insert = (n: number) => sql`INSERT INTO scratch VALUES (${n})`;

describe('a transaction’s BEGIN', () => {
  it('travels with the first statement: a transaction of one insert takes two round trips, not three', async () => {
    counted = countedPool(new StatementNames());
    await counted.handle.db.connection().execute(async (conn) => {
      await sql`SELECT ${1}::int`.execute(conn); // connected and warmed
      const before = counted!.roundTrips();
      await conn.transaction().execute(async (trx) => {
        await insert(1).execute(trx);
      });
      expect(counted!.roundTrips() - before).toBe(2);
    });
    expect(await rows()).toEqual([1]);
  });

  it('answers the first statement with its own result, not the BEGIN’s', async () => {
    counted = countedPool(new StatementNames());
    const result = await counted.handle.db
      .transaction()
      .execute((trx) =>
        sql`INSERT INTO scratch SELECT n FROM generate_series(${1}::int, ${3}::int) AS n`.execute(trx),
      );
    expect(result.numAffectedRows).toBe(3n);
    expect(await rows()).toEqual([1, 2, 3]);
  });

  it('prepares a first statement afresh after it failed to parse, once the schema lets it', async () => {
    counted = countedPool(new StatementNames());
    const read = () =>
      counted!.handle.db
        .transaction()
        .execute((trx) => sql`SELECT later FROM scratch WHERE n = ${1}`.execute(trx));
    await expect(read()).rejects.toThrow(/column "later" does not exist/);
    await sql`ALTER TABLE scratch ADD COLUMN later int`.execute(db.db);
    try {
      await expect(read()).resolves.toMatchObject({ rows: [] });
    } finally {
      await sql`ALTER TABLE scratch DROP COLUMN later`.execute(db.db);
    }
  });

  it('still opens a transaction others cannot see into until it commits', async () => {
    counted = countedPool(new StatementNames());
    await counted.handle.db.transaction().execute(async (trx) => {
      await insert(1).execute(trx);
      await insert(2).execute(trx);
      expect(counted!.status()).toBe('T');
      expect(await rows()).toEqual([]);
    });
    expect(await rows()).toEqual([1, 2]);
  });

  it('rolls back when the first statement fails, and leaves the connection idle and usable', async () => {
    counted = countedPool(new StatementNames());
    await insert(1).execute(db.db);
    await expect(
      counted.handle.db.transaction().execute(async (trx) => {
        await insert(1).execute(trx);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(counted.status()).toBe('I');
    await counted.handle.db.transaction().execute(async (trx) => {
      await insert(2).execute(trx);
    });
    expect(await rows()).toEqual([1, 2]);
  });

  it('rolls back a later failure with everything the transaction did', async () => {
    counted = countedPool(new StatementNames());
    await expect(
      counted.handle.db.transaction().execute(async (trx) => {
        await insert(1).execute(trx);
        await sql`INSERT INTO scratch VALUES (2)`.execute(trx); // no parameters: the simple protocol
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await rows()).toEqual([]);
    expect(counted.status()).toBe('I');
  });

  it('is never sent for a transaction that ends before its first statement', async () => {
    counted = countedPool(new StatementNames());
    await counted.handle.db.connection().execute(async (conn) => {
      await sql`SELECT ${1}::int`.execute(conn);
      const before = counted!.roundTrips();
      await conn.transaction().execute(async () => undefined);
      await expect(
        conn.transaction().execute(async () => {
          throw new Error('refused before any statement');
        }),
      ).rejects.toThrow('refused before any statement');
      expect(counted!.roundTrips() - before).toBe(0);
      expect(counted!.status()).toBe('I');
    });
  });

  it('goes first on its own before a statement without parameters, which still runs inside it', async () => {
    counted = countedPool(new StatementNames());
    await expect(
      counted.handle.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO scratch VALUES (7)`.execute(trx);
        expect(counted!.status()).toBe('T');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await rows()).toEqual([]);
  });

  it('keeps the isolation level a transaction asks for', async () => {
    counted = countedPool(new StatementNames());
    const level = await counted.handle.db
      .transaction()
      .setIsolationLevel('serializable')
      .execute(
        async (trx) =>
          (
            await sql<{ level: string }>`SELECT current_setting(${'transaction_isolation'}) AS level`.execute(
              trx,
            )
          ).rows[0]!.level,
      );
    expect(level).toBe('serializable');
  });

  it('travels with the first statement when prepared statements are off (behind PgBouncer)', async () => {
    counted = countedPool(undefined);
    await counted.handle.db.connection().execute(async (conn) => {
      await sql`SELECT ${1}::int`.execute(conn);
      const before = counted!.roundTrips();
      await conn.transaction().execute(async (trx) => {
        await insert(3).execute(trx);
      });
      expect(counted!.roundTrips() - before).toBe(2);
      const prepared = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(conn);
      expect(prepared.rows).toEqual([]);
    });
    expect(await rows()).toEqual([3]);
  });
});
