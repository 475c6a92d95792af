import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from './client.js';
import type { ApiRateLimiter, RateLimitState } from '../../app/rate-limits.js';
import type { Logger } from '../../observability/logger.js';
import { warnOncePerOutage } from './insurance.js';

/** The length of the sliding window every limit is counted over. */
export const API_RATE_WINDOW_MS = 60_000;

export interface ApiRateLimiterOptions {
  /** Shared counters across replicas; undefined (embedded mode) keeps them in process memory. */
  redis: RedisClient | undefined;
  /** Prefix of every Redis key, so parallel test runs never share counters. */
  keyPrefix: string;
  /** Told once per outage when Redis is unreachable and counting falls back to process memory. */
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
}

/** What a window holds at one moment, after the request (if any) was counted. */
interface WindowCount {
  allowed: boolean;
  /** Requests counted within the last window, this one included when it was counted. */
  count: number;
  /** When the oldest counted request was made (ms); undefined when none is. */
  oldestAt: number | undefined;
  /** When the request that must leave before another fits was made (ms); undefined while one fits. */
  blockingAt: number | undefined;
}

/** Where a window stands: counts (and admits) one request, or only looks. */
type WindowStore = (key: string, limit: number, nowMs: number, count: boolean) => Promise<WindowCount>;

/**
 * A sliding-window log: each admitted request is a member of a sorted set scored by its time; a request
 * is admitted while fewer than `limit` members are younger than the window. So no 60-second span ever
 * holds more than the limit, across any edge, and the limit of the moment judges the requests already
 * counted (a policy change applies at once). Refused requests are not recorded, so a client that keeps
 * hammering gets back in as soon as its oldest request ages out. One key per script: Redis Cluster safe.
 */
const SLIDING_WINDOW_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = count < limit
if allowed and ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ''
local blocking = ''
if not allowed then
  blocking = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')[2] or ''
end
return { allowed and 1 or 0, count, oldest, blocking }
`;

const SLIDING_WINDOW_SHA = createHash('sha1').update(SLIDING_WINDOW_SCRIPT).digest('hex');

/**
 * Per-key request limits over a sliding window of one minute: in Redis when it is configured, in
 * memory otherwise. While Redis is unreachable each process counts in its own memory instead, so the
 * API keeps serving (less strictly limited) rather than failing.
 *
 * rate-limiter-flexible, which the login limits use, only offers fixed windows (its BurstyRateLimiter
 * too is two fixed windows), and a fixed window lets a client spend twice its limit across a window
 * edge; hence the small script of our own.
 */
export function createApiRateLimiter(options: ApiRateLimiterOptions): ApiRateLimiter {
  const now = options.now ?? Date.now;
  const memory = memoryWindows();
  let store: WindowStore = memory;
  const { redis } = options;
  if (redis) {
    const onFallback = warnOncePerOutage(
      redis,
      options.logger,
      'Redis is unreachable: API rate limits are counted in process memory until it returns',
    );
    const inRedis = redisWindows(redis, `${options.keyPrefix}:api-rate`);
    store = async (key, limit, nowMs, count) => {
      // A command sent while the client is not ready would wait for a reconnect; memory answers at once.
      if (redis.status === 'ready') {
        try {
          return await inRedis(key, limit, nowMs, count);
        } catch {
          // Fall through: the connection dropped under the command.
        }
      }
      onFallback();
      return memory(key, limit, nowMs, count);
    };
  }
  const measure = async (key: string, limit: number, count: boolean): Promise<RateLimitState> => {
    const nowMs = now();
    return stateOf(await store(key, limit, nowMs, count), limit, nowMs);
  };
  return {
    consume: (key, limitPerMin) => measure(key, limitPerMin, true),
    peek: (key, limitPerMin) => measure(key, limitPerMin, false),
  };
}

function redisWindows(redis: RedisClient, prefix: string): WindowStore {
  // A member only has to be unique across replicas (its score carries the time): a random name for
  // this process and a counter, rather than random bytes on every request.
  const processTag = randomBytes(6).toString('hex');
  let sequence = 0;
  return async (key, limit, nowMs, count) => {
    sequence += 1;
    const member = `${nowMs}:${processTag}:${sequence}`;
    const args = [`${prefix}:${key}`, nowMs, API_RATE_WINDOW_MS, limit, count ? '1' : '0', member];
    let reply: unknown;
    try {
      // By hash, so each request does not send the script; Redis loads it on the first miss.
      reply = await redis.evalsha(SLIDING_WINDOW_SHA, 1, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      reply = await redis.eval(SLIDING_WINDOW_SCRIPT, 1, ...args);
    }
    const [allowed, counted, oldest, blocking] = reply as [number, number, string, string];
    return {
      allowed: allowed === 1,
      count: counted,
      oldestAt: oldest === '' ? undefined : Number(oldest),
      blockingAt: blocking === '' ? undefined : Number(blocking),
    };
  };
}

/** The same sliding-window log in process memory: request times per key, oldest first. */
function memoryWindows(): WindowStore {
  const logs = new Map<string, number[]>();
  let sweptAt = 0;
  return async (key, limit, nowMs, count) => {
    const cutoff = nowMs - API_RATE_WINDOW_MS;
    // Keys nobody asks about any more would stay for ever: drop the aged ones once per window.
    if (nowMs - sweptAt >= API_RATE_WINDOW_MS) {
      sweptAt = nowMs;
      for (const [k, times] of logs) if (times.at(-1)! <= cutoff) logs.delete(k);
    }
    const times = (logs.get(key) ?? []).filter((at) => at > cutoff);
    const allowed = times.length < limit;
    if (allowed && count) {
      // Kept in time order even when the clock steps back, so the oldest stays first.
      const index = times.findLastIndex((at) => at <= nowMs) + 1;
      times.splice(index, 0, nowMs);
    }
    if (times.length > 0) logs.set(key, times);
    else logs.delete(key);
    return {
      allowed,
      count: times.length,
      oldestAt: times[0],
      blockingAt: allowed ? undefined : times[times.length - limit],
    };
  };
}

/**
 * The headers' view of a window: Reset is when the oldest counted request leaves it (Remaining then
 * grows), or on a refusal when a request fits again, which is also what Retry-After says.
 */
function stateOf(window: WindowCount, limit: number, nowMs: number): RateLimitState {
  const freesAt = (window.allowed ? window.oldestAt : window.blockingAt) ?? nowMs - API_RATE_WINDOW_MS;
  const msLeft = Math.max(0, freesAt + API_RATE_WINDOW_MS - nowMs);
  return {
    allowed: window.allowed,
    limit,
    remaining: Math.max(0, limit - window.count),
    resetAt: Math.ceil((nowMs + msLeft) / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
  };
}
