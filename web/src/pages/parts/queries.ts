import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { allPages } from '../../api/paging';

/** Stock of every part definition (computed by the server), filtered by text and by "to reorder". */
export function useStock(q: string, low: boolean | undefined) {
  return useQuery({
    queryKey: ['parts', 'stock', q, low],
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/parts/stock', {
          params: {
            query: {
              limit: 200,
              cursor,
              sort: 'name',
              ...(q ? { q } : {}),
              ...(low === undefined ? {} : { low }),
            },
          },
        }),
      ),
    placeholderData: (previous) => previous,
  });
}

export type StockRow = NonNullable<ReturnType<typeof useStock>['data']>[number];

/** The serialized items of one part definition, by serial number. */
export function useItems(definitionId: string | null) {
  return useQuery({
    queryKey: ['parts', 'items', definitionId],
    enabled: definitionId !== null,
    queryFn: () =>
      allPages((cursor) =>
        api.GET('/api/v1/part-items', {
          params: { query: { limit: 200, cursor, definition_id: definitionId!, sort: 'serial_number' } },
        }),
      ),
  });
}

/** How a definition's stock stands: what the page says (and highlights) about it. */
export function stockLevel(row: StockRow): 'out' | 'low' | 'ok' {
  if (row.out_of_stock) return 'out';
  if (row.at_or_below_reorder_point || row.below_min_stock_level) return 'low';
  return 'ok';
}
