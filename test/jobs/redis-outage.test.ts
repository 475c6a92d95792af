/**
 * Redis down: the API keeps taking writes (locks and limits fall back in process), the outbox keeps
 * every event in PostgreSQL, and once Redis is back every event is published and delivered.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciWebhookSender } from '../../src/infra/http/webhook-sender.js';
import { PgOutboxQueue } from '../../src/infra/postgres/outbox-queue.js';
import { PgDeliveryQueue } from '../../src/infra/postgres/webhook-deliveries.js';
import { RedisEventStream } from '../../src/infra/streams/event-stream.js';
import { outboxPublisher } from '../../src/jobs/outbox-publisher.js';
import { webhookDispatcher } from '../../src/jobs/webhook-dispatcher.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { TEST_REDIS_ADDR } from '../support/env.js';
import { insertPartItem } from '../support/factories.js';
import { createTenant, type Tenant } from '../support/tenants.js';

const silent = { info: () => {}, warn: () => {}, error: () => {} };
/** A client of a Redis that is not there: every command fails at once. */
const unreachable = () =>
  new Redis({
    port: 1,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });

let t: TestApp;
let down: Redis;
let tenant: Tenant;
let receiver: Server;
const received: string[] = [];

beforeAll(async () => {
  down = unreachable();
  down.on('error', () => {}); // expected: it is down
  t = await createTestApp({}, { redis: down });
  tenant = await createTenant(t);
  receiver = createServer((request, response) => {
    received.push(String(request.headers['x-webhook-event']));
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  receiver.closeAllConnections();
  receiver.close();
  down.disconnect();
  await t.close();
});

describe('a Redis outage', () => {
  it('loses no write and no event: everything is published and delivered once Redis is back', async () => {
    const { tokens, org } = tenant;
    const hook = await t.request(tokens.tenant_admin, 'POST', '/api/v1/webhooks', {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      events: ['*'],
    });
    expect(hook.statusCode, hook.body).toBe(201);

    // Writes during the outage, including a reservation, which takes a Redis lock when Redis is up.
    const aircraft = await t.request(tokens.scheduler, 'POST', '/api/v1/aircraft', {
      tail_number: `N-OUT-${randomUUID().slice(0, 6)}`,
      model: 'A320',
    });
    expect(aircraft.statusCode, aircraft.body).toBe(201);
    const task = await t.request(tokens.scheduler, 'POST', '/api/v1/maintenance-tasks', {
      aircraft_id: aircraft.json<{ id: string }>().id,
      type: 'inspection',
      start_time: '2032-02-01T08:00:00Z',
      end_time: '2032-02-01T10:00:00Z',
    });
    expect(task.statusCode, task.body).toBe(201);
    const item = await insertPartItem(t.db.db, { org_id: org.id });
    const reservation = await t.request(tokens.scheduler, 'POST', '/api/v1/part-reservations', {
      task_id: task.json<{ id: string }>().id,
      part_item_id: item.id,
    });
    expect(reservation.statusCode, reservation.body).toBe(201);

    const queue = new PgOutboxQueue(t.db.db);
    const names = { events: `test.${randomUUID()}.events`, dlq: `test.${randomUUID()}.dlq` };
    const publisherWith = (redis: Redis) =>
      outboxPublisher({
        queue,
        stream: new RedisEventStream(redis, 10_000, names),
        workerId: 'w',
        logger: silent,
      });

    // While Redis is down the publisher waits: nothing is lost, no attempt is spent.
    await publisherWith(down).run();
    const waiting = await t.db.db
      .selectFrom('outbox_events')
      .select(['status', 'attempt_count'])
      .where('org_id', '=', org.id)
      .execute();
    expect(waiting.length).toBeGreaterThanOrEqual(4);
    expect(waiting.every((row) => row.status === 'pending' && row.attempt_count === 0)).toBe(true);

    // Redis is back.
    const up = new Redis(`redis://${TEST_REDIS_ADDR}`);
    try {
      await up.ping();
      await publisherWith(up).run();
      const published = await up.xlen(names.events);
      expect(published).toBe(waiting.length);
      const dispatcher = webhookDispatcher({
        queue: new PgDeliveryQueue(t.db.db),
        sender: new UndiciWebhookSender({ timeoutMs: 5_000 }),
        stream: new RedisEventStream(up, 10_000, names),
        workerId: 'w',
        logger: silent,
      });
      await dispatcher.run();
      await dispatcher.stop();
    } finally {
      up.disconnect();
    }
    // Every event of the outage reached the subscriber, once each.
    const events = await t.db.db
      .selectFrom('outbox_events')
      .select('event_type')
      .where('org_id', '=', org.id)
      .execute();
    expect(events.map((e) => e.event_type)).toEqual(
      expect.arrayContaining(['aircraft_created', 'task_created', 'part_reserved']),
    );
    expect([...received].sort()).toEqual(events.map((e) => e.event_type).sort());
  });
});
