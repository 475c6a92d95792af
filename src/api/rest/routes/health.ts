import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { HealthCheck } from '../../../app/ports.js';
import { withTimeout } from '../../../app/timeout.js';

const Status = Type.Object({
  status: Type.String({ description: '`ok`, or `unavailable` when a dependency is down.' }),
  checks: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'Each dependency and its state.' }),
  ),
});

/** `/health` says the process is alive; `/ready` says its dependencies answer. */
export function healthRoutes(checks: HealthCheck[], exposeErrors: boolean) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/health',
      {
        config: { public: true },
        schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } },
      },
      () => ({ status: 'ok' }),
    );

    app.get(
      '/ready',
      {
        config: { public: true },
        schema: {
          tags: ['health'],
          summary: 'Readiness of PostgreSQL and Redis',
          response: { 200: Status, 503: Status },
        },
      },
      async (request, reply) => {
        const results = await Promise.all(
          checks.map(async (dependency) => {
            const { name } = dependency;
            try {
              await withTimeout(dependency.check(), 2_000, () => new Error('no answer within 2000 ms'));
              return [name, 'ok'] as const;
            } catch (error) {
              request.log.warn({ err: error, dependency: name }, 'readiness check failed');
              // Production answers never carry error text (it can hold host names or credentials).
              const detail = exposeErrors && error instanceof Error ? `down: ${error.message}` : 'down';
              return [name, detail] as const;
            }
          }),
        );
        const ready = results.every(([, state]) => state === 'ok');
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
      },
    );
  };
}
