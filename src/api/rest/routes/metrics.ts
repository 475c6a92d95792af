import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../app/errors.js';
import { metricsRegistry } from '../../../observability/metrics.js';

/**
 * `GET /metrics`: every metric of the process in the Prometheus text format. When disabled the
 * path answers a 404 that says how to enable it (and stays out of the OpenAPI document), so an
 * operator pointing Prometheus at it learns why it is empty.
 */
export function metricsRoutes(enabled: boolean) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/metrics',
      {
        config: { public: true },
        schema: {
          hide: !enabled,
          tags: ['health'],
          summary: 'Prometheus metrics',
          description:
            'Request, job, outbox, webhook and rate-limit counters plus process metrics, in the Prometheus text ' +
            'exposition format. Served only when `PROMETHEUS_ENABLED=true`.',
          produces: ['text/plain'],
        },
      },
      async (_request, reply) => {
        if (!enabled) {
          throw new AppError(
            'not_found',
            'METRICS_DISABLED',
            'metrics are disabled: start the server with PROMETHEUS_ENABLED=true to serve /metrics',
          );
        }
        return reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
      },
    );
  };
}
