import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { ApiRateLimiter, RateLimitState } from '../../app/rate-limits.js';
import type { Logger } from '../../observability/logger.js';
import { FallbackMemoryLimiter, warnOncePerOutage } from './insurance.js';

/** The length of a rate-limit window. */
export const API_RATE_WINDOW_SECONDS = 60;

export interface ApiRateLimiterOptions {
  /** Shared counters across replicas; undefined (embedded mode) keeps them in process memory. */
  redis: Redis | undefined;
  /** Prefix of every Redis key, so parallel test runs never share counters. */
  keyPrefix: string;
  /** Told once per outage when Redis is unreachable and counting falls back to process memory. */
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
}

/**
 * Request counters on rate-limiter-flexible, in windows of a minute that start with a key's first
 * request: in Redis when it is configured, in memory otherwise. When Redis is unreachable each
 * process counts in its own memory instead, so the API keeps serving (less strictly limited).
 *
 * One counter serves every limit: the library only counts, and the limit of the moment is applied
 * here. So a policy change judges the requests already counted in the window by the new limit,
 * in Redis and in memory alike, instead of starting a fresh counter per limit value.
 */
export function createApiRateLimiter(options: ApiRateLimiterOptions): ApiRateLimiter {
  const counter = requestCounter(options);
  const now = options.now ?? Date.now;
  return {
    async consume(key, limitPerMin) {
      let res: RateLimiterRes;
      try {
        res = await counter.consume(key);
      } catch (error) {
        // Only a library bug gets here: the counter has no limit of its own to refuse with.
        if (!(error instanceof RateLimiterRes)) throw error;
        res = error;
      }
      return stateOf(res, limitPerMin, now());
    },
  };
}

function requestCounter(options: ApiRateLimiterOptions): RateLimiterAbstract {
  const settings = {
    keyPrefix: `${options.keyPrefix}:api-rate`,
    points: Number.MAX_SAFE_INTEGER,
    duration: API_RATE_WINDOW_SECONDS,
  };
  if (!options.redis) return new RateLimiterMemory(settings);
  const onFallback = warnOncePerOutage(
    options.redis,
    options.logger,
    'Redis is unreachable: API rate limits are counted in process memory until it returns',
  );
  return new RateLimiterRedis({
    ...settings,
    storeClient: options.redis,
    // Without this a command waits for ioredis to reconnect; with it the insurance answers at once.
    rejectIfRedisNotReady: true,
    insuranceLimiter: new FallbackMemoryLimiter(settings, onFallback),
  });
}

function stateOf(res: RateLimiterRes, limit: number, nowMs: number): RateLimitState {
  const msLeft = Math.max(0, res.msBeforeNext);
  return {
    allowed: res.consumedPoints <= limit,
    limit,
    remaining: Math.max(0, limit - res.consumedPoints),
    resetAt: Math.ceil((nowMs + msLeft) / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
  };
}
