import type { RedisClient } from './client.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Logger } from '../../observability/logger.js';

/** A callback that logs `message` the first time it runs after Redis was last ready. */
export function warnOncePerOutage(
  redis: RedisClient,
  logger: Pick<Logger, 'warn'> | undefined,
  message: string,
): () => void {
  let warned = false;
  redis.on('ready', () => {
    warned = false;
  });
  return () => {
    if (warned) return;
    warned = true;
    logger?.warn(message);
  };
}

/**
 * The in-memory stand-in rate-limiter-flexible calls (as `insuranceLimiter`) while Redis fails;
 * reports each use, so the outage gets logged.
 */
export class FallbackMemoryLimiter extends RateLimiterMemory {
  constructor(
    settings: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onUse: () => void,
  ) {
    super(settings);
  }

  override get(...args: Parameters<RateLimiterMemory['get']>): ReturnType<RateLimiterMemory['get']> {
    this.onUse();
    return super.get(...args);
  }

  override consume(
    ...args: Parameters<RateLimiterMemory['consume']>
  ): ReturnType<RateLimiterMemory['consume']> {
    this.onUse();
    return super.consume(...args);
  }

  override delete(...args: Parameters<RateLimiterMemory['delete']>): ReturnType<RateLimiterMemory['delete']> {
    this.onUse();
    return super.delete(...args);
  }
}
