import type { Role } from '../domain/roles.js';

/** Who performs an action: a signed-in user, or a named background job (or an anonymous client). */
export type Actor = UserActor | SystemActor;

export interface UserActor {
  kind: 'user';
  userId: string;
  /** The organization the user belongs to (the token's `org_id`). */
  orgId: string;
  role: Role;
  scopes: string[];
  /**
   * Set when the request came with an API key: the key acts for `userId` (its creator) with the
   * rights of `role` (its scope), and is audited as `api_key:<name>`.
   */
  apiKey?: { id: string; name: string } | undefined;
}

export interface SystemActor {
  kind: 'system';
  /** The job's name, recorded in audit rows, e.g. `system:program-generator`. */
  name: string;
}

/** Where a request came from, recorded with every audit row it causes. */
export interface RequestContext {
  requestId: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export const systemActor = (job: string): SystemActor => ({ kind: 'system', name: `system:${job}` });

/**
 * A client nobody is signed in as (a failed login, a replayed refresh token): no user, and the audit
 * row's address says where it came from.
 */
export const anonymousActor: SystemActor = { kind: 'system', name: 'anonymous' };
