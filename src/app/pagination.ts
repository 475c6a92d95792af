import { AppError } from './errors.js';

/** A page request: `limit` rows after skipping `offset`, or (keyset) after the row `after`. */
export interface Page {
  limit: number;
  offset: number;
  /**
   * Keyset paging: the id of the last row of the previous page; the page holds the rows that
   * follow it in the list's order (offset is then 0), so rows inserted meanwhile shift nothing.
   */
  after?: string | undefined;
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

/**
 * A keyset cursor: the sort values of the last row a page returned, as opaque base64url text.
 * Clients pass it back unchanged; a page that follows it stays right while rows are inserted.
 */
export const encodeCursor = (values: readonly string[]): string =>
  Buffer.from(JSON.stringify(values)).toString('base64url');

/**
 * The values of a cursor made by `encodeCursor`: exactly one per pattern, each matching it;
 * 400 INVALID_CURSOR otherwise.
 */
export function decodeCursor(raw: string, patterns: readonly RegExp[]): string[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (
    !Array.isArray(values) ||
    values.length !== patterns.length ||
    !values.every((value, i): value is string => typeof value === 'string' && patterns[i]!.test(value))
  ) {
    throw invalidCursor();
  }
  return values;
}

const invalidCursor = (): AppError =>
  new AppError('validation', 'INVALID_CURSOR', 'the cursor is not one this list handed out', [
    { field: 'querystring.cursor', message: 'must be a cursor from a Link header of this list' },
  ]);

const ROW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The keyset cursor of a list sorted by `sort` (the request's `sort` text, '' for the default):
 * that and the id of the page's last row. A cursor only fits the sort it was made for.
 */
export const rowCursor = (sort: string, id: string): string => encodeCursor([sort, id]);

/** The row id a `rowCursor` names; 400 INVALID_CURSOR when it was made for another sort or list. */
export function rowOfCursor(cursor: string, sort: string): string {
  const [madeFor, id] = decodeCursor(cursor, [/^/, ROW_ID]) as [string, string];
  if (madeFor !== sort) throw invalidCursor();
  return id;
}

/** One sort key: a field the list allows, ascending or descending. */
export interface SortKey<F extends string = string> {
  field: F;
  direction: 'asc' | 'desc';
}

/**
 * Reads `sort=field,-other` against the fields a list allows (a leading `-` sorts descending).
 * Repositories append the id as the last key, so pages stay stable when values tie.
 */
export function parseSort<F extends string>(
  raw: string | undefined,
  allowed: readonly F[],
  fallback: SortKey<F>[],
): SortKey<F>[] {
  if (raw === undefined || raw.trim() === '') return fallback;
  const keys = raw.split(',').map((part) => part.trim());
  const unknown = keys.filter((key) => !allowed.includes(key.replace(/^-/, '') as F));
  if (unknown.length > 0 || keys.some((key) => key === '' || key === '-')) {
    throw new AppError(
      'validation',
      'INVALID_SORT',
      `sort accepts ${allowed.join(', ')} (prefix - for descending)`,
      [{ field: 'querystring.sort', message: `unknown sort field ${unknown.join(', ') || '(empty)'}` }],
    );
  }
  return keys.map((key) => ({
    field: key.replace(/^-/, '') as F,
    direction: key.startsWith('-') ? 'desc' : 'asc',
  }));
}
