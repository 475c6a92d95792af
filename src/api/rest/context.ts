import type { FastifyRequest } from 'fastify';
import type { RequestContext, UserActor } from '../../app/actor.js';
import type { MutationContext } from '../../app/mutation.js';
import { actorOf } from './plugins/auth.js';

/** Where a request came from, as every audit row it causes records it. */
export function requestContext(request: FastifyRequest): RequestContext & { ip: string } {
  return { requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] };
}

/** The signed-in user and where the request came from, as every audited change records them. */
export function mutationContext(request: FastifyRequest): MutationContext & { actor: UserActor } {
  return { actor: actorOf(request), request: requestContext(request) };
}

/**
 * Where the resource a POST created lives: the collection's path plus the new id. `org_id` is kept,
 * so the link also works for an admin who created it in another organization.
 */
export function createdLocation(request: FastifyRequest, id: string): string {
  const url = new URL(request.url, 'http://localhost');
  const orgId = url.searchParams.get('org_id');
  const path = `${url.pathname.replace(/\/$/, '')}/${id}`;
  return orgId === null ? path : `${path}?${new URLSearchParams({ org_id: orgId }).toString()}`;
}
