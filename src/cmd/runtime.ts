import { Redis } from 'ioredis';
import { generateDevKeyPair, loadKeyPair, type JwtKeys } from '../auth/keys.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { openEmbeddedDatabase, IN_MEMORY } from '../infra/embedded/pglite.js';
import { connectPostgres, type DatabaseHandle } from '../infra/postgres/database.js';
import { createLogger, type Logger } from '../observability/logger.js';

/** Reads the configuration or exits listing every problem. */
export function configOrExit(
  options: { usesJwtKeys?: boolean } = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  try {
    return loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`amss: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

export function loggerFor(config: Config, process: string): Logger {
  return createLogger(config.logLevel, { process, env: config.appEnv });
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
    throw new ConfigError(['DB_URL is required (only `amss dev` runs on the embedded database)']);
  }
  const dataDir = options.inMemory ? IN_MEMORY : config.pgliteDataDir;
  logger.info({ dataDir }, 'using embedded PostgreSQL (PGlite)');
  return openEmbeddedDatabase(dataDir);
}

/** A Redis client for REDIS_ADDR (`host:port` or a redis:// URL). */
export function connectRedis(config: Config, logger: Logger): Redis {
  const url = /^rediss?:\/\//.test(config.redisAddr) ? config.redisAddr : `redis://${config.redisAddr}`;
  const redis = new Redis(url, {
    // Fail a command quickly while Redis is away instead of queueing requests behind it.
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    lazyConnect: false,
  });
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
