/**
 * The conflicts view at fleet scale: `GET /scheduling/conflicts` for a 30-day window over BENCH_AIRCRAFT aircraft
 * (default 10,000) and BENCH_TASKS tasks (default 1,000,000), beside pgbench running the statements the server ran.
 *
 *   npm run bench:conflicts
 *   BENCH_AIRCRAFT=1000 BENCH_TASKS=100000 BENCH_SECONDS=5 npm run bench:conflicts     (while developing)
 *
 * What it does, on the PostgreSQL server of AMSS_BENCH_DB_URL and the Redis of AMSS_BENCH_REDIS_ADDR:
 *   1. creates a scratch database `amss_bench_conflicts`, migrates it and seeds one organization in set-based SQL:
 *      the aircraft (A320s), 500 mechanics (all but 1 in 100 — the ones on overhauls — holding an EASA B1), one 30-day calendar program per
 *      aircraft (1 in 100 overdue), and per aircraft BENCH_TASKS / BENCH_AIRCRAFT tasks: all but three completed in
 *      the past, three scheduled 10 days apart within the next 30 days (3 % active, each with a mechanic, never
 *      double-booked), the first booked for the program; 1 in 10 overhauls (which need an EASA B1); 1 in 10 aircraft
 *      with a finish-to-start dependency between their first two active tasks (1 in 1,000 with a lag that breaks
 *      it); 500 part definitions with 5 items each (1 in 50 with one) required by the tasks of 1 in 20 aircraft
 *      (completed ones too); and a few double bookings of a mechanic — data the exclusion constraint of migration
 *      00017 would refuse, so the bench drops it first and builds the same GiST index without the constraint, as a
 *      database restored from elsewhere would have to;
 *   2. builds the project, starts `node dist/cmd/cli.js server` with `log_statement = 'all'` for the bench
 *      database, warms the request and reads back from PostgreSQL's log the statements one more runs ("statements
 *      per request", and the pgbench script); prints EXPLAIN (ANALYZE, BUFFERS) of each;
 *   3. restarts the server without statement logging and runs autocannon against the first page at 1 and 4
 *      connections (BENCH_CONNECTIONS), each beside pgbench with the captured statements;
 *   4. writes everything to bench/results/conflicts.json.
 */
import { execFileSync } from 'node:child_process';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import type { DB } from '../src/infra/postgres/schema.js';
import {
  benchDatabaseUrl,
  captureStatements,
  comparisonRow,
  createBenchOrg,
  createScratchDatabase,
  dropScratchDatabase,
  loadTest,
  login,
  peakRssMb,
  pgbench,
  printStatements,
  startLoggingStatements,
  startServer,
  stopLoggingStatements,
  stopServer,
  writeResults,
  type BenchServer,
} from './support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,4').split(',').map(Number);
const AIRCRAFT = Number(process.env.BENCH_AIRCRAFT ?? 10_000);
const TASKS = Number(process.env.BENCH_TASKS ?? 1_000_000);
const PER_AIRCRAFT = Math.max(4, Math.round(TASKS / AIRCRAFT));
const MECHANICS = 500;
const DB_NAME = 'amss_bench_conflicts';
const PORT = 18097;
const PASSWORD = 'Bench-Planner-2026';
const PLANNER = 'planner@conflicts.bench.local';
const DAY_MS = 86_400_000;

async function seed(url: string): Promise<void> {
  const handle = connectPostgres(url, { max: 2 });
  const db: Kysely<DB> = handle.db;
  try {
    await migrateToLatest(db);
    const { orgId, passwordHash: hash } = await createBenchOrg(db, 'Conflict Air', {
      email: PLANNER,
      password: PASSWORD,
    });
    await sql`
      INSERT INTO users (org_id, email, role, password_hash)
      SELECT ${orgId}::uuid, 'mechanic' || m || '@conflicts.bench.local', 'mechanic', ${hash}
        FROM generate_series(0, ${MECHANICS - 1}) m`.execute(db);
    const b1 = sql`(SELECT id FROM certification_types WHERE org_id IS NULL AND authority = 'EASA' AND code = 'PART66-B1')`;
    await sql`
      INSERT INTO employee_certifications (org_id, user_id, certification_type_id, certificate_number, issue_date,
                                           expiry_date)
      SELECT u.org_id, u.id, ${b1}, 'LIC-' || u.email, now() - interval '1 year', now() + interval '2 years'
        FROM users u
       WHERE u.org_id = ${orgId} AND u.role = 'mechanic'
         AND split_part(substr(u.email, 9), '@', 1)::int % 100 <> 3`.execute(db);
    await sql`
      INSERT INTO task_skill_requirements (org_id, task_type, certification_type_id, description)
      VALUES (${orgId}, 'overhaul', ${b1}, 'Overhauls need a B1')`.execute(db);
    await sql`
      INSERT INTO aircraft (org_id, tail_number, model, aircraft_type_id, serial_number, next_due)
      SELECT ${orgId}::uuid, 'CA' || lpad(n::text, 5, '0'), 'A320-214',
             (SELECT id FROM aircraft_types WHERE designator = 'A320'), (1000 + n)::text, now() + (n % 90) * interval '1 day'
        FROM generate_series(0, ${AIRCRAFT - 1}) n`.execute(db);
    // n: the aircraft's number, 0-based; its mechanic is n % 500 and its slot (n / 500) × 8 h, so no mechanic is
    // ever on two overlapping tasks.
    await sql`CREATE TEMP TABLE fleet AS
      SELECT id, org_id, (row_number() OVER (ORDER BY tail_number) - 1)::int AS n FROM aircraft WHERE org_id = ${orgId}`.execute(
      db,
    );
    await sql`CREATE TEMP TABLE crew AS
      SELECT id, split_part(substr(email, 9), '@', 1)::int AS m FROM users WHERE org_id = ${orgId} AND role = 'mechanic'`.execute(
      db,
    );
    await sql`
      INSERT INTO maintenance_programs (org_id, aircraft_id, name, interval_type, interval_value, last_performed)
      SELECT org_id, id, 'A-check', 'calendar', 30,
             CASE WHEN n % 100 = 0 THEN now() - interval '40 days' ELSE now() - (n % 20) * interval '1 day' END
        FROM fleet`.execute(db);
    // The history: completed tasks, one every 3 days going back.
    await sql`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, type, state, start_time, end_time, assigned_mechanic_id)
      SELECT f.org_id, f.id, (CASE WHEN k % 10 = 3 THEN 'overhaul' ELSE 'inspection' END)::task_type, 'completed',
             now() - (k + 1) * interval '3 days', now() - (k + 1) * interval '3 days' + interval '6 hours', c.id
        FROM fleet f CROSS JOIN generate_series(0, ${PER_AIRCRAFT - 4}) k
        JOIN crew c ON c.m = f.n % ${MECHANICS}`.execute(db);
    // The plan: three active tasks 10 days apart, the first booked for the program.
    await sql`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, program_id, type, state, start_time, end_time,
                                     assigned_mechanic_id, priority)
      SELECT f.org_id, f.id, CASE WHEN k = 0 THEN p.id END,
             (CASE WHEN f.n % 10 = 3 THEN 'overhaul' ELSE 'inspection' END)::task_type, 'scheduled',
             date_trunc('hour', now()) + interval '1 day' + k * interval '10 days' + (f.n / ${MECHANICS}) * interval '8 hours',
             date_trunc('hour', now()) + interval '1 day' + k * interval '10 days' + (f.n / ${MECHANICS}) * interval '8 hours'
               + interval '6 hours',
             c.id, (CASE WHEN f.n % 50 = 0 THEN 'aog' ELSE 'routine' END)::task_priority
        FROM fleet f CROSS JOIN generate_series(0, 2) k
        JOIN crew c ON c.m = f.n % ${MECHANICS}
        JOIN maintenance_programs p ON p.org_id = f.org_id AND p.aircraft_id = f.id`.execute(db);
    await sql`
      INSERT INTO task_dependencies (org_id, predecessor_id, successor_id, lag_minutes)
      SELECT f.org_id, a.id, b.id, CASE WHEN f.n % 1000 = 0 THEN 20 * 24 * 60 ELSE 0 END
        FROM fleet f
        JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY start_time) AS k FROM maintenance_tasks t
                       WHERE t.org_id = f.org_id AND t.aircraft_id = f.id AND t.state = 'scheduled') a ON a.k = 1
        JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY start_time) AS k FROM maintenance_tasks t
                       WHERE t.org_id = f.org_id AND t.aircraft_id = f.id AND t.state = 'scheduled') b ON b.k = 2
       WHERE f.n % 10 = 0`.execute(db);
    await sql`
      INSERT INTO part_definitions (org_id, name, category, reorder_point, lead_time_days)
      SELECT ${orgId}::uuid, 'Part ' || d, 'filters', 2, 5 + d % 20 FROM generate_series(0, 499) d`.execute(
      db,
    );
    await sql`CREATE TEMP TABLE defs AS
      SELECT id, (row_number() OVER (ORDER BY name) - 1)::int AS d FROM part_definitions WHERE org_id = ${orgId}`.execute(
      db,
    );
    await sql`
      INSERT INTO part_items (org_id, part_definition_id, serial_number)
      SELECT ${orgId}::uuid, defs.id, 'SN-' || defs.d || '-' || i
        FROM defs CROSS JOIN generate_series(1, 5) i
       WHERE defs.d % 50 <> 0 OR i = 1`.execute(db);
    await sql`
      INSERT INTO task_part_requirements (org_id, task_id, part_definition_id, quantity)
      SELECT t.org_id, t.id, defs.id, 1
        FROM maintenance_tasks t
        JOIN fleet f ON f.id = t.aircraft_id
        JOIN defs ON defs.d = (f.n / 20) % 500
       WHERE t.org_id = ${orgId} AND f.n % 20 = 0`.execute(db);
    // A few double bookings, as restored data may hold: the constraint goes, its GiST index stays.
    await sql`ALTER TABLE maintenance_tasks DROP CONSTRAINT maintenance_tasks_mechanic_no_overlap`.execute(
      db,
    );
    await sql`
      UPDATE maintenance_tasks t SET assigned_mechanic_id = c.id
        FROM fleet f, crew c
       WHERE t.org_id = ${orgId} AND t.aircraft_id = f.id AND t.state = 'scheduled' AND f.n % 2000 = 1
         AND c.m = (f.n + 1) % ${MECHANICS}`.execute(db);
    await sql`CREATE INDEX maintenance_tasks_mechanic_active_window_idx ON maintenance_tasks
      USING gist (org_id, assigned_mechanic_id, active_window)`.execute(db);
    await sql`VACUUM ANALYZE`.execute(db);
  } finally {
    await handle.close();
  }
}

const windowQuery = () => {
  const from = new Date();
  return `from=${from.toISOString()}&to=${new Date(from.getTime() + 30 * DAY_MS).toISOString()}`;
};

async function getConflicts(server: BenchServer, token: string, query: string): Promise<{ type: string }[]> {
  const response = await fetch(`${server.baseUrl}/api/v1/scheduling/conflicts?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200)
    throw new Error(`conflicts answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { type: string }[];
}

async function explain(client: pg.Client, statements: string[]): Promise<void> {
  for (const statement of statements) {
    if (!/^\s*(WITH|SELECT)/i.test(statement)) continue;
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`);
    console.log(`\n--- ${statement.replace(/\s+/g, ' ').slice(0, 100)}…`);
    for (const row of rows) console.log(row['QUERY PLAN']);
  }
}

async function main(): Promise<void> {
  console.log(`seeding ${AIRCRAFT} aircraft × ${PER_AIRCRAFT} tasks`);
  await createScratchDatabase(DB_NAME);
  const started = Date.now();
  await seed(benchDatabaseUrl(DB_NAME));
  const seededSeconds = (Date.now() - started) / 1000;
  console.log(`seeded in ${seededSeconds.toFixed(1)} s`);
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const client = new pg.Client({ connectionString: benchDatabaseUrl(DB_NAME) });
  await client.connect();
  try {
    const counts = await client.query<{ tasks: string; active: string }>(
      `SELECT count(*) AS tasks, count(active_window) AS active FROM maintenance_tasks`,
    );
    console.log(`tasks: ${counts.rows[0]!.tasks}, active: ${counts.rows[0]!.active}`);
    await startLoggingStatements(DB_NAME);
    let statements: string[] | undefined;
    const byType: Record<string, number> = {};
    let server = await startServer(DB_NAME, PORT);
    try {
      const token = await login(server, PLANNER, PASSWORD);
      for (const conflict of await getConflicts(server, token, `${windowQuery()}&limit=200`)) {
        byType[conflict.type] = (byType[conflict.type] ?? 0) + 1;
      }
      console.log('conflicts on the first page of 200, by type:', byType);
      statements = await captureStatements(DB_NAME, () => getConflicts(server, token, windowQuery()));
      printStatements(statements);
    } finally {
      await stopServer(server);
      await stopLoggingStatements(DB_NAME);
    }
    if (statements && process.env.BENCH_EXPLAIN !== '0') await explain(client, statements);

    server = await startServer(DB_NAME, PORT);
    const rows: Record<string, unknown>[] = [];
    try {
      const token = await login(server, PLANNER, PASSWORD);
      for (const connections of CONNECTIONS) {
        console.log(`GET /scheduling/conflicts, ${connections} connection(s), ${SECONDS} s`);
        const amss = await loadTest(
          `${server.baseUrl}/api/v1/scheduling/conflicts?${windowQuery()}`,
          token,
          connections,
          SECONDS,
        );
        const floor = statements ? await pgbench(DB_NAME, statements, connections, SECONDS) : undefined;
        rows.push({
          'statements/request': statements?.length ?? null,
          ...comparisonRow(connections, amss, floor),
        });
      }
    } finally {
      const memory = peakRssMb(server.process);
      await stopServer(server);
      console.table(rows);
      writeResults('conflicts', {
        seconds: SECONDS,
        aircraft: AIRCRAFT,
        tasks: Number(counts.rows[0]!.tasks),
        activeTasks: Number(counts.rows[0]!.active),
        seededSeconds,
        firstPageByType: byType,
        reads: rows,
        serverPeakRssMb: memory,
      });
    }
  } finally {
    await client.end();
    if (process.env.BENCH_KEEP_DB !== '1') await dropScratchDatabase(DB_NAME);
  }
}

await main();
