import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from './client.js';
import { AppError } from '../../app/errors.js';
import type { LockManager } from '../../app/locks.js';
import type { Logger } from '../../observability/logger.js';
import { warnOncePerOutage } from './insurance.js';
import { withTimeout } from '../../app/timeout.js';

/** Deletes the key only while it still holds our token, so a lock that expired and was taken over is left alone. */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Waits between attempts: short, and jittered so waiters do not retry in lockstep. */
const RETRY_MIN_MS = 5;
const RETRY_JITTER_MS = 25;

/** Options of the Redis lock manager. */
export interface RedisLockOptions {
  redis: RedisClient;
  /** Prefix of every key (`{prefix}:lock:{key}`), so parallel test runs never share locks. */
  keyPrefix: string;
  /** Told once per outage when Redis is unreachable and work proceeds without the lock. */
  logger?: Pick<Logger, 'warn'>;
  /** How long one lock command may take before Redis counts as unreachable. */
  commandTimeoutMs?: number;
}

/** Thrown inside this module when Redis cannot answer; never leaves it. */
class RedisUnreachable extends Error {}

/**
 * Locks shared by every replica: `SET key token NX PX ttl`, retried with short jittered waits
 * until `waitMs` runs out, and released by a compare-and-delete script, so only the owner
 * releases and a lock that outlived its TTL cannot be released by its former owner.
 *
 * When Redis is unreachable the work proceeds WITHOUT the lock (logged once per outage) rather
 * than failing the request: a lock here only spares the database doomed attempts, and the
 * database constraints (e.g. the partial unique index on active part reservations) remain the
 * real guarantee.
 */
export class RedisLockManager implements LockManager {
  private readonly warnUnreachable: () => void;

  constructor(private readonly options: RedisLockOptions) {
    this.warnUnreachable = warnOncePerOutage(
      options.redis,
      options.logger,
      'Redis is unreachable: locks are skipped until it returns (database constraints still apply)',
    );
  }

  async withLock<T>(
    key: string,
    options: { ttlMs: number; waitMs: number },
    work: () => Promise<T>,
  ): Promise<T> {
    const lockKey = `${this.options.keyPrefix}:lock:${key}`;
    const token = randomUUID();
    let acquired: boolean;
    try {
      acquired = await acquireWithin(options.waitMs, () => this.trySet(lockKey, token, options.ttlMs));
    } catch (error) {
      if (!(error instanceof RedisUnreachable)) throw error;
      this.warnUnreachable();
      return work();
    }
    if (!acquired) throw lockedError(key);
    try {
      return await work();
    } finally {
      await this.release(lockKey, token);
    }
  }

  private async trySet(lockKey: string, token: string, ttlMs: number): Promise<boolean> {
    const reply = await this.command(() => this.options.redis.set(lockKey, token, 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  private async release(lockKey: string, token: string): Promise<void> {
    try {
      await this.command(() => this.options.redis.eval(RELEASE_SCRIPT, 1, lockKey, token));
    } catch {
      // The lock expires with its TTL; failing the finished work over it would be wrong.
      this.warnUnreachable();
    }
  }

  /** Runs one command, or fails at once with RedisUnreachable when the client is not connected or too slow. */
  private async command<T>(run: () => Promise<T>): Promise<T> {
    // Without this check a command would wait in ioredis's offline queue for a reconnect.
    if (this.options.redis.status !== 'ready')
      throw new RedisUnreachable(`Redis is ${this.options.redis.status}`);
    const timeoutMs = this.options.commandTimeoutMs ?? 1000;
    try {
      return await withTimeout(
        run(),
        timeoutMs,
        () => new RedisUnreachable(`Redis did not answer within ${timeoutMs} ms`),
      );
    } catch (error) {
      throw error instanceof RedisUnreachable ? error : new RedisUnreachable(String(error));
    }
  }
}

/**
 * Locks inside one process, for embedded mode without Redis (one process serves everything
 * there). Same contract as the Redis locks: owner-only release, expiry after the TTL.
 */
export class InProcessLockManager implements LockManager {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();

  async withLock<T>(
    key: string,
    options: { ttlMs: number; waitMs: number },
    work: () => Promise<T>,
  ): Promise<T> {
    const token = randomUUID();
    const acquired = await acquireWithin(options.waitMs, () =>
      Promise.resolve(this.trySet(key, token, options.ttlMs)),
    );
    if (!acquired) throw lockedError(key);
    try {
      return await work();
    } finally {
      if (this.held.get(key)?.token === token) this.held.delete(key);
    }
  }

  private trySet(key: string, token: string, ttlMs: number): boolean {
    const current = this.held.get(key);
    const now = Date.now();
    if (current && current.expiresAt > now) return false;
    this.held.set(key, { token, expiresAt: now + ttlMs });
    return true;
  }
}

/** Tries until an attempt succeeds or `waitMs` has passed (at least one attempt is always made). */
async function acquireWithin(waitMs: number, attempt: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await attempt()) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    await delay(Math.min(remaining, RETRY_MIN_MS + Math.random() * RETRY_JITTER_MS));
  }
}

/** The 409 for a key that stayed held by someone else for longer than the caller would wait. */
function lockedError(key: string): AppError {
  return new AppError(
    'conflict',
    'LOCKED',
    `another request is working on the same record (${key.split(':')[0]}); retry shortly`,
    undefined,
    { 'Retry-After': '1' },
  );
}
