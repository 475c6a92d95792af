import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_PAGE_SIZE, type Page, type PageOf } from '../../app/pagination.js';

/** The page a list request asks for; the query schema has already bounded `limit` and `offset`. */
export function pageFrom(query: { limit?: number | undefined; offset?: number | undefined }): Page {
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, offset: query.offset ?? 0 };
}

/**
 * Answers a list: the bare array of items, with `Link: <…>; rel="next"` while more rows exist.
 * The link is the request's own path and query with the next offset; it is relative to the
 * request URL (RFC 8288), so it stays right behind proxies that rewrite host or scheme.
 */
export function sendPage<T, V>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Page,
  result: PageOf<T>,
  view: (item: T) => V,
): V[] {
  if (result.hasMore) void reply.header('Link', `<${nextPageUrl(request.url, page)}>; rel="next"`);
  return result.items.map(view);
}

/**
 * Answers a keyset-paged list: the bare array of items, with `Link: <…>; rel="next"` carrying
 * `nextCursor` (the request's own path and query, the cursor replaced) while more rows exist.
 */
export function sendCursorPage<T, V>(
  request: FastifyRequest,
  reply: FastifyReply,
  result: { items: T[]; nextCursor?: string | undefined },
  view: (item: T) => V,
): V[] {
  if (result.nextCursor !== undefined) {
    const url = new URL(request.url, 'http://localhost');
    url.searchParams.set('cursor', result.nextCursor);
    url.searchParams.delete('offset');
    void reply.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return result.items.map(view);
}

function nextPageUrl(requestUrl: string, page: Page): string {
  // The base only lets URL parse a path; it never appears in the result.
  const url = new URL(requestUrl, 'http://localhost');
  url.searchParams.set('limit', String(page.limit));
  url.searchParams.set('offset', String(page.offset + page.limit));
  return `${url.pathname}${url.search}`;
}
