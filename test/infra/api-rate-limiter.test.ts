import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiRateLimiter } from '../../src/app/rate-limits.js';
import { createApiRateLimiter } from '../../src/infra/redis/api-rate-limiter.js';
import { connectTestRedis } from '../support/redis.js';

let redis: RedisClient;
beforeAll(async () => {
  redis = connectTestRedis();
  // Until the client is ready the limiter counts in memory, which is not what these tests are about.
  await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(() => {
  redis.disconnect();
});

function limiter(client: RedisClient | undefined, logger?: { warn: () => void }) {
  const keyPrefix = `amss-test:${randomBytes(4).toString('hex')}`;
  return {
    limiter: createApiRateLimiter({ redis: client, keyPrefix, ...(logger ? { logger } : {}) }),
    keyPrefix,
  };
}

async function consumeTimes(l: ApiRateLimiter, key: string, limit: number, times: number) {
  const states = [];
  for (let i = 0; i < times; i += 1) states.push(await l.consume(key, limit));
  return states;
}

describe('API rate limiter on Redis', () => {
  it('allows the limit per minute, then refuses with a retry time inside the window', async () => {
    const { limiter: l } = limiter(redis);
    const states = await consumeTimes(l, 'org-a:read', 3, 5);
    expect(states.map((s) => s.allowed)).toEqual([true, true, true, false, false]);
    expect(states.map((s) => s.remaining)).toEqual([2, 1, 0, 0, 0]);
    const now = Date.now() / 1000;
    const refused = states[3]!;
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.resetAt).toBeGreaterThan(now);
    expect(refused.resetAt).toBeLessThanOrEqual(Math.ceil(now) + 60);
  });

  it('keeps one counter per key', async () => {
    const { limiter: l } = limiter(redis);
    await consumeTimes(l, 'org-a:read', 2, 2);
    expect(await l.consume('org-a:read', 2)).toMatchObject({ allowed: false });
    expect(await l.consume('org-a:write', 2)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await l.consume('org-b:read', 2)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('judges the requests already counted by a new limit', async () => {
    const { limiter: l } = limiter(redis);
    await consumeTimes(l, 'org-a:read', 100, 5);
    expect(await l.consume('org-a:read', 3)).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
    expect(await l.consume('org-a:read', 10)).toMatchObject({ allowed: true, limit: 10, remaining: 4 });
  });

  it('keeps its counters in Redis under its prefix, expiring within a minute', async () => {
    const { limiter: l, keyPrefix } = limiter(redis);
    await consumeTimes(l, 'org-a:write', 10, 2);
    const key = `${keyPrefix}:api-rate:org-a:write`;
    expect(await redis.zcard(key)).toBe(2);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe.each([
  ['on Redis', () => redis],
  ['in memory', () => undefined],
])('API rate limiter %s, over a sliding minute', (_, client) => {
  // A clock of the test's own, so a minute passes without waiting one.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never lets more than the limit through in any 60 seconds, across the edge of a minute', async () => {
    const { limiter: l } = limiter(client());
    const start = Date.now();
    expect((await l.consume('org-a:read', 10)).allowed).toBe(true);
    vi.setSystemTime(start + 59_000);
    const late = await consumeTimes(l, 'org-a:read', 10, 10);
    expect(late.map((s) => s.allowed)).toEqual([...Array<boolean>(9).fill(true), false]);

    // A fixed window that began with the first request would start afresh here and allow 10 more.
    vi.setSystemTime(start + 60_000);
    const afterEdge = await consumeTimes(l, 'org-a:read', 10, 3);
    expect(afterEdge.map((s) => s.allowed)).toEqual([true, false, false]);
    expect(afterEdge[2]).toMatchObject({ remaining: 0, retryAfterSeconds: 59 });
    expect(afterEdge[2]!.resetAt).toBe(Math.ceil((start + 119_000) / 1000));

    vi.setSystemTime(start + 120_000);
    expect((await consumeTimes(l, 'org-a:read', 10, 10)).every((s) => s.allowed)).toBe(true);
  });

  it('tells a client when the oldest counted request leaves the window, without counting a peek', async () => {
    const { limiter: l } = limiter(client());
    const start = Date.now();
    await l.consume('org-a:write', 3);
    vi.setSystemTime(start + 20_000);
    await l.consume('org-a:write', 3);
    const peeked = await l.peek('org-a:write', 3);
    expect(peeked).toMatchObject({
      allowed: true,
      remaining: 1,
      resetAt: Math.ceil((start + 60_000) / 1000),
    });
    expect(await l.peek('org-a:write', 3)).toMatchObject({ remaining: 1 });
  });
});

describe('API rate limiter without Redis', () => {
  it('counts in process memory in embedded mode', async () => {
    const { limiter: l } = limiter(undefined);
    const states = await consumeTimes(l, 'org-a:read', 2, 3);
    expect(states.map((s) => [s.allowed, s.remaining])).toEqual([
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
  });

  it('keeps answering, counted in memory, and warns once when Redis is unreachable', async () => {
    // Nothing listens on port 1: the client keeps reconnecting and never becomes ready.
    const down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    const warn = vi.fn();
    const { limiter: l } = limiter(down, { warn });
    try {
      const states = await consumeTimes(l, 'org-a:read', 2, 3);
      expect(states.map((s) => s.allowed)).toEqual([true, true, false]);
      expect(await l.consume('org-b:read', 2)).toMatchObject({ allowed: true });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      down.disconnect();
    }
  });
});
