/**
 * Audit log CSV export: throughput and memory.
 *
 *   npx tsx bench/audit-export.ts            # N = 10 000 and 100 000
 *   npx tsx bench/audit-export.ts 1000000    # any list of N
 *   BENCH_HEAP_MB=64 npx tsx bench/audit-export.ts 10000 300000   # with the V8 heap capped at 64 MB
 *
 * Creates a scratch database on the PostgreSQL server of AMSS_BENCH_DB_URL (default: the test
 * server, postgres://postgres@127.0.0.1:5432/test), migrates it and seeds one organization per N
 * with N audit rows of realistic size. Each N is then exported through the whole HTTP stack
 * (`GET /api/v1/audit-logs/export` as an auditor, over a real socket) by a fresh child process
 * running the server and a client that counts the streamed lines without keeping them. It prints
 * rows/s and the child's resident memory before the export and at its peak (sampled every 5 ms;
 * server and client share the process). Memory that does not grow with N is the point: the export
 * reads keyset batches of 1 000 rows and streams them. The scratch database is dropped at the end.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { generateDevKeyPair } from '../src/auth/keys.js';
import { hashPassword } from '../src/auth/passwords.js';
import { buildServer, createContainer } from '../src/cmd/container.js';
import { loadConfig } from '../src/config/config.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import { createLogger } from '../src/observability/logger.js';
import { adminQuery as admin, BENCH_ADMIN_URL } from './support.js';

const PASSWORD = 'Bench-Export-2025';
const MB = 1024 * 1024;
/** BENCH_HEAP_MB caps the server's V8 heap: an export that kept its rows would then run out of memory. */
const HEAP_LIMIT = process.env.BENCH_HEAP_MB ? [`--max-old-space-size=${process.env.BENCH_HEAP_MB}`] : [];

interface Target {
  dbUrl: string;
  orgId: string;
  email: string;
  rows: number;
}

interface Measurement {
  rows: number;
  seconds: number;
  bytes: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  heapPeakMb: number;
  /** Heap still in use after the export and a full collection: what the export retained. */
  heapAfterGcMb: number;
}

const databaseUrl = (name: string): string => {
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

/** One organization with an auditor and `rows` audit rows of about 700 bytes of details each. */
async function seed(dbUrl: string, rows: number): Promise<Target> {
  const handle = connectPostgres(dbUrl, { max: 1 });
  try {
    const db = handle.db;
    const org = await db
      .insertInto('organizations')
      .values({ name: `Bench ${rows} ${randomBytes(3).toString('hex')}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const email = `auditor-${rows}@bench.test`;
    const user = await db
      .insertInto('users')
      .values({ org_id: org.id, email, role: 'auditor', password_hash: await hashPassword(PASSWORD, 4) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`
      INSERT INTO audit_logs (org_id, actor_org_id, user_id, actor, entity_type, entity_id, action,
                              request_id, ip_address, user_agent, "timestamp", details)
      SELECT ${org.id}::uuid, ${org.id}::uuid, ${user.id}::uuid, 'user:scheduler', 'maintenance_program',
             gen_random_uuid(), 'update', gen_random_uuid()::text, '203.0.113.7', 'amss-bench/1.0',
             timestamptz '2025-01-01T00:00:00Z' + g * interval '1 second',
             jsonb_build_object(
               'before', jsonb_build_object('name', 'A-check ' || g, 'interval_type', 'calendar',
                 'interval_value', 120, 'last_performed', '2025-01-01T00:00:00.000Z',
                 'notes', 'Inspect flaps, slats and "spoilers", check hydraulic lines'),
               'after', jsonb_build_object('name', 'A-check ' || g, 'interval_type', 'calendar',
                 'interval_value', 90, 'last_performed', '2025-02-01T00:00:00.000Z',
                 'notes', 'Inspect flaps, slats and "spoilers", check hydraulic lines'))
      FROM generate_series(1, ${rows}::int) AS g`.execute(db);
    // Statistics as autovacuum would soon gather them: on a table without any, the planner can
    // take a bulk-loaded organization for a handful of rows and sort all of them for every batch.
    await sql`ANALYZE audit_logs`.execute(db);
    return { dbUrl, orgId: org.id, email, rows };
  } finally {
    await handle.close();
  }
}

/** Child process: serve AMSS, export the target's rows over HTTP, report the measurement. */
async function measure(target: Target): Promise<Measurement> {
  const config = loadConfig({ APP_ENV: 'test', LOG_LEVEL: 'silent', DB_URL: target.dbUrl, BCRYPT_COST: '4' });
  const database = connectPostgres(target.dbUrl, { max: 5 });
  const container = createContainer({
    config,
    logger: createLogger('silent'),
    database,
    redis: undefined,
    keys: await generateDevKeyPair(),
  });
  const app = await buildServer(container);
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org_id: target.orgId, email: target.email, password: PASSWORD }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      rssPeak = Math.max(rssPeak, usage.rss);
      heapPeak = Math.max(heapPeak, usage.heapUsed);
    }, 5);
    const started = performance.now();
    const { bytes, lines } = await download(`${base}/audit-logs/export`, token);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    global.gc?.();
    const heapAfterGc = process.memoryUsage().heapUsed;
    // Every record is one line: details are JSON, whose line breaks are escaped.
    if (lines - 1 !== target.rows) throw new Error(`expected ${target.rows} rows, got ${lines - 1}`);
    return {
      rows: target.rows,
      seconds,
      bytes,
      rssBeforeMb: rssBefore / MB,
      rssPeakMb: rssPeak / MB,
      heapPeakMb: heapPeak / MB,
      heapAfterGcMb: heapAfterGc / MB,
    };
  } finally {
    await app.close();
    await database.close();
  }
}

/** Downloads a URL, counting bytes and line breaks without keeping the body. */
function download(url: string, token: string): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`export failed: ${response.statusCode}`));
      let bytes = 0;
      let lines = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      });
      response.on('end', () => resolve({ bytes, lines }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

function inChild(target: Target): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, ['--child', JSON.stringify(target)], {
      execArgv: [...process.execArgv, '--expose-gc', ...HEAP_LIMIT],
    });
    child.once('message', (message) => resolve(message as Measurement));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the benchmark child exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const name = `amss_bench_export_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  try {
    const dbUrl = databaseUrl(name);
    const migrated = connectPostgres(dbUrl, { max: 1 });
    await migrateToLatest(migrated.db);
    await migrated.close();
    const results: Measurement[] = [];
    for (const rows of sizes.length > 0 ? sizes : [10_000, 100_000]) {
      const target = await seed(dbUrl, rows);
      results.push(await inChild(target));
    }
    console.table(
      results.map((r) => ({
        rows: r.rows,
        seconds: Number(r.seconds.toFixed(2)),
        'rows/s': Math.round(r.rows / r.seconds),
        'MB sent': Number((r.bytes / MB).toFixed(1)),
        'RSS before (MB)': Math.round(r.rssBeforeMb),
        'RSS peak (MB)': Math.round(r.rssPeakMb),
        'heap peak (MB)': Math.round(r.heapPeakMb),
        'heap after GC (MB)': Math.round(r.heapAfterGcMb),
      })),
    );
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

if (process.argv[2] === '--child') {
  const target = JSON.parse(process.argv[3]!) as Target;
  measure(target).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  await main();
}
