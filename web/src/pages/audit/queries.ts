import { useQuery } from '@tanstack/react-query';
import { accessToken, api } from '../../api/client';
import { toApiError, unwrap } from '../../api/errors';
import { nextCursor } from '../../api/paging';

export type AuditAction = 'create' | 'update' | 'delete' | 'state_change';

export interface AuditFilters {
  entity_type?: string;
  action?: AuditAction;
  user_id?: string;
  from?: string;
  to?: string;
}

/** One page of the audit log, newest first, by keyset cursor. */
export function useAuditPage(filters: AuditFilters, cursor: string) {
  return useQuery({
    queryKey: ['audit', filters, cursor],
    queryFn: async () => {
      const result = await api.GET('/api/v1/audit-logs', {
        params: { query: { ...filters, limit: 50, cursor } },
      });
      return { rows: await unwrap(Promise.resolve(result)), next: nextCursor(result.response) };
    },
    placeholderData: (previous) => previous,
  });
}

export type AuditRow = NonNullable<ReturnType<typeof useAuditPage>['data']>['rows'][number];

/** The users of the organization, for the actor filter (only those who may list users). */
export function useUserOptions(enabled: boolean) {
  return useQuery({
    queryKey: ['users', 'options'],
    enabled,
    queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { limit: 200 } } })),
  });
}

/**
 * Downloads the CSV export of the filtered log: fetched with the token in the header (never in the
 * URL), then saved from a Blob under the server's file name.
 */
export async function downloadAuditExport(filters: AuditFilters): Promise<string> {
  const query = new URLSearchParams(
    Object.entries(filters).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const token = await accessToken();
  let response: Response;
  try {
    response = await fetch(`/api/v1/audit-logs/export${query.size ? `?${query}` : ''}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } catch {
    throw toApiError(0, undefined);
  }
  if (!response.ok) throw toApiError(response.status, await response.json().catch(() => undefined));
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'audit-log.csv';
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
