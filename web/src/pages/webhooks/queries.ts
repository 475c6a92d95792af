import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { allPages, nextCursor } from '../../api/paging';

export function useWebhooks() {
  return useQuery({
    queryKey: ['webhooks', 'list'],
    queryFn: () =>
      allPages((cursor) => api.GET('/api/v1/webhooks', { params: { query: { limit: 200, cursor } } })),
  });
}

export type Webhook = NonNullable<ReturnType<typeof useWebhooks>['data']>[number];

/** One page of a webhook's deliveries, newest first; pending ones are polled while the log is open. */
export function useDeliveries(id: string | null, cursor: string) {
  return useQuery({
    queryKey: ['webhooks', id, 'deliveries', cursor],
    enabled: id !== null,
    queryFn: async () => {
      const result = await api.GET('/api/v1/webhooks/{id}/deliveries', {
        params: { path: { id: id! }, query: { limit: 25, cursor } },
      });
      return { rows: await unwrap(Promise.resolve(result)), next: nextCursor(result.response) };
    },
    refetchInterval: (query) => (query.state.data?.rows.some((d) => d.status === 'pending') ? 3000 : false),
  });
}
