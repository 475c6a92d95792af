/**
 * WebSocket fan-out: 1,000 clients connected to one `amss server`, events committed at 200/s; delivery latency from
 * the commit (outbox row) to each client, through a real `amss worker` (outbox publisher → amss.events) and the
 * server's own XREAD of the stream.
 *
 *   npm run bench:ws                                   # 1,000 clients, 200 events/s for 20 s
 *   BENCH_WS_CLIENTS=2000 BENCH_WS_RATE=500 npm run bench:ws
 *
 * On the PostgreSQL of AMSS_BENCH_DB_URL and the Redis of AMSS_BENCH_REDIS_ADDR: creates the scratch database
 * `amss_bench_ws`, one organization and its scheduler; builds nothing (run `npm run build` first); starts
 * `dist/cmd/main.js server` and `worker`; connects the clients (token as subprotocol `bearer, <token>`); commits
 * `task_created` outbox events at the rate, each carrying its commit time; reports p50/p99/max of receive − commit
 * over every (event, client) pair, the server's peak RSS, and writes bench/results/ws-fanout.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import {
  BENCH_REDIS_ADDR,
  benchDatabaseUrl,
  createBenchOrg,
  createScratchDatabase,
  dropScratchDatabase,
  login,
  peakRssMb,
  percentile,
  writeResults,
} from './support.js';

const CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 1_000);
const RATE = Number(process.env.BENCH_WS_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_WS_SECONDS ?? 20);
const DB_NAME = 'amss_bench_ws';
const PORT = 18_470;
const PASSWORD = 'Bench-Password-42';

function start(role: 'server' | 'worker', dbUrl: string): ChildProcess {
  return spawn(process.execPath, ['dist/cmd/main.js', role], {
    env: {
      ...process.env,
      APP_ENV: 'development',
      DB_URL: dbUrl,
      REDIS_ADDR: BENCH_REDIS_ADDR,
      HTTP_ADDR: `127.0.0.1:${PORT}`,
      GRPC_ADDR: `127.0.0.1:${PORT + 1000}`,
      LOG_LEVEL: 'warn',
      WORKER_ID: 'bench-ws-worker',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function main(): Promise<void> {
  await createScratchDatabase(DB_NAME);
  const dbUrl = benchDatabaseUrl(DB_NAME);
  const handle = connectPostgres(dbUrl, { max: 4, applicationName: 'bench-ws' });
  let server: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  const sockets: WebSocket[] = [];
  try {
    await migrateToLatest(handle.db);
    const email = 'scheduler@bench-ws.test';
    const { orgId } = await createBenchOrg(handle.db, 'Bench WS', { email, password: PASSWORD });
    server = start('server', dbUrl);
    const baseUrl = `http://127.0.0.1:${PORT}`;
    for (let i = 0; i < 150; i += 1) {
      if (
        await fetch(`${baseUrl}/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    worker = start('worker', dbUrl);
    const token = await login({ process: server, baseUrl }, email, PASSWORD);

    const latencies: number[] = [];
    let received = 0;
    for (let i = 0; i < CLIENTS; i += 1) {
      const socket = new WebSocket(`ws://127.0.0.1:${PORT}/api/v1/ws`, ['bearer', token]);
      socket.on('message', (raw) => {
        // The commit time only, without parsing each whole message: the clients share one process and its core.
        const text = (raw as Buffer).toString('latin1');
        const at = text.indexOf('"committed_at":');
        if (at < 0) return;
        latencies.push(Date.now() - parseInt(text.slice(at + 15, at + 30), 10));
        received += 1;
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('message', () => resolve());
        socket.once('error', reject);
      });
      sockets.push(socket);
    }
    console.log(`${CLIENTS} clients connected; committing ${RATE} events/s for ${SECONDS} s`);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the worker's publisher is running

    const total = RATE * SECONDS;
    const tick = 50;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    const started = Date.now();
    let committed = 0;
    while (committed < total) {
      const count = Math.min(perTick, total - committed);
      const seqs = Array.from({ length: count }, (_, i) => committed + i);
      const at = Date.now();
      await sql`
        INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
        SELECT ${orgId}, 'maintenance_task', gen_random_uuid(), 'task_created',
               jsonb_build_object('version', 1, 'event_type', 'task_created', 'org_id', ${orgId}::text,
                                  'occurred_at', now(), 'data', jsonb_build_object('seq', s, 'committed_at', ${at}::bigint)),
               'bench-ws:' || s
          FROM unnest(${seqs}::int[]) AS s`.execute(handle.db);
      committed += count;
      const wait = started + (committed / RATE) * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const deadline = Date.now() + 60_000;
    while (received < total * CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const serverRss = peakRssMb(server);
    latencies.sort((a, b) => a - b);
    const figures = {
      clients: CLIENTS,
      rate_per_s: RATE,
      seconds: SECONDS,
      events: total,
      deliveries_expected: total * CLIENTS,
      deliveries_received: received,
      latency_ms: {
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies.at(-1),
      },
      server_peak_rss_mb: serverRss,
    };
    console.log(JSON.stringify(figures, null, 2));
    writeResults('ws-fanout', figures);
  } finally {
    for (const socket of sockets) socket.terminate();
    server?.kill('SIGTERM');
    worker?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await handle.close();
    await dropScratchDatabase(DB_NAME);
  }
}

await main();
