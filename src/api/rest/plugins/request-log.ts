import type { FastifyInstance } from 'fastify';

/** One JSON line per request, with the fields the specification names. */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const line = {
      org_id: request.actor?.orgId,
      user_id: request.actor?.userId,
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      ip: request.ip,
    };
    if (status >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request completed');
  });
}
