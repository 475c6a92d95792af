// The API's own RBAC table (src/domain/rbac.ts, pure TypeScript): the console offers exactly what
// the server would allow, from one source.
import { isAllowed, type Action, type Resource } from '../../../src/domain/rbac.js';
import { useSession } from '../auth/store';

export type { Action, Resource };

/** Whether the signed-in user's role may do this; false when nobody is signed in. */
export function useCan(): <R extends Resource>(resource: R, action: Action<R>) => boolean {
  const session = useSession();
  return (resource, action) => (session ? isAllowed(session.role, resource, action) : false);
}
