import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NO_MIGRATIONS, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type Database, type DatabaseHandle } from '../../src/infra/postgres/database.js';
import {
  MIGRATIONS_DIR,
  assertMigrationsSucceeded,
  createMigrator,
  migrateToLatest,
  parseGooseFile,
  pendingMigrations,
} from '../../src/infra/postgres/migrator.js';
import { TEST_DB_URL, databaseUrl, testDatabaseName } from '../support/env.js';
import { insertUser } from '../support/factories.js';
import { insertEmployeeCertification, insertRecencyEntry } from '../support/qualification-factories.js';

interface MigrationFile {
  name: string;
  text: string;
}

let files: MigrationFile[];
beforeAll(async () => {
  const names = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
  files = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(path.join(MIGRATIONS_DIR, name), 'utf8') })),
  );
});

// Scratch databases of this file; the prefix lets global setup drop them if a run is interrupted.
const scratch: { name: string; handle: DatabaseHandle }[] = [];

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DB_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** An empty database of its own (not cloned from the migrated template). */
async function emptyDatabase(): Promise<Database> {
  const name = testDatabaseName('db');
  await admin(`CREATE DATABASE "${name}"`);
  const handle = connectPostgres(databaseUrl(name), { max: 2, applicationName: 'amss-test' });
  scratch.push({ name, handle });
  return handle.db;
}

afterAll(async () => {
  for (const { name, handle } of scratch) {
    await handle.close();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
});

/** What the migrations can leave in a database: public tables, types, functions, and the extensions. */
async function schemaObjects(db: Database): Promise<string[]> {
  const { rows } = await sql<{ what: string }>`
    SELECT 'relation ' || c.relname AS what FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'type ' || t.typname FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'function ' || p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension WHERE extname IN ('pgcrypto', 'btree_gist', 'citext')
    ORDER BY 1`.execute(db);
  // The migrator's own bookkeeping tables stay after a full rollback, by design.
  return rows.map((r) => r.what).filter((what) => !what.includes('amss_migrations'));
}

describe('migration files', () => {
  it('every migration file is named NNNNN_name.sql and has both an Up and a Down section', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const { name, text } of files) {
      expect(name).toMatch(/^\d{5}_[a-z0-9_]+\.sql$/);
      const { up, down } = parseGooseFile(text, name);
      expect(up, `${name} Up`).not.toBe('');
      expect(down, `${name} Down`).not.toBe('');
    }
  });

  it('the goose parser rejects a file without an Up marker', () => {
    const text = 'CREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n';
    expect(() => parseGooseFile(text, '00099_broken.sql')).toThrow(
      /00099_broken\.sql: missing "-- \+goose Up"/,
    );
  });

  it('the goose parser rejects an irreversible file, a Down before Up and SQL that would never run', () => {
    expect(() => parseGooseFile('-- +goose Up\nSELECT 1;\n', '00099_a.sql')).toThrow(
      /missing "-- \+goose Down"/,
    );
    expect(() =>
      parseGooseFile('-- +goose Down\nSELECT 1;\n-- +goose Up\nSELECT 2;\n', '00099_b.sql'),
    ).toThrow(/Down" comes before/);
    expect(() =>
      parseGooseFile('SELECT 0;\n-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n', '00099_c.sql'),
    ).toThrow(/SQL before/);
  });

  it('the goose parser splits a file at its markers and keeps StatementBegin blocks whole', () => {
    const text = [
      '-- comment before Up',
      '-- +goose Up',
      '-- +goose StatementBegin',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;',
      '-- +goose StatementEnd',
      '-- +goose Down',
      'DROP FUNCTION f();',
    ].join('\n');
    const { up, down } = parseGooseFile(text, '00099_f.sql');
    expect(up).toContain('CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;');
    expect(up).not.toContain('DROP');
    expect(down).toBe('DROP FUNCTION f();');
  });

  it('goose itself can split every file into statements in both directions', () => {
    for (const { name, text } of files) {
      expect(gooseStatements(name, text, 'up').length, name).toBeGreaterThan(0);
      expect(gooseStatements(name, text, 'down').length, name).toBeGreaterThan(0);
    }
  });
});

describe('the migrator on PostgreSQL', () => {
  it('migrates up, all the way down leaving nothing behind, and up again', async () => {
    const db = await emptyDatabase();
    expect(await schemaObjects(db)).toEqual([]);
    expect(await migrateToLatest(db)).toEqual(files.map((f) => f.name.replace(/\.sql$/, '')));
    expect(await schemaObjects(db)).toContain('relation maintenance_tasks');

    assertMigrationsSucceeded(await createMigrator(db).migrateTo(NO_MIGRATIONS));
    expect(await schemaObjects(db)).toEqual([]);

    expect(await migrateToLatest(db)).toHaveLength(files.length);
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('names the migrations a database lacks, all of them on an empty one and none once it is current', async () => {
    const db = await emptyDatabase();
    const names = files.map((f) => f.name.replace(/\.sql$/, ''));
    expect(await pendingMigrations(db)).toEqual(names);

    assertMigrationsSucceeded(await createMigrator(db).migrateTo(names[2]!));
    expect(await pendingMigrations(db)).toEqual(names.slice(3));

    await migrateToLatest(db);
    expect(await pendingMigrations(db)).toEqual([]);
  });

  it('finds a database migrated by a newer build current: nothing pending, migrate up applies nothing', async () => {
    const db = await emptyDatabase();
    const newer = await mkdtemp(path.join(tmpdir(), 'amss-migrations-'));
    const older = await mkdtemp(path.join(tmpdir(), 'amss-migrations-'));
    try {
      const first = '-- +goose Up\nCREATE TABLE first (id int);\n-- +goose Down\nDROP TABLE first;\n';
      await writeFile(path.join(newer, '00001_first.sql'), first);
      await writeFile(path.join(older, '00001_first.sql'), first);
      await writeFile(
        path.join(newer, '00002_second.sql'),
        '-- +goose Up\nCREATE TABLE second (id int);\n-- +goose Down\nDROP TABLE second;\n',
      );
      assertMigrationsSucceeded(await createMigrator(db, newer).migrateToLatest());

      expect(await pendingMigrations(db, older)).toEqual([]);
      const run = await createMigrator(db, older).migrateToLatest();
      expect(run).toEqual({ results: [] });
      expect(await schemaObjects(db)).toEqual(expect.arrayContaining(['relation first', 'relation second']));
    } finally {
      await rm(newer, { recursive: true, force: true });
      await rm(older, { recursive: true, force: true });
    }
  });

  it('a failing migration leaves the database untouched and names the file', async () => {
    const db = await emptyDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), 'amss-migrations-'));
    try {
      await writeFile(
        path.join(dir, '00001_ok.sql'),
        '-- +goose Up\nCREATE TABLE ok (id int);\n-- +goose Down\nDROP TABLE ok;\n',
      );
      await writeFile(
        path.join(dir, '00002_bad.sql'),
        '-- +goose Up\nCREATE TABLE bad (id int);\nSELECT 1 / 0;\n-- +goose Down\nDROP TABLE bad;\n',
      );
      const run = createMigrator(db, dir).migrateToLatest().then(assertMigrationsSucceeded);
      await expect(run).rejects.toThrow(/migration 00002_bad failed: division by zero/);
      // Kysely runs the whole batch in one transaction, so the good file before it is gone too.
      expect(await schemaObjects(db)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('00021 names existing verifiers and recency authors with the row’s organization, and its Down keeps them', async () => {
    const db = await emptyDatabase();
    assertMigrationsSucceeded(await createMigrator(db).migrateTo('00020_signatures_in_order'));
    const user = await insertUser(db);
    const verifiedAt = new Date('2026-01-02T03:04:05Z');
    const cert = await insertEmployeeCertification(db, {
      org_id: user.org_id,
      verified_by: user.id,
      verified_at: verifiedAt,
    });
    const entry = await insertRecencyEntry(db, { org_id: user.org_id, created_by: user.id });

    await migrateToLatest(db);
    const certAfter = await db
      .selectFrom('employee_certifications')
      .selectAll()
      .where('id', '=', cert.id)
      .executeTakeFirstOrThrow();
    expect(certAfter).toMatchObject({ verified_by_org_id: user.org_id, verified_by: user.id });
    expect(certAfter.updated_at).toEqual(cert.updated_at);
    const entryAfter = await db
      .selectFrom('recency_entries')
      .selectAll()
      .where('id', '=', entry.id)
      .executeTakeFirstOrThrow();
    expect(entryAfter).toMatchObject({ created_by_org_id: user.org_id, created_by: user.id });
    expect(entryAfter.updated_at).toEqual(entry.updated_at);

    // Down: an actor of the row's own organization stays; one of another organization cannot.
    const admin = await insertUser(db, { role: 'admin' });
    const foreign = await insertEmployeeCertification(db, {
      org_id: user.org_id,
      verified_by_org_id: admin.org_id,
      verified_by: admin.id,
      verified_at: verifiedAt,
    });
    assertMigrationsSucceeded(await createMigrator(db).migrateTo('00020_signatures_in_order'));
    const { rows } = await sql<{ id: string; verified_by: string | null }>`
      SELECT id, verified_by FROM employee_certifications ORDER BY id = ${cert.id} DESC`.execute(db);
    expect(rows).toEqual([
      { id: cert.id, verified_by: user.id },
      { id: foreign.id, verified_by: null },
    ]);
  });

  it('goose can apply every file statement by statement, up and down', async () => {
    const db = await emptyDatabase();
    const apply = async (direction: 'up' | 'down') => {
      const ordered = direction === 'up' ? files : [...files].reverse();
      for (const { name, text } of ordered) {
        await db.transaction().execute(async (tx) => {
          for (const statement of gooseStatements(name, text, direction))
            await sql.raw(statement).execute(tx);
        });
      }
    };
    await apply('up');
    expect(await schemaObjects(db)).toContain('function compliance_items_guard_immutable');
    await apply('down');
    expect(await schemaObjects(db)).toEqual([]);
  });
});

/**
 * Splits a file into statements the way goose does (a port of pressly/goose
 * internal/sqlparser.ParseSQLMigration): a statement ends at a line whose last word before any `--`
 * ends with `;`, unless it sits between StatementBegin and StatementEnd. The application runs each
 * section as one query, so this is what proves goose itself could apply the same files.
 */
function gooseStatements(name: string, text: string, direction: 'up' | 'down'): string[] {
  type State = 'start' | 'up' | 'beginUp' | 'endUp' | 'down' | 'beginDown' | 'endDown';
  let state: State = 'start';
  let buf = '';
  const statements: string[] = [];
  const bad = (why: string) => new Error(`${name}: goose would reject this file: ${why}`);
  const endsWithSemicolon = (line: string) => {
    let last = '';
    for (const word of line.split(/\s+/).filter(Boolean)) {
      if (word.startsWith('--')) break;
      last = word;
    }
    return last.endsWith(';');
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (state === 'start' && line.trim() === '') continue;
    if (line.startsWith('--')) {
      const command = line.slice(2).trim();
      if (command === '+goose Up') {
        if (state !== 'start') throw bad('duplicate Up');
        state = 'up';
        continue;
      }
      if (command === '+goose Down') {
        if (state !== 'up' && state !== 'endUp') throw bad('Down before Up');
        if (buf.trim()) throw bad(`unfinished statement before Down: ${buf.trim()}`);
        state = 'down';
        continue;
      }
      if (command === '+goose StatementBegin') {
        if (state === 'up' || state === 'endUp') state = 'beginUp';
        else if (state === 'down' || state === 'endDown') state = 'beginDown';
        else throw bad('StatementBegin outside Up/Down');
        continue;
      }
      if (command === '+goose StatementEnd') {
        if (state === 'beginUp') state = 'endUp';
        else if (state === 'beginDown') state = 'endDown';
        else throw bad('StatementEnd without StatementBegin');
      } else if (command === '+goose NO TRANSACTION' || command.startsWith('+goose ENVSUB')) {
        continue;
      }
    }
    if (buf.length === 0 && (line.trim().startsWith('--') || line === '')) continue;
    if (state !== 'endUp' && state !== 'endDown') buf += `${line}\n`;
    if (state === 'start') throw bad(`SQL before -- +goose Up: ${line}`);
    const inUp = state === 'up' || state === 'beginUp' || state === 'endUp';
    if (inUp !== (direction === 'up')) {
      buf = '';
      continue;
    }
    if ((state === 'up' || state === 'down') && endsWithSemicolon(line)) {
      statements.push(buf.trim());
      buf = '';
    } else if (state === 'endUp' || state === 'endDown') {
      statements.push(buf.trim());
      buf = '';
      state = state === 'endUp' ? 'up' : 'down';
    }
  }
  if (state === 'start') throw bad('no -- +goose Up');
  if (state === 'beginUp' || state === 'beginDown') throw bad('missing StatementEnd');
  if (buf.trim()) throw bad(`unfinished statement (missing semicolon?): ${buf.trim()}`);
  return statements;
}
