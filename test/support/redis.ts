import type { RedisOptions } from 'ioredis';
import { createRedisClient, type RedisClient } from '../../src/infra/redis/client.js';
import { TEST_REDIS_ADDR, TEST_REDIS_CLUSTER } from './env.js';

/**
 * A client of the tests' Redis (AMSS_TEST_REDIS_ADDR), with the options every AMSS process uses — a
 * cluster client when AMSS_TEST_REDIS_CLUSTER is true (test/cli/redis-cluster.test.ts runs the Redis
 * tests that way).
 */
export function connectTestRedis(overrides: RedisOptions = {}): RedisClient {
  return createRedisClient({ addr: TEST_REDIS_ADDR, cluster: TEST_REDIS_CLUSTER }, overrides);
}
