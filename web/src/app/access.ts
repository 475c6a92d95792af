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

/**
 * Whether the signed-in user may acknowledge or resolve this alert: their role may, and a mechanic
 * only on the alerts about them (the API refuses the others with ALERT_NOT_YOURS).
 */
export function useMayActOnAlert(): (
  alert: { user_id: string | null },
  action: 'acknowledge' | 'resolve',
) => boolean {
  const session = useSession();
  const can = useCan();
  return (alert, action) =>
    can('alerts', action) && (session?.role !== 'mechanic' || alert.user_id === session.userId);
}
