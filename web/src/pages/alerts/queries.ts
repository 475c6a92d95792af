import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { nextCursor } from '../../api/paging';

export type Level = 'info' | 'warning' | 'critical';
export type Category =
  | 'certification_expiring'
  | 'certification_expired'
  | 'task_overdue'
  | 'directive_due'
  | 'directive_overdue'
  | 'part_low_stock'
  | 'part_out_of_stock'
  | 'webhook_failing'
  | 'aircraft_aog';

export const CATEGORY_LABEL: Record<Category, string> = {
  aircraft_aog: 'Aircraft on ground',
  task_overdue: 'Task overdue',
  directive_overdue: 'Directive overdue',
  directive_due: 'Directive due',
  certification_expired: 'Certification expired',
  certification_expiring: 'Certification expiring',
  part_out_of_stock: 'Part out of stock',
  part_low_stock: 'Part low on stock',
  webhook_failing: 'Webhook failing',
};

export interface AlertFilters {
  level?: Level;
  category?: Category;
  resolved?: boolean;
}

export function useAlertPage(filters: AlertFilters, cursor: string) {
  return useQuery({
    queryKey: ['alerts', 'page', filters, cursor],
    queryFn: async () => {
      const result = await api.GET('/api/v1/alerts', {
        params: { query: { ...filters, sort: '-level,-raised_at', limit: 25, cursor } },
      });
      return { rows: await unwrap(Promise.resolve(result)), next: nextCursor(result.response) };
    },
    placeholderData: (previous) => previous,
  });
}

export type AlertRow = NonNullable<ReturnType<typeof useAlertPage>['data']>['rows'][number];

export function useAlertSummary() {
  return useQuery({
    queryKey: ['alerts', 'summary'],
    queryFn: () => unwrap(api.GET('/api/v1/alerts/summary')),
  });
}
