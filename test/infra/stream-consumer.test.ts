import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  StreamConsumer,
  type StreamConsumerOptions,
  type StreamMessage,
} from '../../src/infra/streams/consumer.js';
import { connectTestRedis } from '../support/redis.js';

let redis: RedisClient;
const streams: string[] = [];
const consumers: StreamConsumer[] = [];

beforeAll(() => {
  redis = connectTestRedis();
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  await Promise.all(streams.splice(0).map((stream) => redis.del(stream)));
});
afterAll(() => {
  redis.disconnect();
});

/** A logger that remembers what it was told. */
function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const log = (level: string) => (_fields: unknown, message?: string) => {
    lines.push({ level, message: message ?? '' });
  };
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } };
}

/** A consumer on a stream of its own; `handled` collects the messages its handler finished. */
function consumerOn(overrides: Partial<StreamConsumerOptions> = {}) {
  const stream = overrides.stream ?? `test.stream.${randomUUID()}`;
  streams.push(stream);
  const handled: StreamMessage[] = [];
  const consumer = new StreamConsumer({
    redis,
    stream,
    group: 'test.group',
    consumer: 'consumer-1',
    logger: recordingLogger().logger,
    blockMs: 100,
    claimIdleMs: 100,
    claimEveryMs: 50,
    handler: async (message) => {
      handled.push(message);
    },
    ...overrides,
  });
  consumers.push(consumer);
  return { stream, handled, consumer };
}

const pendingCount = async (stream: string) => {
  const [count] = (await redis.xpending(stream, 'test.group')) as [number];
  return count;
};

describe('StreamConsumer', () => {
  it('creates its group and stream, handles each message in order and acknowledges it', async () => {
    const { stream, handled, consumer } = consumerOn();
    consumer.start();
    await expect.poll(() => redis.exists(stream)).toBe(1);
    for (const n of ['1', '2', '3']) await redis.xadd(stream, '*', 'n', n);
    await expect.poll(() => handled.map((m) => m.fields.n)).toEqual(['1', '2', '3']);
    await expect.poll(() => pendingCount(stream)).toBe(0);
  });

  it('joins an existing group without complaint', async () => {
    const stream = `test.stream.${randomUUID()}`;
    await redis.xgroup('CREATE', stream, 'test.group', '$', 'MKSTREAM');
    const { handled, consumer } = consumerOn({ stream });
    consumer.start();
    await delay(50);
    await redis.xadd(stream, '*', 'n', '1');
    await expect.poll(() => handled.length).toBe(1);
  });

  it('leaves a message whose handler failed pending and handles it again once idle', async () => {
    let attempts = 0;
    const { stream, handled, consumer } = consumerOn({
      handler: async (message) => {
        attempts += 1;
        if (attempts === 1) throw new Error('first attempt fails');
        handled.push(message);
      },
    });
    consumer.start();
    await redis.xadd(stream, '*', 'n', '1');
    await expect.poll(() => handled.length, { timeout: 3_000 }).toBe(1);
    expect(attempts).toBe(2);
    await expect.poll(() => pendingCount(stream)).toBe(0);
  });

  it('acknowledges the messages of a read its handler finished and keeps only the failed one pending', async () => {
    const stream = `test.stream.${randomUUID()}`;
    await redis.xgroup('CREATE', stream, 'test.group', '$', 'MKSTREAM');
    for (const n of ['1', '2', '3', '4']) await redis.xadd(stream, '*', 'n', n);
    const seen: string[] = [];
    const { consumer } = consumerOn({
      stream,
      claimIdleMs: 60_000,
      handler: async (message) => {
        seen.push(message.fields.n!);
        if (message.fields.n === '3') throw new Error('row 3 cannot be handled');
      },
    });
    // The group was created at '$', so the four messages are new to it: read them from the start.
    await redis.xgroup('SETID', stream, 'test.group', '0');
    consumer.start();
    await expect.poll(() => seen).toEqual(['1', '2', '3', '4']);
    await expect.poll(() => pendingCount(stream)).toBe(1);
    const pending = (await redis.xpending(stream, 'test.group', '-', '+', 10)) as [string][];
    const pendingId = pending[0]![0];
    const entries = await redis.xrange(stream, pendingId, pendingId);
    expect(entries[0]?.[1]).toEqual(['n', '3']);
  });

  it('takes over the messages of a consumer that died', async () => {
    const stream = `test.stream.${randomUUID()}`;
    await redis.xgroup('CREATE', stream, 'test.group', '0', 'MKSTREAM');
    await redis.xadd(stream, '*', 'n', 'orphan');
    // A consumer that read the message and died before acknowledging it.
    await redis.xreadgroup('GROUP', 'test.group', 'dead-consumer', 'COUNT', 1, 'STREAMS', stream, '>');
    const { handled, consumer } = consumerOn({ stream, consumer: 'survivor' });
    consumer.start();
    await expect.poll(() => handled.map((m) => m.fields.n), { timeout: 3_000 }).toEqual(['orphan']);
    await expect.poll(() => pendingCount(stream)).toBe(0);
  });

  it('handles its own unacknowledged messages first after a restart', async () => {
    const stream = `test.stream.${randomUUID()}`;
    await redis.xgroup('CREATE', stream, 'test.group', '0', 'MKSTREAM');
    await redis.xadd(stream, '*', 'n', 'left');
    await redis.xreadgroup('GROUP', 'test.group', 'consumer-1', 'COUNT', 1, 'STREAMS', stream, '>');
    // Idle takeover would need an hour: only the restart path can find it.
    const { handled, consumer } = consumerOn({ stream, claimIdleMs: 3_600_000 });
    consumer.start();
    await expect.poll(() => handled.map((m) => m.fields.n)).toEqual(['left']);
  });

  it('gives up a message after the most deliveries, telling onGiveUp and acknowledging it', async () => {
    const given: string[] = [];
    const { stream, consumer } = consumerOn({
      maxDeliveries: 2,
      handler: () => Promise.reject(new Error('always fails')),
      onGiveUp: async (message, deliveries) => {
        given.push(`${message.fields.n}:${deliveries}`);
      },
    });
    consumer.start();
    await redis.xadd(stream, '*', 'n', 'poison');
    await expect.poll(() => given, { timeout: 5_000 }).toEqual(['poison:2']);
    await expect.poll(() => pendingCount(stream)).toBe(0);
  });

  it('stop() waits for the message in hand and acknowledges it', async () => {
    let release!: () => void;
    const inHand = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let finished = false;
    const { stream, consumer } = consumerOn({
      handler: async () => {
        started = true;
        await inHand;
        finished = true;
      },
    });
    consumer.start();
    await redis.xadd(stream, '*', 'n', '1');
    await expect.poll(() => started).toBe(true);
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await delay(100);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(await pendingCount(stream)).toBe(0);
  });

  it('stop() does not wait for a blocked read to time out', async () => {
    const { stream, consumer } = consumerOn({ blockMs: 30_000 });
    consumer.start();
    await expect.poll(() => redis.exists(stream)).toBe(1);
    await delay(50);
    const started = Date.now();
    await consumer.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('survives losing its connection and goes on consuming', async () => {
    const name = `amss-test-consumer-${randomUUID().slice(0, 8)}`;
    const recorder = recordingLogger();
    const { stream, handled, consumer } = consumerOn({
      connectionName: name,
      logger: recorder.logger,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    consumer.start();
    await redis.xadd(stream, '*', 'n', 'before');
    await expect.poll(() => handled.length).toBe(1);
    const clients = (await redis.client('LIST')) as string;
    const id = clients
      .split('\n')
      .find((line) => line.includes(` name=${name} `))
      ?.match(/^id=(\d+)/)?.[1];
    expect(id).toBeDefined();
    await redis.client('KILL', 'ID', id!);
    await redis.xadd(stream, '*', 'n', 'after');
    await expect.poll(() => handled.map((m) => m.fields.n), { timeout: 5_000 }).toEqual(['before', 'after']);
  });

  it('keeps retrying while Redis is unreachable, logs the outage once and stops cleanly', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    const recorder = recordingLogger();
    const consumer = new StreamConsumer({
      redis: down,
      stream: 'never.reached',
      group: 'test.group',
      consumer: 'c',
      logger: recorder.logger,
      backoff: { initialMs: 20, maxMs: 50 },
      handler: () => Promise.reject(new Error('never called')),
    });
    consumer.start();
    await delay(300);
    await consumer.stop();
    down.disconnect();
    expect(recorder.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(recorder.lines.some((line) => line.level === 'error')).toBe(false);
  });
});
