import { useQueries, useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { useMemo } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { allPages } from '../../api/paging';
import type { paths } from '../../api/schema';
import type { ViewRange } from './model';

type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;
export type Task = Json<paths['/api/v1/maintenance-tasks']['get']['responses'][200]>[number];
export type Dependency = Json<
  paths['/api/v1/maintenance-tasks/{id}/dependencies']['get']['responses'][200]
>[number];
export type Conflict = Json<paths['/api/v1/scheduling/conflicts']['get']['responses'][200]>[number];
export type ReschedulePlan = Json<
  paths['/api/v1/maintenance-tasks/{id}/reschedule']['post']['responses'][200]
>;
export type Mechanic = Json<paths['/api/v1/qualified-mechanics']['get']['responses'][200]>[number];

/** How far before the range a task may start and still reach into it (the list filters on start). */
const LOOK_BEHIND_DAYS = 31;

/** Every task whose window meets the range, page by page. */
export function useScheduleTasks(range: ViewRange) {
  const from = dayjs(range.start).subtract(LOOK_BEHIND_DAYS, 'day').toISOString();
  const to = range.end.toISOString();
  const query = useQuery({
    queryKey: ['tasks', 'schedule', from, to],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/maintenance-tasks', {
          params: { query: { limit: 200, cursor, start_from: from, start_to: to, sort: 'start_time' } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  const startMs = range.start.getTime();
  const tasks = useMemo(
    () => query.data?.filter((task) => Date.parse(task.end_time) > startMs),
    [query.data, startMs],
  );
  return { ...query, tasks };
}

/** Arrows are drawn for at most this many active tasks of a view (one request each: see the report). */
export const MAX_DEPENDENCY_LOOKUPS = 150;

/**
 * The dependencies among the given tasks. The API lists them per task only, so this asks once per
 * active task in view (cached per task, invalidated by live dependency events), up to a cap.
 */
export function useDependencies(tasks: readonly Task[] | undefined) {
  const ids = useMemo(
    () =>
      (tasks ?? [])
        .filter((t) => t.state === 'scheduled' || t.state === 'in_progress')
        .slice(0, MAX_DEPENDENCY_LOOKUPS)
        .map((t) => t.id),
    [tasks],
  );
  const capped =
    (tasks ?? []).filter((t) => t.state === 'scheduled' || t.state === 'in_progress').length > ids.length;
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: ['dependencies', id],
      queryFn: () =>
        unwrap(api.GET('/api/v1/maintenance-tasks/{id}/dependencies', { params: { path: { id } } })),
      staleTime: 60_000,
    })),
    combine: (results) => {
      const byId = new Map<string, Dependency>();
      for (const result of results)
        for (const dependency of result.data ?? []) byId.set(dependency.id, dependency);
      return { dependencies: [...byId.values()], capped };
    },
  });
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
