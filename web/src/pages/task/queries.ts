import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { accessToken, api } from '../../api/client';
import { toApiError, unwrap } from '../../api/errors';
import { allPages } from '../../api/paging';
import { useCan } from '../../app/access';
import { useSession } from '../../auth/store';

/** The task with its reservations, compliance items and dependencies. */
export function useTask(id: string) {
  return useQuery({
    queryKey: ['tasks', id],
    queryFn: () => unwrap(api.GET('/api/v1/maintenance-tasks/{id}', { params: { path: { id } } })),
  });
}

export type TaskDetail = NonNullable<ReturnType<typeof useTask>['data']>;
export type Task = TaskDetail['task'];
export type ComplianceItem = TaskDetail['compliance'][number];
export type Reservation = TaskDetail['reservations'][number];
export type Dependency = TaskDetail['dependencies'][number];

export function useAircraft(id: string | undefined) {
  return useQuery({
    queryKey: ['aircraft', id],
    enabled: !!id,
    queryFn: () => unwrap(api.GET('/api/v1/aircraft/{id}', { params: { path: { id: id! } } })),
  });
}

/** Tail numbers of several aircraft (the other tasks of the dependencies). */
export function useTailNumbers(ids: string[]): Map<string, string> {
  const results = useQueries({
    queries: [...new Set(ids)].map((id) => ({
      queryKey: ['aircraft', id],
      queryFn: () => unwrap(api.GET('/api/v1/aircraft/{id}', { params: { path: { id } } })),
    })),
  });
  return new Map(results.flatMap((r) => (r.data ? [[r.data.id, r.data.tail_number] as const] : [])));
}

/** Every mechanic against this task: qualified or what they lack, free or busy (planners and auditors). */
export function useQualifiedMechanics(taskId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['tasks', taskId, 'qualified-mechanics'],
    enabled,
    queryFn: () => unwrap(api.GET('/api/v1/qualified-mechanics', { params: { query: { task_id: taskId } } })),
  });
}

export type MechanicCheck = NonNullable<ReturnType<typeof useQualifiedMechanics>['data']>[number];

/** "You", a mechanic's email when this role may list them, or a short id. */
export function usePersonName(taskId: string): (userId: string | null | undefined) => string {
  const session = useSession();
  const can = useCan();
  const mechanics = useQualifiedMechanics(taskId, can('qualification_checks', 'list'));
  const emails = new Map(mechanics.data?.map((m) => [m.user_id, m.email]));
  return (userId) => {
    if (!userId) return '—';
    if (userId === session?.userId) return `You (${session.email})`;
    return emails.get(userId) ?? `user ${userId.slice(0, 8)}`;
  };
}

/** Each required part: reserved, available to reserve, or short. */
export function usePartsAvailability(taskId: string) {
  return useQuery({
    queryKey: ['stock', 'task', taskId],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/maintenance-tasks/{id}/parts-availability', { params: { path: { id: taskId } } }),
      ),
  });
}

/** The part items behind the task's reservations (serial number and definition). */
export function useReservedItems(itemIds: string[]) {
  const results = useQueries({
    queries: itemIds.map((id) => ({
      queryKey: ['parts', 'item', id],
      queryFn: () => unwrap(api.GET('/api/v1/part-items/{id}', { params: { path: { id } } })),
    })),
  });
  return new Map(results.flatMap((r) => (r.data ? [[r.data.id, r.data] as const] : [])));
}

/** Part definition names by id. */
export function useDefinitionNames(ids: string[]): Map<string, string> {
  const results = useQueries({
    queries: [...new Set(ids)].map((id) => ({
      queryKey: ['parts', 'definition', id],
      queryFn: () => unwrap(api.GET('/api/v1/part-definitions/{id}', { params: { path: { id } } })),
    })),
  });
  return new Map(results.flatMap((r) => (r.data ? [[r.data.id, r.data.name] as const] : [])));
}

/**
 * The items of a definition that could be reserved now: in stock, unexpired, not held by another
 * reservation.
 */
export function useReservableItems(definitionId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['parts', 'reservable', definitionId],
    enabled,
    queryFn: async () => {
      const [items, held] = await Promise.all([
        allPages((cursor) =>
          api.GET('/api/v1/part-items', {
            params: {
              query: { definition_id: definitionId, status: 'in_stock', limit: 200, cursor },
            },
          }),
        ),
        allPages((cursor) =>
          api.GET('/api/v1/part-reservations', {
            params: { query: { state: 'reserved', limit: 200, cursor } },
          }),
        ),
      ]);
      const reserved = new Set(held.map((r) => r.part_item_id));
      const today = new Date().toISOString().slice(0, 10);
      return items.filter(
        (item) => !reserved.has(item.id) && (!item.expiry_date || item.expiry_date >= today),
      );
    },
  });
}

/**
 * After a change: the task (with its items, reservations and mechanics) and what else the change
 * touched. Only what this page shows is refetched now; the live events mark the rest stale.
 */
export function useRefreshTask() {
  const queryClient = useQueryClient();
  return (...also: ('aircraft' | 'stock' | 'parts')[]) => {
    for (const key of ['tasks', 'timeline', 'dashboard', ...also])
      void queryClient.invalidateQueries({ queryKey: [key] });
  };
}

/**
 * A signature (sign-off or inspection) with the signer's password. Sent without the console
 * client's retry-on-401: a wrong password is a 401 that must not be sent (and counted) twice.
 */
export async function sign(path: string, method: 'PATCH' | 'POST', body: object): Promise<unknown> {
  const token = await accessToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'Idempotency-Key': crypto.randomUUID(),
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw toApiError(0, undefined);
  }
  const data: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toApiError(response.status, data);
  return data;
}

/** The task page's confirmations go quickly: a mechanic records one step after another. */
export const BRIEF = { autoClose: 3000 };
