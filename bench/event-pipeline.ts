/**
 * Events from commit to webhook delivery: the outbox publisher, Redis Streams and the webhook
 * dispatcher of a real `amss worker`, delivering to a local receiver.
 *
 *   npm run bench:events                         # 20 000 events for throughput, 500 events/s for 20 s for latency
 *   BENCH_EVENTS=50000 BENCH_RATE=1000 npm run bench:events
 *
 * What it does, on the PostgreSQL of AMSS_BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/test) and the
 * Redis of AMSS_BENCH_REDIS_ADDR (default 127.0.0.1:6379):
 *   1. creates a scratch database `amss_bench_events`, migrates it, adds one organization with one webhook
 *      subscribed to every event (`*`) at a receiver in this process;
 *   2. builds the project and starts `node dist/cmd/main.js worker` on it, as in production;
 *   3. throughput: commits BENCH_EVENTS outbox events at once (in transactions of 500, as a burst of API writes
 *      would) and measures from the first commit until the receiver has every one: events per second;
 *   4. latency: commits events at BENCH_RATE per second for BENCH_LATENCY_SECONDS, each carrying its commit time,
 *      and reports p50/p99/max of receive time − commit time;
 *   5. throughput again with two workers (distinct WORKER_IDs, one PostgreSQL, one Redis): it must not fall;
 *   6. the floor (bench/event-floor.ts): the same claims, stream writes, signed POSTs and updates done by a bare
 *      loop with no AMSS in between, on the same kind of burst — the worker's throughput as a share of it;
 *   7. prints the figures and the worker's peak resident memory, and writes bench/results/event-pipeline.json.
 * Every burst is new events (numbered on from the last), and each phase starts with the outbox drained.
 * The events are written to the outbox directly (what every API mutation writes in its transaction), so the
 * figures are the pipeline's own; the scratch database is dropped at the end.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { connectPostgres, type DatabaseHandle } from '../src/infra/postgres/database.js';
import { migrateToLatest } from '../src/infra/postgres/migrator.js';
import {
  BENCH_REDIS_ADDR,
  createScratchDatabase,
  dropScratchDatabase,
  peakRssMb,
  writeResults,
} from './support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const DB_NAME = 'amss_bench_events';
const FLOOR_STREAM = 'amss-bench-floor:events';
const COMMIT_BATCH = 500;

/** The receiver: answers 204 at once and notes when each event (by its bench sequence number) arrived. */
function startReceiver(arrivals: Map<number, number>): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = Date.now();
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { seq: number } };
      if (!arrivals.has(payload.data.seq)) arrivals.set(payload.data.seq, at);
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Commits `count` events numbered from `firstSeq`, each with its commit time, in transactions of COMMIT_BATCH. */
async function commitEvents(
  handle: DatabaseHandle,
  orgId: string,
  firstSeq: number,
  count: number,
): Promise<number[]> {
  const committedAt: number[] = [];
  for (let start = 0; start < count; start += COMMIT_BATCH) {
    const size = Math.min(COMMIT_BATCH, count - start);
    const seqs = Array.from({ length: size }, (_, i) => firstSeq + start + i);
    await sql`
      INSERT INTO outbox_events (org_id, aggregate_type, aggregate_id, event_type, payload, dedupe_key)
      SELECT ${orgId}, 'bench', gen_random_uuid(), 'task_created',
             jsonb_build_object('version', 1, 'event_type', 'task_created', 'org_id', ${orgId}::text,
                                'data', jsonb_build_object('seq', s)),
             'bench:' || s
        FROM unnest(${seqs}::int[]) AS s`.execute(handle.db);
    const at = Date.now();
    for (const seq of seqs) committedAt[seq - firstSeq] = at;
  }
  return committedAt;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for deliveries');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGTERM, then waits for each to exit. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children
      .filter((child) => child.exitCode === null)
      .map((child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        return exited;
      }),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const dbUrl = await createScratchDatabase(DB_NAME);
  const handle = connectPostgres(dbUrl, { max: 4 });
  const arrivals = new Map<number, number>();
  const receiver = await startReceiver(arrivals);
  let workers: ChildProcess[] = [];
  try {
    await migrateToLatest(handle.db);
    const org = await handle.db
      .insertInto('organizations')
      .values({ name: `Bench ${randomUUID().slice(0, 8)}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    await handle.db.insertInto('org_policies').values({ org_id: org.id }).execute();
    await handle.db
      .insertInto('webhooks')
      .values({
        org_id: org.id,
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        events: ['*'],
        secret: randomUUID().replaceAll('-', ''),
      })
      .execute();

    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    const startWorkers = async (count: number): Promise<ChildProcess[]> => {
      const started = Array.from({ length: count }, (_, i) =>
        spawn(process.execPath, ['dist/cmd/main.js', 'worker'], {
          env: {
            ...process.env,
            DB_URL: dbUrl,
            REDIS_ADDR: BENCH_REDIS_ADDR,
            LOG_LEVEL: 'warn',
            WORKER_ID: `bench-worker-${i + 1}`,
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return started;
    };
    let nextSeq = 0;
    /** A burst of EVENTS commits, timed from the first commit until the receiver has the last one. */
    const burst = async (label: string) => {
      const first = nextSeq;
      nextSeq += EVENTS;
      const start = Date.now();
      await commitEvents(handle, org.id, first, EVENTS);
      const committedIn = (Date.now() - start) / 1000;
      await waitFor(() => delivered(first, EVENTS), 600_000);
      const seconds = (Date.now() - start) / 1000;
      const eventsPerSecond = Math.round(EVENTS / seconds);
      console.log(
        `${label}: ${EVENTS} events committed in ${committedIn.toFixed(1)} s, all delivered after ${seconds.toFixed(1)} s → ${eventsPerSecond} events/s`,
      );
      return { events: EVENTS, seconds, events_per_second: eventsPerSecond };
    };
    const delivered = (first: number, count: number) => {
      for (let seq = first; seq < first + count; seq += 1) if (!arrivals.has(seq)) return false;
      return true;
    };

    workers = await startWorkers(1);
    const worker = workers[0]!;
    const throughput = await burst('throughput, one worker');

    // Latency: a steady RATE per second, each event timed from its commit to its arrival.
    const firstSeq = nextSeq;
    const total = RATE * LATENCY_SECONDS;
    nextSeq += total;
    const committedAt: number[] = [];
    const tick = 100;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    const steadyStart = Date.now();
    for (let sent = 0; sent < total; sent += perTick) {
      const n = Math.min(perTick, total - sent);
      committedAt.push(...(await commitEvents(handle, org.id, firstSeq + sent, n)));
      const due = steadyStart + ((sent + n) / RATE) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    const offeredRate = Math.round(total / ((Date.now() - steadyStart) / 1000));
    await waitFor(() => delivered(firstSeq, total), 120_000);
    const latencies = committedAt.map((at, i) => arrivals.get(firstSeq + i)! - at).sort((a, b) => a - b);
    const figures = {
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1)!,
    };
    const rssMb = peakRssMb(worker);
    console.log(
      `latency at ${offeredRate} events/s for ${LATENCY_SECONDS} s: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms; worker peak RSS ${rssMb} MB`,
    );
    await stopAll(workers);

    workers = await startWorkers(2);
    const twoWorkers = await burst('throughput, two workers');
    await stopAll(workers);
    workers = [];

    workers = [
      spawn(process.execPath, ['--import', 'tsx', 'bench/event-floor.ts'], {
        env: { ...process.env, FLOOR_DB_URL: dbUrl, FLOOR_REDIS_ADDR: BENCH_REDIS_ADDR, FLOOR_STREAM },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const floor = await burst('floor (a bare loop, no AMSS)');
    const floorRssMb = peakRssMb(workers[0]!);
    await stopAll(workers);
    workers = [];
    const share = Math.round((throughput.events_per_second / floor.events_per_second) * 100);
    console.log(
      `one worker: ${share} % of the floor; two workers: ${Math.round((twoWorkers.events_per_second / floor.events_per_second) * 100)} %; floor peak RSS ${floorRssMb} MB`,
    );
    writeResults('event-pipeline', {
      throughput,
      throughput_two_workers: twoWorkers,
      floor: { ...floor, peak_rss_mb: floorRssMb },
      one_worker_percent_of_floor: share,
      latency: { offered_events_per_second: offeredRate, seconds: LATENCY_SECONDS, ...figures },
      worker_peak_rss_mb: rssMb,
    });
  } finally {
    await stopAll(workers);
    receiver.close();
    const redis = new Redis(`redis://${BENCH_REDIS_ADDR}`);
    await redis.del(FLOOR_STREAM).catch(() => 0);
    redis.disconnect();
    await handle.close();
    await dropScratchDatabase(DB_NAME);
  }
}

await main();
