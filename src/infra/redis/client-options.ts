import type { RedisOptions } from 'ioredis';

/**
 * How every AMSS process talks to Redis (the tests build their clients from these too, so they run
 * what production runs).
 */
export const REDIS_CLIENT_OPTIONS = {
  // Fail a command quickly while Redis is away instead of queueing requests behind it.
  maxRetriesPerRequest: 1,
  connectTimeout: 5_000,
  lazyConnect: false,
  // Commands issued in the same turn of the event loop go out in one write: under load many
  // requests' rate-limit checks share a syscall instead of paying one each. Blocking reads and
  // subscriptions run on connections of their own, and ioredis never pipelines SUBSCRIBE or MULTI.
  enableAutoPipelining: true,
} as const satisfies RedisOptions;
