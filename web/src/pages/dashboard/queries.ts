import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { allPages } from '../../api/paging';

/** The dashboard's figures (also started by the route's loader while the page's code loads). */
export const dashboardQuery = queryOptions({
  queryKey: ['dashboard'],
  queryFn: () => unwrap(api.GET('/api/v1/dashboard/metrics')),
});

export function useDashboard() {
  // The server pushes fresh figures every 30 s over the live connection; poll only as a fallback.
  return useQuery({ ...dashboardQuery, refetchInterval: 60_000 });
}

export type DashboardMetrics = NonNullable<ReturnType<typeof useDashboard>['data']>;

/** The whole fleet, for the status board, sorted by tail number (also started by the route's loader). */
export const fleetQuery = queryOptions({
  queryKey: ['aircraft', 'all'],
  queryFn: () =>
    allPages((cursor) =>
      api.GET('/api/v1/aircraft', { params: { query: { limit: 200, cursor, sort: 'tail_number' } } }),
    ),
});

export function useFleet() {
  return useQuery(fleetQuery);
}

/** The open alerts, loudest and newest first. */
export function useOpenAlerts(limit = 50) {
  return useQuery({
    queryKey: ['alerts', 'open', limit],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/alerts', {
          params: { query: { resolved: false, sort: '-level,-raised_at', limit } },
        }),
      ),
  });
}
