import { unwrap } from './errors';

/** The `cursor` of a response's `Link: <…>; rel="next"`, or undefined on the last page. */
export function nextCursor(response: Response): string | undefined {
  const link = response.headers.get('Link');
  const next = link?.split(',').find((part) => /rel="next"/.test(part));
  const url = next?.match(/<([^>]+)>/)?.[1];
  return url ? (new URL(url, window.location.origin).searchParams.get('cursor') ?? undefined) : undefined;
}

/**
 * Every row of a list, page by page along the `Link` header with keyset cursors (stable while rows
 * are added): for views that show a whole fleet at once. Stops after `maxPages` pages.
 */
export async function allPages<T>(
  page: (cursor: string) => Promise<{ data?: T[]; error?: unknown; response: Response }>,
  maxPages = 50,
): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | undefined = '';
  for (let i = 0; i < maxPages && cursor !== undefined; i += 1) {
    const result = await page(cursor);
    rows.push(...(await unwrap(Promise.resolve(result))));
    cursor = nextCursor(result.response);
  }
  return rows;
}
