import type { FastifyInstance } from 'fastify';
import { metricsRegistry } from '../../../observability/metrics.js';

/** `GET /metrics`: every metric of the process in the Prometheus text format (mounted only when enabled). */
export function metricsRoutes() {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/metrics',
      {
        config: { public: true },
        schema: {
          tags: ['health'],
          summary: 'Prometheus metrics',
          description:
            'Request, job, outbox, webhook and rate-limit counters plus process metrics, in the Prometheus text ' +
            'exposition format. Served only when `PROMETHEUS_ENABLED=true`.',
          produces: ['text/plain'],
        },
      },
      async (_request, reply) =>
        reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
    );
  };
}
