/**
 * Checks the goose migrations in migrations/ on PGlite (default) or a real PostgreSQL server:
 * every Up in order, every Down in reverse (the schema must be empty again), every Up again, then
 * the constraints and triggers the application relies on, and that src/infra/postgres/schema.ts
 * names exactly the tables and columns of the migrated database.
 *
 *   npx tsx scripts/check-migrations.ts                  # PGlite in memory
 *   npx tsx scripts/check-migrations.ts --pg postgres://postgres@127.0.0.1:5432/postgres
 *
 * With --pg a scratch database is created on that server and dropped afterwards. Each section runs
 * as one multi-statement simple query inside a transaction, as the application's migrator does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const migrationsDir = join(root, 'migrations');

interface Migration {
  name: string;
  text: string;
  up: string;
  down: string;
}

/** Splits a goose file into its Up and Down sections (annotations are SQL comments and stay in). */
function parseGoose(name: string, text: string): Migration {
  const sections: Record<'up' | 'down', string[]> = { up: [], down: [] };
  let current: 'up' | 'down' | null = null;
  for (const line of text.split('\n')) {
    const m = /^--\s*\+goose\s+(Up|Down)\b/.exec(line);
    if (m) {
      current = m[1] === 'Up' ? 'up' : 'down';
      continue;
    }
    if (current) sections[current].push(line);
  }
  if (!sections.up.join('').trim() || !sections.down.join('').trim()) {
    throw new Error(`${name}: missing -- +goose Up or -- +goose Down section`);
  }
  return { name, text, up: sections.up.join('\n'), down: sections.down.join('\n') };
}

function loadMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((f) => /^\d{5}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => parseGoose(f, readFileSync(join(migrationsDir, f), 'utf8')));
}

interface Driver {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

interface DbError {
  code?: string;
  constraint?: string;
  message: string;
}

async function pgliteDriver(): Promise<Driver> {
  const db = await PGlite.create({ extensions: { btree_gist, citext, pgcrypto } });
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows,
    close: () => db.close(),
  };
}

async function pgDriver(adminUrl: string): Promise<Driver> {
  const scratch = `amss_migcheck_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${scratch}`);
  await admin.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    close: async () => {
      await client.end();
      await admin.query(`DROP DATABASE ${scratch}`);
      await admin.end();
    },
  };
}

async function inTransaction(db: Driver, sql: string, label: string): Promise<void> {
  await db.exec('BEGIN');
  try {
    await db.exec(sql);
    await db.exec('COMMIT');
  } catch (error) {
    await db.exec('ROLLBACK');
    throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Splits a file into statements the way goose does (a port of pressly/goose
 * internal/sqlparser.ParseSQLMigration): a statement ends at a line whose last word before any `--`
 * ends with `;`, unless it is inside StatementBegin/StatementEnd. Proves goose itself can apply the files.
 */
function gooseStatements(name: string, text: string, direction: 'up' | 'down'): string[] {
  type State = 'start' | 'up' | 'beginUp' | 'endUp' | 'down' | 'beginDown' | 'endDown';
  let state: State = 'start';
  let buf = '';
  const stmts: string[] = [];
  const bad = (why: string) => new Error(`${name}: goose would reject this file: ${why}`);
  const endsWithSemicolon = (line: string) => {
    let prev = '';
    for (const word of line.split(/\s+/).filter(Boolean)) {
      if (word.startsWith('--')) break;
      prev = word;
    }
    return prev.endsWith(';');
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (state === 'start' && line.trim() === '') continue;
    if (line.startsWith('--')) {
      const cmd = line.slice(2).trim();
      if (cmd === '+goose Up') {
        if (state !== 'start') throw bad('duplicate Up');
        state = 'up';
        continue;
      }
      if (cmd === '+goose Down') {
        if (state !== 'up' && state !== 'endUp') throw bad('Down before Up');
        if (buf.trim()) throw bad(`unfinished statement before Down: ${buf.trim()}`);
        state = 'down';
        continue;
      }
      if (cmd === '+goose StatementBegin') {
        if (state === 'up' || state === 'endUp') state = 'beginUp';
        else if (state === 'down' || state === 'endDown') state = 'beginDown';
        else throw bad('StatementBegin outside Up/Down');
        continue;
      }
      if (cmd === '+goose StatementEnd') {
        if (state === 'beginUp') state = 'endUp';
        else if (state === 'beginDown') state = 'endDown';
        else throw bad('StatementEnd without StatementBegin');
      } else if (cmd === '+goose NO TRANSACTION' || cmd.startsWith('+goose ENVSUB')) {
        continue;
      }
    }
    if (buf.length === 0 && (line.trim().startsWith('--') || line === '')) continue;
    if (state !== 'endUp' && state !== 'endDown') buf += `${line}\n`;
    const inUp = state === 'up' || state === 'beginUp' || state === 'endUp';
    if (state === 'start') throw bad(`SQL before -- +goose Up: ${line}`);
    if (inUp !== (direction === 'up')) {
      buf = '';
      continue;
    }
    if ((state === 'up' || state === 'down') && endsWithSemicolon(line)) {
      stmts.push(buf.trim());
      buf = '';
    } else if (state === 'endUp' || state === 'endDown') {
      stmts.push(buf.trim());
      buf = '';
      state = state === 'endUp' ? 'up' : 'down';
    }
  }
  if (state === 'start') throw bad('no -- +goose Up');
  if (state === 'beginUp' || state === 'beginDown') throw bad('missing StatementEnd');
  if (buf.trim()) throw bad(`unfinished statement (missing semicolon?): ${buf.trim()}`);
  return stmts;
}

async function inTransactionEach(db: Driver, stmts: string[], label: string): Promise<void> {
  await db.exec('BEGIN');
  for (const [i, stmt] of stmts.entries()) {
    try {
      await db.exec(stmt);
    } catch (error) {
      await db.exec('ROLLBACK');
      throw new Error(`${label} statement ${i + 1}: ${(error as Error).message}\n${stmt}`, { cause: error });
    }
  }
  await db.exec('COMMIT');
}

/** Applies every Up in order: as one simple query per section (our migrator) or statement by statement (goose). */
async function migrateUp(db: Driver, migrations: Migration[], goose = false): Promise<void> {
  for (const m of migrations) {
    if (goose) await inTransactionEach(db, gooseStatements(m.name, m.text, 'up'), `${m.name} up (goose)`);
    else await inTransaction(db, m.up, `${m.name} up`);
  }
}

async function migrateDown(db: Driver, migrations: Migration[], goose = false): Promise<void> {
  for (const m of [...migrations].reverse()) {
    if (goose) await inTransactionEach(db, gooseStatements(m.name, m.text, 'down'), `${m.name} down (goose)`);
    else await inTransaction(db, m.down, `${m.name} down`);
  }
}

/** Counts what the migrations leave in the public schema (tables, types, functions) and extensions. */
async function leftovers(db: Driver): Promise<string[]> {
  const rows = await db.query<{ what: string }>(`
    SELECT 'relation ' || c.relname AS what FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public'
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension WHERE extname IN ('pgcrypto', 'btree_gist', 'citext')`);
  return rows.map((r) => r.what);
}

// ---------------------------------------------------------------------------------------------
// Behaviour checks
// ---------------------------------------------------------------------------------------------

let failures = 0;
const ok = (label: string) => console.log(`  ok   ${label}`);
const fail = (label: string, why: string) => {
  failures++;
  console.log(`  FAIL ${label}: ${why}`);
};

async function expectOk(db: Driver, label: string, sql: string, params: unknown[] = []): Promise<void> {
  try {
    await db.query(sql, params);
    ok(label);
  } catch (error) {
    fail(label, `unexpected error ${(error as DbError).code}: ${(error as DbError).message}`);
  }
}

async function expectError(
  db: Driver,
  label: string,
  code: string,
  constraint: string | undefined,
  sql: string,
  params: unknown[] = [],
): Promise<void> {
  try {
    await db.query(sql, params);
    fail(label, `expected ${code}${constraint ? ` (${constraint})` : ''}, but the statement succeeded`);
  } catch (error) {
    const e = error as DbError;
    if (e.code === code && (constraint === undefined || e.constraint === constraint)) {
      ok(`${label} → ${code}${e.constraint ? ` ${e.constraint}` : ''}`);
    } else {
      fail(label, `expected ${code} ${constraint ?? ''}, got ${e.code} ${e.constraint ?? ''}: ${e.message}`);
    }
  }
}

async function one<T>(db: Driver, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await db.query<T>(sql, params);
  if (rows.length !== 1) throw new Error(`expected one row from: ${sql}`);
  return rows[0] as T;
}

const id = async (db: Driver, sql: string, params: unknown[] = []) =>
  (await one<{ id: string }>(db, sql, params)).id;

async function behaviour(db: Driver): Promise<void> {
  const orgA = await id(db, `INSERT INTO organizations (name) VALUES ('Org A') RETURNING id`);
  const orgB = await id(db, `INSERT INTO organizations (name) VALUES ('Org B') RETURNING id`);
  await db.query(`INSERT INTO org_policies (org_id) VALUES ($1), ($2)`, [orgA, orgB]);
  const user = (org: string, email: string, role = 'mechanic') =>
    id(db, `INSERT INTO users (org_id, email, role, password_hash) VALUES ($1, $2, $3, 'x') RETURNING id`, [
      org,
      email,
      role,
    ]);
  const mechA = await user(orgA, 'mech@a.example');
  const mechB = await user(orgB, 'mech@b.example');
  const aircraft = (org: string, tail: string) =>
    id(db, `INSERT INTO aircraft (org_id, tail_number, model) VALUES ($1, $2, 'A320') RETURNING id`, [
      org,
      tail,
    ]);
  const acA = await aircraft(orgA, 'N100A');
  const acB = await aircraft(orgB, 'N100B');

  console.log('organizations, org_policies');
  await expectError(
    db,
    'live org name unique (case-insensitive)',
    '23505',
    'organizations_name_live_key',
    `INSERT INTO organizations (name) VALUES ('ORG a')`,
  );
  await expectError(
    db,
    'org name not blank',
    '23514',
    'organizations_name_not_blank',
    `INSERT INTO organizations (name) VALUES ('  ')`,
  );
  await expectError(
    db,
    'policy max_webhook_attempts > 0',
    '23514',
    'org_policies_max_webhook_attempts_check',
    `UPDATE org_policies SET max_webhook_attempts = 0 WHERE org_id = $1`,
    [orgA],
  );
  await expectError(
    db,
    'policy grounding_lead_time >= 0',
    '23514',
    'org_policies_grounding_lead_time_check',
    `UPDATE org_policies SET grounding_lead_time = '-1 hour' WHERE org_id = $1`,
    [orgA],
  );
  const policy = await one<{ retention_interval: unknown; grounding_lead_time: unknown }>(
    db,
    `SELECT retention_interval::text AS retention_interval, grounding_lead_time::text AS grounding_lead_time
       FROM org_policies WHERE org_id = $1`,
    [orgA],
  );
  if (policy.retention_interval === '365 days' && policy.grounding_lead_time === '24:00:00')
    ok('policy defaults');
  else fail('policy defaults', JSON.stringify(policy));

  console.log('users, soft delete and uniqueness');
  await expectError(
    db,
    'email unique per org (citext)',
    '23505',
    'users_org_id_email_live_key',
    `INSERT INTO users (org_id, email, role, password_hash) VALUES ($1, 'MECH@A.example', 'mechanic', 'x')`,
    [orgA],
  );
  await expectOk(
    db,
    'same email in another org',
    `INSERT INTO users (org_id, email, role, password_hash) VALUES ($1, 'mech@a.example', 'mechanic', 'x')`,
    [orgB],
  );
  await expectError(
    db,
    'invalid role',
    '22P02',
    undefined,
    `INSERT INTO users (org_id, email, role, password_hash) VALUES ($1, 'r@a.example', 'pilot', 'x')`,
    [orgA],
  );
  const gone = await user(orgA, 'gone@a.example');
  await db.query(`UPDATE users SET deleted_at = now() WHERE id = $1`, [gone]);
  await expectOk(
    db,
    'email reusable after soft delete',
    `INSERT INTO users (org_id, email, role, password_hash) VALUES ($1, 'gone@a.example', 'mechanic', 'x')`,
    [orgA],
  );

  console.log('refresh_tokens');
  const hash = (c: string) => c.repeat(64);
  const rt1 = await id(
    db,
    `INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
    VALUES ($1, $2, gen_random_uuid(), $3, now() + interval '7 days') RETURNING id`,
    [orgA, mechA, hash('a')],
  );
  await expectError(
    db,
    'token hash unique',
    '23505',
    'refresh_tokens_token_hash_key',
    `INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
     VALUES ($1, $2, gen_random_uuid(), $3, now())`,
    [orgA, mechA, hash('a')],
  );
  await expectError(
    db,
    'token hash is lower-case sha-256 hex',
    '23514',
    'refresh_tokens_token_hash_format',
    `INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
     VALUES ($1, $2, gen_random_uuid(), 'secret', now())`,
    [orgA, mechA],
  );
  await expectError(
    db,
    'token of another org’s user',
    '23503',
    'refresh_tokens_user_fkey',
    `INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
     VALUES ($1, $2, gen_random_uuid(), $3, now())`,
    [orgA, mechB, hash('b')],
  );
  const rt2 = await id(
    db,
    `INSERT INTO refresh_tokens (org_id, user_id, family_id, token_hash, expires_at)
    VALUES ($1, $2, gen_random_uuid(), $3, now() + interval '7 days') RETURNING id`,
    [orgA, mechA, hash('c')],
  );
  await expectOk(
    db,
    'rotation links replaced_by',
    `UPDATE refresh_tokens SET used_at = now(), replaced_by = $2 WHERE id = $1`,
    [rt1, rt2],
  );
  await expectOk(
    db,
    'deleting the successor nulls replaced_by only',
    `DELETE FROM refresh_tokens WHERE id = $1`,
    [rt2],
  );
  const rt1Row = await one<{ org_id: string; replaced_by: string | null }>(
    db,
    `SELECT org_id, replaced_by FROM refresh_tokens WHERE id = $1`,
    [rt1],
  );
  if (rt1Row.org_id === orgA && rt1Row.replaced_by === null) ok('replaced_by set null, org_id kept');
  else fail('replaced_by set null', JSON.stringify(rt1Row));

  console.log('aircraft');
  await expectError(
    db,
    'tail number unique per org',
    '23505',
    'aircraft_org_id_tail_number_live_key',
    `INSERT INTO aircraft (org_id, tail_number, model) VALUES ($1, 'N100A', 'B737')`,
    [orgA],
  );
  await expectError(
    db,
    'next_due after last_maintenance',
    '23514',
    'aircraft_next_due_after_last_maintenance',
    `INSERT INTO aircraft (org_id, tail_number, model, last_maintenance, next_due)
     VALUES ($1, 'N9', 'B737', '2025-01-02Z', '2025-01-01Z')`,
    [orgA],
  );
  await expectError(
    db,
    'capacity_slots > 0',
    '23514',
    'aircraft_capacity_slots_check',
    `INSERT INTO aircraft (org_id, tail_number, model, capacity_slots) VALUES ($1, 'N9', 'B737', 0)`,
    [orgA],
  );
  await db.query(`UPDATE aircraft SET deleted_at = now() WHERE id = $1`, [acB]);
  await expectOk(
    db,
    'tail number reusable after soft delete',
    `INSERT INTO aircraft (org_id, tail_number, model) VALUES ($1, 'N100B', 'A320')`,
    [orgB],
  );
  const fh = await one<{ flight_hours_total: unknown }>(
    db,
    `UPDATE aircraft SET flight_hours_total = flight_hours_total + 1.25 WHERE id = $1 RETURNING flight_hours_total`,
    [acA],
  );
  if (String(fh.flight_hours_total) === '1.25') ok('flight_hours_total numeric(12,2)');
  else fail('flight_hours_total numeric', JSON.stringify(fh));

  console.log('maintenance_tasks: capacity exclusion and generated active_window');
  const task = (org: string, ac: string, from: string, to: string) =>
    id(
      db,
      `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
       VALUES ($1, $2, 'inspection', $3, $4) RETURNING id`,
      [org, ac, from, to],
    );
  const t1 = await task(orgA, acA, '2030-01-01T10:00Z', '2030-01-01T12:00Z');
  const insertOverlap = `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
    VALUES ($1, $2, 'repair', '2030-01-01T11:00Z', '2030-01-01T13:00Z') RETURNING id`;
  await expectError(
    db,
    'overlapping active task rejected',
    '23P01',
    'maintenance_tasks_no_overlap',
    insertOverlap,
    [orgA, acA],
  );
  await expectOk(
    db,
    'adjacent window [12:00,14:00) accepted',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
     VALUES ($1, $2, 'repair', '2030-01-01T12:00Z', '2030-01-01T14:00Z')`,
    [orgA, acA],
  );
  const w1 = await one<{ active_window: string | null }>(
    db,
    `SELECT active_window FROM maintenance_tasks WHERE id = $1`,
    [t1],
  );
  if (w1.active_window?.startsWith('["2030-01-01 10:00:00+00","2030-01-01 12:00:00+00")'))
    ok(`active_window ${w1.active_window}`);
  else fail('active_window of a scheduled task', JSON.stringify(w1));
  await db.query(`UPDATE maintenance_tasks SET state = 'in_progress' WHERE id = $1`, [t1]);
  await expectError(
    db,
    'in_progress task still blocks',
    '23P01',
    'maintenance_tasks_no_overlap',
    insertOverlap,
    [orgA, acA],
  );
  await db.query(`UPDATE maintenance_tasks SET state = 'cancelled' WHERE id = $1`, [t1]);
  const w2 = await one<{ active_window: string | null }>(
    db,
    `SELECT active_window FROM maintenance_tasks WHERE id = $1`,
    [t1],
  );
  if (w2.active_window === null) ok('cancelled task has no active_window');
  else fail('cancelled task active_window', JSON.stringify(w2));
  // The adjacent task [12,14) still blocks 11-13, so move the probe into the freed slot.
  await expectOk(
    db,
    'slot of a cancelled task is free again',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
     VALUES ($1, $2, 'repair', '2030-01-01T10:00Z', '2030-01-01T11:30Z')`,
    [orgA, acA],
  );
  const t3 = await task(orgA, acA, '2030-02-01T10:00Z', '2030-02-01T12:00Z');
  await db.query(`UPDATE maintenance_tasks SET deleted_at = now() WHERE id = $1`, [t3]);
  await expectOk(
    db,
    'slot of a soft-deleted task is free again',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
     VALUES ($1, $2, 'repair', '2030-02-01T10:00Z', '2030-02-01T12:00Z')`,
    [orgA, acA],
  );
  await expectError(
    db,
    'moving a task onto another rejected',
    '23P01',
    'maintenance_tasks_no_overlap',
    `UPDATE maintenance_tasks SET start_time = '2030-01-01T09:00Z', end_time = '2030-01-01T10:30Z'
     WHERE org_id = $1 AND start_time = '2030-02-01T10:00Z' AND deleted_at IS NULL`,
    [orgA],
  );
  await expectError(
    db,
    'end_time > start_time',
    '23514',
    'maintenance_tasks_end_after_start',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
     VALUES ($1, $2, 'repair', '2030-03-01T10:00Z', '2030-03-01T10:00Z')`,
    [orgA, acA],
  );
  await expectError(
    db,
    'active_window cannot be written',
    '428C9',
    undefined,
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time, active_window)
     VALUES ($1, $2, 'repair', '2030-03-01T10:00Z', '2030-03-01T11:00Z', NULL)`,
    [orgA, acA],
  );
  await expectError(
    db,
    'cross-org aircraft rejected',
    '23503',
    'maintenance_tasks_aircraft_fkey',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
     VALUES ($1, $2, 'repair', '2030-03-01T10:00Z', '2030-03-01T11:00Z')`,
    [orgA, acB],
  );
  await expectError(
    db,
    'cross-org mechanic rejected',
    '23503',
    'maintenance_tasks_assigned_mechanic_fkey',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time, assigned_mechanic_id)
     VALUES ($1, $2, 'repair', '2030-03-01T10:00Z', '2030-03-01T11:00Z', $3)`,
    [orgA, acA, mechB],
  );
  const acB2 = await aircraft(orgB, 'N200B');
  await expectOk(
    db,
    'same window on another aircraft',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
     VALUES ($1, $2, 'repair', '2030-01-01T10:00Z', '2030-01-01T12:00Z')`,
    [orgB, acB2],
  );
  const progB = await id(
    db,
    `INSERT INTO maintenance_programs (org_id, name, interval_type, interval_value)
    VALUES ($1, 'A-check', 'calendar', 30) RETURNING id`,
    [orgB],
  );
  await expectError(
    db,
    'cross-org program rejected',
    '23503',
    'maintenance_tasks_program_fkey',
    `INSERT INTO maintenance_tasks (org_id, aircraft_id, program_id, type, start_time, end_time)
     VALUES ($1, $2, $3, 'repair', '2030-03-01T10:00Z', '2030-03-01T11:00Z')`,
    [orgA, acA, progB],
  );
  await expectError(
    db,
    'program interval_value > 0',
    '23514',
    'maintenance_programs_interval_value_check',
    `INSERT INTO maintenance_programs (org_id, name, interval_type, interval_value) VALUES ($1, 'x', 'cycles', 0)`,
    [orgA],
  );
  await expectError(
    db,
    'cross-org program aircraft rejected',
    '23503',
    'maintenance_programs_aircraft_fkey',
    `INSERT INTO maintenance_programs (org_id, aircraft_id, name, interval_type, interval_value)
     VALUES ($1, $2, 'x', 'cycles', 10)`,
    [orgA, acB2],
  );

  console.log('updated_at trigger');
  await db.query(`UPDATE aircraft SET updated_at = '2001-01-01Z' WHERE id = $1`, [acA]);
  const kept = await one<{ y: number }>(
    db,
    `SELECT extract(year FROM updated_at)::int AS y FROM aircraft WHERE id = $1`,
    [acA],
  );
  await db.query(`UPDATE aircraft SET model = 'A321' WHERE id = $1`, [acA]);
  const touched = await one<{ y: number }>(
    db,
    `SELECT extract(year FROM updated_at)::int AS y FROM aircraft WHERE id = $1`,
    [acA],
  );
  if (kept.y === 2001 && touched.y > 2001) ok('explicit updated_at kept, implicit one set to now()');
  else fail('updated_at trigger', `${kept.y} ${touched.y}`);

  console.log('parts');
  const defA = await id(
    db,
    `INSERT INTO part_definitions (org_id, name, category) VALUES ($1, 'Oil filter', 'filters') RETURNING id`,
    [orgA],
  );
  const defB = await id(
    db,
    `INSERT INTO part_definitions (org_id, name, category) VALUES ($1, 'Oil filter', 'filters') RETURNING id`,
    [orgB],
  );
  await expectError(
    db,
    'part definition name unique per org',
    '23505',
    'part_definitions_org_id_name_live_key',
    `INSERT INTO part_definitions (org_id, name, category) VALUES ($1, 'Oil filter', 'x')`,
    [orgA],
  );
  await db.query(`UPDATE part_definitions SET deleted_at = now() WHERE id = $1`, [defB]);
  await expectOk(
    db,
    'part definition name reusable after soft delete',
    `INSERT INTO part_definitions (org_id, name, category) VALUES ($1, 'Oil filter', 'x')`,
    [orgB],
  );
  await expectError(
    db,
    'reorder_point >= 0',
    '23514',
    'part_definitions_reorder_point_check',
    `INSERT INTO part_definitions (org_id, name, category, reorder_point) VALUES ($1, 'Bolt', 'x', -1)`,
    [orgA],
  );
  await expectError(
    db,
    'part item with past expiry rejected',
    '23514',
    'part_items_expiry_in_future',
    `INSERT INTO part_items (org_id, part_definition_id, serial_number, expiry_date)
     VALUES ($1, $2, 'SN-OLD', now() - interval '1 day')`,
    [orgA, defA],
  );
  const item = await id(
    db,
    `INSERT INTO part_items (org_id, part_definition_id, serial_number, expiry_date)
     VALUES ($1, $2, 'SN-1', now() + interval '1 day') RETURNING id`,
    [orgA, defA],
  );
  await expectOk(
    db,
    'part item without expiry',
    `INSERT INTO part_items (org_id, part_definition_id, serial_number) VALUES ($1, $2, 'SN-2')`,
    [orgA, defA],
  );
  await expectError(
    db,
    'serial number unique per org',
    '23505',
    'part_items_org_id_serial_number_live_key',
    `INSERT INTO part_items (org_id, part_definition_id, serial_number) VALUES ($1, $2, 'SN-2')`,
    [orgA, defA],
  );
  await expectError(
    db,
    'cross-org part definition rejected',
    '23503',
    'part_items_part_definition_fkey',
    `INSERT INTO part_items (org_id, part_definition_id, serial_number) VALUES ($1, $2, 'SN-X')`,
    [orgB, defA],
  );
  await expectError(
    db,
    'changing expiry to the past rejected',
    '23514',
    'part_items_expiry_in_future',
    `UPDATE part_items SET expiry_date = now() - interval '1 hour' WHERE id = $1`,
    [item],
  );
  // Make the item expired behind the trigger's back, as time passing would.
  await db.exec(`ALTER TABLE part_items DISABLE TRIGGER part_items_expiry_in_future;
    UPDATE part_items SET expiry_date = now() - interval '1 hour' WHERE id = '${item}';
    ALTER TABLE part_items ENABLE TRIGGER part_items_expiry_in_future;`);
  await expectOk(
    db,
    'expired item can still be disposed',
    `UPDATE part_items SET status = 'disposed' WHERE id = $1`,
    [item],
  );
  await expectOk(
    db,
    'expired item can get a new future expiry',
    `UPDATE part_items SET expiry_date = now() + interval '1 year' WHERE id = $1`,
    [item],
  );
  await db.query(`UPDATE part_items SET deleted_at = now() WHERE id = $1`, [item]);
  await expectOk(
    db,
    'serial number reusable after soft delete',
    `INSERT INTO part_items (org_id, part_definition_id, serial_number) VALUES ($1, $2, 'SN-1')`,
    [orgA, defA],
  );

  console.log('part_reservations');
  const item2 = await id(db, `SELECT id FROM part_items WHERE org_id = $1 AND serial_number = 'SN-2'`, [
    orgA,
  ]);
  const res1 = await id(
    db,
    `INSERT INTO part_reservations (org_id, task_id, part_item_id) VALUES ($1, $2, $3) RETURNING id`,
    [orgA, t1, item2],
  );
  await expectError(
    db,
    'second active reservation rejected',
    '23505',
    'part_reservations_one_active_per_item',
    `INSERT INTO part_reservations (org_id, task_id, part_item_id) VALUES ($1, $2, $3)`,
    [orgA, t1, item2],
  );
  await db.query(`UPDATE part_reservations SET state = 'released' WHERE id = $1`, [res1]);
  const res2 = await id(
    db,
    `INSERT INTO part_reservations (org_id, task_id, part_item_id) VALUES ($1, $2, $3) RETURNING id`,
    [orgA, t1, item2],
  );
  ok('reservation allowed again after release');
  await db.query(`UPDATE part_reservations SET state = 'used' WHERE id = $1`, [res2]);
  const res3 = await id(
    db,
    `INSERT INTO part_reservations (org_id, task_id, part_item_id) VALUES ($1, $2, $3) RETURNING id`,
    [orgA, t1, item2],
  );
  await expectError(
    db,
    'item consumed twice rejected',
    '23505',
    'part_reservations_one_use_per_item',
    `UPDATE part_reservations SET state = 'used' WHERE id = $1`,
    [res3],
  );
  await expectError(
    db,
    'quantity > 0',
    '23514',
    'part_reservations_quantity_check',
    `UPDATE part_reservations SET quantity = 0 WHERE id = $1`,
    [res3],
  );
  const itemB = await id(
    db,
    `INSERT INTO part_items (org_id, part_definition_id, serial_number)
    SELECT $1, id, 'SN-B' FROM part_definitions WHERE org_id = $1 AND deleted_at IS NULL RETURNING id`,
    [orgB],
  );
  await expectError(
    db,
    'cross-org part item rejected',
    '23503',
    'part_reservations_part_item_fkey',
    `INSERT INTO part_reservations (org_id, task_id, part_item_id) VALUES ($1, $2, $3)`,
    [orgA, t1, itemB],
  );

  console.log('compliance_items');
  const ci = await id(
    db,
    `INSERT INTO compliance_items (org_id, task_id, description) VALUES ($1, $2, 'Torque check') RETURNING id`,
    [orgA, t1],
  );
  await expectOk(
    db,
    'unsigned item can be edited',
    `UPDATE compliance_items SET description = 'Torque check 2' WHERE id = $1`,
    [ci],
  );
  await expectError(
    db,
    'half a sign-off rejected',
    '23514',
    'compliance_items_sign_off_complete',
    `UPDATE compliance_items SET sign_off_user_id = $2 WHERE id = $1`,
    [ci, mechA],
  );
  await expectError(
    db,
    'sign-off by another org’s user rejected',
    '23503',
    'compliance_items_sign_off_user_fkey',
    `UPDATE compliance_items SET sign_off_user_id = $2, sign_off_time = now() WHERE id = $1`,
    [ci, mechB],
  );
  await expectOk(
    db,
    'sign-off accepted once',
    `UPDATE compliance_items SET result = 'pass', sign_off_user_id = $2, sign_off_time = now() WHERE id = $1`,
    [ci, mechA],
  );
  await expectError(
    db,
    'second sign-off rejected',
    'AM001',
    'compliance_items_immutable_after_sign_off',
    `UPDATE compliance_items SET sign_off_time = now() WHERE id = $1`,
    [ci],
  );
  await expectError(
    db,
    'edit after sign-off rejected',
    'AM001',
    'compliance_items_immutable_after_sign_off',
    `UPDATE compliance_items SET result = 'fail' WHERE id = $1`,
    [ci],
  );
  await expectError(
    db,
    'soft delete after sign-off rejected',
    'AM001',
    'compliance_items_immutable_after_sign_off',
    `UPDATE compliance_items SET deleted_at = now() WHERE id = $1`,
    [ci],
  );
  await expectError(
    db,
    'delete after sign-off rejected',
    'AM001',
    'compliance_items_immutable_after_sign_off',
    `DELETE FROM compliance_items WHERE id = $1`,
    [ci],
  );
  const ci2 = await id(
    db,
    `INSERT INTO compliance_items (org_id, task_id, description) VALUES ($1, $2, 'Leak check') RETURNING id`,
    [orgA, t1],
  );
  await expectOk(db, 'unsigned item can be deleted', `DELETE FROM compliance_items WHERE id = $1`, [ci2]);
  await expectError(
    db,
    'cross-org task rejected',
    '23503',
    'compliance_items_task_fkey',
    `INSERT INTO compliance_items (org_id, task_id, description) VALUES ($1, $2, 'x')`,
    [orgB, t1],
  );

  console.log('audit_logs');
  const log = await id(
    db,
    `INSERT INTO audit_logs (org_id, actor_org_id, user_id, actor, entity_type, entity_id, action, details)
    VALUES ($1, $1, $2, 'user', 'aircraft', $3, 'create', '{"tail_number":"N100A"}') RETURNING id`,
    [orgA, mechA, acA],
  );
  await expectOk(
    db,
    'system actor without user',
    `INSERT INTO audit_logs (org_id, actor, entity_type, entity_id, action)
     VALUES ($1, 'system:program-generator', 'maintenance_task', $2, 'create')`,
    [orgA, t1],
  );
  await expectOk(
    db,
    'actor from another org (admin acting on behalf)',
    `INSERT INTO audit_logs (org_id, actor_org_id, user_id, actor, entity_type, entity_id, action)
     VALUES ($1, $2, $3, 'user', 'aircraft', $4, 'update')`,
    [orgA, orgB, mechB, acA],
  );
  await expectError(
    db,
    'actor org/user mismatch rejected',
    '23503',
    'audit_logs_actor_user_fkey',
    `INSERT INTO audit_logs (org_id, actor_org_id, user_id, actor, entity_type, entity_id, action)
     VALUES ($1, $1, $2, 'user', 'aircraft', $3, 'update')`,
    [orgA, mechB, acA],
  );
  await expectError(
    db,
    'user without actor org rejected',
    '23514',
    'audit_logs_actor_user_pairing',
    `INSERT INTO audit_logs (org_id, user_id, actor, entity_type, entity_id, action)
     VALUES ($1, $2, 'user', 'aircraft', $3, 'update')`,
    [orgA, mechA, acA],
  );
  await expectError(
    db,
    'audit UPDATE rejected',
    'AM002',
    'audit_logs_immutable',
    `UPDATE audit_logs SET actor = 'x' WHERE id = $1`,
    [log],
  );
  await expectError(
    db,
    'audit DELETE rejected',
    'AM002',
    'audit_logs_immutable',
    `DELETE FROM audit_logs WHERE id = $1`,
    [log],
  );
  await expectError(db, 'audit TRUNCATE rejected', 'AM002', 'audit_logs_immutable', `TRUNCATE audit_logs`);
  const count = await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM audit_logs`);
  if (count.n === 3) ok('audit rows intact');
  else fail('audit rows intact', String(count.n));

  console.log('outbox, webhooks, idempotency, imports');
  const ev = await id(
    db,
    `INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
    VALUES ($1, 'maintenance_task', $2, 'task_created', '{"version":1}', $3) RETURNING id`,
    [orgA, t1, `task_created:${orgA}:${t1}`],
  );
  await expectError(
    db,
    'outbox dedupe key unique per org',
    '23505',
    'outbox_events_org_id_dedupe_key_key',
    `INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
     VALUES ($1, 'maintenance_task', $2, 'task_created', '{}', $3)`,
    [orgA, t1, `task_created:${orgA}:${t1}`],
  );
  const wh = await id(
    db,
    `INSERT INTO webhooks (org_id, url, events, secret)
    VALUES ($1, 'https://example.com/hook', ARRAY['task_created'], 'c0ffee') RETURNING id`,
    [orgA],
  );
  await expectError(
    db,
    'webhook needs events',
    '23514',
    'webhooks_events_not_empty',
    `INSERT INTO webhooks (org_id, url, events, secret) VALUES ($1, 'https://example.com/h', '{}', 's')`,
    [orgA],
  );
  await expectError(
    db,
    'webhook url scheme',
    '23514',
    'webhooks_url_scheme',
    `INSERT INTO webhooks (org_id, url, events, secret) VALUES ($1, 'ftp://example.com/h', '{a}', 's')`,
    [orgA],
  );
  await expectOk(
    db,
    'delivery created',
    `INSERT INTO webhook_deliveries (org_id, webhook_id, event_id) VALUES ($1, $2, $3)`,
    [orgA, wh, ev],
  );
  await expectError(
    db,
    'one delivery per webhook and event',
    '23505',
    'webhook_deliveries_webhook_id_event_id_key',
    `INSERT INTO webhook_deliveries (org_id, webhook_id, event_id) VALUES ($1, $2, $3)`,
    [orgA, wh, ev],
  );
  const whB = await id(
    db,
    `INSERT INTO webhooks (org_id, url, events, secret)
    VALUES ($1, 'https://b.example/hook', ARRAY['task_created'], 's') RETURNING id`,
    [orgB],
  );
  await expectError(
    db,
    'delivery of another org’s event rejected',
    '23503',
    'webhook_deliveries_event_fkey',
    `INSERT INTO webhook_deliveries (org_id, webhook_id, event_id) VALUES ($1, $2, $3)`,
    [orgB, whB, ev],
  );
  await expectError(
    db,
    'response body limited to 4096 chars',
    '23514',
    'webhook_deliveries_last_response_body_length',
    `UPDATE webhook_deliveries SET last_response_body = repeat('x', 4097) WHERE event_id = $1`,
    [ev],
  );
  await expectOk(
    db,
    'idempotency key placeholder',
    `INSERT INTO idempotency_keys (org_id, user_id, key, endpoint, request_hash, expires_at)
     VALUES ($1, $2, 'k1', 'POST /api/v1/aircraft', 'h', now() + interval '24 hours')`,
    [orgA, mechA],
  );
  await expectError(
    db,
    'idempotency key unique per org/user/key/endpoint',
    '23505',
    'idempotency_keys_org_id_user_id_key_endpoint_key',
    `INSERT INTO idempotency_keys (org_id, user_id, key, endpoint, request_hash, expires_at)
     VALUES ($1, $2, 'k1', 'POST /api/v1/aircraft', 'h2', now())`,
    [orgA, mechA],
  );
  const imp = await id(
    db,
    `INSERT INTO imports (org_id, type, file_name, created_by) VALUES ($1, 'aircraft', 'fleet.csv', $2) RETURNING id`,
    [orgA, mechA],
  );
  await expectError(
    db,
    'import by another org’s user rejected',
    '23503',
    'imports_created_by_fkey',
    `INSERT INTO imports (org_id, type, file_name, created_by) VALUES ($1, 'aircraft', 'fleet.csv', $2)`,
    [orgA, mechB],
  );
  await expectOk(
    db,
    'import row',
    `INSERT INTO import_rows (org_id, import_id, row_number, raw) VALUES ($1, $2, 1, '{"tail_number":"N1"}')`,
    [orgA, imp],
  );
  await expectError(
    db,
    'row number unique per import',
    '23505',
    'import_rows_org_id_import_id_row_number_key',
    `INSERT INTO import_rows (org_id, import_id, row_number, raw) VALUES ($1, $2, 1, '{}')`,
    [orgA, imp],
  );
  await expectError(
    db,
    'row errors must be an array',
    '23514',
    'import_rows_errors_array',
    `INSERT INTO import_rows (org_id, import_id, row_number, raw, errors) VALUES ($1, $2, 2, '{}', '{}')`,
    [orgA, imp],
  );
}

// ---------------------------------------------------------------------------------------------
// schema.ts against the database
// ---------------------------------------------------------------------------------------------

async function compareSchemaTs(db: Driver): Promise<void> {
  const source = readFileSync(join(root, 'src/infra/postgres/schema.ts'), 'utf8');
  const dbBlock = /export interface DB \{([^}]*)\}/.exec(source)?.[1] ?? '';
  const tableToIface = new Map([...dbBlock.matchAll(/^\s*(\w+): (\w+);/gm)].map((m) => [m[1]!, m[2]!]));
  const ifaceColumns = new Map<string, Map<string, string>>();
  for (const m of source.matchAll(/export interface (\w+) \{([^}]*)\}/g)) {
    const cols = new Map([...m[2]!.matchAll(/^\s*(\w+): (.+);$/gm)].map((c) => [c[1]!, c[2]!]));
    ifaceColumns.set(m[1]!, cols);
  }
  const rows = await db.query<{
    table_name: string;
    column_name: string;
    is_nullable: string;
    has_default: boolean;
  }>(`
    SELECT table_name, column_name, is_nullable,
           (column_default IS NOT NULL OR is_generated = 'ALWAYS') AS has_default
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`);
  const dbTables = new Map<string, typeof rows>();
  for (const r of rows) dbTables.set(r.table_name, [...(dbTables.get(r.table_name) ?? []), r]);

  const problems: string[] = [];
  for (const table of dbTables.keys()) if (!tableToIface.has(table)) problems.push(`DB lacks table ${table}`);
  for (const table of tableToIface.keys())
    if (!dbTables.has(table)) problems.push(`schema.ts has unknown table ${table}`);
  for (const [table, columns] of dbTables) {
    const iface = ifaceColumns.get(tableToIface.get(table) ?? '');
    if (!iface) continue;
    for (const c of columns) {
      const ts = iface.get(c.column_name);
      if (!ts) {
        problems.push(`${table}.${c.column_name} missing in schema.ts`);
        continue;
      }
      const nullable = c.is_nullable === 'YES';
      if (nullable !== /\bnull\b/.test(ts))
        problems.push(`${table}.${c.column_name}: nullable=${nullable} but type is ${ts}`);
      // Nullable columns are optional on insert anyway; defaulted NOT NULL columns must be Generated*.
      if (!nullable && c.has_default !== ts.startsWith('Generated')) {
        problems.push(`${table}.${c.column_name}: has_default=${c.has_default} but type is ${ts}`);
      }
    }
    for (const name of iface.keys()) {
      if (!columns.some((c) => c.column_name === name))
        problems.push(`schema.ts ${table}.${name} is not a column`);
    }
  }
  if (problems.length === 0) ok(`schema.ts matches ${dbTables.size} tables, ${rows.length} columns`);
  for (const p of problems) fail('schema.ts', p);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const pgFlag = process.argv.indexOf('--pg');
  const url = pgFlag >= 0 ? process.argv[pgFlag + 1] : undefined;
  if (pgFlag >= 0 && !url) throw new Error('--pg needs a connection URL');
  const migrations = loadMigrations();
  console.log(`${migrations.length} migrations on ${url ? `PostgreSQL (${url})` : 'PGlite (memory)'}`);
  const db = url ? await pgDriver(url) : await pgliteDriver();
  try {
    const version = await one<{ v: string }>(db, `SELECT current_setting('server_version') AS v`);
    console.log(`server ${version.v}`);
    console.log('up, down, up (whole sections), down and up (goose statement splitting)');
    const before = await leftovers(db);
    if (before.length !== 0) throw new Error(`database not empty: ${before.join(', ')}`);
    for (const goose of [false, true]) {
      const how = goose ? 'goose-split' : 'whole-section';
      await migrateUp(db, migrations, goose);
      ok(`up (${how})`);
      await migrateDown(db, migrations, goose);
      const left = await leftovers(db);
      if (left.length === 0) ok(`down (${how}) leaves nothing behind`);
      else fail(`down (${how}) leaves nothing behind`, left.join(', '));
    }
    await migrateUp(db, migrations);
    ok('up again');
    const counts = migrations.map(
      (m) =>
        `${m.name}: ${gooseStatements(m.name, m.text, 'up').length}/${gooseStatements(m.name, m.text, 'down').length}`,
    );
    console.log(`  goose statements up/down: ${counts.join(', ')}`);
    console.log('schema.ts');
    await compareSchemaTs(db);
    await behaviour(db);
  } finally {
    await db.close();
  }
  console.log(failures === 0 ? 'ALL CHECKS PASSED' : `${failures} CHECK(S) FAILED`);
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
