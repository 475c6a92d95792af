/**
 * What the benchmarks share: scratch databases on the bench server, the AMSS server under test, autocannon, the
 * statements a request runs (read back from PostgreSQL's log) and pgbench running them as the floor, memory readings.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { hashPassword } from '../src/auth/passwords.js';
import type { DB } from '../src/infra/postgres/schema.js';

const execFileAsync = promisify(execFile);

/** The PostgreSQL server the benchmarks use (trust auth; the user may create databases). */
export const BENCH_ADMIN_URL = process.env.AMSS_BENCH_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The Redis the benchmarks use. */
export const BENCH_REDIS_ADDR = process.env.AMSS_BENCH_REDIS_ADDR ?? '127.0.0.1:6379';

/** The connection string of another database on the bench server. */
export function benchDatabaseUrl(name: string): string {
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement as the server's admin user (creating and dropping databases). */
export async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh, empty scratch database (dropped first if a previous run left it). */
export async function createScratchDatabase(name: string): Promise<string> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  return benchDatabaseUrl(name);
}

export const dropScratchDatabase = (name: string) =>
  adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);

/**
 * Brings a scratch database to rest before a measured phase: the rows a previous phase wrote are
 * vacuumed and analysed (so autovacuum does not start on them in the middle of the next one) and
 * flushed by a checkpoint (so the next phase does not pay for the previous one's dirty pages).
 * Both sides of a comparison start from this state; without it their ratio swung by a third
 * between runs.
 */
export async function settleDatabase(db: Kysely<DB>): Promise<void> {
  await sql`VACUUM ANALYZE`.execute(db);
  await sql`CHECKPOINT`.execute(db);
}

/** Peak resident memory (VmHWM) of a running child process (or of this one), in MB. */
export function peakRssMb(child: ChildProcess | 'self'): number {
  const status = readFileSync(`/proc/${child === 'self' ? 'self' : child.pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

export const CLOCK_TICKS_PER_SECOND = 100;

export type ProcessFilter = (pid: number, parent: number, cmdline: () => string) => boolean;

/** CPU ticks (user + system) of each process `include` picks, from /proc. */
function cpuTicksOf(include: ProcessFilter): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = () => readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (include(Number(entry), Number(fields[1]), cmdline)) {
        ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
      }
    } catch {
      // the process is gone meanwhile
    }
  }
  return ticks;
}

/**
 * Follows the CPU time of a set of processes while a run lasts, sampling often enough to count
 * processes that end before it does (pgbench's backends, pool connections closed when idle).
 */
export function cpuMeter(include: ProcessFilter): { stop(): number } {
  const start = cpuTicksOf(include);
  const last = new Map(start);
  const sample = () => {
    for (const [pid, ticks] of cpuTicksOf(include)) last.set(pid, ticks);
  };
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let ticks = 0;
      for (const [pid, value] of last) ticks += value - (start.get(pid) ?? 0);
      return ticks / CLOCK_TICKS_PER_SECOND;
    },
  };
}

/** The PostgreSQL backends serving one database of the bench server (and no other work on it). */
export const backendsOf =
  (database: string): ProcessFilter =>
  (_pid, _parent, cmdline) => {
    const title = cmdline();
    return title.startsWith('postgres: ') && title.includes(` ${database} `);
  };

/** Writes a benchmark's figures to bench/results/<name>.json, stamped with the time they were measured. */
export function writeResults(name: string, figures: Record<string, unknown>): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    `bench/results/${name}.json`,
    `${JSON.stringify({ measured_at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
}

/** req/s (or tps) and latency percentiles in ms. */
export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
}

/** A running `amss server` on a bench database. */
export interface BenchServer {
  process: ChildProcess;
  baseUrl: string;
}

/**
 * Extra node flags for a server started by `startServer`, e.g. BENCH_SERVER_NODE_ARGS='--max-old-space-size=160'
 * (not NODE_OPTIONS, which the bench's own build would inherit).
 */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Builds nothing: starts `node dist/cmd/cli.js server` (build first) on the bench database `database`, listening on
 * 127.0.0.1:`port` (gRPC on `port` + 1000), and waits until it is ready.
 */
export async function startServer(database: string, port: number): Promise<BenchServer> {
  const server = spawn(process.execPath, [...SERVER_NODE_ARGS, 'dist/cmd/cli.js', 'server'], {
    env: {
      ...process.env,
      APP_ENV: 'development',
      DB_URL: benchDatabaseUrl(database),
      DB_POOL_MAX: '32',
      REDIS_ADDR: BENCH_REDIS_ADDR,
      HTTP_ADDR: `127.0.0.1:${port}`,
      GRPC_ADDR: `127.0.0.1:${port + 1000}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 150; attempt += 1) {
    try {
      if ((await fetch(`${baseUrl}/ready`)).ok) return { process: server, baseUrl };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill();
  throw new Error('the server did not become ready');
}

export async function stopServer(server: BenchServer): Promise<void> {
  server.process.kill('SIGTERM');
  await new Promise((resolve) => server.process.once('exit', resolve));
}

/** Signs in and answers the access token. */
export async function login(server: BenchServer, email: string, password: string): Promise<string> {
  const response = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** autocannon against one URL with a bearer token: req/s and latency percentiles. */
export async function loadTest(
  url: string,
  token: string,
  connections: number,
  seconds: number,
  init: { method?: 'GET' | 'POST'; body?: string } = {},
): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: init.method ?? 'GET',
    body: init.body,
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  });
  if (result.non2xx > 0) console.warn(`  ${result.non2xx} non-2xx answers`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** PostgreSQL's own log file (Debian's layout), where `log_statement = 'all'` writes each statement. */
function postgresLogFile(): string | undefined {
  if (process.env.AMSS_BENCH_PG_LOG) return process.env.AMSS_BENCH_PG_LOG;
  const dir = '/var/log/postgresql';
  if (!existsSync(dir)) return undefined;
  const logs = readdirSync(dir)
    .filter((name) => /^postgresql-\d+-main\.log$/.test(name))
    .map((name) => path.join(dir, name));
  return logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/**
 * The statements the bench database's sessions logged in `text` (log_statement = 'all'), each with its
 * parameters written in as literals: `LOG:  execute <name>: …` / `LOG:  statement: …` lines, continued on
 * tab-indented lines, and a `DETAIL:  parameters: $1 = '…', …` line after a prepared one.
 */
export function loggedStatements(text: string, database: string): string[] {
  const statements: { sql: string; params: Map<string, string> }[] = [];
  let current: { sql: string; params: Map<string, string> } | undefined;
  let inDetail = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('\t')) {
      if (current && !inDetail) current.sql += `\n${line.slice(1)}`;
      continue;
    }
    inDetail = false;
    if (!line.includes(`@${database} `)) {
      current = undefined;
      continue;
    }
    const statement = /LOG: {2}(?:execute [^:]+|statement): (.*)$/.exec(line);
    if (statement) {
      current = { sql: statement[1]!, params: new Map() };
      statements.push(current);
      continue;
    }
    const detail = /DETAIL: {2}parameters: (.*)$/.exec(line);
    if (detail && current) {
      inDetail = true;
      for (const match of detail[1]!.matchAll(/\$(\d+) = (NULL|'(?:[^']|'')*')/g)) {
        current.params.set(match[1]!, match[2]!);
      }
    }
  }
  return statements.map(({ sql: text, params }) =>
    text.replace(/\$(\d+)\b/g, (whole, n: string) => params.get(n) ?? whole),
  );
}

/**
 * Turns on `log_statement = 'all'` for the bench database (new sessions only: start the server after it) — undone
 * by `stopLoggingStatements`.
 */
export const startLoggingStatements = (database: string) =>
  adminQuery(`ALTER DATABASE ${database} SET log_statement = 'all'`);
export const stopLoggingStatements = (database: string) =>
  adminQuery(`ALTER DATABASE ${database} RESET log_statement`);

/**
 * The statements one warm `request` runs on the bench database (BEGIN/COMMIT/ROLLBACK left out), read back from
 * PostgreSQL's log; undefined when the log cannot be read. The request runs three times first to warm the caches.
 */
export async function captureStatements(
  database: string,
  request: () => Promise<unknown>,
): Promise<string[] | undefined> {
  const logFile = postgresLogFile();
  if (!logFile) return undefined;
  try {
    accessSync(logFile, constants.R_OK);
  } catch {
    return undefined;
  }
  for (let i = 0; i < 3; i += 1) await request();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = statSync(logFile).size;
  await request();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const appended = readFileSync(logFile).subarray(before).toString('utf8');
  return loggedStatements(appended, database).filter(
    (statement) => !/^(BEGIN|COMMIT|ROLLBACK)\b/i.test(statement),
  );
}

/** pgbench over `statements` (one transaction = one request's SQL) on the bench database: tps and latencies. */
export async function pgbench(
  database: string,
  statements: string[],
  connections: number,
  seconds: number,
): Promise<LoadFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'amss-pgbench-'));
  const file = path.join(dir, 'script.sql');
  // pgbench reads one statement per line unless it ends with a semicolon; keep each on one line.
  writeFileSync(
    file,
    statements.map((s) => `${s.replace(/\s*\n\s*/g, ' ').replace(/;?\s*$/, '')};`).join('\n'),
  );
  const url = new URL(BENCH_ADMIN_URL);
  const { stdout } = await execFileAsync(
    'pgbench',
    [
      '-n',
      '-c',
      String(connections),
      '-j',
      String(Math.min(connections, 2)),
      '-T',
      String(seconds),
      '-l',
      `--log-prefix=${path.join(dir, 'log')}`,
      '-f',
      file,
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
      database,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const latencies = readdirSync(dir)
    .filter((name) => name.startsWith('log'))
    .flatMap((name) =>
      readFileSync(path.join(dir, name), 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[2]) / 1000),
    )
    .sort((a, b) => a - b);
  return { rps: tps, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** The q-quantile of ascending `sorted` values (NaN when empty). */
export const percentile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** One line of an AMSS-beside-pgbench table. */
export const comparisonRow = (
  connections: number,
  amss: LoadFigures,
  floor: LoadFigures | undefined,
): Record<string, number | null> => ({
  connections,
  'req/s': Number(amss.rps.toFixed(1)),
  'p50 ms': amss.p50,
  'p99 ms': amss.p99,
  'pgbench tps': floor ? Number(floor.rps.toFixed(1)) : null,
  'pgbench p50 ms': floor ? Number(floor.p50.toFixed(2)) : null,
  'pgbench p99 ms': floor ? Number(floor.p99.toFixed(2)) : null,
  'ratio %': floor ? Math.round((amss.rps / floor.rps) * 100) : null,
});

/** Prints the statements a request ran (or why they are unknown). */
export function printStatements(statements: string[] | undefined): void {
  if (!statements) {
    console.log('PostgreSQL log not readable: no statement count, no pgbench floor');
    return;
  }
  console.log(`statements per request: ${statements.length}`);
  for (const statement of statements) console.log(`  ${statement.replace(/\s+/g, ' ').slice(0, 160)}…`);
}

/**
 * A bench organization, its rate limit raised out of the way, and its scheduler signing in with `password` (hashed at
 * the lowest bcrypt cost: seeding, not security, is measured). Answers the org id and the password hash, for the
 * other users a bench creates in SQL.
 */
export async function createBenchOrg(
  db: Kysely<DB>,
  name: string,
  scheduler: { email: string; password: string },
): Promise<{ orgId: string; passwordHash: string }> {
  const org = await db.insertInto('organizations').values({ name }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('org_policies').values({ org_id: org.id, api_rate_limit_per_min: 1_000_000 }).execute();
  const passwordHash = await hashPassword(scheduler.password, 4);
  await db
    .insertInto('users')
    .values({ org_id: org.id, email: scheduler.email, role: 'scheduler', password_hash: passwordHash })
    .execute();
  return { orgId: org.id, passwordHash };
}
