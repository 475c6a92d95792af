import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { RedisClient } from '../../src/infra/redis/client.js';
import { generateDevKeyPair, type GeneratedKeyPair } from '../../src/auth/keys.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { buildServer, createContainer, type Container, type ContainerDeps } from '../../src/cmd/container.js';
import { previousJwtKeys } from '../../src/cmd/runtime.js';
import type { Role } from '../../src/domain/roles.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import type { DatabaseHandle } from '../../src/infra/postgres/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { connectTestRedis } from './redis.js';

/** The password every factory-made user has. */
export const TEST_PASSWORD = 'Correct-Horse-42';

let keysPromise: Promise<GeneratedKeyPair> | undefined;
/** One key pair per test file: generating RSA keys is the slow part. */
export const testKeys = (): Promise<GeneratedKeyPair> => (keysPromise ??= generateDevKeyPair());

let passwordHash: Promise<string> | undefined;
const testPasswordHash = (): Promise<string> => (passwordHash ??= hashPassword(TEST_PASSWORD, 4));

/** What a test may change about its app beyond the environment. */
export interface TestAppOptions {
  /** Per-org API rate limits are off unless given; `policyCacheTtlMs: 0` applies policy changes at once. */
  rateLimits?: { policyCacheTtlMs?: number };
  /** The Redis client of the app's adapters (e.g. one that cannot connect); `redis` stays the real one. */
  redis?: RedisClient;
  logger?: Logger;
  /** How the app connects to its database, e.g. as the application role (default: as its owner). */
  connect?: (db: TestDatabase) => Promise<DatabaseHandle>;
  /** The principal cache's TTL and clock (default 5 s, real time). */
  principalCache?: { ttlMs?: number; now?: () => number };
  /** Another replica of this app: the same database and Redis keys, a server of its own. */
  replicaOf?: TestApp;
  /** The live events hub's timings and stream (test/api/ws*.test.ts), and what feeds it without Redis. */
  liveEvents?: ContainerDeps['liveEvents'];
  eventStream?: ContainerDeps['eventStream'];
  dashboard?: ContainerDeps['dashboard'];
}

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  db: TestDatabase;
  redis: RedisClient;
  config: Config;
  /** The prefix of the app's Redis keys and channels (shared by its replicas). */
  redisKeyPrefix: string;
  /** Creates an organization (with its policy row) straight through the repositories. */
  createOrg(name?: string): Promise<{ id: string; name: string }>;
  /** Creates a user with TEST_PASSWORD straight through the repositories. */
  createUser(
    orgId: string,
    role: Role,
    email?: string,
  ): Promise<{ id: string; email: string; orgId: string; role: Role }>;
  /** Logs in and returns the access token. */
  tokenFor(user: { email: string; orgId: string }): Promise<string>;
  /** A request with a bearer token. */
  request(
    token: string | undefined,
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * A full AMSS REST server on a fresh database of its own and the real Redis, with a Redis key
 * prefix of its own so rate-limit counters never leak between test files.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const db = options.replicaOf?.db ?? (await createTestDatabase());
  const redisKeyPrefix = options.replicaOf?.redisKeyPrefix ?? `amss-test:${randomBytes(4).toString('hex')}`;
  const redis = connectTestRedis();
  const config = loadConfig({ APP_ENV: 'test', BCRYPT_COST: '4', LOG_LEVEL: 'silent', ...env });
  const database = options.connect ? await options.connect(db) : db;
  const container = createContainer({
    config,
    logger: options.logger ?? createLogger(config.logLevel),
    database,
    redis: options.redis ?? redis,
    keys: await testKeys(),
    previousKeys: await previousJwtKeys(config),
    redisKeyPrefix,
    principalCache: options.principalCache,
    liveEvents: options.liveEvents,
    eventStream: options.eventStream,
    dashboard: options.dashboard,
    // Tests make hundreds of requests a minute in one org; only the rate-limit tests want limits.
    apiRateLimits: options.rateLimits
      ? { policyCacheTtlMs: options.rateLimits.policyCacheTtlMs }
      : { enabled: false },
  });
  const app = await buildServer(container);
  await app.ready();
  const repos = container.uow.repos;
  let counter = 0;

  const testApp: TestApp = {
    app,
    container,
    db,
    redis,
    config,
    redisKeyPrefix,
    async createOrg(name) {
      const org = await container.uow.transaction(async (tx) => {
        const created = await tx.organizations.insert({
          name: name ?? `Org ${randomBytes(4).toString('hex')}`,
        });
        await tx.orgPolicies.insertDefaults(created.id);
        return created;
      });
      return { id: org.id, name: org.name };
    },
    async createUser(orgId, role, email) {
      counter += 1;
      const user = await repos.users.insert({
        orgId,
        role,
        email: email ?? `${role.replace('_', '-')}-${counter}-${randomBytes(3).toString('hex')}@test.local`,
        passwordHash: await testPasswordHash(),
      });
      return { id: user.id, email: user.email, orgId: user.orgId, role: user.role };
    },
    async tokenFor(user) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { org_id: user.orgId, email: user.email, password: TEST_PASSWORD },
      });
      if (response.statusCode !== 200)
        throw new Error(`login failed: ${response.statusCode} ${response.body}`);
      return response.json<{ access_token: string }>().access_token;
    },
    request(token, method, url, body, headers = {}) {
      return app.inject({
        method,
        url,
        ...(body === undefined ? {} : { payload: body as object }),
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      });
    },
    async close() {
      await app.close();
      await container.close();
      redis.disconnect();
      if (database !== db) await database.close();
      // The database belongs to the first replica.
      if (!options.replicaOf) await db.drop();
    },
  };
  return testApp;
}
