import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { allPages, nextCursor } from '../../api/paging';
import type { paths } from '../../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Aircraft = Json<paths['/api/v1/aircraft/{id}']['get']['responses'][200]>;
export type AircraftStatus = Aircraft['status'];
export type AircraftCreate = NonNullable<
  paths['/api/v1/aircraft']['post']['requestBody']
>['content']['application/json'];
export type AircraftChange = NonNullable<
  paths['/api/v1/aircraft/{id}']['patch']['requestBody']
>['content']['application/json'];
export type Task = Json<paths['/api/v1/maintenance-tasks']['get']['responses'][200]>[number];
export type TaskState = Task['state'];
export type Program = Json<paths['/api/v1/maintenance-programs']['get']['responses'][200]>[number];
export type ComplianceStatus = Json<
  paths['/api/v1/aircraft/{id}/compliance-status']['get']['responses'][200]
>[number];

export const PAGE_SIZE = 50;

export interface FleetFilter {
  status?: AircraftStatus;
  q?: string;
  sort: string;
}

/** One page of the fleet list, with the cursor of the next page (undefined on the last). */
export function useFleetPage(filter: FleetFilter, cursor: string) {
  return useQuery({
    queryKey: ['aircraft', 'list', filter, cursor],
    queryFn: async () => {
      const result = await api.GET('/api/v1/aircraft', {
        params: {
          query: {
            limit: PAGE_SIZE,
            cursor,
            sort: filter.sort,
            ...(filter.status ? { status: filter.status } : {}),
            ...(filter.q ? { q: filter.q } : {}),
          },
        },
      });
      const rows = await unwrap(Promise.resolve(result));
      return { rows, next: nextCursor(result.response) };
    },
    // The table keeps the page it shows while the next one loads: no jump, no flash.
    placeholderData: keepPreviousData,
  });
}

/** The ICAO aircraft types (global reference data), by designator. */
export function useAircraftTypes() {
  return useQuery({
    queryKey: ['aircraft-types'],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/aircraft-types', { params: { query: { limit: 200, cursor, sort: 'designator' } } }),
      ),
    staleTime: 60 * 60_000,
  });
}

export function useAircraft(id: string) {
  return useQuery({
    queryKey: ['aircraft', id],
    queryFn: () => unwrap(api.GET('/api/v1/aircraft/{id}', { params: { path: { id } } })),
  });
}

export function useUsage(id: string, limit = 10) {
  return useQuery({
    queryKey: ['aircraft', id, 'usage', limit],
    queryFn: () =>
      unwrap(api.GET('/api/v1/aircraft/{id}/usage', { params: { path: { id }, query: { limit } } })),
  });
}

/**
 * The aircraft's programs. Keyed under the aircraft: a completed task moves a program's next due,
 * and task and aircraft events make the aircraft's queries stale.
 */
export function usePrograms(aircraftId: string) {
  return useQuery({
    queryKey: ['aircraft', aircraftId, 'programs'],
    queryFn: () =>
      allPages(
        (cursor) =>
          api.GET('/api/v1/maintenance-programs', {
            params: { query: { aircraft_id: aircraftId, limit: 200, cursor } },
          }),
        5,
      ),
  });
}

export function useComplianceStatus(aircraftId: string) {
  return useQuery({
    queryKey: ['compliance', 'aircraft', aircraftId],
    queryFn: () =>
      allPages(
        (cursor) =>
          api.GET('/api/v1/aircraft/{id}/compliance-status', {
            params: { path: { id: aircraftId }, query: { limit: 200, cursor } },
          }),
        5,
      ),
  });
}

/** The aircraft's open tasks (in progress and scheduled, by start): what explains its status. */
export function useOpenTasks(aircraftId: string) {
  return useQuery({
    queryKey: ['tasks', 'aircraft', aircraftId, 'open'],
    queryFn: async () => {
      const list = (state: 'in_progress' | 'scheduled') =>
        unwrap(
          api.GET('/api/v1/maintenance-tasks', {
            params: { query: { aircraft_id: aircraftId, state, sort: 'start_time', limit: 200 } },
          }),
        );
      const [inProgress, scheduled] = await Promise.all([list('in_progress'), list('scheduled')]);
      return { inProgress, scheduled };
    },
  });
}

/** One page of the aircraft's tasks, with the cursor of the next. */
export function useAircraftTasks(
  aircraftId: string,
  filter: { state?: TaskState; sort: string },
  cursor: string,
) {
  return useQuery({
    queryKey: ['tasks', 'aircraft', aircraftId, 'page', filter, cursor],
    queryFn: async () => {
      const result = await api.GET('/api/v1/maintenance-tasks', {
        params: {
          query: {
            aircraft_id: aircraftId,
            sort: filter.sort,
            limit: 20,
            cursor,
            ...(filter.state ? { state: filter.state } : {}),
          },
        },
      });
      const rows = await unwrap(Promise.resolve(result));
      return { rows, next: nextCursor(result.response) };
    },
    placeholderData: keepPreviousData,
  });
}

/** Aircraft types as a select's options: "A20N — Airbus A320neo". */
export function aircraftTypeOptions(
  types: readonly { id: string; designator: string; manufacturer: string; model: string }[] | undefined,
): { value: string; label: string }[] {
  return (types ?? []).map((t) => ({ value: t.id, label: `${t.designator} — ${t.manufacturer} ${t.model}` }));
}
