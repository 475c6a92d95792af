import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppError } from '../../src/app/errors.js';
import type { LockManager } from '../../src/app/locks.js';
import { InProcessLockManager, RedisLockManager } from '../../src/infra/redis/locks.js';
import { connectTestRedis } from '../support/redis.js';

let redis: RedisClient;
const keyPrefix = `amss-test:${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  redis = connectTestRedis();
  // Until the client is ready the lock manager proceeds without locks, which is not what most tests are about.
  await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(() => {
  redis.disconnect();
});

/** A promise with its resolve function, to hold a lock exactly as long as a test wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

let keys = 0;
const newKey = () => `part-item:org:${++keys}-${randomBytes(3).toString('hex')}`;

const managers: [string, () => LockManager][] = [
  ['Redis', () => new RedisLockManager({ redis, keyPrefix })],
  ['in-process', () => new InProcessLockManager()],
];

describe.each(managers)('%s locks', (_name, create) => {
  it('let one holder at a time run, however many wait', async () => {
    const locks = create();
    const key = newKey();
    let inside = 0;
    let most = 0;
    const run = () =>
      locks.withLock(key, { ttlMs: 5_000, waitMs: 5_000 }, async () => {
        most = Math.max(most, ++inside);
        await new Promise((resolve) => setImmediate(resolve));
        inside -= 1;
      });
    await Promise.all(Array.from({ length: 8 }, run));
    expect(most).toBe(1);
  });

  it('answer 409 LOCKED with Retry-After when the key stays held longer than the caller waits', async () => {
    const locks = create();
    const key = newKey();
    const held = gate();
    const holder = locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, () => held.promise);
    const error = await locks
      .withLock(key, { ttlMs: 5_000, waitMs: 30 }, async () => 'ran')
      .catch((e: AppError) => e);
    held.open();
    await holder;
    expect(error).toMatchObject({ kind: 'conflict', reason: 'LOCKED', headers: { 'Retry-After': '1' } });
    await expect(locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, async () => 'free again')).resolves.toBe(
      'free again',
    );
  });

  it('let a lock expire after its TTL, and never let the old holder release the new holder’s lock', async () => {
    const locks = create();
    const key = newKey();
    const first = gate();
    // The first holder keeps working well past its 50 ms TTL.
    const firstRun = locks.withLock(key, { ttlMs: 50, waitMs: 0 }, () => first.promise);
    const second = gate();
    const secondEntered = gate();
    const secondRun = locks.withLock(key, { ttlMs: 5_000, waitMs: 2_000 }, async () => {
      secondEntered.open();
      await second.promise;
    });
    await secondEntered.promise;
    first.open();
    await firstRun;
    const third = await locks
      .withLock(key, { ttlMs: 5_000, waitMs: 0 }, async () => 'ran')
      .catch((e: AppError) => e);
    expect(third).toMatchObject({ reason: 'LOCKED' });
    second.open();
    await secondRun;
  });

  it('release the lock when the work fails, passing the failure on', async () => {
    const locks = create();
    const key = newKey();
    await expect(
      locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    await expect(locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, async () => 'ok')).resolves.toBe('ok');
  });
});

describe('Redis locks in Redis', () => {
  it('keep the key under the prefix with the TTL, and delete it on release', async () => {
    const locks = new RedisLockManager({ redis, keyPrefix });
    const key = newKey();
    const ttl = await locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, () =>
      redis.pttl(`${keyPrefix}:lock:${key}`),
    );
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await redis.exists(`${keyPrefix}:lock:${key}`)).toBe(0);
  });

  it('leave a key alone that another owner holds, even at release time', async () => {
    const locks = new RedisLockManager({ redis, keyPrefix });
    const key = newKey();
    const full = `${keyPrefix}:lock:${key}`;
    await locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, async () => {
      // As if our lock had expired and someone else had taken the key meanwhile.
      await redis.set(full, 'someone-else', 'PX', 5_000);
    });
    expect(await redis.get(full)).toBe('someone-else');
    await redis.del(full);
  });

  it('run the work without a lock, warning once, when Redis is unreachable', async () => {
    // Nothing listens on port 1: the client keeps reconnecting and never becomes ready.
    const down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    down.on('error', () => undefined);
    const warn = vi.fn();
    const locks = new RedisLockManager({ redis: down, keyPrefix, logger: { warn } });
    try {
      const key = newKey();
      const results = await Promise.all(
        [1, 2, 3].map((n) => locks.withLock(key, { ttlMs: 5_000, waitMs: 0 }, async () => n)),
      );
      expect(results).toEqual([1, 2, 3]);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      down.disconnect();
    }
  });
});
