import type { ReactNode } from 'react';
import { ErrorNotice } from './ErrorNotice';
import { SkeletonRows } from './SkeletonRows';

/** What QueryList reads of a TanStack query. */
export interface ListQuery {
  isPending: boolean;
  error: unknown;
}

export interface QueryListProps<T> {
  query: ListQuery;
  /** The rows to show, once loaded (the query's data, or what a page makes of it). */
  rows: readonly T[] | undefined;
  /** The title of the error shown when the list could not be loaded. */
  errorTitle: string;
  /** What stands in for the rows while they load. */
  loading?: ReactNode;
  /** What the list says when it has no rows (nothing, when it could not be loaded). */
  empty: ReactNode;
}

/**
 * A query's list in its four states: the API's error, skeletons while loading, the empty state, or
 * the rows, rendered by `children`.
 */
export function QueryList<T>({
  query,
  rows,
  errorTitle,
  loading = <SkeletonRows />,
  empty,
  children,
}: QueryListProps<T> & { children: (rows: readonly T[]) => ReactNode }) {
  return (
    <>
      <ErrorNotice error={query.error} title={errorTitle} />
      {query.isPending ? loading : !rows?.length ? !query.error && empty : children(rows)}
    </>
  );
}
