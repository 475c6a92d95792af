/**
 * AMSS as its users scale it out: two `amss server` and three `amss worker` processes on one
 * PostgreSQL reached through PgBouncer in transaction mode (started here from Debian's package),
 * and one Redis. A load spread over both servers — task creates, part reservations, CSV imports,
 * program-generator runs — with two webhook subscriptions pointing at a receiver in this file;
 * one worker is killed with SIGKILL in the middle. See docs/OPERATIONS.md, "Behind PgBouncer".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { generateDevKeyPair } from '../../src/auth/keys.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { connectPostgres } from '../../src/infra/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { TEST_DB_URL, TEST_REDIS_ADDR } from '../support/env.js';
import {
  insertAircraft,
  insertOrganization,
  insertPartDefinition,
  insertPartItem,
  insertUser,
  insertWebhook,
} from '../support/factories.js';
import { freePort } from '../support/ports.js';

const CLI = ['--import', 'tsx', 'src/cmd/cli.ts'];
const PASSWORD = 'Scale-Out-Horse-42';
/**
 * A Redis database of this file's own: its workers join the `amss.workers` consumer group and its
 * servers read `amss.events`, which must not be another suite's (worker.test.ts reads DB 0's).
 */
const REDIS_DB = Number(process.env.AMSS_TEST_SCALE_OUT_REDIS_DB ?? 13);
/** WORKER_LEASE of the workers: a dead worker's claims are taken over after this. */
const LEASE_MS = 8_000;
/** How long the webhook receiver takes to answer, so deliveries are in flight when the worker dies. */
const RECEIVER_DELAY_MS = 100;
const ROUNDS = 2;
const TASKS_PER_ROUND = 30;
const RESERVATIONS_PER_ROUND = 15;
const PROGRAMS_PER_ROUND = 6;
/** Rows of the first round's import, during which its worker is killed, and of the other rounds'. */
const LARGE_IMPORT_ROWS = 1_000;
const IMPORT_ROWS = 40;
const WAIT = { timeout: 60_000, interval: 250 };

/** Debian's pgbouncer is in /usr/sbin, which is not on every user's PATH. */
const PGBOUNCER =
  process.env.PGBOUNCER ??
  ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((candidate) => existsSync(candidate)) ??
  'pgbouncer';
const PGBOUNCER_MISSING =
  `PgBouncer is not installed (looked for ${PGBOUNCER}): apt-get install pgbouncer (Debian's package; ` +
  '.ci/run installs it), or set PGBOUNCER to its path';

interface Amss {
  name: string;
  child: ChildProcess;
  output(): string;
}
interface AmssServer extends Amss {
  url: string;
}

let db: TestDatabase;
let redis: Redis;
let pgbouncer: ChildProcess | undefined;
let pgbouncerLog = '';
let bouncerUrl = '';
const children: ChildProcess[] = [];
const tempDirs: string[] = [];
let receiver: Server;
const clients: WebSocket[] = [];

/** Deliveries the receiver got, per `<subscription path> <X-Webhook-Delivery-Id>`. */
const received = new Map<string, number>();
let org: { id: string };
let token = '';
let servers: AmssServer[] = [];
let workers: Amss[] = [];
/** What the load made, as the servers answered it. */
const made = {
  tasks: [] as { id: string; through: number }[],
  reservations: [] as string[],
  programs: [] as string[],
  imports: [] as { id: string; tails: string[] }[],
  generateCalls: 0,
};
/** The killed worker's claims, read right after it died. */
let victim: {
  id: string;
  killedAt: number;
  deliveries: string[];
  events: string[];
  /** Imports it held, with when their lease ran out. */
  imports: { id: string; lockedUntil: Date }[];
};
/** Live events each WebSocket client received: [client of server A, client of server B]. */
const live: { type: string; data: Record<string, unknown> }[][] = [[], []];
/** The first stream id that can hold this run's entries. */
let streamStart = '0-0';
let loadMs = 0;

beforeAll(async () => {
  if (spawnSync(PGBOUNCER, ['--version']).error !== undefined) throw new Error(PGBOUNCER_MISSING);
  const started = Date.now();
  db = await createTestDatabase();
  redis = new Redis(`redis://${TEST_REDIS_ADDR}/${REDIS_DB}`);

  // The organization, its admin and its fleet go straight to PostgreSQL, not through PgBouncer.
  org = await insertOrganization(db.db);
  await db.db
    .insertInto('org_policies')
    .values({ org_id: org.id, api_rate_limit_per_min: 1_000_000 })
    .onConflict((oc) => oc.column('org_id').doUpdateSet({ api_rate_limit_per_min: 1_000_000 }))
    .execute();
  const admin = await insertUser(db.db, {
    org_id: org.id,
    role: 'admin',
    password_hash: await hashPassword(PASSWORD, 4),
  });
  const taskAircraft = await Promise.all(
    Array.from({ length: 6 }, () => insertAircraft(db.db, { org_id: org.id })),
  );
  const programAircraft = await Promise.all(
    Array.from({ length: ROUNDS * PROGRAMS_PER_ROUND }, () => insertAircraft(db.db, { org_id: org.id })),
  );
  const definition = await insertPartDefinition(db.db, { org_id: org.id });
  const items = await Promise.all(
    Array.from({ length: ROUNDS * RESERVATIONS_PER_ROUND }, () =>
      insertPartItem(db.db, { org_id: org.id, part_definition_id: definition.id }),
    ),
  );

  const bouncer = await startPgBouncer(db.name);
  bouncerUrl = bouncer.url;
  receiver = await startReceiver();
  const hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // Two subscriptions to every event, there before any event of the org (an event goes to the webhooks that exist when it is published).
  for (const hook of ['/hooks/1', '/hooks/2']) {
    await insertWebhook(db.db, { org_id: org.id, url: `${hookBase}${hook}`, events: ['*'] });
  }
  const keys = await generateDevKeyPair();
  const imports = await tempDir('amss-scale-imports-');
  streamStart = `${Date.now() - 1_000}-0`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APP_ENV: 'test',
    LOG_LEVEL: 'info',
    BCRYPT_COST: '4',
    DB_URL: bouncer.url,
    // PgBouncer 1.18 keeps no prepared statements in transaction mode.
    DB_PREPARED_STATEMENTS: 'false',
    DB_POOL_MAX: '8',
    REDIS_ADDR: `redis://${TEST_REDIS_ADDR}/${REDIS_DB}`,
    JWT_PRIVATE_KEY_PEM: keys.privatePem,
    JWT_PUBLIC_KEY_PEM: keys.publicPem,
    IMPORT_STORAGE_DIR: imports,
    HTTP_ADDR: '127.0.0.1:0',
    GRPC_ADDR: '127.0.0.1:0',
    PROMETHEUS_ENABLED: 'false',
    WORKER_LEASE: `${LEASE_MS}ms`,
    // Every worker runs the generator every second, beside the servers' on-demand runs.
    PROGRAM_GENERATION_INTERVAL: '1s',
  };
  [servers, workers] = await Promise.all([
    Promise.all(['A', 'B'].map((name) => startServer(name, env))),
    Promise.all([1, 2, 3].map((n) => startWorker(`scale-worker-${n}`, env))),
  ]);

  const login = await fetch(`${servers[0]!.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org_id: org.id, email: admin.email, password: PASSWORD }),
  });
  expect(login.status, await login.clone().text()).toBe(200);
  token = ((await login.json()) as { access_token: string }).access_token;

  for (const [i, server] of servers.entries()) {
    clients.push(await liveClient(server, live[i]!));
  }

  const loadStarted = Date.now();
  let nextItem = 0;
  let nextProgramAircraft = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const tasks = await inParallel(TASKS_PER_ROUND, async (i) => {
      const start = new Date(Date.UTC(2031, 0, 1) + (round * TASKS_PER_ROUND + i) * 3_600_000);
      const through = i % 2;
      const response = await api(through, 'POST', '/maintenance-tasks', {
        aircraft_id: taskAircraft[i % taskAircraft.length]!.id,
        type: 'inspection',
        start_time: start.toISOString(),
        end_time: new Date(start.getTime() + 3_600_000).toISOString(),
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      const id = (response.body as { id: string }).id;
      made.tasks.push({ id, through });
      return id;
    });
    // With the first round's task events on their way to the webhooks, a large import; the worker that
    // takes it is killed while it holds it (and, as a rule, deliveries too).
    const killing =
      round === 0 ? upload(0, round, LARGE_IMPORT_ROWS).then(killTheWorkerHoldingTheImport) : undefined;
    await Promise.all([
      inParallel(RESERVATIONS_PER_ROUND, async (i) => {
        const response = await api(i, 'POST', '/part-reservations', {
          task_id: tasks[i]!,
          part_item_id: items[nextItem++]!.id,
        });
        expect(response.status, JSON.stringify(response.body)).toBe(201);
        made.reservations.push((response.body as { id: string }).id);
      }),
      inParallel(PROGRAMS_PER_ROUND, async (i) => {
        const response = await api(i, 'POST', '/maintenance-programs', {
          name: `Scale-out check ${round}.${i}`,
          interval_type: 'calendar',
          interval_value: 30,
          aircraft_id: programAircraft[nextProgramAircraft++]!.id,
        });
        expect(response.status, JSON.stringify(response.body)).toBe(201);
        made.programs.push((response.body as { id: string }).id);
      }),
      ...(round === 0 ? [] : [upload(round % 2, round, IMPORT_ROWS)]),
    ]);
    // Both servers run the generator at once, while the three workers run it every second.
    await inParallel(4, async (i) => {
      const response = await api(i, 'POST', '/maintenance-programs/generate', {});
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      made.generateCalls += 1;
    });
    await killing;
  }
  loadMs = Date.now() - loadStarted;

  await waitUntilDrained();
  const entries = [...(await streamCounts()).values()];
  const arrivals = [...received.values()];
  console.info(
    `scale-out: ${made.tasks.length} tasks, ${made.reservations.length} reservations, ${made.programs.length} programs, ` +
      `${made.imports.length} imports, ${made.generateCalls} generate calls; load ${loadMs} ms, ` +
      `whole setup ${Date.now() - started} ms; killed ${victim.id} holding ${victim.deliveries.length} deliveries, ` +
      `${victim.events.length} outbox events, ${victim.imports.length} imports; stream entries ` +
      `${entries.reduce((a, b) => a + b, 0)} for ${entries.length} events; webhook arrivals ` +
      `${arrivals.reduce((a, b) => a + b, 0)} for ${arrivals.length} deliveries`,
  );
}, 300_000);

afterAll(async () => {
  for (const client of clients) client.terminate();
  await Promise.all([...children, ...(pgbouncer ? [pgbouncer] : [])].map(stop));
  receiver?.close();
  redis?.disconnect();
  await db?.drop();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('two servers and three workers behind PgBouncer (transaction mode), one worker killed mid-load', () => {
  it('publishes every outbox event to amss.events once; a repeat only for events the killed worker held', async () => {
    const events = await db.db
      .selectFrom('outbox_events')
      .select(['id', 'status'])
      .where('org_id', '=', org.id)
      .execute();
    expect(events.filter((event) => event.status !== 'processed')).toEqual([]);
    const published = await streamCounts();
    const repeated = events.filter((event) => (published.get(event.id) ?? 0) > 1).map((event) => event.id);
    expect(events.filter((event) => !published.has(event.id))).toEqual([]);
    // At least once: the killed worker may have appended an event to the stream and died before
    // marking it processed; the worker that took it over after the lease appended it again.
    expect(repeated.filter((id) => !victim.events.includes(id))).toEqual([]);
    expect(Math.max(...events.map((event) => published.get(event.id)!))).toBeLessThanOrEqual(2);
  });

  it('loses none of the changes the servers accepted: each has its one event', async () => {
    const counts = async (type: string, ids: string[]) => {
      const rows = await db.db
        .selectFrom('outbox_events')
        .select(['aggregate_id', db.db.fn.countAll<number>().as('n')])
        .where('org_id', '=', org.id)
        .where('event_type', '=', type)
        .where('aggregate_id', 'in', ids)
        .groupBy('aggregate_id')
        .execute();
      return { kinds: rows.length, max: Math.max(...rows.map((row) => Number(row.n))) };
    };
    const taskIds = made.tasks.map((task) => task.id);
    expect(await counts('task_created', taskIds)).toEqual({ kinds: taskIds.length, max: 1 });
    expect(await counts('part_reserved', made.reservations)).toEqual({
      kinds: made.reservations.length,
      max: 1,
    });
  });

  it('delivers every webhook once per event and subscription; a repeat only for deliveries the killed worker held', async () => {
    const eventCount = await db.db
      .selectFrom('outbox_events')
      .select(db.db.fn.countAll<number>().as('n'))
      .where('org_id', '=', org.id)
      .executeTakeFirstOrThrow();
    const deliveries = await db.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select(['d.id', 'd.status', 'd.event_id', 'w.url'])
      .where('d.org_id', '=', org.id)
      .execute();
    // Both subscriptions take every event (`*`): one delivery row for each pair.
    expect(deliveries).toHaveLength(2 * Number(eventCount.n));
    expect(new Set(deliveries.map((d) => `${d.url} ${d.event_id}`)).size).toBe(deliveries.length);
    expect(deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
    const arrivals = (d: { id: string; url: string }) =>
      received.get(`${new URL(d.url).pathname} ${d.id}`) ?? 0;
    expect(deliveries.filter((d) => arrivals(d) === 0)).toEqual([]);
    // At least once: a send the killed worker made whose answer it never recorded is sent again
    // by the worker that took the delivery over after the lease. Only those may arrive twice.
    const repeated = deliveries.filter((d) => arrivals(d) > 1);
    expect(repeated.filter((d) => !victim.deliveries.includes(d.id))).toEqual([]);
    expect(Math.max(...deliveries.map(arrivals))).toBeLessThanOrEqual(2);
    const total = [...received.values()].reduce((sum, n) => sum + n, 0);
    expect(total).toBe(deliveries.length + repeated.length);
  });

  it("finishes the killed worker's import and deliveries, taken over only after WORKER_LEASE", async () => {
    expect(victim.imports.map((held) => held.id)).toEqual([made.imports[0]!.id]);
    const imports = await db.db
      .selectFrom('imports')
      .select(['id', 'status', 'finished_at', 'attempt_count'])
      .where(
        'id',
        'in',
        victim.imports.map((held) => held.id),
      )
      .execute();
    for (const held of victim.imports) {
      const row = imports.find((imp) => imp.id === held.id)!;
      expect(row.status).toBe('completed');
      // Resumed by another worker once the lease it renews at each batch had run out.
      expect(row.attempt_count).toBeGreaterThanOrEqual(2);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(held.lockedUntil.getTime());
    }
    if (victim.deliveries.length === 0) return;
    const deliveries = await db.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'status', 'delivered_at'])
      .where('id', 'in', victim.deliveries)
      .execute();
    expect(deliveries.map((row) => row.status)).toEqual(victim.deliveries.map(() => 'delivered'));
    // Renewed every third of the lease while alive, so taken over no sooner than two thirds of it after the kill.
    for (const row of deliveries) {
      expect(row.delivered_at!.getTime()).toBeGreaterThan(victim.killedAt + (LEASE_MS * 2) / 3 - 250);
    }
  });

  it('processes each CSV import once: every row applied, each aircraft created once', async () => {
    expect(made.imports).toHaveLength(ROUNDS);
    for (const upload of made.imports) {
      const row = await db.db
        .selectFrom('imports')
        .selectAll()
        .where('id', '=', upload.id)
        .executeTakeFirstOrThrow();
      const rows = upload.tails.length;
      expect(row).toMatchObject({ status: 'completed', total_rows: rows, applied_rows: rows });
      const aircraft = await db.db
        .selectFrom('aircraft')
        .select('tail_number')
        .where('org_id', '=', org.id)
        .where('tail_number', 'in', upload.tails)
        .execute();
      expect(aircraft.map((a) => a.tail_number).sort()).toEqual([...upload.tails].sort());
      const completed = await db.db
        .selectFrom('outbox_events')
        .select('id')
        .where('event_type', '=', 'import_completed')
        .where('aggregate_id', '=', upload.id)
        .execute();
      expect(completed).toHaveLength(1);
    }
  });

  it('gives each program one generated task, though both servers and three workers ran the generator at once', async () => {
    const tasks = await db.db
      .selectFrom('maintenance_tasks')
      .select(['program_id', db.db.fn.countAll<number>().as('n')])
      .where('program_id', 'in', made.programs)
      .groupBy('program_id')
      .execute();
    expect(tasks).toHaveLength(made.programs.length);
    expect(tasks.filter((row) => Number(row.n) !== 1)).toEqual([]);
    const generated = await db.db
      .selectFrom('outbox_events')
      .select('id')
      .where('org_id', '=', org.id)
      .where('event_type', '=', 'program_task_generated')
      .execute();
    expect(generated).toHaveLength(made.programs.length);
  });

  it('shows a WebSocket client of one server the events caused through the other', async () => {
    for (const [client, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const expected = made.tasks.filter((task) => task.through === other).map((task) => task.id);
      await vi.waitFor(() => {
        const seen = new Set(live[client]!.filter((m) => m.type === 'task_created').map((m) => m.data.id));
        expect(expected.filter((id) => !seen.has(id))).toEqual([]);
      }, WAIT);
    }
  });

  it('runs `amss migrate` through PgBouncer, twice at once, and leaves no advisory lock held', async () => {
    // A migration lock held for the session would be taken on one server connection and released on
    // another (server_round_robin): left held, the second run would wait for it until this test times out.
    const migrate = async () => {
      const run = spawnAmss(['migrate', 'up'], 'migrate', {
        ...process.env,
        DB_URL: bouncerUrl,
        DB_PREPARED_STATEMENTS: 'false',
        LOG_LEVEL: 'warn',
      });
      const [code] = (await once(run.child, 'exit')) as [number | null];
      return { code, output: run.output() };
    };
    const runs = await Promise.all([migrate(), migrate()]);
    for (const run of runs) expect(run, run.output).toMatchObject({ code: 0 });
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
       WHERE l.locktype = 'advisory' AND d.datname = current_database()`.execute(db.db);
    expect(rows[0]!.n).toBe(0);
  }, 45_000);

  it('keeps the session settings AMSS asks for (UTC, ISO intervals) behind PgBouncer', async () => {
    const response = await api(1, 'GET', `/organizations/${org.id}/policy`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ grounding_lead_time: 'PT24H', retention_interval: 'P365D' });
  });
});

/** Starts PgBouncer in transaction mode in front of `database`; its URL for AMSS. */
async function startPgBouncer(database: string): Promise<{ url: string }> {
  const dir = await tempDir('amss-pgbouncer-');
  // When the test runs as root PgBouncer refuses to; `-u nobody` drops to an unprivileged user, who must read these.
  await chmod(dir, 0o755);
  const port = await freePort();
  const server = new URL(TEST_DB_URL);
  const user = decodeURIComponent(server.username) || 'postgres';
  const ini = path.join(dir, 'pgbouncer.ini');
  await writeFile(
    ini,
    [
      '[databases]',
      // TimeZone and IntervalStyle are what AMSS sends in its startup `options`, which PgBouncer
      // 1.18 cannot pass on: every server connection gets them here instead.
      `amss = host=${server.hostname} port=${server.port || '5432'} dbname=${database} user=${user} ` +
        "timezone=UTC connect_query='SET IntervalStyle = iso_8601'",
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      // Consecutive transactions of one client go to different server connections (the default reuses
      // the last one), so session state that leaks from one transaction to the next shows.
      'server_round_robin = 1',
      'max_client_conn = 200',
      'default_pool_size = 20',
      'ignore_startup_parameters = options',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  await writeFile(path.join(dir, 'userlist.txt'), `"${user}" ""\n`, { mode: 0o644 });
  const asRoot = process.getuid?.() === 0;
  pgbouncer = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'nobody'] : []), ini]);
  pgbouncer.stdout!.on('data', (chunk: Buffer) => (pgbouncerLog += chunk.toString()));
  pgbouncer.stderr!.on('data', (chunk: Buffer) => (pgbouncerLog += chunk.toString()));
  const url = `postgres://${user}@127.0.0.1:${port}/amss`;
  await vi.waitFor(
    async () => {
      if (pgbouncer!.exitCode !== null) throw new Error(`pgbouncer exited:\n${pgbouncerLog}`);
      // As AMSS connects: with its startup options, in a pool of its own.
      const probe = connectPostgres(url, { max: 1, preparedStatements: false });
      try {
        const { rows } = await sql<{
          tz: string;
          style: string;
        }>`SELECT current_setting('TimeZone') AS tz, current_setting('IntervalStyle') AS style`.execute(
          probe.db,
        );
        expect(rows[0]).toEqual({ tz: 'UTC', style: 'iso_8601' });
      } finally {
        await probe.close();
      }
    },
    { timeout: 15_000, interval: 200 },
  );
  return { url };
}

/** A local endpoint for both webhooks: counts each arrival, answers 204 after a short delay. */
async function startReceiver(): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const key = `${request.url ?? ''} ${String(request.headers['x-webhook-delivery-id'])}`;
      received.set(key, (received.get(key) ?? 0) + 1);
      setTimeout(() => response.writeHead(204).end(), RECEIVER_DELAY_MS);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function spawnAmss(args: string[], name: string, env: NodeJS.ProcessEnv): Amss {
  const child = spawn(process.execPath, [...CLI, ...args], { env });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { name, child, output: () => output };
}

async function startServer(name: string, env: NodeJS.ProcessEnv): Promise<AmssServer> {
  const server = spawnAmss(['server'], name, env);
  const url = await vi.waitFor(
    () => {
      if (server.child.exitCode !== null) throw new Error(`server ${name} exited:\n${server.output()}`);
      const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output());
      if (!found) throw new Error(`server ${name} is not listening yet:\n${server.output()}`);
      return found[1]!;
    },
    { timeout: 90_000, interval: 100 },
  );
  return { ...server, url };
}

async function startWorker(id: string, env: NodeJS.ProcessEnv): Promise<Amss> {
  const worker = spawnAmss(['worker'], id, { ...env, WORKER_ID: id });
  await vi.waitFor(
    () => {
      if (worker.child.exitCode !== null) throw new Error(`worker ${id} exited:\n${worker.output()}`);
      // Its first generator run has finished: it reaches PostgreSQL through PgBouncer.
      expect(worker.output()).toContain('"job":"program-generator"');
    },
    { timeout: 90_000, interval: 100 },
  );
  return worker;
}

/** A request to server `n % 2` (so a loop's requests alternate) with the admin's token. */
async function api(
  n: number,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${servers[n % 2]!.url}/api/v1${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** Uploads an aircraft CSV of `rows` new tail numbers through server `n % 2`; the import's id. */
async function upload(n: number, round: number, rows: number): Promise<string> {
  const tails = Array.from({ length: rows }, (_, i) => `N${round}${String(i).padStart(4, '0')}SO`);
  const form = new FormData();
  form.append('type', 'aircraft');
  form.append(
    'file',
    new Blob([`tail_number,model\n${tails.map((t) => `${t},A320`).join('\n')}\n`]),
    'fleet.csv',
  );
  const response = await fetch(`${servers[n % 2]!.url}/api/v1/imports/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
    body: form,
  });
  const text = await response.text();
  expect(response.status, text).toBe(202);
  const { id } = JSON.parse(text) as { id: string };
  made.imports.push({ id, tails });
  return id;
}

/** Runs `work(0 … count-1)`, eight at a time; the results in order. */
async function inParallel<T>(count: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, lane));
  return results;
}

/**
 * SIGKILLs the worker holding the import (claimed, not finished) as soon as it holds webhook
 * deliveries too, or once the import is being applied; then reads everything it still held: its
 * claims stay until their lease ends.
 */
async function killTheWorkerHoldingTheImport(importId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let holder: string | undefined;
  while (holder === undefined) {
    const { rows } = await sql<{ status: string; locked_by: string | null; deliveries: number }>`
      SELECT i.status, i.locked_by,
             (SELECT count(*) FROM webhook_deliveries d
               WHERE d.status = 'pending' AND d.locked_by = split_part(i.locked_by, '/', 1))::int AS deliveries
        FROM imports i WHERE i.id = ${importId}`.execute(db.db);
    const row = rows[0]!;
    if (row.status === 'completed' || row.status === 'failed') {
      throw new Error(
        `the import was ${row.status} before its worker could be killed: raise LARGE_IMPORT_ROWS`,
      );
    }
    if (row.locked_by !== null && (row.deliveries > 0 || row.status === 'applying')) {
      holder = row.locked_by.split('/')[0];
    } else if (Date.now() > deadline) {
      throw new Error('no worker held the import within 30 s');
    } else {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const worker = workers.find((w) => w.name === holder)!;
  const exited = once(worker.child, 'exit');
  worker.child.kill('SIGKILL');
  const killedAt = Date.now();
  await exited;
  const [deliveries, events, imports] = await Promise.all([
    db.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('locked_by', '=', holder)
      .where('status', '=', 'pending')
      .execute(),
    db.db
      .selectFrom('outbox_events')
      .select('id')
      .where('locked_by', '=', holder)
      .where('status', '=', 'pending')
      .execute(),
    db.db
      .selectFrom('imports')
      .select(['id', 'locked_until'])
      .where('locked_by', 'like', `${holder}/%`)
      .where('status', 'not in', ['completed', 'failed'])
      .execute(),
  ]);
  victim = {
    id: holder,
    killedAt,
    deliveries: deliveries.map((row) => row.id),
    events: events.map((row) => row.id),
    imports: imports.map((row) => ({ id: row.id, lockedUntil: row.locked_until! })),
  };
}

/** Waits until nothing is left to publish, deliver or import, and the receiver has heard it all. */
async function waitUntilDrained(): Promise<void> {
  let last = '';
  await vi.waitFor(
    async () => {
      const { rows } = await sql<{ outbox: number; deliveries: number; imports: number }>`
        SELECT (SELECT count(*) FROM outbox_events WHERE org_id = ${org.id} AND status <> 'processed')::int AS outbox,
               (SELECT count(*) FROM webhook_deliveries WHERE org_id = ${org.id} AND status <> 'delivered')::int AS deliveries,
               (SELECT count(*) FROM imports WHERE org_id = ${org.id} AND status <> 'completed')::int AS imports`.execute(
        db.db,
      );
      const arrivals = [...received.values()].reduce((sum, n) => sum + n, 0);
      const state = JSON.stringify({ ...rows[0], arrivals });
      const settled = state === last;
      last = state;
      expect(rows[0]).toEqual({ outbox: 0, deliveries: 0, imports: 0 });
      // Twice the same: no send still on its way to the receiver.
      expect(settled).toBe(true);
    },
    { timeout: 120_000, interval: 1_000 },
  );
}

/** How often each event id appears on amss.events (this run's part of it). */
async function streamCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let start = streamStart;
  for (;;) {
    const entries = await redis.xrange('amss.events', start, '+', 'COUNT', 1000);
    for (const [, fields] of entries) {
      const id = fields[fields.indexOf('event_id') + 1]!;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    if (entries.length < 1000) return counts;
    start = `(${entries.at(-1)![0]}`;
  }
}

/** A WebSocket client of `server`'s live events, pushing each event message to `into`. */
async function liveClient(
  server: AmssServer,
  into: { type: string; data: Record<string, unknown> }[],
): Promise<WebSocket> {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/ws`, ['bearer', token]);
  const authenticated = new Promise<void>((resolve, reject) => {
    socket.on('message', (raw) => {
      const message = JSON.parse((raw as Buffer).toString('utf8')) as {
        type: string;
        data: Record<string, unknown>;
      };
      if (message.type === 'authenticated') resolve();
      into.push(message);
    });
    socket.once('close', (code) => reject(new Error(`the socket closed (${code})`)));
    socket.once('error', reject);
  });
  await authenticated;
  return socket;
}

/** SIGKILLs a child process of this file (unless it already ended) and waits for its end. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
