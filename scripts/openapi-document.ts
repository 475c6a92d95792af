import { generateDevKeyPair } from '../src/auth/keys.js';
import { buildServer, createContainer } from '../src/cmd/container.js';
import { loadConfig } from '../src/config/config.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { createLogger } from '../src/observability/logger.js';

/**
 * The OpenAPI document the server serves, built without a database or Redis: the routes are
 * registered, nothing is called. `format: 'yaml'` gives the YAML text instead of the object.
 */
export async function openapiDocument(): Promise<Record<string, unknown>>;
export async function openapiDocument(format: 'yaml'): Promise<string>;
export async function openapiDocument(format?: 'yaml'): Promise<Record<string, unknown> | string> {
  const config = loadConfig({ APP_ENV: 'development', LOG_LEVEL: 'silent', PROMETHEUS_ENABLED: 'true' });
  // A pool connects on its first query; describing the routes makes none.
  const database = connectPostgres('postgres://unused@127.0.0.1:1/unused');
  const container = createContainer({
    config,
    logger: createLogger('silent'),
    database,
    redis: undefined,
    keys: await generateDevKeyPair(),
    apiRateLimits: { enabled: false },
  });
  const app = await buildServer(container);
  try {
    await app.ready();
    return format === 'yaml'
      ? app.swagger({ yaml: true })
      : (JSON.parse(JSON.stringify(app.swagger())) as Record<string, unknown>);
  } finally {
    await app.close();
    await database.close();
  }
}
