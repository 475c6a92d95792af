import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import type { paths } from '../../api/schema';
import type { ViewRange } from './model';

type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;
export type Task = Json<paths['/api/v1/maintenance-tasks']['get']['responses'][200]>[number];
export type Dependency = Json<
  paths['/api/v1/scheduling/timeline']['get']['responses'][200]
>['dependencies'][number];
export type Conflict = Json<paths['/api/v1/scheduling/conflicts']['get']['responses'][200]>[number];
export type ReschedulePlan = Json<
  paths['/api/v1/maintenance-tasks/{id}/reschedule']['post']['responses'][200]
>;
export type Mechanic = Json<paths['/api/v1/qualified-mechanics']['get']['responses'][200]>[number];

/** The timeline's read, also started by the route's loader while the page's code loads. */
export const timelineQuery = (range: ViewRange) => {
  const from = range.start.toISOString();
  const to = range.end.toISOString();
  return queryOptions({
    queryKey: ['timeline', from, to],
    queryFn: () => unwrap(api.GET('/api/v1/scheduling/timeline', { params: { query: { from, to } } })),
  });
};

/**
 * The timeline's rows (every aircraft), the range's tasks (of every state, including those that
 * began before it) and the dependencies among them, in one read. `truncated` says the range holds more tasks than one answer carries.
 */
export function useTimeline(range: ViewRange) {
  const query = useQuery({ ...timelineQuery(range), placeholderData: (previous) => previous });
  return {
    ...query,
    aircraft: query.data?.aircraft,
    tasks: query.data?.tasks,
    dependencies: query.data?.dependencies ?? [],
    truncated: query.data?.truncated ?? false,
  };
}

/** What is wrong with the plan in the range. */
export function useConflicts(range: ViewRange) {
  const from = range.start.toISOString();
  const to = range.end.toISOString();
  return useQuery({
    queryKey: ['conflicts', from, to],
    queryFn: () =>
      unwrap(api.GET('/api/v1/scheduling/conflicts', { params: { query: { from, to, limit: 200 } } })),
  });
}

/** Every live mechanic for a piece of work, qualified and free first. */
export function useMechanicsFor(work: {
  taskId?: string;
  type: Task['type'];
  aircraftTypeId: string | null | undefined;
  start: string | null;
  end: string | null;
}) {
  const ready = Boolean(work.start && work.end && Date.parse(work.end) > Date.parse(work.start));
  return useQuery({
    queryKey: ['people', 'qualified-mechanics', work],
    enabled: ready,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/qualified-mechanics', {
          params: {
            query: {
              task_type: work.type,
              aircraft_type_id: work.aircraftTypeId ?? undefined,
              start_time: work.start!,
              end_time: work.end!,
            },
          },
        }),
      ),
  });
}
