import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../app/errors.js';
import {
  ApiRateLimits,
  rateLimitCategory,
  type ApiRateLimitsDeps,
  type RateLimitSubject,
} from '../../../app/rate-limits.js';
import { rateLimitRejections } from '../../../observability/metrics.js';
import { errorResponses } from '../schemas/common.js';

const API_PREFIX = '/api/v1/';

/** The response headers that tell a client where it stands, for CORS to expose. */
export const RATE_LIMIT_HEADERS = [
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Retry-After',
];

/**
 * Counts every `/api/v1` request against its bucket: the signed-in user's organization and the
 * endpoint category, or for `/auth/*` the client address. Registered after authentication, so the
 * organization is known; requests refused by authentication are not counted. Every counted
 * response carries the X-RateLimit-* headers; a request over the limit is answered 429.
 */
export function registerRateLimits(app: FastifyInstance, deps: ApiRateLimitsDeps): void {
  const limits = new ApiRateLimits(deps);
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.url.startsWith(API_PREFIX) && response && !('429' in response)) {
      Object.assign(response, errorResponses(429));
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || !route.startsWith(API_PREFIX)) return;
    const category = rateLimitCategory(request.method, route);
    let subject: RateLimitSubject;
    if (category === 'auth') subject = { category, clientIp: request.ip };
    else if (request.actor) subject = { category, orgId: request.actor.orgId };
    else return;

    const state = await limits.consume(subject);
    void reply.headers({
      'X-RateLimit-Limit': String(state.limit),
      'X-RateLimit-Remaining': String(state.remaining),
      'X-RateLimit-Reset': String(state.resetAt),
    });
    if (state.allowed) return;
    rateLimitRejections.inc({ category });
    const who = category === 'auth' ? 'this address' : 'your organization';
    throw AppError.rateLimited(
      state.retryAfterSeconds,
      `too many ${category} requests: ${who} may make ${state.limit} per minute; retry in ${state.retryAfterSeconds} s`,
    );
  });
}
