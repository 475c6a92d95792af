/**
 * A CSV aircraft import through the whole pipeline, beside a raw `COPY` of the same rows.
 *
 *   npm run bench:imports                  # 100 000 rows
 *   BENCH_ROWS=20000 npm run bench:imports
 *
 * What it does, on the PostgreSQL of AMSS_BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/test) and the
 * Redis of AMSS_BENCH_REDIS_ADDR (default 127.0.0.1:6379):
 *   1. creates a scratch database `amss_bench_imports`, migrates it, adds an organization and a scheduler;
 *   2. writes a CSV of BENCH_ROWS aircraft (tail_number, model, status, capacity_slots);
 *   3. builds the project, starts `amss server` and `amss worker` on it, uploads the file to
 *      `POST /api/v1/imports/csv` as the scheduler and polls `GET /api/v1/imports/{id}` until it completes:
 *      rows per second from upload to completion (validated, each row applied with its audit row and event);
 *   4. baselines, with server and worker stopped: `\copy aircraft (…) FROM 'file.csv'` of the same rows with
 *      psql, into another organization (one row each, nothing checked or recorded); and the SQL floor: every
 *      row the import writes (staged row, aircraft, audit row, outbox event, outcome) written by set-based
 *      SQL alone, 1 000 rows per statement on two connections (see writeRowsInSql);
 *   5. prints all three, the ratios and the worker's peak resident memory, and writes bench/results/imports.json.
 * Before step 4, with BENCH_IMPORT_KINDS (default `updates,parts,programs`; empty for none), the other kinds of
 * import through the same server and worker, each of BENCH_OTHER_ROWS rows (default 10 000, at most BENCH_ROWS),
 * uploaded once the worker has published every event before it and timed from upload to completion:
 *   - `updates`: tail numbers of the first import again, every row with a new model and capacity (each aircraft updated);
 *   - `parts`: part rows, one definition per ten rows and one serialized item per row;
 *   - `programs`: one program per imported aircraft (tail_number), a calendar interval.
 * The scratch database is dropped at the end.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { hashPassword } from '../src/auth/passwords.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import type { DB } from '../src/infra/postgres/schema.js';
import {
  BENCH_REDIS_ADDR,
  createScratchDatabase,
  dropScratchDatabase,
  peakRssMb,
  settleDatabase,
  writeResults,
} from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
/** The other kinds of import measured after the new aircraft (see above). */
const KINDS = (process.env.BENCH_IMPORT_KINDS ?? 'updates,parts,programs').split(',').filter(Boolean);
const OTHER_ROWS = Math.min(ROWS, Number(process.env.BENCH_OTHER_ROWS ?? 10_000));
/** Extra node flags for the worker, e.g. BENCH_WORKER_NODE_ARGS='--optimize-for-size' (its peak RSS is reported). */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const DB_NAME = 'amss_bench_imports';
const PORT = 18095;
const PASSWORD = 'Bench-Importer-2026';
const FLOOR_CHUNK = 1_000;
/** Both cores of the benchmark machine: the floor is what the database can do at all, not on one connection. */
const FLOOR_CONNECTIONS = 2;

async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const dbUrl = await createScratchDatabase(DB_NAME);
  const handle = connectPostgres(dbUrl, { max: 2 });
  const work = mkdtempSync(path.join(tmpdir(), 'amss-bench-imports-'));
  const children: ChildProcess[] = [];
  try {
    await migrateToLatest(handle.db);
    const [org, copyOrg] = await Promise.all(
      ['Bench importer', 'Bench COPY'].map((name) =>
        handle.db.insertInto('organizations').values({ name }).returning('id').executeTakeFirstOrThrow(),
      ),
    );
    for (const id of [org!.id, copyOrg!.id]) {
      await handle.db
        .insertInto('org_policies')
        .values({ org_id: id, api_rate_limit_per_min: 1_000_000 })
        .execute();
    }
    await handle.db
      .insertInto('users')
      .values({
        org_id: org!.id,
        email: 'importer@bench.local',
        role: 'scheduler',
        password_hash: await hashPassword(PASSWORD, 4),
      })
      .execute();

    const csv = path.join(work, 'aircraft.csv');
    const lines = ['tail_number,model,status,capacity_slots'];
    for (let i = 0; i < ROWS; i++)
      lines.push(`N${String(i).padStart(7, '0')}B,A320neo,operational,${1 + (i % 3)}`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    // The same rows for COPY, which also needs the organization column.
    const copyCsv = path.join(work, 'aircraft-copy.csv');
    writeFileSync(
      copyCsv,
      `${lines
        .slice(1)
        .map((line) => `${copyOrg!.id},${line}`)
        .join('\n')}\n`,
    );

    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    const env = {
      ...process.env,
      DB_URL: dbUrl,
      REDIS_ADDR: BENCH_REDIS_ADDR,
      LOG_LEVEL: 'warn',
      HTTP_ADDR: `127.0.0.1:${PORT}`,
      GRPC_ADDR: `127.0.0.1:${PORT + 1}`,
      IMPORT_STORAGE_DIR: path.join(work, 'storage'),
      IMPORT_MAX_BYTES: String(200 * 1024 * 1024),
    };
    const server = spawn(process.execPath, ['dist/cmd/main.js', 'server'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const worker = spawn(process.execPath, [...WORKER_NODE_ARGS, 'dist/cmd/main.js', 'worker'], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(server, worker);
    const base = `http://127.0.0.1:${PORT}/api/v1`;
    const login = await waitUntil(async () => {
      try {
        const response = await fetch(`${base}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'importer@bench.local', password: PASSWORD }),
        });
        return response.ok ? ((await response.json()) as { access_token: string }) : undefined;
      } catch {
        return undefined;
      }
    }, 30_000);
    const authorization = `Bearer ${login.access_token}`;

    /** Uploads `file` as an import of `type` and waits for it: seconds from upload to completion, and the rows applied. */
    const timeImport = async (type: string, file: string) => {
      const started = performance.now();
      const form = new FormData();
      form.append('type', type);
      form.append('file', new Blob([readFileSync(file)], { type: 'text/csv' }), path.basename(file));
      const upload = await fetch(`${base}/imports/csv`, {
        method: 'POST',
        headers: { authorization },
        body: form,
      });
      if (upload.status !== 202) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
      const { id } = (await upload.json()) as { id: string };
      const phases: Record<string, number> = {};
      const done = await waitUntil(async () => {
        const response = await fetch(`${base}/imports/${id}`, { headers: { authorization } });
        const body = (await response.json()) as {
          status: string;
          applied_rows: number;
          invalid_rows: number;
          error: string | null;
        };
        phases[body.status] ??= (performance.now() - started) / 1000;
        if (body.status === 'failed') throw new Error(`the import failed: ${body.error}`);
        return body.status === 'completed' ? body : undefined;
      }, 1_800_000);
      const seconds = (performance.now() - started) / 1000;
      if (done.invalid_rows > 0)
        throw new Error(`${done.invalid_rows} rows of the ${type} import were refused`);
      console.log(
        `${path.basename(file)}: phases (seconds from upload): ${Object.entries(phases)
          .map(([status, at]) => `${status} ${at.toFixed(1)}`)
          .join(', ')}`,
      );
      return { seconds, rows: done.applied_rows, rowsPerSecond: Math.round(done.applied_rows / seconds) };
    };

    const created = await timeImport('aircraft', csv);
    const importSeconds = created.seconds;
    const done = { applied_rows: created.rows };
    const workerRssMb = peakRssMb(worker);
    const others: Record<string, { seconds: number; rows: number; rowsPerSecond: number }> = {};
    for (const kind of KINDS) {
      const file = path.join(work, `${kind}.csv`);
      writeFileSync(file, otherImport(kind));
      // Each on a worker that has published the events before it (the aircraft import leaves 100 000).
      await waitUntil(async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM outbox_events WHERE status = 'pending'`.execute(handle.db);
        return rows[0]!.n === 0 ? true : undefined;
      }, 600_000);
      others[kind] = await timeImport(kind === 'updates' ? 'aircraft' : kind, file);
      console.log(
        `${kind}: ${others[kind].rows} rows in ${others[kind].seconds.toFixed(1)} s → ${others[kind].rowsPerSecond} rows/s`,
      );
    }
    // The baselines run on a quiet database: no worker publishing the import's events meanwhile.
    await stopAll(children);
    await settleDatabase(handle.db);

    const copyStarted = performance.now();
    execFileSync('psql', [
      dbUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy aircraft (org_id, tail_number, model, status, capacity_slots) FROM '${copyCsv}' WITH (FORMAT csv)`,
    ]);
    const copySeconds = (performance.now() - copyStarted) / 1000;

    const floorSeconds = await writeRowsInSql(handle.db, org!.id);

    const importRate = Math.round(done.applied_rows / importSeconds);
    const copyRate = Math.round(ROWS / copySeconds);
    const floorRate = Math.round(ROWS / floorSeconds);
    console.log(
      `import: ${done.applied_rows} rows in ${importSeconds.toFixed(1)} s → ${importRate} rows/s (worker peak RSS ${workerRssMb} MB)`,
    );
    console.log(
      `COPY baseline: ${ROWS} rows in ${copySeconds.toFixed(1)} s → ${copyRate} rows/s; import at ${Math.round((100 * importRate) / copyRate)} % of COPY`,
    );
    console.log(
      `SQL floor (the same rows the import writes, in set-based SQL alone): ${ROWS} rows in ${floorSeconds.toFixed(1)} s → ${floorRate} rows/s; import at ${Math.round((100 * importRate) / floorRate)} % of it`,
    );
    writeResults('imports', {
      rows: ROWS,
      import: { seconds: importSeconds, rows_per_second: importRate, worker_peak_rss_mb: workerRssMb },
      copy: { seconds: copySeconds, rows_per_second: copyRate },
      sql_floor: { seconds: floorSeconds, rows_per_second: floorRate },
      other_imports: Object.fromEntries(
        Object.entries(others).map(([kind, figures]) => [
          kind,
          { rows: figures.rows, seconds: figures.seconds, rows_per_second: figures.rowsPerSecond },
        ]),
      ),
    });
  } finally {
    await stopAll(children);
    await handle.close();
    await dropScratchDatabase(DB_NAME);
  }
}

/** The CSV of another kind of import (see the header), over the tail numbers of the first. */
function otherImport(kind: string): string {
  const tail = (i: number) => `N${String(i).padStart(7, '0')}B`;
  const lines: string[] = [];
  if (kind === 'updates') {
    lines.push('tail_number,model,status,capacity_slots');
    for (let i = 0; i < OTHER_ROWS; i++) lines.push(`${tail(i)},A321neo,operational,${1 + ((i + 1) % 3)}`);
  } else if (kind === 'parts') {
    lines.push('name,category,min_stock_level,serial_number');
    for (let i = 0; i < OTHER_ROWS; i++)
      lines.push(`Part ${Math.floor(i / 10)},rotable,2,SN${String(i).padStart(8, '0')}`);
  } else if (kind === 'programs') {
    lines.push('name,interval_type,interval_value,tail_number');
    for (let i = 0; i < OTHER_ROWS; i++) lines.push(`A-check,calendar,${30 + (i % 5) * 30},${tail(i)}`);
  } else throw new Error(`BENCH_IMPORT_KINDS: no import kind ${kind} (updates, parts, programs)`);
  return `${lines.join('\n')}\n`;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve))));
}

/**
 * The floor: every row the import writes for a new aircraft — its staged row, the aircraft, its
 * audit row, its outbox event and the staged row's outcome — written by PostgreSQL alone in
 * set-based statements of FLOOR_CHUNK rows on FLOOR_CONNECTIONS connections, with no application in between.
 * No import can beat it on this machine and schema; the import's distance to it is our overhead.
 */
async function writeRowsInSql(db: Kysely<DB>, orgId: string): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO imports (org_id, type, status, file_name, created_by)
    SELECT ${orgId}, 'aircraft', 'completed', 'floor.csv', id FROM users WHERE org_id = ${orgId} LIMIT 1
    RETURNING id`.execute(db);
  const importId = rows[0]!.id;
  const started = performance.now();
  const chunks = Array.from({ length: Math.ceil(ROWS / FLOOR_CHUNK) }, (_, i) => 1 + i * FLOOR_CHUNK);
  await Promise.all(
    Array.from({ length: FLOOR_CONNECTIONS }, async (_, lane) => {
      for (let i = lane; i < chunks.length; i += FLOOR_CONNECTIONS) {
        await writeChunk(chunks[i]!, Math.min(ROWS, chunks[i]! + FLOOR_CHUNK - 1));
      }
    }),
  );
  return (performance.now() - started) / 1000;

  async function writeChunk(first: number, last: number): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await sql`
        INSERT INTO import_rows (org_id, import_id, row_number, raw, errors, status)
        SELECT ${orgId}, ${importId}, n,
               jsonb_build_object('tail_number', 'F' || lpad(n::text, 7, '0'), 'model', 'A320neo',
                                  'status', 'operational', 'capacity_slots', (1 + n % 3)::text),
               '[]', 'valid'
          FROM generate_series(${first}::int, ${last}::int) n`.execute(tx);
      await sql`
        WITH staged AS (
          SELECT id, raw FROM import_rows
           WHERE org_id = ${orgId} AND import_id = ${importId} AND row_number BETWEEN ${first} AND ${last}
        ), created AS (
          INSERT INTO aircraft (org_id, tail_number, model, status, capacity_slots)
          SELECT ${orgId}, raw->>'tail_number', upper(raw->>'model'), (raw->>'status')::aircraft_status,
                 (raw->>'capacity_slots')::int
            FROM staged
          RETURNING *
        ), audit AS (
          INSERT INTO audit_logs (org_id, actor, entity_type, entity_id, action, request_id, details)
          SELECT ${orgId}, 'system:import-processor', 'aircraft', id, 'create', 'import:floor',
                 jsonb_build_object('after', to_jsonb(created))
            FROM created
        ), events AS (
          INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
          SELECT ${orgId}, 'aircraft', id, 'aircraft_created', jsonb_build_object('data', to_jsonb(created)),
                 'aircraft_created:' || id
            FROM created
        )
        UPDATE import_rows r SET status = 'applied', outcome = 'created'
          FROM staged WHERE r.id = staged.id`.execute(tx);
    });
  }
}

await main();
