import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UserActor } from '../../../app/actor.js';
import type { RequestAuthenticator } from '../../../app/authentication.js';
import { AppError } from '../../../app/errors.js';
import { allowedRoles, type Action, type Resource } from '../../../domain/rbac.js';

/** A route's entry in the RBAC table. */
export interface RoutePolicy {
  resource: Resource;
  action: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which RBAC entry the route needs; routes without one must be marked public. */
    policy?: RoutePolicy;
    /** No authentication at all (login, health). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The signed-in user; set on every non-public route before the handler runs. */
    actor?: UserActor;
  }
}

/** The policy entry of a route, typed against the RBAC table. */
export const policy = <R extends Resource>(resource: R, action: Action<R>): { policy: RoutePolicy } => ({
  policy: { resource, action },
});

/** The authenticated actor of a route that is not public. */
export function actorOf(request: FastifyRequest): UserActor {
  if (!request.actor) throw AppError.unauthenticated();
  return request.actor;
}

/**
 * Authenticates every non-public route with a Bearer access token and checks the route's RBAC
 * entry. A route without a policy that is not public is refused, so a forgotten policy fails
 * closed. The roles also go into the route's OpenAPI as `x-roles`.
 */
export function registerAuth(app: FastifyInstance, authenticator: RequestAuthenticator): void {
  app.addHook('onRoute', (route) => {
    const config = route.config;
    if (route.url.startsWith('/docs')) return;
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    // Public routes say so explicitly: an empty requirement overrides nothing and means "no token".
    schema.security = config?.public ? [] : [{ bearerAuth: [] }];
    if (config?.public) return;
    if (config?.policy) {
      schema['x-roles'] = [...allowedRoles(config.policy.resource, config.policy.action as never)];
    }
  });

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    // Unknown routes (404/405), public routes and CORS preflights (browsers never send credentials
    // with them; they carry no data) need no token.
    if (
      request.method === 'OPTIONS' ||
      config.public ||
      request.routeOptions.url === undefined ||
      request.routeOptions.url.startsWith('/docs')
    ) {
      return;
    }
    const actor = await authenticator.authenticate(request.headers.authorization);
    request.actor = actor;
    if (!config.policy) throw AppError.forbidden('this route has no access policy');
    const roles = allowedRoles(config.policy.resource, config.policy.action as never);
    if (!roles.includes(actor.role)) {
      throw AppError.forbidden(
        `role ${actor.role} may not ${config.policy.action} ${config.policy.resource.replace(/_/g, ' ')}`,
      );
    }
  });
}
