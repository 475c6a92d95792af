import { isAllowed, type Action, type Resource } from '../domain/rbac.js';
import type { Actor } from './actor.js';
import { AppError } from './errors.js';
import type { OrganizationRepository } from './ports.js';

/** The organization an admin names to act in (the `org_id` query parameter); others leave it unset. */
export interface OrgScope {
  orgId?: string | undefined;
}

/** Admins and background jobs act across organizations; everyone else inside their own. */
export const actsAcrossOrgs = (actor: Actor): boolean => actor.kind === 'system' || actor.role === 'admin';

/**
 * Refuses (403) unless the RBAC table lets the actor's role perform `action` on `resource`.
 * The REST edge checks the same table; services check again so every interface (gRPC, CLI) is covered.
 */
export function authorize<R extends Resource>(actor: Actor, resource: R, action: Action<R>): void {
  if (actor.kind === 'system' || isAllowed(actor.role, resource, action)) return;
  throw AppError.forbidden(`role ${actor.role} may not ${action} ${resource.replace(/_/g, ' ')}`);
}

/**
 * The organization a tenant-scoped request acts in: the actor's own, unless an admin (or a job)
 * names another one, which must then be a live organization (404 otherwise, as for any unknown id).
 * Anyone else naming another organization is refused with ORG_SCOPE_FORBIDDEN.
 */
export async function resolveOrgScope(
  organizations: Pick<OrganizationRepository, 'findById'>,
  actor: Actor,
  scope: OrgScope,
): Promise<string> {
  const requested = scope.orgId;
  if (actor.kind === 'user' && (requested === undefined || requested === actor.orgId)) return actor.orgId;
  if (!actsAcrossOrgs(actor)) {
    throw AppError.forbidden('you may act inside your own organization only', 'ORG_SCOPE_FORBIDDEN');
  }
  if (requested === undefined) {
    throw AppError.validation('org_id is required', [{ field: 'org_id', message: 'is required' }]);
  }
  // A deleted organization's records stay within the system admin's reach (to read, or to put
  // right); for everyone else they are gone with it.
  if (!(await organizations.findById(requested, { includeDeleted: true })))
    throw AppError.notFound('organization');
  return requested;
}
