import { useQuery } from '@tanstack/react-query';
import { accessToken, api } from '../../api/client';
import { toApiError, unwrap } from '../../api/errors';
import { allPages } from '../../api/paging';
import type { paths } from '../../api/schema';

type Json<P extends keyof paths> = paths[P]['get'] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type Directive = Json<'/api/v1/directives'>[number];
export type TrackedAircraft = Json<'/api/v1/directives/{id}/aircraft'>[number];
export type Matrix = Json<'/api/v1/compliance-matrix'>;
export type TrackingStatus = TrackedAircraft['status'];

export const TYPE_LABEL: Record<Directive['type'], string> = {
  ad: 'AD',
  emergency_ad: 'Emergency AD',
  sb: 'Service bulletin',
  alert_sb: 'Alert SB',
  eo: 'Engineering order',
};

export const TRACKING_LABEL: Record<TrackingStatus, string> = {
  pending: 'Pending',
  in_progress: 'In progress',
  complied: 'Complied',
  not_applicable: 'Not applicable',
  deferred: 'Deferred',
  overdue: 'Overdue',
};

/** Filled badge colours, each with auto-contrast text. */
export const TRACKING_COLOR: Record<TrackingStatus, string> = {
  pending: 'blue.8',
  in_progress: 'indigo.8',
  complied: 'teal.9',
  not_applicable: 'gray.7',
  deferred: 'yellow.4',
  overdue: 'red.9',
};

export function useAuthorities() {
  return useQuery({
    queryKey: ['directives', 'authorities'],
    staleTime: 60 * 60_000,
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/regulatory-authorities', {
          params: { query: { limit: 200, cursor, sort: 'code' } },
        }),
      ),
  });
}

export function useDirectives(authorityId: string | undefined) {
  return useQuery({
    queryKey: ['directives', 'list', authorityId ?? 'all'],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/directives', {
          params: { query: { limit: 200, cursor, ...(authorityId ? { authority_id: authorityId } : {}) } },
        }),
      ),
  });
}

export function useDirective(id: string) {
  return useQuery({
    queryKey: ['directives', id],
    queryFn: () => unwrap(api.GET('/api/v1/directives/{id}', { params: { path: { id } } })),
  });
}

export function useDirectiveAircraft(id: string) {
  return useQuery({
    queryKey: ['directives', id, 'aircraft'],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/directives/{id}/aircraft', {
          params: { path: { id }, query: { limit: 200, cursor } },
        }),
      ),
  });
}

/** The aircraft × directives grid, every page of aircraft (up to 10 pages of 200). */
export function useComplianceMatrix(authorityId: string | undefined) {
  return useQuery({
    queryKey: ['directives', 'matrix', authorityId ?? 'all'],
    queryFn: async (): Promise<Matrix> => {
      let cursor = '';
      let result: Matrix | undefined;
      for (let i = 0; i < 10; i += 1) {
        const page = await unwrap(
          api.GET('/api/v1/compliance-matrix', {
            params: { query: { limit: 200, cursor, ...(authorityId ? { authority_id: authorityId } : {}) } },
          }),
        );
        result = result ? { ...result, aircraft: [...result.aircraft, ...page.aircraft] } : page;
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      return result!;
    },
  });
}

/**
 * Downloads the authority's directive compliance report (PDF or CSV): fetched with the session's
 * token in the Authorization header (never in a URL), then saved through a Blob link.
 */
export async function downloadComplianceReport(authorityId: string, format: 'pdf' | 'csv'): Promise<void> {
  const token = await accessToken();
  const query = new URLSearchParams({ authority_id: authorityId, format });
  let response: Response;
  try {
    response = await fetch(`/api/v1/reports/directive-compliance?${query.toString()}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } catch {
    throw toApiError(0, undefined);
  }
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw toApiError(response.status, body);
  }
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `directive-compliance.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
