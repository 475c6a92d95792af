import parseDuration from 'parse-duration';
import { publicKeyProblem, splitPemBlocks } from '../auth/keys.js';

/** The deployment environment; `production` refuses every development convenience. */
export type AppEnv = 'development' | 'test' | 'production';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every setting AMSS reads from the environment, parsed and validated once at start. */
export interface Config {
  appEnv: AppEnv;
  /** Host and port of the REST server, Go style (`:8080` listens on every interface). */
  http: { host: string; port: number };
  grpc: { host: string; port: number };
  /** Where `amss worker` serves `/metrics` (when Prometheus is enabled); the server uses its HTTP port. */
  workerMetrics: { host: string; port: number };
  /** PostgreSQL connection string; undefined means "use the embedded database" (only `amss dev`). */
  dbUrl: string | undefined;
  dbPoolMax: number;
  /**
   * Send parameterised statements as named prepared statements (planned once per connection).
   * Switch off behind a pooler that cannot keep them (PgBouncer before 1.21, or transaction mode
   * without `max_prepared_statements`).
   */
  dbPreparedStatements: boolean;
  /** How many processes `amss server` runs on its port (node:cluster); each has its own pool. */
  serverProcesses: number;
  /**
   * Redis `host:port` or redis:// URL — for a cluster, one or more seed nodes separated by commas;
   * `redisConfigured` is false when REDIS_ADDR was not set at all.
   */
  redisAddr: string;
  redisConfigured: boolean;
  /** REDIS_ADDR names a Redis Cluster (REDIS_CLUSTER, or several seed nodes in REDIS_ADDR). */
  redisCluster: boolean;
  jwt: {
    privateKeyPem: string | undefined;
    publicKeyPem: string | undefined;
    /**
     * Public keys accepted besides the current one (JWT_PREVIOUS_PUBLIC_KEYS_PEM): the retired key
     * after a rotation, so tokens it signed stay valid until they expire. Never used to sign.
     */
    previousPublicKeyPems: string[];
    accessTokenTtlMs: number;
    refreshTokenTtlMs: number;
  };
  importStorageDir: string;
  /** Largest CSV file an import accepts, in bytes. */
  importMaxBytes: number;
  otelExporterOtlpEndpoint: string | undefined;
  prometheusEnabled: boolean;
  logLevel: LogLevel;
  corsAllowedOrigins: string[];
  workerId: string;
  retentionCleanupIntervalMs: number;
  /** How often the program generator runs (it also runs at worker start and on demand). */
  programGenerationIntervalMs: number;
  /** How often the directive due tracker turns directive limits past into overdue (it also runs at worker start). */
  directiveDueIntervalMs: number;
  /** How often the alert triggers evaluate every alert condition and escalate (they also run at worker start). */
  alertEvaluationIntervalMs: number;
  /**
   * The server's gRPC address (`host:port`) the worker's program generator calls; unset: the
   * worker generates in process.
   */
  programServiceAddr: string | undefined;
  /** Publish attempts before an outbox event is marked failed and dead-lettered; the stream's approximate length cap. */
  outbox: { maxAttempts: number; streamMaxLength: number };
  /**
   * WORKER_LEASE: how long a worker's claim on outbox events, webhook deliveries and imports holds
   * without renewal; a claim older than this was left by a dead worker and another worker takes it over.
   */
  workerLeaseMs: number;
  /** Proxies whose `X-Forwarded-For` is believed; empty means the socket address is the client. */
  trustedProxies: string[];
  bcryptCost: number;
  /** Largest JSON request body accepted, in bytes. */
  bodyLimitBytes: number;
  /**
   * Failed logins allowed within `windowMs`: per (email, client address) pair (low, so one address
   * cannot guess much), per email across every address (high, so strangers cannot lock the owner out
   * of an address that has not failed, yet guessing spread over many addresses still stops), and per address.
   */
  login: {
    maxFailuresPerEmailAndIp: number;
    maxFailuresPerEmail: number;
    maxFailuresPerIp: number;
    windowMs: number;
  };
  /** Failed `/api/v1/auth/*` requests (401s) one client address may make in any minute; successes never count. */
  authRateLimitPerMin: number;
  /** How long `GET /dashboard/metrics` serves an organization's figures from memory (DASHBOARD_CACHE_TTL, default 5s; 0 switches the cache off). */
  dashboardCacheTtlMs: number;
  /** Where `amss dev` keeps its embedded database; `memory://` keeps nothing. */
  pgliteDataDir: string;
}

/** Thrown with every problem found, so an operator fixes the environment in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const APP_ENVS: readonly AppEnv[] = ['development', 'test', 'production'];

/** Parses the environment into a Config, collecting every problem before failing. */
export function loadConfig(
  env: Env = process.env,
  /** False for commands that never sign or check a token (migrate, seed, worker without PROGRAM_SERVICE_ADDR). */
  options: { usesJwtKeys?: boolean } = {},
): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = read(name) ?? fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  };

  const duration = (name: string, fallback: string): number => {
    const value = read(name) ?? fallback;
    const ms = /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*$/.test(value)
      ? parseDuration(value)
      : null;
    if (ms === null || ms === undefined || ms <= 0) {
      problems.push(`${name} must be a positive duration such as 15m, 1h30m or 168h (got "${value}")`);
      return parseDuration(fallback) ?? 0;
    }
    return ms;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const address = (name: string, fallback: string): { host: string; port: number } => {
    const value = read(name) ?? fallback;
    const parsed = parseAddress(value);
    if (parsed) return parsed;
    problems.push(`${name} must look like :8080 or 127.0.0.1:8080 (got "${value}")`);
    return parseAddress(fallback)!;
  };

  const list = (name: string): string[] =>
    (read(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);

  const pem = (name: string): string | undefined => {
    // Keys often arrive through env files with literal "\n" sequences instead of newlines.
    const value = read(name)?.replace(/\\n/g, '\n');
    if (value !== undefined && !/-----BEGIN [A-Z ]+-----/.test(value)) {
      problems.push(`${name} must be a PEM-encoded key`);
    }
    return value;
  };

  const appEnv = oneOf('APP_ENV', APP_ENVS, 'development');
  const dbUrl = read('DB_URL');
  if (dbUrl !== undefined && !/^postgres(ql)?:\/\//.test(dbUrl)) {
    problems.push('DB_URL must be a postgres:// connection string');
  }
  const redisAddr = read('REDIS_ADDR');
  const redisSeeds = redisAddr?.split(',').map((seed) => seed.trim()) ?? [];
  if (
    redisAddr !== undefined &&
    !redisSeeds.every((seed) => /^(redis(s)?:\/\/.+|[^\s:/]+:\d{1,5})$/.test(seed))
  ) {
    problems.push(
      `REDIS_ADDR must be host:port or a redis:// URL, or several of them separated by commas for a cluster (got "${redisAddr}")`,
    );
  }
  const redisCluster = boolean('REDIS_CLUSTER', redisSeeds.length > 1);
  if (redisSeeds.length > 1 && !redisCluster) {
    problems.push(
      'REDIS_ADDR names several nodes, which only a cluster has: drop REDIS_CLUSTER=false or name one',
    );
  }
  const privateKeyPem = pem('JWT_PRIVATE_KEY_PEM');
  const publicKeyPem = pem('JWT_PUBLIC_KEY_PEM');
  if ((privateKeyPem === undefined) !== (publicKeyPem === undefined)) {
    problems.push('JWT_PRIVATE_KEY_PEM and JWT_PUBLIC_KEY_PEM must be set together');
  }
  const previousPublicKeyPems = previousPublicKeys(read('JWT_PREVIOUS_PUBLIC_KEYS_PEM'), problems);
  if (previousPublicKeyPems.length > 0 && publicKeyPem === undefined) {
    problems.push(
      'JWT_PREVIOUS_PUBLIC_KEYS_PEM needs JWT_PRIVATE_KEY_PEM and JWT_PUBLIC_KEY_PEM: previous keys only verify, the current pair signs',
    );
  }
  const otel = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otel !== undefined && !/^https?:\/\//.test(otel)) {
    problems.push('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL');
  }

  const config: Config = {
    appEnv,
    http: address('HTTP_ADDR', ':8080'),
    grpc: address('GRPC_ADDR', ':9090'),
    workerMetrics: address('WORKER_METRICS_ADDR', ':9091'),
    dbUrl,
    dbPoolMax: integer('DB_POOL_MAX', 20, 1, 1000),
    dbPreparedStatements: boolean('DB_PREPARED_STATEMENTS', true),
    serverProcesses: integer('SERVER_PROCESSES', 1, 1, 64),
    redisAddr: redisAddr ?? 'localhost:6379',
    redisConfigured: redisAddr !== undefined,
    redisCluster,
    jwt: {
      privateKeyPem,
      publicKeyPem,
      previousPublicKeyPems,
      accessTokenTtlMs: duration('ACCESS_TOKEN_TTL', '15m'),
      refreshTokenTtlMs: duration('REFRESH_TOKEN_TTL', '168h'),
    },
    importStorageDir: read('IMPORT_STORAGE_DIR') ?? './data/imports',
    importMaxBytes: integer('IMPORT_MAX_BYTES', 20 * 1_048_576, 1024, 1024 * 1_048_576),
    otelExporterOtlpEndpoint: otel,
    prometheusEnabled: boolean('PROMETHEUS_ENABLED', false),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    corsAllowedOrigins: list('CORS_ALLOWED_ORIGINS'),
    workerId: read('WORKER_ID') ?? 'worker-1',
    retentionCleanupIntervalMs: duration('RETENTION_CLEANUP_INTERVAL', '24h'),
    programGenerationIntervalMs: duration('PROGRAM_GENERATION_INTERVAL', '6h'),
    directiveDueIntervalMs: duration('DIRECTIVE_DUE_INTERVAL', '15m'),
    alertEvaluationIntervalMs: duration('ALERT_EVALUATION_INTERVAL', '5m'),
    programServiceAddr: read('PROGRAM_SERVICE_ADDR'),
    outbox: {
      maxAttempts: integer('OUTBOX_MAX_ATTEMPTS', 10, 1, 1000),
      streamMaxLength: integer('EVENTS_STREAM_MAXLEN', 100_000, 1000, 100_000_000),
    },
    workerLeaseMs: duration('WORKER_LEASE', '1m'),
    trustedProxies: list('TRUSTED_PROXIES'),
    bcryptCost: integer('BCRYPT_COST', 12, 4, 15),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    login: {
      maxFailuresPerEmailAndIp: integer('LOGIN_MAX_FAILURES_PER_EMAIL_AND_IP', 5, 1, 10_000),
      maxFailuresPerEmail: integer('LOGIN_MAX_FAILURES_PER_EMAIL', 100, 1, 100_000),
      maxFailuresPerIp: integer('LOGIN_MAX_FAILURES_PER_IP', 50, 1, 100_000),
      windowMs: duration('LOGIN_FAILURE_WINDOW', '15m'),
    },
    authRateLimitPerMin: integer('AUTH_RATE_LIMIT_PER_MIN', 60, 1, 1_000_000),
    pgliteDataDir: read('PGLITE_DATA_DIR') ?? './data/pglite',
    dashboardCacheTtlMs: /^0+(\.0+)?(ms|s|m|h)?$/.test(read('DASHBOARD_CACHE_TTL') ?? '')
      ? 0
      : duration('DASHBOARD_CACHE_TTL', '5s'),
  };

  const { programServiceAddr } = config;
  if (programServiceAddr !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(programServiceAddr)) {
    problems.push(`PROGRAM_SERVICE_ADDR must be host:port (got "${programServiceAddr}")`);
  }
  if (programServiceAddr !== undefined && privateKeyPem === undefined) {
    problems.push(
      "PROGRAM_SERVICE_ADDR requires JWT_PRIVATE_KEY_PEM and JWT_PUBLIC_KEY_PEM: the worker signs its calls with the server's key",
    );
  }

  if (appEnv === 'production') {
    if (privateKeyPem === undefined && options.usesJwtKeys !== false) {
      problems.push(
        'APP_ENV=production requires JWT_PRIVATE_KEY_PEM and JWT_PUBLIC_KEY_PEM (no generated keys)',
      );
    }
    if (dbUrl === undefined) problems.push('APP_ENV=production requires DB_URL (no embedded database)');
    if (config.bcryptCost < 10) problems.push('APP_ENV=production requires BCRYPT_COST of at least 10');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The PEM public keys of JWT_PREVIOUS_PUBLIC_KEYS_PEM (one or several blocks, one after the
 * other), each checked as a usable RS256 verification key; every problem goes to `problems`.
 */
function previousPublicKeys(value: string | undefined, problems: string[]): string[] {
  if (value === undefined) return [];
  const name = 'JWT_PREVIOUS_PUBLIC_KEYS_PEM';
  const { blocks, stray } = splitPemBlocks(value);
  if (blocks.length === 0) {
    problems.push(`${name} must hold one or more PEM public keys (BEGIN PUBLIC KEY … END PUBLIC KEY)`);
    return [];
  }
  if (stray) problems.push(`${name} has text outside its PEM blocks`);
  blocks.forEach((block, index) => {
    const problem = publicKeyProblem(block);
    if (problem !== undefined) problems.push(`${name} key ${index + 1}: ${problem}`);
  });
  return blocks;
}

/** Splits a Go-style listen address (`:8080`, `127.0.0.1:8080`, `[::1]:8080`). */
function parseAddress(value: string): { host: string; port: number } | undefined {
  const match = /^(.*):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) return undefined;
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port };
}
