import type { RedisClient } from './client.js';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError } from '../../app/errors.js';
import type { LoginLimiter, LoginLimitScope, LoginLockout } from '../../app/login-limiter.js';
import type { Logger } from '../../observability/logger.js';
import { FallbackMemoryLimiter, warnOncePerOutage } from './insurance.js';

export interface LoginLimiterOptions {
  /** Shared counters across replicas; undefined (embedded mode) keeps them in process memory. */
  redis: RedisClient | undefined;
  /** Prefix of every Redis key, so parallel test runs never share counters. */
  keyPrefix: string;
  /** Failed logins allowed for one email from one address within the window (the low ceiling). */
  maxFailuresPerEmailAndIp: number;
  /** Failed logins allowed for one email from all addresses together within the window. */
  maxFailuresPerEmail: number;
  /** Failed logins allowed from one address, whatever the email, within the window. */
  maxFailuresPerIp: number;
  /** How long a failure counts, from the first failure of the window. */
  windowMs: number;
  /** Told of every lockout, and once per outage when Redis is unreachable and counting falls back to process memory. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Failed-login counters on rate-limiter-flexible: in Redis when it is configured, in memory
 * otherwise. When Redis is unreachable each process counts in its own memory instead, so logins
 * keep working (less strictly limited) rather than failing.
 */
export function createLoginLimiter(options: LoginLimiterOptions): LoginLimiter {
  const onFallback =
    options.redis &&
    warnOncePerOutage(
      options.redis,
      options.logger,
      'Redis is unreachable: failed logins are counted in process memory until it returns',
    );
  const byPair = counter(options, 'email-ip', options.maxFailuresPerEmailAndIp, onFallback);
  const byEmail = counter(options, 'email', options.maxFailuresPerEmail, onFallback);
  const byIp = counter(options, 'ip', options.maxFailuresPerIp, onFallback);
  /** Each counter of one attempt, with the key it counts under. */
  const counters = (ip: string, email: string): [LoginLimitScope, RateLimiterAbstract, string][] => {
    const normalized = email.trim().toLowerCase();
    return [
      ['email_and_address', byPair, `${ip}/${normalized}`],
      ['email', byEmail, normalized],
      ['address', byIp, ip],
    ];
  };

  return {
    async check(ip, email) {
      const waits = await Promise.all(
        counters(ip, email).map(([, limiter, key]) => msUntilAllowed(limiter, key)),
      );
      const wait = Math.max(...waits);
      if (wait > 0) throw AppError.rateLimited(wait / 1000, 'too many failed logins; try again later');
    },
    async recordFailure(ip, email) {
      const spent = await Promise.all(
        counters(ip, email).map(async ([scope, limiter, key]) => {
          const res = await spend(limiter, key);
          const lockout: LoginLockout = {
            scope,
            retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
          };
          // Only the failure that fills a counter starts a lockout; later ones find it locked already.
          return res.consumedPoints === limiter.points ? [lockout] : [];
        }),
      );
      const lockouts = spent.flat();
      // The audit log records an account's lockouts; this line is the operators' record of every one,
      // an address's and an unknown email's too (which no organization owns), without the email itself.
      for (const lockout of lockouts) {
        options.logger?.warn(
          { login_lockout: lockout.scope, client_ip: ip, retry_after_seconds: lockout.retryAfterSeconds },
          'a failed-login limit was reached',
        );
      }
      return lockouts;
    },
    async recordSuccess(ip, email) {
      // Only this address's failures: the owner signing in must not wipe the count of guesses made
      // against the email from elsewhere, nor an address's count of guesses at other emails.
      const [, limiter, key] = counters(ip, email)[0]!;
      await limiter.delete(key);
    },
  };
}

function counter(
  options: LoginLimiterOptions,
  name: string,
  points: number,
  onFallback: (() => void) | undefined,
): RateLimiterAbstract {
  const settings = {
    keyPrefix: `${options.keyPrefix}:login-failures:${name}`,
    points,
    duration: Math.max(1, Math.ceil(options.windowMs / 1000)),
  };
  if (!options.redis || !onFallback) return new RateLimiterMemory(settings);
  return new RateLimiterRedis({
    ...settings,
    storeClient: options.redis,
    // Without this a command waits for ioredis to reconnect; with it the insurance answers at once
    // whenever the client is not connected (an outage, or the moments before the first connection).
    rejectIfRedisNotReady: true,
    insuranceLimiter: new FallbackMemoryLimiter(settings, onFallback),
  });
}

/** Milliseconds until the key may try again; 0 while it is under its limit. */
async function msUntilAllowed(limiter: RateLimiterAbstract, key: string): Promise<number> {
  const res = await limiter.get(key);
  return res && res.consumedPoints >= limiter.points ? Math.max(1, res.msBeforeNext) : 0;
}

/** Adds a failure; going over the limit only means the counter keeps counting. */
async function spend(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    return error;
  }
}
