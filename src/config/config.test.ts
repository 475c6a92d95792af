import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const publicPem = (type: 'rsa' | 'ec' = 'rsa', modulusLength = 2048): string =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  ).publicKey
    .export({ type: 'spki', format: 'pem' })
    .toString();
const currentPair = {
  JWT_PRIVATE_KEY_PEM: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
  JWT_PUBLIC_KEY_PEM: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----',
};

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.appEnv).toBe('development');
    expect(config.http).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.grpc.port).toBe(9090);
    expect(config.redisAddr).toBe('localhost:6379');
    expect(config.redisConfigured).toBe(false);
    expect(config.jwt.accessTokenTtlMs).toBe(15 * 60_000);
    expect(config.jwt.refreshTokenTtlMs).toBe(168 * 3_600_000);
    expect(config.retentionCleanupIntervalMs).toBe(24 * 3_600_000);
    expect(config.importStorageDir).toBe('./data/imports');
    expect(config.workerId).toBe('worker-1');
    expect(config.workerLeaseMs).toBe(60_000);
    expect(config.prometheusEnabled).toBe(false);
  });

  it('reads Go-style durations, addresses and lists', () => {
    const config = loadConfig({
      ACCESS_TOKEN_TTL: '1h30m',
      HTTP_ADDR: '127.0.0.1:9000',
      CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      PROMETHEUS_ENABLED: 'true',
      WORKER_LEASE: '8s',
    });
    expect(config.jwt.accessTokenTtlMs).toBe(90 * 60_000);
    expect(config.workerLeaseMs).toBe(8_000);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(config.corsAllowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.prometheusEnabled).toBe(true);
  });

  it('takes a Redis Cluster as several seed nodes in REDIS_ADDR, or one with REDIS_CLUSTER=true', () => {
    expect(loadConfig({ REDIS_ADDR: 'redis:6379' }).redisCluster).toBe(false);
    const seeds = loadConfig({ REDIS_ADDR: 'redis-a:6379, redis-b:6379,rediss://:secret@redis-c:6380' });
    expect(seeds.redisCluster).toBe(true);
    expect(loadConfig({ REDIS_ADDR: 'redis-a:6379', REDIS_CLUSTER: 'true' }).redisCluster).toBe(true);

    const problems = (env: Record<string, string>) => captureError(() => loadConfig(env)).problems.join('\n');
    expect(problems({ REDIS_ADDR: 'redis-a:6379,nowhere' })).toMatch(/REDIS_ADDR must be host:port/);
    expect(problems({ REDIS_ADDR: 'redis-a:6379,redis-b:6379', REDIS_CLUSTER: 'false' })).toMatch(
      /REDIS_ADDR names several nodes/,
    );
  });

  it('reports every problem at once', () => {
    const error = captureError(() =>
      loadConfig({ APP_ENV: 'staging', ACCESS_TOKEN_TTL: 'soon', HTTP_ADDR: 'nowhere', LOG_LEVEL: 'loud' }),
    );
    expect(error.problems).toHaveLength(4);
    expect(error.message).toContain('APP_ENV');
    expect(error.message).toContain('ACCESS_TOKEN_TTL');
    expect(error.message).toContain('HTTP_ADDR');
    expect(error.message).toContain('LOG_LEVEL');
  });

  it('refuses to run production without real keys and a database', () => {
    const error = captureError(() => loadConfig({ APP_ENV: 'production' }));
    expect(error.problems.join('\n')).toMatch(/JWT_PRIVATE_KEY_PEM/);
    expect(error.problems.join('\n')).toMatch(/DB_URL/);
  });

  it('accepts PEM keys whose newlines arrive escaped', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----';
    const config = loadConfig({
      JWT_PRIVATE_KEY_PEM: pem,
      JWT_PUBLIC_KEY_PEM: pem.replaceAll('PRIVATE', 'PUBLIC'),
    });
    expect(config.jwt.privateKeyPem).toContain('\nabc\n');
  });

  it('reads several previous public keys from JWT_PREVIOUS_PUBLIC_KEYS_PEM, escaped newlines too', () => {
    const [first, second] = [publicPem(), publicPem()];
    const config = loadConfig({
      ...currentPair,
      JWT_PREVIOUS_PUBLIC_KEYS_PEM: `${first}\n${second.trim().replace(/\n/g, '\\n')}`,
    });
    expect(config.jwt.previousPublicKeyPems.map((pem) => pem.trim())).toEqual([first.trim(), second.trim()]);
    expect(loadConfig({}).jwt.previousPublicKeyPems).toEqual([]);
  });

  it('lists every unusable previous key by its position, and previous keys without a current pair', () => {
    const privatePem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const error = captureError(() =>
      loadConfig({
        JWT_PREVIOUS_PUBLIC_KEYS_PEM: [publicPem(), publicPem('ec'), publicPem('rsa', 1024), privatePem].join(
          '',
        ),
      }),
    );
    expect(error.problems).toEqual([
      'JWT_PREVIOUS_PUBLIC_KEYS_PEM key 2: public key: RS256 needs an RSA key, got ec',
      'JWT_PREVIOUS_PUBLIC_KEYS_PEM key 3: public key: RSA modulus is 1024 bits, at least 2048 required',
      'JWT_PREVIOUS_PUBLIC_KEYS_PEM key 4: public key: a private key was given where the public key belongs',
      'JWT_PREVIOUS_PUBLIC_KEYS_PEM needs JWT_PRIVATE_KEY_PEM and JWT_PUBLIC_KEY_PEM: previous keys only verify, the current pair signs',
    ]);
  });

  it('refuses a JWT_PREVIOUS_PUBLIC_KEYS_PEM that holds no PEM block, or text between them', () => {
    expect(
      captureError(() => loadConfig({ ...currentPair, JWT_PREVIOUS_PUBLIC_KEYS_PEM: 'abc' })).problems,
    ).toEqual([
      'JWT_PREVIOUS_PUBLIC_KEYS_PEM must hold one or more PEM public keys (BEGIN PUBLIC KEY … END PUBLIC KEY)',
    ]);
    const stray = `${publicPem()}, ${publicPem()}`;
    expect(
      captureError(() => loadConfig({ ...currentPair, JWT_PREVIOUS_PUBLIC_KEYS_PEM: stray })).problems,
    ).toEqual(['JWT_PREVIOUS_PUBLIC_KEYS_PEM has text outside its PEM blocks']);
  });

  it('evaluates alerts every 5 minutes unless ALERT_EVALUATION_INTERVAL says otherwise', () => {
    expect(loadConfig({}).alertEvaluationIntervalMs).toBe(5 * 60_000);
    expect(loadConfig({ ALERT_EVALUATION_INTERVAL: '30s' }).alertEvaluationIntervalMs).toBe(30_000);
    expect(captureError(() => loadConfig({ ALERT_EVALUATION_INTERVAL: 'often' })).problems).toEqual([
      'ALERT_EVALUATION_INTERVAL must be a positive duration such as 15m, 1h30m or 168h (got "often")',
    ]);
  });
});

function captureError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
