import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../app/errors.js';
import {
  ApiRateLimits,
  rateLimitCategory,
  type ApiRateLimitsDeps,
  type AuthRateLimitSubject,
  type RateLimitState,
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
 * endpoint category. Registered after authentication, so the organization is known; requests refused
 * by authentication are not counted. `/auth/*` is judged per client address and counts only its
 * failures (answers 401), so a hangar's shift signing in behind one address is never refused. Every
 * judged response carries the X-RateLimit-* headers; a request over the limit is answered 429.
 */
export function registerRateLimits(app: FastifyInstance, deps: ApiRateLimitsDeps): void {
  const limits = new ApiRateLimits(deps);
  const authSubjects = new WeakMap<FastifyRequest, AuthRateLimitSubject>();
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.url.startsWith(API_PREFIX) && response && !('429' in response)) {
      // A copy: routes share response maps defined once per module, and another app in the same
      // process (one without rate limits, e.g. the OpenAPI script's) must not document a 429.
      route.schema!.response = { ...response, ...errorResponses(429) };
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || !route.startsWith(API_PREFIX)) return;
    const category = rateLimitCategory(request.method, route);
    let subject: RateLimitSubject;
    if (category === 'auth') {
      subject = { category, clientIp: request.ip };
      authSubjects.set(request, subject);
    } else if (request.actor) {
      subject = { category, orgId: request.actor.orgId, apiKeyId: request.actor.apiKey?.id };
    } else return;

    const state = await limits.admit(subject);
    setLimitHeaders(reply, state);
    if (state.allowed) return;
    rateLimitRejections.inc({ category });
    const retry = `retry in ${state.retryAfterSeconds} s`;
    throw AppError.rateLimited(
      state.retryAfterSeconds,
      category === 'auth'
        ? `too many failed auth requests: this address may fail ${state.limit} times per minute; ${retry}`
        : `too many ${category} requests: ${request.actor?.apiKey ? 'this API key' : 'your organization'} may make ${state.limit} per minute; ${retry}`,
    );
  });
  // Checked on arrival, counted once the answer is known: failures in flight together can pass the
  // check side by side, so an address may overshoot by as many as it has running at once.
  app.addHook('onSend', async (request, reply) => {
    const subject = authSubjects.get(request);
    // A 429 is the refusal itself, not another guess; other answers are what a shift does.
    if (subject && reply.statusCode === 401) setLimitHeaders(reply, await limits.countFailure(subject));
  });
}

function setLimitHeaders(reply: FastifyReply, state: RateLimitState): void {
  void reply.headers({
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.resetAt),
  });
}
