/**
 * Cascade rescheduling: `POST /maintenance-tasks/{id}/reschedule` moving the first task of a chain of
 * BENCH_CHAIN (default 200) finish-to-start dependent tasks later with `cascade`, so every task of the chain moves.
 *
 *   npm run bench:reschedule
 *   BENCH_CHAIN=500 BENCH_RUNS=50 npm run bench:reschedule
 *
 * What it does, on the PostgreSQL server of AMSS_BENCH_DB_URL and the Redis of AMSS_BENCH_REDIS_ADDR:
 *   1. creates a scratch database `amss_bench_reschedule`, migrates it and seeds one organization with two chains
 *      of BENCH_CHAIN two-hour tasks, back to back, each linked finish-to-start to the one before: "one aircraft"
 *      (the whole chain on one aircraft) and "spread" (each task on an aircraft of its own);
 *   2. builds the project, starts `node dist/cmd/cli.js server` with `log_statement = 'all'` for the bench database
 *      and reads back from PostgreSQL's log the statements one warm reschedule runs (applied and dry run);
 *   3. restarts the server without statement logging and times BENCH_RUNS (default 20) reschedules of each chain one
 *      after another — the first task an hour later, every other one following — putting the chain back in between
 *      (one `amss_move_tasks` call, not timed), and as many dry runs;
 *   4. writes everything to bench/results/reschedule.json.
 * PostgreSQL's log must be readable (Debian: /var/log/postgresql/postgresql-<major>-main.log, or AMSS_BENCH_PG_LOG);
 * without it the statement counts are skipped.
 */
import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import pg from 'pg';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import {
  benchDatabaseUrl,
  captureStatements,
  createBenchOrg,
  createScratchDatabase,
  dropScratchDatabase,
  login,
  peakRssMb,
  percentile,
  printStatements,
  startLoggingStatements,
  startServer,
  stopLoggingStatements,
  stopServer,
  writeResults,
  type BenchServer,
} from './support.js';

const CHAIN = Number(process.env.BENCH_CHAIN ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DB_NAME = 'amss_bench_reschedule';
const PORT = 18095;
const PASSWORD = 'Bench-Planner-2026';
const PLANNER = 'planner@reschedule.bench.local';
const HOUR = 3_600_000;
/** Marks the bench's own statements, so the statement count leaves them out. */
const RESET_MARK = '/* bench-reset */';

interface Chain {
  name: string;
  /** The first task of the chain, the one asked to move. */
  rootId: string;
  /** Its window as seeded. */
  start: Date;
  end: Date;
}

async function seed(url: string): Promise<{ orgId: string; chains: Chain[] }> {
  const handle = connectPostgres(url, { max: 2 });
  const db = handle.db;
  try {
    await migrateToLatest(db);
    const { orgId } = await createBenchOrg(db, 'Cascade Air', { email: PLANNER, password: PASSWORD });
    const chains: Chain[] = [];
    // A month ahead, so no task of the chain grounds its aircraft while the bench runs.
    const base = Math.ceil((Date.now() + 30 * 24 * HOUR) / HOUR) * HOUR;
    for (const [index, name] of ['one aircraft', 'spread'].entries()) {
      const aircraftCount = name === 'spread' ? CHAIN : 1;
      const prefix = `C${index}`;
      await sql`
        INSERT INTO aircraft (org_id, tail_number, model)
        SELECT ${orgId}::uuid, ${prefix} || lpad(n::text, 5, '0'), 'A320-214'
          FROM generate_series(1, ${aircraftCount}) n`.execute(db);
      const start = new Date(base + index * 10 * CHAIN * 2 * HOUR);
      await sql`
        INSERT INTO maintenance_tasks (org_id, aircraft_id, type, start_time, end_time, notes)
        SELECT ${orgId}::uuid, a.id, 'inspection',
               ${start}::timestamptz + (n - 1) * interval '2 hours',
               ${start}::timestamptz + n * interval '2 hours', ${prefix} || ':' || n
          FROM generate_series(1, ${CHAIN}) n
          JOIN aircraft a ON a.org_id = ${orgId}
           AND a.tail_number = ${prefix} || lpad((CASE WHEN ${aircraftCount} = 1 THEN 1 ELSE n END)::text, 5, '0')`.execute(
        db,
      );
      await sql`
        INSERT INTO task_dependencies (org_id, predecessor_id, successor_id)
        SELECT p.org_id, p.id, s.id
          FROM maintenance_tasks p JOIN maintenance_tasks s
            ON s.org_id = p.org_id AND s.notes = ${prefix} || ':' || (split_part(p.notes, ':', 2)::int + 1)
         WHERE p.org_id = ${orgId} AND p.notes LIKE ${`${prefix}:%`}`.execute(db);
      const root = await db
        .selectFrom('maintenance_tasks')
        .select('id')
        .where('notes', '=', `${prefix}:1`)
        .executeTakeFirstOrThrow();
      chains.push({ name, rootId: root.id, start, end: new Date(start.getTime() + 2 * HOUR) });
    }
    // The bench's record of the seeded windows, to put the chains back between runs.
    await sql`CREATE TABLE bench_windows AS SELECT id, start_time, end_time FROM maintenance_tasks`.execute(
      db,
    );
    await sql`ANALYZE`.execute(db);
    return { orgId, chains };
  } finally {
    await handle.close();
  }
}

/** Puts every task back where it was seeded, earliest first (each moves into the room the one before left). */
async function reset(client: pg.Client, orgId: string): Promise<void> {
  await client.query(
    `${RESET_MARK} SELECT count(*) FROM (
       SELECT array_agg(t.id ORDER BY w.start_time) AS ids, array_agg(t.version ORDER BY w.start_time) AS versions,
              array_agg(w.start_time ORDER BY w.start_time) AS starts, array_agg(w.end_time ORDER BY w.start_time) AS ends
         FROM maintenance_tasks t JOIN bench_windows w ON w.id = t.id
        WHERE t.org_id = $1 AND t.start_time <> w.start_time) m,
       LATERAL amss_move_tasks($1, m.ids, m.versions, m.starts, m.ends)`,
    [orgId],
  );
}

async function reschedule(
  server: BenchServer,
  token: string,
  chain: Chain,
  dryRun: boolean,
): Promise<unknown> {
  const response = await fetch(`${server.baseUrl}/api/v1/maintenance-tasks/${chain.rootId}/reschedule`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      start_time: new Date(chain.start.getTime() + HOUR).toISOString(),
      end_time: new Date(chain.end.getTime() + HOUR).toISOString(),
      reason: 'bench: the hangar opens an hour late',
      cascade: true,
      dry_run: dryRun,
    }),
  });
  const body = (await response.json()) as { moves?: unknown[]; blockers?: unknown[] };
  if (response.status !== 200 || (body.blockers?.length ?? 0) > 0 || body.moves?.length !== CHAIN) {
    throw new Error(`reschedule answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
  return body;
}

async function main(): Promise<void> {
  console.log(`seeding two chains of ${CHAIN} dependent tasks`);
  await createScratchDatabase(DB_NAME);
  const { orgId, chains } = await seed(benchDatabaseUrl(DB_NAME));
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const client = new pg.Client({ connectionString: benchDatabaseUrl(DB_NAME) });
  await client.connect();
  const rows: Record<string, unknown>[] = [];
  try {
    // 1. The statements each request runs.
    await startLoggingStatements(DB_NAME);
    const counts = new Map<string, number | null>();
    let server = await startServer(DB_NAME, PORT);
    try {
      const token = await login(server, PLANNER, PASSWORD);
      for (const chain of chains) {
        for (const dryRun of [false, true]) {
          const statements = await captureStatements(DB_NAME, async () => {
            await reset(client, orgId);
            return reschedule(server, token, chain, dryRun);
          });
          const own = statements?.filter((s) => !s.includes(RESET_MARK));
          console.log(`${chain.name}${dryRun ? ', dry run' : ''}:`);
          printStatements(own);
          counts.set(`${chain.name}:${dryRun}`, own?.length ?? null);
        }
      }
    } finally {
      await stopServer(server);
      await stopLoggingStatements(DB_NAME);
    }

    // 2. Time per reschedule, one after another, the chain put back in between.
    server = await startServer(DB_NAME, PORT);
    try {
      const token = await login(server, PLANNER, PASSWORD);
      for (const chain of chains) {
        for (const dryRun of [false, true]) {
          const times: number[] = [];
          await reset(client, orgId);
          await reschedule(server, token, chain, dryRun); // warm
          for (let run = 0; run < RUNS; run += 1) {
            await reset(client, orgId);
            const t0 = performance.now();
            await reschedule(server, token, chain, dryRun);
            times.push(performance.now() - t0);
          }
          times.sort((a, b) => a - b);
          rows.push({
            chain: chain.name,
            request: dryRun ? 'dry run' : 'applied',
            'tasks moved': CHAIN,
            runs: RUNS,
            'p50 ms': Number(percentile(times, 0.5).toFixed(1)),
            'p99 ms': Number(percentile(times, 0.99).toFixed(1)),
            'statements/request': counts.get(`${chain.name}:${dryRun}`) ?? null,
          });
        }
      }
    } finally {
      const memory = peakRssMb(server.process);
      await stopServer(server);
      console.table(rows);
      console.log(`server peak RSS (VmHWM): ${memory} MB`);
      writeResults('reschedule', { chain: CHAIN, runs: RUNS, results: rows, serverPeakRssMb: memory });
    }
  } finally {
    await client.end();
    if (process.env.BENCH_KEEP_DB !== '1') await dropScratchDatabase(DB_NAME);
  }
}

await main();
