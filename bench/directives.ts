/**
 * Airworthiness directives at fleet scale: `GET /due-list` and `GET /compliance-matrix` for 1,000 aircraft ×
 * 5 programs × 200 directives beside pgbench running the same SQL, and `POST /directives/{id}/scan-fleet` over
 * 10,000 aircraft beside its `INSERT … SELECT` run by PostgreSQL alone.
 *
 *   npm run bench:directives
 *   BENCH_SECONDS=20 BENCH_SCAN_AIRCRAFT=20000 npm run bench:directives
 *
 * What it does, on the PostgreSQL server of AMSS_BENCH_DB_URL and the Redis of AMSS_BENCH_REDIS_ADDR:
 *   1. creates a scratch database `amss_bench_directives`, migrates it and seeds, in set-based SQL, two
 *      organizations. "Due Air": BENCH_AIRCRAFT A320s (default 1,000) with a month of flights each (so usage limits
 *      are projected), 5 programs per aircraft (two calendar, two flight-hours, one cycles), BENCH_DIRECTIVES
 *      directives (default 200; FAA and EASA, ADs and SBs, date/day/hour/cycle limits, a third recurring) and a
 *      tracking row for every pair — about 60 % complied (with their signed compliance records), the rest pending,
 *      overdue, deferred or not applicable. "Scan Air": BENCH_SCAN_AIRCRAFT A320s (default 10,000) with a few
 *      flights each and one active AD that applies to all of them;
 *   2. builds the project, starts `node dist/cmd/cli.js server` with `log_statement = 'all'` for the bench database,
 *      warms each request and reads back from PostgreSQL's log the statements one more runs: their number is the
 *      "statements per request" figure, and the statements become the pgbench script (the floor);
 *   3. restarts the server without statement logging and runs autocannon against the due list's first page (50
 *      items) and the matrix's first page (50 aircraft × 200 directives) at 1 and 4 connections, each beside
 *      pgbench with the captured statements;
 *   4. scans the fleet BENCH_SCAN_ROUNDS times (default 5), each time after deleting the tracking rows, through the
 *      API and then by running the captured `INSERT … SELECT` alone in one session; reports the median rows/s of both;
 *   5. writes everything to bench/results/directives.json.
 * PostgreSQL's log must be readable (Debian: /var/log/postgresql/postgresql-<major>-main.log, or AMSS_BENCH_PG_LOG);
 * without it the statement counts and the floors are skipped.
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
  percentile,
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
const AIRCRAFT = Number(process.env.BENCH_AIRCRAFT ?? 1000);
const DIRECTIVES = Number(process.env.BENCH_DIRECTIVES ?? 200);
const SCAN_AIRCRAFT = Number(process.env.BENCH_SCAN_AIRCRAFT ?? 10_000);
const SCAN_ROUNDS = Number(process.env.BENCH_SCAN_ROUNDS ?? 5);
const DB_NAME = 'amss_bench_directives';
const PORT = 18093;
const PASSWORD = 'Bench-Planner-2026';
const DUE_PLANNER = 'planner@due.bench.local';
const SCAN_PLANNER = 'planner@scan.bench.local';

interface Seeded {
  directiveToScan: string;
}

/** `count` A320s of the org with a month of flights (`flightsPerAircraft` of them) recorded. */
async function seedFleet(
  db: Kysely<DB>,
  orgId: string,
  prefix: string,
  count: number,
  flightsPerAircraft: number,
): Promise<void> {
  await sql`
    INSERT INTO aircraft (org_id, tail_number, model, aircraft_type_id, serial_number, flight_hours_total,
                          cycles_total, next_due)
    SELECT ${orgId}::uuid, ${prefix} || lpad(n::text, 5, '0'), 'A320-214',
           (SELECT id FROM aircraft_types WHERE designator = 'A320'), (1000 + n)::text,
           20000 + (n % 5000), 12000 + (n % 3000), now() + (n % 90) * interval '1 day'
      FROM generate_series(1, ${count}) n`.execute(db);
  await sql`
    INSERT INTO aircraft_usage (org_id, aircraft_id, source_ref, flight_hours, cycles, recorded_at)
    SELECT a.org_id, a.id, 'FLT-' || k, 2.5 + (k % 4), 1 + (k % 2), now() - (k * 30.0 / ${flightsPerAircraft}) * interval '1 day'
      FROM aircraft a CROSS JOIN generate_series(1, ${flightsPerAircraft}) k
     WHERE a.org_id = ${orgId}`.execute(db);
}

async function seed(url: string): Promise<Seeded> {
  const handle = connectPostgres(url, { max: 2 });
  const db = handle.db;
  try {
    await migrateToLatest(db);
    const { orgId: dueOrg } = await createBenchOrg(db, 'Due Air', { email: DUE_PLANNER, password: PASSWORD });
    await seedFleet(db, dueOrg, 'DA', AIRCRAFT, 20);
    // Five programs per aircraft: calendar 30 and 365 days, flight hours 600 and 4,000, cycles 2,500.
    await sql`
      INSERT INTO maintenance_programs (org_id, aircraft_id, name, interval_type, interval_value, last_performed,
                                        last_performed_flight_hours, last_performed_cycles)
      SELECT a.org_id, a.id, p.name, p.kind::program_interval_type, p.every,
             CASE WHEN p.kind = 'calendar' THEN now() - ((a.n % p.every) * interval '1 day') END,
             CASE WHEN p.kind = 'flight_hours' THEN a.flight_hours_total - (a.n % p.every) END,
             CASE WHEN p.kind = 'cycles' THEN a.cycles_total - (a.n % p.every) END
        FROM (SELECT id, org_id, flight_hours_total, cycles_total, row_number() OVER (ORDER BY tail_number) AS n
                FROM aircraft WHERE org_id = ${dueOrg}) a
        CROSS JOIN (VALUES ('A-check', 'calendar', 30), ('C-check', 'calendar', 365),
                           ('Engine borescope', 'flight_hours', 600), ('Landing gear lube', 'flight_hours', 4000),
                           ('Brake wear check', 'cycles', 2500)) p (name, kind, every)`.execute(db);
    // The directives: FAA and EASA alternate; limits by date, days, hours and cycles; every third recurs.
    await sql`
      INSERT INTO directives (org_id, authority_id, type, reference_number, title, description, applicability,
                              effective_date, limit_date, limit_days, limit_flight_hours, limit_cycles,
                              recurrence_calendar_value, recurrence_calendar_unit, recurrence_flight_hours)
      SELECT ${dueOrg}::uuid, (SELECT id FROM regulatory_authorities WHERE code = CASE WHEN n % 2 = 0 THEN 'FAA' ELSE 'EASA' END),
             CASE WHEN n % 5 = 0 THEN 'sb' ELSE 'ad' END::directive_type,
             '2026-' || lpad(n::text, 4, '0'), 'Inspection of item ' || n, 'Bench directive ' || n,
             CASE WHEN n % 5 = 0 THEN 'recommended' ELSE 'mandatory' END::directive_applicability,
             current_date - (n % 400),
             CASE WHEN n % 4 = 0 THEN current_date - (n % 400) + 180 END,
             CASE WHEN n % 4 = 1 THEN 30 + n END,
             CASE WHEN n % 4 = 2 THEN 500 + n END,
             CASE WHEN n % 4 = 3 THEN 300 + n END,
             CASE WHEN n % 3 = 0 THEN 12 END, CASE WHEN n % 3 = 0 THEN 'months' END::calendar_unit,
             CASE WHEN n % 3 = 0 THEN 3000 END
        FROM generate_series(1, ${DIRECTIVES}) n`.execute(db);
    await sql`
      INSERT INTO directive_aircraft_types (org_id, directive_id, aircraft_type_id)
      SELECT org_id, id, (SELECT id FROM aircraft_types WHERE designator = 'A320') FROM directives
       WHERE org_id = ${dueOrg}`.execute(db);
    // A tracking row for every pair, open at first: due by the directive's own limit.
    await sql`
      INSERT INTO aircraft_directives (org_id, aircraft_id, directive_id, baseline_date, baseline_flight_hours,
                                       baseline_cycles, next_due_date, next_due_flight_hours, next_due_cycles)
      SELECT a.org_id, a.id, d.id, d.effective_date, a.flight_hours_total - 200, a.cycles_total - 100,
             coalesce(d.limit_date, d.effective_date + d.limit_days),
             a.flight_hours_total - 200 + d.limit_flight_hours, a.cycles_total - 100 + d.limit_cycles
        FROM aircraft a JOIN directives d ON d.org_id = a.org_id
       WHERE a.org_id = ${dueOrg}`.execute(db);
    // Six in ten complied with, signed (recurring ones due again a year on), then some deferred, not applicable
    // or overdue.
    const signer = await db
      .selectFrom('users')
      .select('id')
      .where('org_id', '=', dueOrg)
      .executeTakeFirstOrThrow();
    await sql`
      INSERT INTO directive_compliance_records (org_id, aircraft_directive_id, aircraft_id, directive_id,
                                                performed_at, flight_hours, cycles, method, signed_by,
                                                next_due_date, next_due_flight_hours)
      SELECT ad.org_id, ad.id, ad.aircraft_id, ad.directive_id, now() - interval '20 days',
             ad.baseline_flight_hours + 100, ad.baseline_cycles + 50, 'inspection', ${signer.id}::uuid,
             CASE WHEN d.recurrence_calendar_value IS NOT NULL THEN current_date + 345 END,
             CASE WHEN d.recurrence_flight_hours IS NOT NULL THEN ad.baseline_flight_hours + 3100 END
        FROM aircraft_directives ad
        JOIN directives d ON d.org_id = ad.org_id AND d.id = ad.directive_id
        JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM aircraft_directives WHERE org_id = ${dueOrg}) r
          ON r.id = ad.id
       WHERE ad.org_id = ${dueOrg} AND r.n % 10 < 6`.execute(db);
    await sql`
      UPDATE aircraft_directives ad
         SET last_compliance_id = c.id, last_complied_at = c.performed_at,
             next_due_date = c.next_due_date, next_due_flight_hours = c.next_due_flight_hours, next_due_cycles = NULL,
             status = CASE WHEN c.next_due_date IS NULL AND c.next_due_flight_hours IS NULL THEN 'complied'
                           ELSE 'pending' END::directive_tracking_status
        FROM directive_compliance_records c
       WHERE c.org_id = ${dueOrg} AND c.aircraft_directive_id = ad.id`.execute(db);
    await sql`
      UPDATE aircraft_directives ad
         SET status = CASE r.n % 20 WHEN 6 THEN 'deferred' WHEN 7 THEN 'not_applicable' ELSE 'overdue' END
                        ::directive_tracking_status,
             status_reason = CASE WHEN r.n % 20 IN (6, 7) THEN 'Bench: engineering disposition' END,
             deferred_until_date = CASE WHEN r.n % 20 = 6 THEN current_date + 60 END
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM aircraft_directives WHERE org_id = ${dueOrg}) r
       WHERE ad.org_id = ${dueOrg} AND ad.id = r.id AND ad.last_compliance_id IS NULL AND r.n % 20 IN (6, 7, 8)`.execute(
      db,
    );

    const { orgId: scanOrg } = await createBenchOrg(db, 'Scan Air', {
      email: SCAN_PLANNER,
      password: PASSWORD,
    });
    await seedFleet(db, scanOrg, 'SA', SCAN_AIRCRAFT, 3);
    const directive = await sql<{ id: string }>`
      INSERT INTO directives (org_id, authority_id, type, reference_number, title, effective_date, limit_days,
                              limit_flight_hours)
      SELECT ${scanOrg}::uuid, id, 'ad', '2026-0999', 'Fleet-wide inspection', current_date - 10, 90, 600
        FROM regulatory_authorities WHERE code = 'FAA'
      RETURNING id`.execute(db);
    const directiveToScan = directive.rows[0]!.id;
    await sql`
      INSERT INTO directive_aircraft_types (org_id, directive_id, aircraft_type_id)
      VALUES (${scanOrg}, ${directiveToScan}, (SELECT id FROM aircraft_types WHERE designator = 'A320'))`.execute(
      db,
    );
    await sql`ANALYZE`.execute(db);
    return { directiveToScan };
  } finally {
    await handle.close();
  }
}

async function getJson(server: BenchServer, token: string, pathAndQuery: string): Promise<unknown> {
  const response = await fetch(`${server.baseUrl}/api/v1${pathAndQuery}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200)
    throw new Error(`${pathAndQuery} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

interface ScanCounts {
  applicable: number;
  newly_tracked: number;
  already_tracked: number;
}

async function scanOnce(server: BenchServer, token: string, directiveId: string): Promise<ScanCounts> {
  const response = await fetch(`${server.baseUrl}/api/v1/directives/${directiveId}/scan-fleet`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200)
    throw new Error(`scan-fleet answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ScanCounts;
}

/** Forgets the scan's tracking rows, so the next scan tracks the whole fleet again. */
const untrack = (client: pg.Client, directiveId: string) =>
  client.query('DELETE FROM aircraft_directives WHERE directive_id = $1', [directiveId]);

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

interface ReadBench {
  name: string;
  path: string;
  describe: (answer: unknown) => string;
}

const READS: ReadBench[] = [
  {
    name: 'GET /due-list',
    path: '/due-list',
    describe: (answer) => `${(answer as unknown[]).length} items on the first page`,
  },
  {
    name: 'GET /compliance-matrix',
    path: '/compliance-matrix',
    describe: (answer) => {
      const matrix = answer as { directives: unknown[]; aircraft: { cells: unknown[] }[] };
      const cells = matrix.aircraft.reduce((sum, row) => sum + row.cells.length, 0);
      return `${matrix.directives.length} directives × ${matrix.aircraft.length} aircraft, ${cells} cells`;
    },
  },
];

async function main(): Promise<void> {
  console.log(
    `seeding ${AIRCRAFT} aircraft × 5 programs × ${DIRECTIVES} directives, and ${SCAN_AIRCRAFT} aircraft to scan`,
  );
  await createScratchDatabase(DB_NAME);
  const started = Date.now();
  const { directiveToScan } = await seed(benchDatabaseUrl(DB_NAME));
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const client = new pg.Client({ connectionString: benchDatabaseUrl(DB_NAME) });
  await client.connect();
  try {
    // 1. The statements each request runs.
    await startLoggingStatements(DB_NAME);
    const captured = new Map<string, string[] | undefined>();
    let scanInsert: string | undefined;
    let server = await startServer(DB_NAME, PORT);
    try {
      const dueToken = await login(server, DUE_PLANNER, PASSWORD);
      for (const read of READS) {
        console.log(`${read.name}: ${read.describe(await getJson(server, dueToken, read.path))}`);
        const statements = await captureStatements(DB_NAME, () => getJson(server, dueToken, read.path));
        printStatements(statements);
        captured.set(read.name, statements);
      }
      const scanToken = await login(server, SCAN_PLANNER, PASSWORD);
      const scanStatements = await captureStatements(DB_NAME, async () => {
        await untrack(client, directiveToScan);
        return scanOnce(server, scanToken, directiveToScan);
      });
      scanInsert = scanStatements?.find((s) => /INSERT INTO aircraft_directives/.test(s));
      console.log(`POST /directives/{id}/scan-fleet: ${scanStatements?.length ?? '?'} statements`);
    } finally {
      await stopServer(server);
      await stopLoggingStatements(DB_NAME);
    }

    // 2. The reads under load, beside pgbench.
    server = await startServer(DB_NAME, PORT);
    const reads: Record<string, unknown>[] = [];
    const scans: Record<string, unknown> = {};
    try {
      const dueToken = await login(server, DUE_PLANNER, PASSWORD);
      for (const read of READS) {
        const statements = captured.get(read.name);
        for (const connections of CONNECTIONS) {
          console.log(`${read.name}, ${connections} connection(s), ${SECONDS} s`);
          const amss = await loadTest(`${server.baseUrl}/api/v1${read.path}`, dueToken, connections, SECONDS);
          const floor = statements ? await pgbench(DB_NAME, statements, connections, SECONDS) : undefined;
          reads.push({
            request: read.name,
            'statements/request': statements?.length ?? null,
            ...comparisonRow(connections, amss, floor),
          });
        }
      }

      // 3. The fleet scan, through the API and as the bare INSERT … SELECT.
      const scanToken = await login(server, SCAN_PLANNER, PASSWORD);
      const apiSeconds: number[] = [];
      const floorSeconds: number[] = [];
      let tracked = 0;
      for (let round = 0; round < SCAN_ROUNDS; round += 1) {
        await untrack(client, directiveToScan);
        const t0 = performance.now();
        const counts = await scanOnce(server, scanToken, directiveToScan);
        apiSeconds.push((performance.now() - t0) / 1000);
        tracked = counts.newly_tracked;
        if (scanInsert) {
          await untrack(client, directiveToScan);
          const t1 = performance.now();
          await client.query(scanInsert);
          floorSeconds.push((performance.now() - t1) / 1000);
        }
      }
      const api = median(apiSeconds);
      const floor = floorSeconds.length > 0 ? median(floorSeconds) : undefined;
      Object.assign(scans, {
        aircraft: SCAN_AIRCRAFT,
        newly_tracked: tracked,
        'api median s': Number(api.toFixed(3)),
        'api rows/s': Math.round(tracked / api),
        'floor median s': floor === undefined ? null : Number(floor.toFixed(3)),
        'floor rows/s': floor === undefined ? null : Math.round(tracked / floor),
        'ratio %': floor === undefined ? null : Math.round((floor / api) * 100),
      });
    } finally {
      const memory = peakRssMb(server.process);
      await stopServer(server);
      console.table(reads);
      console.table([scans]);
      console.log(`server peak RSS (VmHWM): ${memory} MB`);
      writeResults('directives', {
        seconds: SECONDS,
        aircraft: AIRCRAFT,
        programsPerAircraft: 5,
        directives: DIRECTIVES,
        reads,
        scan: scans,
        serverPeakRssMb: memory,
      });
    }
  } finally {
    await client.end();
    if (process.env.BENCH_KEEP_DB !== '1') await dropScratchDatabase(DB_NAME);
  }
}

await main();
