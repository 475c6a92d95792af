import { Button, Group, Text } from '@mantine/core';
import { IconChevronLeft, IconChevronRight } from '@tabler/icons-react';
import { useState } from 'react';

/** Where a paged list is: the cursor to read with, the page number, and how to move. */
export interface CursorPages {
  cursor: string;
  page: number;
  next: (cursor: string) => void;
  previous: () => void;
}

/**
 * Keyset paging over a list whose `Link` header carries the next cursor: the cursors of the pages
 * already seen, so "Previous" goes back exactly. The cursors belong to one `key` (the filters, as a
 * string): another key starts again at page 1, so a filter never shows page 3 of a shorter list.
 */
export function useCursorPages(key = ''): CursorPages {
  const [paging, setPaging] = useState<{ key: string; cursors: string[] }>({ key, cursors: [] });
  const cursors = paging.key === key ? paging.cursors : [];
  return {
    cursor: cursors.at(-1) ?? '',
    page: cursors.length + 1,
    next: (cursor) => setPaging({ key, cursors: [...cursors, cursor] }),
    previous: () => setPaging({ key, cursors: cursors.slice(0, -1) }),
  };
}

/**
 * Previous / next buttons under a paged table, with the page number in words; nothing while the
 * whole list fits on one page.
 */
export function CursorPager({
  pages,
  nextCursor,
  waiting = false,
  label,
}: {
  pages: CursorPages;
  /** The `next` cursor of the page shown; undefined on the last page. */
  nextCursor: string | undefined;
  /** The page shown is still the previous one's (placeholder data): its cursor would skip a page. */
  waiting?: boolean;
  /** The name of the pager's landmark, e.g. "Alert pages". */
  label: string;
}) {
  const { page } = pages;
  if (page === 1 && nextCursor === undefined) return null;
  return (
    <Group justify="space-between" mt="sm" component="nav" aria-label={label}>
      <Button
        variant="default"
        size="xs"
        leftSection={<IconChevronLeft size={14} />}
        disabled={page === 1}
        onClick={pages.previous}
      >
        Previous
      </Button>
      <Text size="sm" c="dimmed">
        Page {page}
      </Text>
      <Button
        variant="default"
        size="xs"
        rightSection={<IconChevronRight size={14} />}
        disabled={nextCursor === undefined || waiting}
        onClick={() => nextCursor !== undefined && pages.next(nextCursor)}
      >
        Next
      </Button>
    </Group>
  );
}
