#!/usr/bin/env node
/**
 * The `amss` executable. With OTEL_EXPORTER_OTLP_ENDPOINT set it starts tracing first and only
 * then loads the CLI: the instrumentations can wrap pg, ioredis, http and grpc-js only if they
 * are in place before those modules load (`--import`-free, so `node dist/cmd/main.js` just works).
 */
import cluster from 'node:cluster';
import { createRequire, register } from 'node:module';
import { argv, env } from 'node:process';

const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
// The primary of several server processes serves nothing, so it has nothing to trace; without the
// SDK and its instrumentations it stays a small process (see src/cmd/supervisor.ts).
const supervising = argv[2] === 'server' && cluster.isPrimary && Number(env.SERVER_PROCESSES ?? 1) > 1;
if (endpoint && !supervising) {
  // ES modules are wrapped through this loader hook; CommonJS ones (pg, ioredis) through require.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('../observability/tracing.js');
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  startTracing({ endpoint, service: `amss-${argv[2] ?? 'cli'}`, version });
}
await import('./cli.js');
