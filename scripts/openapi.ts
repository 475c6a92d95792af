/**
 * Prints the OpenAPI document the server serves (`npm run openapi -- [--yaml]`), without a
 * database or Redis: the routes are registered, nothing is called. `npm run openapi:lint`
 * checks it with Redocly.
 */
import { generateDevKeyPair } from '../src/auth/keys.js';
import { buildServer, createContainer } from '../src/cmd/container.js';
import { loadConfig } from '../src/config/config.js';
import { connectPostgres } from '../src/infra/postgres/database.js';
import { createLogger } from '../src/observability/logger.js';

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
await app.ready();
const yaml = process.argv.includes('--yaml');
process.stdout.write(yaml ? app.swagger({ yaml: true }) : `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
await database.close();
