import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { REDIS_CLIENT_OPTIONS } from './client-options.js';

/** A connection to one Redis server, or to a Redis Cluster (REDIS_CLUSTER). */
export type RedisClient = Redis | Cluster;

/** Where Redis is (REDIS_ADDR, REDIS_CLUSTER). */
export interface RedisAddress {
  /** `host:port` or a redis:// URL; for a cluster, one or more of them separated by commas (seed nodes). */
  addr: string;
  cluster: boolean;
}

function urlOf(addr: string): string {
  return /^rediss?:\/\//.test(addr) ? addr : `redis://${addr}`;
}

/**
 * A client for `address` with AMSS's options. A cluster client learns the other nodes from the seeds
 * and sends each command to the master of its key's slot; the seeds' credentials and TLS apply to
 * every node it learns of.
 */
export function createRedisClient(address: RedisAddress, overrides: RedisOptions = {}): RedisClient {
  if (!address.cluster) return new Redis(urlOf(address.addr), { ...REDIS_CLIENT_OPTIONS, ...overrides });
  const seeds = address.addr
    .split(',')
    .map((seed) => seed.trim())
    .filter(Boolean)
    .map(urlOf);
  const first = new URL(seeds[0]!);
  const { enableAutoPipelining, ...perNode } = REDIS_CLIENT_OPTIONS;
  const options: ClusterOptions = {
    enableAutoPipelining,
    redisOptions: {
      ...perNode,
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      ...overrides,
    },
  };
  return new Cluster(seeds, options);
}

/**
 * A second connection like `client` with `overrides` — for a blocking read or a subscription, which
 * hold their connection and so must not share the one every other command goes through.
 */
export function duplicateClient(client: RedisClient, overrides: RedisOptions = {}): RedisClient {
  if (client instanceof Cluster) {
    return client.duplicate(undefined, {
      redisOptions: { ...client.options.redisOptions, ...overrides },
    });
  }
  return client.duplicate(overrides);
}
