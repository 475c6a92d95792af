import { useQuery } from '@tanstack/react-query';
import { accessToken, api } from '../../api/client';
import { toApiError, unwrap } from '../../api/errors';

export type ImportType = 'aircraft' | 'parts' | 'programs';
const RUNNING = new Set(['pending', 'validating', 'applying']);

export function useImports() {
  return useQuery({
    queryKey: ['imports', 'list'],
    queryFn: () => unwrap(api.GET('/api/v1/imports', { params: { query: { limit: 20 } } })),
    refetchInterval: (query) => (query.state.data?.some((i) => RUNNING.has(i.status)) ? 2000 : false),
  });
}

export type ImportRecord = NonNullable<ReturnType<typeof useImports>['data']>[number];

export const isRunning = (record: { status: string } | undefined) => !!record && RUNNING.has(record.status);

/** One import, polled every second while the worker is on it. */
export function useImport(id: string | null) {
  return useQuery({
    queryKey: ['imports', id],
    enabled: id !== null,
    queryFn: () => unwrap(api.GET('/api/v1/imports/{id}', { params: { path: { id: id! } } })),
    refetchInterval: (query) => (!query.state.data || isRunning(query.state.data) ? 1000 : false),
  });
}

/** The refused rows of an import, once it has validated them. */
export function useInvalidRows(id: string | null, ready: boolean) {
  return useQuery({
    queryKey: ['imports', id, 'rows', 'invalid'],
    enabled: id !== null && ready,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/imports/{id}/rows', {
          params: { path: { id: id! }, query: { status: 'invalid', limit: 200 } },
        }),
      ),
  });
}

/**
 * Uploads a CSV (multipart: the type, then the file) with the session's token in the header: the
 * typed client sends JSON only.
 */
export async function uploadCsv(type: ImportType, file: File): Promise<ImportRecord> {
  const form = new FormData();
  form.append('type', type);
  form.append('file', file, file.name);
  const token = await accessToken();
  let response: Response;
  try {
    response = await fetch('/api/v1/imports/csv', {
      method: 'POST',
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        'Idempotency-Key': crypto.randomUUID(),
      },
      body: form,
    });
  } catch {
    throw toApiError(0, undefined);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toApiError(response.status, body);
  return body as ImportRecord;
}

/** "status: must be one of …" → the field and the message; an error naming no field keeps it whole. */
export function splitRowError(error: string): { field: string | null; message: string } {
  const match = /^([A-Za-z_][\w.]*): (.+)$/s.exec(error);
  return match ? { field: match[1]!, message: match[2]! } : { field: null, message: error };
}
