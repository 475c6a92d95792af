import type { FastifyInstance } from 'fastify';
import { httpRequestDuration, httpRequests } from '../../../observability/metrics.js';

/** One JSON line per request, with the fields the specification names, and the request metrics. */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    // Requests no route matched share one label value, so scanners cannot grow the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ route, method: request.method, status });
    httpRequestDuration.observe({ route }, reply.elapsedTime / 1000);
    const line = {
      org_id: request.actor?.orgId,
      user_id: request.actor?.userId,
      api_key_id: request.actor?.apiKey?.id,
      route,
      method: request.method,
      status,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      ip: request.ip,
    };
    if (status >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request completed');
    done();
  });
}
