import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createContainer } from '../../src/cmd/container.js';
import { loadConfig } from '../../src/config/config.js';
import { connectPostgres } from '../../src/infra/postgres/database.js';
import { createLogger } from '../../src/observability/logger.js';
import type { FastifyInstance } from 'fastify';
import { testKeys } from '../support/app.js';

/** A server whose PostgreSQL is not there (nothing listens on port 1). */
let app: FastifyInstance;
let token: string;
const database = connectPostgres('postgres://postgres@127.0.0.1:1/nothing', { max: 2 });

beforeAll(async () => {
  const config = loadConfig({ APP_ENV: 'test', LOG_LEVEL: 'silent' });
  const container = createContainer({
    config,
    logger: createLogger('silent'),
    database,
    redis: undefined,
    keys: await testKeys(),
    apiRateLimits: { enabled: false },
  });
  app = await buildServer(container);
  token = await container.tokens.signAccessToken({
    sub: '11111111-1111-4111-8111-111111111111',
    org_id: '22222222-2222-4222-8222-222222222222',
    role: 'scheduler',
  });
});
afterAll(async () => {
  await app.close();
  await database.close();
});

describe('PostgreSQL down', () => {
  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, never a 500', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/aircraft',
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'unavailable', reason: 'DATABASE_UNAVAILABLE' });
    expect(response.headers['retry-after']).toBe('5');
  });

  it('reports the database as down on /ready while /health stays up', async () => {
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
