/**
 * `GET /api/v1/qualified-mechanics?task_id=` for an organization with 2,000 mechanics, beside pgbench running the
 * same SQL.
 *
 *   npm run bench:qualified-mechanics
 *   BENCH_MECHANICS=500 BENCH_SECONDS=20 npm run bench:qualified-mechanics
 *
 * What it does, on the PostgreSQL server of AMSS_BENCH_DB_URL and the Redis of AMSS_BENCH_REDIS_ADDR:
 *   1. creates a scratch database `amss_bench_qualified`, migrates it and seeds, in set-based SQL, one organization,
 *      one scheduler, BENCH_MECHANICS mechanics each with 5 certifications, 3 type ratings, 4 skills and 10 logged
 *      flights' worth of recency, the requirements of an A320 inspection (certification, type rating, skill with a
 *      minimum proficiency, recent hours; certifying and inspection rows), two booked tasks per mechanic (some
 *      overlapping the window asked about) and the unassigned task the dialog is opened for. The data varies so that
 *      every reason shows up: expired, suspended and revoked licences, missing ratings, low proficiency, few hours;
 *   2. builds the project and starts `node dist/cmd/cli.js server` with `log_statement = 'all'` for the bench
 *      database, makes a few requests to warm the caches, then one more, and reads from PostgreSQL's log every
 *      statement that request ran: their number is the "queries per request" figure (the goal is a constant ≤ 3),
 *      and the statements themselves, with their parameters, become the pgbench script — so the floor is always
 *      the SQL the server really runs;
 *   3. restarts the server without statement logging and runs autocannon at 1, 4 and 16 connections;
 *   4. runs pgbench with the captured statements at the same concurrency;
 *   5. prints req/s, p50/p99 latency, the ratio to pgbench, queries per request and the server's peak memory, and
 *      writes them to bench/results/qualified-mechanics.json.
 * PostgreSQL's log must be readable (Debian: /var/log/postgresql/postgresql-<major>-main.log, or AMSS_BENCH_PG_LOG);
 * without it the statement count and the pgbench floor are skipped.
 */
import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
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
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,4,16').split(',').map(Number);
const MECHANICS = Number(process.env.BENCH_MECHANICS ?? 2000);
const DB_NAME = 'amss_bench_qualified';
const PORT = 18091;
const PASSWORD = 'Bench-Scheduler-2026';
const SCHEDULER = 'scheduler@bench.local';
/** The window of the task the assignment dialog is opened for. */
const WINDOW_START = '2031-06-01T08:00:00Z';
const WINDOW_END = '2031-06-01T16:00:00Z';

/** The seeded organization and the task the dialog is opened for. */
interface Seeded {
  orgId: string;
  taskId: string;
}

async function seed(url: string): Promise<Seeded> {
  const handle = connectPostgres(url, { max: 2 });
  const db = handle.db;
  try {
    await migrateToLatest(db);
    const { orgId, passwordHash } = await createBenchOrg(db, 'Bench Air', {
      email: SCHEDULER,
      password: PASSWORD,
    });
    await sql`
      INSERT INTO users (org_id, email, role, password_hash)
      SELECT ${orgId}::uuid, 'mechanic' || n || '@bench.local', 'mechanic', ${passwordHash}
        FROM generate_series(1, ${MECHANICS}) n`.execute(db);
    // Five certifications each; the B1 is expired for every 7th mechanic, suspended for every 11th, revoked for
    // every 13th.
    await sql`
      INSERT INTO employee_certifications (org_id, user_id, certification_type_id, certificate_number, issue_date,
                                           expiry_date, status)
      SELECT u.org_id, u.id, ct.id, ct.code || '-' || u.email, timestamptz '2024-01-01',
             CASE WHEN ct.expires THEN
               CASE WHEN ct.code = 'PART66-B1' AND u.n % 7 = 0 THEN timestamptz '2031-06-01T12:00:00Z'
                    ELSE timestamptz '2034-01-01' END END,
             CASE WHEN ct.code = 'PART66-B1' AND u.n % 11 = 0 THEN 'suspended'
                  WHEN ct.code = 'PART66-B1' AND u.n % 13 = 0 THEN 'revoked'
                  ELSE 'active' END::certification_status
        FROM (SELECT id, org_id, email, row_number() OVER (ORDER BY email) AS n FROM users
               WHERE org_id = ${orgId} AND role = 'mechanic') u
        CROSS JOIN certification_types ct
       WHERE ct.org_id IS NULL
         AND (ct.authority, ct.code) IN (('EASA', 'PART66-A'), ('EASA', 'PART66-B1'), ('EASA', 'PART66-B2'),
                                         ('EASA', 'PART66-C'), ('FAA', 'A&P'))`.execute(db);
    // Three type ratings on the B1; every 5th mechanic lacks the A320 one.
    await sql`
      INSERT INTO type_ratings (org_id, user_id, aircraft_type_id, certification_id, endorsed_date)
      SELECT c.org_id, c.user_id, at.id, c.id, timestamptz '2024-02-01'
        FROM employee_certifications c
        JOIN certification_types ct ON ct.id = c.certification_type_id AND ct.authority = 'EASA' AND ct.code = 'PART66-B1'
        JOIN (SELECT id, org_id, row_number() OVER (ORDER BY email) AS n FROM users
               WHERE org_id = ${orgId} AND role = 'mechanic') u ON u.id = c.user_id
        JOIN aircraft_types at ON at.designator IN ('A320', 'A321', 'B738') AND (at.designator <> 'A320' OR u.n % 5 <> 0)
       WHERE c.org_id = ${orgId}`.execute(db);
    // Four skills; proficiency 1–5 by mechanic, so some are below the requirement's minimum.
    await sql`
      INSERT INTO employee_skills (org_id, user_id, skill_type_id, proficiency, expiry_date)
      SELECT u.org_id, u.id, st.id, 1 + (u.n % 5), timestamptz '2034-01-01'
        FROM (SELECT id, org_id, row_number() OVER (ORDER BY email) AS n FROM users
               WHERE org_id = ${orgId} AND role = 'mechanic') u
        CROSS JOIN skill_types st
       WHERE st.org_id IS NULL AND st.code IN ('BORESCOPE', 'NDT-ET', 'ENGINE-RUN', 'HUMAN-FACTORS')`.execute(
      db,
    );
    // Ten logged shifts on the A320 in the months before the window, 0.5 to 4.5 hours each.
    await sql`
      INSERT INTO recency_entries (org_id, user_id, aircraft_type_id, hours, performed_at)
      SELECT u.org_id, u.id, at.id, 0.5 + ((u.n + k) % 5), timestamptz '2031-06-01' - (k * 9) * interval '1 day'
        FROM (SELECT id, org_id, row_number() OVER (ORDER BY email) AS n FROM users
               WHERE org_id = ${orgId} AND role = 'mechanic') u
        CROSS JOIN aircraft_types at
        CROSS JOIN generate_series(1, 10) k
       WHERE at.designator = 'A320'`.execute(db);
    // One aircraft per mechanic for their bookings, and the aircraft the dialog is about.
    await sql`
      INSERT INTO aircraft (org_id, tail_number, model, aircraft_type_id)
      SELECT ${orgId}::uuid, 'BQ' || n, 'A320-214', (SELECT id FROM aircraft_types WHERE designator = 'A320')
        FROM generate_series(0, ${MECHANICS}) n`.execute(db);
    // Two bookings per mechanic; every 4th mechanic's first one overlaps the window.
    await sql`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time, assigned_mechanic_id)
      SELECT u.org_id, a.id, 'repair',
             ${WINDOW_START}::timestamptz + CASE WHEN k = 1 AND u.n % 4 = 0 THEN interval '2 hours'
                                               ELSE (k * 2) * interval '1 day' END,
             ${WINDOW_START}::timestamptz + CASE WHEN k = 1 AND u.n % 4 = 0 THEN interval '4 hours'
                                               ELSE (k * 2) * interval '1 day' + interval '3 hours' END,
             u.id
        FROM (SELECT id, org_id, row_number() OVER (ORDER BY email) AS n FROM users
               WHERE org_id = ${orgId} AND role = 'mechanic') u
        JOIN aircraft a ON a.org_id = u.org_id AND a.tail_number = 'BQ' || u.n
        CROSS JOIN generate_series(1, 2) k`.execute(db);
    await sql`
      INSERT INTO task_skill_requirements (org_id, task_type, aircraft_type_id, certification_type_id,
                                           type_rating_required, skill_type_id, min_proficiency,
                                           min_recency_hours, recency_window_days, certifying, inspection)
      SELECT ${orgId}::uuid, 'inspection'::task_type, at.id, b1.id, true, bs.id, 3, 10, 90, false, false
        FROM aircraft_types at, certification_types b1, skill_types bs
       WHERE at.designator = 'A320' AND b1.org_id IS NULL AND b1.authority = 'EASA' AND b1.code = 'PART66-B1'
         AND bs.org_id IS NULL AND bs.code = 'BORESCOPE'
      UNION ALL
      SELECT ${orgId}::uuid, 'inspection'::task_type, at.id, c.id, false, NULL, NULL, NULL, NULL, true, false
        FROM aircraft_types at, certification_types c
       WHERE at.designator = 'A320' AND c.org_id IS NULL AND c.authority = 'EASA' AND c.code = 'PART66-C'
      UNION ALL
      SELECT ${orgId}::uuid, 'inspection'::task_type, at.id, b2.id, false, NULL, NULL, NULL, NULL, false, true
        FROM aircraft_types at, certification_types b2
       WHERE at.designator = 'A320' AND b2.org_id IS NULL AND b2.authority = 'EASA' AND b2.code = 'PART66-B2'`.execute(
      db,
    );
    const task = await sql<{ id: string }>`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time)
      SELECT ${orgId}::uuid, id, 'inspection', ${WINDOW_START}::timestamptz, ${WINDOW_END}::timestamptz FROM aircraft
       WHERE org_id = ${orgId} AND tail_number = 'BQ0'
      RETURNING id`.execute(db);
    await sql`ANALYZE`.execute(db);
    return { orgId, taskId: task.rows[0]!.id };
  } finally {
    await handle.close();
  }
}

const askOnce = async (server: BenchServer, token: string, taskId: string): Promise<unknown[]> => {
  const response = await fetch(`${server.baseUrl}/api/v1/qualified-mechanics?task_id=${taskId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200)
    throw new Error(`qualified-mechanics answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as unknown[];
};

async function main(): Promise<void> {
  console.log(`seeding ${MECHANICS} mechanics`);
  await createScratchDatabase(DB_NAME);
  const started = Date.now();
  const { taskId } = await seed(benchDatabaseUrl(DB_NAME));
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  try {
    await startLoggingStatements(DB_NAME);
    let server = await startServer(DB_NAME, PORT);
    let token: string;
    let answer: unknown[];
    let statements: string[] | undefined;
    try {
      token = await login(server, SCHEDULER, PASSWORD);
      answer = await askOnce(server, token, taskId);
      statements = await captureStatements(DB_NAME, () => askOnce(server, token, taskId));
    } finally {
      await stopServer(server);
    }
    await stopLoggingStatements(DB_NAME);
    console.log(`the answer lists ${answer.length} mechanics`);
    printStatements(statements);

    server = await startServer(DB_NAME, PORT);
    token = await login(server, SCHEDULER, PASSWORD);
    const rows: Record<string, unknown>[] = [];
    try {
      for (const connections of CONNECTIONS) {
        console.log(`GET /qualified-mechanics, ${connections} connection(s), ${SECONDS} s`);
        const url = `${server.baseUrl}/api/v1/qualified-mechanics?task_id=${taskId}`;
        const amss = await loadTest(url, token, connections, SECONDS);
        const floor = statements ? await pgbench(DB_NAME, statements, connections, SECONDS) : undefined;
        rows.push(comparisonRow(connections, amss, floor));
      }
    } finally {
      const memory = peakRssMb(server.process);
      await stopServer(server);
      console.table(rows);
      console.log(`server peak RSS (VmHWM): ${memory} MB`);
      writeResults('qualified-mechanics', {
        seconds: SECONDS,
        mechanics: MECHANICS,
        answerLength: answer.length,
        statementsPerRequest: statements?.length ?? null,
        serverPeakRssMb: memory,
        rows,
      });
    }
  } finally {
    if (process.env.BENCH_KEEP_DB !== '1') await dropScratchDatabase(DB_NAME);
  }
}

await main();
