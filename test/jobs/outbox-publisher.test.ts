import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgOutboxQueue } from '../../src/infra/postgres/outbox-queue.js';
import { RedisEventStream } from '../../src/infra/streams/event-stream.js';
import { outboxPublisher } from '../../src/jobs/outbox-publisher.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { connectTestRedis } from '../support/redis.js';
import { insertOrganization, insertOutboxEvent, insertWebhook } from '../support/factories.js';

const silent = { warn: () => {}, error: () => {} };

let db: TestDatabase;
let redis: RedisClient;
let names: { events: string; dlq: string };
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = connectTestRedis();
});

afterAll(async () => {
  await db.drop();
  redis.disconnect();
});

beforeEach(async () => {
  const run = randomUUID();
  names = { events: `test.${run}.events`, dlq: `test.${run}.dlq` };
  await db.db.deleteFrom('webhook_deliveries').execute();
  await db.db.deleteFrom('outbox_events').execute();
  orgId = (await insertOrganization(db.db)).id;
});

function publisher(
  options: { workerId?: string; maxAttempts?: number; now?: () => Date; batchSize?: number } = {},
) {
  return outboxPublisher({
    queue: new PgOutboxQueue(db.db),
    stream: new RedisEventStream(redis, 10_000, names),
    workerId: options.workerId ?? 'worker-a',
    logger: silent,
    ...options,
  });
}

async function streamEntries(key = names.events): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
    return record;
  });
}

const outboxRow = (id: string) =>
  db.db.selectFrom('outbox_events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('outbox publisher', () => {
  it('publishes the events of one transaction in the order they were written', async () => {
    const written = await db.db.transaction().execute(async (tx) => {
      const ids: string[] = [];
      for (let n = 0; n < 12; n += 1) ids.push((await insertOutboxEvent(tx, { org_id: orgId })).id);
      return ids;
    });
    await publisher().run();
    expect((await streamEntries()).map((e) => e.event_id)).toEqual(written);
  });

  it('publishes events recorded before the seq column existed first, oldest first', async () => {
    const recent = await insertOutboxEvent(db.db, { org_id: orgId });
    const older = await insertOutboxEvent(db.db, {
      org_id: orgId,
      seq: null,
      created_at: new Date('2026-01-01T00:00:02Z'),
    });
    const oldest = await insertOutboxEvent(db.db, {
      org_id: orgId,
      seq: null,
      created_at: new Date('2026-01-01T00:00:01Z'),
    });
    await publisher().run();
    expect((await streamEntries()).map((e) => e.event_id)).toEqual([oldest.id, older.id, recent.id]);
  });

  it('publishes a change that waited for another after it, though its transaction began first', async () => {
    const order = await db.db.transaction().execute(async (waiting) => {
      // The waiting transaction begins (and takes its now()) before the other one…
      await sql`SELECT now()`.execute(waiting);
      const first = await insertOutboxEvent(db.db, { org_id: orgId, event_type: 'task_state_changed' });
      // …and writes its event only once the other has committed, as a change blocked on a row lock does.
      const second = await insertOutboxEvent(waiting, { org_id: orgId, event_type: 'task_state_changed' });
      return [first, second];
    });
    expect(order[1]!.created_at.getTime()).toBeLessThan(order[0]!.created_at.getTime());
    await publisher().run();
    expect((await streamEntries()).map((e) => e.event_id)).toEqual(order.map((event) => event.id));
  });

  it('publishes committed events to the stream oldest first and marks them processed', async () => {
    const first = await insertOutboxEvent(db.db, {
      org_id: orgId,
      payload: JSON.stringify({ version: 1, n: 1 }),
    });
    const second = await insertOutboxEvent(db.db, { org_id: orgId, event_type: 'part_reserved' });

    const outcome = await publisher().run();

    expect(outcome).toMatch(/published 2 events/);
    const entries = await streamEntries();
    expect(entries.map((e) => e.event_id)).toEqual([first.id, second.id]);
    expect(entries[0]).toMatchObject({
      org_id: orgId,
      event_type: 'task_created',
      dedupe_key: first.dedupe_key,
    });
    expect(JSON.parse(entries[0]!.payload!)).toEqual({ version: 1, n: 1 });
    const stored = await outboxRow(first.id);
    expect(stored.status).toBe('processed');
    expect(stored.processed_at).not.toBeNull();
    expect(stored.locked_by).toBeNull();
  });

  it('publishes nothing twice: a second run finds the outbox drained', async () => {
    await insertOutboxEvent(db.db, { org_id: orgId });
    await publisher().run();
    expect(await publisher().run()).toBeUndefined();
    expect(await streamEntries()).toHaveLength(1);
  });

  it('creates one delivery per subscribed live webhook of the event’s org, exactly once', async () => {
    const byType = await insertWebhook(db.db, { org_id: orgId, events: ['task_created'] });
    const wildcard = await insertWebhook(db.db, { org_id: orgId, events: ['*'] });
    await insertWebhook(db.db, { org_id: orgId, events: ['part_reserved'] });
    await insertWebhook(db.db, { org_id: orgId, events: ['*'], deleted_at: new Date() });
    await insertWebhook(db.db, { events: ['*'] }); // another organization
    const event = await insertOutboxEvent(db.db, { org_id: orgId });

    await publisher().run();
    // A re-publication of the same event (a worker died after XADD) adds no second delivery.
    await db.db.updateTable('outbox_events').set({ status: 'pending', processed_at: null }).execute();
    await publisher().run();

    const deliveries = await db.db.selectFrom('webhook_deliveries').selectAll().execute();
    expect(deliveries.map((d) => d.webhook_id).sort()).toEqual([byType.id, wildcard.id].sort());
    expect(deliveries.every((d) => d.event_id === event.id && d.status === 'pending')).toBe(true);
  });

  it('sends a webhook_test event only to the webhook it tests', async () => {
    const tested = await insertWebhook(db.db, { org_id: orgId, events: ['task_created'] });
    await insertWebhook(db.db, { org_id: orgId, events: ['*'] });
    await insertOutboxEvent(db.db, {
      org_id: orgId,
      event_type: 'webhook_test',
      payload: JSON.stringify({ version: 1, data: { webhook_id: tested.id } }),
    });

    await publisher().run();

    const deliveries = await db.db.selectFrom('webhook_deliveries').select('webhook_id').execute();
    expect(deliveries).toEqual([{ webhook_id: tested.id }]);
  });

  it('loses and duplicates nothing when two publishers drain one outbox at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push((await insertOutboxEvent(db.db, { org_id: orgId })).id);
    await insertWebhook(db.db, { org_id: orgId, events: ['*'] });

    await Promise.all([
      publisher({ workerId: 'worker-a', batchSize: 20 }).run(),
      publisher({ workerId: 'worker-b', batchSize: 20 }).run(),
    ]);

    const published = (await streamEntries()).map((e) => e.event_id);
    expect(published.sort()).toEqual([...ids].sort());
    const pending = await db.db
      .selectFrom('outbox_events')
      .select('id')
      .where('status', '!=', 'processed')
      .execute();
    expect(pending).toEqual([]);
    const deliveries = await db.db.selectFrom('webhook_deliveries').select('event_id').execute();
    expect(deliveries).toHaveLength(300);
  });

  it('takes over the events a dead worker claimed once its lease ran out, but not a live claim', async () => {
    const now = new Date(Date.now() + 1000);
    const abandoned = await insertOutboxEvent(db.db, {
      org_id: orgId,
      locked_by: 'dead-worker',
      locked_at: new Date(now.getTime() - 120_000),
    });
    const held = await insertOutboxEvent(db.db, { org_id: orgId, locked_by: 'busy-worker', locked_at: now });

    await publisher({ now: () => now }).run();

    expect((await streamEntries()).map((e) => e.event_id)).toEqual([abandoned.id]);
    expect((await outboxRow(held.id)).status).toBe('pending');
  });

  it('retries a failing event with exponential backoff and dead-letters it after the last attempt', async () => {
    // A key of the wrong type makes Redis itself refuse the XADD.
    await redis.set(names.events, 'not a stream');
    let clock = new Date('2031-03-01T10:00:00Z');
    const event = await insertOutboxEvent(db.db, { org_id: orgId, next_attempt_at: clock });
    const job = publisher({ maxAttempts: 3, now: () => clock });

    await job.run();
    let row = await outboxRow(event.id);
    expect(row).toMatchObject({ status: 'pending', attempt_count: 1 });
    expect(row.last_error).toMatch(/WRONGTYPE/);
    expect(row.next_attempt_at.getTime() - clock.getTime()).toBe(1000);

    expect(await job.run()).toBeUndefined(); // not due yet
    clock = new Date(row.next_attempt_at);
    await job.run();
    row = await outboxRow(event.id);
    expect(row.attempt_count).toBe(2);
    expect(row.next_attempt_at.getTime() - clock.getTime()).toBe(2000);

    clock = new Date(row.next_attempt_at);
    await job.run();
    row = await outboxRow(event.id);
    expect(row).toMatchObject({ status: 'failed', attempt_count: 3, processed_at: null });
    expect(row.failed_at).toEqual(clock);
    const dlq = await streamEntries(names.dlq);
    expect(dlq).toEqual([
      expect.objectContaining({
        kind: 'outbox_event',
        id: event.id,
        org_id: orgId,
        event_type: 'task_created',
      }),
    ]);
  });

  it('caps the backoff at one hour', async () => {
    await redis.set(names.events, 'not a stream');
    const clock = new Date('2031-03-01T10:00:00Z');
    const event = await insertOutboxEvent(db.db, {
      org_id: orgId,
      attempt_count: 15,
      next_attempt_at: clock,
    });

    await publisher({ maxAttempts: 50, now: () => clock }).run();

    const row = await outboxRow(event.id);
    expect(row.next_attempt_at.getTime() - clock.getTime()).toBe(3_600_000);
  });

  it('spends no attempts while Redis is down and publishes every event once it is back', async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const event = await insertOutboxEvent(db.db, { org_id: orgId });
    const outage = outboxPublisher({
      queue: new PgOutboxQueue(db.db),
      stream: new RedisEventStream(down, 10_000, names),
      workerId: 'worker-a',
      logger: silent,
    });

    expect(await outage.run()).toBeUndefined();
    expect(await outboxRow(event.id)).toMatchObject({ status: 'pending', attempt_count: 0, locked_by: null });

    await publisher().run();
    expect((await streamEntries()).map((e) => e.event_id)).toEqual([event.id]);
    down.disconnect();
  });

  it('hands back what it holds when stopped, so another worker takes it at once', async () => {
    const event = await insertOutboxEvent(db.db, {
      org_id: orgId,
      locked_by: 'worker-a',
      locked_at: new Date(),
    });

    await publisher({ workerId: 'worker-a' }).stop();

    expect((await outboxRow(event.id)).locked_by).toBeNull();
  });
});
