import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { allPages } from '../../api/paging';
import type { paths } from '../../api/schema';
import { useCan } from '../../app/access';

type Json<P extends keyof paths, M extends 'get'> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type Certification = Json<'/api/v1/users/{id}/certifications', 'get'>[number];
export type TypeRating = Json<'/api/v1/users/{id}/type-ratings', 'get'>[number];
export type Skill = Json<'/api/v1/users/{id}/skills', 'get'>[number];
export type RecencyEntry = Json<'/api/v1/users/{id}/recency', 'get'>[number];

/** A person of the organization as the people list shows them. */
export interface Person {
  id: string;
  email: string;
  role: string;
}

const ROLE_ORDER = ['mechanic', 'tenant_admin', 'scheduler', 'auditor', 'admin'];

/**
 * The organization's people, mechanics first. Admins and tenant admins list every user
 * (`GET /users`); schedulers and auditors, who may read people records but not list users, see the
 * mechanics through `/qualified-mechanics` (every live mechanic of the organization).
 */
export function usePeople(enabled = true) {
  const can = useCan();
  const listUsers = can('users', 'list');
  return useQuery({
    queryKey: ['people', 'list', listUsers],
    enabled,
    queryFn: async (): Promise<Person[]> => {
      if (listUsers) {
        const users = await allPages((cursor) =>
          api.GET('/api/v1/users', { params: { query: { limit: 200, cursor } } }),
        );
        return users
          .map((u) => ({ id: u.id, email: u.email, role: u.role }))
          .sort(
            (a, b) =>
              ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.email.localeCompare(b.email),
          );
      }
      const start = new Date();
      const end = new Date(start.getTime() + 60 * 60 * 1000);
      const mechanics = await unwrap(
        api.GET('/api/v1/qualified-mechanics', {
          params: {
            query: { task_type: 'inspection', start_time: start.toISOString(), end_time: end.toISOString() },
          },
        }),
      );
      return mechanics
        .map((m) => ({ id: m.user_id, email: m.email, role: 'mechanic' }))
        .sort((a, b) => a.email.localeCompare(b.email));
    },
  });
}

export function useCertifications(userId: string) {
  return useQuery({
    queryKey: ['people', userId, 'certifications'],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/users/{id}/certifications', {
          params: { path: { id: userId }, query: { limit: 200, cursor } },
        }),
      ),
  });
}

export function useTypeRatings(userId: string) {
  return useQuery({
    queryKey: ['people', userId, 'type-ratings'],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/users/{id}/type-ratings', {
          params: { path: { id: userId }, query: { limit: 200, cursor } },
        }),
      ),
  });
}

export function useSkills(userId: string) {
  return useQuery({
    queryKey: ['people', userId, 'skills'],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/users/{id}/skills', {
          params: { path: { id: userId }, query: { limit: 200, cursor } },
        }),
      ),
  });
}

/** The latest recency entries (the profile sums the hours per aircraft type over them). */
export function useRecency(userId: string) {
  return useQuery({
    queryKey: ['people', userId, 'recency'],
    queryFn: () =>
      allPages(
        (cursor) =>
          api.GET('/api/v1/users/{id}/recency', {
            params: { path: { id: userId }, query: { limit: 200, cursor, sort: '-performed_at' } },
          }),
        5,
      ),
  });
}

export function useCertificationTypes(enabled: boolean) {
  return useQuery({
    queryKey: ['people', 'certification-types'],
    enabled,
    staleTime: 10 * 60_000,
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/certification-types', { params: { query: { limit: 200, cursor } } }),
      ),
  });
}

export function useAircraftTypes(enabled = true) {
  return useQuery({
    queryKey: ['aircraft', 'types'],
    enabled,
    staleTime: 10 * 60_000,
    queryFn: () =>
      allPages((cursor) => api.GET('/api/v1/aircraft-types', { params: { query: { limit: 200, cursor } } })),
  });
}

/** A calendar day (`YYYY-MM-DD`) as the RFC 3339 midnight UTC the people records take. */
export const dayToInstant = (day: string): string => `${day}T00:00:00Z`;

/** Today (UTC) as `YYYY-MM-DD`, moved by a number of years. */
export function dayFromNow(years = 0): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}
