import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DEFAULT_PAGE_SIZE, rowCursor, rowOfCursor, type Page, type PageOf } from '../../app/pagination.js';

/** The query of a list request as far as paging goes. */
interface PagingQuery {
  limit?: number | undefined;
  offset?: number | undefined;
  cursor?: string | undefined;
  sort?: string | undefined;
}

/** `cursor`, for the query schema of every list that pages by keyset. */
export const CursorQuery = {
  cursor: Type.Optional(
    Type.String({
      maxLength: 512,
      description:
        'Keyset paging that stays stable while rows are added: send it empty (`cursor=`) for the first page, then follow the `Link` header, which carries the next cursor (made for the same `sort`). Replaces `offset`.',
    }),
  ),
};

/** The page a list request asks for; the query schema has already bounded `limit` and `offset`. */
export function pageFrom(query: PagingQuery): Page {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (query.cursor === undefined) return { limit, offset: query.offset ?? 0 };
  return {
    limit,
    offset: 0,
    after: query.cursor === '' ? undefined : rowOfCursor(query.cursor, query.sort ?? ''),
  };
}

/**
 * Answers a list: the bare array of items, with `Link: <…>; rel="next"` while more rows exist.
 * The link is the request's own path and query with the next offset, or, when the request paged
 * by `cursor`, with the cursor of the page's last row; it is relative to the request URL (RFC
 * 8288), so it stays right behind proxies that rewrite host or scheme.
 */
export function sendPage<T, V>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Page,
  result: PageOf<T>,
  view: (item: T) => V,
): V[] {
  const query = request.query as PagingQuery;
  const last = result.items.at(-1) as { id?: unknown } | undefined;
  if (result.hasMore && query.cursor !== undefined && typeof last?.id === 'string') {
    return sendCursorPage(
      request,
      reply,
      { items: result.items, nextCursor: rowCursor(query.sort ?? '', last.id) },
      view,
    );
  }
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
