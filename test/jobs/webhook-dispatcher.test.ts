import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UndiciWebhookSender } from '../../src/infra/http/webhook-sender.js';
import { PgDeliveryQueue } from '../../src/infra/postgres/webhook-deliveries.js';
import { RedisEventStream, type StreamNames } from '../../src/infra/streams/event-stream.js';
import {
  webhookDispatcher,
  type WebhookDispatcher,
  type WebhookDispatcherDeps,
} from '../../src/jobs/webhook-dispatcher.js';
import { metricsRegistry } from '../../src/observability/metrics.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { connectTestRedis } from '../support/redis.js';
import {
  insertOrganization,
  insertOutboxEvent,
  insertWebhook,
  insertWebhookDelivery,
} from '../support/factories.js';

const SECRET = 'f'.repeat(16) + randomUUID().replaceAll('-', '');
const T0 = new Date('2030-01-01T00:00:00Z');

/** What the receiver saw of one request, judged by its own HMAC check (not the project's code). */
interface Received {
  path: string;
  deliveryId: string;
  event: string;
  timestamp: string;
  body: string;
  signatureValid: boolean;
}

let db: TestDatabase;
let redis: RedisClient;
let server: Server;
let base: string;
let received: Received[];
let streams: StreamNames;
let clock: Date;
let orgId: string;
const dispatchers: WebhookDispatcher[] = [];
const flakyCalls = new Map<string, number>();

/** The receiver's own verification: v1=hex(hmac_sha256(secret, timestamp + "." + raw body)), compared in constant time. */
function verify(request: IncomingMessage, body: string): boolean {
  const timestamp = String(request.headers['x-webhook-timestamp'] ?? '');
  const signature = String(request.headers['x-webhook-signature'] ?? '');
  const expected = Buffer.from(
    `v1=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {
  '/ok': (_, response) => response.writeHead(200).end('thanks'),
  '/fail': (_, response) => response.writeHead(500).end('boom'),
  '/big-fail': (_, response) => response.writeHead(503).end('x'.repeat(20_000)),
  '/busy': (_, response) => response.writeHead(429, { 'retry-after': '120' }).end(),
  '/busy-date': (_, response) =>
    response.writeHead(429, { 'retry-after': new Date(clock.getTime() + 90_000).toUTCString() }).end(),
  '/slow': (_, response) => {
    setTimeout(() => response.writeHead(200).end('late'), 2_000).unref();
  },
  '/redirect': (_, response) => response.writeHead(302, { location: '/ok' }).end(),
  // Never answers: every attempt runs into the sender's timeout.
  '/hang': () => {},
  '/flaky': (request, response) => {
    const id = String(request.headers['x-webhook-delivery-id']);
    const calls = (flakyCalls.get(id) ?? 0) + 1;
    flakyCalls.set(id, calls);
    response.writeHead(calls === 1 ? 500 : 204).end();
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  redis = connectTestRedis();
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      received.push({
        path,
        deliveryId: String(request.headers['x-webhook-delivery-id']),
        event: String(request.headers['x-webhook-event']),
        timestamp: String(request.headers['x-webhook-timestamp']),
        body,
        signatureValid: verify(request, body) && request.headers['content-type'] === 'application/json',
      });
      (routes[path] ?? ((_, r: ServerResponse) => r.writeHead(404).end()))(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  redis.disconnect();
  await db.drop();
});

beforeEach(async () => {
  received = [];
  clock = T0;
  const run = randomUUID();
  streams = { events: `test.${run}.events`, dlq: `test.${run}.dlq` };
  await db.db.deleteFrom('webhook_deliveries').execute();
  orgId = (await insertOrganization(db.db)).id;
});

afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
});

const silent = { info: () => {}, warn: () => {}, error: () => {} };

interface DispatcherOptions extends Partial<Omit<WebhookDispatcherDeps, 'queue' | 'sender' | 'stream'>> {
  /** The sender's timeout per attempt. */
  timeoutMs?: number;
  /** The sender's production rules. */
  publicAddressesOnly?: boolean;
  /** The Redis that takes the dead letters (the test's stream names, on the test Redis unless given). */
  redis?: RedisClient;
}

/** A dispatcher on the real adapters: the test database, undici, and dead letters through a Redis stream. */
function dispatcher(options: DispatcherOptions = {}): WebhookDispatcher {
  const { timeoutMs = 500, publicAddressesOnly, redis: dlqRedis = redis, ...deps } = options;
  const created = webhookDispatcher({
    queue: new PgDeliveryQueue(db.db),
    sender: new UndiciWebhookSender({ timeoutMs, publicAddressesOnly }),
    stream: new RedisEventStream(dlqRedis, 10_000, streams),
    workerId: 'worker-a',
    logger: silent,
    now: () => clock,
    random: () => 1,
    ...deps,
  });
  dispatchers.push(created);
  return created;
}

/** A pending delivery of a fresh task_created event to a webhook at `path` of the receiver. */
async function deliveryTo(path: string, url = `${base}${path}`) {
  const webhook = await insertWebhook(db.db, { org_id: orgId, url, secret: SECRET, events: ['*'] });
  const event = await insertOutboxEvent(db.db, {
    org_id: orgId,
    status: 'processed',
    processed_at: new Date(),
    payload: JSON.stringify({
      version: 1,
      event_type: 'task_created',
      org_id: orgId,
      data: { note: 'ünïcode ✈' },
    }),
  });
  return insertWebhookDelivery(db.db, { org_id: orgId, webhook_id: webhook.id, event_id: event.id });
}

const deliveryRow = (id: string) =>
  db.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const later = (ms: number) => new Date(clock.getTime() + ms);

async function deliveriesMetric(status: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('webhook_deliveries_total')?.get();
  return metric?.values.find((value) => value.labels.status === status)?.value ?? 0;
}

describe('webhook dispatcher', () => {
  it('delivers a signed event on a 2xx and records it as delivered', async () => {
    const delivery = await deliveryTo('/ok');
    const before = await deliveriesMetric('delivered');
    expect(await dispatcher().dispatchBatch()).toMatchObject({ claimed: 1, delivered: 1 });

    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ deliveryId: delivery.id, event: 'task_created', signatureValid: true });
    expect(request!.timestamp).toBe(String(T0.getTime()));
    expect(JSON.parse(request!.body)).toMatchObject({
      event_type: 'task_created',
      data: { note: 'ünïcode ✈' },
    });
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'delivered',
      attempt_count: 1,
      delivered_at: T0,
      last_response_code: 200,
      last_response_body: 'thanks',
      last_error: null,
      locked_by: null,
    });
    expect(await deliveriesMetric('delivered')).toBe(before + 1);
  });

  it('retries after a 500 with exponential backoff, and delivers on a later attempt', async () => {
    const delivery = await deliveryTo('/flaky');
    const job = dispatcher();
    expect(await job.dispatchBatch()).toMatchObject({ claimed: 1, retried: 1 });
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'pending',
      attempt_count: 1,
      last_response_code: 500,
      last_error: 'the endpoint answered 500',
      next_attempt_at: later(5_000),
    });

    // Not due yet: nothing is sent until the backoff has passed.
    expect(await job.dispatchBatch()).toMatchObject({ claimed: 0 });
    clock = later(5_000);
    expect(await job.dispatchBatch()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'delivered',
      attempt_count: 2,
      last_error: null,
    });
    expect(received.map((r) => r.signatureValid)).toEqual([true, true]);
  });

  it('doubles the wait with each failed attempt and stores at most 4096 characters of the answer', async () => {
    const delivery = await deliveryTo('/big-fail');
    const job = dispatcher();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await job.dispatchBatch();
      const row = await deliveryRow(delivery.id);
      waits.push(row.next_attempt_at.getTime() - clock.getTime());
      clock = row.next_attempt_at;
    }
    expect(waits).toEqual([5_000, 10_000, 20_000]);
    const row = await deliveryRow(delivery.id);
    expect(row).toMatchObject({ attempt_count: 3, last_response_code: 503 });
    expect(row.last_response_body).toHaveLength(4096);
  });

  it('counts a timeout as a failed attempt with a clear error', async () => {
    const delivery = await deliveryTo('/slow');
    await dispatcher({ timeoutMs: 300 }).dispatchBatch();
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'pending',
      attempt_count: 1,
      last_response_code: null,
      last_error: 'no answer within 300 ms (timeout)',
      next_attempt_at: later(5_000),
    });
  });

  it('honours Retry-After on a 429, in seconds or as an HTTP date', async () => {
    const seconds = await deliveryTo('/busy');
    const date = await deliveryTo('/busy-date');
    await dispatcher().dispatchBatch();
    expect(await deliveryRow(seconds.id)).toMatchObject({
      status: 'pending',
      last_response_code: 429,
      next_attempt_at: later(120_000),
    });
    expect((await deliveryRow(date.id)).next_attempt_at).toEqual(later(90_000));
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const delivery = await deliveryTo('/redirect');
    await dispatcher().dispatchBatch();
    expect(received.map((r) => r.path)).toEqual(['/redirect']);
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'pending',
      last_response_code: 302,
      last_error: 'the endpoint answered 302 (redirects are not followed)',
    });
  });

  it("fails the delivery at the org's max_webhook_attempts and sends it to the dead-letter stream", async () => {
    await db.db.insertInto('org_policies').values({ org_id: orgId, max_webhook_attempts: 2 }).execute();
    const delivery = await deliveryTo('/fail');
    const job = dispatcher();
    await job.dispatchBatch();
    expect((await deliveryRow(delivery.id)).status).toBe('pending');
    clock = later(3_600_000);
    expect(await job.dispatchBatch()).toMatchObject({ claimed: 1, failed: 1 });

    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'failed',
      attempt_count: 2,
      last_error: 'the endpoint answered 500; gave up after 2 attempts',
    });
    const entries = await redis.xrange(streams.dlq, '-', '+');
    expect(entries).toHaveLength(1);
    expect(Object.fromEntries(chunk(entries[0]![1]))).toEqual({
      kind: 'webhook_delivery',
      id: delivery.id,
      org_id: orgId,
      event_type: 'task_created',
      error: 'the endpoint answered 500; gave up after 2 attempts',
    });
    clock = later(3_600_000);
    expect(await job.dispatchBatch()).toMatchObject({ claimed: 0 });
  });

  it('still marks a delivery failed when Redis cannot take the dead letter, and logs it', async () => {
    await db.db.insertInto('org_policies').values({ org_id: orgId, max_webhook_attempts: 1 }).execute();
    const delivery = await deliveryTo('/fail');
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const errors: string[] = [];
    const logger = {
      ...silent,
      error: ((_: unknown, message: string) => void errors.push(message)) as typeof silent.error,
    };
    try {
      await dispatcher({ redis: down, logger }).dispatchBatch();
    } finally {
      down.disconnect();
    }
    expect((await deliveryRow(delivery.id)).status).toBe('failed');
    expect(errors).toEqual(['could not dead-letter webhook deliveries']);
  });

  it('sends nothing to a deleted webhook: its pending deliveries fail with a clear error', async () => {
    const delivery = await deliveryTo('/ok');
    await db.db
      .updateTable('webhooks')
      .set({ deleted_at: new Date() })
      .where('id', '=', delivery.webhook_id)
      .execute();
    await dispatcher().dispatchBatch();
    expect(received).toEqual([]);
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'failed',
      attempt_count: 0,
      last_error: 'the webhook was deleted before this delivery was sent',
    });
  });

  it('takes over a claim left by a dead worker after the lease, never a live one', async () => {
    const abandoned = await deliveryTo('/ok');
    const inFlight = await deliveryTo('/ok');
    await db.db
      .updateTable('webhook_deliveries')
      .set({ locked_by: 'dead', locked_at: later(-120_000) })
      .where('id', '=', abandoned.id)
      .execute();
    await db.db
      .updateTable('webhook_deliveries')
      .set({ locked_by: 'alive', locked_at: later(-1_000) })
      .where('id', '=', inFlight.id)
      .execute();
    await dispatcher({ leaseMs: 60_000 }).dispatchBatch();
    expect(received.map((r) => r.deliveryId)).toEqual([abandoned.id]);
    expect((await deliveryRow(inFlight.id)).status).toBe('pending');
  });

  it('keeps the claim of a batch that outlasts its lease against a hanging endpoint, recording every attempt once', async () => {
    const deliveries = [];
    for (let i = 0; i < 4; i++) deliveries.push(await deliveryTo('/hang'));
    const options = { batchSize: 4, concurrency: 1, leaseMs: 60_000, renewEveryMs: 20, timeoutMs: 400 };
    const first = dispatcher({ ...options, workerId: 'worker-a' }).dispatchBatch();
    await vi.waitFor(() => expect(received).toHaveLength(1));
    clock = later(61_000); // the batch has now run longer than its lease
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 5_000 });
    expect(await dispatcher({ ...options, workerId: 'worker-b' }).dispatchBatch()).toMatchObject({
      claimed: 0,
    });
    expect(await first).toMatchObject({ claimed: 4, retried: 4 });
    expect(received.map((r) => r.deliveryId).sort()).toEqual(deliveries.map((d) => d.id).sort());
    for (const delivery of deliveries) {
      expect(await deliveryRow(delivery.id)).toMatchObject({
        status: 'pending',
        attempt_count: 1,
        locked_by: null,
      });
    }
  });

  it('in production refuses to connect to private addresses, literal or resolved at send time', async () => {
    const literal = await deliveryTo('/ok');
    const port = (server.address() as AddressInfo).port;
    const named = await deliveryTo('/ok', `http://localhost:${port}/ok`);
    await dispatcher({ publicAddressesOnly: true }).dispatchBatch();
    expect(received).toEqual([]);
    expect((await deliveryRow(literal.id)).last_error).toBe(
      'refused to connect: the URL targets a loopback address (127.0.0.1)',
    );
    expect((await deliveryRow(named.id)).last_error).toMatch(
      /^refused to connect: localhost resolves to a loopback address/,
    );
  });

  it('never sends one delivery twice when two dispatchers run at once', async () => {
    const deliveries = [];
    for (let i = 0; i < 60; i++) deliveries.push(await deliveryTo('/ok'));
    const drain = async (job: WebhookDispatcher) => {
      while ((await job.dispatchBatch()).claimed > 0);
    };
    const options = { batchSize: 7, concurrency: 3 };
    await Promise.all([
      drain(dispatcher({ ...options, workerId: 'worker-a' })),
      drain(dispatcher({ ...options, workerId: 'worker-b' })),
    ]);
    const counts = new Map<string, number>();
    for (const r of received) counts.set(r.deliveryId, (counts.get(r.deliveryId) ?? 0) + 1);
    expect(counts.size).toBe(60);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    const statuses = await db.db.selectFrom('webhook_deliveries').select('status').execute();
    expect(statuses.every((row) => row.status === 'delivered')).toBe(true);
  });

  it('hands back the claims of its worker when stopped, for another worker to take at once', async () => {
    const claimed = await deliveryTo('/ok');
    const other = await deliveryTo('/ok');
    await db.db
      .updateTable('webhook_deliveries')
      .set({ locked_by: 'worker-a', locked_at: clock })
      .where('id', '=', claimed.id)
      .execute();
    await db.db
      .updateTable('webhook_deliveries')
      .set({ locked_by: 'worker-b', locked_at: clock })
      .where('id', '=', other.id)
      .execute();
    await dispatcher({ workerId: 'worker-a' }).stop();
    expect(await deliveryRow(claimed.id)).toMatchObject({
      status: 'pending',
      locked_by: null,
      locked_at: null,
    });
    expect((await deliveryRow(other.id)).locked_by).toBe('worker-b');
  });

  it('as a job, drains full batches in one run and reports what it did', async () => {
    for (let i = 0; i < 5; i++) await deliveryTo('/ok');
    const job = dispatcher({ batchSize: 2 });
    expect(job).toMatchObject({ name: 'webhook-dispatcher', schedule: { everyMs: 100 } });
    expect(await job.run()).toBe('webhook deliveries: 5 delivered, 0 to retry, 0 failed');
    expect(await job.run()).toBeUndefined();
  });
});

function chunk(fields: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i]!, fields[i + 1]!]);
  return pairs;
}
