import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type DatabaseHandle } from '../../src/infra/postgres/database.js';
import { StatementNames } from '../../src/infra/postgres/pg-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** The statements prepared on the one connection `work` runs on, and what `work` returned. */
async function onOneConnection<T>(handle: DatabaseHandle, work: (conn: DatabaseHandle['db']) => Promise<T>) {
  return handle.db.connection().execute(async (conn) => {
    const result = await work(conn);
    const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(
      conn,
    );
    return { result, prepared: rows.map((row) => row.statement) };
  });
}

describe('prepared statements', () => {
  it('names each distinct statement text once, the same on every use, and none past the bound', () => {
    const names = new StatementNames(2);
    const first = names.nameFor('SELECT $1');
    expect(first).toBeDefined();
    expect(names.nameFor('SELECT $1')).toBe(first);
    const second = names.nameFor('SELECT $1, $2');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(names.nameFor('SELECT $1, $2, $3')).toBeUndefined();
    expect(names.nameFor('SELECT $1')).toBe(first);
  });

  it('runs a parameterized statement as a prepared one, with the same answers each time', async () => {
    const { result, prepared } = await onOneConnection(db, async (conn) => [
      (await sql<{ n: number }>`SELECT ${41}::int + 1 AS n`.execute(conn)).rows[0]!.n,
      (await sql<{ n: number }>`SELECT ${1}::int + 1 AS n`.execute(conn)).rows[0]!.n,
    ]);
    expect(result).toEqual([42, 2]);
    expect(prepared.filter((text) => text.includes('::int + 1'))).toHaveLength(1);
  });

  it('keeps statements without parameters (several in one text, like a migration) working', async () => {
    const { result } = await onOneConnection(db, async (conn) => {
      await sql`CREATE TEMP TABLE scratch (n int); INSERT INTO scratch VALUES (1), (2)`.execute(conn);
      return (await sql<{ total: number }>`SELECT sum(n)::int AS total FROM scratch`.execute(conn)).rows[0]!
        .total;
    });
    expect(result).toBe(3);
  });

  it('prepares a statement again after a migration changed the columns it returns', async () => {
    await onOneConnection(db, async (conn) => {
      await sql`CREATE TEMP TABLE evolving (n int); INSERT INTO evolving VALUES (1)`.execute(conn);
      const read = async () =>
        (await sql<Record<string, unknown>>`SELECT * FROM evolving WHERE n = ${1}`.execute(conn)).rows;
      expect(await read()).toEqual([{ n: 1 }]);
      await sql`ALTER TABLE evolving ADD COLUMN note text`.execute(conn);
      // The request that meets the stale statement fails; the next ones are prepared afresh.
      await expect(read()).rejects.toThrow(/cached plan must not change result type/);
      expect(await read()).toEqual([{ n: 1, note: null }]);
    });
  });

  it('prepares nothing when switched off', async () => {
    const plain = connectPostgres(db.url, { max: 1, preparedStatements: false });
    try {
      const { result, prepared } = await onOneConnection(
        plain,
        async (conn) => (await sql<{ n: number }>`SELECT ${41}::int + 1 AS n`.execute(conn)).rows[0]!.n,
      );
      expect(result).toBe(42);
      expect(prepared).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
