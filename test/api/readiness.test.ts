import { describe, expect, it } from 'vitest';
import { buildRestApp } from '../../src/api/rest/app.js';
import { healthRoutes } from '../../src/api/rest/routes/health.js';
import type { HealthCheck } from '../../src/app/ports.js';
import { createLogger } from '../../src/observability/logger.js';

const down: HealthCheck = {
  name: 'redis',
  check: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:6379 password=hunter2')),
};
const up: HealthCheck = { name: 'postgres', check: () => Promise.resolve() };

async function appWith(checks: HealthCheck[], exposeErrors: boolean) {
  return buildRestApp({
    logger: createLogger('silent'),
    authenticator: { authenticate: () => Promise.reject(new Error('unused')) },
    bodyLimitBytes: 1024,
    corsAllowedOrigins: [],
    trustedProxies: [],
    rootRoutes: [healthRoutes(checks, exposeErrors)],
    apiRoutes: [],
  });
}

describe('/ready', () => {
  it('answers 503 naming the dependency that is down', async () => {
    const app = await appWith([up, down], true);
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'unavailable', checks: { postgres: 'ok' } });
    expect(response.json<{ checks: Record<string, string> }>().checks.redis).toMatch(
      /^down: connect ECONNREFUSED/,
    );
    await app.close();
  });

  it('never shows the error text in production', async () => {
    const app = await appWith([up, down], false);
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'down' } });
    expect(response.body).not.toContain('hunter2');
    await app.close();
  });

  it('still answers /health while a dependency is down', async () => {
    const app = await appWith([down], false);
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    await app.close();
  });
});
