/**
 * The dashboard at fleet scale: `GET /dashboard/metrics` uncached (DASHBOARD_CACHE_TTL=0) for an organization of
 * BENCH_AIRCRAFT aircraft (default 10,000) and BENCH_TASKS tasks (default 1,000,000), beside pgbench running the
 * statements the server ran; and the same request with the default 5 s cache.
 *
 *   npm run bench:dashboard
 *   BENCH_AIRCRAFT=1000 BENCH_TASKS=100000 BENCH_SECONDS=5 npm run bench:dashboard     (while developing)
 *   BENCH_SEED_ONLY=1 npm run bench:dashboard, then BENCH_REUSE_DB=1 BENCH_KEEP_DB=1 …   (seed once, measure often)
 *   BENCH_DB_NAME=…                                                                      (another scratch database)
 *
 * What it does, on the PostgreSQL server of AMSS_BENCH_DB_URL and the Redis of AMSS_BENCH_REDIS_ADDR:
 *   1. creates a scratch database `amss_bench_dashboard` (its own: other benches never touch it), migrates it and
 *      seeds "Dashboard Air" in set-based SQL: the aircraft (1 in 100 grounded, 1 in 20 in maintenance); 500
 *      mechanics, each with a B1 licence (1 in 10 expired, 1 in 10 each expiring in 20, 45 and 80 days); per aircraft
 *      BENCH_TASKS / BENCH_AIRCRAFT tasks: all but three completed every 3 days going back (worked, signed off; one
 *      in five finished late), and three open — the first in progress now on 1 in 20 aircraft, overdue on 1 in 100,
 *      else scheduled, each with a mechanic and never double-booked; 1 in 50 aircraft with an AOG task; a compliance
 *      item on each task of the last 30 days and each open one; 500 part definitions with 5 items each (1 in 50 with
 *      one, 1 in 100 none; 1 in 10 items expiring within 30 days) required by the tasks of 1 in 20 aircraft, half
 *      of those open requirements reserved; five directives tracked on every aircraft (some due, some overdue);
 *      and an open alert for each certification expiring or expired and each overdue task;
 *   2. builds the project, starts `node dist/cmd/cli.js server` with `log_statement = 'all'` for the bench
 *      database and DASHBOARD_CACHE_TTL=0, warms the request and reads back from PostgreSQL's log the statements one
 *      more runs ("statements per request", and the pgbench script); prints EXPLAIN (ANALYZE, BUFFERS) of each;
 *   3. restarts the server without statement logging and runs autocannon at 1 and 4 connections
 *      (BENCH_CONNECTIONS), each beside pgbench with the captured statements (one transaction = all of them, one
 *      after the other; the server sends them side by side on separate pool connections);
 *   4. restarts the server with the default cache and runs autocannon again at the highest connection count;
 *   5. writes everything to bench/results/dashboard.json.
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
const DB_NAME = process.env.BENCH_DB_NAME ?? 'amss_bench_dashboard';
const PORT = 18099;
const PASSWORD = 'Bench-Planner-2026';
const PLANNER = 'planner@dashboard.bench.local';

async function seed(url: string): Promise<void> {
  const handle = connectPostgres(url, { max: 2 });
  const db: Kysely<DB> = handle.db;
  const step = async (name: string, statement: { execute: (db: Kysely<DB>) => Promise<unknown> }) => {
    const t0 = Date.now();
    await statement.execute(db);
    console.log(`  ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  try {
    await migrateToLatest(db);
    const { orgId, passwordHash: hash } = await createBenchOrg(db, 'Dashboard Air', {
      email: PLANNER,
      password: PASSWORD,
    });
    await step(
      'mechanics',
      sql`
      INSERT INTO users (org_id, email, role, password_hash)
      SELECT ${orgId}::uuid, 'mechanic' || lpad(m::text, 3, '0') || '@dashboard.bench.local', 'mechanic', ${hash}
        FROM generate_series(0, ${MECHANICS - 1}) m`,
    );
    await sql`CREATE TEMP TABLE crew AS
      SELECT id, substr(email, 9, 3)::int AS m FROM users WHERE org_id = ${orgId} AND role = 'mechanic'`.execute(
      db,
    );
    const b1 = sql`(SELECT id FROM certification_types WHERE org_id IS NULL AND authority = 'EASA' AND code = 'PART66-B1')`;
    await step(
      'certifications',
      sql`
      INSERT INTO employee_certifications (org_id, user_id, certification_type_id, certificate_number, issue_date,
                                           expiry_date)
      SELECT ${orgId}::uuid, c.id, ${b1}, 'LIC-' || c.m, now() - interval '2 years',
             now() + CASE c.m % 10 WHEN 0 THEN -5 WHEN 1 THEN 20 WHEN 2 THEN 45 WHEN 3 THEN 80 ELSE 730 END
                     * interval '1 day'
        FROM crew c`,
    );
    await step(
      'aircraft',
      sql`
      INSERT INTO aircraft (org_id, tail_number, model, aircraft_type_id, serial_number, status, flight_hours_total,
                            cycles_total)
      SELECT ${orgId}::uuid, 'DB' || lpad(n::text, 5, '0'), 'A320-214',
             (SELECT id FROM aircraft_types WHERE designator = 'A320'), (1000 + n)::text,
             (CASE WHEN n % 100 = 2 THEN 'grounded' WHEN n % 20 = 0 THEN 'maintenance' ELSE 'operational' END)::aircraft_status,
             20000 + n % 5000, 12000 + n % 3000
        FROM generate_series(0, ${AIRCRAFT - 1}) n`,
    );
    await sql`CREATE TEMP TABLE fleet AS
      SELECT id, org_id, substr(tail_number, 3)::int AS n FROM aircraft WHERE org_id = ${orgId}`.execute(db);
    // The history: a completed task every 3 days going back, worked by the aircraft's mechanic; one in five late.
    await step(
      'completed tasks',
      sql`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, type, state, start_time, end_time, started_at, completed_at,
                                     assigned_mechanic_id)
      SELECT f.org_id, f.id, 'inspection', 'completed', s, s + interval '6 hours', s + interval '10 minutes',
             s + CASE WHEN (f.n + k) % 5 = 0 THEN interval '8 hours' ELSE interval '5 hours' END, c.id
        FROM fleet f CROSS JOIN generate_series(0, ${PER_AIRCRAFT - 4}) k
        JOIN crew c ON c.m = f.n % ${MECHANICS}
        CROSS JOIN LATERAL (SELECT date_trunc('hour', now()) - (k + 1) * interval '3 days'
                                   + (f.n / ${MECHANICS}) * interval '1 hour' AS s) w`,
    );
    // The plan: three open tasks per aircraft. The first is in progress now (1 in 20 aircraft, the mechanic
    // n / 20), overdue (1 in 100: scheduled, its start past) or scheduled; all others 10 days apart from tomorrow,
    // in the mechanic's own 8-hour slot, so no mechanic is ever on two overlapping tasks.
    await step(
      'open tasks',
      sql`
      INSERT INTO maintenance_tasks (org_id, aircraft_id, type, state, start_time, end_time, started_at,
                                     assigned_mechanic_id, priority)
      SELECT f.org_id, f.id, 'inspection',
             (CASE WHEN k = 0 AND f.n % 20 = 0 THEN 'in_progress' ELSE 'scheduled' END)::task_state,
             CASE WHEN k = 0 AND f.n % 20 = 0 THEN now() - interval '2 hours'
                  WHEN k = 0 AND f.n % 100 = 1 THEN now() - interval '6 hours'
                  ELSE date_trunc('hour', now()) + interval '1 day' + k * interval '10 days'
                       + (f.n / ${MECHANICS}) * interval '8 hours' END,
             CASE WHEN k = 0 AND f.n % 20 = 0 THEN now() + interval '4 hours'
                  WHEN k = 0 AND f.n % 100 = 1 THEN now() + interval '2 hours'
                  ELSE date_trunc('hour', now()) + interval '1 day' + k * interval '10 days'
                       + (f.n / ${MECHANICS}) * interval '8 hours' + interval '6 hours' END,
             CASE WHEN k = 0 AND f.n % 20 = 0 THEN now() - interval '2 hours' END,
             CASE WHEN k = 0 AND f.n % 20 = 0 THEN (SELECT id FROM crew WHERE m = f.n / 20)
                  WHEN k = 0 AND f.n % 100 = 1 THEN NULL
                  ELSE c.id END,
             (CASE WHEN k = 1 AND f.n % 50 = 0 THEN 'aog' ELSE 'routine' END)::task_priority
        FROM fleet f CROSS JOIN generate_series(0, 2) k
        JOIN crew c ON c.m = f.n % ${MECHANICS}`,
    );
    // Compliance items: one per task of the last 30 days (signed off) and per open task (pending).
    await step(
      'compliance items',
      sql`
      INSERT INTO compliance_items (org_id, task_id, description)
      SELECT org_id, id, 'Torque check' FROM maintenance_tasks
       WHERE org_id = ${orgId} AND (active_window IS NOT NULL OR completed_at > now() - interval '30 days')`,
    );
    await step(
      'sign-offs',
      sql`
      UPDATE compliance_items ci SET result = 'pass', sign_off_user_id = t.assigned_mechanic_id,
             sign_off_time = t.completed_at, sign_off_meaning = 'performed'
        FROM maintenance_tasks t
       WHERE ci.org_id = ${orgId} AND t.org_id = ci.org_id AND t.id = ci.task_id AND t.state = 'completed'`,
    );
    await step(
      'parts',
      sql`
      INSERT INTO part_definitions (org_id, name, category, reorder_point, lead_time_days)
      SELECT ${orgId}::uuid, 'Part ' || lpad(d::text, 3, '0'), 'filters', 2, 5 + d % 20 FROM generate_series(0, 499) d`,
    );
    await sql`CREATE TEMP TABLE defs AS
      SELECT id, substr(name, 6)::int AS d FROM part_definitions WHERE org_id = ${orgId}`.execute(db);
    await step(
      'part items',
      sql`
      INSERT INTO part_items (org_id, part_definition_id, serial_number, expiry_date)
      SELECT ${orgId}::uuid, defs.id, 'SN-' || defs.d || '-' || i,
             CASE WHEN (defs.d + i) % 10 = 0 THEN now() + interval '20 days' ELSE now() + interval '2 years' END
        FROM defs CROSS JOIN generate_series(1, 5) i
       WHERE defs.d % 100 <> 0 AND (defs.d % 50 <> 0 OR i = 1)`,
    );
    await step(
      'part requirements',
      sql`
      INSERT INTO task_part_requirements (org_id, task_id, part_definition_id, quantity)
      SELECT t.org_id, t.id, defs.id, 1
        FROM maintenance_tasks t
        JOIN fleet f ON f.id = t.aircraft_id
        JOIN defs ON defs.d = (f.n / 20) % 500
       WHERE t.org_id = ${orgId} AND f.n % 20 = 0`,
    );
    // Half of the open requirements reserved: the second open task of every other of those aircraft, one item
    // each of a definition no other of them uses.
    await step(
      'reservations',
      sql`
      INSERT INTO part_reservations (org_id, task_id, part_item_id)
      SELECT t.org_id, t.id, (SELECT i.id FROM part_items i WHERE i.org_id = t.org_id AND i.part_definition_id = r.part_definition_id
                                ORDER BY i.serial_number LIMIT 1)
        FROM maintenance_tasks t
        JOIN fleet f ON f.id = t.aircraft_id
        JOIN task_part_requirements r ON r.org_id = t.org_id AND r.task_id = t.id
       WHERE t.org_id = ${orgId} AND f.n % 40 = 0 AND t.state = 'scheduled'
         AND t.start_time > now() + interval '9 days' AND t.start_time < now() + interval '19 days'
         AND EXISTS (SELECT 1 FROM part_items i WHERE i.org_id = t.org_id AND i.part_definition_id = r.part_definition_id)`,
    );
    // Five directives on every aircraft: due by date in 10, 25 and 200 days, overdue since 5 days, and one by hours.
    await step(
      'directives',
      sql`
      INSERT INTO directives (org_id, authority_id, type, reference_number, title, effective_date, limit_days,
                              limit_flight_hours)
      SELECT ${orgId}::uuid, (SELECT id FROM regulatory_authorities WHERE code = 'EASA'), 'ad', '2026-DB' || n,
             'Bench directive ' || n, current_date - 30, CASE WHEN n < 4 THEN 30 + (ARRAY[10, 25, 200, -5])[n + 1] END,
             CASE WHEN n = 4 THEN 600 END
        FROM generate_series(0, 4) n`,
    );
    await step(
      'directive tracking',
      sql`
      INSERT INTO aircraft_directives (org_id, aircraft_id, directive_id, baseline_date, baseline_flight_hours,
                                       baseline_cycles, next_due_date, next_due_flight_hours)
      SELECT a.org_id, a.id, d.id, d.effective_date, a.flight_hours_total - 100, a.cycles_total,
             d.effective_date + d.limit_days, a.flight_hours_total - 100 + d.limit_flight_hours
        FROM aircraft a CROSS JOIN directives d
       WHERE a.org_id = ${orgId} AND d.org_id = ${orgId}`,
    );
    await step(
      'alerts',
      sql`
      INSERT INTO alerts (org_id, level, category, title, description, entity_type, entity_id, user_id)
      SELECT ec.org_id,
             (CASE WHEN ec.expiry_date <= now() + interval '30 days' THEN 'critical'
                   WHEN ec.expiry_date <= now() + interval '60 days' THEN 'warning' ELSE 'info' END)::alert_level,
             (CASE WHEN ec.expiry_date <= now() THEN 'certification_expired' ELSE 'certification_expiring' END)::alert_category,
             'Licence expiring', 'Bench alert', 'certification'::alert_entity_type, ec.id, ec.user_id
        FROM employee_certifications ec
       WHERE ec.org_id = ${orgId} AND ec.expiry_date <= now() + interval '90 days'
      UNION ALL
      SELECT t.org_id, 'warning'::alert_level, 'task_overdue'::alert_category, 'Task overdue', 'Bench alert',
             'task'::alert_entity_type, t.id, t.assigned_mechanic_id
        FROM maintenance_tasks t
       WHERE t.org_id = ${orgId} AND t.state = 'scheduled' AND t.start_time < now()`,
    );
    await sql`VACUUM ANALYZE`.execute(db);
  } finally {
    await handle.close();
  }
}

async function getMetrics(server: BenchServer, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.baseUrl}/api/v1/dashboard/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200)
    throw new Error(`dashboard answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function explain(client: pg.Client, statements: string[]): Promise<void> {
  for (const statement of statements) {
    if (!/^\s*(WITH|SELECT)/i.test(statement)) continue;
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`);
    console.log(`\n--- ${statement.replace(/\s+/g, ' ').slice(0, 100)}…`);
    for (const row of rows) console.log(row['QUERY PLAN']);
  }
}

/** Starts the server with the dashboard cache `ttl` (`0s`… `0` switches it off). */
async function startWithCache(ttl: string): Promise<BenchServer> {
  process.env.DASHBOARD_CACHE_TTL = ttl;
  return startServer(DB_NAME, PORT);
}

async function main(): Promise<void> {
  let seededSeconds: number | null = null;
  if (process.env.BENCH_REUSE_DB === '1') {
    console.log(`reusing ${DB_NAME}`);
  } else {
    console.log(`seeding ${AIRCRAFT} aircraft × ${PER_AIRCRAFT} tasks`);
    await createScratchDatabase(DB_NAME);
    const started = Date.now();
    await seed(benchDatabaseUrl(DB_NAME));
    seededSeconds = (Date.now() - started) / 1000;
    console.log(`seeded in ${seededSeconds.toFixed(1)} s`);
    if (process.env.BENCH_SEED_ONLY === '1') return;
  }
  if (process.env.BENCH_BUILD !== '0')
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const client = new pg.Client({ connectionString: benchDatabaseUrl(DB_NAME) });
  await client.connect();
  try {
    const counts = await client.query<{ aircraft: string; tasks: string }>(
      `SELECT (SELECT count(*) FROM aircraft) AS aircraft, (SELECT count(*) FROM maintenance_tasks) AS tasks`,
    );
    console.log(`aircraft: ${counts.rows[0]!.aircraft}, tasks: ${counts.rows[0]!.tasks}`);
    await startLoggingStatements(DB_NAME);
    let statements: string[] | undefined;
    let sample: Record<string, unknown> = {};
    let server = await startWithCache('0');
    try {
      const token = await login(server, PLANNER, PASSWORD);
      sample = await getMetrics(server, token);
      console.log(
        JSON.stringify({ ...sample, mechanics: { ...(sample.mechanics as object), utilisation: '…' } }),
      );
      statements = await captureStatements(DB_NAME, () => getMetrics(server, token));
      printStatements(statements);
    } finally {
      await stopServer(server);
      await stopLoggingStatements(DB_NAME);
    }
    if (statements && process.env.BENCH_EXPLAIN !== '0') await explain(client, statements);

    server = await startWithCache('0');
    const rows: Record<string, unknown>[] = [];
    let memory = 0;
    try {
      const token = await login(server, PLANNER, PASSWORD);
      for (const connections of CONNECTIONS) {
        console.log(`GET /dashboard/metrics uncached, ${connections} connection(s), ${SECONDS} s`);
        const amss = await loadTest(
          `${server.baseUrl}/api/v1/dashboard/metrics`,
          token,
          connections,
          SECONDS,
        );
        const floor = statements ? await pgbench(DB_NAME, statements, connections, SECONDS) : undefined;
        rows.push({
          cache: 'off',
          'statements/request': statements?.length ?? null,
          ...comparisonRow(connections, amss, floor),
        });
      }
    } finally {
      memory = peakRssMb(server.process);
      await stopServer(server);
    }

    server = await startWithCache('5s');
    try {
      const token = await login(server, PLANNER, PASSWORD);
      const connections = Math.max(...CONNECTIONS);
      console.log(`GET /dashboard/metrics cached (5 s), ${connections} connection(s), ${SECONDS} s`);
      const amss = await loadTest(`${server.baseUrl}/api/v1/dashboard/metrics`, token, connections, SECONDS);
      rows.push({ cache: '5 s', 'statements/request': null, ...comparisonRow(connections, amss, undefined) });
    } finally {
      memory = Math.max(memory, peakRssMb(server.process));
      await stopServer(server);
      console.table(rows);
      writeResults('dashboard', {
        seconds: SECONDS,
        aircraft: Number(counts.rows[0]!.aircraft),
        tasks: Number(counts.rows[0]!.tasks),
        seededSeconds,
        sample: { ...sample, mechanics: { ...(sample.mechanics as object), utilisation: undefined } },
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
