import { buildGrpcServer, type GrpcServer } from '../../src/api/grpc/server.js';
import { CachingAccessTokenVerifier } from '../../src/auth/verified-token-cache.js';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import { PgIdempotencyStore } from '../../src/infra/postgres/idempotency.js';
import { createLogger } from '../../src/observability/logger.js';
import type { TestApp } from './app.js';

/** The gRPC server over a test app's services, listening on a free local port. */
export async function startTestGrpc(t: TestApp): Promise<{ server: GrpcServer; address: string }> {
  const server = buildGrpcServer({
    services: t.container.services,
    verifier: new CachingAccessTokenVerifier(t.container.tokens),
    serviceVerifier: t.container.tokens,
    idempotency: new PgIdempotencyStore(t.db.db),
    logger: createLogger('silent'),
    translateError: translateDatabaseError,
  });
  const port = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, address: `127.0.0.1:${port}` };
}
