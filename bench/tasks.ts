/**
 * Maintenance tasks through the whole stack, each beside a pgbench baseline running the same SQL.
 *
 *   npm run bench:tasks                    # 10 s per run, 16 and 64 connections
 *   BENCH_SECONDS=30 npm run bench:tasks   # longer runs
 *
 * What it does, on the PostgreSQL server of AMSS_BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/test)
 * and the Redis of AMSS_BENCH_REDIS_ADDR (default 127.0.0.1:6379):
 *   1. creates a scratch database `amss_bench_tasks`, migrates it, seeds one organization (rate limit raised out
 *      of the way), one scheduler and 256 aircraft;
 *   2. builds the project (`npm run build`) and starts `node dist/cmd/cli.js server` on it, as in production;
 *   3. for 16 and 64 connections: `POST /api/v1/maintenance-tasks` with autocannon (every request a new,
 *      non-overlapping window), then `GET /api/v1/maintenance-tasks/{id}` over the tasks just created;
 *   4. runs pgbench with the SQL the server runs for each request (captured from the service, see post.sql and
 *      get.sql below) at the same concurrency, on the same database;
 *   5. prints req/s, p50/p99 latency, the ratio to the baseline and the server's peak resident memory (VmHWM),
 *      and writes them to bench/results/tasks.json.
 * The scratch database is dropped at the end.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { hashPassword } from '../src/auth/passwords.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import type { DB } from '../src/infra/postgres/schema.js';
import {
  adminQuery as admin,
  backendsOf,
  BENCH_ADMIN_URL,
  BENCH_REDIS_ADDR,
  CLOCK_TICKS_PER_SECOND,
  cpuMeter,
  type ProcessFilter,
  writeResults,
} from './support.js';
import { CREATE_STATEMENTS, DETAIL_STATEMENT, oneLine } from './task-statements.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '16,64').split(',').map(Number);
/** BENCH_BASELINE=0 skips pgbench (quicker runs while profiling); the results file is then left alone. */
const BASELINE = process.env.BENCH_BASELINE !== '0';
/** Extra node flags for the server, e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const AIRCRAFT = 256;
/**
 * BENCH_ASSIGN=1 assigns every created task to a mechanic (one per aircraft, so none is double-booked), each holding
 * the certification, A320 type rating, skill and recent hours an A320 inspection requires: what the qualification
 * check and the busy check add to a create. Compare runs with BENCH_BASELINE=0 (the pgbench SQL assigns no one).
 * On a schema from before qualifications existed, the mechanics are seeded without them.
 */
const ASSIGN = process.env.BENCH_ASSIGN === '1';
const DB_NAME = 'amss_bench_tasks';
const PORT = 18090;
/** The bare Fastify + pg route (bench/bare-route.ts), the second floor; BENCH_BARE=0 leaves it out. */
const BARE = process.env.BENCH_BARE !== '0';
const BARE_PORT = 18091;
/** Extra node flags for the bare route, e.g. BENCH_BARE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const BARE_NODE_ARGS = (process.env.BENCH_BARE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const PASSWORD = 'Bench-Scheduler-2026';
const BASE_TIME = Date.parse('2031-01-01T00:00:00Z');
const HOUR = 3_600_000;
const execFileAsync = promisify(execFile);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /** CPU time spent per request (transaction), in ms: server, PostgreSQL backends, load generator. */
  cpuMsPerRequest?: { server: number; postgres: number; loadGenerator: number };
  /** Share of the machine's CPU in use during the run, in % of all cores. */
  machineCpuPercent?: number;
}

const dbUrl = (() => {
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
})();

/** A fresh database with one organization, one scheduler and the aircraft the tasks are spread over. */
async function seed(): Promise<{ orgId: string; aircraftIds: string[]; mechanicIds: string[] }> {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const handle = connectPostgres(dbUrl, { max: 2 });
  try {
    await migrateToLatest(handle.db);
    const org = await handle.db
      .insertInto('organizations')
      .values({ name: 'Bench Air' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await handle.db
      .insertInto('org_policies')
      .values({ org_id: org.id, api_rate_limit_per_min: 100_000 })
      .execute();
    await handle.db
      .insertInto('users')
      .values({
        org_id: org.id,
        email: 'scheduler@bench.local',
        role: 'scheduler',
        password_hash: await hashPassword(PASSWORD, 4),
      })
      .execute();
    const aircraft = await handle.db
      .insertInto('aircraft')
      .values(
        Array.from({ length: AIRCRAFT }, (_, i) => ({
          org_id: org.id,
          tail_number: `B${i}`,
          model: 'A320neo',
        })),
      )
      .returning('id')
      .execute();
    const mechanicIds = ASSIGN ? await seedMechanics(handle.db, org.id, aircraft.length) : [];
    return { orgId: org.id, aircraftIds: aircraft.map((a) => a.id), mechanicIds };
  } finally {
    await handle.close();
  }
}

/** `count` mechanics, qualified for an A320 inspection when the schema knows qualifications. */
async function seedMechanics(db: Kysely<DB>, orgId: string, count: number): Promise<string[]> {
  const passwordHash = await hashPassword(PASSWORD, 4);
  const { rows } = await sql<{ id: string }>`
    INSERT INTO users (org_id, email, role, password_hash)
    SELECT ${orgId}::uuid, 'mechanic' || n || '@bench.local', 'mechanic', ${passwordHash}
      FROM generate_series(1, ${count}) n
    RETURNING id`.execute(db);
  const { rows: schema } = await sql<{ people: string | null }>`
    SELECT to_regclass('task_skill_requirements')::text AS people`.execute(db);
  if (schema[0]?.people) {
    await sql`
      UPDATE aircraft SET aircraft_type_id = (SELECT id FROM aircraft_types WHERE designator = 'A320')
       WHERE org_id = ${orgId}`.execute(db);
    await sql`
      INSERT INTO employee_certifications (org_id, user_id, certification_type_id, certificate_number, issue_date,
                                           expiry_date)
      SELECT u.org_id, u.id, ct.id, 'B1-' || u.email, timestamptz '2024-01-01', timestamptz '2045-01-01'
        FROM users u, certification_types ct
       WHERE u.org_id = ${orgId} AND u.role = 'mechanic'
         AND ct.org_id IS NULL AND ct.authority = 'EASA' AND ct.code = 'PART66-B1'`.execute(db);
    await sql`
      INSERT INTO type_ratings (org_id, user_id, aircraft_type_id, certification_id, endorsed_date)
      SELECT c.org_id, c.user_id, at.id, c.id, timestamptz '2024-02-01'
        FROM employee_certifications c, aircraft_types at
       WHERE c.org_id = ${orgId} AND at.designator = 'A320'`.execute(db);
    await sql`
      INSERT INTO employee_skills (org_id, user_id, skill_type_id, proficiency)
      SELECT u.org_id, u.id, st.id, 4 FROM users u, skill_types st
       WHERE u.org_id = ${orgId} AND u.role = 'mechanic' AND st.org_id IS NULL AND st.code = 'BORESCOPE'`.execute(
      db,
    );
    // The tasks are booked from 2031 on: the hours are logged just before.
    await sql`
      INSERT INTO recency_entries (org_id, user_id, aircraft_type_id, hours, performed_at)
      SELECT u.org_id, u.id, at.id, 40, timestamptz '2030-12-01' FROM users u, aircraft_types at
       WHERE u.org_id = ${orgId} AND u.role = 'mechanic' AND at.designator = 'A320'`.execute(db);
    await sql`
      INSERT INTO task_skill_requirements (org_id, task_type, aircraft_type_id, certification_type_id,
                                           type_rating_required, skill_type_id, min_proficiency,
                                           min_recency_hours, recency_window_days)
      SELECT ${orgId}::uuid, 'inspection'::task_type, at.id, ct.id, true, st.id, 3, 10, 3650
        FROM aircraft_types at, certification_types ct, skill_types st
       WHERE at.designator = 'A320' AND ct.org_id IS NULL AND ct.authority = 'EASA' AND ct.code = 'PART66-B1'
         AND st.org_id IS NULL AND st.code = 'BORESCOPE'`.execute(db);
  }
  return rows.map((row) => row.id);
}

async function startServer(): Promise<ChildProcess> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const server = spawn(process.execPath, [...SERVER_NODE_ARGS, 'dist/cmd/cli.js', 'server'], {
    env: {
      ...process.env,
      APP_ENV: 'development',
      DB_URL: dbUrl,
      DB_POOL_MAX: process.env.BENCH_DB_POOL_MAX ?? '64',
      REDIS_ADDR: BENCH_REDIS_ADDR,
      HTTP_ADDR: `127.0.0.1:${PORT}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return listening(server, `http://127.0.0.1:${PORT}/ready`);
}

/** The bare route (bench/bare-route.ts) on the same database, creating as `userId` of `orgId`. */
async function startBareRoute(orgId: string, userId: string): Promise<ChildProcess> {
  const bare = spawn(process.execPath, [...BARE_NODE_ARGS, '--import', 'tsx', 'bench/bare-route.ts'], {
    env: {
      ...process.env,
      BARE_DB_URL: dbUrl,
      BARE_POOL_MAX: process.env.BENCH_DB_POOL_MAX ?? '64',
      BARE_PORT: String(BARE_PORT),
      BARE_ORG_ID: orgId,
      BARE_USER_ID: userId,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Any answer (a 404 for a task that does not exist) means it listens.
  return listening(bare, `http://127.0.0.1:${BARE_PORT}/api/v1/maintenance-tasks/${orgId}`);
}

/** Resolves with `child` once `url` answers; kills it if it never does. */
async function listening(child: ChildProcess, url: string): Promise<ChildProcess> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      const response = await fetch(url);
      if (response.ok || response.status === 404) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`${url} did not answer`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** Fresh planner statistics, as a production table has them (a table filled seconds ago has none yet). */
async function analyze(): Promise<void> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await db.query('ANALYZE');
  await db.end();
}

async function login(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${PORT}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'scheduler@bench.local', password: PASSWORD }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

const figures = (result: autocannon.Result): Figures => ({
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
});

/** The server process and its workers (SERVER_PROCESSES > 1). */
const serverProcesses =
  (serverPid: number): ProcessFilter =>
  (pid, parent) =>
    pid === serverPid || parent === serverPid;

/** This process (autocannon runs in it) and the children it waited for (pgbench), in seconds. */
function loadGeneratorCpuSeconds(): number {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const children = (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
  return (own.user + own.system) / 1e6 + children;
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineCpuTicks(): { busy: number; total: number } {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, v) => sum + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Runs one scenario and adds where its CPU went, per request: the server (none for pgbench), the
 * PostgreSQL backends of the bench database and the load generator; and the machine's CPU use,
 * which tells whether the box itself (shared with other work) was the limit.
 */
async function measured(serverPid: number | undefined, run: () => Promise<Figures>): Promise<Figures> {
  const server = serverPid === undefined ? undefined : cpuMeter(serverProcesses(serverPid));
  const postgres = cpuMeter(backendsOf(DB_NAME));
  const load = loadGeneratorCpuSeconds();
  const machine = machineCpuTicks();
  const result = await run();
  const requests = result.rps * SECONDS;
  const perRequest = (seconds: number) => Number(((seconds * 1000) / requests).toFixed(3));
  const machineAfter = machineCpuTicks();
  return {
    ...result,
    cpuMsPerRequest: {
      server: server ? perRequest(server.stop()) : 0,
      postgres: perRequest(postgres.stop()),
      loadGenerator: perRequest(loadGeneratorCpuSeconds() - load),
    },
    machineCpuPercent: Math.round(
      (100 * (machineAfter.busy - machine.busy)) / (machineAfter.total - machine.total),
    ),
  };
}

/** Every request books the next free two-hour slot of the next aircraft, so none overlaps another. */
async function benchCreate(
  port: number,
  token: string,
  aircraftIds: string[],
  mechanicIds: string[],
  connections: number,
  slot: { next: number },
  created: string[],
) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/maintenance-tasks',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = slot.next++;
          const start = BASE_TIME + Math.floor(n / aircraftIds.length) * 2 * HOUR;
          return {
            ...request,
            body: JSON.stringify({
              aircraft_id: aircraftIds[n % aircraftIds.length],
              ...(mechanicIds.length > 0 && { assigned_mechanic_id: mechanicIds[n % mechanicIds.length] }),
              type: 'inspection',
              start_time: new Date(start).toISOString(),
              end_time: new Date(start + HOUR).toISOString(),
            }),
          };
        },
        onResponse: (status, body) => {
          if (status === 201) created.push((JSON.parse(body) as { id: string }).id);
        },
      },
    ],
  });
  if (result.non2xx > 0) console.warn(`  ${result.non2xx} non-2xx answers while creating`);
  return figures(result);
}

async function benchDetail(port: number, token: string, ids: string[], connections: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: SECONDS,
    requests: [
      {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        setupRequest: (request) => ({
          ...request,
          path: `/api/v1/maintenance-tasks/${ids[Math.floor(Math.random() * ids.length)]}`,
        }),
      },
    ],
  });
  if (result.non2xx > 0) console.warn(`  ${result.non2xx} non-2xx answers while reading`);
  return figures(result);
}

/** pgbench's create: the next slot of the next aircraft (as the load generator books them), then a create's SQL. */
const POST_SQL = `
SELECT nextval('bench_slot') AS n \\gset
SELECT id AS aircraft_id, timestamptz '2040-01-01' + (:n::bigint / ${AIRCRAFT}) * interval '2 hours' AS start_time,
       timestamptz '2040-01-01' + (:n::bigint / ${AIRCRAFT}) * interval '2 hours' + interval '1 hour' AS end_time
  FROM bench_aircraft WHERE k = :n::bigint % ${AIRCRAFT} \\gset
BEGIN;
${CREATE_STATEMENTS.map((statement, i) => `${oneLine(statement)}${i === 1 ? ' \\gset' : ';'}`).join('\n')}
COMMIT;
`;

/** pgbench's detail read: a random task created by the load, then the detail query. */
const GET_SQL = `
\\set k random(1, :ntasks)
SELECT id AS task_id FROM bench_tasks WHERE k = :k::bigint \\gset
${oneLine(DETAIL_STATEMENT)};
`;

/** Runs pgbench and reads tps and latency percentiles from its per-transaction log. */
async function pgbench(script: string, connections: number, vars: Record<string, string>): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'amss-pgbench-'));
  const file = path.join(dir, 'script.sql');
  writeFileSync(file, script);
  const url = new URL(dbUrl);
  const { stdout: output } = await execFileAsync(
    'pgbench',
    [
      '-n',
      '-M',
      'prepared',
      '-c',
      String(connections),
      '-j',
      '2',
      '-T',
      String(SECONDS),
      '-l',
      `--log-prefix=${path.join(dir, 'log')}`,
      '-f',
      file,
      ...Object.entries(vars).flatMap(([name, value]) => ['-D', `${name}=${value}`]),
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
      DB_NAME,
    ],
    { encoding: 'utf8' },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? NaN);
  const latencies = readdirSync(dir)
    .filter((name) => name.startsWith('log'))
    .flatMap((name) =>
      readFileSync(path.join(dir, name), 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[2]) / 1000),
    )
    .sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: tps, p50: at(0.5), p99: at(0.99) };
}

/** Peak resident memory (VmHWM) of the server, summed over its worker processes when it has any. */
/** A run's CPU per request as `server + postgres + load generator` (no server for pgbench). */
function cpuText({ cpuMsPerRequest: cpu }: Figures): string {
  if (!cpu) return '';
  const parts = [cpu.server, cpu.postgres, cpu.loadGenerator].filter((ms, i) => i > 0 || ms > 0);
  return parts.map((ms) => ms.toFixed(2)).join(' + ');
}

function peakMemoryMb(rootPid: number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const parent = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      if (Number(entry) === rootPid || parent === rootPid)
        kb += Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kb / 1024;
}

interface Row {
  amss: Figures;
  bare?: Figures;
  baseline?: Figures;
}

const NO_FIGURES: Figures = { rps: NaN, p50: NaN, p99: NaN };

async function main(): Promise<void> {
  const { orgId, aircraftIds, mechanicIds } = await seed();
  const server = await startServer();
  const results: Record<string, Row> = {};
  const slot = { next: 0 };
  const created: string[] = [];
  let memory: number;
  try {
    const token = await login();
    for (const connections of CONNECTIONS) {
      console.log(`AMSS: POST /maintenance-tasks, ${connections} connections, ${SECONDS} s`);
      results[`create c=${connections}`] = {
        amss: await measured(server.pid, () =>
          benchCreate(PORT, token, aircraftIds, mechanicIds, connections, slot, created),
        ),
      };
    }
    await analyze();
    for (const connections of CONNECTIONS) {
      console.log(`AMSS: GET /maintenance-tasks/{id}, ${connections} connections, ${SECONDS} s`);
      results[`detail c=${connections}`] = {
        amss: await measured(server.pid, () => benchDetail(PORT, token, created, connections)),
      };
    }
    memory = peakMemoryMb(server.pid!);
  } finally {
    await stop(server);
  }

  try {
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    const user = await db.query<{ id: string }>(
      `SELECT id FROM users WHERE org_id = $1 AND role = 'scheduler'`,
      [orgId],
    );
    await db.end();
    const userId = user.rows[0]!.id;

    if (BARE) {
      const bare = await startBareRoute(orgId, userId);
      try {
        const bareCreated: string[] = [];
        for (const connections of CONNECTIONS) {
          console.log(`bare route: POST /maintenance-tasks, ${connections} connections, ${SECONDS} s`);
          results[`create c=${connections}`]!.bare = await measured(bare.pid, () =>
            benchCreate(BARE_PORT, '', aircraftIds, [], connections, slot, bareCreated),
          );
        }
        await analyze();
        for (const connections of CONNECTIONS) {
          console.log(`bare route: GET /maintenance-tasks/{id}, ${connections} connections, ${SECONDS} s`);
          results[`detail c=${connections}`]!.bare = await measured(bare.pid, () =>
            benchDetail(BARE_PORT, '', created, connections),
          );
        }
      } finally {
        await stop(bare);
      }
    }

    if (BASELINE) {
      const db = new pg.Client({ connectionString: dbUrl });
      await db.connect();
      await db.query(`CREATE SEQUENCE bench_slot START ${slot.next}`);
      await db.query(
        `CREATE TABLE bench_aircraft AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS k, id FROM aircraft`,
      );
      await db.query(
        `CREATE TABLE bench_tasks AS SELECT row_number() OVER (ORDER BY id) AS k, id FROM maintenance_tasks`,
      );
      await db.query(
        `CREATE UNIQUE INDEX ON bench_aircraft (k); CREATE UNIQUE INDEX ON bench_tasks (k); ANALYZE`,
      );
      const tasks = await db.query<{ n: string }>(`SELECT count(*) AS n FROM bench_tasks`);
      await db.end();
      const vars = { org: orgId, user: userId, ntasks: tasks.rows[0]!.n };
      for (const connections of CONNECTIONS) {
        console.log(`pgbench baselines, ${connections} connections`);
        results[`create c=${connections}`]!.baseline = await measured(undefined, () =>
          pgbench(POST_SQL, connections, vars),
        );
        results[`detail c=${connections}`]!.baseline = await measured(undefined, () =>
          pgbench(GET_SQL, connections, vars),
        );
      }
    }

    const rows = Object.entries(results).map(
      ([name, { amss, bare = NO_FIGURES, baseline = NO_FIGURES }]) => ({
        scenario: name,
        'req/s': Math.round(amss.rps),
        'p50 ms': amss.p50,
        'p99 ms': amss.p99,
        'bare route req/s': Math.round(bare.rps),
        'bare p50 ms': bare.p50,
        'bare p99 ms': bare.p99,
        '% of bare': Math.round((amss.rps / bare.rps) * 100),
        'baseline tps': Math.round(baseline.rps),
        'baseline p50 ms': Number(baseline.p50.toFixed(2)),
        'baseline p99 ms': Number(baseline.p99.toFixed(2)),
        'ratio %': Math.round((amss.rps / baseline.rps) * 100),
        'CPU ms/req server+pg+load': cpuText(amss),
        'bare CPU ms/req server+pg+load': cpuText(bare),
        'baseline CPU ms/tx pg+load': cpuText(baseline),
        'machine CPU % amss/bare/baseline': [amss, bare, baseline]
          .map((f) => f.machineCpuPercent ?? NaN)
          .join(' / '),
      }),
    );
    console.table(rows);
    console.log(`server peak RSS (VmHWM): ${memory.toFixed(0)} MB; tasks created by AMSS: ${created.length}`);
    if (BASELINE && BARE) {
      writeResults('tasks', {
        seconds: SECONDS,
        serverProcesses: Number(process.env.SERVER_PROCESSES ?? 1),
        serverPeakRssMb: Math.round(memory),
        rows,
      });
    }
  } finally {
    // BENCH_KEEP_DB=1 keeps the scratch database for a look afterwards (pgbench by hand, EXPLAIN).
    if (process.env.BENCH_KEEP_DB !== '1') await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }
}

await main();
