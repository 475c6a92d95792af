import { once } from 'node:events';
import { createServer } from 'node:net';
import {
  generateDevKeyPair,
  loadKeyPair,
  loadPublicKey,
  type JwtKeys,
  type PublicJwtKey,
} from '../auth/keys.js';
import { ConfigError, type Config } from '../config/config.js';
import { openEmbeddedDatabase, IN_MEMORY } from '../infra/embedded/pglite.js';
import { createRedisClient, type RedisClient } from '../infra/redis/client.js';
import { connectPostgres, type DatabaseHandle } from '../infra/postgres/database.js';
import { pendingMigrations } from '../infra/postgres/migrator.js';
import type { Logger } from '../observability/logger.js';
import { DB_URL_REQUIRED, exitWith, PortInUseError } from './command-config.js';

/**
 * Runs `listen` and turns "address in use" (Fastify's EADDRINUSE, gRPC's "No address added …
 * EADDRINUSE") into a PortInUseError naming `variable`, instead of a bind error's stack trace.
 */
export async function listenOn<T>(
  variable: string,
  address: { host: string; port: number },
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const inUse =
      error instanceof Error &&
      ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' || error.message.includes('EADDRINUSE'));
    throw inUse ? new PortInUseError(variable, address) : error;
  }
}

/**
 * Fails fast with a PortInUseError when `address` is taken, before a slow start (the embedded
 * database, migrations, demo data) that would only end in the same error — and that a second
 * `amss dev` must not run against the first one's data directory.
 */
export async function checkPortFree(
  variable: string,
  address: { host: string; port: number },
): Promise<void> {
  if (address.port === 0) return;
  const probe = createServer();
  await listenOn(variable, address, async () => {
    probe.listen({ host: address.host, port: address.port, exclusive: true });
    await once(probe, 'listening');
  });
  probe.close();
  await once(probe, 'close');
}

/**
 * The configured key pair, or (outside production, which config validation already enforces)
 * an ephemeral one: tokens then stop working when the process restarts, which is fine for dev.
 */
export async function jwtKeys(config: Config, logger: Logger): Promise<JwtKeys> {
  if (config.jwt.privateKeyPem !== undefined) {
    return loadKeyPair(config.jwt.privateKeyPem, config.jwt.publicKeyPem);
  }
  logger.warn('JWT_PRIVATE_KEY_PEM is not set: using an ephemeral key pair (tokens die with the process)');
  return generateDevKeyPair();
}

/** The previous public keys of JWT_PREVIOUS_PUBLIC_KEYS_PEM, whose tokens stay valid until they expire. */
export function previousJwtKeys(config: Config): Promise<PublicJwtKey[]> {
  return Promise.all(config.jwt.previousPublicKeyPems.map((pem) => loadPublicKey(pem)));
}

/** PostgreSQL when DB_URL is set; otherwise (only for `amss dev`) the embedded PGlite database. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: { allowEmbedded: boolean; inMemory?: boolean; role: string },
): Promise<DatabaseHandle> {
  if (config.dbUrl !== undefined) {
    return connectPostgres(config.dbUrl, {
      max: config.dbPoolMax,
      applicationName: `amss-${options.role}`,
      // The worker's statements are set-based batches (`id = ANY($1)`, due-time ranges over growing
      // tables): PostgreSQL's generic plan for a prepared one can be a sequential scan, measured 3×
      // slower end to end (bench/event-pipeline.ts), while planning each costs little per batch. The
      // server's short per-request statements are where preparing pays.
      preparedStatements: config.dbPreparedStatements && options.role !== 'worker',
    });
  }
  if (!options.allowEmbedded) {
    throw new ConfigError([DB_URL_REQUIRED]);
  }
  const dataDir = options.inMemory ? IN_MEMORY : config.pgliteDataDir;
  logger.info({ dataDir }, 'using embedded PostgreSQL (PGlite)');
  return openEmbeddedDatabase(dataDir);
}

/**
 * Exits (2) naming what to run when the database lacks migrations this build relies on: without them
 * its statements fail on missing tables and columns, request after request, while /ready says yes.
 * A database ahead of the build (a newer release migrated it) is fine: migrations only add.
 */
export async function requireMigratedDatabase(database: DatabaseHandle): Promise<void> {
  const pending = await pendingMigrations(database.db);
  if (pending.length === 0) return;
  await database.close();
  exitWith(
    `the database at DB_URL lacks ${pending.length} of this build's migrations (the first: ${pending[0]}): run \`amss migrate up\` first`,
  );
}

/** A Redis client for REDIS_ADDR (`host:port` or a redis:// URL; a cluster's seed nodes with REDIS_CLUSTER). */
export function connectRedis(config: Config, logger: Logger): RedisClient {
  const redis = createRedisClient({ addr: config.redisAddr, cluster: config.redisCluster });
  let reported = false;
  redis.on('error', (error: Error) => {
    if (!reported) logger.error({ err: error }, 'redis connection error');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) logger.info('redis connection restored');
    reported = false;
  });
  return redis;
}
