/**
 * The event pipeline's floor (bench:events runs it beside `amss worker`): the same work with no AMSS in
 * between. One Node.js process, like the worker, runs two loops until SIGTERM:
 *
 *   publish: claim a batch of 200 outbox events, XADD each to a stream in one pipeline (MAXLEN ~ as the
 *            worker does), mark the batch processed and create its webhook deliveries;
 *   deliver: claim a batch of 100 deliveries, POST each to its webhook signed with HMAC-SHA256 (16 in
 *            flight, one undici agent), record the outcomes in one statement.
 *
 * The four statements and the XADD pipeline are the worker's own (`PgOutboxQueue`, `PgDeliveryQueue` and
 * `RedisEventStream`, borrowed for their commands so the two can never drift apart) on a bare `pg` pool;
 * everything else — polling, signing, sending, recording — is written out here without AMSS's scheduler,
 * leases, retries, metrics or logs. Neither loop sleeps while it finds work; when it finds none it waits 5 ms.
 *
 * Env: FLOOR_DB_URL, FLOOR_REDIS_ADDR, FLOOR_STREAM (the stream key; not the worker's).
 */
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { Agent, request } from 'undici';
import type { DB } from '../src/infra/postgres/schema.js';
import { PgOutboxQueue } from '../src/infra/postgres/outbox-queue.js';
import { PgDeliveryQueue } from '../src/infra/postgres/webhook-deliveries.js';
import { RedisEventStream } from '../src/infra/streams/event-stream.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const WORKER = 'bench-floor';
const LEASE_MS = 60_000;
const STREAM_MAX_LENGTH = 100_000;
const IN_FLIGHT = 16;

const db = new Kysely<DB>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env('FLOOR_DB_URL'), max: 4 }) }),
});
const outbox = new PgOutboxQueue(db);
const deliveries = new PgDeliveryQueue(db);
const redis = new Redis(`redis://${env('FLOOR_REDIS_ADDR')}`);
// The worker's XADD pipeline too, on a stream of the floor's own.
const stream = new RedisEventStream(redis, STREAM_MAX_LENGTH, {
  events: env('FLOOR_STREAM'),
  dlq: `${env('FLOOR_STREAM')}:dlq`,
});
const agent = new Agent();
let stopping = false;

const idle = () => new Promise((resolve) => setTimeout(resolve, 5));

async function publishLoop(): Promise<void> {
  while (!stopping) {
    const events = await outbox.claim({ workerId: WORKER, limit: 200, leaseMs: LEASE_MS, now: new Date() });
    if (events.length === 0) {
      await idle();
      continue;
    }
    await stream.publish(events);
    await outbox.markPublished(
      events.map((event) => event.id),
      new Date(),
    );
  }
}

async function deliverLoop(): Promise<void> {
  while (!stopping) {
    const batch = await deliveries.claim({
      workerId: WORKER,
      limit: 100,
      leaseMs: LEASE_MS,
      now: new Date(),
    });
    if (batch.length === 0) {
      await idle();
      continue;
    }
    const statuses: number[] = [];
    let next = 0;
    const sendOne = async (): Promise<void> => {
      while (next < batch.length) {
        const i = next++;
        const delivery = batch[i]!;
        const timestamp = String(Date.now());
        const signature = createHmac('sha256', delivery.secret)
          .update(`${timestamp}.${delivery.payload}`)
          .digest('hex');
        const response = await request(delivery.url, {
          method: 'POST',
          dispatcher: agent,
          body: delivery.payload,
          headers: {
            'content-type': 'application/json',
            'x-webhook-timestamp': timestamp,
            'x-webhook-signature': `v1=${signature}`,
            'x-webhook-event': delivery.eventType,
            'x-webhook-delivery-id': delivery.id,
          },
        });
        await response.body.text();
        statuses[i] = response.statusCode;
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batch.length) }, sendOne));
    const at = new Date();
    await deliveries.recordOutcomes(
      WORKER,
      batch.map((delivery, i) => ({
        deliveryId: delivery.id,
        outcome: {
          result: 'delivered',
          status: 'delivered',
          attemptCount: delivery.attemptCount + 1,
          nextAttemptAt: at,
          deliveredAt: at,
          lastResponseCode: statuses[i]!,
          lastResponseBody: '',
          lastError: null,
        },
      })),
    );
  }
}

process.once('SIGTERM', () => {
  stopping = true;
});
const loops = Promise.all([publishLoop(), deliverLoop()]);
console.log('event floor ready');
await loops;
await Promise.all([db.destroy(), agent.close()]);
redis.disconnect();
