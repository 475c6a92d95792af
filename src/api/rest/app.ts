import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerAjvFormats } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifySchema,
} from 'fastify';
import { Type } from 'typebox';
import type { IdempotencyStore } from '../../app/idempotency.js';
import type { ApiRateLimitsDeps } from '../../app/rate-limits.js';
import type { RequestAuthenticator } from '../../app/authentication.js';
import { registerAuth } from './plugins/auth.js';
import { answerClientError, registerErrorHandling, sendError } from './plugins/errors.js';
import { registerIdempotency } from './plugins/idempotency.js';
import { RATE_LIMIT_HEADERS, registerRateLimits } from './plugins/rate-limit.js';
import { registerRequestLog } from './plugins/request-log.js';
import { requestIdFor } from './plugins/request-id.js';
import { registerTextInputGuard } from './plugins/text-input.js';
import { ErrorResponse } from './schemas/common.js';
import { registerConsole } from './console.js';
import { lazySerializerFactory, lazyTypeBoxValidatorCompiler } from './lazy-compilers.js';

registerAjvFormats();

export interface RestAppOptions {
  logger: FastifyBaseLogger;
  /** The built web console to serve at `/` (web/dist); none: the API only. */
  consoleDir?: string;
  /** Who a request's Bearer token speaks for (shared with gRPC). */
  authenticator: RequestAuthenticator;
  /** Where Idempotency-Key responses are kept; without one the header is ignored. */
  idempotency?: IdempotencyStore;
  /** Per-organization API rate limits (counter, policy lookup); without them nothing is limited. */
  rateLimits?: ApiRateLimitsDeps;
  /** Largest JSON body accepted, in bytes. */
  bodyLimitBytes: number;
  corsAllowedOrigins: string[];
  /** Proxies whose X-Forwarded-For is believed (ip, CIDR); empty trusts none. */
  trustedProxies: string[];
  /** Plugins mounted at the root (health, metrics). */
  rootRoutes: FastifyPluginAsync[];
  /** Plugins mounted under `/api/v1`. */
  apiRoutes: FastifyPluginAsync[];
  /** Turns adapter errors (e.g. PostgreSQL's) into AppErrors before they are answered. */
  translateError?: (error: unknown) => unknown;
}

/** A route as registered, for checking that the OpenAPI document covers every one. */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** False for the routes deliberately left out (the document itself, Swagger UI's files). */
  documented: boolean;
  /** Its schemas as registered, which Fastify compiles on the route's first use (lazy-compilers.ts). */
  schema: FastifySchema;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this server, in registration order. */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

/**
 * A stable operationId from the method and path, for generated clients:
 * `GET /api/v1/aircraft/:id/usage` → `getAircraftByIdUsage`.
 */
export function operationIdOf(method: string | string[], url: string): string {
  const words = url
    .replace(/^\/api\/v1/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[-_]/))
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${[method].flat()[0]!.toLowerCase()}${words.join('')}`;
}

/** Builds the REST server: request ids, logs, errors, auth and RBAC, OpenAPI, then the routes. */
export async function buildRestApp(options: RestAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    // One line per request is written by the request-log plugin, with the fields the spec asks for.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdFor,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustedProxies.length > 0 ? options.trustedProxies : false,
    // Both answered in the envelope by plugins/errors.ts: parser errors (431, 400, 408) before any
    // request exists, and requests arriving while the server shuts down (503).
    clientErrorHandler: answerClientError,
    return503OnClosing: false,
    // Malformed URLs fail inside the router, before any hook: answer them in the envelope too.
    frameworkErrors: (error, request, reply) => {
      void reply.header('X-Request-Id', request.id);
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void sendError(reply, request, tooLong ? 414 : 400, {
        kind: 'validation',
        reason: tooLong ? 'URL_TOO_LONG' : 'MALFORMED_URL',
        message: tooLong ? 'a path segment is too long' : 'the URL is malformed (bad percent-encoding)',
      });
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory } },
  });
  app.setValidatorCompiler(lazyTypeBoxValidatorCompiler);
  app.addSchema(ErrorResponse);

  // Hooks with nothing to wait for take a callback: an async one costs every request a promise.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {}) as {
      operationId?: string;
      hide?: boolean;
      querystring?: { type?: unknown; additionalProperties?: unknown };
    };
    schema.operationId ??= operationIdOf(route.method, route.url);
    const documented = schema.hide !== true && !route.url.startsWith('/docs');
    // An unknown query parameter is a 400 on every documented route, as an unknown body field is:
    // a typo (`?stauts=`) must not silently return the unfiltered list.
    if (documented) {
      schema.querystring ??= Type.Object({});
      if (schema.querystring.type === 'object') schema.querystring.additionalProperties ??= false;
    }
    for (const method of [route.method].flat())
      routes.push({ method, url: route.url, documented, schema: route.schema });
  });
  registerRequestLog(app);
  const consoleFallback = options.consoleDir ? await registerConsole(app, options.consoleDir) : undefined;
  registerErrorHandling(app, options.translateError, consoleFallback);
  registerTextInputGuard(app);
  registerAuth(app, options.authenticator);
  if (options.rateLimits) registerRateLimits(app, options.rateLimits);
  if (options.idempotency) registerIdempotency(app, options.idempotency);

  if (options.corsAllowedOrigins.length > 0) {
    await app.register(cors, {
      origin: options.corsAllowedOrigins,
      exposedHeaders: ['X-Request-Id', 'Link', ...RATE_LIMIT_HEADERS],
    });
  }

  await app.register(swagger, {
    // Shared schemas keep their $id as their component name (ErrorResponse, not def-0).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AMSS API',
        version: '1.0.0',
        description: 'Aircraft Maintenance Scheduling System: multi-tenant REST API.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'The server that serves this document' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An access token (RS256 JWT) from `POST /auth/login`, or an API key (`amss_…`) from `POST /api-keys`.',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
  app.get('/openapi.yaml', { config: { public: true }, schema: { hide: true } }, (_request, reply) =>
    reply.type('application/yaml').send(app.swagger({ yaml: true })),
  );

  for (const routes of options.rootRoutes) await app.register(routes);
  for (const routes of options.apiRoutes) await app.register(routes, { prefix: '/api/v1' });
  return app;
}
