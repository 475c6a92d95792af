/**
 * Prints the OpenAPI document the server serves (`npm run openapi -- [--yaml] [--out FILE]`),
 * without a database or Redis: the routes are registered, nothing is called. `--out` writes it to
 * FILE instead, creating its directory (`npm run openapi:lint` writes dist/openapi.json on a fresh
 * clone, where dist/ does not exist yet, and checks it with Redocly).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
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
const { values } = parseArgs({
  options: { yaml: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const document = values.yaml ? app.swagger({ yaml: true }) : `${JSON.stringify(app.swagger(), null, 2)}\n`;
if (values.out === undefined) process.stdout.write(document);
else {
  await mkdir(path.dirname(values.out), { recursive: true });
  await writeFile(values.out, document);
}
await app.close();
await database.close();
