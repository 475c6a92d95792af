/** A page request: `limit` rows after skipping `offset`. */
export interface Page {
  limit: number;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Rows of one page plus whether another page follows (fetched as limit + 1 rows). */
export interface PageOf<T> {
  items: T[];
  hasMore: boolean;
}

/** Trims the extra row a repository fetched to learn whether a next page exists. */
export function pageOf<T>(rows: T[], page: Page): PageOf<T> {
  return { items: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}
