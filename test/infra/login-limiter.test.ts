import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppError } from '../../src/app/errors.js';
import type { LoginLimiter } from '../../src/app/login-limiter.js';
import { createLoginLimiter } from '../../src/infra/redis/login-limiter.js';
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

const WINDOW_MS = 15 * 60 * 1000;

function limiter(client: RedisClient | undefined, extra: { logger?: { warn: () => void } } = {}) {
  const keyPrefix = `amss-test:${randomBytes(4).toString('hex')}`;
  const created = createLoginLimiter({
    redis: client,
    keyPrefix,
    maxFailuresPerEmailAndIp: 3,
    maxFailuresPerEmail: 6,
    maxFailuresPerIp: 5,
    windowMs: WINDOW_MS,
    ...extra,
  });
  return { limiter: created, keyPrefix };
}

async function refusal(limiter: LoginLimiter, ip: string, email: string): Promise<AppError | undefined> {
  return limiter.check(ip, email).then(
    () => undefined,
    (error: AppError) => error,
  );
}

async function fail(limiter: LoginLimiter, times: number, ip: string, email: (i: number) => string) {
  for (let i = 0; i < times; i += 1) await limiter.recordFailure(ip, email(i));
}

describe('login limiter on Redis', () => {
  it('locks an email at one address after its failures, in any letter case, but not at other addresses', async () => {
    const { limiter: l } = limiter(redis);
    await fail(l, 2, '10.0.0.1', () => 'Jane@Example.com');
    expect(await refusal(l, '10.0.0.1', 'jane@example.com')).toBeUndefined();
    await l.recordFailure('10.0.0.1', 'JANE@example.com');

    const error = await refusal(l, '10.0.0.1', 'jane@example.com');
    expect(error).toMatchObject({ kind: 'rate_limited', reason: 'RATE_LIMITED' });
    const retryAfter = Number(error?.headers?.['Retry-After']);
    expect(retryAfter).toBeGreaterThan(WINDOW_MS / 1000 - 60);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect(await refusal(l, '10.0.0.2', 'jane@example.com')).toBeUndefined();
    expect(await refusal(l, '10.0.0.1', 'someone.else@example.com')).toBeUndefined();
  });

  it('locks an email everywhere once failures from many addresses reach the per-email ceiling', async () => {
    const { limiter: l } = limiter(redis);
    await fail(l, 5, '10.0.6.1', (i) => (i < 3 ? 'spread@example.com' : 'x@example.com'));
    await fail(l, 2, '10.0.6.2', () => 'spread@example.com');
    expect(await refusal(l, '10.0.6.9', 'spread@example.com')).toBeUndefined();
    await l.recordFailure('10.0.6.3', 'spread@example.com');
    expect(await refusal(l, '10.0.6.9', 'spread@example.com')).toMatchObject({ kind: 'rate_limited' });
  });

  it('names the limit a failure fills, once, as the lockout starts, and logs it without the email', async () => {
    const warn = vi.fn();
    const { limiter: l } = limiter(redis, { logger: { warn } });
    const lockouts = [];
    for (let i = 0; i < 4; i += 1) lockouts.push(await l.recordFailure('10.0.7.1', 'named@example.com'));
    expect(lockouts.map((found) => found.map((lockout) => lockout.scope))).toEqual([
      [],
      [],
      ['email_and_address'],
      [],
    ]);
    expect(lockouts[2]![0]!.retryAfterSeconds).toBeGreaterThan(WINDOW_MS / 1000 - 60);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatchObject({
      login_lockout: 'email_and_address',
      client_ip: '10.0.7.1',
    });
    expect(JSON.stringify(warn.mock.calls)).not.toContain('named@example.com');
  });

  it('locks an address after failures across many emails', async () => {
    const { limiter: l } = limiter(redis);
    await fail(l, 5, '10.0.1.1', (i) => `guess-${i}@example.com`);
    expect(await refusal(l, '10.0.1.1', 'new@example.com')).toMatchObject({ kind: 'rate_limited' });
    expect(await refusal(l, '10.0.1.2', 'new@example.com')).toBeUndefined();
  });

  it('clears the pair counter on success but keeps counting the email and the address', async () => {
    const { limiter: l } = limiter(redis);
    await fail(l, 2, '10.0.2.1', () => 'typo@example.com');
    await l.recordSuccess('10.0.2.1', 'typo@example.com');
    await fail(l, 2, '10.0.2.1', () => 'typo@example.com');
    expect(await refusal(l, '10.0.2.1', 'typo@example.com')).toBeUndefined();
    await fail(l, 2, '10.0.2.2', () => 'typo@example.com');
    expect(await refusal(l, '10.0.2.9', 'typo@example.com')).toMatchObject({ kind: 'rate_limited' });
    await fail(l, 1, '10.0.2.1', (i) => `other-${i}@example.com`);
    expect(await refusal(l, '10.0.2.1', 'fresh@example.com')).toMatchObject({ kind: 'rate_limited' });
  });

  it('keeps its counters in Redis under its prefix, expiring with the window', async () => {
    const { limiter: l, keyPrefix } = limiter(redis);
    await l.recordFailure('10.0.3.1', 'ttl@example.com');
    const ttl = await redis.pttl(`${keyPrefix}:login-failures:email:ttl@example.com`);
    expect(ttl).toBeGreaterThan(WINDOW_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
    expect(await redis.get(`${keyPrefix}:login-failures:ip:10.0.3.1`)).toBe('1');
    expect(await redis.get(`${keyPrefix}:login-failures:email-ip:10.0.3.1/ttl@example.com`)).toBe('1');
  });
});

describe('login limiter without Redis', () => {
  it('counts in process memory in embedded mode', async () => {
    const { limiter: l } = limiter(undefined);
    await fail(l, 3, '10.0.4.1', () => 'embedded@example.com');
    expect(await refusal(l, '10.0.4.1', 'embedded@example.com')).toMatchObject({ kind: 'rate_limited' });
  });

  it('keeps logins working, counted in memory, and warns once when Redis is unreachable', async () => {
    // Nothing listens on port 1: the client keeps reconnecting and never becomes ready.
    const down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    const warn = vi.fn();
    const { limiter: l } = limiter(down, { logger: { warn } });
    try {
      expect(await refusal(l, '10.0.5.1', 'outage@example.com')).toBeUndefined();
      await fail(l, 3, '10.0.5.1', () => 'outage@example.com');
      await l.recordSuccess('10.0.5.1', 'someone@example.com');
      expect(await refusal(l, '10.0.5.1', 'outage@example.com')).toMatchObject({ kind: 'rate_limited' });
      const outageWarnings = warn.mock.calls.filter(([message]) => String(message).includes('unreachable'));
      expect(outageWarnings).toHaveLength(1);
    } finally {
      down.disconnect();
    }
  });
});
